"""Altair charts for the dashboards, returned as Vega-Lite (or Vega) specification dicts.

Design choices, for a funder who may print the page and may not see every colour:
- the Okabe-Ito palette (safe for the common colour-vision deficiencies), with shape or
  position carrying the same information where it matters;
- every chart has a title and a ``description`` (Vega renders it as the SVG's aria-label);
- time series have tooltips and zoom: an overview strip with a brush drives the detail panels,
  or the x scale is bound to the mouse wheel / drag;
- specs are made with ``validate=False`` (schema validation is the slow part of Altair, and these
  charts are fixed code paths exercised by the tests).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import altair as alt
import pandas as pd

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

OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
BLUE, ORANGE, GREEN, PINK, SKY, VERMILLION = OKABE_ITO[:6]
WIDTH = 640
Spec = dict[str, Any]
DATA = "table"  # every chart reads the named dataset "table"; _fill sets its rows
_CACHE: dict[str, Spec] = {}


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
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


def _skeleton(kind: str, build: Callable[[], alt.TopLevelMixin], description: str) -> Spec:
    """Build each chart's Altair object once; later calls copy the spec and swap the data.

    Altair's object model is the slow part (about 0.1 s a chart); a portfolio of a hundred
    projects draws the same eight chart shapes a hundred times with different data.
    """
    if kind not in _CACHE:
        _CACHE[kind] = _finish(build(), description)
    return copy.deepcopy(_CACHE[kind])


def _fill(spec: Spec, rows: list[dict[str, Any]], title: str | None = None) -> Spec:
    spec["datasets"] = {DATA: rows}
    if title is not None:
        spec["title"] = title
    return spec


def _finish(chart: alt.TopLevelMixin, description: str) -> Spec:
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


def activity_chart(monthly: pd.DataFrame, title: str) -> Spec:
    """Commits and active contributors per month, with an overview brush that zooms both."""

    def build() -> alt.TopLevelMixin:
        years = alt.Axis(format="%Y", tickCount="year", labelFlush=True)
        base = alt.Chart(alt.NamedData(name=DATA)).encode(alt.X("month:T", title=None, axis=years))
        brush = alt.selection_interval(encodings=["x"], name="brush")
        x_zoom = alt.X(
            "month:T", title=None, scale=alt.Scale(domain={"param": "brush"}), axis=years
        )
        tip = [
            alt.Tooltip("month:T", title="Month", format="%b %Y"),
            alt.Tooltip("commits:Q", title="Commits"),
            alt.Tooltip("contributors:Q", title="Active contributors"),
            alt.Tooltip("new_contributors:Q", title="First-time contributors"),
        ]
        commits = (
            base.mark_bar(color=BLUE)
            .encode(x_zoom, alt.Y("commits:Q", title="Commits"), tooltip=tip)
            .properties(width=WIDTH, height=150, title="Commits per month")
        )
        people = (
            base.mark_line(color=ORANGE, point=alt.OverlayMarkDef(size=20, color=ORANGE))
            .encode(x_zoom, alt.Y("contributors:Q", title="People"), tooltip=tip)
            .properties(width=WIDTH, height=120, title="Active contributors per month")
        )
        overview = (
            base.mark_area(color=SKY, opacity=0.7)
            .encode(alt.Y("commits:Q", title=None, axis=alt.Axis(labels=False, ticks=False)))
            .add_params(brush)
            .properties(width=WIDTH, height=40, title="Drag here to zoom")
        )
        return alt.vconcat(commits, people, overview)

    spec = _skeleton("activity", build, "")
    spec["description"] = (
        f"{title}: monthly non-bot commits (bars) and distinct active contributors (line); "
        "drag across the bottom strip to zoom both."
    )
    cols = ["month", "commits", "contributors", "new_contributors"]
    return _fill(spec, _records(monthly[cols]))


def new_returning_chart(quarterly: pd.DataFrame) -> Spec:
    """Stacked bars: people active each quarter, split into first-timers and returning."""
    long = quarterly.melt(
        id_vars=["quarter"], value_vars=["new", "returning"], var_name="kind", value_name="people"
    )
    long["kind"] = long["kind"].map({"new": "First contribution", "returning": "Returning"})

    def build() -> alt.TopLevelMixin:
        chart: alt.TopLevelMixin = (
            alt.Chart(alt.NamedData(name=DATA))
            .mark_bar()
            .encode(
                alt.X("quarter:T", title=None),
                alt.Y("people:Q", title="People active", stack="zero"),
                alt.Color(
                    "kind:N",
                    title=None,
                    scale=alt.Scale(
                        domain=["Returning", "First contribution"], range=[BLUE, ORANGE]
                    ),
                    legend=alt.Legend(orient="top"),
                ),
                tooltip=[
                    alt.Tooltip("quarter:T", title="Quarter", format="%Y-Q%q"),
                    alt.Tooltip("kind:N", title="Kind"),
                    alt.Tooltip("people:Q", title="People"),
                ],
            )
            .add_params(alt.selection_interval(bind="scales", encodings=["x"]))
            .properties(width=WIDTH, height=180, title="New and returning contributors per quarter")
        )
        return chart

    desc = "Stacked bars of contributors per quarter: first-timers and returning."
    return _fill(_skeleton("new_returning", build, desc), _records(long))


def retention_chart(cohorts: pd.DataFrame) -> Spec:
    """Share of each quarter's newcomers who committed again 30-365 days after their first."""
    df = cohorts.copy()
    df["rate"] = df["retained"] / df["newcomers"].where(df["newcomers"] > 0)
    df["status"] = df["complete"].map({True: "Complete year", False: "Year not over yet"})

    def build() -> alt.TopLevelMixin:
        chart: alt.TopLevelMixin = (
            alt.Chart(alt.NamedData(name=DATA))
            .mark_bar()
            .encode(
                alt.X("quarter:T", title="Quarter of first contribution"),
                alt.Y(
                    "rate:Q",
                    title="Retained",
                    axis=alt.Axis(format="%"),
                    scale=alt.Scale(domain=[0, 1]),
                ),
                alt.Color(
                    "status:N",
                    title=None,
                    scale=alt.Scale(
                        domain=["Complete year", "Year not over yet"], range=[GREEN, "#b8c4ce"]
                    ),
                    legend=alt.Legend(orient="top"),
                ),
                tooltip=[
                    alt.Tooltip("quarter:T", title="Cohort", format="%Y-Q%q"),
                    alt.Tooltip("newcomers:Q", title="Newcomers"),
                    alt.Tooltip("retained:Q", title="Came back"),
                    alt.Tooltip("rate:Q", title="Retention", format=".0%"),
                ],
            )
            .properties(width=WIDTH, height=160, title="Newcomer retention by cohort")
        )
        return chart

    desc = (
        "Bars: share of each quarter's first-time contributors who committed again between "
        "30 and 365 days later; grey cohorts are not a full year old yet."
    )
    cols = ["quarter", "newcomers", "retained", "rate", "status"]
    return _fill(_skeleton("retention", build, desc), _records(df[cols]))


