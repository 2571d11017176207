"""The demo, default and ``--publish``: no email anywhere; published, no contributor's name.

The sample's people carry pseudonymous names and ``…@corpus.invalid`` addresses; whatever they
are, they are the store's display names, so the published site must show none of them.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from tests.conftest import run_cli
from tests.privacy.conftest import SALT
from tests.privacy.history import emails_in

pytestmark = pytest.mark.slow  # two whole demo runs (~20 s each on a busy machine)


@pytest.fixture(scope="module")
def demos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("demos")
    env = {"OSSMETRICS_PSEUDONYM_SALT": SALT}
    for name, extra in (("plain", []), ("public", ["--publish"])):
        r = run_cli("--db", str(work / f"{name}.duckdb"), "demo", "--out", str(work / name),
                    *extra, env=env)  # fmt: skip
        assert r.returncode == 0, r.stderr
    return work


def test_demo_sites_hold_no_email(demos: Path) -> None:
    con = duckdb.connect(str(demos / "plain.duckdb"), read_only=True)
    try:
        stored = con.execute(
            "SELECT count(*) FROM people WHERE primary_email LIKE '%@%'"
        ).fetchone()
    finally:
        con.close()
    assert stored is not None and stored[0] > 100  # the store has them
    assert emails_in(demos / "plain") == {}
    assert emails_in(demos / "public") == {}


def test_published_demo_names_nobody(demos: Path) -> None:
    con = duckdb.connect(str(demos / "public.duckdb"), read_only=True)
    try:
        names = [r[0] for r in con.execute(
            "SELECT display_name FROM people WHERE NOT is_bot AND display_name IS NOT NULL"
        ).fetchall()]  # fmt: skip
    finally:
        con.close()
    assert len(names) > 100
    pattern = re.compile(
        r"(?<![0-9A-Za-z])(" + "|".join(re.escape(n) for n in names) + r")(?![0-9A-Za-z])"
    )
    found = {}
    for p in (demos / "public").rglob("*"):
        if p.is_file() and p.suffix in (".html", ".json", ".csv"):
            hits = pattern.findall(p.read_text(encoding="utf-8"))
            if hits:
                found[p.name] = sorted(set(hits))[:5]
    assert found == {}
    plain = (demos / "plain" / "index.html").read_text() + "".join(
        p.read_text() for p in (demos / "plain" / "projects").glob("*.html")
    )
    assert pattern.search(plain)  # the default demo names people: the scan can find them
    published = "".join(p.read_text() for p in (demos / "public" / "projects").glob("*.html"))
    assert re.search(r"person-[a-z2-7]{6}", published)
