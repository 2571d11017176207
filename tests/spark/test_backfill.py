"""GH Archive backfill: both payload shapes, idempotent hours, truncated files, Spark fan-out.

The lines below are written by hand in the archive's format (key order, nesting, the 2015
full pull-request object and the trimmed 2025 one), so each expectation is read off them.
"""

from __future__ import annotations

import gzip
import json
import shutil
import zlib
from pathlib import Path
from typing import Any

import pytest

from ossmetrics.gharchive.parse import HourResult, parse_hour, parse_lines, repo_name_of
from ossmetrics.lake import MANIFEST, export_lake, open_lake
from ossmetrics.spark.backfill import backfill
from ossmetrics.store import connect
from tests.metrics.conftest import build_widget


def ev(i: int, kind: str, repo: str, at: str, payload: dict[str, Any], actor: str = "ann") -> str:
    return (
        json.dumps(
            {
                "id": str(100 + i),
                "type": kind,
                "actor": {
                    "id": 7,
                    "login": actor,
                    "gravatar_id": "",
                    "url": "u",
                    "avatar_url": "a",
                },
                "repo": {"id": 9, "name": repo, "url": f"https://api.github.com/repos/{repo}"},
                "payload": payload,
                "public": True,
                "created_at": at,
            },
            separators=(",", ":"),
        )
        + "\n"
    )


W = "acme/widget"
# 2015 shape: a full pull request, merged
PR_2015 = {
    "action": "closed",
    "number": 40,
    "pull_request": {
        "id": 5040,
        "number": 40,
        "user": {"login": "zoe"},
        "title": "Speed up",
        "state": "closed",
        "created_at": "2024-03-01T08:00:00Z",
        "updated_at": "2024-03-02T10:00:00Z",
        "closed_at": "2024-03-02T10:00:00Z",
        "merged_at": "2024-03-02T10:00:00Z",
        "merged": True,
    },
}
HOUR_A = [
    ev(1, "PullRequestEvent", W, "2024-03-02T10:00:00Z", PR_2015, actor="bob"),
    ev(2, "WatchEvent", W, "2024-03-02T10:05:00Z", {"action": "started"}, actor="fan1"),
    ev(3, "WatchEvent", "other/repo", "2024-03-02T10:06:00Z", {"action": "started"}),
    ev(
        4,
        "IssueCommentEvent",
        W,
        "2024-03-02T10:07:00Z",
        {
            "action": "created",
            "issue": {
                "id": 77,
                "number": 41,
                "user": {"login": "yan"},
                "state": "open",
                "title": "Crash",
                "created_at": "2024-03-02T09:00:00Z",
                "updated_at": "2024-03-02T10:07:00Z",
                "comments": 1,
                "labels": [{"name": "bug"}],
            },
            "comment": {
                "id": 9001,
                "user": {"login": "alice"},
                "created_at": "2024-03-02T10:07:00Z",
                "updated_at": "2024-03-02T10:07:00Z",
                "body": "On it",
                "author_association": "MEMBER",
            },
        },
    ),
    ev(
        5,
        "ReleaseEvent",
        W,
        "2024-03-02T10:30:00Z",
        {
            "action": "published",
            "release": {
                "id": 31,
                "tag_name": "v3.0",
                "name": "Three",
                "author": {"login": "alice"},
                "created_at": "2024-03-02T10:29:00Z",
                "published_at": "2024-03-02T10:30:00Z",
                "prerelease": False,
                "draft": False,
            },
        },
    ),
    ev(6, "ForkEvent", W, "2024-03-02T10:40:00Z", {"forkee": {"full_name": "fan1/widget"}}),
]
# 2025 shape: the trimmed pull request (no user, no created_at, no merged) opened, then closed
TRIMMED_PR_42 = {
    "id": 5042,
    "number": 42,
    "url": "u",
    "head": {"ref": "f", "sha": "a"},
    "base": {"ref": "main", "sha": "b"},
}
HOUR_B = [
    ev(
        7,
        "PullRequestEvent",
        W,
        "2025-11-03T07:00:00Z",
        {
            "action": "opened",
            "number": 42,
            "pull_request": TRIMMED_PR_42,
        },
        actor="kim",
    ),
    ev(
        8,
        "PullRequestEvent",
        W,
        "2025-11-03T07:45:00Z",
        {
            "action": "closed",
            "number": 42,
            "pull_request": TRIMMED_PR_42,
        },
        actor="alice",
    ),
    ev(
        9,
        "PullRequestReviewEvent",
        W,
        "2025-11-03T07:30:00Z",
        {
            "action": "created",
            "review": {
                "id": 555,
                "user": {"login": "alice"},
                "state": "approved",
                "submitted_at": "2025-11-03T07:30:00Z",
            },
            "pull_request": {"id": 5042, "number": 42},
        },
    ),
]


