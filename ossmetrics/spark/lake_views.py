"""Register a lake's tables as Spark temporary views, read from the files its manifest lists.

Spark reads the same Parquet files DuckDB does; only files the manifest lists are read (a
crashed writer's leftovers never are), a partition the manifest cannot vouch for is skipped and
reported exactly as ``open_lake`` does, and the store views (``human_commits``, ``human_issues``) are defined by the same
SQL as in the store's migrations, transpiled.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import duckdb

from ossmetrics.errors import LakeError
from ossmetrics.lake.export import parse_manifest
from ossmetrics.lake.layout import MANIFEST, TABLES
from ossmetrics.lake.reader import Skipped, _check_files
from ossmetrics.lake.remote import is_remote, open_remote
from ossmetrics.spark.metric_sql import select_relations
from ossmetrics.spark.session import check_object_store, spark_url
from ossmetrics.store.migrations import available

__all__ = ["register_lake", "spark_type", "store_schema"]

_TYPES = {
    "INTEGER": "INT",
    "BIGINT": "BIGINT",
    "SMALLINT": "SMALLINT",
    "TINYINT": "TINYINT",
    "VARCHAR": "STRING",
    "BOOLEAN": "BOOLEAN",
    "DOUBLE": "DOUBLE",
    "DATE": "DATE",
    "TIMESTAMP WITH TIME ZONE": "TIMESTAMP",
    "VARCHAR[]": "ARRAY<STRING>",
}


def spark_type(duck: str) -> str:
    return _TYPES[duck]


def store_schema() -> dict[str, list[tuple[str, str]]]:
    """{table: [(column, DuckDB type)]} of the store this code writes."""
    con = duckdb.connect()
    try:
        for _, _, sql in available():
            con.execute(sql)
        rows = con.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'main' ORDER BY table_name, ordinal_position"
        ).fetchall()
    finally:
        con.close()
    out: dict[str, list[tuple[str, str]]] = {}
    for t, c, d in rows:
        out.setdefault(str(t), []).append((str(c), str(d)))
    return out


#: The store's views the metric SQL reads, each defined once by its migration.
STORE_VIEWS = ("human_commits", "human_issues")


def view_sql(view: str) -> str:
    """The Spark SQL of one store view: its migration's ``SELECT``, transpiled by SQLGlot."""
    import sqlglot

    text = next(sql for _, name, sql in available() if name.endswith(f"_{view}.sql"))
    body = text[text.index("SELECT") :].rstrip().rstrip(";")
    return str(sqlglot.transpile(body, read="duckdb", write="spark")[0])


#: What the metric suite reads again and again: the two store views (commits and issues
#: joined with identities and people) and the tables the metrics join directly. Cached, they
#: are read from Parquet and joined once per session instead of once per metric.
CACHED = ("repos", "identities", "people", "issues", "comments", "releases", *STORE_VIEWS)


def metric_columns(metrics: list[Any] | None = None) -> frozenset[str] | None:
    """Every column name some metric of ``queries/`` (or of ``metrics``) mentions, of any
    table (lower case): the columns a cache for the metric suite must keep. None when a metric
    selects ``*`` or ``t.*`` from a cached table (then every column is kept).

    Why: Spark's columnar cache costs memory and build time per cached value, and the widest
    columns are ones no metric reads (a commit's 40-character ``sha``, an issue's title and
    labels): 20 M commits must fit a driver of a few GiB beside the metrics' own hash maps.
    The set is by name across all tables, so it can only keep too much, never too little."""
    import sqlglot
    import sqlglot.expressions as exp

    from ossmetrics.metrics import list_metrics
    from ossmetrics.spark.metric_sql import metric_duckdb_sql

    names: set[str] = set()
    for m in list_metrics() if metrics is None else metrics:
        tree = sqlglot.parse_one(metric_duckdb_sql(m), read="duckdb")
        for select in tree.find_all(exp.Select):
            # ``*`` or ``t.*`` as a selected column (not the ``*`` of ``count(*)``)
            if not any(
                isinstance(e, exp.Star) or (isinstance(e, exp.Column) and e.is_star)
                for e in select.expressions
            ):
                continue
            if any(t.name.lower() in CACHED for t in select_relations(select)):
                return None
        names.update(c.name.lower() for c in tree.find_all(exp.Column))
    return frozenset(names)


