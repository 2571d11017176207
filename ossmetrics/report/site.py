"""``build_site``: the whole static site, written atomically.

The site is built in a temporary folder beside ``out_dir`` and moved into place only when every
page is written, so a failure (or Ctrl-C) never leaves a half-written report where the last good
one was. An existing ``out_dir`` is replaced only if it is empty or a site we wrote before (it
holds the ``.ossmetrics-site`` marker): pointing ``--out`` at an unrelated folder must not
delete it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import duckdb

from ossmetrics.errors import ReportError
from ossmetrics.privacy import PrivacyOptions, scrub_tree
from ossmetrics.report import assets, pages, project_page
from ossmetrics.report.model import SiteData
from ossmetrics.report.render import render

__all__ = ["MARKER", "build_site"]

MARKER = ".ossmetrics-site"


def _check_target(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise ReportError(
            f"output path {out} is a file, not a folder",
            "choose another --out, or move that file away",
        )
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).exists():
        raise ReportError(
            f"output folder {out} exists and is not an ossmetrics report",
            "choose an empty or new --out folder; ossmetrics only replaces reports it wrote",
        )
    parent = out.parent
    if not parent.exists():
        raise ReportError(
            f"folder {parent} (parent of {out.name}) does not exist",
            "create it or choose another --out",
        )
    if not os.access(parent, os.W_OK | os.X_OK) or (out.exists() and not os.access(out, os.W_OK)):
        raise ReportError(
            f"cannot write to {parent if not out.exists() else out}: permission denied",
            "choose a folder you can write to with --out",
        )


def _swap_into_place(tmp: Path, out: Path) -> None:
    """Replace ``out`` by ``tmp`` with renames (same filesystem), keeping the old site until then."""
    old = None
    if out.exists():
        old = out.with_name(f".{out.name}.old-{os.getpid()}-{int(time.time())}")
        os.replace(out, old)
    try:
        os.replace(tmp, out)
    except OSError:
        if old is not None:
            os.replace(old, out)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def build_site(
    con: duckdb.DuckDBPyConnection,
    out_dir: str | os.PathLike[str],
    *,
    repos: Sequence[str] | None = None,
    privacy: PrivacyOptions | None = None,
) -> Path:
    """Write the report for ``repos`` (all in the store if None) to ``out_dir``; return index.html.

    Reads only the store: the risk model's "if this key person left" results are those the
    risk step stored (``risk_what_if``), never computed here.

    ``privacy``: how people appear (``PrivacyOptions``; default names without emails,
    ``publish=True`` pseudonyms). Whatever it says, no email address reaches a written file:
    every page and download is scrubbed before the site is moved into place.

    Raises ``ReportError`` when ``out_dir`` cannot be used, and ``UsageError`` for a repository
    that is not in the store.
    """
    out = Path(out_dir).expanduser().absolute()
    _check_target(out)
    sd = SiteData.load(con, list(repos) if repos else None, privacy)
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    except OSError as exc:
        raise ReportError(
            f"cannot write to {out.parent}: {exc.strerror}", "choose another --out"
        ) from None
    try:
        (tmp / MARKER).write_text("written by ossmetrics report; safe to replace\n")
        assets.copy_assets(tmp)
        _write_pages(sd, tmp)
        scrub_tree(tmp)  # the last guard: an email that reached a page by any road is hidden
        os.chmod(tmp, 0o755)  # mkdtemp makes it 0700; a report is meant to be shared
        _swap_into_place(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out / "index.html"


def _write_pages(sd: SiteData, site: Path) -> None:
    common = {
        "root": "",
        "generated": sd.now.strftime("%Y-%m-%d %H:%M UTC"),
        "ref": sd.ref.strftime("%Y-%m-%d"),
        "publish": bool(sd.people and sd.people.publish),
    }
    if not sd.repos:
        render("empty.html", site / "index.html", **common)
        return
    rows = sd.portfolio_rows()
    slugs = {r.slug for r in sd.repos}
    pages.portfolio_page(sd, site, rows)
    pages.compare_page(sd, site, rows)
    pages.health_page(sd, site)
    pages.plan_page(sd, site)
    for row in pages.records(rows):
        project_page.project_page(sd, site, row, slugs)