def write(path: Path, lines: list[str]) -> str:
    path.write_bytes(gzip.compress("".join(lines).encode()))
    return str(path)


@pytest.fixture
def lake(tmp_path: Path) -> Path:
    con = connect(tmp_path / "s.duckdb")
    build_widget(con)
    export_lake(con, tmp_path / "lake", buckets=4)
    con.close()
    return tmp_path / "lake"


def test_repo_name_prefilter_reads_the_archive_key_order() -> None:
    assert repo_name_of(HOUR_A[0]) == W
    assert repo_name_of('{"type":"X"}\n') is None


def test_both_payload_shapes_become_rows() -> None:
    out = HourResult()
    parse_lines(HOUR_A + HOUR_B, {W}, out)
    assert out.events == 9 and out.kept == 8 and out.complete  # other/repo left out
    pr40 = next(r for r in out.issues if r[1] == 40)
    assert pr40[2] is True and pr40[4] == "zoe" and pr40[15] == "2024-03-02T10:00:00Z"
    opened, closed = (r for r in out.issues if r[1] == 42)
    # 2025: author and opening time from the event; the close dated by the event; merge unknown
    assert opened[4] == "kim" and opened[12] == "2025-11-03T07:00:00Z" and opened[7] == "open"
    assert closed[4] is None and closed[14] == "2025-11-03T07:45:00Z" and closed[15] is None
    assert [(c[2], c[3], c[4], c[6]) for c in out.comments] == [
        (9001, "issue", "alice", None),
        (555, "review", "alice", "APPROVED"),
    ]
    assert out.stargazers == [(W, "fan1", "2024-03-02T10:05:00Z")]
    assert [r[1] for r in out.releases] == ["v3.0"] and len(out.forks) == 1


def test_a_file_cut_mid_line_keeps_the_good_lines(tmp_path: Path) -> None:
    data = gzip.compress("".join(HOUR_A).encode())
    cut = tmp_path / "2024-03-02-10.json.gz"
    cut.write_bytes(data[: len(data) - 40])  # the gzip trailer and the last line's end gone
    r = parse_hour(str(cut), None)
    assert not r.complete and "truncated" in (r.error or "")
    # every line whose end survived is kept: as many as the newlines in what decompresses
    survived = zlib.decompressobj(31).decompress(data[: len(data) - 40])
    assert 1 <= survived.count(b"\n") < 6
    assert r.events == survived.count(b"\n")
    # a file whose last line has no newline but whose stream is whole is complete
    whole = tmp_path / "w.json.gz"
    whole.write_bytes(gzip.compress("".join(HOUR_A).rstrip("\n").encode()))
    assert parse_hour(str(whole), None).events == 6


