"""Every metric of ``queries/`` as Spark SQL: the same file, transpiled by SQLGlot.

The metric files are written in one portable dialect: DuckDB SQL that SQLGlot translates
faithfully (no ``epoch(interval)``, list indexing or other constructs without a Spark twin),
checked by tests/spark, which runs every metric on both engines and compares the rows.
A SELECT may carry a Spark join hint as a comment, ``SELECT /*+ SHUFFLE_HASH(f) */ ...``: DuckDB
reads it as the comment it is, Spark as the hint (see ``_join_hints``).
Parameters become typed literals here (Spark SQL has no bound ``$name`` parameters in every
version we support); values are quoted by SQLGlot, never pasted in as text.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ossmetrics.metrics.library import Metric, find_metric, substitute_params

__all__ = ["literal", "metric_duckdb_sql", "metric_spark_sql", "select_relations"]


def literal(value: Any, type_: str) -> str:
    """A DuckDB SQL literal of ``type_`` for ``value`` (None: NULL)."""
    import sqlglot.expressions as exp

    if value is None:
        return f"CAST(NULL AS {type_})"
    if type_ in ("INTEGER", "DOUBLE"):
        return f"CAST({float(value) if type_ == 'DOUBLE' else int(value)} AS {type_})"
    if type_ == "BOOLEAN":
        return "TRUE" if value else "FALSE"
    if isinstance(value, (datetime, date)):
        value = value.isoformat()
    return f"CAST({exp.Literal.string(str(value)).sql('duckdb')} AS {type_})"


def metric_duckdb_sql(metric: Metric | str, params: dict[str, Any] | None = None) -> str:
    """The metric's body with its parameters as literals (defaults where not given)."""
    m = find_metric(metric) if isinstance(metric, str) else metric
    given = params or {}

    def repl(name: str) -> str:
        p = m.param(name)
        assert p is not None
        if name in given:
            return literal(given[name], p.type)
        return f"CAST(({p.default}) AS {p.type})" if p.default else f"CAST(NULL AS {p.type})"

    return substitute_params(m.body, repl).rstrip().rstrip(";")


def _fn_name(node: Any) -> str:
    import sqlglot.expressions as exp

    if isinstance(node, exp.Anonymous):
        return str(node.name).lower()
    return ""


def _spark_twins(node: Any) -> Any:
    """DuckDB functions SQLGlot leaves as they are (or maps to a Spark function with other
    semantics), replaced by their exact Spark equivalents. The Spark session runs in UTC (see
    session.py), as the store does, which is what makes the time-zone ones identities."""
    import sqlglot.expressions as exp

    name = _fn_name(node)
    args = list(node.expressions) if name else []
    if name == "epoch_us" and len(args) == 1:
        # microseconds since the epoch of an instant
        return exp.Anonymous(this="UNIX_MICROS", expressions=args)
    if name == "timezone" and len(args) == 2:
        # timezone('UTC', x) flips TIMESTAMPTZ <-> UTC wall-clock TIMESTAMP; in a UTC Spark
        # session both are the same instant.
        return args[1]
    if name == "to_months" and len(args) == 1:
        return exp.Anonymous(this="MAKE_YM_INTERVAL", expressions=[exp.Literal.number(0), args[0]])
    if isinstance(node, exp.TimeToUnix):
        # epoch(ts): seconds with the fraction (UNIX_TIMESTAMP would drop it)
        micros = exp.Anonymous(this="UNIX_MICROS", expressions=[node.this])
        return exp.Div(
            this=exp.Cast(this=micros, to=exp.DataType.build("DOUBLE")),
            expression=exp.Literal.number(1000000),
        )
    if isinstance(node, exp.Cast) and isinstance(node.this, exp.Unnest | exp.Explode):
        # CAST(unnest(list) AS T): Spark allows no generator inside an expression, so the cast
        # moves onto the list: explode(CAST(list AS ARRAY<T>))
        inner = node.this
        arr = inner.expressions[0] if isinstance(inner, exp.Unnest) else inner.this
        to = exp.DataType(this=exp.DataType.Type.ARRAY, expressions=[node.to], nested=True)
        return exp.Explode(this=exp.Cast(this=arr, to=to))
    if isinstance(node, exp.PercentileCont):
        # quantile_cont(x, p) interpolates linearly, as Spark's percentile(x, p) does
        return exp.Anonymous(this="PERCENTILE", expressions=[node.this, node.expression])
    return node


def metric_spark_sql(metric: Metric | str, params: dict[str, Any] | None = None) -> str:
    """The metric as one Spark SQL statement."""
    import sqlglot

    sql = metric_duckdb_sql(metric, params)
    tree = sqlglot.parse_one(sql, read="duckdb")
    for _ in range(3):  # a replacement can expose another (timezone(timezone(...)))
        tree = tree.transform(_spark_twins)
    _join_hints(tree, metric if isinstance(metric, str) else metric.name)
    _sort_in_one_partition(tree)
    return str(tree.sql(dialect="spark", unsupported_level=sqlglot.ErrorLevel.RAISE))