def _view_for_cache(view: str, keep: frozenset[str] | None) -> str:
    """A store view's Spark SQL with its SELECT list cut to the columns in ``keep`` (all of
    them when ``keep`` is None): its cache keeps no more, and the tables it is bound to then
    need not keep what only the dropped columns read (``issues.labels``, an array, and
    ``updated_at``)."""
    import sqlglot
    import sqlglot.expressions as exp

    tree = sqlglot.parse_one(view_sql(view), read="spark")
    if keep is not None and isinstance(tree, exp.Select):
        tree.set("expressions", [e for e in tree.expressions if e.alias_or_name.lower() in keep])
    return str(tree.sql(dialect="spark"))


def _view_columns(keep: frozenset[str] | None) -> frozenset[str]:
    """Every column name the store views' SQL (cut to ``keep``) mentions (lower case)."""
    import sqlglot
    import sqlglot.expressions as exp

    names: set[str] = set()
    for view in STORE_VIEWS:
        tree = sqlglot.parse_one(_view_for_cache(view, keep), read="spark")
        names.update(c.name.lower() for c in tree.find_all(exp.Column))
    return frozenset(names)


#: Rows per batch of Spark's columnar cache (see ``_cache_for_metrics``).
CACHE_BATCH_ROWS = 100_000

#: The order kept inside each cached partition: the keys the metrics join these tables on.
SORTED = {
    "issues": ("repo_id", "number"),
    "human_issues": ("repo_id", "number"),
    "comments": ("repo_id", "issue_number"),
}


def _partitioned_by_repo(df: Any, partitions: int) -> bool:
    """Whether Spark already plans ``df`` hash-partitioned by ``repo_id`` alone into
    ``partitions`` parts (a view joining a cached, partitioned table with broadcast tables)."""
    plan = df._jdf.queryExecution().executedPlan()
    if plan.getClass().getSimpleName() == "AdaptiveSparkPlanExec":
        plan = plan.executedPlan()  # the plan before its first stage runs
    text = str(plan.outputPartitioning().toString())
    return re.fullmatch(rf"hashpartitioning\(repo_id#\d+, {partitions}\)", text) is not None


def _cache_for_metrics(spark: Any) -> None:
    """Build the cache of :data:`CACHED` (see ``register_lake``): the tables first, then the
    store views bound again over the cached tables, then the views themselves.

    Why in that order: a view bound to the lake's files would read and join them again for its
    own cache (``human_issues`` read all issues from Parquet a second time: 5.3 s of the 29 s
    build at 20 M commits); over the cached tables it is a scan of memory. The tables keep
    the columns the views need beside the metrics' own, so the views can be bound to them;
    each view then keeps only the metrics' columns.

    Inside each partition the GitHub tables are sorted by the keys the metrics join them on
    (:data:`SORTED`), so a sort-merge join of items with their comments finds both sides in
    order and sorts neither. A view Spark already plans partitioned by repository
    (``human_issues``: cached issues joined with broadcast identities and people, which keep
    the issues' partitioning and order) is cached as it comes, without the shuffle a
    repartition costs; one reading the lake (``human_commits``) is partitioned like the
    tables."""
    keep = metric_columns()
    for_views = _view_columns(keep)
    partitions = int(spark.conf.get("spark.sql.shuffle.partitions"))
    # joins on (repo_id, number) may then use the repo_id partitioning of both sides
    spark.conf.set("spark.sql.requireAllClusterKeysForCoPartition", "false")
    # uncompressed: at 20 M commits the build took 28 s instead of 36 (the encoders' statistics
    # were most of it) and the metrics ran as fast; the cache is ~3x larger (1.56 GB there, all
    # in memory in a 5 GiB local driver)
    spark.conf.set("spark.sql.inMemoryColumnarStorage.compressed", "false")
    # batches of 100,000 rows instead of 10,000: a tenth of the per-batch work (statistics,
    # buffers, a column reader set up per batch in every scan). At 20 M commits the cache built
    # 7% faster and the 24 metrics ran 3% faster, in two alternated pairs; 1,000,000 built
    # faster still but slowed the metrics by 8%
    spark.conf.set("spark.sql.inMemoryColumnarStorage.batchSize", str(CACHE_BATCH_ROWS))

    def cache(name: str, wanted: frozenset[str] | None) -> None:
        df = spark.table(name)
        kept = [c for c in df.columns if wanted is None or c.lower() in wanted]
        df = df.select(*[f"`{c}`" for c in kept])
        if "repo_id" in kept and not _partitioned_by_repo(df, partitions):
            # see register_lake: no shuffle by repository afterwards
            df = df.repartition(partitions, "repo_id")
        if name in SORTED:  # Spark drops the sort where the rows already come in this order
            df = df.sortWithinPartitions(*SORTED[name])
        df.createOrReplaceTempView(name)
        spark.sql(f"CACHE TABLE `{name}`")  # eager: built now, once, not by racing queries

    for name in CACHED:
        if name not in STORE_VIEWS:
            cache(name, None if keep is None else keep | for_views)
    for view in STORE_VIEWS:
        spark.sql(_view_for_cache(view, keep)).createOrReplaceTempView(view)
        cache(view, keep)