def responsiveness_chart(resp: pd.DataFrame) -> Spec:
    """Median hours to first response and to merge, and the open-issue backlog, per month."""

    def build() -> alt.TopLevelMixin:
        data = alt.NamedData(name=DATA)
        x = alt.X("month:T", title=None)
        tip = [
            alt.Tooltip("month:T", title="Month", format="%b %Y"),
            alt.Tooltip("first_response_h:Q", title="First response (median h)", format=".1f"),
            alt.Tooltip("merge_h:Q", title="Time to merge (median h)", format=".1f"),
            alt.Tooltip("backlog:Q", title="Open issues (month end)"),
        ]
        first = (
            alt.Chart(data)
            .mark_line(color=BLUE, point=True)
            .encode(x, alt.Y("first_response_h:Q", title="Hours"), tooltip=tip)
            .add_params(alt.selection_interval(bind="scales", encodings=["x"]))
            .properties(width=WIDTH, height=120, title="Median time to first response")
        )
        merge = (
            alt.Chart(data)
            .mark_line(color=VERMILLION, point=alt.OverlayMarkDef(shape="square", color=VERMILLION))
            .encode(x, alt.Y("merge_h:Q", title="Hours"), tooltip=tip)
            .properties(width=WIDTH, height=120, title="Median time to merge a pull request")
        )
        backlog = (
            alt.Chart(data)
            .mark_area(color=PINK, opacity=0.6, line=True)
            .encode(x, alt.Y("backlog:Q", title="Open items"), tooltip=tip)
            .properties(width=WIDTH, height=110, title="Backlog: open issues at month end")
        )
        return alt.vconcat(first, merge, backlog)

    desc = (
        "Three monthly series: median hours to first response, median hours to merge, and the "
        "number of open issues and pull requests at each month's end."
    )
    return _fill(_skeleton("responsiveness", build, desc), _records(resp))


