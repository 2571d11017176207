"""Funding path at scale: ingest 200 SBOMs with 50,000 components, enrich 5,000 packages.

Generates 200 CycloneDX 1.6 SBOMs (250 components each, with a dependency tree) over a pool of
5,000 npm packages, ingests them into a fresh store, then enriches every package against the
local deps.dev + ecosyste.ms server (tests/fund/fake_services.py, 500 purl-batch answers a
page). Targets (issue 18): ingest < 30 s; at most 50 batched requests per source.

    .venv/bin/python benchmarks/bench_fund.py [N_SBOMS] [COMPONENTS_EACH] [N_PACKAGES]

Last line: key=value figures (ingest_seconds, components, enrich_packages, enrich_requests =
the most any one source needed, and each source's count).
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

from ossmetrics.fund.enrich import enrich  # noqa: E402
from ossmetrics.fund.importance import compute_importance  # noqa: E402
from ossmetrics.fund.ingest import ingest  # noqa: E402
from ossmetrics.store import connect  # noqa: E402
from tests.fund.fake_services import FakePackage, FakeServices  # noqa: E402


def package(i: int) -> str:
    return f"pkg:npm/%40bench/p{i}" if i % 7 == 0 else f"pkg:npm/p{i}"


def write_sboms(folder: Path, n_sboms: int, each: int, pool: int) -> None:
    rng = random.Random(18)
    for s in range(n_sboms):
        picks = rng.sample(range(pool), each)
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
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "sboms"
        folder.mkdir()
        write_sboms(folder, n_sboms, each, pool)
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
        fakes = [FakePackage(p, "1.0.0", repo=f"bench/{i}") for i, p in enumerate(used)]
        with FakeServices(fakes, page_size=500) as svc:
            t = time.perf_counter()
            er = enrich(con, depsdev_url=svc.url, ecosystems_url=svc.url, dependents="portfolio")
            enrich_s = time.perf_counter() - t
        con.close()
    eco, dd = er.requests["ecosyste.ms"], er.requests["deps.dev"]
    print(f"ingest: {res.documents} SBOMs, {res.components} components, {res.edges} edges in {ingest_s:.2f} s "
          f"({res.components / ingest_s:,.0f} components/s; target < 30 s)")  # fmt: skip
    print(f"importance (both lenses, {len(used)} packages): {importance_s:.2f} s")
    print(f"enrich: {er.packages} packages in {enrich_s:.2f} s; requests ecosyste.ms {eco} "
          f"(bulk lookup, 100 a request), deps.dev {dd} (purl batch, answered 500 a page); "
          f"target <= 50 per source; dependents fetched only for packages of repositories in the store (none here)")  # fmt: skip
    print(
        f"ingest_seconds={ingest_s:.2f} components={res.components} enrich_packages={er.packages} "
        f"enrich_requests={max(eco, dd)} enrich_requests_ecosystems={eco} enrich_requests_depsdev={dd} "
        f"enrich_seconds={enrich_s:.2f} importance_seconds={importance_s:.2f}"
    )


if __name__ == "__main__":
    main()
