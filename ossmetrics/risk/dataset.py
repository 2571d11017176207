"""Snapshots, features, labels and graphs of a store: the risk model's data set.

``build_dataset(con)`` is the one command that turns a store into training data; evaluation,
training and scoring all go through it, so they share one definition of the task:

* snapshots every 6 months on a grid anchored at the data end (``snapshots``);
* **eligible**: ≥ 10 non-bot commits in the 12 months before T;
* **labelled**: T + 12 months ≤ the repository's data end;
* **dormant**: < 5 non-bot commits in the 12 months after T;
* **core loss**: every truck-factor key person at T has no commit in the project in the
  12 months after T (undefined when the truck factor found no key people);
* **archived**: the repository was archived or declared unmaintained/deprecated on or before
  T + 12 months (``status_events``); NULL where no status source covered the repository up to
  T + 12 months — never guessed from commits;
* **young** snapshots (first commit < 2 years before T) are also taken every 3 months
  (``snapshots.YOUNG_STEP_MONTHS``), so young projects weigh in the training and evaluation;
* each row carries its ``ecosystem`` (``ecosystems.repo_ecosystems``) and ``young`` flag;
* features and graphs from data before the cut only.

Key people come only from the graph stage: its truck factor (degree of authorship, Avelino et
al. 2016) stored in ``graph_repo_measures`` at each snapshot date (``ossmetrics graph
--risk-snapshots`` stores them for every date ``snapshot_dates`` gives; a nightly ``graph`` run
serves the scoring date). A snapshot without one is an error (``GraphsMissing``) naming the
command to run, never a number made up here.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from ossmetrics.errors import GraphsMissing, InsufficientHistory
from ossmetrics.risk.ecosystems import repo_ecosystems
from ossmetrics.risk.feature_tables import (
    build_labels,
    build_person_table,
    build_project_table,
)
from ossmetrics.risk.graphs import SnapshotGraph, build_graphs
from ossmetrics.risk.snapshots import (
    MIN_COMMITS_AFTER,
    MIN_COMMITS_BEFORE,
    NONBOT_COMMITS_SQL,
    YOUNG_STEP_MONTHS,
    YOUNG_YEARS,
    DataEnds,
    add_months,
    cut_of,
    repo_data_ends,
    snapshot_grid,
)

#: ``RiskDataset.key_source`` of a data set read from a feature file (``feature_file``): it has
#: features and labels but no graphs, so the GNN is not trained or evaluated from it.
FEATURE_FILE_SOURCE = "feature file"

#: Status kinds that make the archived label (a corpus may record others, e.g. ``cleared``).
ENDING_KINDS = ("archived", "unmaintained", "deprecated")

__all__ = [
    "ENDING_KINDS",
    "FEATURE_FILE_SOURCE",
    "RiskDataset",
    "build_dataset",
    "build_scoring_set",
    "key_people",
    "snapshot_dates",
]


@dataclass
class RiskDataset:
    """Rows (one per scored snapshot) with features, labels and one graph each."""

    rows: pd.DataFrame
    graphs: list[SnapshotGraph]
    key_source: str
    data_ends: DataEnds | None = None
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.rows)

    def subset(self, mask: np.ndarray | pd.Series) -> RiskDataset:
        idx = np.flatnonzero(np.asarray(mask))
        return RiskDataset(
            self.rows.iloc[idx].reset_index(drop=True),
            [self.graphs[i] for i in idx],
            self.key_source,
            self.data_ends,
            self.seconds,
            list(self.notes),
        )


def _repo_first_dates(con: duckdb.DuckDBPyConnection) -> dict[int, date]:
    rows = con.execute(
        f"SELECT repo_id, min(ts)::DATE FROM ({NONBOT_COMMITS_SQL}) x GROUP BY 1"
    ).fetchall()
    return {int(r): d for r, d in rows}


def _stored_truck_factors(
    con: duckdb.DuckDBPyConnection, dates_by_repo: dict[int, list[date]]
) -> dict[tuple[int, date], tuple[list[int], float, float]]:
    """Truck factors the graph stage already stored, where they describe the history at T.

    A row stored at date A serves T when A is T or up to 31 days before it, or when A is later
    but the repository has no commit after T (its history at A is its history at T) — the
    nightly pipeline runs the graph stage just before scoring, so scoring reuses its work.
    """
    try:
        rows = con.execute(
            """SELECT g.repo_id, g.as_of, g.value, g.detail, l.last::DATE
               FROM graph_repo_measures g
               LEFT JOIN (SELECT repo_id, max(committed_at) AS last FROM commits GROUP BY 1) l
                 USING (repo_id)
               WHERE g.measure = 'truck_factor' AND g.detail IS NOT NULL"""
        ).fetchall()
    except duckdb.Error:
        return {}
    by_repo: dict[int, list[tuple[date, float, str, date | None]]] = {}
    for rid, a, v, detail, last in rows:
        by_repo.setdefault(int(rid), []).append((a, v, detail, last))
    out: dict[tuple[int, date], tuple[list[int], float, float]] = {}
    for rid, dates in dates_by_repo.items():
        for d in dates:
            best = None
            for a, v, detail, last in by_repo.get(rid, []):
                ok = (a <= d and (d - a).days <= 31) or (a >= d and last is not None and last <= d)
                if ok and (best is None or abs((a - d).days) < abs((best[0] - d).days)):
                    best = (a, v, detail)
            if best is None:
                continue
            try:
                info = json.loads(best[2])
                people = [int(p) for p in info.get("key_people", [])]
                bf = info.get("bus_factor_all_history")
            except (ValueError, TypeError, AttributeError):
                continue
            tf = float(best[1]) if best[1] is not None else np.nan
            out[(rid, d)] = (people, tf, float(bf) if bf is not None else np.nan)
    return out


def key_people(
    con: duckdb.DuckDBPyConnection, dates_by_repo: dict[int, list[date]]
) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """(keys: repo_id, as_of, person_id), (bus: repo_id, as_of, truck/bus factors), source.

    Read from the graph stage's stored truck factors; raises ``GraphsMissing`` when a
    (repository, date) has none.
    """
    rows: list[tuple[int, date, int]] = []
    bus: list[tuple[int, date, float, float]] = []
    stored = _stored_truck_factors(con, dates_by_repo)
    missing = [(rid, d) for rid, ds in dates_by_repo.items() for d in ds if (rid, d) not in stored]
    if missing:
        names = dict(con.execute("SELECT repo_id, full_name FROM repos").fetchall())
        repos = sorted({str(names.get(rid, rid)) for rid, _ in missing})
        shown = ", ".join(repos[:3]) + (f" and {len(repos) - 3} more" if len(repos) > 3 else "")
        dates = sorted({d for _, d in missing})
        when = (
            str(dates[0]) if len(dates) == 1 else f"{len(dates)} dates, {dates[0]} to {dates[-1]}"
        )
        raise GraphsMissing(
            f"the graph stage has not stored the truck factor of {shown} at {when}"
            " (the risk model reads its key people from there)",
            "run `ossmetrics graph --risk-snapshots` (or `ossmetrics graph --at DATE` for one"
            " scoring date) first",
            missing=[(rid, d) for rid, d in missing],
        )
    for (rid, d), (people, tf, bf) in stored.items():
        rows.extend((rid, d, p) for p in people)
        bus.append((rid, d, tf, bf))
    keys = pd.DataFrame(rows, columns=["repo_id", "as_of", "person_id"])
    factors = pd.DataFrame(bus, columns=["repo_id", "as_of", "tf_value", "bus_factor_all_history"])
    return keys, factors, "truck_factor"


def snapshot_dates(
    con: duckdb.DuckDBPyConnection, dates: Sequence[date] | None = None
) -> dict[int, list[date]]:
    """The (repository, date) pairs ``build_dataset`` reads truck factors for: each
    repository's snapshot dates (``dates``, else the training grid: every 6 months, and every 3
    while the project is under ``YOUNG_YEARS`` old) from its first commit on. The graph stage
    stores them with ``store_truck_factors``."""
    firsts = _repo_first_dates(con)
    if not firsts:
        return {}
    if dates is None:
        ends = repo_data_ends(con)
        if ends.global_end is None:
            return {}
        start = min(firsts.values())
        main = set(snapshot_grid(ends.global_end, start))
        fine = snapshot_grid(ends.global_end, start, step_months=YOUNG_STEP_MONTHS)
        # a day's margin: the features measure age from the first commit's time to the cut
        young = YOUNG_YEARS + 2 / 365.25
        return {
            rid: ds
            for rid, first in firsts.items()
            if (
                ds := [
                    d
                    for d in fine
                    if d >= first and (d in main or (d - first).days / 365.25 < young)
                ]
            )
        }
    out: dict[int, list[date]] = {}
    for rid, first in firsts.items():
        ds = [d for d in sorted(set(dates)) if d >= first]
        if ds:
            out[rid] = ds
    return out


def _assemble(
    con: duckdb.DuckDBPyConnection,
    dates: Sequence[date],
    *,
    exclude_people: Sequence[int] = (),
    only_repos: Sequence[int] | None = None,
    per_repo: dict[int, list[date]] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, str]:
    """``per_repo``: each repository's own dates (the training grid), else ``dates`` for all."""
    dates_by_repo = {
        rid: ds
        for rid, ds in (per_repo if per_repo is not None else snapshot_dates(con, dates)).items()
        if only_repos is None or rid in only_repos
    }
    keys, factors, source = key_people(con, dates_by_repo)
    if exclude_people:
        keys = keys[~keys["person_id"].isin(list(exclude_people))]
    projects = build_project_table(con, dates, keys, exclude_people=exclude_people)
    projects = projects.merge(factors, on=["repo_id", "as_of"], how="left")
    persons = build_person_table(con)
    return projects, persons, keys, source


