"""``ossmetrics spark graph``: every graph measure of every repository of a lake, on Spark.

The same rows ``ossmetrics graph`` stores, computed by the same library code: Spark groups each
repository's rows of the tables the graph stage reads (repos, commits, commit_files, issues,
comments, and the identities and people they name) into one Arrow payload per table, and a
grouped pandas task loads them into an in-memory DuckDB and runs
:func:`ossmetrics.graph.compute.measure_repo` -- truck and bus factor, the collaboration graph's
person measures (degree, betweenness, PageRank, k-core, Louvain community, broker score),
files authored, core size and share, communities. One definition, two engines.

Two measures look beyond one repository, so Spark SQL computes them over the whole lake after
the tasks, with the same definitions as the library: ``key_people_cross_load`` (other
repositories in which a key person committed in the ACTIVE_DAYS up to the cut) and the
portfolio person measures (repositories and commits per person across the lake).

Why payloads instead of one ``cogroup``: PySpark co-groups two data frames, the graph stage
reads seven tables; a union of (repo_id, table, Arrow bytes) rows gives each task all seven,
and a repository's people travel with it instead of the whole people table being broadcast to
every task. Results replace the lake's rows of the same repositories and date, in one
transaction, as the local command does.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

__all__ = ["spark_graph"]

#: The tables a repository's task needs, each with the SQL giving its rows and their repo_id.
_PER_REPO: dict[str, str] = {
    "repos": "SELECT repo_id AS _rid, * FROM repos",
    "commits": "SELECT repo_id AS _rid, * FROM commits",
    "commit_files": "SELECT repo_id AS _rid, * FROM commit_files",
    "issues": "SELECT repo_id AS _rid, * FROM issues",
    "comments": "SELECT repo_id AS _rid, * FROM comments",
    "identities": "SELECT u._rid, i.* FROM _graph_used u JOIN identities i USING (identity_id)",
    "people": """SELECT DISTINCT u._rid, p.* FROM _graph_used u
                 JOIN identities i USING (identity_id) JOIN people p ON p.person_id = i.person_id""",
}

#: The identities a repository's rows name (authors of commits, issues and comments).
_USED = """
SELECT DISTINCT repo_id AS _rid, author_identity AS identity_id FROM commits
 WHERE author_identity IS NOT NULL
UNION SELECT DISTINCT repo_id, author_identity FROM issues WHERE author_identity IS NOT NULL
UNION SELECT DISTINCT repo_id, author_identity FROM comments WHERE author_identity IS NOT NULL
"""

_PAYLOAD_SCHEMA = "_rid INT, _table STRING, _payload BINARY"
_OUT_SCHEMA = (
    "kind STRING, repo_id INT, person_id INT, graph STRING, measure STRING, value DOUBLE, "
    "detail STRING"
)
_OUT_SCHEMA_COLUMNS = [c.strip().split(" ")[0] for c in _OUT_SCHEMA.split(",")]


def _pack(table: str) -> Any:
    """Grouped task: one repository's rows of ``table`` -> one row holding them as Arrow IPC."""

    def run(pdf: Any) -> Any:
        import pandas as pd
        import pyarrow as pa

        rid = int(pdf["_rid"].iloc[0])
        tbl = pa.Table.from_pandas(pdf.drop(columns=["_rid"]), preserve_index=False)
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, tbl.schema) as w:
            w.write_table(tbl)
        return pd.DataFrame(
            {"_rid": [rid], "_table": [table], "_payload": [sink.getvalue().to_pybytes()]}
        )

    return run


