"""What every chart shares: the palette, the page width, JSON-ready rows, and the build-once cache.

Each chart shape is built with Altair once per process (``skeleton``) and then copied with new data
(``fill``): Altair's object model is the slow part, about 0.1 s a chart, the copy about 1 ms.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import altair as alt
import pandas as pd

OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
BLUE, ORANGE, GREEN, PINK, SKY, VERMILLION = OKABE_ITO[:6]
WIDTH = 640
Spec = dict[str, Any]
DATA = "table"  # every chart reads the named dataset "table"; fill sets its rows
CACHE: dict[str, Spec] = {}


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON-ready rows: timestamps as local-time ISO text, NaN as null.

    No time zone on purpose: JavaScript reads a bare date as UTC but a date-time without an
    offset as local time, so "2024-01-01T00:00:00" shows as January everywhere, while
    "2024-01-01" would read as December 31 west of Greenwich. (Values are UTC days already.)
    """
    out = df.copy()
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].dt.strftime("%Y-%m-%dT%H:%M:%S")
        elif (
            out[col].dtype == object
            and len(out)
            and hasattr(out[col].dropna().iloc[0] if out[col].notna().any() else None, "isoformat")
        ):
            out[col] = out[col].map(
                lambda v: None if v is None else v.isoformat()[:10] + "T00:00:00"
            )
    rows: list[dict[str, Any]] = json.loads(out.to_json(orient="records", date_format="iso"))
    return rows


def skeleton(kind: str, build: Callable[[], alt.TopLevelMixin], description: str) -> Spec:
    """Build each chart's Altair object once; later calls copy the spec and swap the data.

    Altair's object model is the slow part (about 0.1 s a chart); a portfolio of a hundred
    projects draws the same eight chart shapes a hundred times with different data.
    """
    if kind not in CACHE:
        CACHE[kind] = finish(build(), description)
    return copy.deepcopy(CACHE[kind])


def fill(spec: Spec, rows: list[dict[str, Any]], title: str | None = None) -> Spec:
    spec["datasets"] = {DATA: rows}
    if title is not None:
        spec["title"] = title
    return spec


def finish(chart: alt.TopLevelMixin, description: str) -> Spec:
    spec: Spec = chart.properties(description=description).to_dict(validate=False)
    spec["config"] = {
        "font": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
        "range": {"category": OKABE_ITO},
        "axis": {"labelFontSize": 11, "titleFontSize": 12, "gridColor": "#e5e7eb"},
        "title": {"fontSize": 14, "anchor": "start", "subtitleColor": "#4b5563"},
        "view": {"stroke": None},
        "legend": {"labelFontSize": 11, "titleFontSize": 12},
    }
    return spec