def build_dataset(
    con: duckdb.DuckDBPyConnection,
    *,
    dates: Sequence[date] | None = None,
    require_labels: bool = True,
) -> RiskDataset:
    """Eligible, labelled snapshots of every repository in the store, with their graphs.

    Raises ``InsufficientHistory`` (saying what is missing) when nothing can be labelled.
    """
    t0 = time.perf_counter()
    ends = repo_data_ends(con)
    if ends.global_end is None:
        raise InsufficientHistory(
            "the store has no non-bot commits to learn from",
            "collect git history first (`ossmetrics collect git PATH`); until then the shipped model is used",
        )
    firsts = _repo_first_dates(con)
    first = min(firsts.values())
    main_grid: set[date] | None = None
    per_repo: dict[int, list[date]] | None = None
    if dates is None:
        main_grid = set(snapshot_grid(ends.global_end, first))
        dates = snapshot_grid(ends.global_end, first, step_months=YOUNG_STEP_MONTHS)
        per_repo = snapshot_dates(con)  # the finer dates only while a project is young
    projects, persons, _keys, source = _assemble(con, dates, per_repo=per_repo)
    labels = build_labels(con)
    rows = projects.merge(labels, on=["repo_id", "as_of"], how="left")
    rows["young"] = rows["age_years"].astype(float) < YOUNG_YEARS
    if main_grid is not None:  # the finer grid only for young projects
        on_main = rows["as_of"].isin(main_grid)
        rows = rows[on_main | rows["young"]].reset_index(drop=True)
    ecos = repo_ecosystems(con)
    rows["ecosystem"] = [ecos.get(int(r), "other") for r in rows["repo_id"]]
    rows["eligible"] = rows["commits_12m"] >= MIN_COMMITS_BEFORE
    rows["data_end"] = [ends.for_repo(int(r)) for r in rows["repo_id"]]
    rows["labelled"] = [
        add_months(d, 12) <= e for d, e in zip(rows["as_of"], rows["data_end"], strict=True)
    ]
    rows["dormant"] = np.where(
        rows["labelled"], (rows["commits_next_12m"] < MIN_COMMITS_AFTER).astype(float), np.nan
    )
    core = (rows["n_keys"] > 0) & (rows["keys_active_next_12m"] == 0)
    rows["core_loss"] = np.where(
        rows["labelled"] & (rows["n_keys"] > 0), core.astype(float), np.nan
    )
    rows["archived"] = _status_label(con, rows)
    keep = rows["eligible"] & (rows["labelled"] if require_labels else True)
    targets = rows[keep].reset_index(drop=True)
    if require_labels and targets.empty:
        n_elig = int(rows["eligible"].sum())
        raise InsufficientHistory(
            f"no labelled snapshot: {n_elig} snapshot(s) had ≥{MIN_COMMITS_BEFORE} non-bot commits "
            f"in the 12 months before T, but none has 12 months of history after T inside the "
            f"data (data end {ends.global_end})",
            "collect a longer history; until then `ossmetrics score` uses the shipped model",
        )
    graphs = build_graphs(con, projects, persons, targets)
    return RiskDataset(targets, graphs, source, ends, time.perf_counter() - t0)


