"""Forks from GH Archive ForkEvents: both payload shapes, the ``forks`` table, first date kept.

The lines are written by hand in the archive's format: a 2015 ForkEvent (the Events API shape
of GH Archive's 2015 files: ``payload.forkee`` a full repository object whose ``created_at``
is the fork's) and a 2025 one (``action`` beside ``forkee``, as the current ``fork-event``
schema has it). Every expectation is read off these lines.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from ossmetrics.gharchive.parse import HourResult, parse_lines
from ossmetrics.lake import MANIFEST, export_lake, open_lake
from ossmetrics.spark.backfill import backfill
from ossmetrics.store import connect
from tests.metrics.conftest import build_widget

W = "acme/widget"


def line(i: int, repo: str, at: str, payload: dict[str, Any], actor: str) -> str:
    event = {
        "id": str(2489601247 + i),
        "type": "ForkEvent",
        "actor": {
            "id": 442374 + i,
            "login": actor,
            "gravatar_id": "",
            "url": f"https://api.github.com/users/{actor}",
            "avatar_url": f"https://avatars.githubusercontent.com/u/{442374 + i}?",
        },
        "repo": {"id": 26742634, "name": repo, "url": f"https://api.github.com/repos/{repo}"},
        "payload": payload,
        "public": True,
        "created_at": at,
    }
    return json.dumps(event, separators=(",", ":")) + "\n"


def forkee(fid: int, owner: str, name: str, created: str | None, full: bool = True) -> Any:
    repo: dict[str, Any] = {"id": fid, "name": name}
    if full:
        repo["full_name"] = f"{owner}/{name}"
    repo["owner"] = {"login": owner, "id": fid + 1, "type": "User"}
    repo.update({"private": False, "fork": True, "description": None})
    if created:
        repo.update(
            {"created_at": created, "updated_at": created, "pushed_at": "2024-01-01T00:00:00Z"}
        )
    return repo


HOUR_2015 = [
    # the 2015 shape: forkee's created_at is the fork's creation (a second after the event here)
    line(
        0,
        W,
        "2024-03-02T10:40:00Z",
        {"forkee": forkee(9001, "fan1", "widget", "2024-03-02T10:40:01Z")},
        "fan1",
    ),
    line(1, "other/repo", "2024-03-02T10:41:00Z", {"forkee": forkee(9002, "x", "repo", None)}, "x"),
]
HOUR_2025 = [
    # 2025: action beside forkee; no full_name here (owner + name make it); no created_at
    line(
        2,
        W,
        "2025-11-03T07:10:00Z",
        {"action": "forked", "forkee": forkee(9003, "Kim", "widget-kim", None, full=False)},
        "Kim",
    ),
    # fan1's fork seen again later (deleted and forked anew, same name): the first date stays
    line(
        3,
        W,
        "2025-11-03T07:20:00Z",
        {"action": "forked", "forkee": forkee(9004, "fan1", "widget", None)},
        "fan1",
    ),
    line(
        4, W, "2025-11-03T07:30:00Z", {"action": "forked", "forkee": {}}, "nobody"
    ),  # no fork named
]


def test_both_fork_shapes_become_rows() -> None:
    out = HourResult()
    parse_lines(HOUR_2015 + HOUR_2025, {W}, out)
    assert out.kept == 4 and out.events == 5
    assert out.forks == [
        (W, "fan1", "fan1/widget", 9001, "2024-03-02T10:40:01Z"),
        (W, "Kim", "Kim/widget-kim", 9003, "2025-11-03T07:10:00Z"),
        (W, "fan1", "fan1/widget", 9004, "2025-11-03T07:20:00Z"),
        (W, "nobody", None, None, "2025-11-03T07:30:00Z"),
    ]


@pytest.fixture
def lake(tmp_path: Path) -> Path:
    con = connect(tmp_path / "s.duckdb")
    build_widget(con)
    export_lake(con, tmp_path / "lake", buckets=4)
    con.close()
    return tmp_path / "lake"


def _write(path: Path, lines: list[str]) -> str:
    path.write_bytes(gzip.compress("".join(lines).encode()))
    return str(path)


def _forks(lake: Path) -> list[tuple[Any, ...]]:
    lk = open_lake(str(lake))
    try:
        return [
            tuple(r)
            for r in lk.con.execute(
                "SELECT r.full_name, f.forkee, f.login, f.github_id, f.forked_at::VARCHAR "
                "FROM forks f JOIN repos r USING (repo_id) ORDER BY 1, 2"
            ).fetchall()
        ]
    finally:
        lk.close()


def test_forks_land_in_their_table_and_months(lake: Path, tmp_path: Path) -> None:
    a = _write(tmp_path / "2024-03-02-10.json.gz", HOUR_2015)
    b = _write(tmp_path / "2025-11-03-7.json.gz", HOUR_2025)
    r = backfill(None, lake, [a, b])
    assert r.rows["forks"] == 2
    expected = [  # ordered by name: upper case first
        (W, "Kim/widget-kim", "Kim", 9003, "2025-11-03 07:10:00+00"),
        # fan1's fork: the first date (2024), the latest id (the fork made anew in 2025)
        (W, "fan1/widget", "fan1", 9004, "2024-03-02 10:40:01+00"),
    ]
    assert _forks(lake) == expected
    m = json.loads((lake / MANIFEST).read_text())
    # month partitions by the kept first date: fan1's fork stays in 2024-03
    assert sorted(m["tables"]["forks"]["partitions"]) == ["2024-03", "2025-11"]
    assert m["tables"]["forks"]["rows"] == 2
    # idempotent: the same hours again change nothing
    backfill(None, lake, [a, b], force=True)
    assert _forks(lake) == expected


def test_all_repositories_adds_the_forked_one(lake: Path, tmp_path: Path) -> None:
    a = _write(tmp_path / "2024-03-02-10.json.gz", HOUR_2015)
    backfill(None, lake, [a], all_repos=True)
    assert [f[:2] for f in _forks(lake)] == [(W, "fan1/widget"), ("other/repo", "x/repo")]


def test_a_store_keeps_forks_and_forgetting_a_person_removes_theirs(tmp_path: Path) -> None:
    from ossmetrics.collect.forget import forget_person
    from ossmetrics.lake import import_lake

    con = connect(tmp_path / "s.duckdb")
    build_widget(con)
    con.execute(
        "INSERT INTO forks VALUES (2, 'fan1/widget', 'fan1', 9001, "
        "TIMESTAMPTZ '2024-03-02 10:40:01+00'), (2, 'Kim/widget-kim', 'Kim', NULL, NULL)"
    )
    export_lake(con, tmp_path / "lake", buckets=4)
    back = connect(tmp_path / "back.duckdb")
    import_lake(back, str(tmp_path / "lake"))
    assert (
        back.execute("SELECT * FROM forks ORDER BY forkee").fetchall()
        == con.execute("SELECT * FROM forks ORDER BY forkee").fetchall()
    )
    back.close()
    pid = con.execute(
        "SELECT min(identity_id) FROM identities WHERE NOT is_bot AND person_id IS NOT NULL"
    ).fetchone()
    assert pid is not None
    con.execute("UPDATE identities SET login = 'fan1' WHERE identity_id = ?", [pid[0]])
    forget_person(con, "fan1")
    assert con.execute("SELECT login FROM forks").fetchall() == [("Kim",)]
    con.close()
