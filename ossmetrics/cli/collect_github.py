"""Command: ``ossmetrics collect github OWNER/REPO`` — a thin wrapper over ``collect_github``."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import typer
from rich.live import Live
from rich.text import Text

from ossmetrics import secret_env
from ossmetrics.cli._app import collect_app, console, err_console, open_store, state
from ossmetrics.errors import BadParameter
from ossmetrics.store.repos import validate_repo_name

__all__ = ["collect_github_cmd"]


def _rich_hook(live: Live) -> Any:
    """A ``ProgressHook`` drawing one live status line on stderr: endpoint, items, countdown."""
    from ossmetrics.collect.github import ProgressHook

    class RichHook(ProgressHook):
        def __init__(self) -> None:
            self.name = ""
            self.done = 0
            self.waiting = ""

        def _draw(self) -> None:
            line = f"github: {self.name} — {self.done} items"
            if self.waiting:
                line += f" — {self.waiting}"
            live.update(Text(line))

        def endpoint(self, name: str) -> None:
            self.name = name
            self._draw()

        def items(self, name: str, n: int) -> None:
            self.done += n
            self._draw()

        def wait(self, seconds_left: float, reason: str) -> None:
            self.waiting = f"{reason}: {seconds_left:.0f} s left" if seconds_left > 0 else ""
            self._draw()

    return RichHook()


def _parse_since(value: str | None) -> date | datetime | None:
    if value is None:
        return None
    try:
        return (
            datetime.fromisoformat(value.replace("Z", "+00:00"))
            if "T" in value
            else date.fromisoformat(value)
        )
    except ValueError:
        raise BadParameter(
            f"--since '{value}' is not a date", "give it as YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ"
        ) from None


@collect_app.command("github")
def collect_github_cmd(
    repo: str | None = typer.Argument(None, help="The repository, as OWNER/REPO."),
    tracked: bool = typer.Option(
        False,
        "--tracked",
        help="Every tracked repository, scheduled against the token's REST and GraphQL budgets.",
    ),
    since: str | None = typer.Option(
        None, "--since", help="First collection only: items updated from DATE (YYYY-MM-DD) on."
    ),
    token_env: str | None = typer.Option(
        None, "--token-env", help="Environment variable holding the token (default GITHUB_TOKEN)."
    ),
    api_url: str | None = typer.Option(
        None, "--api-url", help="API base URL (GitHub Enterprise: https://HOST/api/v3)."
    ),
    max_wait: float | None = typer.Option(
        None, "--max-wait", help="Longest wait in seconds for a rate-limit reset (default 900)."
    ),
    stars: bool = typer.Option(False, "--stars", help="Also collect stargazers with their dates."),
    graphql: bool | None = typer.Option(
        None,
        "--graphql/--no-graphql",
        help="GraphQL for first syncs and many changed PRs' reviews (default: setting graphql, on).",
    ),
) -> None:
    """Collect a GitHub repository's metadata, issues, PRs, reviews, comments and releases."""
    # imported here: PyGithub takes a second to import, and other commands do not need it
    from ossmetrics.collect.github import ANONYMOUS_WARNING, collect_github, graphql_enabled

    if tracked == (repo is not None):
        raise BadParameter(
            "give either OWNER/REPO or --tracked", "one repository, or all tracked ones"
        )
    since_value = _parse_since(since)
    st = state()
    env_name = st.setting("token_env", token_env)
    token = secret_env.github_token(env_name)
    url = st.setting("api_url", api_url)
    wait = float(st.setting("max_wait", max_wait))
    use_graphql = graphql_enabled(st.setting("graphql", None if graphql is None else str(graphql)))
    reviews_above = int(st.setting("graphql_reviews_above", None))
    catchup_above = int(st.setting("graphql_catchup_above", None))
    if not token:
        err_console.print(f"Warning: {ANONYMOUS_WARNING} (set {env_name})", markup=False)
    if tracked:
        _collect_tracked(
            token,
            url,
            dict(max_wait=wait, since=since_value, graphql=use_graphql,
                 graphql_reviews_above=reviews_above, graphql_catchup_above=catchup_above),
        )  # fmt: skip
        return
    assert repo is not None
    name = validate_repo_name(repo)
    con = open_store()
    try:
        with Live(Text(""), console=err_console, transient=True, refresh_per_second=4) as live:
            result = collect_github(
                con,
                name,
                token=token,
                api_url=url,
                since=since_value,
                max_wait=wait,
                stars=stars,
                progress=_rich_hook(live),
                graphql=use_graphql,
                graphql_reviews_above=reviews_above,
                graphql_catchup_above=catchup_above,
                extra_bots=st.setting("bots"),
            )
    finally:
        con.close()
    for warning in result.warnings:
        err_console.print(f"Warning: {warning}", markup=False)
    items = ", ".join(f"{k} {v}" for k, v in result.items.items() if v) or "nothing new"
    gql = (
        f" ({result.graphql_requests} GraphQL, {result.graphql_points} points)"
        if result.graphql_requests
        else ""
    )
    renamed = f" (renamed from {result.renamed_from})" if result.renamed_from else ""
    console.print(
        f"{result.repo}{renamed}: {result.requests} requests{gql}, {result.not_modified} answered 304; "
        f"{items}; {result.seconds:.1f} s",
        markup=False,
    )


