"""Risk model benchmarks: training time on the corpus, scoring throughput, portfolio scoring.

Prints figures and ratios; the last line is ``key=value`` figures.

1. **Training on the corpus** (CPU, and CUDA when present): data-set build from a store loaded
   with the shared corpus, and training of the shipped configuration. ``--dataset PKL`` reuses
   a data set pickled by an earlier run (the build is then not timed).
2. **Scoring throughput** on a synthetic graph (edges/s of one inference pass), for our model
   with CSR and index_add aggregation and, as the reference, a plain 2-layer PyG ``SAGEConv``
   with hidden size 64 on the same graph. CPU size: ``--cpu-nodes`` / ``--cpu-edges`` (default
   200k / 2M, about a minute here); the 10M-node / 100M-edge case runs only with CUDA.
3. **Portfolio scoring**: ``score_projects`` end to end on a synthetic store of 1,000 projects
   whose truck factors the graph stage has stored (as the nightly pipeline leaves them).

Usage: ``.venv/bin/python benchmarks/bench_risk.py [--quick] [--dataset PKL]``
"""

from __future__ import annotations

import argparse
import hashlib
import pickle
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ossmetrics.risk.features import FEATURES
from ossmetrics.risk.model import RiskBatch, RiskGNN


def _synthetic_batch(n: int, e: int, graphs: int, device: str, seed: int = 0) -> RiskBatch:
    g = torch.Generator().manual_seed(seed)
    idx = torch.randint(0, n, (2, e), generator=g)
    work = torch.randint(0, n, (2, e // 10), generator=g)
    work[0] = torch.randint(0, max(1, n // 10), (e // 10,), generator=g)
    return RiskBatch(
        x_project=torch.randn(graphs, len(FEATURES), generator=g),
        x_contributor=torch.randn(n, 10, generator=g),
        contributor_batch=torch.sort(torch.randint(0, graphs, (n,), generator=g)).values,
        share=torch.rand(n, generator=g),
        collab_index=idx,
        collab_weight=torch.rand(e, generator=g),
        x_other=torch.randn(max(1, n // 10), 5, generator=g),
        work_index=work,
        work_weight=torch.rand(e // 10, generator=g),
    ).to(device)


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def throughput(n: int, e: int, device: str, repeats: int = 3) -> dict[str, float]:
    """Edges/s of one inference pass: ours (csr, index_add) and a 2-layer SAGEConv(64).

    The reference needs PyTorch Geometric (the ``bench`` extra: ``pip install '.[bench]'``);
    without it the SAGEConv figure is NaN and a line says why.
    """
    out: dict[str, float] = {}
    b = _synthetic_batch(n, e, max(1, n // 20), device)
    if device.startswith("cuda"):
        torch.cuda.reset_peak_memory_stats()
    for impl in ("csr", "index_add"):
        model = RiskGNN(len(FEATURES), 10, 5, hidden_channels=64, aggr_impl=impl).to(device).eval()
        with torch.no_grad():
            b.prepare() if impl == "csr" else None
            model(b)
            _sync(device)
            t = time.perf_counter()
            for _ in range(repeats):
                model(b)
            _sync(device)
        out[f"ours_{impl}_edges_per_s"] = e * repeats / (time.perf_counter() - t)
    try:
        from torch_geometric.nn import SAGEConv
    except ImportError:
        print("torch_geometric is not installed (pip install '.[bench]'): no SAGEConv reference")
        out["sage_edges_per_s"] = float("nan")
        if device.startswith("cuda"):
            out["peak_gpu_mib"] = torch.cuda.max_memory_allocated() / 2**20
        return out

    class Sage(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.c1, self.c2 = SAGEConv(10, 64), SAGEConv(64, 64)

        def forward(self, x: torch.Tensor, ei: torch.Tensor) -> torch.Tensor:
            return self.c2(self.c1(x, ei).relu(), ei)

    sage = Sage().to(device).eval()
    with torch.no_grad():
        sage(b.x_contributor, b.collab_index)
        _sync(device)
        t = time.perf_counter()
        for _ in range(repeats):
            sage(b.x_contributor, b.collab_index)
        _sync(device)
    out["sage_edges_per_s"] = e * repeats / (time.perf_counter() - t)
    if device.startswith("cuda"):
        out["peak_gpu_mib"] = torch.cuda.max_memory_allocated() / 2**20
    return out


def _portfolio_store(path: Path, n_repos: int) -> None:
    """n_repos projects, 80 commits each by 4 people over 2 years, truck factors stored."""
    from ossmetrics.store import connect

    con = connect(path)
    n_people = n_repos * 3
    con.execute(
        "INSERT INTO people (person_id, display_name, is_bot) SELECT i, 'p' || i, false FROM range(1, ?) t(i)",
        [n_people + 1],
    )
    con.execute(
        "INSERT INTO identities (identity_key, person_id, source, email) SELECT 'git:p' || i, i, 'git', 'p' || i || '@x' FROM range(1, ?) t(i)",
        [n_people + 1],
    )
    con.execute(
        "INSERT INTO repos (full_name, owner, name) SELECT 'org/r' || i, 'org', 'r' || i FROM range(1, ?) t(i)",
        [n_repos + 1],
    )
    ids = dict(con.execute("SELECT identity_key, identity_id FROM identities").fetchall())
    rng = np.random.default_rng(0)
    t0 = datetime(2023, 1, 1, tzinfo=UTC)
    rows: dict[str, list] = {"repo_id": [], "sha": [], "author_identity": [], "committed_at": []}
    for r in range(1, n_repos + 1):
        people = [1 + (3 * r + k) % n_people for k in range(4)]  # neighbours share people
        for c in range(80):
            rows["repo_id"].append(r)
            rows["sha"].append(hashlib.sha1(f"{r}-{c}".encode()).hexdigest())
            rows["author_identity"].append(ids[f"git:p{people[int(rng.integers(0, 4))]}"])
            rows["committed_at"].append(t0 + timedelta(days=int(rng.integers(0, 700))))
    tbl = pa.table(
        {
            "repo_id": pa.array(rows["repo_id"], pa.int32()),
            "sha": rows["sha"],
            "author_identity": pa.array(rows["author_identity"], pa.int32()),
            "committed_at": pa.array(rows["committed_at"], pa.timestamp("us", tz="UTC")),
        }
    )
    con.register("_b", tbl)
    con.execute(
        "INSERT INTO commits (repo_id, sha, author_identity, committer_identity, authored_at, committed_at, n_parents) "
        "SELECT repo_id, sha, author_identity, author_identity, committed_at, committed_at, 1 FROM _b"
    )
    con.execute(
        "INSERT INTO commit_files (repo_id, sha, path, added, deleted) SELECT repo_id, sha, 'f' || (hash(sha) % 5), 3, 1 FROM _b"
    )
    end = con.execute("SELECT max(committed_at)::DATE FROM commits").fetchone()[0]
    con.execute(
        """INSERT INTO graph_repo_measures (repo_id, as_of, measure, value, detail)
           SELECT repo_id, ?, 'truck_factor', 1,
                  '{"key_people": [' || arg_max(i.person_id, n) || '], "bus_factor_all_history": 1}'
           FROM (SELECT c.repo_id, c.author_identity, count(*) n FROM commits c GROUP BY ALL) x
           JOIN identities i ON i.identity_id = x.author_identity GROUP BY repo_id""",
        [end],
    )
    con.close()


def portfolio(n_repos: int) -> dict[str, float]:
    from ossmetrics.risk.score import score_projects
    from ossmetrics.store import connect

    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "p.duckdb"
        t = time.perf_counter()
        _portfolio_store(p, n_repos)
        build = time.perf_counter() - t
        con = connect(p)
        t = time.perf_counter()
        df = score_projects(con, device="cpu")
        secs = time.perf_counter() - t
        explain_s = _explain_seconds(con, ["org/r1", "org/r2", "org/r3"])
        con.close()
    return {
        "portfolio_projects": float(len(df)),
        "portfolio_score_s": secs,
        "portfolio_build_s": build,
        "explain_without_s": explain_s,
    }


def _explain_seconds(con: object, repos: list[str]) -> float:
    """Mean seconds of one ``explain(repo, without=<its first contributor>)`` call in-process.

    The report stage makes this call once per project (its what-if), so this is the per-project
    cost of a nightly report; every project of the store stays context for the features.
    """
    from ossmetrics.risk.explanation import explain

    secs = []
    for repo in repos:
        first = explain(con, repo).people[0].person_id  # type: ignore[arg-type]
        t = time.perf_counter()
        explain(con, repo, without=str(first))  # type: ignore[arg-type]
        secs.append(time.perf_counter() - t)
    return float(np.mean(secs))


def training(dataset: str | None, device: str) -> dict[str, float]:
    from ossmetrics.risk.dataset import build_dataset
    from ossmetrics.risk.train import train_model
    from ossmetrics.risk.train_types import TrainConfig

    out: dict[str, float] = {}
    if dataset:
        with open(dataset, "rb") as f:
            ds = pickle.load(f)
        out["dataset_build_s"] = out["truck_factor_series_s"] = float("nan")
    else:
        from ossmetrics.collect.corpus import load_corpus
        from ossmetrics.store import connect

        with tempfile.TemporaryDirectory() as d:
            con = connect(Path(d) / "c.duckdb")
            load_corpus(con)
            # the graph stage's step before training: truck factors at every snapshot date
            from ossmetrics.graph.series import store_truck_factors
            from ossmetrics.risk.dataset import snapshot_dates

            t = time.perf_counter()
            store_truck_factors(con, snapshot_dates(con))
            out["truck_factor_series_s"] = time.perf_counter() - t
            t = time.perf_counter()
            ds = build_dataset(con)
            out["dataset_build_s"] = time.perf_counter() - t
            con.close()
    tm = train_model(ds, TrainConfig(), device=device)
    out["train_s"] = tm.seconds
    out["train_epochs"] = float(tm.best_epoch + TrainConfig().patience + 1)
    out["snapshots"] = float(len(ds))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="small sizes, no corpus training")
    ap.add_argument("--dataset", help="pickled RiskDataset to train on (skip the build)")
    ap.add_argument("--cpu-nodes", type=int, default=200_000)
    ap.add_argument("--cpu-edges", type=int, default=2_000_000)
    ap.add_argument("--portfolio", type=int, default=1000)
    args = ap.parse_args()
    torch.manual_seed(0)
    figures: dict[str, float] = {}
    cuda = torch.cuda.is_available()
    print(
        f"torch {torch.__version__}, CUDA available: {cuda}, CPU threads: {torch.get_num_threads()}"
    )
    if not args.quick:
        tr = training(args.dataset, "cpu")
        built = (
            f"graph stage's truck-factor series {tr['truck_factor_series_s']:.1f} s, "
            f"then data set build {tr['dataset_build_s']:.1f} s"
            if args.dataset is None
            else f"data set read from {args.dataset} (its build not timed)"
        )
        print(
            f"corpus: {tr['snapshots']:.0f} snapshots; {built}; "
            f"training on CPU {tr['train_s']:.1f} s ({tr['train_epochs']:.0f} epochs)"
        )
        figures.update(
            {
                "cpu_truck_factor_series_s": tr["truck_factor_series_s"],
                "cpu_dataset_build_s": tr["dataset_build_s"],
                "cpu_train_s": tr["train_s"],
            }
        )
        if cuda:
            tg = training(args.dataset, "cuda")
            figures["cuda_train_s"] = tg["train_s"]
            print(f"training on CUDA {tg['train_s']:.1f} s")
        else:
            print("training on CUDA: not measured (no GPU)")
    n, e = (20_000, 200_000) if args.quick else (args.cpu_nodes, args.cpu_edges)
    with torch.no_grad():
        th = throughput(n, e, "cpu")
    print(
        f"CPU throughput, {n:,} nodes / {e:,} edges, hidden 64: ours csr {th['ours_csr_edges_per_s']:.3g} edges/s, "
        f"ours index_add {th['ours_index_add_edges_per_s']:.3g}, SAGEConv x2 {th['sage_edges_per_s']:.3g}; "
        f"csr / index_add = {th['ours_csr_edges_per_s'] / th['ours_index_add_edges_per_s']:.2f}, "
        f"ours csr / SAGE = {th['ours_csr_edges_per_s'] / th['sage_edges_per_s']:.2f}"
    )
    figures.update({f"cpu_{k}": v for k, v in th.items()})
    if cuda:
        tg = throughput(10_000_000, 100_000_000, "cuda")
        print(
            f"CUDA throughput 10M/100M: ours csr {tg['ours_csr_edges_per_s']:.3g} edges/s, "
            f"ours index_add {tg['ours_index_add_edges_per_s']:.3g}, SAGE {tg['sage_edges_per_s']:.3g}; "
            f"ours csr / SAGE = {tg['ours_csr_edges_per_s'] / tg['sage_edges_per_s']:.2f} (target >= 1); "
            f"peak {tg['peak_gpu_mib']:.0f} MiB"
        )
        figures.update({f"cuda_{k}": v for k, v in tg.items()})
    else:
        print("CUDA throughput (10M nodes / 100M edges) and peak GPU memory: not measured (no GPU)")
    pf = portfolio(100 if args.quick else args.portfolio)
    print(
        f"portfolio: scored {pf['portfolio_projects']:.0f} projects end to end on CPU in {pf['portfolio_score_s']:.1f} s "
        f"(target < 10 s; store built in {pf['portfolio_build_s']:.1f} s); one explain --without "
        f"call {pf['explain_without_s']:.2f} s"
    )
    figures.update(pf)
    print(" ".join(f"{k}={v:.4g}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
