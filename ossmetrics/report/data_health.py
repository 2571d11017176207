"""The data-health view: what was collected for each project, when, from where, what is missing.

Why a page of its own: a dashboard that shows "0 issues" for a project whose issues were never
collected misleads a funder. Every headline number elsewhere links here, and each gap names the
command that fills it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb
import pandas as pd

from ossmetrics.privacy import PeopleView

__all__ = ["STALE_DAYS", "collection_status", "identity_overview", "row_counts", "sync_rows"]

STALE_DAYS = 7  # a source not refreshed for longer than this is flagged stale


def sync_rows(con: duckdb.DuckDBPyConnection, ids: list[int]) -> pd.DataFrame:
    """``sync_state`` rows (no cursors or etags: they may be URLs and say nothing to a reader)."""
    return con.execute(
        """SELECT repo_id, source, endpoint, last_success_at, last_error, updated_at
           FROM sync_state WHERE list_contains($ids, repo_id) ORDER BY repo_id, source, endpoint""",
        {"ids": ids},
    ).df()


def row_counts(con: duckdb.DuckDBPyConnection, ids: list[int]) -> pd.DataFrame:
    """Per repo: rows in each collected table and the newest derived results."""
    return con.execute(
        """SELECT r.repo_id,
            (SELECT count(*) FROM commits x WHERE x.repo_id = r.repo_id) AS commits,
            (SELECT min(committed_at) FROM commits x WHERE x.repo_id = r.repo_id) AS first_commit_at,
            (SELECT max(committed_at) FROM commits x WHERE x.repo_id = r.repo_id) AS last_commit_at,
            (SELECT count(*) FROM issues x WHERE x.repo_id = r.repo_id AND NOT is_pull) AS issues,
            (SELECT count(*) FROM issues x WHERE x.repo_id = r.repo_id AND is_pull) AS pulls,
            (SELECT count(*) FROM comments x WHERE x.repo_id = r.repo_id) AS comments,
            (SELECT count(*) FROM releases x WHERE x.repo_id = r.repo_id) AS releases,
            (SELECT max(as_of) FROM graph_repo_measures x WHERE x.repo_id = r.repo_id) AS graph_as_of,
            (SELECT max(as_of) FROM risk_scores x WHERE x.repo_id = r.repo_id) AS risk_as_of,
            (SELECT count(*) FROM metric_snapshots x WHERE x.repo_id = r.repo_id) AS snapshots,
            (SELECT max(computed_at) FROM metric_snapshots x WHERE x.repo_id = r.repo_id)
                AS last_snapshot_at,
            (SELECT count(*) FROM commits x JOIN identities i ON i.identity_id = x.author_identity
               JOIN people p USING (person_id) WHERE x.repo_id = r.repo_id AND p.is_bot)
                AS bot_commits,
            (SELECT count(*) FROM commits x WHERE x.repo_id = r.repo_id AND NOT EXISTS (
               SELECT 1 FROM identities i WHERE i.identity_id = x.author_identity
                 AND i.person_id IS NOT NULL)) AS unlinked_commits
        FROM (SELECT unnest($ids) AS repo_id) r ORDER BY 1""",
        {"ids": ids},
    ).df()


def last_runs(con: duckdb.DuckDBPyConnection, ids: list[int]) -> pd.DataFrame:
    """The latest finished run of each step per repo (and whole-run steps, repo_id NULL).

    Rows still ``running`` are left out: the run writing this report is one of them.
    """
    return con.execute(
        """SELECT repo_id, stage, status, started_at, finished_at, items, seconds, error
           FROM runs WHERE (repo_id IS NULL OR list_contains($ids, repo_id))
             AND status <> 'running'
           QUALIFY row_number() OVER (PARTITION BY repo_id, stage ORDER BY started_at DESC) = 1
           ORDER BY repo_id NULLS FIRST, stage""",
        {"ids": ids},
    ).df()


def collection_status(
    counts: Mapping[str, Any], syncs: pd.DataFrame, now: datetime, github: bool
) -> list[dict[str, str]]:
    """Plain-words findings for one repo: each with a level (ok/missing/stale/failed) and a fix."""
    name = str(counts.get("full_name", "OWNER/REPO"))
    out: list[dict[str, str]] = []

    def add(level: str, text: str, fix: str = "") -> None:
        out.append({"level": level, "text": text, "fix": fix})

    if not counts.get("commits"):
        add("missing", "No commits collected.", f"ossmetrics collect git PATH --repo {name}")
    if not github:
        add(
            "missing",
            "GitHub data (issues, pull requests, reviews, releases) not collected: "
            "responsiveness and releases are unknown, not zero.",
            f"ossmetrics collect github {name}",
        )
    if pd.isna(counts.get("graph_as_of")):
        add(
            "missing",
            "Contributor graphs not computed (truck factor, network).",
            "ossmetrics graph",
        )
    if pd.isna(counts.get("risk_as_of")):
        add("missing", "No risk score yet.", "ossmetrics score")
    for _, s in syncs.iterrows():
        where = f"{s['source']} {s['endpoint']}"
        if isinstance(s["last_error"], str) and s["last_error"]:
            add("failed", f"Last collection of {where} failed: {s['last_error']}", "")
        ts = s["last_success_at"]
        if pd.notna(ts) and pd.Timestamp(ts) < pd.Timestamp(now) - timedelta(days=STALE_DAYS):
            add(
                "stale",
                f"{where} last refreshed {pd.Timestamp(ts):%Y-%m-%d}, over {STALE_DAYS} days ago.",
                "ossmetrics nightly",
            )
    if counts.get("unlinked_commits"):
        add(
            "failed",
            f"{int(counts['unlinked_commits'])} commits have no linked person.",
            "ossmetrics identities list",
        )
    if not out:
        add("ok", "All sources collected and fresh.")
    return out


def identity_overview(
    con: duckdb.DuckDBPyConnection,
    ids: list[int],
    limit: int = 200,
    *,
    people: PeopleView | None = None,
) -> dict[str, pd.DataFrame]:
    """People merged from several identities, and people flagged as bots, with commit counts.

    Names and identity keys as ``people`` allows (never an email: keys become ``git:#12``);
    in publish mode only allowed people are listed among the merged.
    """
    view = people or PeopleView(con)
    merged = con.execute(
        """WITH used AS (SELECT DISTINCT i.person_id FROM commits c
                         JOIN identities i ON i.identity_id = c.author_identity
                         WHERE list_contains($ids, c.repo_id))
        SELECT p.person_id, coalesce(p.display_name, p.github_login) AS name, p.is_bot,
               count(*) AS identities, list(i.identity_key ORDER BY i.identity_id) AS keys,
               list(i.identity_id ORDER BY i.identity_id) AS key_ids,
               list(i.source ORDER BY i.identity_id) AS key_sources,
               list(DISTINCT i.source) AS sources
        FROM people p JOIN identities i USING (person_id) JOIN used USING (person_id)
        GROUP BY ALL HAVING count(*) > 1 ORDER BY identities DESC, person_id LIMIT $limit""",
        {"ids": ids, "limit": limit},
    ).df()
    bots = con.execute(
        """SELECT p.person_id, coalesce(p.display_name, p.github_login) AS name,
                  count(*) AS commits, list(DISTINCT r.full_name) AS repos,
                  any_value(i.identity_key) AS identity_key, any_value(i.identity_id) AS key_id,
                  any_value(i.source) AS key_source
        FROM commits c JOIN identities i ON i.identity_id = c.author_identity
        JOIN people p USING (person_id) JOIN repos r USING (repo_id)
        WHERE p.is_bot AND list_contains($ids, c.repo_id)
        GROUP BY ALL ORDER BY commits DESC LIMIT $limit""",
        {"ids": ids, "limit": limit},
    ).df()
    return {"merged": _shown_merged(merged, view), "bots": _shown_bots(bots, view)}


def _shown_merged(df: pd.DataFrame, view: PeopleView) -> pd.DataFrame:
    if df.empty:
        return df.drop(columns=["keys", "key_ids", "key_sources"], errors="ignore")
    df = df[[view.allowed(int(p)) for p in df["person_id"]]].copy()
    df["name"] = [view.label(int(p)) for p in df["person_id"]]
    df["keys"] = [
        [view.identity_label(int(i), s, k) for i, s, k in zip(ii, ss, kk, strict=True)]
        for ii, ss, kk in zip(df["key_ids"], df["key_sources"], df["keys"], strict=True)
    ]
    df["split_id"] = [int(list(ii)[-1]) for ii in df["key_ids"]]
    return df.drop(columns=["key_ids", "key_sources"]).reset_index(drop=True)


def _shown_bots(df: pd.DataFrame, view: PeopleView) -> pd.DataFrame:
    if df.empty:
        return df.drop(columns=["key_id", "key_source"], errors="ignore")
    df = df.copy()
    df["name"] = [view.label(int(p)) for p in df["person_id"]]
    df["identity_key"] = [
        view.identity_label(int(i), s, k)
        for i, s, k in zip(df["key_id"], df["key_source"], df["identity_key"], strict=True)
    ]
    return df.drop(columns=["key_id", "key_source"])


def now_utc() -> datetime:
    return datetime.now(UTC)


def since(ts: datetime, days: int) -> datetime:
    return ts - timedelta(days=days)