def releases_chart(rel: pd.DataFrame) -> Spec:
    """One tick per release on a time line; pre-releases drawn apart."""
    df = rel.copy()
    df["kind"] = df["prerelease"].map({True: "Pre-release", False: "Release"})

    def build() -> alt.TopLevelMixin:
        chart: alt.TopLevelMixin = (
            alt.Chart(alt.NamedData(name=DATA))
            .mark_tick(thickness=2, size=28)
            .encode(
                alt.X("published_at:T", title=None),
                alt.Y("kind:N", title=None, sort=["Release", "Pre-release"]),
                alt.Color(
                    "kind:N",
                    legend=None,
                    scale=alt.Scale(domain=["Release", "Pre-release"], range=[GREEN, ORANGE]),
                ),
                tooltip=[
                    alt.Tooltip("tag:N", title="Tag"),
                    alt.Tooltip("name:N", title="Name"),
                    alt.Tooltip("published_at:T", title="Published", format="%Y-%m-%d"),
                ],
            )
            .add_params(alt.selection_interval(bind="scales", encodings=["x"]))
            .properties(width=WIDTH, height=90, title="Releases")
        )
        return chart

    desc = "Each tick is one published release; pre-releases on their own row."
    cols = ["tag", "name", "published_at", "kind"]
    return _fill(_skeleton("releases", build, desc), _records(df[cols]))