def _sort_in_one_partition(tree: Any) -> None:
    """Give the statement's final ``ORDER BY`` one partition to sort: ``/*+ REPARTITION(1) */``
    on the outermost SELECT, which Spark applies after the projection and before the sort.

    Why: Spark sorts a whole result by range-partitioning it, and the range partitioner first
    samples its input by running the plan below it as a job of its own. Over the cached lake a
    metric has no shuffle before its ORDER BY (the tables are partitioned by repository), so
    that sample ran the entire metric a second time: half of each metric's time (measured at
    20 M commits: commits_per_month 5.7 -> 2.8 s, health_summary 31.7 -> 18.2 s, same rows).
    A metric's result is small beside its input (one row per repository, or per repository
    and month: 1.2 M rows at 20,000 repositories), so one task sorts it in about a second; the
    rows and their order are the ones the ORDER BY defines, on any number of partitions."""
    import sqlglot.expressions as exp

    if isinstance(tree, exp.Select) and tree.args.get("order") is not None:
        one = exp.Anonymous(this="REPARTITION", expressions=[exp.Literal.number(1)])
        hint = tree.args.get("hint")
        given = list(hint.expressions) if hint is not None else []
        tree.set("hint", exp.Hint(expressions=[one, *given]))


#: The Spark join hints a metric may give (strategy hints; Spark ignores a misspelt one
#: silently, so anything else is refused).
JOIN_HINTS = frozenset(
    {
        "BROADCAST",
        "BROADCASTJOIN",
        "MAPJOIN",
        "MERGE",
        "SHUFFLE_MERGE",
        "MERGEJOIN",
        "SHUFFLE_HASH",
        "SHUFFLE_REPLICATE_NL",
    }
)


def _join_hints(tree: Any, name: str) -> None:
    """Turn a SELECT's ``/*+ HINT(rel) */`` comment into a Spark hint on that SELECT.

    Why: Spark picks a join's strategy from size estimates, and it estimates an aggregate as
    large as its input, so a join of 20 M commits with each person's first commit (235,000
    rows) became a sort-merge join that sorted every commit (3.6 s of 7 s at 20 M commits)
    where a hash table of the persons, built per partition, needs no sort
    (``SHUFFLE_HASH``). DuckDB plans joins by its own estimates and ignores the comment, so
    the file stays one portable query. A hint naming a strategy Spark does not know, or a
    relation that is not in that SELECT's FROM or JOINs, is an error here: Spark would drop
    it without a word."""
    import sqlglot
    import sqlglot.expressions as exp

    from ossmetrics.errors import MetricDefinitionError

    for select in list(tree.find_all(exp.Select)):
        notes = select.comments or []
        wanted = [c for c in notes if c.lstrip().startswith("+")]
        if not wanted:
            continue
        select.comments = [c for c in notes if c not in wanted] or None
        rels = {t.alias_or_name.lower() for t in select_relations(select)}
        given = list(select.args["hint"].expressions) if select.args.get("hint") else []
        for text in wanted:
            try:
                parsed = sqlglot.parse_one(f"SELECT /*{text}*/ 1", read="spark").args.get("hint")
            except sqlglot.errors.ParseError:
                parsed = None
            hints = list(parsed.expressions) if parsed is not None else []
            for h in hints:
                kind = str(h.this).upper() if isinstance(h, exp.JoinHint) else ""
                named = {e.name.lower() for e in h.expressions} if kind else set()
                if kind not in JOIN_HINTS or not named or not named <= rels:
                    raise MetricDefinitionError(
                        f"metric {name}: join hint /*{text}*/ must name a join strategy "
                        f"({', '.join(sorted(JOIN_HINTS))}) and relations of its SELECT "
                        f"({', '.join(sorted(rels))})",
                        "fix the hint comment in the metric's file",
                    )
            if not hints:
                raise MetricDefinitionError(
                    f"metric {name}: cannot read the join hint /*{text}*/",
                    "write it as /*+ SHUFFLE_HASH(alias) */ right after SELECT",
                )
            given += hints
        select.set("hint", exp.Hint(expressions=given))


def select_relations(select: Any) -> list[Any]:
    """The tables and subqueries of one SELECT's FROM and JOINs (not of nested SELECTs)."""
    import sqlglot.expressions as exp

    out: list[Any] = []
    src = select.args.get("from_")
    for node in ([src.this] if src is not None else []) + [
        j.this for j in select.args.get("joins") or []
    ]:
        if isinstance(node, exp.Table | exp.Subquery):
            out.append(node)
    return out
