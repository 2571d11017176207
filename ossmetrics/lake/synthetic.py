"""A generated store of any size, for capacity planning and for checking the engines agree.

``generate_store(con, repos=20_000, commits=20_000_000)`` fills an empty store with a
deterministic history written entirely in SQL (DuckDB makes ~10M rows/s this way, so the
20M-commit benchmark lake takes seconds, not an hour of Python). The shapes are those the
metrics care about: skewed contributions (a few people write most commits of a repository),
bots, merge commits, identities merged into people with and without organisations, issues and
pull requests opened, answered, closed and merged, reviews, releases and pre-releases, spread
over five years. Every value derives from ``hash`` of the row number and the seed, so the same
arguments give the same store.
"""

from __future__ import annotations

import duckdb

__all__ = ["generate_store"]

_START = "TIMESTAMPTZ '2020-01-01 00:00:00+00'"
_SPAN_S = 5 * 365 * 86400


def generate_store(
    con: duckdb.DuckDBPyConnection,
    *,
    repos: int = 50,
    commits: int = 5_000,
    seed: int = 1,
    issues_per_repo: int | None = None,
    files_per_commit: int = 0,
) -> dict[str, int]:
    """Fill the (empty) store behind ``con``; returns the row count of each generated table.

    ``files_per_commit``: rows of ``commit_files`` per commit (0 = none, the default of the
    metric benchmarks, which read no file rows). Each repository has ~30 paths, chosen skewed
    so some files are shared by many authors and others have one (truck factor, co-edits).
    """
    people = max(20, repos * 4)
    n_issues = issues_per_repo if issues_per_repo is not None else max(2, commits // repos // 8)
    h = f"hash(i, {seed}"  # + ', k)': one independent stream per k
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(
            f"""INSERT INTO repos (repo_id, full_name, owner, name, platform, created_at, stars)
            SELECT i, 'org' || (i % 97) || '/repo' || i, 'org' || (i % 97), 'repo' || i, 'github',
                   {_START} + to_seconds(CAST({h}, 1) % {_SPAN_S // 2} AS BIGINT)),
                   CAST({h}, 2) % 5000 AS INTEGER)
            FROM range(1, {repos + 1}) t(i)"""
        )
        con.execute(
            f"""INSERT INTO people (person_id, display_name, primary_email, github_login, is_bot,
                                    organization)
            SELECT i, 'Person ' || i, NULL, 'user' || i, i % 53 = 0,
                   CASE WHEN i % 5 = 0 THEN NULL ELSE 'org' || (i % 17) || '.example' END
            FROM range(1, {people + 1}) t(i)"""
        )
        # identity i belongs to person i; identities people+i are a second (git) alias of the
        # first third of the people, so merged aliases are exercised.
        con.execute(
            f"""INSERT INTO identities (identity_id, identity_key, person_id, source, login, name,
                                        is_bot)
            SELECT i, 'github:user' || i, i, 'github', 'user' || i, 'Person ' || i, false
            FROM range(1, {people + 1}) t(i)
            UNION ALL
            SELECT {people} + i, 'git:alias' || i, i, 'git', NULL, 'Person ' || i, false
            FROM range(1, {people // 3 + 1}) t(i)"""
        )
        # author: a repository's pool of ~12 people, skewed (the square of a uniform draw).
        con.execute(
            f"""INSERT INTO commits (repo_id, sha, author_identity, committer_identity,
                 authored_at, committed_at, n_parents, files_changed, lines_added, lines_deleted,
                 message_len, parents)
            WITH c AS (
                SELECT i, 1 + CAST({h}, 3) % {repos} AS BIGINT) AS repo_id,
                       CAST({h}, 4) % 1000 AS BIGINT) / 1000.0 AS u,
                       {_START} + to_seconds(CAST({h}, 5) % {_SPAN_S} AS BIGINT)) AS t_at
                FROM range({commits}) t(i)
            )
            SELECT repo_id, lpad(format('{{:x}}', i), 40, '0'),
                   CAST(1 + (repo_id * 7 + CAST(floor(u * u * 12) AS BIGINT)) % {people}
                        + CASE WHEN i % 11 = 0 AND (repo_id * 7) % {people} < {people // 3}
                               THEN {people} ELSE 0 END AS INTEGER),
                   NULL, t_at, t_at + INTERVAL 5 MINUTE, CASE WHEN i % 17 = 0 THEN 2 ELSE 1 END,
                   1 + i % 7, CAST(i % 200 AS BIGINT), CAST(i % 50 AS BIGINT),
                   CAST(10 + i % 90 AS INTEGER), NULL
            FROM c"""
        )
        if files_per_commit > 0:
            con.execute(
                f"""INSERT INTO commit_files (repo_id, sha, path, old_path, added, deleted)
                SELECT c.repo_id, c.sha,
                       'src/m' || CAST(floor(pow((hash(c.sha, k, {seed}) % 1000) / 1000.0, 2)
                                             * 30) AS INTEGER) || '.py',
                       NULL, CAST(1 + hash(c.sha, k) % 40 AS INTEGER),
                       CAST(hash(c.sha, k) % 9 AS INTEGER)
                FROM commits c, range({files_per_commit}) t(k)"""
            )
        total_issues = repos * n_issues
        con.execute(
            f"""INSERT INTO issues (repo_id, number, is_pull, author_identity, author_login,
                 author_association, state, created_at, closed_at, merged_at, comments)
            WITH x AS (
                SELECT i, 1 + i % {repos} AS repo_id, 1 + i // {repos} AS number,
                       i % 3 = 0 AS is_pull,
                       1 + CAST({h}, 6) % {people} AS BIGINT) AS pid,
                       {_START} + to_seconds(CAST({h}, 7) % {_SPAN_S} AS BIGINT)) AS opened,
                       CAST({h}, 8) % 10 AS BIGINT) AS fate,
                       to_seconds(600 + CAST({h}, 9) % 2000000 AS BIGINT)) AS dur
                FROM range({total_issues}) t(i)
            )
            SELECT repo_id, number, is_pull, CAST(pid AS INTEGER), 'user' || pid,
                   CASE WHEN pid % 4 = 0 THEN 'MEMBER' ELSE 'NONE' END,
                   CASE WHEN fate < 7 THEN 'closed' ELSE 'open' END, opened,
                   CASE WHEN fate < 7 THEN opened + dur END,
                   CASE WHEN is_pull AND fate < 5 THEN opened + dur END, 0
            FROM x"""
        )
        # two comments per issue at most: a reply by someone else (sometimes a review), and
        # for some a second reply, sometimes by the author (not a response) or a bot.
        con.execute(
            f"""INSERT INTO comments (repo_id, issue_number, comment_id, kind, author_identity,
                 author_login, author_association, review_state, created_at)
            SELECT repo_id, number, row_number() OVER (ORDER BY repo_id, number, k),
                   CASE WHEN is_pull AND k = 1 THEN 'review' ELSE 'issue' END,
                   CAST(who AS INTEGER), 'user' || who,
                   CASE WHEN who % 4 = 0 THEN 'MEMBER' ELSE 'CONTRIBUTOR' END,
                   CASE WHEN is_pull AND k = 1 THEN 'APPROVED' END,
                   created_at + to_seconds(CAST(60 + hash(repo_id, number, k, {seed}) % 900000
                                                AS BIGINT))
            FROM issues, (SELECT 1 AS k UNION ALL SELECT 2) ks,
                 LATERAL (SELECT CASE WHEN k = 2 AND number % 3 = 0 THEN author_identity
                                      ELSE 1 + (author_identity + k * 13) % {people} END AS who)
            WHERE hash(repo_id, number, {seed}) % 4 <> 0 AND (k = 1 OR number % 2 = 0)"""
        )
        con.execute(
            f"""INSERT INTO releases (repo_id, tag, published_at, prerelease, draft)
            SELECT 1 + i % {repos}, 'v' || (i // {repos}) || '.0',
                   {_START} + to_seconds(CAST({h}, 10) % {_SPAN_S} AS BIGINT)),
                   i % 5 = 0, i % 23 = 0
            FROM range({repos * 4}) t(i)"""
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    out: dict[str, int] = {}
    for t in (
        "repos",
        "people",
        "identities",
        "commits",
        "commit_files",
        "issues",
        "comments",
        "releases",
    ):
        row = con.execute(f"SELECT count(*) FROM {t}").fetchone()
        out[t] = int(row[0]) if row else 0
    # Keep the id sequences past the generated ids, as a collector would leave them.
    for seq, top in (("repo_id_seq", repos), ("identity_id_seq", people + people // 3)):
        con.execute(f"SELECT max(nextval('{seq}')) FROM range({top})")
    return out
