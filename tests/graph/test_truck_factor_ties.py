"""The truck factor's tie-break is a public fact of the history, not a salt-dependent person id.

Why: in a corpus, ``person_id`` follows the order of the salted pseudonyms, so a tie broken by
the lower ``person_id`` gave anyone who rebuilt the corpus with their own salt (as
``collect corpus --manifest`` lets them) other key people, and so another model. Ties now go to
the person whose first commit to the repository came first (``committed_at``, then sha).
"""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import duckdb
import pytest

from ossmetrics.graph.truck_factor import truck_factor, truck_factor_series
from tests.conftest import run_cli
from tests.gitfactory import GitFactory, Person
from tests.graph.history import History

ALICE = Person("Alice Example", "alice@example.org")
BOB = Person("Bob Builder", "bob@example.net")
CAROL = Person("Carol Coder", "carol@example.com")
DAVE = Person("Dave Devel", "dave@example.io")
PEOPLE = (ALICE, BOB, CAROL, DAVE)


def test_ties_go_to_the_earlier_first_commit_not_the_lower_person_id(con):
    h = History(con)
    alice, (a,) = h.person("alice")  # person ids 1, 2, 3 in name order
    bob, (b,) = h.person("bob")
    carol, (c,) = h.person("carol")
    h.commit(c, [("c.py", 10, 0)])  # day 1: carol comes first
    h.commit(a, [("a.py", 10, 0)])  # day 2
    h.commit(b, [("b.py", 10, 0)])  # day 3
    rid = h.save()
    # each authors one file (a sole creator: DOA 4.391): a three-way tie. Removing the first
    # leaves 1/3 authorless, the second 2/3 > 50%: truck factor 2, the two who came first.
    r = truck_factor(con, rid)
    assert r.authors == {carol: 1, alice: 1, bob: 1}
    assert r.truck_factor == 2
    assert r.key_people == [carol, alice]  # by person id it was [alice, bob]
    # a cut before bob's first commit: two files, both removed (1/2 is not > 50%)
    early = truck_factor(con, rid, h.date(2))
    assert (early.truck_factor, early.key_people) == (2, [carol, alice])
    assert [x.key_people for x in truck_factor_series(con, rid, [h.date(2), h.date(3)])] == [
        [carol, alice],
        [carol, alice],
    ]


def test_same_commit_time_ties_go_to_the_smaller_sha(con):
    h = History(con, "acme/same")
    dave, (d,) = h.person("dave")
    erin, (e,) = h.person("erin")
    # History's shas are sha1("acme/same-N"): N=0 c611b3c0..., N=1 065b1dca... (smaller)
    h.commit(d, [("d.py", 5, 0)], day=1)
    h.commit(e, [("e.py", 5, 0)], day=1)  # same committed_at, smaller sha
    rid = h.save()
    r = truck_factor(con, rid)
    assert r.truck_factor == 2
    assert r.key_people == [erin, dave]


# ---------------------------------------------------------------------------------------------
# the same small corpus, built with two salts from real git repositories


def _pseudonym(salt: str, email: str) -> str:
    return hashlib.sha256((salt + email.lower()).encode()).hexdigest()[:16]


def _old_rule_key_people(salt: str) -> list[str]:
    """Who the person-id tie-break picked: alpha's tied authors in pseudonym order, first two."""
    tied = sorted((ALICE, BOB, CAROL), key=lambda p: _pseudonym(salt, p.email))
    return [p.name for p in tied[:2]]


SALT_A = "salt-0"
#: The first of salt-1, salt-2, ... under which the person-id rule picked other key people:
#: with it, the old tie-break fails this test.
SALT_B = next(
    s
    for s in (f"salt-{i}" for i in range(1, 50))
    if _old_rule_key_people(s) != _old_rule_key_people(SALT_A)
)


def _build(base: Path, salt: str) -> dict[str, tuple[int | None, list[str]]]:
    """Build the corpus with ``salt``, load it, and give each repository's (TF, key names)."""
    out = base / f"out-{salt}"
    proc = run_cli(
        "collect", "corpus", "--manifest", str(base / "manifest.csv"), "--out", str(out),
        env={"OSSMETRICS_CORPUS_SALT": salt},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    db = base / f"{salt}.duckdb"
    proc = run_cli("--db", str(db), "collect", "corpus", str(out))
    assert proc.returncode == 0, proc.stderr
    name_of = {f"corpus:{_pseudonym(salt, p.email)}": p.name for p in PEOPLE}
    con = duckdb.connect(str(db))
    try:
        who = dict(con.execute("SELECT person_id, identity_key FROM identities").fetchall())
        repos = con.execute("SELECT repo_id, full_name FROM repos ORDER BY full_name").fetchall()
        result = {}
        for rid, name in repos:
            r = truck_factor(con, rid)
            result[name] = (r.truck_factor, [name_of[who[p]] for p in r.key_people])
    finally:
        con.close()
    return result


@pytest.fixture(scope="module")
def two_salts(
    tmp_path_factory: pytest.TempPathFactory,
) -> list[dict[str, tuple[int | None, list[str]]]]:
    base = tmp_path_factory.mktemp("ties")
    alpha = GitFactory(base / "alpha")  # three sole creators: a three-way tie
    alpha.commit({"c.py": "c = 3\n"}, author=CAROL, date="2021-01-01T00:00:00Z")
    alpha.commit({"a.py": "a = 1\n"}, author=ALICE, date="2021-02-01T00:00:00Z")
    alpha.commit({"b.py": "b = 2\n"}, author=BOB, date="2021-03-01T00:00:00Z")
    beta = GitFactory(base / "beta")  # bob and dave tie on two files each; dave came first
    beta.commit(
        {"d1.go": "package d\n", "d2.go": "package d\n"}, author=DAVE, date="2022-01-01T00:00:00Z"
    )
    beta.commit(
        {"b1.go": "package b\n", "b2.go": "package b\n"}, author=BOB, date="2022-02-01T00:00:00Z"
    )
    with (base / "manifest.csv").open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=["repo", "ecosystem", "why", "source", "commit"])
        w.writeheader()
        w.writerow(
            {
                "repo": "acme/alpha",
                "ecosystem": "pypi",
                "why": "t",
                "source": str(alpha.path),
                "commit": "",
            }
        )
        w.writerow(
            {
                "repo": "acme/beta",
                "ecosystem": "go",
                "why": "t",
                "source": str(beta.path),
                "commit": "",
            }
        )
    return [_build(base, SALT_A), _build(base, SALT_B)]


def test_two_salts_give_the_same_truck_factors_and_key_people(two_salts) -> None:
    a, b = two_salts
    # hand-computed: alpha 3 files, one each; the two first comers cover 2/3 > 50%
    # beta 4 files, two each: removing dave leaves 2/4 (not > 50%), then bob
    expected = {
        "acme/alpha": (2, ["Carol Coder", "Alice Example"]),
        "acme/beta": (2, ["Dave Devel", "Bob Builder"]),
    }
    assert a == expected
    assert b == expected
    # the salts were chosen so that the person-id rule disagreed between them
    assert _old_rule_key_people(SALT_A) != _old_rule_key_people(SALT_B)
