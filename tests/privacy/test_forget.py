"""``people forget`` and ``people export`` (issue 17, part 3).

Dan Brown is the hard case: two addresses joined only by ``.mailmap``, an organisation domain
that the elephant factor counts, and later commits under both addresses after he is forgotten.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import duckdb

from tests.conftest import run_cli
from tests.gitfactory import GitFactory, Person
from tests.privacy.conftest import Collected
from tests.privacy.history import ANN, DAN, DAN_WORK, month

AS_OF = "2025-06-01"
DAN_TRACES = ["dan@brown-family.dev", "daniel.brown@initech.com", "Dan Brown", "Daniel Brown",
              "D. Brown"]  # fmt: skip


def _metrics(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Every metric of the library at a fixed date, and the graph stage's repo measures."""
    from ossmetrics.metrics.library import load_library
    from ossmetrics.metrics.run import run_metric

    out: dict[str, Any] = {}
    for name, m in sorted(load_library().items()):
        params = {"as_of": AS_OF} if "as_of" in m.param_names else {}
        df = run_metric(con, name, params=params)
        # who the person is may change (that is the point); what is counted may not
        df = df.drop(columns=[c for c in ("display_name",) if c in df.columns])
        out[name] = json.loads(df.to_json(orient="records", date_format="iso"))
    return out


def _graph(con: duckdb.DuckDBPyConnection) -> list[tuple[Any, ...]]:
    from ossmetrics.graph import compute_graphs

    compute_graphs(con, None)
    rows = con.execute(
        """SELECT measure, value FROM graph_repo_measures
           WHERE as_of = (SELECT max(as_of) FROM graph_repo_measures) ORDER BY measure"""
    ).fetchall()
    return [(m, round(v, 9) if v is not None else None) for m, v in rows]


def _traces(con: duckdb.DuckDBPyConnection, needles: list[str]) -> dict[str, list[str]]:
    """Every table whose text (any column, cast to text) holds one of ``needles``."""
    found: dict[str, list[str]] = {}
    for (table,) in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE'"
    ).fetchall():
        text = " ".join(str(r) for r in con.execute(f'SELECT * FROM "{table}"').fetchall())
        hits = [n for n in needles if n.lower() in text.lower()]
        if hits:
            found[table] = hits
    return found


def test_forget_keeps_every_metric_and_survives_recollection(
    collected: Collected, tmp_path: Path
) -> None:
    from ossmetrics.collect.forget import forget_person
    from ossmetrics.collect.git import collect_git
    from ossmetrics.metrics import install
    from ossmetrics.store import connect

    repo_dir = tmp_path / "widget"
    shutil.copytree(collected.repo, repo_dir)
    db = collected.copy_store(tmp_path)
    con = connect(db)
    try:
        install(con)
        assert _traces(con, DAN_TRACES)  # he is there before
        before, graph_before = _metrics(con), _graph(con)
        orgs = con.execute("SELECT count(DISTINCT organization) FROM people").fetchone()
        done = forget_person(con, "Daniel Brown")
        assert done == {"person_id": 5, "identities": 2, "emails": 2, "logins": 0}
        assert _traces(con, DAN_TRACES) == {}
        assert _metrics(con) == before
        assert _graph(con) == graph_before
        assert con.execute("SELECT count(DISTINCT organization) FROM people").fetchone() == orgs
        assert con.execute(
            "SELECT display_name, primary_email FROM people WHERE person_id = 5"
        ).fetchone() == ("anonymous person 5", None)

        # he commits again under both addresses; the .mailmap in the repository still names him
        repo = GitFactory(repo_dir)
        repo.commit({"src/new.py": "n\n"}, author=DAN, committer=ANN, date=month(16))
        repo.commit({"src/new.py": "n\nm\n"}, author=DAN_WORK, committer=ANN, date=month(17))
        repo.commit({"src/other.py": "o\n"}, author=ANN, date=month(18))
        # a new spelling of his name with a forgotten address is still him
        danny = Person("Danny B", DAN.email)
        repo.commit({"src/new.py": "n\nm\nl\n"}, author=danny, committer=ANN, date=month(19))
        r = collect_git(con, str(repo_dir), repo="acme/widget", jobs=1)
        assert r.commits_added == 4
        assert _traces(con, DAN_TRACES) == {}
        per_person = dict(
            con.execute(
                """SELECT i.person_id, count(*) FROM commits c
                   JOIN identities i ON i.identity_id = c.author_identity GROUP BY 1"""
            ).fetchall()
        )
        assert per_person[5] == 3 + 3  # his 3 old commits and the 3 new, still one person
        assert _traces(con, ["Danny B"]) == {}
        assert per_person[1] == 6 + 1 + 1  # Ann: 6, her old alias 1 (mailmap), 1 new
        n_ids = con.execute("SELECT count(*) FROM identities").fetchone()
        assert n_ids == (8,)  # no identity re-created for him
    finally:
        con.close()


