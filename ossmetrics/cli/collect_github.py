"""Command: ``ossmetrics collect github OWNER/REPO`` — a thin wrapper over ``collect_github``."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import typer
from rich.live import Live
from rich.text import Text

from ossmetrics import config
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
    repo: str = typer.Argument(..., help="The repository, as OWNER/REPO."),
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
) -> None:
    """Collect a GitHub repository's metadata, issues, PRs, reviews, comments and releases."""
    # imported here: PyGithub takes a second to import, and other commands do not need it
    from ossmetrics.collect.github import ANONYMOUS_WARNING, collect_github

    name = validate_repo_name(repo)
    since_value = _parse_since(since)
    st = state()
    env_name = st.setting("token_env", token_env)
    token = config.github_token(env_name)
    url = st.setting("api_url", api_url)
    wait = float(st.setting("max_wait", max_wait))
    if not token:
        err_console.print(f"Warning: {ANONYMOUS_WARNING} (set {env_name})", markup=False)
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
                extra_bots=st.setting("bots"),
            )
    finally:
        con.close()
    items = ", ".join(f"{k} {v}" for k, v in result.items.items() if v) or "nothing new"
    renamed = f" (renamed from {result.renamed_from})" if result.renamed_from else ""
    console.print(
        f"{result.repo}{renamed}: {result.requests} requests, {result.not_modified} answered 304; "
        f"{items}; {result.seconds:.1f} s",
        markup=False,
    )
