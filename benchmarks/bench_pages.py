"""Page load in headless Chromium: seconds from navigation until every chart is drawn.

Builds the demo site (``ossmetrics demo``, offline, into a temporary folder) unless a site
folder is given, then opens every page of it in Debian's ``/usr/bin/chromium`` through
Playwright (the ``dev`` extra) three times and keeps each page's fastest load.
Target: every page under 2 s on an idle machine.

    .venv/bin/python benchmarks/bench_pages.py [SITE_DIR]

Last line: ``pages=N max_seconds=S median_seconds=S slowest=PAGE``.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.report.test_browser import ARGS, CHARTS_DONE  # noqa: E402


def load_seconds(site: Path, repeats: int = 3) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    pages = sorted(str(p.relative_to(site)) for p in site.rglob("*.html"))
    out: dict[str, float] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for rel in pages:
            best = float("inf")
            for _ in range(repeats):
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                t = time.perf_counter()
                page.goto((site / rel).resolve().as_uri(), wait_until="load")
                page.wait_for_function(CHARTS_DONE, timeout=60_000)
                best = min(best, time.perf_counter() - t)
                page.close()
            out[rel] = best
        browser.close()
    return out


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        if len(sys.argv) > 1:
            site = Path(sys.argv[1])
        else:
            site = Path(tmp) / "site"
            cmd = [sys.executable, str(ROOT / "cli.py"), "--db", str(Path(tmp) / "demo.duckdb")]
            subprocess.run([*cmd, "demo", "--out", str(site)], check=True, capture_output=True)
        timings = load_seconds(site)
    for rel, s in sorted(timings.items(), key=lambda kv: -kv[1]):
        print(f"{s:6.2f} s  {rel}")
    slowest = max(timings, key=lambda k: timings[k])
    print(
        f"pages={len(timings)} max_seconds={timings[slowest]:.2f} "
        f"median_seconds={statistics.median(timings.values()):.2f} slowest={slowest}"
    )


if __name__ == "__main__":
    main()
