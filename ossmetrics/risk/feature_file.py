"""The labelled snapshot features as one small Parquet file: check the card without the histories.

Why: the model card is computed from ~1,000 public git histories (a few GiB to fetch and
minutes to build). The features and labels of every labelled snapshot fit in a few MB, so the
file ``corpus/features.parquet`` (written by ``ossmetrics risk export-features``) lets anyone
re-run the tabular part of the evaluation (``ossmetrics risk evaluate --features FILE``) or
train the shipped model (``ossmetrics train --features FILE``) in minutes, with no store.

What the file holds: per snapshot the public repository name, the date, its ecosystem, the
young flag, the three labels, the model's ``FEATURES`` and the raw counts the single-signal
baselines and the explanations read — **no person id, name or email** (``top1_person`` and the
key people stay in the store). What it cannot do: the contributor graph is not in it, so the
GNN is not evaluated from it (the graph *features* are: they are numbers per snapshot).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ossmetrics.errors import RiskError, UsageError
from ossmetrics.risk.dataset import FEATURE_FILE_SOURCE, RiskDataset
from ossmetrics.risk.features import FEATURES, OTHER_PROJECT_FEATURES
from ossmetrics.risk.graphs import CONTRIBUTOR_FEATURES, SnapshotGraph
from ossmetrics.risk.modelfile import feature_set_version

__all__ = ["FEATURE_FILE_SOURCE", "ID_COLUMNS", "RAW_COLUMNS", "export_features", "load_features"]

#: Which snapshot a row is, and what happened after it.
ID_COLUMNS = ("repo", "as_of", "ecosystem", "young", "dormant", "core_loss", "archived")

#: Raw counts the single-signal baselines (``baselines``) and the explanations read.
RAW_COLUMNS = (
    "commits_12m",
    "commits_prev_12m",
    "commits_3m",
    "commits_6m",
    "commits_prev_6m",
    "authors_12m",
    "authors_prev_12m",
    "authors_90d",
    "authors_all",
    "newcomers_12m",
    "retained",
    "bus_factor_12m",
    "dependency_51_12m",
    "bus_factor_all_history",
    "months_active",
    "days_since_last",
    "longest_gap_12m",
    "age_years",
    "lines_12m",
    "truck_factor",
    "key_c12",
    "key_cprev",
    "top1_other_projects",
    "top1_days_since",
    "key_max_days_since",
    "key_other_projects",
    "closed_issues_90d",
    "updated_issues_90d",
    "comments_90d",
    "review_comments_90d",
    "pulls_90d",
    "releases_12m",
    "orgs_12m",
)

_META_KEY = b"ossmetrics.feature_set"


def export_features(ds: RiskDataset, path: str | os.PathLike[str]) -> int:
    """Write the labelled snapshots of ``ds`` to ``path`` (Parquet, zstd); the byte size back.

    Floats are stored as float32 (ranking and fitting do not need more; it halves the file).
    The feature-set version goes into the file's metadata, so a file from another feature set
    is refused on loading with both versions named.
    """
    rows = ds.rows
    cols = [*ID_COLUMNS, *FEATURES, *(c for c in RAW_COLUMNS if c not in FEATURES)]
    out = pd.DataFrame({c: rows.get(c, np.nan) for c in cols})
    out["as_of"] = pd.to_datetime(out["as_of"]).dt.date
    out["young"] = out["young"].astype(bool)
    for c in cols[len(ID_COLUMNS) - 3 :]:
        out[c] = pd.to_numeric(out[c], errors="coerce").astype(np.float32)
    # rows stay in the data set's order (repository, date): a fit sums over them in that order,
    # so the model trained from the file is the model trained from the store, bit for bit
    table = pa.Table.from_pandas(out, preserve_index=False)
    meta = dict(table.schema.metadata or {})
    meta[_META_KEY] = feature_set_version(FEATURES).encode()
    table = table.replace_schema_metadata(meta)
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_suffix(p.suffix + ".tmp")
    pq.write_table(table, tmp, compression="zstd", compression_level=19)
    tmp.replace(p)
    return p.stat().st_size


def _empty_graph() -> SnapshotGraph:
    i0 = np.zeros(0, np.int64)
    return SnapshotGraph(
        person_ids=i0,
        x_contributor=np.zeros((0, len(CONTRIBUTOR_FEATURES)), np.float32),
        collab_index=np.zeros((2, 0), np.int64),
        collab_weight=np.zeros(0, np.float32),
        other_repo_ids=i0,
        x_other=np.zeros((0, len(OTHER_PROJECT_FEATURES)), np.float32),
        work_index=np.zeros((2, 0), np.int64),
        work_weight=np.zeros((0, 2), np.float32),
    )


def load_features(path: str | os.PathLike[str]) -> RiskDataset:
    """A ``RiskDataset`` (no graphs) from a file ``export_features`` wrote.

    Refuses, with a one-line error, a missing or unreadable file and one written for another
    feature set (both versions named).
    """
    p = Path(path)
    if not p.exists():
        raise UsageError(
            f"feature file {p} does not exist",
            "give the Parquet file `ossmetrics risk export-features` wrote (e.g. corpus/features.parquet)",
        )
    try:
        table = pq.read_table(p)
    except (OSError, pa.ArrowException) as exc:
        raise UsageError(
            f"feature file {p} cannot be read as Parquet ({type(exc).__name__})",
            "give the file `ossmetrics risk export-features` wrote",
        ) from None
    theirs = (table.schema.metadata or {}).get(_META_KEY, b"").decode() or "unknown"
    ours = feature_set_version(FEATURES)
    missing = [c for c in (*ID_COLUMNS, *FEATURES) if c not in table.column_names]
    if theirs != ours or missing:
        raise RiskError(
            f"feature file {p} has feature set {theirs}, this version of ossmetrics reads {ours}"
            + (f" (missing {', '.join(missing[:3])})" if missing else ""),
            "export the features again with `ossmetrics risk export-features` from a store",
        )
    rows = table.to_pandas()
    rows["as_of"] = pd.to_datetime(rows["as_of"]).dt.date
    for c in rows.columns:
        if rows[c].dtype == np.float32:
            rows[c] = rows[c].astype(np.float64)
    rows["young"] = rows["young"].astype(bool)
    return RiskDataset(rows, [_empty_graph() for _ in range(len(rows))], FEATURE_FILE_SOURCE)
