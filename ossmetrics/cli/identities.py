"""Commands: identities list|merge|split."""

from __future__ import annotations

import typer

from ossmetrics.cli._app import console, identities_app, open_store

__all__ = ["identities_list", "identities_merge", "identities_split"]


def _bots() -> tuple[str, ...]:
    from ossmetrics.cli.collect_git import bot_setting

    return bot_setting()


@identities_app.command("list")
def identities_list(
    search: str | None = typer.Argument(
        None, help="Only people whose name, email or login contains this text."
    ),
    repo: str | None = typer.Option(None, "--repo", help="Only authors of this OWNER/REPO."),
    bots: bool | None = typer.Option(
        None, "--bots/--no-bots", help="Only bots (--bots) or only humans (--no-bots)."
    ),
    limit: int = typer.Option(100, "--limit", help="At most this many people (0: all)."),
) -> None:
    """People with their identities, bot flag and commit count, most commits first.

    On a terminal a table; piped, tab-separated lines (identities joined by "; ").
    """
    from rich.table import Table

    from ossmetrics.collect.corrections import list_people

    con = open_store(read_only=True)
    try:
        people = list_people(con, repo=repo, bots=bots, search=search, limit=limit or None)
    finally:
        con.close()
    if not people:
        console.print("no people match")
        return
    if not console.is_terminal:  # piped: one tab-separated line per person, no wrapping
        typer.echo("person\tname\temail\tlogin\torganization\tbot\tcommits\tidentities")
        for p in people:
            fields = [str(p.person_id), p.display_name or "", p.primary_email or ""]
            fields += [p.github_login or "", p.organization or "", "bot" if p.is_bot else ""]
            fields += [str(p.commits), "; ".join(p.identities)]
            typer.echo("\t".join(f.replace("\t", " ") for f in fields))
        return
    table = Table(show_lines=False)
    for col in ("person", "name", "email", "login", "organization", "bot", "commits", "identities"):
        table.add_column(col, justify="right" if col in ("person", "commits") else "left")
    for p in people:
        table.add_row(
            str(p.person_id),
            p.display_name or "",
            p.primary_email or "",
            p.github_login or "",
            p.organization or "",
            "bot" if p.is_bot else "",
            f"{p.commits:,}",
            "\n".join(p.identities),
            end_section=False,
        )
    console.print(table, markup=False)


@identities_app.command("merge")
def identities_merge(
    a: str = typer.Argument(..., help="Identity id, email or GitHub login to move."),
    b: str = typer.Argument(..., help="Identity id, email or GitHub login whose person A joins."),
) -> None:
    """Merge A's person with B's; the correction is kept and re-applied after every collection."""
    from ossmetrics.collect.corrections import merge_override

    con = open_store()
    try:
        pid = merge_override(con, a, b, extra_bots=_bots())
    finally:
        con.close()
    console.print(f"merged {a} into {b}: person {pid}")


@identities_app.command("split")
def identities_split(
    a: str = typer.Argument(..., help="Identity id, email or GitHub login to split off."),
) -> None:
    """Give A a person of its own, exempt from automatic merging (survives re-collection)."""
    from ossmetrics.collect.corrections import split_override

    con = open_store()
    try:
        pids = split_override(con, a, extra_bots=_bots())
    finally:
        con.close()
    console.print(f"split {a}: person {', '.join(str(p) for p in pids)}")
