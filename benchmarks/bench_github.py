"""GitHub collector: REST-only against GraphQL first sync of a generated repository, the
unchanged re-sync, the measured cost of reviews of changed PRs both ways, catch-ups of k changed
items (new comments and inline review comments) by REST listings against GraphQL, and a
200-repository portfolio planned against one token's budgets.

Prints the REST-only first sync's requests against the REST minimum (ceil(items/100) per
list, one reviews request per pull request, one each for the repository, community profile
and releases); the GraphQL first sync's requests and points, with the rows of both compared
table by table; what a second sync of the unchanged repository costs; and the planned hours
for 200 repositories of this size with one token (5,000 REST requests and 5,000 GraphQL points
an hour), by GraphQL and by REST only.

    .venv/bin/python benchmarks/bench_github.py [N_ISSUES_AND_PRS]   # default 10000
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing as mp
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ossmetrics.collect.github import _GraphQLSwitch, collect_github  # noqa: E402
from ossmetrics.collect.github_schedule import Job, plan  # noqa: E402
from ossmetrics.errors import GitHubUnavailable  # noqa: E402
from ossmetrics.store import connect  # noqa: E402
from tests.collect.test_github_graphql import snapshot  # noqa: E402
from tests.github_server import FakeGitHub, fast_policy  # noqa: E402

SHAPE = dict(
    pr_every=2, comments_per_issue=2, reviews_per_pr=2, review_comments_per_pr=1,
    releases=30, commits=250, rate_limit=1_000_000, graphql_limit=1_000_000,
)  # fmt: skip
PORTFOLIO = 200
#: (changed items, new comments on each): the benchmark's density, and a busier one
CATCHUPS = ((100, 2), (250, 2), (500, 2), (1000, 2), (2000, 2), (500, 6))


def serve(n: int, queue: Any, stop: Any, touch: Any) -> None:
    """The API server in its own process, so it does not share the collector's GIL."""
    from tests.github_graphql_server import github_schema

    github_schema()
    gh = FakeGitHub("bench/big", issues=n, graphql=True, **SHAPE)  # type: ignore[arg-type]
    counts = (
        len(gh.reviews),
        len(gh.comments),
        len(gh.review_comments),
        len(gh.releases),
        len(gh.commits),
    )
    with gh:
        queue.put((gh.url, counts))
        while not stop.is_set():
            try:
                numbers = touch.get(timeout=0.2)
            except Exception:
                continue
            if numbers and numbers[0] == "activity":  # new comments, spread over hours
                when, per = datetime.fromisoformat(numbers[1]), int(numbers[2])
                gh.add_activity(list(numbers[3:]), per, when=when, step=timedelta(seconds=20))
            else:
                for k in numbers:
                    gh.touch_issue(k)
            queue.put("touched")


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
    touch: Any = mp.Queue()
    stop = mp.Event()
    proc = mp.Process(target=serve, args=(n, queue, stop, touch), daemon=True)
    proc.start()
    url, (n_prs, n_com, n_rc, n_rel, n_commits) = queue.get(timeout=900)
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
    policy = fast_policy()

    def sync(con: Any, **kw: Any) -> Any:
        return collect_github(con, "bench/big", token="bench", api_url=url, policy=policy, **kw)

    def touched(numbers: list[int]) -> None:
        time.sleep(1.1)  # update times have one-second resolution: each touch is newer
        touch.put(numbers)
        assert queue.get(timeout=60) == "touched"

    try:
        with tempfile.TemporaryDirectory() as tmp:
            rcon = connect(Path(tmp) / "rest.duckdb")
            rest = sync(rcon, graphql=False)
            gcon = connect(Path(tmp) / "graphql.duckdb")
            gql = sync(gcon)
            same = snapshot(rcon) == snapshot(gcon)
            rows = gcon.execute(
                "SELECT (SELECT count(*) FROM issues), (SELECT count(*) FROM comments)"
            ).fetchone()
            second = sync(gcon)
            # reviews of k changed PRs: one REST request each, or GraphQL (1 query per 50)
            switch = []
            for k in (1, 2, 3, 5, 10, 50):
                prs = [2 * (i + 1) for i in range(k)]
                touched(prs)
                by_rest = sync(gcon, graphql_reviews_above=10**9)
                touched(prs)
                by_gql = sync(gcon, graphql_reviews_above=0)
                switch.append((k, by_rest.cost, by_gql.cost, by_gql.graphql_requests))
            # catch-ups of k changed items (2 new comments each, an inline one on each PR):
            # REST listings (reviews by GraphQL, as above) against the GraphQL catch-up
            sync(rcon, graphql_catchup_above=10**9)  # the REST store up to date again
            catchup = []
            for i, (k, per) in enumerate([c for c in CATCHUPS if c[0] <= n // 2]):
                # each catch-up's changes 20 s apart over hours (not all inside the 60-s
                # overlap that closing requests re-read), a day after the last one's
                when = datetime.now(UTC) + timedelta(days=1 + i)
                touched(["activity", when.isoformat(), per, *range(1, k + 1)])
                by_rest = sync(rcon, graphql_catchup_above=10**9)
                _GraphQLSwitch.force_catchup = True  # GraphQL even where the model says REST
                by_gql = sync(gcon, graphql_catchup_above=0)
                _GraphQLSwitch.force_catchup = False
                catchup.append((k, per, by_rest, by_gql))
            catchup_same = snapshot(rcon) == snapshot(gcon)
            rcon.close()
            gcon.close()
    finally:
        stop.set()
        proc.join(timeout=10)
    assert rows is not None
    items = sum(rest.items.values())
    items_per_s = items / rest.seconds
    gql_rest = gql.requests - gql.graphql_requests
    gql_total = gql.requests + gql.graphql_points
    ratio = gql_total / rest.requests
    print(f"REST-only first sync: {rest.requests} requests (minimum {minimum}, ratio "
          f"{rest.requests / minimum:.3f}), {items} items in {rest.seconds:.1f} s = {items_per_s:.0f} items/s")  # fmt: skip
    print(f"GraphQL first sync: {gql.graphql_requests} queries costing {gql.graphql_points} points "
          f"+ {gql_rest} REST requests = {gql_total} requests + points "
          f"({100 * ratio:.1f}% of REST-only) in {gql.seconds:.1f} s; "
          f"rows issues={rows[0]} comments={rows[1]}; every table identical to REST: {same}")  # fmt: skip
    print(f"second sync (unchanged): {second.requests} requests, {second.not_modified} answered 304, "
          f"{second.graphql_requests} GraphQL queries, {second.seconds:.2f} s")  # fmt: skip
    unreachable = unreachable_seconds()
    print(f"unreachable API (closed port): failed after {unreachable:.2f} s (target < 5)")
    print("reviews of k changed PRs, cost of the run (requests not answered 304 + points)")
    for k, c_rest, c_gql, q in switch:
        print(f"  k={k:>3}: REST {c_rest:>4}  GraphQL {c_gql:>4} ({q} review queries)")
    print("catch-up of k changed items with c new comments each: requests not answered 304 + "
          "points (requests, points)")  # fmt: skip
    for k, per, c_rest, c_gql in catchup:
        print(f"  k={k:>5} c={per}: REST {c_rest.cost:>4} ({c_rest.requests - c_rest.not_modified}, "
              f"{c_rest.graphql_points})  GraphQL {c_gql.cost:>4} "
              f"({c_gql.requests - c_gql.not_modified}, {c_gql.graphql_points})")  # fmt: skip
    print(f"  every table identical after the catch-ups: {catchup_same}")
    c500 = next(((r, g) for k, c, r, g in catchup if (k, c) == (500, 2)), catchup[-1][2:])
    # 200 repositories like this one, first syncs planned against one token's hourly budgets
    g_job = [Job(f"r{i}", "first", gql.requests - gql.not_modified, gql.graphql_points) for i in range(PORTFOLIO)]  # fmt: skip
    r_job = [Job(f"r{i}", "first", rest.requests, 0) for i in range(PORTFOLIO)]
    hours, rest_hours = plan(g_job).hours, plan(r_job).hours
    print(f"portfolio of {PORTFOLIO} such repositories, first full collection with one token: "
          f"{hours:.1f} h by GraphQL, {rest_hours:.1f} h by REST only")  # fmt: skip
    print(
        f"rest_first_sync_requests={rest.requests} graphql_first_sync_requests={gql.requests} "
        f"graphql_first_sync_queries={gql.graphql_requests} graphql_first_sync_points={gql.graphql_points} "
        f"graphql_to_rest_ratio={ratio:.3f} same_rows={int(same)} "
        f"second_sync_requests={second.requests} not_modified={second.not_modified} "
        f"second_sync_graphql={second.graphql_requests} portfolio_hours={hours:.1f} "
        f"portfolio_rest_hours={rest_hours:.1f} minimum={minimum} items_per_s={items_per_s:.0f} "
        f"unreachable_seconds={unreachable:.2f} "
        f"catchup500_rest_requests={c500[0].requests - c500[0].not_modified} "
        f"catchup500_rest_points={c500[0].graphql_points} "
        f"catchup500_graphql_requests={c500[1].requests - c500[1].not_modified} "
        f"catchup500_graphql_points={c500[1].graphql_points} catchup_same_rows={int(catchup_same)}"
    )


if __name__ == "__main__":
    main()