def test_export_and_forget_through_the_cli(collected: Collected, tmp_path: Path) -> None:
    db = collected.copy_store(tmp_path)
    r = run_cli("--db", str(db), "people", "export", "bobj")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["person"]["display_name"] == "Bob Jones"
    assert [i["email"] for i in data["identities"]] == ["12345+bobj@users.noreply.github.com"]
    assert data["commits"] == [
        {"repo": "acme/widget", "commits": 2, "first": "2024-03-03T10:00:00+00:00",
         "last": "2024-10-03T10:00:00+00:00"}
    ]  # fmt: skip
    r = run_cli("--db", str(db), "people", "forget", "12345+bobj@users.noreply.github.com")
    assert r.returncode == 0, r.stderr
    assert "forgot person 3" in r.stdout
    r = run_cli("--db", str(db), "people", "export", "3")
    data = json.loads(r.stdout)
    assert data["person"]["display_name"] == "anonymous person 3"
    assert data["identities"][0]["email"] is None and data["identities"][0]["name"] is None
    assert data["commits"][0]["commits"] == 2
    r = run_cli("--db", str(db), "people", "forget", "bobj")  # gone: nobody answers to it
    assert r.returncode == 2


def test_unknown_person_is_one_line(collected: Collected, tmp_path: Path) -> None:
    db = collected.copy_store(tmp_path)
    for cmd in ("forget", "export"):
        r = run_cli("--db", str(db), "people", cmd, "nobody@nowhere.example")
        assert r.returncode == 2
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and "no person 'nobody@nowhere.example'" in lines[0], r.stderr


def test_github_collection_does_not_reattach_a_forgotten_login(
    collected: Collected, tmp_path: Path
) -> None:
    """Bob's noreply address made ``bobj`` his login: after forget, GitHub payloads naming
    ``BobJ`` join his anonymous identity, and his login is dropped from what they brought."""
    from ossmetrics.collect.forget import forget_person
    from ossmetrics.collect.github import finish_identities
    from ossmetrics.collect.github_save import identity_ids
    from ossmetrics.store import connect

    con = connect(collected.copy_store(tmp_path))
    try:
        forget_person(con, "Bob Jones")
        ids = identity_ids(
            con, [({"login": "BobJ", "type": "User"}, None), ({"login": "zed"}, None)]
        )
        assert ids["bobj"] == 3
        assert con.execute(
            "SELECT count(*) FROM identities WHERE lower(login) = 'bobj' OR identity_key = 'github:bobj'"
        ).fetchone() == (0,)
        con.execute(
            """INSERT INTO issues (repo_id, number, is_pull, author_identity, author_login,
                                   assignees, merged_by_login)
               VALUES (1, 1, true, 3, 'BobJ', ['bobj', 'zed'], 'bobj'),
                      (1, 2, false, ?, 'zed', [], NULL)""",
            [ids["zed"]],
        )
        finish_identities(con)
        rows = con.execute(
            "SELECT number, author_login, assignees, merged_by_login FROM issues ORDER BY 1"
        ).fetchall()
        assert rows == [(1, None, ["zed"], None), (2, "zed", [], None)]
        assert con.execute("SELECT person_id FROM identities WHERE identity_id = 3").fetchone() == (
            3,
        )
    finally:
        con.close()
