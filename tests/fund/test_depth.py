"""Flat SBOMs given depth by deps.dev's dependency graphs: a hand-computed toy through
``fund enrich`` (local server) and the exposure lens, the fallback that remains, the cache."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ossmetrics.fund.depth import describe_depth
from ossmetrics.fund.enrich import enrich
from ossmetrics.fund.importance import compute_importance
from ossmetrics.fund.ingest import ingest
from ossmetrics.fund.links import pin_link
from ossmetrics.fund.plan import depth_note
from ossmetrics.report.funding import funding_frame
from tests.fund.fake_services import FakeServices
from tests.fund.payloads import depsdev_graph

V = {"c": "1.2.0", "d": "0.1.0", "e": "4.0.0"}
GRAPHS = {
    ("NPM", "a", "1.0.0"): depsdev_graph("NPM", "a", "1.0.0", [("a", "c"), ("a", "d"), ("c", "e")], V),
    ("NPM", "@s/b", "2.0.0"): depsdev_graph("NPM", "@s/b", "2.0.0", [("@s/b", "c"), ("c", "e")], V),
    ("NPM", "x", "1.0.0"): depsdev_graph("NPM", "x", "1.0.0", [], V),
}  # z@1.0.0 is unknown to deps.dev (404): a leaf  # fmt: skip


def _github_export(path: Path, repo: str, purls: list[str]) -> Path:
    """GitHub's dependency-graph export (``{"sbom": SPDX 2.3}``): flat, as GitHub writes it."""
    root = f"SPDXRef-github-{repo.replace('/', '-')}-main"
    pkgs = [
        {
            "name": f"com.github.{repo}",
            "SPDXID": root,
            "versionInfo": "main",
            "downloadLocation": f"git+https://github.com/{repo}",
            "filesAnalyzed": False,
        }
    ]
    rels = [{"relationshipType": "DESCRIBES", "spdxElementId": "SPDXRef-DOCUMENT",
             "relatedSpdxElement": root}]  # fmt: skip
    for i, p in enumerate(purls):
        pkgs.append({"name": p, "SPDXID": f"SPDXRef-p{i}", "versionInfo": p.rsplit("@", 1)[1],
                     "downloadLocation": "NOASSERTION",
                     "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER",
                                       "referenceType": "purl", "referenceLocator": p}]})  # fmt: skip
        rels.append({"relationshipType": "DEPENDS_ON", "spdxElementId": root,
                     "relatedSpdxElement": f"SPDXRef-p{i}"})  # fmt: skip
    doc = {"sbom": {"spdxVersion": "SPDX-2.3", "dataLicense": "CC0-1.0", "SPDXID": "SPDXRef-DOCUMENT",
                    "name": f"com.github.{repo}", "documentNamespace": "https://spdx.org/spdxdocs/x",
                    "creationInfo": {"creators": ["Tool: GitHub.com-Dependency-Graph"],
                                     "created": "2026-01-01T00:00:00Z"},
                    "packages": pkgs, "relationships": rels}}  # fmt: skip
    path.write_text(json.dumps(doc))
    return path


@pytest.fixture
def toy(con: Any, tmp_path: Path) -> Any:
    r1 = tmp_path / "r1.purls"
    r1.write_text("pkg:npm/a@1.0.0\npkg:npm/%40s/b@2.0.0\npkg:npm/z@1.0.0\n")
    ingest(con, [r1], org_repo="org/r1")
    ingest(con, [_github_export(tmp_path / "r2.json", "org/r2", ["pkg:npm/x@1.0.0"])])
    for pkg in ("a", "%40s/b", "c", "d", "e", "x", "z"):
        pin_link(con, f"pkg:npm/{pkg}", f"p/{pkg.rsplit('/', 1)[-1]}")
    return con


@pytest.fixture
def graphs() -> Any:
    with FakeServices([]) as s:
        s.graphs.update(GRAPHS)
        yield s


def _exposure(con: Any) -> dict[str, tuple[float, dict[str, Any]]]:
    df = compute_importance(con)
    ex = df[df["lens"] == "exposure"]
    return {r: (v, json.loads(d)) for r, v, d in zip(ex["repo"], ex["value"], ex["detail"], strict=True)}  # fmt: skip


