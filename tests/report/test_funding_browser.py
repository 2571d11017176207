"""The funder's view in headless Chromium: the importance toggle, the tooltip's evidence, the
funding plan page, and no console errors (the fixture store of tests/report/conftest.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.report.conftest import chromium_available
from tests.report.test_browser import Visit, browser  # noqa: F401  (the module-scoped fixture)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not chromium_available(), reason="/usr/bin/chromium is not installed"),
]

POINTS = "#chart-risk-importance g.mark-symbol.role-mark path"


def _points(page: Any) -> int:
    return int(page.eval_on_selector_all(POINTS, "els => els.length"))


def test_toggle_switches_lens_and_tooltip_shows_evidence(browser: Any, site: Path) -> None:  # noqa: F811
    v = Visit(browser, site, "index.html")
    try:
        v.check()
        page = v.page
        radios = page.query_selector_all("#chart-risk-importance input[type=radio]")
        assert [r.get_attribute("value") for r in radios] == ["exposure", "reach"]
        assert page.is_checked("#chart-risk-importance input[value=exposure]")
        assert _points(page) == 1  # only acme/rocket has an exposure; beta's is unknown, not 0
        page.check("#chart-risk-importance input[value=reach]")
        page.wait_for_function(f"document.querySelectorAll('{POINTS}').length === 2")
        page.check("#chart-risk-importance input[value=exposure]")
        page.wait_for_function(f"document.querySelectorAll('{POINTS}').length === 1")
        page.hover(POINTS)
        page.wait_for_selector("#vg-tooltip-element.visible", timeout=5000)
        tip = page.text_content("#vg-tooltip-element") or ""
        for want in ("acme/rocket", "3 of 4 repositories (2 directly)", "trickle",
                     "transitive dependents 1,234 (deps.dev, 2024-06-01)",
                     "pkg:pypi/rocket 0.95 (depsdev:SLSA_ATTESTATION)"):  # fmt: skip
            assert want in tip, (want, tip)
        rho = page.text_content("#rho") or ""
        assert "criticality_score-style baseline" in rho and "n = 1" in rho
        assert "CC BY-SA" in (page.text_content("main") or "")
        assert not v.errors, v.errors
    finally:
        v.page.close()


def test_plan_page(browser: Any, site: Path) -> None:  # noqa: F811
    v = Visit(browser, site, "plan.html")
    try:
        v.check()
        page = v.page
        repos = page.eval_on_selector_all(
            "#plan tbody tr td:nth-child(2)", "els => els.map(e => e.firstChild.textContent.trim())"
        )
        assert repos == ["acme/rocket", "beta/quiet"]
        amounts = page.eval_on_selector_all(
            "#plan tbody tr td:nth-child(4)", "els => els.map(e => e.textContent.trim())"
        )
        assert amounts == ["75.00", "25.00"]
        assert page.text_content("#plan tfoot td.num") == "100.00"
        # key people through the people display helpers; collected text never runs
        people = page.text_content("#plan tbody tr:first-child td:nth-child(7)") or ""
        assert "Alice" in people and "<script>" in people
        assert page.evaluate("window.__xss") is None
        # funding links as text only; the javascript: one is not shown at all
        links = page.text_content("#plan tbody tr:first-child td.links") or ""
        assert "https://github.com/sponsors/rocket" in links and "javascript" not in links
        assert page.query_selector_all("#plan a") == []
        assert "CC BY-SA" in (page.text_content("main") or "")
        assert not v.errors, v.errors
    finally:
        v.page.close()
