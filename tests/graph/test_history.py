"""The file-history replay: parallel-branch edits, the deletion rule, empty and binary files."""

from __future__ import annotations

from ossmetrics.graph.history import DELETE_SHARE
from ossmetrics.graph.truck_factor import authorship_pairs, truck_factor
from tests.graph.history import History


def test_parallel_branch_edit_of_a_renamed_file_is_credited_to_it(con):
    h = History(con)
    alice, (a,) = h.person("alice")
    _bob, (b,) = h.person("bob")
    carol, (c,) = h.person("carol")
    h.commit(a, [("a.py", 10, 0)])
    h.commit(b, [("b.py", 0, 0, "a.py")])
    h.commit(c, [("a.py", 1, 1)])  # made on a branch that still had a.py, dated later
    rid = h.save()
    pairs = authorship_pairs(con, rid)
    assert set(pairs["path"]) == {"b.py"}  # a.py does not come back
    changes = dict(zip(pairs["person_id"], pairs["changes"], strict=True))
    assert changes[carol] == 1  # carol's edit landed in the renamed file
    # alice FA=1, AC=2: 4.038; bob and carol DL=1, AC=2: 3.104
    assert truck_factor(con, rid).authors == {alice: 1}


def test_deletion_rule_and_parallel_edits_of_deleted_files(con):
    assert DELETE_SHARE == 0.5
    h = History(con)
    _alice, (a,) = h.person("alice")
    _dave, (d,) = h.person("dave")
    h.commit(a, [("keep.py", 10, 0), ("gone.py", 10, 0), ("z.py", 10, 0)])
    h.commit(a, [("keep.py", 0, 4), ("gone.py", 0, 5), ("z.py", 0, 10)])
    h.commit(d, [("z.py", 2, 1)])  # a parallel branch's edit of the deleted z.py
    h.commit(d, [("empty/__init__.py", 0, 0), ("logo.png", None, None)])
    rid = h.save()
    pairs = authorship_pairs(con, rid, exclude=[])
    # removing 4 of 10 lines is an edit; 5 of 10 (or all) is a deletion; z.py stays deleted;
    # an empty file (no line ever added) and a binary file are never counted
    assert sorted(set(pairs["path"])) == ["keep.py"]
    assert truck_factor(con, rid, exclude=[]).n_files == 1


def test_readded_file_after_a_rename_chain_starts_fresh(con):
    h = History(con)
    alice, (a,) = h.person("alice")
    bob, (b,) = h.person("bob")
    h.commit(a, [("a.py", 10, 0)])
    h.commit(a, [("b.py", 0, 0, "a.py")])
    h.commit(b, [("a.py", 6, 0)])  # a new file at the freed path: a creation (none removed)
    rid = h.save()
    pairs = authorship_pairs(con, rid)
    owner = {
        p: pid
        for p, pid, au in pairs[["path", "person_id", "is_author"]].itertuples(index=False)
        if au
    }
    assert owner == {"a.py": bob, "b.py": alice}