def test_flat_sboms_trickle_down_depsdev_graphs(toy: Any, graphs: FakeServices) -> None:
    before = _exposure(toy)
    # flat without depth: repository counts, and c, d, e (used only indirectly) are not seen
    assert before["p/a"][0] == 50.0 and before["p/a"][1]["mode"] == "repository count"
    assert "p/c" not in before
    res = enrich(toy, depsdev_url=graphs.url, ecosystems_url=graphs.url, sleep=lambda _x: None)
    gets = [p for m, p, _ in graphs.requests if m == "GET"]
    assert gets == [  # one request a direct package, scoped names escaped whole
        "/v3/systems/NPM/packages/%40s%2Fb/versions/2.0.0:dependencies",
        "/v3/systems/NPM/packages/a/versions/1.0.0:dependencies",
        "/v3/systems/NPM/packages/z/versions/1.0.0:dependencies",
        "/v3/systems/NPM/packages/x/versions/1.0.0:dependencies",
    ]
    assert res.by_kind["deps.dev dependencies"] == 4
    edges = toy.execute(
        "SELECT root, version, parent, child, kind, source FROM fund_package_edges ORDER BY ALL"
    ).fetchall()
    assert edges == [
        ("pkg:npm/%40s/b", "2.0.0", "pkg:npm/%40s/b", "pkg:npm/c", "runtime", "deps.dev"),
        ("pkg:npm/%40s/b", "2.0.0", "pkg:npm/c", "pkg:npm/e", "runtime", "deps.dev"),
        ("pkg:npm/a", "1.0.0", "pkg:npm/a", "pkg:npm/c", "runtime", "deps.dev"),
        ("pkg:npm/a", "1.0.0", "pkg:npm/a", "pkg:npm/d", "runtime", "deps.dev"),
        ("pkg:npm/a", "1.0.0", "pkg:npm/c", "pkg:npm/e", "runtime", "deps.dev"),
    ]
    # By hand. r1 gives 1/3 to each of a, b, z. z has no graph (404): keeps 1/3. a keeps 1/6
    # and passes 1/12 to c and to d; b keeps 1/6 and passes 1/6 to c. c (depth 2) gets 1/4,
    # keeps 1/8, passes 1/8 to e; d keeps 1/12; e (depth 3) keeps 1/8. r2: x keeps 1.
    # The organisation's share = mean over its 2 repositories; exposure = 100 x share.
    want = {"p/a": 100 / 12, "p/b": 100 / 12, "p/z": 100 / 6, "p/c": 100 / 16,
            "p/d": 100 / 24, "p/e": 100 / 16, "p/x": 50.0}  # fmt: skip
    after = _exposure(toy)
    assert {r: v for r, (v, _) in after.items()} == pytest.approx(want)
    assert sum(want.values()) == pytest.approx(100.0)
    d = after["p/e"][1]
    assert (d["mode"], d["repos_reaching"], d["repos_direct"]) == ("trickle", 1, 0)
    assert (d["depth_from_depsdev"], d["without_depth"]) == (["org/r1", "org/r2"], [])
    assert depth_note(d) == " (depth from deps.dev for org/r1, org/r2)"
    line = describe_depth(toy)
    assert (
        "r1.purls (2 of 3 direct packages)" in line and "r2.json (1 of 1 direct packages)" in line
    )
    assert line.endswith("; still without depth: none")

    # offline: the graphs come back from the cache alone, no request
    toy.execute("DELETE FROM fund_package_edges")
    n = len(graphs.requests)
    enrich(toy, depsdev_url=graphs.url, ecosystems_url=graphs.url, offline=True)
    assert len(graphs.requests) == n
    assert {r: v for r, (v, _) in _exposure(toy).items()} == pytest.approx(want)


def test_a_flat_sbom_deps_dev_cannot_deepen_still_falls_back(
    toy: Any, graphs: FakeServices, tmp_path: Path
) -> None:
    r3 = tmp_path / "r3.purls"
    # no version, or a range a manifest without a lockfile leaves: deps.dev cannot be asked
    r3.write_text("pkg:npm/q\npkg:npm/w@%5E1.2.0\npkg:npm/v@1.x\n")
    ingest(toy, [r3], org_repo="org/r3")
    enrich(toy, depsdev_url=graphs.url, ecosystems_url=graphs.url, sleep=lambda _x: None)
    assert graphs.count(r"/packages/(q|w|v)/") == 0
    ex = _exposure(toy)
    d = ex["p/c"][1]
    assert (d["mode"], d["depth_from_depsdev"], d["without_depth"]) == (
        "repository count", ["org/r1", "org/r2"], ["org/r3"],
    )  # fmt: skip
    # the graphs still say who reaches c: r1 of 3 repositories
    assert ex["p/c"][0] == pytest.approx(100 / 3)
    assert describe_depth(toy).endswith(f"; still without depth: {r3}")
    frame = funding_frame(toy).set_index("key")
    assert frame.loc["p/c", "exposure_mode"] == (
        "repository count (depth from deps.dev for org/r1, org/r2; "
        "no depth for org/r3, so repository counts)"
    )


def test_a_graph_in_the_wrong_shape_is_a_warning(toy: Any, graphs: FakeServices) -> None:
    graphs.graphs[("NPM", "x", "1.0.0")] = {"nodes": [], "edges": [{"fromNode": 0, "toNode": 3}]}
    res = enrich(toy, depsdev_url=graphs.url, ecosystems_url=graphs.url, sleep=lambda _x: None)
    assert res.warnings == [
        "deps.dev pkg:npm/x@1.0.0: dependency graph unreadable (edge 0 -> 3 names no node); "
        "no depth from it"
    ]
    assert toy.execute(
        "SELECT count(*) FROM fund_package_edges WHERE root = 'pkg:npm/x'"
    ).fetchone() == (0,)


