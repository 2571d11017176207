"""Truck factor on crafted histories whose DOA values and truck factors are derived by hand."""

from __future__ import annotations

import math
import re
from datetime import date

import pytest

from ossmetrics.graph.truck_factor import (
    DEFAULT_EXCLUDE,
    compile_exclude,
    cut_timestamp,
    doa,
    exclude_regex,
    truck_factor,
    truck_factor_series,
)
from tests.graph.history import History


def test_doa_formula_worked_values():
    # DOA = 3.293 + 1.098 FA + 0.164 DL - 0.321 ln(1 + AC)
    assert doa(0, 0, 0) == pytest.approx(3.293)
    assert doa(1, 0, 0) == pytest.approx(4.391)  # a sole creator
    assert doa(0, 1, 0) == pytest.approx(3.457)
    assert doa(1, 2, 3) == pytest.approx(3.293 + 1.098 + 0.328 - 0.321 * math.log(4))
    assert doa(1, 2, 3) == pytest.approx(4.27400, abs=1e-5)
    assert doa(0, 1, 1) == pytest.approx(3.23450, abs=1e-5)  # below the 3.293 author threshold


def test_team_greedy_removal_order(con):
    h = History(con)
    alice, (a,) = h.person("alice")
    bob, (b,) = h.person("bob")
    carol, (c,) = h.person("carol")
    h.commit(a, [("f1.py", 10, 0), ("f2.py", 10, 0), ("f3.py", 10, 0)])
    h.commit(b, [("f4.py", 10, 0), ("f5.py", 10, 0)])
    h.commit(c, [("f6.py", 10, 0)])
    # bob changes f1 once: alice 4.391 - .321 ln 2 = 4.169; bob 3.457 - .223 = 3.2345 < 3.293
    h.commit(b, [("f1.py", 2, 1)])
    rid = h.save()
    r = truck_factor(con, rid)
    assert r.n_files == 6
    assert r.authors == {alice: 3, bob: 2, carol: 1}
    # removing alice leaves 3/6 authorless (not > 50%), removing bob too leaves 5/6
    assert r.truck_factor == 2
    assert r.key_people == [alice, bob]
    # CHAOSS: commits alice 1, bob 2, carol 1 -> bob alone has 2/4 = 50%
    assert r.bus_factor_all_history == 1


def test_renames_carry_history_through_a_chain(con):
    h = History(con)
    alice, (a,) = h.person("alice")
    _bob, (b,) = h.person("bob")
    _carol, (c,) = h.person("carol")
    h.commit(a, [("old.py", 10, 0)])
    h.commit(b, [("new.py", 1, 1, "old.py")])  # rename with an edit
    h.commit(c, [("new.py", 3, 0)])
    h.commit(c, [("pkg/mod.py", 0, 0, "new.py")])  # second rename in the chain
    rid = h.save()
    r = truck_factor(con, rid)
    # one file, pkg/mod.py, whose history starts with alice's creation of old.py:
    # alice FA=1 DL=0 AC=3 -> 4.391 - .321 ln 4 = 3.946; carol DL=2 AC=2 -> 3.268 (< 3.293);
    # bob DL=1 AC=3 -> 3.012. Only alice is an author.
    assert r.n_files == 1
    assert r.authors == {alice: 1}
    assert r.truck_factor == 1 and r.key_people == [alice]


def test_swap_inside_one_commit(con):
    h = History(con)
    alice, (a,) = h.person("alice")
    bob, (b,) = h.person("bob")
    h.commit(a, [("a.py", 5, 0)])
    h.commit(b, [("b.py", 5, 0)])
    h.commit(a, [("a.py", 0, 0, "b.py"), ("b.py", 0, 0, "a.py")])  # swap names
    h.commit(b, [("a.py", 1, 0)])  # bob edits the file he created, now called a.py
    rid = h.save()
    r = truck_factor(con, rid)
    # b's file (now a.py): bob FA=1 DL=1 AC=1 = 4.555-.223 = 4.333; alice DL=1 AC=2: 3.104
    # a's file (now b.py): alice FA=1 DL=1 AC=0 = 4.555 sole author
    assert r.n_files == 2
    assert r.authors == {alice: 1, bob: 1}


