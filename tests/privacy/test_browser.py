"""A published site in real headless Chromium: what a reader sees, and what the charts' PNG and
SVG exports write, names nobody outside ``allow_names`` and holds no email address."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.privacy.conftest import SALT, Collected
from tests.privacy.history import ALLOWED, NOT_ALLOWED, emails_in, names_in
from tests.report.conftest import chromium_available

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not chromium_available(), reason="/usr/bin/chromium is not installed"),
]
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip
CHARTS_DONE = (
    "window.ossmetricsCharts && "
    "window.ossmetricsCharts.done + window.ossmetricsCharts.failed >= window.ossmetricsCharts.pending"
)
EXPORTS = """async () => {
  const out = [];
  for (const v of window.ossmetricsChartViews) {
    out.push(["svg", await v.toSVG()]);
    out.push(["png", await v.toImageURL("png")]);
  }
  return out;
}"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        yield b
        b.close()


def test_published_site_in_browser_names_only_allowed(
    browser: Any, collected: Collected, tmp_path: Path
) -> None:
    from ossmetrics.privacy import PrivacyOptions
    from ossmetrics.report import build_site
    from ossmetrics.store import connect

    con = connect(collected.copy_store(tmp_path / "store"))
    try:
        opts = PrivacyOptions(publish=True, salt=SALT, allow_names=(ALLOWED,))
        build_site(con, tmp_path / "site", privacy=opts)
    finally:
        con.close()
    site = tmp_path / "site"
    seen = tmp_path / "seen"
    seen.mkdir()
    pages = ["index.html", "compare.html", "health.html", "projects/acme__widget.html"]
    n_exports = 0
    for i, rel in enumerate(pages):
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        try:
            page.goto((site / rel).as_uri(), wait_until="load")
            page.wait_for_function(CHARTS_DONE, timeout=15_000)
            (seen / f"{i}.txt").write_text(page.inner_text("body"))
            (seen / f"{i}.html").write_text(page.content())  # the DOM as drawn, SVGs included
            for j, (kind, data) in enumerate(page.evaluate(EXPORTS)):
                n_exports += 1
                if kind == "svg":
                    (seen / f"{i}-{j}.svg").write_text(data)
                else:
                    (seen / f"{i}-{j}.png").write_bytes(base64.b64decode(data.split(",", 1)[1]))
        finally:
            page.close()
    assert n_exports >= 8  # the project page's charts and the portfolio's, as SVG and PNG
    assert emails_in(seen) == {}
    assert names_in(seen, NOT_ALLOWED) == {}
    project = (seen / "3.txt").read_text()
    assert ALLOWED in project and "person-" in (seen / "3.html").read_text()
