"""What a nightly run ends with: a table with one line per repository, then the portfolio
stages, then one line per problem (kept out of the table so it stays readable at 80 columns)."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from ossmetrics.nightly.pipeline import NightlyResult
from ossmetrics.privacy import scrub_text

__all__ = ["problems", "summary_table"]

_STYLE = {"ok": "green", "failed": "bold red", "rate_limited": "yellow", "skipped": "dim"}


def problems(result: NightlyResult) -> list[str]:
    """``repository stage: error`` for every step that did not end ok (skips included)."""
    out: list[str] = []
    for r in result.repos:
        out.extend(f"{r.repo} {note}" for note in r.notes)
    out.extend(
        f"(all) {s.stage}: {s.error}" for s in result.portfolio if s.error and s.status != "ok"
    )
    return out


def summary_table(result: NightlyResult) -> Group:
    """Repository, status, new items, requests used, seconds; then the problems."""
    t = Table(title=f"nightly run {result.run_id}: {result.status}", title_justify="left")
    t.add_column("repository", overflow="fold")
    t.add_column("status")
    t.add_column("new items", justify="right")
    t.add_column("requests", justify="right")
    t.add_column("seconds", justify="right")
    rows = [(r.repo, r.status, str(r.items), str(r.requests), r.seconds) for r in result.repos]
    rows += [(f"(all) {s.stage}", s.status, str(s.items), "", s.seconds) for s in result.portfolio]
    for name, status, items, requests, seconds in rows:
        style = _STYLE.get(status, "")
        t.add_row(name, Text(status, style=style), items, requests, f"{seconds:.2f}")
    t.caption = f"{len(result.repos)} repositories in {result.seconds:.1f} s"
    notes = [Text(scrub_text(line)) for line in problems(result)]  # no email in a summary
    return Group(t, *notes)