def test_deleted_then_readded_by_someone_else(con):
    h = History(con)
    alice, (a,) = h.person("alice")
    bob, (b,) = h.person("bob")
    h.commit(a, [("x.py", 5, 0), ("y.py", 5, 0), ("z.py", 5, 0)])
    h.commit(a, [("x.py", 0, 5)])  # deletion: all 5 lines gone, none added
    h.commit(b, [("x.py", 3, 0)])  # re-added by bob: a new file created by bob
    h.commit(b, [("z.py", 0, 2)])  # only removes lines: z.py stays present
    rid = h.save()
    r = truck_factor(con, rid)
    # x.py: bob creator, sole author. y.py: alice. z.py: alice FA=1 AC=1 4.169, bob 3.2345.
    assert r.n_files == 3
    assert r.authors == {alice: 2, bob: 1}
    assert r.truck_factor == 1 and r.key_people == [alice]
    # before bob re-adds it, x.py is gone: 2 files, both alice's
    before = truck_factor(con, rid, h.date(2))
    assert before.n_files == 2 and before.authors == {alice: 2}


def test_vendored_docs_and_generated_files_are_excluded(con):
    h = History(con)
    alice, (a,) = h.person("alice")
    bob, (b,) = h.person("bob")
    h.commit(a, [("src/core.py", 50, 0), ("src/util.py", 20, 0)])
    h.commit(
        b,
        [
            ("vendor/lib.js", 900, 0),
            ("third_party/x/y.c", 900, 0),
            ("node_modules/left/index.js", 9, 0),
            ("docs/guide.rst", 40, 0),
            ("README.md", 10, 0),
            ("package-lock.json", 3000, 0),
            ("static/app.min.js", 1, 0),
            ("logo.png", None, None),  # binary: no line counts
        ],
    )
    rid = h.save()
    r = truck_factor(con, rid)
    assert r.n_files == 2
    assert r.authors == {alice: 2}
    assert r.truck_factor == 1
    everything = truck_factor(con, rid, exclude=[])
    assert everything.n_files == 9  # the binary file is never counted
    assert everything.authors == {bob: 7, alice: 2}
    # defaults can be extended
    more = truck_factor(con, rid, exclude=[*DEFAULT_EXCLUDE, "src/util.py"])
    assert more.n_files == 1


def test_exclude_pattern_semantics():
    ex = compile_exclude(["docs/", "*.md", "src/gen/*.py", "**/fixtures/**"])
    assert ex("docs/a.py") and ex("pkg/docs/a.py")
    assert not ex("mydocs/a.py")
    assert ex("README.MD") and ex("a/b/CHANGES.md")
    assert ex("src/gen/x.py") and not ex("src/gen/sub/x.py") and not ex("lib/src/gen/x.py")
    assert ex("a/fixtures/b/c.json")
    assert not ex("src/main.py")
    # the Python predicate and the SQL (RE2) regex agree
    rx = re.compile(exclude_regex([*DEFAULT_EXCLUDE, "src/gen/*.py", "**/fixtures/**"]))
    both = compile_exclude([*DEFAULT_EXCLUDE, "src/gen/*.py", "**/fixtures/**"])
    for path in (
        "docs/a.py",
        "a/Docs/b.c",
        "README.md",
        "x/yarn.lock",
        "lib/app.min.js",
        "src/gen/x.py",
        "fixtures/a.json",
        "a/fixtures/b",
        "src/main.py",
        "vendored",
        "distance.py",
        "a/dist/b.js",
        "LICENSE",
        "license.txt",
        "src/licenses.py",
        "node_modules/x",
        "x_pb2.py",
        "go.sum",
    ):
        assert both(path) == (rx.search(path) is not None), path


