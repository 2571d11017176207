"""Altair charts for the dashboards, returned as Vega-Lite (or Vega) specification dicts.

Design choices, for a funder who may print the page and may not see every colour:
- the Okabe-Ito palette (safe for the common colour-vision deficiencies), with shape or
  position carrying the same information where it matters;
- every chart has a title and a ``description`` (Vega renders it as the SVG's aria-label);
- time series have tooltips and zoom: an overview strip with a brush drives the detail panels,
  or the x scale is bound to the mouse wheel / drag;
- specs are made with ``validate=False`` (schema validation is the slow part of Altair, and these
  charts are fixed code paths exercised by the tests).

Modules: ``spec`` (palette, rows, the build-once cache), ``project`` (one project's dashboard),
``risk`` (the portfolio's risk-against-importance scatter), ``network`` (the collaboration network).
"""

from __future__ import annotations

from ossmetrics.report.charts.network import network_chart
from ossmetrics.report.charts.project import (
    activity_chart,
    metric_history_chart,
    new_returning_chart,
    releases_chart,
    responsiveness_chart,
    retention_chart,
)
from ossmetrics.report.charts.risk import risk_importance_chart
from ossmetrics.report.charts.spec import OKABE_ITO

__all__ = [
    "OKABE_ITO",
    "activity_chart",
    "metric_history_chart",
    "network_chart",
    "new_returning_chart",
    "releases_chart",
    "responsiveness_chart",
    "retention_chart",
    "risk_importance_chart",
]
