"""Digests of the data a portfolio stage reads, so a no-change night can skip the stage safely.

A stage is skipped only when the digest of everything it depends on equals the digest recorded
after its last *successful* run. The digest of a repository covers its commits (count, and a sum
of hashes of every sha, so a rewritten history is seen even at the same count), issues and pull
requests (number, state, update time), comments, releases, stargazers and the repository row;
plus the identity merge of the identities that appear in the repository (which person each
belongs to, and whether it or its person is a bot), since a re-merge triggered by another
repository can change this one's contributor graph; plus the day (graph cut dates and
risk windows move with the calendar, so every stage runs at least once a day), the ossmetrics
version, and the stage's own options (the truck-factor exclusions). The digest is recorded only
after the stage has committed: a crash in between just means the stage runs again next time,
which is safe because every stage replaces its own rows.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from datetime import date

import duckdb

import ossmetrics

__all__ = ["identity_digest", "portfolio_digest", "record", "recorded", "repo_digests"]

_PER_REPO = """
WITH ids AS (SELECT unnest($ids::INTEGER[]) AS repo_id),
c AS (SELECT repo_id, count(*) AS n, sum(hash(sha)) AS h FROM commits
      WHERE repo_id IN (SELECT repo_id FROM ids) GROUP BY repo_id),
i AS (SELECT repo_id, count(*) AS n, sum(hash(number, state, updated_at, closed_at, merged_at)) AS h
      FROM issues WHERE repo_id IN (SELECT repo_id FROM ids) GROUP BY repo_id),
m AS (SELECT repo_id, count(*) AS n, sum(hash(kind, comment_id, updated_at)) AS h FROM comments
      WHERE repo_id IN (SELECT repo_id FROM ids) GROUP BY repo_id),
r AS (SELECT repo_id, count(*) AS n, sum(hash(tag, published_at)) AS h FROM releases
      WHERE repo_id IN (SELECT repo_id FROM ids) GROUP BY repo_id),
s AS (SELECT repo_id, count(*) AS n, sum(hash(login)) AS h FROM stargazers
      WHERE repo_id IN (SELECT repo_id FROM ids) GROUP BY repo_id),
p AS (SELECT repo_id, hash(full_name, stars, forks, archived, pushed_at, default_branch, created_at) AS h
      FROM repos WHERE repo_id IN (SELECT repo_id FROM ids)),
u AS (SELECT DISTINCT repo_id, author_identity AS identity_id FROM commits
      WHERE repo_id IN (SELECT repo_id FROM ids)
      UNION SELECT DISTINCT repo_id, committer_identity FROM commits
      WHERE repo_id IN (SELECT repo_id FROM ids)
      UNION SELECT DISTINCT repo_id, author_identity FROM issues
      WHERE repo_id IN (SELECT repo_id FROM ids)
      UNION SELECT DISTINCT repo_id, author_identity FROM comments
      WHERE repo_id IN (SELECT repo_id FROM ids)),
w AS (SELECT u.repo_id, sum(hash(x.identity_id, x.person_id, x.is_bot, pp.is_bot)) AS h
      FROM u JOIN identities x USING (identity_id) LEFT JOIN people pp ON pp.person_id = x.person_id
      GROUP BY u.repo_id)
SELECT ids.repo_id,
       concat_ws('|', coalesce(c.n, 0), coalesce(c.h, 0), coalesce(i.n, 0), coalesce(i.h, 0),
                 coalesce(m.n, 0), coalesce(m.h, 0), coalesce(r.n, 0), coalesce(r.h, 0),
                 coalesce(s.n, 0), coalesce(s.h, 0), coalesce(p.h, 0), coalesce(w.h, 0))
FROM ids LEFT JOIN c USING (repo_id) LEFT JOIN i USING (repo_id) LEFT JOIN m USING (repo_id)
     LEFT JOIN r USING (repo_id) LEFT JOIN s USING (repo_id) LEFT JOIN p USING (repo_id)
     LEFT JOIN w USING (repo_id)
"""


def _sha(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, default=str).encode("utf-8")).hexdigest()[:32]


def identity_digest(con: duckdb.DuckDBPyConnection) -> str:
    """Digest of the identity merge: identity → person, and bot flags."""
    row = con.execute(
        "SELECT (SELECT concat_ws('|', count(*), coalesce(sum(hash(identity_id, person_id, is_bot)), 0)) FROM identities),"
        " (SELECT concat_ws('|', count(*), coalesce(sum(hash(person_id, is_bot)), 0)) FROM people)"
    ).fetchall()
    return _sha(*(row[0] if row else ()))


def repo_digests(
    con: duckdb.DuckDBPyConnection,
    repo_ids: Sequence[int],
    *,
    today: date,
    options: dict[int, object] | None = None,
) -> dict[int, str]:
    """One digest per repository: its data, its identities' merge, the day, version, options."""
    if not repo_ids:
        return {}
    rows = con.execute(_PER_REPO, {"ids": list(repo_ids)}).fetchall()
    opts = options or {}
    return {
        int(rid): _sha(data, today.isoformat(), ossmetrics.__version__, opts.get(rid))
        for rid, data in rows
    }


def portfolio_digest(digests: dict[int, str], *extra: object) -> str:
    return _sha(sorted(digests.items()), *extra)


def recorded(con: duckdb.DuckDBPyConnection, stage: str, scopes: Iterable[str]) -> dict[str, str]:
    """The digests recorded after the last successful run of ``stage``, by scope."""
    wanted = list(scopes)
    if not wanted:
        return {}
    rows = con.execute(
        "SELECT scope, fingerprint FROM nightly_state WHERE stage = ? AND list_contains(?, scope)",
        [stage, wanted],
    ).fetchall()
    return {s: f for s, f in rows}


def record(
    con: duckdb.DuckDBPyConnection, stage: str, digests: dict[str, str], run_id: int
) -> None:
    """Remember what ``stage`` was computed from (call only after the stage committed)."""
    if not digests:
        return
    import pyarrow as pa

    tbl = pa.table(
        {
            "scope": list(digests),
            "stage": [stage] * len(digests),
            "fingerprint": list(digests.values()),
            "run_id": [run_id] * len(digests),
        }
    )
    # a replacement scan of the local Arrow table (register() refuses while another stage's
    # result is still open on the connection; execute() closes it)
    con.execute(
        "INSERT OR REPLACE INTO nightly_state (scope, stage, fingerprint, run_id, updated_at)"
        " SELECT scope, stage, fingerprint, run_id, now() FROM tbl"
    )
    del tbl