def _collect_tracked(token: str | None, url: str, options: dict[str, Any]) -> None:
    """``--tracked``: one process per token, increments first, a line per repository, a summary."""
    from ossmetrics.collect.github import collect_github
    from ossmetrics.collect.github_graphql import GraphQLClient
    from ossmetrics.collect.github_schedule import (
        Outcome,
        TokenLock,
        collect_tracked,
        job_for,
        probe_sizes,
    )
    from ossmetrics.errors import GitHubError
    from ossmetrics.tracking import load_tracked

    st = state()
    entries = [t for t in load_tracked(st.config) if t.collects_github and t.name]
    stars = {t.name: t.stars for t in entries if t.name}
    names = list(stars)
    if not names:
        raise BadParameter(
            f"no tracked repository collects from GitHub in {st.config}",
            "add one with: ossmetrics track add OWNER/REPO",
        )

    def show(out: Outcome) -> None:
        extra = f" — {out.error}" if out.error else f", {out.items} items"
        console.print(
            f"{out.repo}: {out.status}; {out.requests} requests, {out.graphql_points} points{extra}",
            markup=False,
        )

    with TokenLock(token, url):
        con = open_store()
        try:
            sizes: dict[str, tuple[int, int]] = {}
            if token and options["graphql"]:
                gql = GraphQLClient(token=token, api_url=url)
                try:
                    new = [n for n in names if job_for(con, n, {}).kind == "first"]
                    sizes = probe_sizes(gql, new) if new else {}
                except GitHubError:
                    sizes = {}  # the schedule falls back to its size guess
                finally:
                    gql.close()
            summary = collect_tracked(
                con,
                names,
                lambda r: collect_github(
                    con, r, token=token, api_url=url, stars=stars.get(r, False), **options
                ),
                sizes=sizes,
                on_outcome=show,
                on_start=lambda job: err_console.print(
                    f"github: {job.repo} ({'first sync' if job.kind == 'first' else 'increment'}, "
                    f"about {job.requests:.0f} requests and {job.points:.0f} points)",
                    markup=False,
                ),
            )
        finally:
            con.close()
    ok = sum(1 for o in summary.outcomes if o.status == "ok")
    left = (
        f"; left for later runs: {', '.join(summary.left)} (planned done in {summary.hours_left:.1f} h)"
        if summary.left
        else "; nothing left"
    )
    console.print(
        f"{len(names)} repositories: {ok} ok, {len(summary.left)} partial or waiting, "
        f"{len(summary.failed)} failed{left}",
        markup=False,
    )
    if summary.failed:
        raise typer.Exit(1)
    if summary.left:
        raise typer.Exit(75)  # as nightly: only the rate limit stopped us; the next run goes on
