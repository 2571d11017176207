"""``compute_graphs``: every graph measure of the chosen repositories, written to the store.

Why one function: the CLI (``ossmetrics graph``), the nightly pipeline and the benchmark all
need "compute and store everything for these repositories at this cut date", idempotently.
Each repository is written in its own transaction (its rows for that ``as_of`` replaced), so
an interrupted run keeps what it finished and a rerun gives the same rows.

Rows written (definitions in docs/graph.md):

- ``graph_person_measures`` (graph ``collaboration``): degree, weighted_degree, betweenness,
  pagerank, core_number, core, community, broker_score; (graph ``authorship``):
  files_authored; (graph ``portfolio``, ``repo_id`` NULL): degree, weighted_degree, repos.
- ``graph_repo_measures``: truck_factor (detail: key people, files, authors), bus_factor_all_history,
  core_size, core_work_share, communities, key_people_cross_load (detail: per key person),
  people, collaboration_edges, files, betweenness_sources.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import duckdb
import pandas as pd
import pyarrow as pa

from ossmetrics.errors import GraphError
from ossmetrics.graph.build import DEFAULT_WINDOW_DAYS, portfolio_edges
from ossmetrics.graph.contributor_graph import ContributorGraph
from ossmetrics.graph.truck_factor import TruckFactorResult, cut_timestamp, truck_factor
from ossmetrics.store import transaction

__all__ = [
    "ACTIVE_DAYS",
    "GraphSummary",
    "RepoRow",
    "compute_graphs",
    "measure_repo",
    "portfolio_rows",
    "stored_as_of",
    "write_measures",
]

#: A person "carries" another repository when they committed to it in this many days up to the cut.
ACTIVE_DAYS = 365

Exclude = Sequence[str] | Mapping[int, Sequence[str]] | None
#: One ``graph_repo_measures`` row of a repository: (measure, value, detail JSON).
RepoRow = tuple[str, float | None, str | None]


@dataclass
class GraphSummary:
    """What ``compute_graphs`` computed for one repository."""

    repo_id: int
    repo: str
    as_of: date
    truck: TruckFactorResult
    people: int
    edges: int
    core_size: int
    core_work_share: float | None
    communities: int
    key_people_cross_load: int
    betweenness_sources: int
    seconds: float


def stored_as_of(as_of: datetime | date | None) -> date:
    """The DATE a cut is stored under: the cut's UTC date, today's for None."""
    if as_of is None:
        return datetime.now(UTC).date()
    if isinstance(as_of, datetime):
        cut = cut_timestamp(as_of)
        assert cut is not None
        return cut.astimezone(UTC).date()
    return as_of


def _exclude_for(exclude: Exclude, repo_id: int) -> Sequence[str] | None:
    if exclude is None or isinstance(exclude, str):
        return None
    if isinstance(exclude, Mapping):
        return exclude.get(repo_id)
    return exclude


def _cross_load(
    con: duckdb.DuckDBPyConnection, repo_id: int, key: list[int], cut: datetime | None
) -> tuple[int, dict[str, int]]:
    """Distinct other repositories in which a key person committed in the ACTIVE_DAYS up to the cut."""
    if not key:
        return 0, {}
    if cut is None:
        row = con.execute(
            "SELECT max(committed_at) FROM commits WHERE repo_id = ?", [repo_id]
        ).fetchall()
        cut = row[0][0] if row and row[0][0] is not None else datetime.now(UTC)
    assert cut is not None
    rows = con.execute(
        """SELECT p.person_id, c.repo_id
           FROM commits c JOIN identities i ON i.identity_id = c.author_identity
           JOIN people p ON p.person_id = i.person_id
           WHERE list_contains($key, p.person_id) AND c.repo_id <> $repo
             AND c.committed_at <= $cut AND c.committed_at > $start
           GROUP BY ALL""",
        {"key": key, "repo": repo_id, "cut": cut, "start": cut - timedelta(days=ACTIVE_DAYS)},
    ).fetchall()
    per: dict[str, int] = {str(p): 0 for p in key}
    for p, _r in rows:
        per[str(p)] += 1
    return len({r for _p, r in rows}), per


def write_measures(
    con: duckdb.DuckDBPyConnection,
    repo_id: int | None,
    as_of: date,
    person_rows: pd.DataFrame,
    repo_rows: list[RepoRow],
    graphs: Sequence[str],
) -> None:
    """Replace one repository's rows (or, ``repo_id`` None, the portfolio rows) for ``as_of``
    in one transaction: a rerun gives the same rows, an interrupted run keeps the old ones."""
    with transaction(con):
        if repo_id is None:
            con.execute(
                "DELETE FROM graph_person_measures WHERE repo_id IS NULL AND as_of = ? AND list_contains(?, graph)",
                [as_of, list(graphs)],
            )
        else:
            con.execute(
                "DELETE FROM graph_person_measures WHERE repo_id = ? AND as_of = ? AND list_contains(?, graph)",
                [repo_id, as_of, list(graphs)],
            )
            con.execute(
                "DELETE FROM graph_repo_measures WHERE repo_id = ? AND as_of = ?", [repo_id, as_of]
            )
        if len(person_rows):
            tbl = pa.table(
                {
                    "repo_id": pa.array([repo_id] * len(person_rows), type=pa.int32()),
                    "person_id": pa.array(person_rows["person_id"].tolist(), type=pa.int32()),
                    "as_of": pa.array([as_of] * len(person_rows), type=pa.date32()),
                    "graph": pa.array(person_rows["graph"].tolist(), type=pa.string()),
                    "measure": pa.array(person_rows["measure"].tolist(), type=pa.string()),
                    "value": pa.array(person_rows["value"].tolist(), type=pa.float64()),
                }
            )
            con.register("_gpm_rows", tbl)
            try:
                con.execute(
                    "INSERT INTO graph_person_measures (repo_id, person_id, as_of, graph, measure, value) "
                    "SELECT * FROM _gpm_rows"
                )
            finally:
                con.unregister("_gpm_rows")
        if repo_rows and repo_id is not None:
            tbl = pa.table(
                {
                    "repo_id": pa.array([repo_id] * len(repo_rows), type=pa.int32()),
                    "as_of": pa.array([as_of] * len(repo_rows), type=pa.date32()),
                    "measure": pa.array([r[0] for r in repo_rows], type=pa.string()),
                    "value": pa.array([r[1] for r in repo_rows], type=pa.float64()),
                    "detail": pa.array([r[2] for r in repo_rows], type=pa.string()),
                }
            )
            con.register("_grm_rows", tbl)
            try:
                con.execute(
                    "INSERT INTO graph_repo_measures (repo_id, as_of, measure, value, detail) "
                    "SELECT * FROM _grm_rows"
                )
            finally:
                con.unregister("_grm_rows")


def measure_repo(
    con: duckdb.DuckDBPyConnection,
    repo_id: int,
    name: str,
    as_of: datetime | date | None,
    exclude: Sequence[str] | None,
    window_days: int,
    seed: int,
) -> tuple[pd.DataFrame, list[RepoRow], GraphSummary]:
    """Every measure of one repository, computed but not stored: its person rows, its repository
    rows and a summary. Reads only that repository's rows (and, for ``key_people_cross_load``,
    the key people's commits elsewhere), so a Spark task can run it on one repository's data."""
    t0 = time.perf_counter()
    cut = cut_timestamp(as_of)
    day = stored_as_of(as_of)
    tf = truck_factor(con, repo_id, cut, exclude=exclude)
    cg = ContributorGraph.collaboration(con, repo_id, cut, window_days=window_days, exclude=exclude)
    pm = cg.person_measures(seed=seed)
    pm["graph"] = "collaboration"
    authored = pd.DataFrame(
        {
            "person_id": list(tf.authors),
            "measure": "files_authored",
            "value": [float(v) for v in tf.authors.values()],
            "graph": "authorship",
        }
    )
    person_rows = pd.concat([pm, authored], ignore_index=True) if len(authored) else pm

    # core vs periphery: the main k-core; its share of the commits in the graph's window
    core_flags = pm[pm["measure"] == "core"].set_index("person_id")["value"]
    commits = {int(d["person_id"]): int(d.get("commits", 0)) for _, d in cg.graph.nodes(data=True)}
    core_ids = [int(p) for p, v in core_flags.items() if v == 1.0]
    total = sum(commits.values())
    core_share = sum(commits.get(p, 0) for p in core_ids) / total if total else None
    n_comm = int(cg.info.get("communities", 0))
    cross, per = _cross_load(con, repo_id, tf.key_people, cut)
    k = cg.info.get("betweenness_k")
    sources = int(k) if k is not None else cg.n_people

    detail = tf.to_detail()
    detail["definition"] = "Avelino et al. 2016 degree-of-authorship truck factor"
    repo_rows: list[RepoRow] = [
        (
            "truck_factor",
            None if tf.truck_factor is None else float(tf.truck_factor),
            json.dumps(detail, sort_keys=True),
        ),
        (
            "bus_factor_all_history",
            None if tf.bus_factor_all_history is None else float(tf.bus_factor_all_history),
            json.dumps({"definition": "CHAOSS: fewest people with >= 50% of commits"}),
        ),
        ("core_size", float(len(core_ids)), json.dumps({"max_core": cg.info.get("max_core")})),
        ("core_work_share", core_share, None),
        ("communities", float(n_comm), json.dumps({"algorithm": "louvain", "seed": seed})),
        (
            "key_people_cross_load",
            float(cross),
            json.dumps({"active_days": ACTIVE_DAYS, "per_person": per}, sort_keys=True),
        ),
        ("people", float(cg.n_people), None),
        (
            "collaboration_edges",
            float(cg.n_edges),
            json.dumps({"window_days": window_days}),
        ),
        ("files", float(tf.n_files), None),
        (
            "betweenness_sources",
            float(sources),
            json.dumps({"exact": k is None, "seed": cg.info.get("betweenness_seed")}),
        ),
    ]
    summary = GraphSummary(
        repo_id=repo_id,
        repo=name,
        as_of=day,
        truck=tf,
        people=cg.n_people,
        edges=cg.n_edges,
        core_size=len(core_ids),
        core_work_share=core_share,
        communities=n_comm,
        key_people_cross_load=cross,
        betweenness_sources=sources,
        seconds=time.perf_counter() - t0,
    )
    return person_rows, repo_rows, summary


def _one_repo(
    con: duckdb.DuckDBPyConnection,
    repo_id: int,
    name: str,
    as_of: datetime | date | None,
    exclude: Sequence[str] | None,
    window_days: int,
    seed: int,
) -> GraphSummary:
    person_rows, repo_rows, summary = measure_repo(
        con, repo_id, name, as_of, exclude, window_days, seed
    )
    graphs = ("collaboration", "authorship")
    write_measures(con, repo_id, summary.as_of, person_rows, repo_rows, graphs)
    return summary


def portfolio_rows(con: duckdb.DuckDBPyConnection, as_of: datetime | date | None) -> pd.DataFrame:
    """The portfolio person measures (graph ``portfolio``, no repository), not stored."""
    e = portfolio_edges(con, cut_timestamp(as_of))
    agg = e.groupby("person_id").agg(repos=("repo_id", "size"), commits=("commits", "sum"))
    parts = []
    for measure, col in (("degree", "repos"), ("repos", "repos"), ("weighted_degree", "commits")):
        parts.append(
            pd.DataFrame(
                {"person_id": agg.index, "measure": measure, "value": agg[col].astype(float)}
            )
        )
    pm = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    pm["graph"] = "portfolio"
    return pm


def _portfolio(con: duckdb.DuckDBPyConnection, as_of: datetime | date | None) -> int:
    """Portfolio person measures straight from the edge list (49k people: NetworkX adds ~5 s).

    Same values as ``ContributorGraph.portfolio(...).person_measures()``: degree = repos =
    repositories contributed to, weighted_degree = commits across them.
    """
    pm = portfolio_rows(con, as_of)
    write_measures(con, None, stored_as_of(as_of), pm, [], ("portfolio",))
    return int(pm["person_id"].nunique()) if len(pm) else 0


def compute_graphs(
    con: duckdb.DuckDBPyConnection,
    repo_ids: list[int] | None = None,
    as_of: datetime | date | None = None,
    progress: bool = False,
    *,
    exclude: Exclude = None,
    window_days: int = DEFAULT_WINDOW_DAYS,
    seed: int = 42,
    portfolio: bool = True,
) -> list[GraphSummary]:
    """Compute and store the graphs and measures of ``repo_ids`` (all repositories if None).

    Args:
        as_of: cut date (a ``date`` includes that whole day); None = the whole history, stored
            under today's date.
        progress: show a Rich progress bar on stderr.
        exclude: truck-factor and co-edit exclusion patterns: one list for all repositories, or
            ``{repo_id: patterns}`` (repositories not in it get the defaults); None =
            ``DEFAULT_EXCLUDE``. Given patterns replace the defaults: extend them with
            ``[*DEFAULT_EXCLUDE, "tests/"]``.
        window_days: co-edit window of the collaboration graph.
        seed: seed of Louvain and of sampled betweenness.
        portfolio: also store the cross-repository portfolio measures (``repo_id`` NULL).
    """
    names = dict(con.execute("SELECT repo_id, full_name FROM repos ORDER BY repo_id").fetchall())
    ids = list(names) if repo_ids is None else list(repo_ids)
    unknown = [r for r in ids if r not in names]
    if unknown:
        raise GraphError(
            f"repository id {unknown[0]} is not in the store",
            'list them with `ossmetrics query "FROM repos"`',
        )
    out: list[GraphSummary] = []

    def one(rid: int) -> None:
        name = names.get(rid, str(rid))
        exc = _exclude_for(exclude, rid)
        out.append(_one_repo(con, rid, name, as_of, exc, window_days, seed))

    if not progress:
        for rid in ids:
            one(rid)
        if portfolio:
            _portfolio(con, as_of)
        return out
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(
        TextColumn("graphs"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
        console=Console(stderr=True),
    )
    with bar:
        task = bar.add_task("", total=len(ids) + (1 if portfolio else 0))
        for rid in ids:
            bar.update(task, description=names.get(rid, str(rid)))
            one(rid)
            bar.advance(task)
        if portfolio:
            bar.update(task, description="portfolio")
            _portfolio(con, as_of)
            bar.advance(task)
    return out
