"""Where each store table lives in the lake, and the manifest that says what is there.

A lake is a folder (or an object-store prefix) of Hive-partitioned Parquet::

    DIR/_manifest.json
    DIR/commits/bucket=07/part-3f2a9c1e.parquet      repo_id % buckets: a repository's rows
    DIR/issues/month=2024-03/part-91b0c2aa.parquet   UTC month of the event: a month's events
    DIR/repos/part-5d1c0e7b.parquet                  small tables: one file

Why these keys (docs/scale.md says more): the questions asked of a lake at scale are "everything
about one repository" (metrics, graphs, collection of one repository) and "everything that
happened in one month" (GH Archive arrives by the hour; a backfill appends months). Partitioning
the git tables by repository *bucket* instead of by repository keeps the file count bounded at
100,000 repositories (64 buckets x a few tables, not 100,000 folders of tiny files) while a
repository's rows are still read from one folder; inside each file rows are sorted by repo_id
and time, so Parquet's row-group statistics skip the other repositories. The GitHub event tables
are partitioned by UTC month, sorted by repo_id inside, so a month is one folder and a
repository is a min/max skip per file.

The manifest is the only thing readers trust: files not listed in it (a crashed writer's
leftovers) are never read, and every listed file carries its row count and SHA-256, so a
truncated or corrupt file is named and its partition skipped instead of silently misread.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

__all__ = [
    "LAKE_FORMAT",
    "MANIFEST",
    "STORE_ONLY",
    "TABLES",
    "TableSpec",
    "empty_manifest",
    "manifest_json",
    "table_spec",
]

# Version of the lake's own layout (file naming, manifest keys); the store schema version is
# recorded beside it. Bump when the layout changes incompatibly.
LAKE_FORMAT = 1
MANIFEST = "_manifest.json"
DEFAULT_BUCKETS = 64


@dataclass(frozen=True)
class TableSpec:
    """How one store table is laid out: ``key`` is the Hive partition column (None: one file),
    ``expr`` the SQL computing it from a row, ``order`` the sort inside a file, ``writable``
    whether commands reading a lake may write it back (their results, never collected data)."""

    name: str
    key: str | None
    expr: str | None
    order: str
    writable: bool = False


def _month(col: str) -> str:
    # UTC month as text; NULL times go to 'none' so every row has a partition.
    return f"coalesce(strftime(make_timestamp(epoch_us({col})), '%Y-%m'), 'none')"


_BUCKET = "lpad(CAST(coalesce(repo_id, 0) % {n} AS VARCHAR), 2, '0')"

TABLES: tuple[TableSpec, ...] = (
    TableSpec("repos", None, None, "repo_id"),
    TableSpec("repo_community", None, None, "repo_id"),
    TableSpec("people", None, None, "person_id"),
    TableSpec("identities", None, None, "identity_id"),
    TableSpec("identity_overrides", None, None, "identity_key, created_at"),
    TableSpec("git_mailmap", "bucket", _BUCKET, "repo_id, commit_email"),
    TableSpec("commits", "bucket", _BUCKET, "repo_id, authored_at, sha"),
    TableSpec("commit_files", "bucket", _BUCKET, "repo_id, sha, path"),
    TableSpec("issues", "month", _month("created_at"), "repo_id, number"),
    TableSpec("comments", "month", _month("created_at"), "repo_id, created_at, comment_id"),
    TableSpec("releases", "month", _month("coalesce(published_at, created_at)"), "repo_id, tag"),
    TableSpec("stargazers", "month", _month("starred_at"), "repo_id, login"),
    TableSpec("forks", "month", _month("forked_at"), "repo_id, forkee"),
    TableSpec("sync_state", None, None, "repo_id, source, endpoint"),
    TableSpec("metric_snapshots", None, None, "repo_id, metric, computed_at", writable=True),
    TableSpec("runs", None, None, "run_id, stage, repo_id", writable=True),
    TableSpec("nightly_state", None, None, "scope, stage", writable=True),
    TableSpec(
        "graph_person_measures",
        "bucket",
        _BUCKET,
        "repo_id, as_of, graph, measure, person_id",
        writable=True,
    ),
    TableSpec("graph_repo_measures", None, None, "repo_id, as_of, measure", writable=True),
    TableSpec("risk_scores", None, None, "repo_id, as_of, model_version", writable=True),
    TableSpec("risk_what_if", None, None, "repo_id, as_of, model_version", writable=True),
    # `people forget`: the hashes that keep a forgotten person out of every later collection;
    # a lake without them would let a re-collection (or an imported store) bring them back
    TableSpec("forgotten_identities", None, None, "key_hash"),
    # README/description notices (the archived/unmaintained label and its coverage)
    TableSpec("status_events", None, None, "repo_id, event_at, kind"),
    TableSpec("status_coverage", None, None, "repo_id, checked_at, source"),
    # the funding side: SBOMs, dependency links and signals, importance and the plan
    TableSpec("fund_documents", None, None, "doc_id"),
    TableSpec("fund_components", None, None, "doc_id, ref"),
    TableSpec("fund_edges", None, None, "doc_id, parent, child"),
    TableSpec("fund_links", None, None, "package, repo"),
    TableSpec("fund_link_pins", None, None, "package"),
    TableSpec("fund_cache", None, None, "source, key"),
    TableSpec("fund_signals", None, None, "package, source, signal"),
    TableSpec("fund_funding", None, None, "package, url"),
    TableSpec("fund_package_edges", None, None, "root, version, parent, child"),
    TableSpec("fund_importance", None, None, "repo, lens"),
    TableSpec("fund_plan", None, None, "rank"),
)

#: Store tables a lake leaves out, and why: both describe the DuckDB file itself, not the data.
#: The migrations applied are the manifest's ``schema_version``; the metric macros installed in
#: the file (``metric_library``) are installed again by ``import`` and are never read on a lake.
STORE_ONLY: tuple[str, ...] = ("schema_migrations", "metric_library")


def table_spec(name: str) -> TableSpec:
    for t in TABLES:
        if t.name == name:
            return t
    raise KeyError(name)


def partition_expr(spec: TableSpec, buckets: int) -> str:
    """SQL for the partition value of a row ('' for an unpartitioned table)."""
    if spec.expr is None:
        return "''"
    return spec.expr.format(n=buckets)


def empty_manifest(schema_version: int, buckets: int = DEFAULT_BUCKETS) -> dict[str, Any]:
    return {
        "format": "ossmetrics-lake",
        "lake_format": LAKE_FORMAT,
        "schema_version": schema_version,
        "buckets": buckets,
        "tables": {},
    }


def manifest_json(manifest: dict[str, Any]) -> str:
    return json.dumps(manifest, indent=1, sort_keys=True) + "\n"