def register_lake(spark: Any, lake: str, *, cache: bool = False) -> list[Skipped]:
    """Create a temp view per store table over the lake at ``lake`` (a folder, or a URL such
    as ``s3://BUCKET/PREFIX``, read by Spark as ``s3a://`` when hadoop-aws is on its classpath;
    the manifest is read through the same filesystem layer as ``open_lake``); returns skipped
    parts.

    ``cache``: keep :data:`CACHED` in Spark's columnar cache (memory, spilling to local disk),
    built here, once -- for jobs that run the metric suite over the lake (``spark metrics``).
    Those views then have only the columns of :func:`metric_columns` (the tables also those
    the store views read; a query naming another column fails instead of reading it), and
    each one with a ``repo_id`` is cached
    hash-partitioned by it: nearly every metric groups, windows or joins by repository first,
    and Spark plans no shuffle for data already partitioned by a subset of the keys, so those
    metrics run without one until their final ``ORDER BY`` (it had been 2-4 shuffles of every
    commit or issue per metric). A later ``register_lake`` in the same session drops the
    earlier lake's cached rows. With ``cache`` it also sets three options for the whole session
    (see ``_cache_for_metrics``): joins may use a partitioning by a subset of their keys
    (``spark.sql.requireAllClusterKeysForCoPartition=false``), and cached columns are kept
    uncompressed in batches of :data:`CACHE_BATCH_ROWS` rows; a session that runs other work
    afterwards may set them back."""
    remote = open_remote(lake) if is_remote(lake) else None
    if remote is not None:
        check_object_store(spark, lake)
        remote.check_bucket()
        text = remote.read_text(MANIFEST)
        base = remote.url
    else:
        p = Path(lake)
        text = (p / MANIFEST).read_text(encoding="utf-8") if (p / MANIFEST).exists() else None
        base = str(p.resolve())
    if text is None:
        raise LakeError(
            f"{lake} is not an ossmetrics lake (no {MANIFEST})",
            "make one with `ossmetrics export --lake DIR`",
        )
    manifest = parse_manifest(text, lake)
    schema = store_schema()
    skipped: list[Skipped] = []
    con = duckdb.connect()
    if remote is not None:
        remote.register(con)
    try:
        for spec in TABLES:
            cols = schema[spec.name]
            entry = manifest["tables"].get(spec.name)
            files: list[str] = []
            if entry is not None:
                files, bad = _check_files(con, base, spec.name, entry, remote)
                skipped.extend(bad)
            have = set(entry.get("columns", [])) if entry else set()
            ddl = ", ".join(f"`{c}` {spark_type(t)}" for c, t in cols)
            if files:
                file_schema = ", ".join(f"`{c}` {spark_type(t)}" for c, t in cols if c in have)
                df = spark.read.schema(file_schema).parquet(*[spark_url(f) for f in files])
                select = ", ".join(
                    f"`{c}`" if c in have else f"CAST(NULL AS {spark_type(t)}) AS `{c}`"
                    for c, t in cols
                )
                df.createOrReplaceTempView(f"_lake_{spec.name}")
                spark.sql(f"SELECT {select} FROM _lake_{spec.name}").createOrReplaceTempView(
                    spec.name
                )
            else:
                spark.createDataFrame([], ddl).createOrReplaceTempView(spec.name)
    finally:
        con.close()
    for view in STORE_VIEWS:
        spark.sql(view_sql(view)).createOrReplaceTempView(view)
    spark.catalog.clearCache()  # an earlier lake's rows must not answer for this one
    if cache:
        _cache_for_metrics(spark)
    return skipped
