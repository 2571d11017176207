"""A corpus build merges people once (or per batch), with the same result as after each repository.

Three real git repositories in temp folders share people: Alice commits to all three, under her
own email in ``acme/one``, under a work email with the same full name in ``acme/two``, and under
an old address that ``acme/three``'s ``.mailmap`` maps to her own; Bob commits to ``one`` and
``three``. The build is run with ``merge_every`` 1 (the git collector's re-merge after each
repository, the old behaviour), 2 (per batch) and 0 (once at the end); every Parquet file must be
identical, row for row, apart from the measured build time.
"""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest

from ossmetrics.collect.corpus_build import build_corpus
from tests.gitfactory import GitFactory, Person

ALICE = Person("Alice Example", "alice@example.org")
ALICE_WORK = Person("Alice Example", "alice@work.example")
ALICE_OLD = Person("A. Example", "ae@old.example")
BOB = Person("Bob Builder", "bob@example.net")
CAROL = Person("Carol Coder", "carol@example.com")
DAN = Person("Dan Dev", "dan@example.com")
SALT = "merge-test-salt"
TABLES = ("repos", "commits", "commit_files", "status_events")


class _Stop(Exception):
    """Raised from the log callback to interrupt a build between two repositories."""


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("merge")
    one = GitFactory(base / "one")
    one.commit({"README.md": "# one\n"}, author=ALICE, date="2021-01-01T00:00:00Z")
    one.commit({"a.py": "x = 1\n"}, author=BOB, date="2021-02-01T00:00:00Z")
    one.commit({"a.py": "x = 2\n"}, author=ALICE, date="2021-03-01T00:00:00Z")
    two = GitFactory(base / "two")
    two.commit({"b.rs": "fn b() {}\n"}, author=ALICE_WORK, date="2022-01-01T00:00:00Z")
    two.commit({"b.rs": "fn b() {}\n// c\n"}, author=CAROL, date="2022-02-01T00:00:00Z")
    three = GitFactory(base / "three")
    three.commit(
        {".mailmap": f"{ALICE.line()} <{ALICE_OLD.email}>\n", "c.go": "package c\n"},
        author=DAN,
        date="2023-01-01T00:00:00Z",
    )
    three.commit({"c.go": "package c\n// x\n"}, author=ALICE_OLD, date="2023-02-01T00:00:00Z")
    three.commit({"c.go": "package c\n// y\n"}, author=BOB, date="2023-03-01T00:00:00Z")
    manifest = base / "manifest.csv"
    with manifest.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["repo", "ecosystem", "why", "source"])
        for name, repo in (("one", one), ("two", two), ("three", three)):
            w.writerow([f"acme/{name}", "pypi", "test", str(repo.path)])
    return manifest


def _query(sql: str) -> tuple[list[str], list[tuple[object, ...]]]:
    con = duckdb.connect()
    try:
        cur = con.execute(sql)
        return [d[0] for d in cur.description or []], cur.fetchall()
    finally:
        con.close()


def _table(out: Path, table: str) -> list[tuple[object, ...]]:
    """Every row of one Parquet file, sorted, without the measured ``build_seconds``."""
    cols, rows = _query(f"FROM read_parquet('{out / table}.parquet')")
    keep = [i for i, c in enumerate(cols) if c != "build_seconds"]
    return sorted((tuple(r[i] for i in keep) for r in rows), key=repr)


def _authors(out: Path) -> dict[tuple[str, str], str]:
    """(repo, ISO date) of each commit -> its author's merged pseudonym."""
    _, rows = _query(
        f"""SELECT repo, strftime(authored_at AT TIME ZONE 'UTC', '%Y-%m-%d'), author_mailmap_id
            FROM read_parquet('{out / "commits.parquet"}')"""
    )
    return {(str(r), str(d)): str(p) for r, d, p in rows}


def _build(manifest: Path, out: Path, merge_every: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OSSMETRICS_CORPUS_SALT", SALT)
    res = build_corpus(manifest, out, network=False, merge_every=merge_every)
    assert sorted(res.built) == ["acme/one", "acme/three", "acme/two"] and not res.skipped


def test_batched_merge_equals_merging_after_each_repository(
    sources: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outs = {k: tmp_path / f"every{k}" for k in (1, 2, 0)}
    for k, out in outs.items():
        _build(sources, out, k, monkeypatch)
    for table in TABLES:
        ref = _table(outs[1], table)
        assert ref or table == "status_events"
        assert _table(outs[2], table) == ref, table
        assert _table(outs[0], table) == ref, table
    # the hand-known people: Alice is one pseudonym in all three repositories, Bob in two
    a = _authors(outs[0])
    alice = {
        a["acme/one", "2021-01-01"],
        a["acme/two", "2022-01-01"],
        a["acme/three", "2023-02-01"],
    }
    assert len(alice) == 1
    assert a["acme/one", "2021-02-01"] == a["acme/three", "2023-03-01"]  # Bob
    assert len(set(a.values())) == 4  # Alice, Bob, Carol, Dan
    con = duckdb.connect(str(outs[0] / "corpus.duckdb"), read_only=True)
    try:
        assert con.execute(
            "SELECT count(*) FROM identities WHERE person_id IS NULL"
        ).fetchone() == (0,)
        assert con.execute("SELECT count(*) FROM people").fetchone() == (4,)
        assert con.execute("SELECT count(*) FROM corpus_people").fetchone() == (0,)
    finally:
        con.close()


def test_an_interrupted_build_merges_on_its_next_run(
    sources: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OSSMETRICS_CORPUS_SALT", SALT)
    out = tmp_path / "interrupted"
    seen: list[str] = []

    def stop_after_all_collected(msg: str) -> None:
        seen.append(msg)
        if "acme/three:" in msg:  # the last repository is stored; its merge is still owed
            raise _Stop

    with pytest.raises(_Stop):
        build_corpus(sources, out, network=False, log=stop_after_all_collected)
    con = duckdb.connect(str(out / "corpus.duckdb"))
    try:
        unmerged = con.execute("SELECT count(*) FROM identities WHERE person_id IS NULL")
        assert unmerged.fetchone() != (0,)  # acme/two and three's people were never merged
    finally:
        con.close()
    again: list[str] = []
    build_corpus(sources, out, network=False, log=again.append)
    assert not any(" commits (" in m for m in again)  # nothing collected again
    assert any(m.startswith("merged identities into 4 people") for m in again)
    ref = tmp_path / "ref"
    _build(sources, ref, 1, monkeypatch)
    for table in TABLES:
        assert _table(out, table) == _table(ref, table), table
