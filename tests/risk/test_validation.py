"""Issue 19 validation: ecosystems, leave-one-ecosystem-out folds, the Apache guard,
calibration error, paired bootstrap, young snapshots and the archived label — each against
expectations worked out by hand."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from ossmetrics.errors import UsageError
from ossmetrics.risk.dataset import build_dataset
from ossmetrics.risk.ecosystems import (
    canonical_ecosystem,
    ecosystem_of_language,
    is_reserved,
    repo_ecosystems,
)
from ossmetrics.risk.folds import check_no_reserved, cv_folds, loeo_folds, time_forward
from ossmetrics.risk.measures import (
    expected_calibration_error,
    metrics,
    paired_bootstrap,
    reliability_curve,
)
from tests.risk.tiny import standard_store, store_truck_factors


def test_ece_and_reliability_by_hand() -> None:
    y = np.array([0.0, 0.0, 1.0, 1.0])
    p = np.array([0.1, 0.3, 0.35, 0.8])
    # bins of width 0.1: {0.1} -> bin 1, {0.3, 0.35} -> bin 3, {0.8} -> bin 8
    # gaps: |0 - 0.1| = 0.1; |0.5 - 0.325| = 0.175; |1 - 0.8| = 0.2
    # ECE = (1 * 0.1 + 2 * 0.175 + 1 * 0.2) / 4 = 0.1625
    assert expected_calibration_error(y, p) == pytest.approx(0.1625)
    curve = reliability_curve(y, p)
    assert [(b.lo, b.n) for b in curve] == [(0.1, 1), (0.3, 2), (0.8, 1)]
    assert curve[1].mean_p == pytest.approx(0.325) and curve[1].mean_y == 0.5
    # p = 1.0 falls in the last bin, not past it; a perfectly calibrated score has ECE 0
    assert reliability_curve(np.array([1.0]), np.array([1.0]))[0].lo == pytest.approx(0.9)
    assert expected_calibration_error(np.array([0.0, 1.0, 0.0, 1.0]), np.full(4, 0.5)) == 0.0
    # five bins: 0.1 and 0.3 share bin 0..0.2? no: 0.3 -> bin 1; (0.1) bin 0, (0.3, 0.35) bin 1
    assert expected_calibration_error(y, p, bins=5) == pytest.approx(0.1625)


def test_paired_bootstrap_of_a_score_with_itself_is_zero_and_signs_follow() -> None:
    rng = np.random.default_rng(0)
    y = np.array([0, 1] * 20, dtype=float)
    good = y + rng.normal(0, 0.5, 40)
    noise = rng.normal(0, 1, 40)
    groups = np.repeat(np.arange(10), 4)
    (d, lo, hi), _ = paired_bootstrap(y, good, good, groups, 200, 0)
    assert (d, lo, hi) == (0.0, 0.0, 0.0)
    (d, lo, _hi), _ = paired_bootstrap(y, good, noise, groups, 200, 0)
    assert d == pytest.approx(metrics(y, good)[0] - metrics(y, noise)[0]) and d > 0 and lo > 0


def _rows() -> pd.DataFrame:
    """Eight repositories, three ecosystems, two of them Apache (reserved)."""
    spec = [
        ("a/py1", "PyPI"), ("a/py2", "PyPI"), ("b/js1", "npm"), ("b/js2", "npm"),
        ("c/rs1", "crates"), ("c/rs2", "crates"), ("apache/spark", "JVM"), ("apache/arrow", "systems"),
    ]  # fmt: skip
    out = []
    for k, (repo, eco) in enumerate(spec):
        for j, d in enumerate((date(2018, 6, 1), date(2019, 6, 1), date(2020, 6, 1))):
            out.append(
                {"repo": repo, "ecosystem": eco, "as_of": d, "dormant": float((k + j) % 3 == 0)}
            )
    return pd.DataFrame(out)


def test_loeo_folds_leave_each_ecosystem_out_and_never_train_on_apache() -> None:
    rows = _rows()
    folds = loeo_folds(rows)
    # JVM and systems hold only Apache repositories: they are never a fold of their own
    assert [name for name, _tr, _te in folds] == ["PyPI", "crates", "npm"]
    for name, tr, te in folds:
        assert set(rows.iloc[te]["ecosystem"]) == {name}
        assert name not in set(rows.iloc[tr]["ecosystem"])
        assert len(tr) == 12 and len(te) == 6  # 4 other repos x 3 dates; 2 repos x 3 dates
        assert not any(is_reserved(r) for r in rows.iloc[tr]["repo"])
        assert not any(is_reserved(r) for r in rows.iloc[te]["repo"])
        check_no_reserved(rows.iloc[tr]["repo"])
    for _name, tr, te in cv_folds(rows, 3, 0):
        assert not any(is_reserved(r) for r in rows.iloc[tr]["repo"])
        assert not set(rows.iloc[tr]["repo"]) & set(rows.iloc[te]["repo"])
    _n, tr, te = time_forward(rows, date(2020, 6, 1))
    assert set(rows.iloc[tr]["as_of"]) == {date(2018, 6, 1), date(2019, 6, 1)}
    assert not any(is_reserved(r) for r in rows.iloc[np.r_[tr, te]]["repo"])
    with pytest.raises(AssertionError, match="apache/spark"):
        check_no_reserved(rows["repo"])


def test_one_ecosystem_is_refused_with_one_line() -> None:
    rows = _rows()
    one = rows[rows["ecosystem"].isin(["PyPI", "JVM"])]  # PyPI + Apache's JVM only
    with pytest.raises(UsageError) as exc:
        loeo_folds(one)
    assert exc.value.one_line().startswith(
        "leave-one-ecosystem-out needs at least 2 ecosystems; this store has 1 (PyPI)"
    )
    assert "\n" not in exc.value.one_line()


def test_ecosystem_mapping_and_stored_ecosystem_wins(con) -> None:
    assert ecosystem_of_language("TypeScript") == "npm"
    assert ecosystem_of_language("C++") == "systems" and ecosystem_of_language(None) == "other"
    assert is_reserved("Apache/Kafka") and not is_reserved("apachecn/x")
    from ossmetrics.store import ensure_repo

    a = ensure_repo(con, "o/a")
    b = ensure_repo(con, "o/b")
    con.execute("UPDATE repos SET language = 'Rust' WHERE repo_id = ?", [a])
    con.execute("UPDATE repos SET language = 'Rust', ecosystem = 'PyPI' WHERE repo_id = ?", [b])
    assert repo_ecosystems(con) == {a: "crates", b: "PyPI"}
    # a manifest's own spelling is mapped to these names
    con.execute("UPDATE repos SET ecosystem = 'c-cpp' WHERE repo_id = ?", [a])
    assert repo_ecosystems(con)[a] == "systems"
    assert canonical_ecosystem("RubyGems") == "gems" and canonical_ecosystem("Haskell") == "Haskell"


@pytest.fixture(scope="module")
def status_store(tmp_path_factory):
    from ossmetrics.store import connect

    c = connect(tmp_path_factory.mktemp("status") / "s.duckdb")
    standard_store(c)
    ids = dict(c.execute("SELECT full_name, repo_id FROM repos").fetchall())
    # fading declared unmaintained on 2021-03-01; steady covered, no event; side not covered
    c.execute(
        "INSERT INTO status_events VALUES (?, TIMESTAMPTZ '2021-03-01 00:00:00+00', 'unmaintained', 'readme', NULL)",
        [ids["acme/fading"]],
    )
    # steady: deprecated 2020-09-01, notice removed 2021-03-01
    for t, kind in (("2020-09-01", "deprecated"), ("2021-03-01", "cleared")):
        c.execute(
            f"INSERT INTO status_events VALUES (?, TIMESTAMPTZ '{t} 00:00:00+00', ?, 'readme', NULL)",
            [ids["acme/steady"], kind],
        )
    for r in ("acme/fading", "acme/steady"):
        c.execute(
            "INSERT INTO status_coverage VALUES (?, TIMESTAMPTZ '2022-12-10 00:00:00+00', 'test')",
            [ids[r]],
        )
    store_truck_factors(c)  # `ossmetrics graph --risk-snapshots`, as before any training
    yield build_dataset(c)
    c.close()


def _at(ds, repo: str, d: date) -> pd.Series:
    hit = ds.rows[(ds.rows["repo"] == repo) & (ds.rows["as_of"] == d)]
    assert len(hit) == 1, (repo, d)
    return hit.iloc[0]


def test_archived_label_from_status_events_never_guessed(status_store) -> None:
    ds = status_store
    # horizon of 2020-06-15 is 2021-06-15: the 2021-03-01 notice falls inside -> 1
    assert _at(ds, "acme/fading", date(2020, 6, 15))["archived"] == 1.0
    # horizon of 2019-12-15 is 2020-12-15: before the notice -> 0
    assert _at(ds, "acme/fading", date(2019, 12, 15))["archived"] == 0.0
    # steady's state: deprecated at 2020-12-15 (horizon of 2019-12-15), cleared again by
    # 2021-06-15 (horizon of 2020-06-15) and 2021-12-15
    assert _at(ds, "acme/steady", date(2019, 12, 15))["archived"] == 1.0
    assert _at(ds, "acme/steady", date(2020, 6, 15))["archived"] == 0.0
    assert _at(ds, "acme/steady", date(2020, 12, 15))["archived"] == 0.0
    # no status source covered acme/side: unknown, not "not archived"
    assert np.isnan(_at(ds, "acme/side", date(2020, 12, 15))["archived"])


def test_young_projects_get_the_finer_grid(status_store) -> None:
    ds = status_store
    # every project starts 2019-01: young (< 2 years) until 2021-01, so 2019-09-15 (3-month
    # grid, off the 6-month one) is a snapshot; 2021-09-15 (not young) is not
    steady = ds.rows[ds.rows["repo"] == "acme/steady"]
    assert date(2019, 9, 15) in set(steady["as_of"]) and date(2020, 9, 15) in set(steady["as_of"])
    assert date(2021, 9, 15) not in set(steady["as_of"])
    assert bool(_at(ds, "acme/steady", date(2020, 9, 15))["young"])
    assert not bool(_at(ds, "acme/steady", date(2021, 6, 15))["young"])
    assert set(ds.rows["ecosystem"]) == {"other"}  # tiny repos have no language


def _write_corpus(folder: Path) -> None:
    c = duckdb.connect()
    c.execute("""CREATE TABLE r AS SELECT * FROM (VALUES
        ('o/lib', 'main', 'Python', 'PyPI'), ('o/app', 'main', 'Go', NULL)) t(repo, default_branch, primary_language, ecosystem)""")
    c.execute("""CREATE TABLE c AS SELECT repo, 'sha' || repo || i AS sha, 'p' || (i % 2) AS author_mailmap_id,
        false AS is_bot_like, TIMESTAMPTZ '2020-01-01 00:00:00+00' + INTERVAL (i) DAY AS authored_at,
        'p' || (i % 2) AS committer_id, false AS committer_is_bot_like,
        TIMESTAMPTZ '2020-01-01 00:00:00+00' + INTERVAL (i) DAY AS committed_at,
        0 AS author_tz_offset_min, 0 AS committer_tz_offset_min, 1 AS n_parents, 1 AS n_files,
        1 AS lines_added, 0 AS lines_deleted
        FROM r, range(3) s(i)""")
    c.execute(
        "CREATE TABLE f AS SELECT repo, sha, 'a.py' AS path, NULL::VARCHAR AS old_path, 1 AS added, 0 AS deleted FROM c"
    )
    c.execute("""CREATE TABLE e AS SELECT * FROM (VALUES ('o/app', DATE '2020-01-02', 'Archived', 'github_archived'),
        ('o/app', DATE '2020-01-03', 'renamed', 'x')) t(repo, "at", kind, source)""")
    for t, name in (
        ("r", "repos"),
        ("c", "commits"),
        ("f", "commit_files"),
        ("e", "status_events"),
    ):
        c.execute(f"COPY {t} TO '{folder / (name + '.parquet')}' (FORMAT parquet)")
    c.close()


def test_corpus_with_ecosystem_and_status_events_loads_them(con, tmp_path: Path) -> None:
    from ossmetrics.collect.corpus import load_corpus

    _write_corpus(tmp_path)
    assert load_corpus(con, tmp_path) == 2
    eco = dict(con.execute("SELECT full_name, ecosystem FROM repos").fetchall())
    assert eco == {"o/lib": "PyPI", "o/app": None}
    assert set(repo_ecosystems(con).values()) == {"PyPI", "Go"}  # o/app mapped from Go
    ev = con.execute(
        "SELECT r.full_name, e.kind, e.source FROM status_events e JOIN repos r USING (repo_id)"
    ).fetchall()
    # every event is kept (the risk stage decides which kinds make the label)
    assert sorted(ev) == [("o/app", "archived", "github_archived"), ("o/app", "renamed", "x")]
    assert con.execute("SELECT count(*) FROM status_coverage").fetchone() == (2,)


def test_graph_features_by_hand(con) -> None:
    """acme/p: ann 2/month 2019-2020; carl 1/month 2019-01..11 then moves to acme/q; ben, on
    acme/q since 2019-01 (1/month, 2/month in 2020), joins acme/p in 2020 (1/month)."""
    from ossmetrics.risk.feature_tables import build_project_table
    from tests.risk.tiny import TinyStore, monthly

    t = TinyStore(con)
    for name in ("ann", "ben", "carl"):
        t.person(name)
    t.commits("acme/p", "ann", monthly(date(2019, 1, 1), 24, 2), "p.py")
    t.commits("acme/p", "carl", monthly(date(2019, 1, 1), 11, 1, day=20), "p2.py")
    t.commits("acme/p", "ben", monthly(date(2020, 1, 1), 12, 1, day=15), "p3.py")
    t.commits(
        "acme/q", "ben", monthly(date(2019, 1, 1), 12, 1) + monthly(date(2020, 1, 1), 12, 2), "q.py"
    )
    t.commits("acme/q", "carl", monthly(date(2020, 1, 1), 12, 1, day=20), "q2.py")
    df = build_project_table(con, [date(2020, 12, 15)])
    p = df[df["repo"] == "acme/p"].iloc[0]
    q = df[df["repo"] == "acme/q"].iloc[0]
    # p's one newcomer (ben) had committed to q first; of p's two people of the year before
    # (ann, carl) carl stopped and is active in q; p's active people with another project: ben,
    # whose q went from 12 to 35 commits a year (ben 24 + carl 11: carl's 2020-12-20 commit is
    # after T) -> ln((35 + 1) / (12 + 1))
    assert p["arrivals_from_neighbours"] == 1.0
    assert p["leavers_to_neighbours"] == 0.5
    assert p["source_trend"] == pytest.approx(np.log(36 / 13))
    assert p["top1_focus_shift"] == pytest.approx(0.0, abs=1e-9)  # ann works only on p
    # q's top person ben: 24 of his 36 commits go to q now, all 12 a year before -> 2/3 - 1
    assert q["top1_focus_shift"] == pytest.approx(-1 / 3)
    assert q["arrivals_from_neighbours"] == 1.0  # carl came from p
    assert q["leavers_to_neighbours"] == 0.0


def test_risk_rules_by_hand_and_the_choice_follows_the_target() -> None:
    from ossmetrics.risk.riskindex import (
        ANY,
        RULES,
        choose_rule,
        composite_outcome,
        risk_from_probabilities,
    )

    p = np.array([[0.2, 0.5], [0.1, 0.0]])
    assert list(risk_from_probabilities(p, "P(dormant or core loss)")) == [60.0, 10.0]  # 1-.8*.5
    assert list(risk_from_probabilities(p, "0.7 P(dormant) + 0.3 P(core loss)")) == [29.0, 7.0]
    assert list(risk_from_probabilities(p, "P(dormant)")) == [20.0, 10.0]
    rows = pd.DataFrame(
        {
            "dormant": [1.0, 0.0, 0.0, 0.0],
            "core_loss": [np.nan, 1.0, 0.0, 1.0],
            "archived": [np.nan, np.nan, 1.0, 0.0],
        }
    )
    # ending = dormant or archived (unknown = 0); any adds core loss
    assert list(composite_outcome(rows)) == [1.0, 0.0, 1.0, 0.0]
    assert list(composite_outcome(rows, ANY)) == [1.0, 1.0, 1.0, 1.0]
    # P(dormant) ranks the two endings first; P(core loss) would put row 1 (no ending) on top
    pr = np.array([[0.9, 0.1], [0.1, 0.9], [0.8, 0.2], [0.2, 0.3]])
    assert choose_rule(rows, pr) == "P(dormant)"
    flipped = rows.assign(dormant=[0.0, 1.0, 0.0, 0.0], archived=[np.nan] * 4)
    # only row 1 ends; its P(core loss) is the highest -> a rule leaning on core loss wins
    assert choose_rule(flipped, np.array([[0.5, 0.0], [0.4, 0.9], [0.45, 0.0], [0.1, 0.0]])) in (
        set(RULES) - {"P(dormant)"}
    )
