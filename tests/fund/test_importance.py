"""The two lenses on hand-computed toy graphs and signals, and the rule that activity never
enters importance."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from ossmetrics.fund.importance import compute_importance, exposure, reach, trickle
from ossmetrics.fund.ingest import ingest
from ossmetrics.fund.links import pin_link

T = pd.Timestamp("2026-01-01", tz="UTC")


def test_trickle_by_hand() -> None:
    # R -> A, B; A -> C, D; B -> C; C -> E; E -> F (F is depth 4: beyond the 3 levels)
    deps = {"A": ["C", "D"], "B": ["C"], "C": ["E"], "E": ["F"]}
    got = trickle(["A", "B"], deps)
    want = {"A": 0.25, "B": 0.25, "C": 0.1875, "D": 0.125, "E": 0.1875}
    assert got == pytest.approx(want) and "F" not in got
    assert sum(got.values()) == pytest.approx(1.0)
    # weights (a purl list's column) split the unit in proportion
    assert trickle(["A", "B"], {}, weights={"A": 3.0}) == pytest.approx({"A": 0.75, "B": 0.25})


def _cdx(path: Path, repo: str, direct: list[tuple[str, str]], deps: dict[str, list[str]]) -> Path:
    names = sorted({n for n, _ in direct} | set(deps) | {c for cs in deps.values() for c in cs})
    kind = dict(direct)
    comps = []
    for n in names:
        c: dict[str, Any] = {"bom-ref": n, "type": "library", "name": n, "version": "1.0.0",
                             "purl": f"pkg:npm/{n.lower()}@1.0.0"}  # fmt: skip
        if kind.get(n) == "dev":
            c["properties"] = [{"name": "cdx:npm:package:development", "value": "true"}]
        comps.append(c)
    bom = {
        "bomFormat": "CycloneDX", "specVersion": "1.6",
        "metadata": {"component": {"bom-ref": "root", "name": repo, "type": "application",
                     "externalReferences": [{"type": "vcs", "url": f"https://github.com/{repo}"}]}},
        "components": comps,
        "dependencies": [{"ref": "root", "dependsOn": [n for n, _ in direct]}]
        + [{"ref": p, "dependsOn": cs} for p, cs in deps.items()],
    }  # fmt: skip
    path.write_text(json.dumps(bom))
    return path


@pytest.fixture
def toy(con, tmp_path: Path):
    deps = {"A": ["C", "D"], "B": ["C"], "C": ["E"], "E": ["F"]}
    _cdx(tmp_path / "r1.json", "org/r1", [("A", "runtime"), ("B", "runtime")], deps)
    _cdx(tmp_path / "r2.json", "org/r2", [("C", "runtime"), ("D", "dev")], {"C": ["E"], "E": ["F"]})
    ingest(con, [tmp_path / "r1.json", tmp_path / "r2.json"])
    for pkg, repo in [
        ("a", "p/ab"),
        ("b", "p/ab"),
        ("c", "p/c"),
        ("d", "p/d"),
        ("e", "p/e"),
        ("f", "p/f"),
    ]:
        pin_link(con, f"pkg:npm/{pkg}", repo)
    return con


def test_exposure_trickle_and_cone_by_hand(toy) -> None:
    ex = exposure(toy)
    assert ex.mode == "trickle" and ex.org_repos == 2
    want = {"pkg:npm/a": 0.125, "pkg:npm/b": 0.125, "pkg:npm/c": 0.34375,
            "pkg:npm/d": 0.0625, "pkg:npm/e": 0.21875, "pkg:npm/f": 0.125}  # fmt: skip
    assert ex.share == pytest.approx(want)
    assert ex.reaching["pkg:npm/c"] == {"org/r1", "org/r2"} and ex.direct["pkg:npm/c"] == {"org/r2"}
    # r2's dev edge to D is excluded by default: D is reached from r1 only
    assert ex.reaching["pkg:npm/d"] == {"org/r1"}
    dev = exposure(toy, include_dev=True)
    assert dev.reaching["pkg:npm/d"] == {"org/r1", "org/r2"}
    assert dev.share["pkg:npm/d"] == pytest.approx((0.125 + 0.5) / 2)
    df = compute_importance(toy).set_index(["repo", "lens"])
    assert df.loc[("p/ab", "exposure"), "value"] == pytest.approx(25.0)  # a + b
    assert df.loc[("p/c", "exposure"), "value"] == pytest.approx(34.375)
    detail = json.loads(df.loc[("p/c", "exposure"), "detail"])
    assert (detail["repos_reaching"], detail["repos_direct"], detail["mode"]) == (2, 1, "trickle")


def test_flat_sbom_falls_back_to_repository_counts(toy, tmp_path: Path) -> None:
    flat = tmp_path / "r3.purls"
    flat.write_text("pkg:npm/c@1.0.0\n")
    ingest(toy, [flat], org_repo="org/r3")
    df = compute_importance(toy).set_index(["repo", "lens"])
    assert json.loads(df.loc[("p/c", "exposure"), "detail"])["mode"] == "repository count"
    assert df.loc[("p/c", "exposure"), "value"] == pytest.approx(100.0)  # 3 of 3
    assert df.loc[("p/ab", "exposure"), "value"] == pytest.approx(100 / 3)  # r1 only


def _sig(rows: list[tuple[str, str, str, str, float | None, str | None]]) -> pd.DataFrame:
    return pd.DataFrame(
        [(*r, T) for r in rows],
        columns=["package", "ecosystem", "source", "signal", "value", "detail", "as_of"],
    )


def test_reach_by_hand_weights_renormalised_and_max_over_ecosystems() -> None:
    s = _sig([
        ("pkg:npm/x", "npm", "depsdev", "dependents", 999.0, "1.0.0"),
        ("pkg:npm/x2", "npm", "depsdev", "dependents", 10.0, "2.0.0"),
        ("pkg:npm/x", "npm", "ecosystems", "dependent_packages", 50.0, None),
        ("pkg:npm/x", "npm", "ecosystems", "rank_dependent_packages", 2.0, None),
        ("pkg:npm/x", "npm", "ecosystems", "downloads", 1000.0, "last-month"),
        ("pkg:npm/x2", "npm", "ecosystems", "downloads", 3000.0, "last-month"),
        ("pkg:pypi/x", "pypi", "ecosystems", "dependent_repos", 10.0, None),
    ])  # fmt: skip
    r = reach(s)
    s_dep = math.log(1000) / math.log(5e6 + 1)  # max of the two, bounded log against npm's ceiling
    s_dir = 1 - 2.0 / 100  # registry percentile from ecosyste.ms rankings
    s_dl = math.log(4001) / math.log(2e9 + 1)  # downloads summed
    assert r["ecosystem"] == "npm" and r["coverage"] == 3 and not r["flagged"]
    assert r["value"] == pytest.approx(round(100 * (0.5 * s_dep + 0.25 * s_dir + 0.25 * s_dl), 2))
    # renormalisation: two signals of three
    r2 = reach(s[s["signal"] != "dependents"])
    assert r2["value"] == pytest.approx(round(100 * (0.25 * s_dir + 0.25 * s_dl) / 0.5, 2))
    # one signal: flagged; pypi counts are never compared with npm counts
    r3 = reach(s[s["ecosystem"] == "pypi"])
    assert r3["coverage"] == 1 and r3["flagged"] and r3["ecosystem"] == "pypi"
    assert r3["value"] == pytest.approx(round(100 * math.log(11) / math.log(2e6 + 1), 2))
    assert reach(s.iloc[0:0])["value"] is None


def _activity(con: Any, repo: str, commits: int, stars: int) -> None:
    rid = con.execute(
        "INSERT INTO repos (full_name, owner, name, stars, forks) VALUES (?, ?, ?, ?, ?) RETURNING repo_id",
        [repo, *repo.split("/"), stars, stars // 10],
    ).fetchone()[0]
    base = con.execute("SELECT coalesce(max(person_id), 0) FROM people").fetchone()[0]
    people = max(1, commits // 50)
    for i in range(people):
        pid = base + i + 1
        con.execute(
            "INSERT INTO people (person_id, display_name) VALUES (?, ?)", [pid, f"dev{pid}"]
        )
        con.execute(
            "INSERT INTO identities (identity_key, person_id, source, name) VALUES (?, ?, 'git', ?)",
            [f"git:{pid}", pid, f"dev{pid}"],
        )
    ids = dict(con.execute("SELECT person_id, identity_id FROM identities").fetchall())
    t0 = datetime(2025, 1, 1, tzinfo=UTC)
    for n in range(commits):
        con.execute(
            "INSERT INTO commits (repo_id, sha, author_identity, authored_at, committed_at, n_parents) VALUES (?, ?, ?, ?, ?, 1)",
            [
                rid,
                f"{repo}-{n}",
                ids[base + 1 + n % people],
                t0 + timedelta(days=n % 300),
                t0 + timedelta(days=n % 300),
            ],
        )


def test_identical_dependency_data_identical_importance_whatever_the_activity(
    con, tmp_path: Path
) -> None:
    _cdx(tmp_path / "r.json", "org/r", [("X", "runtime"), ("Y", "runtime")], {})
    ingest(con, [tmp_path / "r.json"])
    pin_link(con, "pkg:npm/x", "busy/x")
    pin_link(con, "pkg:npm/y", "quiet/y")
    sig = _sig([
        (p, "npm", src, name, v, d)
        for p in ("pkg:npm/x", "pkg:npm/y")
        for src, name, v, d in [("depsdev", "dependents", 5000.0, "1.0.0"),
                                ("ecosystems", "dependent_packages", 300.0, None),
                                ("ecosystems", "downloads", 1e6, "last-month")]
    ])  # fmt: skip
    con.register("_s", sig)
    con.execute("INSERT INTO fund_signals SELECT * FROM _s")
    _activity(con, "busy/x", commits=400, stars=50_000)
    _activity(con, "quiet/y", commits=2, stars=3)
    df = compute_importance(con).set_index(["repo", "lens"])["value"]
    assert df[("busy/x", "reach")] == df[("quiet/y", "reach")] is not None
    assert (
        df[("busy/x", "exposure")] == df[("quiet/y", "exposure")] == pytest.approx(100.0)
    )  # 1 of 1 (flat)
    # the activity baseline does tell them apart: that is the difference a reader should see
    assert df[("busy/x", "criticality")] > df[("quiet/y", "criticality")]