def _measure(
    as_of: datetime | date | None, exclude: Sequence[str] | None, window_days: int, seed: int
) -> Any:
    """Grouped task: a repository's payloads -> its measure rows and its key people."""

    def run(pdf: Any) -> Any:
        import duckdb
        import pandas as pd
        import pyarrow as pa

        from ossmetrics.graph.compute import measure_repo
        from ossmetrics.graph.truck_factor import cut_timestamp
        from ossmetrics.store.migrations import available

        con = duckdb.connect()
        con.execute("SET TimeZone = 'UTC'")
        for _, _, sql in available():
            con.execute(sql)
        for table, payload in zip(pdf["_table"], pdf["_payload"], strict=True):
            src = pa.ipc.open_stream(pa.py_buffer(payload)).read_all()
            con.register("_src", src)
            cols = ", ".join(f'"{c}"' for c in src.column_names)
            con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _src")
            con.unregister("_src")
        rid = int(pdf["_rid"].iloc[0])
        row = con.execute("SELECT full_name FROM repos WHERE repo_id = ?", [rid]).fetchone()
        if row is None:  # rows of a repository the repos table lacks: nothing to name them by
            con.close()
            return pd.DataFrame(columns=_OUT_SCHEMA_COLUMNS)
        people, repo_rows, summary = measure_repo(
            con, rid, str(row[0]), as_of, exclude, window_days, seed
        )
        cut = cut_timestamp(as_of)
        if cut is None:  # as _cross_load: the repository's last commit
            last = con.execute(
                "SELECT max(committed_at) FROM commits WHERE repo_id = ?", [rid]
            ).fetchone()
            cut = last[0] if last else None
        con.close()
        out: list[tuple[str, int, int | None, str | None, str | None, float | None, str | None]]
        out = [
            ("person", rid, int(p), g, m, float(v), None)
            for p, g, m, v in zip(
                people["person_id"],
                people["graph"],
                people["measure"],
                people["value"],
                strict=True,
            )
        ]
        out += [("repo", rid, None, None, m, v, d) for m, v, d in repo_rows]
        if cut is not None:
            out += [
                ("key", rid, int(p), None, None, None, cut.isoformat())
                for p in summary.truck.key_people
            ]
        return pd.DataFrame(out, columns=_OUT_SCHEMA_COLUMNS)

    return run


_CROSS_LOAD = """
SELECT k.repo_id, k.person_id, count(DISTINCT c.repo_id) AS n,
       collect_set(c.repo_id) AS repos
FROM _graph_keys k
LEFT JOIN (SELECT c.repo_id, i.person_id, c.committed_at FROM commits c
           JOIN identities i ON i.identity_id = c.author_identity
           JOIN people p ON p.person_id = i.person_id) c
  ON c.person_id = k.person_id AND c.repo_id <> k.repo_id
 AND c.committed_at <= k.cut AND c.committed_at > k.start
GROUP BY k.repo_id, k.person_id
"""

_PORTFOLIO = """
SELECT person_id, count(DISTINCT repo_id) AS repos, count(*) AS commits
FROM human_commits
WHERE NOT is_merge AND ({cut} IS NULL OR committed_at <= {cut})
GROUP BY person_id
"""


def _cross_loads(
    spark: Any, keys: list[tuple[int, int, str]]
) -> dict[int, tuple[int, dict[str, int]]]:
    """``key_people_cross_load`` per repository: distinct other repositories its key people
    committed to in the ACTIVE_DAYS up to its cut, and the count per key person."""
    from ossmetrics.graph.compute import ACTIVE_DAYS

    if not keys:
        return {}
    rows = []
    for rid, pid, cut_iso in keys:
        cut = datetime.fromisoformat(cut_iso)
        rows.append((rid, pid, cut, cut - timedelta(days=ACTIVE_DAYS)))
    spark.createDataFrame(
        rows, "repo_id INT, person_id INT, cut TIMESTAMP, start TIMESTAMP"
    ).createOrReplaceTempView("_graph_keys")
    per_repo: dict[int, tuple[set[int], dict[str, int]]] = {}
    for r in spark.sql(_CROSS_LOAD).collect():
        others, per = per_repo.setdefault(int(r.repo_id), (set(), {}))
        others.update(int(x) for x in r.repos)
        per[str(int(r.person_id))] = int(r.n)
    return {rid: (len(o), p) for rid, (o, p) in per_repo.items()}


