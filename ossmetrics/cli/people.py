"""Commands: people export|forget — answering access and erasure requests (docs/privacy.md)."""

from __future__ import annotations

import json

import typer

from ossmetrics.cli._app import console, open_store, people_app

__all__ = ["people_export", "people_forget"]


@people_app.command("export")
def people_export(
    person: str = typer.Argument(
        ..., metavar="PERSON", help="Person id, email, GitHub login or name."
    ),
) -> None:
    """Print, as JSON, everything the store holds about one person (an access request)."""
    from ossmetrics.collect.forget import export_person

    con = open_store(read_only=True)
    try:
        data = export_person(con, person)
    finally:
        con.close()
    typer.echo(json.dumps(data, indent=1, ensure_ascii=False, default=str))


@people_app.command("forget")
def people_forget(
    person: str = typer.Argument(
        ..., metavar="PERSON", help="Person id, email, GitHub login or name."
    ),
) -> None:
    """Remove a person's identities, names, emails and logins; keep their work anonymous.

    Their commits, issues and comments stay, attributed to an anonymous person, so every metric
    gives the same numbers. Later collections recognise them and do not re-attach their names.
    """
    from ossmetrics.collect.forget import forget_person

    con = open_store()
    try:
        done = forget_person(con, person)
    finally:
        con.close()
    console.print(
        f"forgot person {done['person_id']}: {done['identities']} identities, "
        f"{done['emails']} emails and {done['logins']} logins removed; their work stays as "
        f"'anonymous person {done['person_id']}'. Rebuild published reports to update them.",
        markup=False,
    )
