"""One project's dashboard charts: activity, new and returning people, retention,
responsiveness, releases, and the headline metrics over nightly runs."""

from __future__ import annotations

import altair as alt
import pandas as pd

from ossmetrics.report.charts.spec import (
    BLUE,
    DATA,
    GREEN,
    ORANGE,
    PINK,
    SKY,
    VERMILLION,
    WIDTH,
    Spec,
    fill,
    records,
    skeleton,
)


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

    spec = skeleton("activity", build, "")
    spec["description"] = (
        f"{title}: monthly non-bot commits (bars) and distinct active contributors (line); "
        "drag across the bottom strip to zoom both."
    )
    cols = ["month", "commits", "contributors", "new_contributors"]
    return fill(spec, records(monthly[cols]))


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
    return fill(skeleton("new_returning", build, desc), records(long))


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
    return fill(skeleton("retention", build, desc), records(df[cols]))


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
    return fill(skeleton("responsiveness", build, desc), records(resp))


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
    return fill(skeleton("releases", build, desc), records(df[cols]))


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
    spec = skeleton("history:" + "\x1f".join(metrics), build, desc)
    cols = ["metric", "computed_at", "value"]
    return fill(spec, records(hist[cols]))
