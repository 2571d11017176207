"""The wheel carries queries/ and reports/, so an installed copy finds them."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_wheel_ships_queries_and_reports(tmp_path: Path) -> None:
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    wheel = next(tmp_path.glob("ossmetrics-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    # the demo's funder path (issue 18): SBOMs, cached usage signals, the fund migration
    assert "ossmetrics/data/funding/cache.json" in names
    assert "ossmetrics/data/funding/sboms/dashboard.cdx.json" in names
    assert "ossmetrics/store/migrations/0600_fund.sql" in names
    shipped_sql = {
        n for n in names if n.startswith("ossmetrics/_data/queries/") and n.endswith(".sql")
    }
    local_sql = {f"ossmetrics/_data/queries/{p.name}" for p in (ROOT / "queries").glob("*.sql")}
    assert local_sql and local_sql <= shipped_sql
    assert any(n.startswith("ossmetrics/_data/reports/") for n in names)
    assert "ossmetrics/store/migrations/0001_core.sql" in names
    entry = [n for n in names if n.endswith("entry_points.txt")]
    assert (
        entry
        and "ossmetrics = ossmetrics.cli:main" in zipfile.ZipFile(wheel).read(entry[0]).decode()
    )