def test_backfill_folds_merges_and_is_idempotent(lake: Path, tmp_path: Path) -> None:
    a = write(tmp_path / "2024-03-02-10.json.gz", HOUR_A)
    b = write(tmp_path / "2025-11-03-7.json.gz", HOUR_B)
    r = backfill(None, lake, [a, b])
    assert r.hours_read == 2 and r.events == 9 and r.kept == 8 and not r.incomplete
    lk = open_lake(str(lake))
    try:
        q = lk.con.execute
        rows = q(
            "SELECT number, is_pull, author_login, state, created_at::VARCHAR, closed_at::VARCHAR,"
            " merged_at::VARCHAR FROM issues WHERE repo_id = 2 AND number >= 40 ORDER BY number"
        ).fetchall()
        assert rows == [
            (
                40,
                True,
                "zoe",
                "closed",
                "2024-03-01 08:00:00+00",
                "2024-03-02 10:00:00+00",
                "2024-03-02 10:00:00+00",
            ),
            (41, False, "yan", "open", "2024-03-02 09:00:00+00", None, None),
            # opened by kim (first snapshot), closed later (latest snapshot); merge unknown
            (42, True, "kim", "closed", "2025-11-03 07:00:00+00", "2025-11-03 07:45:00+00", None),
        ]
        # the collected rows are kept: the widget history had 11 issues
        assert q("SELECT count(*) FROM issues WHERE repo_id = 2").fetchone() == (14,)
        assert q("SELECT login FROM stargazers").fetchall() == [("fan1",)]
        assert q("SELECT tag FROM releases WHERE tag = 'v3.0'").fetchall() == [("v3.0",)]
        n_comments = q("SELECT count(*) FROM comments").fetchone()
    finally:
        lk.close()
    m = json.loads((lake / MANIFEST).read_text())
    assert m["gharchive"]["2024-03-02-10"]["status"] == "complete"
    assert m["gharchive"]["2025-11-03-7"]["kept"] == 3
    # a rerun skips complete hours; a forced rerun changes nothing (idempotent per hour)
    assert backfill(None, lake, [a, b]).hours_skipped == 2
    again = backfill(None, lake, [a, b], force=True)
    assert again.hours_read == 2
    lk = open_lake(str(lake))
    try:
        assert lk.con.execute("SELECT count(*) FROM comments").fetchone() == n_comments
        assert lk.con.execute("SELECT count(*) FROM issues").fetchone() == (14,)
    finally:
        lk.close()


def test_truncated_hour_is_marked_incomplete_and_retried(lake: Path, tmp_path: Path) -> None:
    data = gzip.compress("".join(HOUR_A).encode())
    src = tmp_path / "2024-03-02-10.json.gz"
    src.write_bytes(data[: len(data) - 40])
    r = backfill(None, lake, [str(src)])
    assert r.incomplete and r.incomplete[0][0] == "2024-03-02-10"
    m = json.loads((lake / MANIFEST).read_text())
    assert m["gharchive"]["2024-03-02-10"]["status"] == "incomplete"
    assert "truncated" in m["gharchive"]["2024-03-02-10"]["error"]
    # the good lines landed (the merged pull request is the first line)
    lk = open_lake(str(lake))
    try:
        assert lk.con.execute("SELECT count(*) FROM issues WHERE number = 40").fetchone() == (1,)
    finally:
        lk.close()
    # the next run retries it; once whole it is complete
    src.write_bytes(data)
    r2 = backfill(None, lake, [str(src)])
    assert r2.hours_read == 1 and not r2.incomplete
    m = json.loads((lake / MANIFEST).read_text())
    assert m["gharchive"]["2024-03-02-10"]["status"] == "complete"


def test_backfill_on_spark_all_repositories(spark: Any, lake: Path, tmp_path: Path) -> None:
    a = write(tmp_path / "2024-03-02-10.json.gz", HOUR_A)
    b = write(tmp_path / "2025-11-03-7.json.gz", HOUR_B)
    r = backfill(spark, lake, [a, b], all_repos=True)
    assert r.kept == 9
    lk = open_lake(str(lake))
    try:
        row = lk.con.execute(
            "SELECT r.full_name, s.login FROM stargazers s JOIN repos r USING (repo_id) ORDER BY 1"
        ).fetchall()
        assert row == [(W, "fan1"), ("other/repo", "ann")]
    finally:
        lk.close()
    shutil.rmtree(tmp_path / "lake" / "_gharchive")