def spark_graph(
    spark: Any,
    lake: str | Path,
    *,
    as_of: datetime | date | None = None,
    exclude: Sequence[str] | None = None,
    window_days: int = 90,
    seed: int = 42,
    portfolio: bool = True,
) -> dict[int, dict[str, Any]]:
    """Every graph measure of every repository in ``lake`` on Spark, written to the lake.

    Arguments as :func:`ossmetrics.graph.compute.compute_graphs` (``as_of``: a ``date`` is that
    whole day; None = all history, stored under today's date). Returns
    ``{repo_id: {measure: value}}`` of the repository measures."""
    import pandas as pd

    from ossmetrics.graph.compute import ACTIVE_DAYS, stored_as_of, write_measures
    from ossmetrics.graph.truck_factor import cut_timestamp
    from ossmetrics.lake.reader import open_lake
    from ossmetrics.spark.lake_views import register_lake

    root = str(lake) if "://" in str(lake) else str(Path(lake).resolve())
    register_lake(spark, root)
    spark.sql(_USED).createOrReplaceTempView("_graph_used")
    packed = None
    for table, sql in _PER_REPO.items():
        part = spark.sql(sql).groupBy("_rid").applyInPandas(_pack(table), schema=_PAYLOAD_SCHEMA)
        packed = part if packed is None else packed.unionByName(part)
    assert packed is not None
    result = (
        packed.groupBy("_rid")
        .applyInPandas(_measure(as_of, exclude, window_days, seed), schema=_OUT_SCHEMA)
        .toPandas()
    )
    keys = [
        (int(r.repo_id), int(r.person_id), str(r.detail))
        for r in result[result["kind"] == "key"].itertuples()
    ]
    cross = _cross_loads(spark, keys)
    day = stored_as_of(as_of)
    cut = cut_timestamp(as_of)
    cut_sql = "NULL" if cut is None else f"TIMESTAMP '{cut.isoformat(sep=' ')}'"
    port = spark.sql(_PORTFOLIO.format(cut=cut_sql)).toPandas()

    by_repo: dict[int, dict[str, Any]] = {}
    lk = open_lake(root)
    try:
        for rid, rows in result.groupby("repo_id", sort=True):
            rid = int(rid)
            person = rows[rows["kind"] == "person"][["person_id", "graph", "measure", "value"]]
            repo_rows = []
            for m, v, d in rows[rows["kind"] == "repo"][["measure", "value", "detail"]].itertuples(
                index=False
            ):
                value = None if pd.isna(v) else float(v)
                detail = None if d is None or pd.isna(d) else str(d)
                if m == "key_people_cross_load":
                    n, per = cross.get(rid, (0, {}))
                    per = {**{str(p): 0 for p in json.loads(str(d))["per_person"]}, **per}
                    value = float(n)
                    detail = json.dumps(
                        {"active_days": ACTIVE_DAYS, "per_person": per}, sort_keys=True
                    )
                repo_rows.append((str(m), value, detail))
                by_repo.setdefault(rid, {})[str(m)] = value
            person = person.astype({"person_id": "int64"})
            write_measures(lk.con, rid, day, person, repo_rows, ("collaboration", "authorship"))
        if portfolio:
            parts = [
                pd.DataFrame(
                    {"person_id": port["person_id"], "measure": m, "value": port[c].astype(float)}
                )
                for m, c in (
                    ("degree", "repos"),
                    ("repos", "repos"),
                    ("weighted_degree", "commits"),
                )
            ]
            pm = pd.concat(parts, ignore_index=True)
            pm["graph"] = "portfolio"
            write_measures(lk.con, None, day, pm, [], ("portfolio",))
        lk.write_back()
    finally:
        lk.close()
    return by_repo
