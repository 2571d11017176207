"""The portfolio's risk-against-importance scatter, its x-axis switchable between the two
importance lenses (our exposure from SBOMs, ecosystem reach)."""

from __future__ import annotations

import altair as alt
import pandas as pd

from ossmetrics.report.charts.spec import (
    BLUE,
    DATA,
    ORANGE,
    VERMILLION,
    WIDTH,
    Spec,
    records,
    skeleton,
)


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
    spec = skeleton("risk_importance", build, desc)
    # the radio starts on the lens the page's headline uses
    for p in spec.get("params", []) + [
        q for layer in spec.get("layer", []) for q in layer.get("params", [])
    ]:
        if p.get("name") == "lens":
            p["value"] = lens
    pts = points.assign(thr_reach=thresholds.get("reach"), thr_exposure=thresholds.get("exposure"))
    spec.setdefault("datasets", {})[DATA] = records(pts)
    return spec
