"""Funding path at scale: ingest 200 SBOMs with 50,000 components, enrich 5,000 packages.

Generates 200 SBOMs of 250 components each over a pool of 5,000 npm packages — 180 CycloneDX
1.6 with a dependency tree and 20 of GitHub's flat dependency-graph exports — ingests them into
a fresh store, then enriches every package against the local deps.dev + ecosyste.ms + registry
server (tests/fund/fake_services.py, 500 purl-batch answers a page). Every package has a
deps.dev graph (two dependencies each); one in ten has no repository known to deps.dev or
ecosyste.ms (half of those are known to npm); 50 packages are linked to repositories in the
store (the portfolio whose dependents are counted).

Targets (issue 18): ingest < 30 s; at most 50 batched requests per source. The batched
sources are ecosyste.ms's bulk lookup and deps.dev's purl batch (``enrich_requests`` is the
larger). deps.dev's dependents and dependency graphs and the registries have no batch
endpoint: they are one request a package (graphs: a package version; dependents: two where the
version used is not the default), so they are counted apart and kept small by asking only
whom they concern: dependents for the portfolio, graphs for the direct packages of flat SBOMs
that no fetched graph holds already, registries for packages without a link of 0.60 or more.

    .venv/bin/python benchmarks/bench_fund.py [N_SBOMS] [COMPONENTS_EACH] [N_PACKAGES] [N_FLAT]

Last line: key=value figures (ingest_seconds, components, enrich_packages, enrich_requests,
then each endpoint's count).
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ossmetrics.fund.depth import depth_info, flat_roots  # noqa: E402
from ossmetrics.fund.enrich import enrich  # noqa: E402
from ossmetrics.fund.importance import compute_importance  # noqa: E402
from ossmetrics.fund.ingest import ingest  # noqa: E402
from ossmetrics.store import connect  # noqa: E402
from tests.fund.fake_services import FakePackage, FakeServices  # noqa: E402
from tests.fund.payloads import depsdev_graph, npm_packument  # noqa: E402


def package(i: int) -> str:
    return f"pkg:npm/%40bench/p{i}" if i % 7 == 0 else f"pkg:npm/p{i}"


def npm_name(i: int) -> str:
    return f"@bench/p{i}" if i % 7 == 0 else f"p{i}"


def children(i: int, pool: int) -> list[int]:
    return sorted({(i * 7 + 1) % pool, (i * 13 + 5) % pool} - {i})


def github_export(s: int, picks: list[int]) -> dict[str, object]:
    root = f"SPDXRef-github-bench-app{s}-main"
    pkgs: list[dict[str, object]] = [{"name": f"com.github.bench/app{s}", "SPDXID": root,
                                      "versionInfo": "main", "downloadLocation": "NOASSERTION"}]  # fmt: skip
    rels = [{"relationshipType": "DESCRIBES", "spdxElementId": "SPDXRef-DOCUMENT", "relatedSpdxElement": root}]  # fmt: skip
    for i in picks:
        pkgs.append({"name": f"npm:{npm_name(i)}", "SPDXID": f"SPDXRef-p{i}", "versionInfo": "1.0.0",
                     "downloadLocation": "NOASSERTION",
                     "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
                                       "referenceLocator": f"{package(i)}@1.0.0"}]})  # fmt: skip
        rels.append({"relationshipType": "DEPENDS_ON", "spdxElementId": root, "relatedSpdxElement": f"SPDXRef-p{i}"})  # fmt: skip
    return {"sbom": {"spdxVersion": "SPDX-2.3", "dataLicense": "CC0-1.0", "SPDXID": "SPDXRef-DOCUMENT",
                     "name": f"com.github.bench/app{s}", "documentNamespace": "https://spdx.org/spdxdocs/bench",
                     "creationInfo": {"creators": ["Tool: GitHub.com-Dependency-Graph"], "created": "2026-01-01T00:00:00Z"},
                     "packages": pkgs, "relationships": rels}}  # fmt: skip


def write_sboms(folder: Path, n_sboms: int, each: int, pool: int, n_flat: int) -> None:
    rng = random.Random(18)
    for s in range(n_sboms):
        picks = rng.sample(range(pool), each)
        if s >= n_sboms - n_flat:
            (folder / f"app{s}.github.json").write_text(json.dumps(github_export(s, picks)))
            continue
        comps = [
            {"bom-ref": f"c{i}", "type": "library", "name": f"p{i}", "version": "1.0.0",
             "purl": f"{package(i)}@1.0.0"}
            for i in picks
        ]  # fmt: skip
        deps = [{"ref": "root", "dependsOn": [f"c{i}" for i in picks[:20]]}]
        for k, i in enumerate(picks[20:], 20):  # a tree: each later component under an earlier one
            parent = picks[rng.randrange(0, k)]
            deps.append({"ref": f"c{parent}", "dependsOn": [f"c{i}"]})
        bom = {
            "bomFormat": "CycloneDX", "specVersion": "1.6",
            "metadata": {"component": {"bom-ref": "root", "type": "application", "name": f"bench/app{s}"}},
            "components": comps, "dependencies": deps,
        }  # fmt: skip
        (folder / f"app{s}.cdx.json").write_text(json.dumps(bom))


def main() -> None:
    n_sboms = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    each = int(sys.argv[2]) if len(sys.argv) > 2 else 250
    pool = int(sys.argv[3]) if len(sys.argv) > 3 else 5000
    n_flat = int(sys.argv[4]) if len(sys.argv) > 4 else 20
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "sboms"
        folder.mkdir()
        write_sboms(folder, n_sboms, each, pool, n_flat)
        con = connect(Path(tmp) / "bench.duckdb")
        t = time.perf_counter()
        res = ingest(con, [folder])
        ingest_s = time.perf_counter() - t
        t = time.perf_counter()
        compute_importance(con)
        importance_s = time.perf_counter() - t
        used = [
            r[0] for r in con.execute("SELECT DISTINCT package FROM fund_components").fetchall()
        ]
        index = {package(i): i for i in range(pool)}
        fakes = [
            FakePackage(p, "1.0.0", repo=None if index[p] % 10 == 3 else f"bench/r{index[p]}")
            for p in used
        ]
        portfolio = [f"bench/r{index[p]}" for p in used if index[p] % 10 != 3][:50]
        for name in portfolio:
            con.execute("INSERT INTO repos (full_name, owner, name) VALUES (?, 'bench', ?)",
                        [name, name.split("/")[1]])  # fmt: skip
        with FakeServices(fakes, page_size=500) as svc:
            for p in used:
                i = index[p]
                kids = children(i, pool)
                svc.graphs[("NPM", npm_name(i), "1.0.0")] = depsdev_graph(
                    "NPM", npm_name(i), "1.0.0", [(npm_name(i), npm_name(k)) for k in kids],
                    {npm_name(k): "1.0.0" for k in kids},
                )  # fmt: skip
                if i % 20 == 3:  # half of the packages without a service link are known to npm
                    path = "/npm/" + npm_name(i).replace("/", "%2F")
                    svc.registry[path] = npm_packument(npm_name(i), f"github:bench/r{i}")
            t = time.perf_counter()
            er = enrich(con, depsdev_url=svc.url, ecosystems_url=svc.url,
                        registry_urls=svc.registry_urls, dependents="portfolio")  # fmt: skip
            enrich_s = time.perf_counter() - t
        info = depth_info(con)
        roots = flat_roots(con)
        distinct_direct = len(set(zip(roots["package"], roots["version"], strict=True)))
        unresolved = con.execute(
            "SELECT count(DISTINCT package) FROM fund_components WHERE package NOT IN "
            "(SELECT package FROM fund_links)"
        ).fetchone()
        con.close()
    k = er.by_kind
    eco, batch = k["ecosyste.ms"], k["deps.dev purlbatch"]
    graphs, dep, pkg, npm = (k["deps.dev dependencies"], k["deps.dev dependents"],
                             k["deps.dev package"], k["npm"])  # fmt: skip
    print(f"ingest: {res.documents} SBOMs ({res.flat} flat), {res.components} components, {res.edges} edges in {ingest_s:.2f} s "
          f"({res.components / ingest_s:,.0f} components/s; target < 30 s)")  # fmt: skip
    print(f"importance (both lenses, {len(used)} packages): {importance_s:.2f} s")
    print(f"enrich: {er.packages} packages in {enrich_s:.2f} s; batched: ecosyste.ms {eco} "
          f"(bulk lookup, 100 a request), deps.dev purl batch {batch} (answered 500 a page); "
          f"target <= 50 per source")  # fmt: skip
    print(f"  one request a package (no batch endpoint): deps.dev dependency graphs {graphs} for "
          f"{distinct_direct} distinct direct packages of {n_flat} flat SBOMs (the rest held by graphs already "
          f"fetched; {len(info.deep_docs)} of {n_flat} SBOMs got depth); deps.dev dependents {dep} "
          f"+ {pkg} version lookups for {len(portfolio)} portfolio packages (was 2 each); "
          f"npm {npm} for the packages without a link of 0.60 or more; "
          f"{unresolved[0] if unresolved else 0} packages left unresolved")  # fmt: skip
    print(
        f"ingest_seconds={ingest_s:.2f} components={res.components} enrich_packages={er.packages} "
        f"enrich_requests={max(eco, batch)} enrich_requests_ecosystems={eco} "
        f"enrich_requests_depsdev_batch={batch} enrich_requests_depsdev_dependencies={graphs} "
        f"enrich_requests_depsdev_dependents={dep} enrich_requests_depsdev_package={pkg} "
        f"enrich_requests_npm={npm} enrich_requests_pypi={k['PyPI']} "
        f"enrich_requests_crates={k['crates.io']} enrich_requests_rubygems={k['RubyGems']} "
        f"depth_sboms={len(info.deep_docs)} flat_sboms={n_flat} "
        f"enrich_seconds={enrich_s:.2f} importance_seconds={importance_s:.2f}"
    )


if __name__ == "__main__":
    main()
