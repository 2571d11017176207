"""No email address in anything ossmetrics writes for others (issue 17, part 1).

A real repository whose history is full of addresses (history.py) is collected; then the
report, every graph export, every built-in metric through ``query`` and a nightly run (its site
and its printed summary) are written, and every file is scanned byte by byte for an address.
The store itself must still hold them — otherwise the scan would prove nothing.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import run_cli
from tests.privacy.conftest import SALT, Collected
from tests.privacy.history import ANN, BOB, CAROL, DAN_WORK, EMAIL, emails_in


def _store_emails(db: Path) -> set[str]:
    from ossmetrics.store import connect

    con = connect(db, read_only=True)
    try:
        rows = con.execute(
            "SELECT email FROM identities UNION SELECT commit_email FROM git_mailmap"
        ).fetchall()
    finally:
        con.close()
    return {str(r[0]) for r in rows if r[0]}


def test_the_store_holds_the_addresses(collected: Collected) -> None:
    """The precondition of every scan here: the addresses are in the store."""
    stored = _store_emails(collected.db)
    for who in (ANN, BOB, CAROL, DAN_WORK):
        assert who.email in stored
    assert "asmith@oldmail-provider.co.uk" in stored  # from .mailmap and an alias


def test_report_and_graph_exports_hold_no_email(collected: Collected, tmp_path: Path) -> None:
    from ossmetrics.graph import ContributorGraph
    from ossmetrics.privacy import PeopleView
    from ossmetrics.report import build_site
    from ossmetrics.store import connect, get_repo_id

    db = collected.copy_store(tmp_path)
    con = connect(db)
    try:
        build_site(con, tmp_path / "site")
        rid = get_repo_id(con, "acme/widget")
        exports = tmp_path / "exports"
        exports.mkdir()
        view = PeopleView(con)
        for kind in ("collaboration", "authorship", "portfolio"):
            g = ContributorGraph.build(con, kind, None if kind == "portfolio" else rid)
            for fmt in ("graphml", "gexf", "json"):
                g.export(exports / f"{kind}.{fmt}", fmt, view)
                g.export(exports / f"{kind}-plain.{fmt}", fmt)  # without a view as well
    finally:
        con.close()
    site = tmp_path / "site"
    assert emails_in(site) == {}
    assert emails_in(exports) == {}
    # the people are there, by name, just without their addresses
    health = (site / "health.html").read_text()
    assert "Ann Smith" in health and "git:#1" in health and "identities split 2" in health
    project = (site / "projects" / "acme__widget.html").read_text()
    assert "Bob Jones" in project
    # carol typed her email as her name: she is "person N", never the address
    assert "carol@" not in project
    assert "Ann Smith" in (exports / "collaboration.graphml").read_text()


def test_every_builtin_metric_query_holds_no_email(collected: Collected, tmp_path: Path) -> None:
    from ossmetrics.cli import app
    from ossmetrics.metrics.library import load_library

    db = collected.copy_store(tmp_path)
    runner = CliRunner()
    names = sorted(load_library())
    assert "inactive_contributors" in names  # returns display_name: carol's is her email
    out = tmp_path / "out"
    out.mkdir()
    for name in names:
        for fmt in ("table", "csv", "json"):
            r = runner.invoke(app, ["--db", str(db), "query", name, "--format", fmt])
            assert r.exit_code == 0, (name, r.output)
            assert EMAIL.search(r.output.encode()) is None, (name, fmt, r.output)
        p = out / f"{name}.parquet"
        r = runner.invoke(app, ["--db", str(db), "query", name, "-f", "parquet", "-o", str(p)])
        assert r.exit_code == 0, (name, r.output)
    assert emails_in(out) == {}
    # the raw SQL escape hatch still shows the owner of the store their own data
    r = runner.invoke(app, ["--db", str(db), "query", "SELECT email FROM identities", "-f", "csv"])
    assert ANN.email in r.output


@pytest.mark.parametrize("publish", [False, True])
def test_nightly_site_and_summary_hold_no_email(
    collected: Collected, tmp_path: Path, publish: bool
) -> None:
    cfg, db, out = tmp_path / "o.toml", tmp_path / "n.duckdb", tmp_path / "site"
    r = run_cli("--db", str(db), "--config", str(cfg), "track", "add", "acme/widget",
                "--git", str(collected.repo))  # fmt: skip
    assert r.returncode == 0, r.stderr
    args = ["--db", str(db), "--config", str(cfg), "nightly", "--out", str(out)]
    env = {"OSSMETRICS_PSEUDONYM_SALT": SALT, "GITHUB_TOKEN": ""}
    r = run_cli(*args, *(["--publish"] if publish else []), env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "acme/widget" in r.stdout
    assert EMAIL.search((r.stdout + r.stderr).encode()) is None, r.stdout + r.stderr
    assert (out / "index.html").is_file()
    assert emails_in(out) == {}
    # the store of that run does hold them (the nightly collected the same history)
    assert ANN.email in _store_emails(db)


def test_scrub_helpers_hand_checked() -> None:
    from ossmetrics.privacy import scrub_text
    from ossmetrics.privacy.redact import mask_email

    text = "Ann <ann.smith@planetcoding.net>, 12345+bobj@users.noreply.github.com; vega@5.2.0"
    assert scrub_text(text) == "Ann <[email hidden]>, [email hidden]; vega@5.2.0"
    assert mask_email("Ann.Smith@PlanetCoding.net") == "A…@planetcoding.net"
    assert re.search("@", scrub_text("no address here, only @mentions")) is not None