def test_a_package_already_in_a_graph_is_not_asked(
    toy: Any, graphs: FakeServices, tmp_path: Path
) -> None:
    # GitHub's export lists transitive packages too: c@1.2.0 and e@4.0.0 are nodes of a's graph
    r4 = ["pkg:npm/a@1.0.0", "pkg:npm/c@1.2.0", "pkg:npm/e@4.0.0"]
    ingest(toy, [_github_export(tmp_path / "r4.json", "org/r4", r4)])
    enrich(toy, depsdev_url=graphs.url, ecosystems_url=graphs.url, sleep=lambda _x: None)
    assert graphs.count(r":dependencies$") == 4  # b, a, z, x; not c nor e
    assert "r4.json (3 of 3 direct packages)" in describe_depth(toy)
    # r4 by hand: a, c, e get 1/3 each. a keeps 1/6, passes 1/12 to c and d; c keeps 1/6,
    # passes 1/6 to e; e keeps 1/3. Depth 2: e keeps 1/6; c keeps 1/24, passes 1/24 to e;
    # d keeps 1/12. Depth 3: e keeps 1/24. So c 5/24, e 13/24 (r1: c 1/8, e 1/8; r2: none).
    ex = _exposure(toy)
    assert ex["p/c"][0] == pytest.approx(100 * (1 / 8 + 5 / 24) / 3)
    assert ex["p/e"][0] == pytest.approx(100 * (1 / 8 + 13 / 24) / 3)


def test_a_failing_graph_stops_cleanly_and_the_next_run_completes(
    toy: Any, graphs: FakeServices
) -> None:
    from ossmetrics.errors import ServiceError

    graphs.fail(r"/packages/z/versions/1\.0\.0:dependencies$", 503, times=5)
    with pytest.raises(ServiceError, match="HTTP 503 after 5 attempts"):
        enrich(toy, depsdev_url=graphs.url, ecosystems_url=graphs.url, sleep=lambda _x: None)
    # the graphs fetched before the failure are kept (b, then a), nothing derived half-way
    assert toy.execute(
        "SELECT key FROM fund_cache WHERE source = 'depsdev_dependencies' ORDER BY key"
    ).fetchall() == [("pkg:npm/%40s/b@2.0.0",), ("pkg:npm/a@1.0.0",)]
    enrich(toy, depsdev_url=graphs.url, ecosystems_url=graphs.url, sleep=lambda _x: None)
    assert graphs.count(r"/(a|%40s%2Fb)/versions/.*:dependencies$") == 2  # not asked again
    assert "still without depth: none" in describe_depth(toy)


def test_fund_plan_names_the_sboms_with_and_without_depth(
    toy: Any, graphs: FakeServices, tmp_path: Path, db_path: Path, cli: Any
) -> None:
    (tmp_path / "r3.purls").write_text("pkg:npm/q\n")
    ingest(toy, [tmp_path / "r3.purls"], org_repo="org/r3")
    enrich(toy, depsdev_url=graphs.url, ecosystems_url=graphs.url, sleep=lambda _x: None)
    for i, repo in enumerate(["p/c", "p/x"], 1):
        toy.execute(
            "INSERT INTO repos (repo_id, full_name, owner, name) VALUES (?, ?, 'p', ?)",
            [i, repo, repo[2:]],
        )
        toy.execute(
            "INSERT INTO risk_scores VALUES (?, DATE '2025-12-01', 'test', 0.5, 0.1, 50, '[]', "
            "TIMESTAMPTZ '2026-01-01 00:00:00+00')",
            [i],
        )
    compute_importance(toy)
    toy.close()
    r = cli("--db", str(db_path), "fund", "plan", "--budget", "1000", "--floor", "0", "--cap", "1",
            "--format", "csv")  # fmt: skip
    assert r.returncode == 0, r.stderr
    why = {row.split(",")[0]: row for row in r.stdout.splitlines()[1:]}
    assert (
        "(depth from deps.dev for org/r1, org/r2; no depth for org/r3, so repository counts)"
        in why["p/c"]
    )
    assert f"still without depth: {tmp_path / 'r3.purls'}" in r.stderr


def test_a_4xx_for_one_graph_is_a_warning_and_unknown(toy: Any, graphs: FakeServices) -> None:
    graphs.fail(r"/packages/a/versions/1\.0\.0:dependencies$", 400, times=1)
    res = enrich(toy, depsdev_url=graphs.url, ecosystems_url=graphs.url, sleep=lambda _x: None)
    assert res.warnings == [
        "deps.dev pkg:npm/a@1.0.0: dependency graph answered HTTP 400; kept as unknown"
    ]
    # a is a leaf now (like z); b's graph still gives r1 depth
    assert "r1.purls (1 of 3 direct packages)" in describe_depth(toy)