def _status_label(con: duckdb.DuckDBPyConnection, rows: pd.DataFrame) -> np.ndarray:
    """1 if the repository's status at T + 12 months (its latest status event before then) is
    archived / unmaintained / deprecated, 0 if a status source covered it through T + 12 months
    and it was not, NaN otherwise (no source, the source stops earlier, or unlabelled)."""
    out = np.full(len(rows), np.nan)
    try:
        cov = dict(con.execute("SELECT repo_id, checked_at FROM status_coverage").fetchall())
        ev = con.execute(
            "SELECT repo_id, event_at, kind FROM status_events ORDER BY repo_id, event_at"
        ).fetchall()
    except duckdb.Error:  # a store from before migration 0410
        return out
    events: dict[int, list[tuple[Any, str]]] = {}
    for rid, t, kind in ev:
        events.setdefault(int(rid), []).append((t, str(kind)))
    for i, (rid, d, lab) in enumerate(
        zip(rows["repo_id"], rows["as_of"], rows["labelled"], strict=True)
    ):
        checked = cov.get(int(rid))
        if not lab or checked is None:
            continue
        horizon = cut_of(add_months(d, 12))
        if checked < horizon:
            continue
        state = ""
        for t, kind in events.get(int(rid), []):
            if t >= horizon:
                break
            state = kind
        out[i] = 1.0 if state in ENDING_KINDS else 0.0
    return out


def build_scoring_set(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    repo_ids: Sequence[int] | None = None,
    exclude_people: Sequence[int] = (),
) -> RiskDataset:
    """Every repository (or ``repo_ids``) at ``as_of``, unlabelled, eligible or not."""
    t0 = time.perf_counter()
    projects, persons, _keys, source = _assemble(
        con, [as_of], exclude_people=exclude_people, only_repos=repo_ids
    )
    targets = projects
    if repo_ids is not None:
        targets = projects[projects["repo_id"].isin(list(repo_ids))]
    targets = targets.reset_index(drop=True)
    targets["eligible"] = targets["commits_12m"] >= MIN_COMMITS_BEFORE
    graphs = build_graphs(con, projects, persons, targets)
    return RiskDataset(targets, graphs, source, None, time.perf_counter() - t0)
