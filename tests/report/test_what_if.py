"""The project page shows the what-if the risk step stored, for the project's latest score only."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from ossmetrics.report import build_site
from ossmetrics.store import connect

PEOPLE = [{"name": "alice (id 1)", "share_12m": 0.75, "other_projects": 0, "delta_p_dormant": 0.12}]


def _site(store_path: Path, tmp_path: Path, as_of: str, p_core_loss: float | None = 0.9) -> str:
    db = tmp_path / "store.duckdb"
    shutil.copy(store_path, db)
    con = connect(db)
    try:
        rid = con.execute("SELECT repo_id FROM repos WHERE full_name = 'acme/rocket'").fetchone()
        assert rid is not None
        con.execute(
            "INSERT INTO risk_what_if (repo_id, as_of, model_version, person_id, person, risk,"
            " without_p_dormant, without_p_core_loss, without_risk, drivers, people, computed_at)"
            " VALUES (?, ?, 'test-1', 1, 'alice', 72, 0.32, ?, 85, '[]', ?, now())",
            [rid[0], as_of, p_core_loss, json.dumps(PEOPLE)],
        )
        build_site(con, tmp_path / "site")
    finally:
        con.close()
    return (tmp_path / "site" / "projects" / "acme__rocket.html").read_text()


def test_stored_what_if_is_shown(store_path: Path, tmp_path: Path) -> None:
    page = _site(store_path, tmp_path, "2024-06-30")  # the date of rocket's latest score
    assert "Without <strong>alice</strong>" in page
    assert "+13 points" in page  # 85 - 72
    assert "alice (id 1)" in page and "+0.12" in page
    assert "Not computed in this build" not in page


def test_a_what_if_of_an_older_score_is_not_shown(store_path: Path, tmp_path: Path) -> None:
    page = _site(store_path, tmp_path, "2024-01-01")
    assert "Without <strong>" not in page
    assert "Not computed in this build" in page


def test_a_what_if_without_one_probability_still_renders(store_path: Path, tmp_path: Path) -> None:
    """A stored row may lack a probability (NULL): the page shows a dash for it, not an error."""
    page = _site(store_path, tmp_path, "2024-06-30", p_core_loss=None)
    assert "Without <strong>alice</strong>" in page
    assert "probability of going dormant 32%" in page
    assert "of losing core contributors —." in page