def test_merged_aliases_count_as_one_person(con):
    h = History(con)
    alice, (a_work, a_home) = h.person("alice", emails=2)
    bob, (b,) = h.person("bob")
    h.commit(a_work, [("f1.py", 10, 0)])
    h.commit(a_home, [("f2.py", 10, 0)])
    h.commit(b, [("f3.py", 10, 0)])
    rid = h.save()
    r = truck_factor(con, rid)
    # unmerged, the two alice identities would make the truck factor 2
    assert r.authors == {alice: 2, bob: 1}
    assert r.truck_factor == 1 and r.key_people == [alice]
    assert r.bus_factor_all_history == 1  # alice 2 of 3 commits


def test_bots_give_no_authorship_and_no_acceptances(con):
    h = History(con)
    alice, (a,) = h.person("alice")
    _bot, (bot,) = h.person("dependabot[bot]", bot=True)
    h.commit(a, [("a.py", 10, 0)])
    h.commit(bot, [("gen.py", 10, 0)])
    for _ in range(10):
        h.commit(bot, [("a.py", 1, 1)])
    rid = h.save()
    r = truck_factor(con, rid)
    # gen.py exists but has no human author; a.py: alice FA=1, AC=0 (bot rows ignored)
    assert r.n_files == 2 and r.n_authorless == 1
    assert r.authors == {alice: 1}
    assert r.truck_factor == 1
    assert r.bus_factor_all_history == 1  # the bot's 11 commits do not count


def test_creator_exempt_rule(con):
    h = History(con)
    alice, (a,) = h.person("alice")
    h.commit(a, [("core.py", 100, 0)])
    for k in range(40):
        _p, (ident,) = h.person(f"dev{k}")
        h.commit(ident, [("core.py", 1, 0)])
    rid = h.save()
    # alice: 4.391 - .321 ln 41 = 3.199 (< 3.293), normalised 1.0;
    # each other: 3.457 - 1.192 = 2.265, normalised 0.708
    r = truck_factor(con, rid)
    assert r.authors == {alice: 1} and r.truck_factor == 1
    strict = truck_factor(con, rid, creator_exempt=False)
    assert strict.authors == {} and strict.truck_factor == 0
    assert strict.n_authorless == 1


def test_edge_cases_are_stated_not_crashes(con):
    h = History(con)
    empty = h.save()
    r = truck_factor(con, empty)
    assert r.truck_factor is None and r.n_files == 0 and r.bus_factor_all_history is None
    assert r.reason

    h2 = History(con, "acme/bots")
    _b, (bot,) = h2.person("renovate[bot]", bot=True)
    h2.commit(bot, [("a.py", 3, 0)])
    rid = h2.save()
    r = truck_factor(con, rid)
    assert r.truck_factor is None and r.n_files == 1 and r.bus_factor_all_history is None

    h3 = History(con, "acme/one")
    alice, (a,) = h3.person("alice")
    h3.commit(a, [("only.py", 3, 0)], day=10)
    rid = h3.save()
    r = truck_factor(con, rid)
    assert (r.truck_factor, r.key_people, r.n_files, r.bus_factor_all_history) == (1, [alice], 1, 1)
    early = truck_factor(con, rid, h3.date(5))  # before the first commit
    assert (
        early.truck_factor is None and early.n_files == 0 and early.bus_factor_all_history is None
    )

    h4 = History(con, "acme/docsonly")
    _p, (d,) = h4.person("dora")
    h4.commit(d, [("README.md", 3, 0)])
    rid = h4.save()
    r = truck_factor(con, rid)
    assert r.truck_factor is None and r.n_files == 0 and r.bus_factor_all_history == 1


