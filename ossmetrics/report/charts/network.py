"""The collaboration network chart, drawn from positions laid out in Python."""

from __future__ import annotations

import altair as alt
import pandas as pd

from ossmetrics.report.charts.spec import BLUE, DATA, VERMILLION, WIDTH, Spec, records, skeleton


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

    spec = skeleton("network", build, "")
    spec["description"] = (
        f"{title}: each symbol is a contributor sized by commits; a line joins two people who "
        "changed the same files, thicker for more files. Key people of the truck factor are "
        "vermillion diamonds. Drag to pan, scroll to zoom."
    )
    df = nodes.copy()
    df["role"] = df["key"].map({True: "Key person", False: "Contributor"})
    spec["datasets"] = {
        DATA: records(
            df[
                ["name", "commits", "collaborators", "role", "x", "y"]
                + [c for c in ("files_authored", "community", "pagerank") if c in df.columns]
            ]
        ),
        "links": records(links[["x", "y", "x2", "y2", "files"]]),
    }
    spec["title"] = title
    return spec
