"""GitHub collector: a full sync of a generated repository against the local API server.

Prints the requests used against the minimum the REST API allows (ceil(items/100) per list,
one reviews request per pull request, one each for the repository, community profile and
releases), the items per second, and what a second sync of the unchanged repository costs.

    .venv/bin/python benchmarks/bench_github.py [N_ISSUES_AND_PRS]   # default 10000
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing as mp
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ossmetrics.collect.github import collect_github  # noqa: E402
from ossmetrics.errors import GitHubUnavailable  # noqa: E402
from ossmetrics.store import connect  # noqa: E402
from tests.github_server import FakeGitHub, fast_policy  # noqa: E402

SHAPE = dict(
    pr_every=2, comments_per_issue=2, reviews_per_pr=2, review_comments_per_pr=1,
    releases=30, commits=250, rate_limit=1_000_000,
)  # fmt: skip


def serve(n: int, queue: Any, stop: Any) -> None:
    """The API server in its own process, so it does not share the collector's GIL."""
    gh = FakeGitHub("bench/big", issues=n, **SHAPE)  # type: ignore[arg-type]
    counts = (
        len(gh.reviews),
        len(gh.comments),
        len(gh.review_comments),
        len(gh.releases),
        len(gh.commits),
    )
    with gh:
        queue.put((gh.url, counts))
        stop.wait()


def unreachable_seconds() -> float:
    """Seconds until ``collect_github`` gives up on a closed port with the tests' retry policy
    (millisecond backoffs): a refused connection must be reported at once, not waited out."""
    with tempfile.TemporaryDirectory() as tmp:
        con = connect(Path(tmp) / "unreachable.duckdb")
        t = time.monotonic()
        with contextlib.suppress(GitHubUnavailable):
            collect_github(
                con, "bench/big", token=None, api_url="http://127.0.0.1:9", policy=fast_policy()
            )
        seconds = time.monotonic() - t
        con.close()
    return seconds


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    t0 = time.monotonic()
    queue: Any = mp.Queue()
    stop = mp.Event()
    proc = mp.Process(target=serve, args=(n, queue, stop), daemon=True)
    proc.start()
    url, (n_prs, n_com, n_rc, n_rel, n_commits) = queue.get(timeout=600)
    print(f"generated {n} issues+PRs ({n_prs} PRs), {n_com} comments, {n_rc} review comments, "
          f"{n_prs * 2} reviews in {time.monotonic() - t0:.1f} s")  # fmt: skip
    minimum = (
        2  # repository + community profile
        + math.ceil(n / 100)
        + math.ceil(n_com / 100)
        + math.ceil(n_rc / 100)
        + n_prs  # reviews: no repository-wide endpoint
        + math.ceil(n_rel / 100)
        + math.ceil(n_commits / 100)
    )
    try:
        with tempfile.TemporaryDirectory() as tmp:
            con = connect(Path(tmp) / "bench.duckdb")
            policy = fast_policy()
            first = collect_github(con, "bench/big", token="bench", api_url=url, policy=policy)
            items = sum(first.items.values())
            second = collect_github(con, "bench/big", token="bench", api_url=url, policy=policy)
            rows = con.execute(
                "SELECT (SELECT count(*) FROM issues), (SELECT count(*) FROM comments)"
            ).fetchone()
            con.close()
    finally:
        stop.set()
        proc.join(timeout=10)
    assert rows is not None
    items_per_s = items / first.seconds
    print(f"first sync: {first.requests} requests (minimum {minimum}, ratio {first.requests / minimum:.3f}), "
          f"{items} items in {first.seconds:.1f} s = {items_per_s:.0f} items/s; rows issues={rows[0]} comments={rows[1]}")  # fmt: skip
    print(f"second sync (unchanged): {second.requests} requests, {second.not_modified} answered 304, "
          f"{second.seconds:.2f} s")  # fmt: skip
    unreachable = unreachable_seconds()
    print(f"unreachable API (closed port): failed after {unreachable:.2f} s (target < 5)")
    print(
        f"requests={first.requests} minimum={minimum} second_sync_requests={second.requests} "
        f"not_modified={second.not_modified} items_per_s={items_per_s:.0f} "
        f"unreachable_seconds={unreachable:.2f}"
    )


if __name__ == "__main__":
    main()