def risk_importance_chart(
    points: pd.DataFrame, thresholds: dict[str, float | None], lens: str = "exposure"
) -> Spec:
    """Risk (y) against importance (x), the x-axis switchable between the two lenses.

    ``points`` columns: repo, href, risk, risk_kind, importance_reach, importance_exposure,
    quadrant_reach, quadrant_exposure, reach_coverage, reach_signals, exposure_repos,
    exposure_mode, link_confidence, criticality, truck_factor. A radio button (the Vega
    parameter ``lens``) picks the x field, the quadrant colouring and the dashed threshold (the
    lens's 70th percentile); the horizontal threshold is the risk model's 50. Points without a
    value for the chosen lens are left out (their importance is unknown, not zero).
    """
    quads = ["Fragile and important", "Fragile", "Important", "Neither"]

    def build() -> alt.TopLevelMixin:
        param = alt.param(
            name="lens",
            value="exposure",
            bind=alt.binding_radio(
                options=["exposure", "reach"],
                labels=["Our exposure (SBOMs)", "Ecosystem reach"],
                name="Importance: ",
            ),
        )
        base = (
            alt.Chart(alt.NamedData(name=DATA))
            .transform_calculate(
                x="lens === 'reach' ? datum.importance_reach : datum.importance_exposure",
                quadrant="lens === 'reach' ? datum.quadrant_reach : datum.quadrant_exposure",
                threshold="lens === 'reach' ? datum.thr_reach : datum.thr_exposure",
            )
            .transform_filter("isValid(datum.x)")
        )
        dots = (
            base.mark_point(filled=True, size=110, opacity=0.85)
            .encode(
                # no fixed domain: exposure shares are small numbers, reach spans 0-100
                alt.X(
                    "x:Q",
                    title="Importance (toggle the lens below)",
                    scale=alt.Scale(zero=True, nice=True),
                ),
                alt.Y("risk:Q", title="Risk (0-100)", scale=alt.Scale(domain=[0, 100])),
                alt.Color(
                    "quadrant:N",
                    title=None,
                    scale=alt.Scale(domain=quads, range=[VERMILLION, ORANGE, BLUE, "#9ca3af"]),
                    legend=alt.Legend(orient="top"),
                ),
                alt.Shape(
                    "quadrant:N",
                    title=None,
                    scale=alt.Scale(
                        domain=quads, range=["diamond", "triangle-up", "circle", "square"]
                    ),
                    legend=alt.Legend(orient="top"),
                ),
                alt.Href("href:N"),
                tooltip=[
                    alt.Tooltip("repo:N", title="Project"),
                    alt.Tooltip("risk:Q", title="Risk", format=".0f"),
                    alt.Tooltip("risk_kind:N", title="Risk from"),
                    alt.Tooltip("importance_exposure:Q", title="Our exposure", format=".1f"),
                    alt.Tooltip("exposure_repos:N", title="Our repositories using it"),
                    alt.Tooltip("exposure_mode:N", title="Exposure computed by"),
                    alt.Tooltip("importance_reach:Q", title="Ecosystem reach", format=".1f"),
                    alt.Tooltip("reach_coverage:Q", title="Reach signals (of 3)"),
                    alt.Tooltip("reach_signals:N", title="Signals (source, date)"),
                    alt.Tooltip("link_confidence:N", title="Package link confidence"),
                    alt.Tooltip(
                        "criticality:Q", title="criticality_score (baseline)", format=".0f"
                    ),
                    alt.Tooltip("truck_factor:Q", title="Truck factor"),
                ],
            )
            .add_params(param)
        )
        labels = base.mark_text(align="left", dx=8, dy=-6, fontSize=10, color="#374151").encode(
            x="x:Q", y="risk:Q", text="repo:N"
        )
        vline = (
            base.transform_aggregate(t="max(threshold)")
            .mark_rule(strokeDash=[4, 4], color="#9ca3af")
            .encode(x="t:Q")
        )
        hline = (
            alt.Chart(alt.InlineData(values=[{"v": 50}]))
            .mark_rule(strokeDash=[4, 4], color="#9ca3af")
            .encode(y="v:Q")
        )
        return alt.layer(vline, hline, dots, labels).properties(
            width=WIDTH, height=380, title="Risk against importance"
        )

    desc = (
        "Scatter plot: each project's risk score (vertical) against its importance (horizontal): "
        "our exposure from the organisation's SBOMs, or its reach in its ecosystem. Projects in "
        "the top right are fragile and important. Click a point to open its dashboard."
    )
    spec = _skeleton("risk_importance", build, desc)
    # the radio starts on the lens the page's headline uses
    for p in spec.get("params", []) + [
        q for layer in spec.get("layer", []) for q in layer.get("params", [])
    ]:
        if p.get("name") == "lens":
            p["value"] = lens
    pts = points.assign(thr_reach=thresholds.get("reach"), thr_exposure=thresholds.get("exposure"))
    spec.setdefault("datasets", {})[DATA] = _records(pts)
    return spec


def metric_history_chart(hist: pd.DataFrame) -> Spec:
    """Headline metrics over nightly runs, one metric at a time (a drop-down picks it)."""
    metrics = sorted(hist["metric"].unique().tolist())

    def build() -> alt.TopLevelMixin:
        pick = alt.param(
            name="metric",
            value=metrics[0],
            bind=alt.binding_select(options=metrics, name="Metric "),
        )
        chart: alt.TopLevelMixin = (
            alt.Chart(alt.NamedData(name=DATA))
            .mark_line(color=BLUE, point=True)
            .encode(
                alt.X("computed_at:T", title="Snapshot"),
                alt.Y("value:Q", title="Value"),
                tooltip=[
                    alt.Tooltip("metric:N", title="Metric"),
                    alt.Tooltip("computed_at:T", title="Computed", format="%Y-%m-%d"),
                    alt.Tooltip("value:Q", title="Value", format=",.2f"),
                ],
            )
            .add_params(pick)
            .transform_filter("datum.metric == metric")
            .properties(width=WIDTH, height=160, title="Headline metrics over time")
        )
        return chart

    desc = "Line chart of one headline metric across nightly snapshots."
    # metric names go into the drop-down's options: a skeleton per distinct set of metrics
    spec = _skeleton("history:" + "\x1f".join(metrics), build, desc)
    cols = ["metric", "computed_at", "value"]
    return _fill(spec, _records(hist[cols]))