def test_merges_are_ignored_and_cut_date_includes_the_day(con):
    h = History(con)
    alice, (a,) = h.person("alice")
    bob, (b,) = h.person("bob")
    h.commit(a, [("a.py", 5, 0)], day=1)
    h.commit(b, [("b.py", 5, 0)], day=2)
    h.commit(b, [], day=3, merge=True)
    rid = h.save()
    assert truck_factor(con, rid, h.date(1)).authors == {alice: 1}
    # a date (not a datetime) includes the whole day
    d = h.date(2).date()
    assert truck_factor(con, rid, d).authors == {alice: 1, bob: 1}
    assert cut_timestamp(date(2020, 1, 3)).isoformat() == "2020-01-03T23:59:59.999999+00:00"
    assert truck_factor(con, rid).bus_factor_all_history == 1  # 1 vs 1 non-merge commits: 50%


def test_series_equals_single_calls_and_is_deterministic(con):
    h = History(con)
    people = [h.person(f"p{k}") for k in range(4)]
    for day in range(1, 30):
        _pid, (ident,) = people[day % 4 if day > 8 else 0]
        h.commit(ident, [(f"m{day % 7}.py", 3, 1 if day > 7 else 0)], day=day)
    rid = h.save()
    dates = [h.date(d) for d in (0, 3, 8, 12, 20, 29)]
    series = truck_factor_series(con, rid, dates)
    singles = [truck_factor(con, rid, d) for d in dates]
    assert [
        (s.truck_factor, s.key_people, s.authors, s.n_files, s.bus_factor_all_history)
        for s in series
    ] == [
        (s.truck_factor, s.key_people, s.authors, s.n_files, s.bus_factor_all_history)
        for s in singles
    ]
    assert series[0].truck_factor is None
    assert series[2].truck_factor == 1  # p0 created and edited everything up to day 8
    again = truck_factor_series(con, rid, dates)
    assert [x.to_detail() for x in again] == [x.to_detail() for x in series]


def test_interface_path_resolves():
    import ossmetrics.graph

    # the risk stage calls ossmetrics.graph.truck_factor.truck_factor(...)
    assert ossmetrics.graph.truck_factor.truck_factor is truck_factor
    assert ossmetrics.graph.truck_factor_series is truck_factor_series


def test_stored_series_is_the_single_calls_and_leaves_other_measures(con):
    """``store_truck_factors`` writes, per date, the truck factor and all-history bus factor
    that ``truck_factor`` gives at that date; rerunning replaces rather than duplicates, and a
    measure of another kind stored at the same date stays."""
    import json

    from ossmetrics.graph.series import store_truck_factors

    h = History(con)
    people = [h.person(f"p{k}") for k in range(3)]
    for day in range(1, 20):
        _pid, (ident,) = people[day % 3 if day > 6 else 0]
        h.commit(ident, [(f"m{day % 5}.py", 3, 0)], day=day)
    rid = h.save()
    dates = [h.date(d).date() for d in (6, 19)]
    con.execute(
        "INSERT INTO graph_repo_measures VALUES (?, ?, 'core_size', 2, NULL)", [rid, dates[0]]
    )
    assert store_truck_factors(con, {rid: dates}) == 4
    assert store_truck_factors(con, {rid: dates}) == 4  # idempotent
    rows = con.execute(
        "SELECT as_of, measure, value, detail FROM graph_repo_measures ORDER BY as_of, measure"
    ).fetchall()
    assert [(r[0], r[1]) for r in rows] == [
        (dates[0], "bus_factor_all_history"),
        (dates[0], "core_size"),
        (dates[0], "truck_factor"),
        (dates[1], "bus_factor_all_history"),
        (dates[1], "truck_factor"),
    ]
    for d in dates:
        single = truck_factor(con, rid, d)
        tf = next(r for r in rows if r[0] == d and r[1] == "truck_factor")
        bus = next(r for r in rows if r[0] == d and r[1] == "bus_factor_all_history")
        assert tf[2] == single.truck_factor and bus[2] == single.bus_factor_all_history
        assert json.loads(tf[3])["key_people"] == single.key_people
    assert rows[2][2] == 1.0  # p0 made every file up to day 6