def network_chart(nodes: pd.DataFrame, links: pd.DataFrame, title: str) -> Spec:
    """The collaboration network from laid-out positions: drag to pan, scroll to zoom.

    ``nodes``: name, commits, key (bool), x, y, collaborators; ``links``: x, y, x2, y2, files.
    The layout is computed in Python (fixed seed), so the picture is the same on every build
    and in print; Vega-Lite then only draws it.
    """

    def build() -> alt.TopLevelMixin:
        hide = alt.Axis(labels=False, ticks=False, grid=False, domain=False, title=None)
        x = alt.X("x:Q", axis=hide, scale=alt.Scale(zero=False, nice=False, padding=20))
        y = alt.Y("y:Q", axis=hide, scale=alt.Scale(zero=False, nice=False, padding=20))
        edges = (
            alt.Chart(alt.NamedData(name="links"))
            .mark_rule(color="#9ca3af", opacity=0.45)
            .encode(
                x,
                y,
                x2="x2:Q",
                y2="y2:Q",
                strokeWidth=alt.StrokeWidth(
                    "files:Q", scale=alt.Scale(type="sqrt", range=[0.5, 4]), legend=None
                ),
            )
        )
        hover = alt.selection_point(on="pointerover", fields=["name"], empty=False, name="who")
        dots = (
            alt.Chart(alt.NamedData(name=DATA))
            .mark_point(filled=True, stroke="white", strokeWidth=1, opacity=0.95)
            .encode(
                x,
                y,
                alt.Size("commits:Q", scale=alt.Scale(type="sqrt", range=[40, 900]), legend=None),
                alt.Color(
                    "role:N",
                    title=None,
                    scale=alt.Scale(domain=["Key person", "Contributor"], range=[VERMILLION, BLUE]),
                    legend=alt.Legend(orient="top"),
                ),
                alt.Shape(
                    "role:N",
                    title=None,
                    scale=alt.Scale(
                        domain=["Key person", "Contributor"], range=["diamond", "circle"]
                    ),
                    legend=alt.Legend(orient="top"),
                ),
                strokeWidth=alt.condition(hover, alt.value(3), alt.value(1)),
                tooltip=[
                    alt.Tooltip("name:N", title="Contributor"),
                    alt.Tooltip("commits:Q", title="Commits (window)"),
                    alt.Tooltip("collaborators:Q", title="Co-editors shown"),
                    alt.Tooltip("role:N", title="Role"),
                    alt.Tooltip("files_authored:Q", title="Files they author (graph stage)"),
                    alt.Tooltip("community:N", title="Community (graph stage)"),
                    alt.Tooltip("pagerank:Q", title="PageRank (graph stage)", format=".3f"),
                ],
            )
            .add_params(hover)
        )
        labels = (
            alt.Chart(alt.NamedData(name=DATA))
            .transform_calculate(label="datum.role == 'Key person' ? datum.name : ''")
            .mark_text(dy=-14, fontSize=11, fontWeight="bold", color="#111827")
            .encode(x, y, text="label:N")
        )
        return (
            alt.layer(edges, dots, labels)
            .add_params(alt.selection_interval(bind="scales"))
            .properties(width=WIDTH, height=420, title="Collaboration network")
        )

    spec = _skeleton("network", build, "")
    spec["description"] = (
        f"{title}: each symbol is a contributor sized by commits; a line joins two people who "
        "changed the same files, thicker for more files. Key people of the truck factor are "
        "vermillion diamonds. Drag to pan, scroll to zoom."
    )
    df = nodes.copy()
    df["role"] = df["key"].map({True: "Key person", False: "Contributor"})
    spec["datasets"] = {
        DATA: _records(
            df[
                ["name", "commits", "collaborators", "role", "x", "y"]
                + [c for c in ("files_authored", "community", "pagerank") if c in df.columns]
            ]
        ),
        "links": _records(links[["x", "y", "x2", "y2", "files"]]),
    }
    spec["title"] = title
    return spec
