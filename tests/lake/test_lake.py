"""The lake: export, incremental re-export, lossless import, reading in place, bad input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from ossmetrics.errors import LakeError, LakeTooNew
from ossmetrics.lake import MANIFEST, TABLES, export_lake, import_lake, open_lake
from ossmetrics.lake.layout import STORE_ONLY
from ossmetrics.store import connect, ensure_repo
from ossmetrics.store.migrations import CODE_VERSION
from tests.conftest import run_cli
from tests.lake.conftest import assert_every_metric_matches, assert_same_store_table

TABLE_NAMES = [t.name for t in TABLES]


@pytest.fixture(scope="module")
def exported(full_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    lake = tmp_path_factory.mktemp("lake") / "lake"
    con = connect(full_store, read_only=True)
    export_lake(con, lake, buckets=4)
    con.close()
    return lake


@pytest.fixture(scope="module")
def imported(exported: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("back") / "back.duckdb"
    con = connect(path)
    import_lake(con, str(exported))
    con.close()
    return path


def test_the_lake_holds_every_table_of_the_store() -> None:
    """A table added to the store without a place in the lake would be lost by a round trip
    (the funding tables and `people forget`'s hashes once were): every base table of a
    migrated store is in the layout, or named as describing the DuckDB file itself."""
    con = connect(":memory:")
    try:
        base = {
            str(r[0])
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = 'main' AND table_type = 'BASE TABLE'"
            ).fetchall()
        }
    finally:
        con.close()
    assert base - set(STORE_ONLY) == set(TABLE_NAMES)
    assert set(STORE_ONLY) <= base


def test_an_older_lake_keeps_the_tables_it_does_not_hold(exported: Path, tmp_path: Path) -> None:
    """A lake written before a table joined the layout (its manifest does not list it) leaves
    the store's rows of that table alone on `import --replace`: an empty replacement of
    ``forgotten_identities`` would let forgotten people back in."""
    old = tmp_path / "old"
    shutil.copytree(exported, old)
    m = json.loads((old / MANIFEST).read_text())
    for t in ("forgotten_identities", "fund_plan"):
        del m["tables"][t]
    (old / MANIFEST).write_text(json.dumps(m))
    db = tmp_path / "s.duckdb"
    con = connect(db)
    try:
        ensure_repo(con, "some/repo")
        con.execute("INSERT INTO forgotten_identities VALUES ('h1', 3, now())")
        r = import_lake(con, str(old), replace=True)
        assert sorted(r.absent) == ["forgotten_identities", "fund_plan"]
        assert con.execute("SELECT key_hash FROM forgotten_identities").fetchall() == [("h1",)]
        assert con.execute("SELECT count(*) FROM fund_plan").fetchone() == (0,)
        n = con.execute("SELECT count(*) FROM fund_documents").fetchone()
        assert n is not None and n[0] == 1 and r.rows["fund_documents"] == 1
        # the fund document sequence is past the imported id: the next SBOM gets a new one
        nxt = con.execute("SELECT nextval('fund_doc_id_seq')").fetchone()
        assert nxt is not None and nxt[0] > 5
    finally:
        con.close()


@pytest.mark.parametrize("table", TABLE_NAMES)
def test_round_trip_is_lossless(full_store: Path, imported: Path, table: str) -> None:
    assert_same_store_table(full_store, imported, table)


def test_manifest_names_version_rows_and_hashes(exported: Path, full_store: Path) -> None:
    m = json.loads((exported / MANIFEST).read_text())
    assert m["schema_version"] == CODE_VERSION and m["buckets"] == 4
    con = connect(full_store, read_only=True)
    for t in TABLE_NAMES:
        entry = m["tables"][t]
        row = con.execute(f'SELECT count(*) FROM "{t}"').fetchone()
        assert row is not None
        assert entry["rows"] == row[0]
        files = [f for p in entry["partitions"].values() for f in p["files"]]
        assert sum(f["rows"] for f in files) == row[0]
        for f in files:
            assert len(f["sha256"]) == 64 and (exported / f["path"]).exists()
    con.close()
    # the keys: commits by repository bucket, issues by UTC month
    assert set(m["tables"]["commits"]["partitions"]) <= {"00", "01", "02", "03"}
    assert "2024-03" in m["tables"]["issues"]["partitions"]
    assert (exported / "issues" / "month=2024-03").is_dir()


def test_incremental_export_rewrites_only_changed_partitions(
    full_store: Path, tmp_path: Path
) -> None:
    db = tmp_path / "s.duckdb"
    shutil.copy(full_store, db)
    con = connect(db)
    lake = tmp_path / "lake"
    first = export_lake(con, lake, buckets=4)
    assert first.files_written > 10
    again = export_lake(con, lake)
    assert again.files_written == 0
    # one new commit in solo/one (repo_id 3 -> bucket 03) and one issue in 2025-01
    con.execute(
        "INSERT INTO commits (repo_id, sha, authored_at) VALUES (3, 'new', TIMESTAMPTZ '2025-01-02 00:00:00+00')"
    )
    con.execute(
        "INSERT INTO issues (repo_id, number, is_pull, created_at) VALUES (2, 99, false, TIMESTAMPTZ '2025-01-09 00:00:00+00')"
    )
    third = export_lake(con, lake)
    assert third.rewritten["commits"] == 1 and third.rewritten["issues"] == 1
    assert third.files_written == 2
    m = json.loads((lake / MANIFEST).read_text())
    assert m["tables"]["issues"]["partitions"]["2025-01"]["rows"] == 1
    # a partition whose rows are all gone is removed, with its folder
    con.execute("DELETE FROM issues WHERE number = 99")
    fourth = export_lake(con, lake)
    assert fourth.removed["issues"] == 1 and not (lake / "issues" / "month=2025-01").exists()
    # no leftover files: every parquet file on disk is listed in the manifest
    m = json.loads((lake / MANIFEST).read_text())
    listed = {
        f["path"]
        for t in m["tables"].values()
        for p in t["partitions"].values()
        for f in p["files"]
    }
    on_disk = {p.relative_to(lake).as_posix() for p in lake.rglob("*.parquet")}
    assert on_disk == listed
    con.close()


def test_every_metric_reads_the_same_on_the_lake(full_store: Path, exported: Path) -> None:
    assert_every_metric_matches(full_store, str(exported))


def test_import_moves_the_id_sequences_past_the_lake(imported: Path) -> None:
    con = connect(imported)
    top = con.execute("SELECT max(repo_id) FROM repos").fetchone()
    assert top is not None
    assert ensure_repo(con, "new/repo") > top[0]
    con.close()


def test_import_refuses_a_store_with_data(full_store: Path, exported: Path, tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    shutil.copy(full_store, db)
    con = connect(db)
    with pytest.raises(LakeError, match="already holds 3 repositories"):
        import_lake(con, str(exported))
    con.close()


def test_lake_from_a_newer_schema_is_refused(exported: Path, tmp_path: Path) -> None:
    lake = tmp_path / "new"
    shutil.copytree(exported, lake)
    m = json.loads((lake / MANIFEST).read_text())
    m["schema_version"] = CODE_VERSION + 1000
    (lake / MANIFEST).write_text(json.dumps(m))
    with pytest.raises(LakeTooNew) as err:
        open_lake(str(lake))
    assert f"schema {CODE_VERSION + 1000}" in err.value.message
    assert f"knows schema {CODE_VERSION}" in err.value.message
    r = run_cli("--lake", str(lake), "query", "commits_per_month")
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert r.stderr.count("\n") == 1 and "newer ossmetrics" in r.stderr


def _commit_file(lake: Path, bucket: str) -> Path:
    return next((lake / "commits" / f"bucket={bucket}").glob("*.parquet"))


@pytest.mark.parametrize("damage", ["garbage", "truncated", "missing"])
def test_a_bad_parquet_file_is_named_and_its_partition_skipped(
    exported: Path, tmp_path: Path, damage: str
) -> None:
    lake = tmp_path / "lake"
    shutil.copytree(exported, lake)
    bad = _commit_file(lake, "02")  # acme/widget (repo 2); solo/one is in bucket 03
    data = bad.read_bytes()
    if damage == "garbage":
        bad.write_bytes(b"not parquet at all" * 10)
    elif damage == "truncated":
        bad.write_bytes(data[: len(data) // 2])
    else:
        bad.unlink()
    lk = open_lake(str(lake))
    try:
        assert [(s.table, s.partition) for s in lk.skipped] == [("commits", "02")]
        assert bad.name in lk.skipped[0].line()
        # the other bucket still reads: solo/one's four commits
        row = lk.con.execute("SELECT count(*), min(repo_id) FROM commits").fetchone()
        assert row == (4, 3)
    finally:
        lk.close()
    r = run_cli("--lake", str(lake), "query", "SELECT count(*) AS n FROM commits")
    assert r.returncode == 0, r.stderr
    assert "commits partition 02 skipped" in r.stderr and bad.name in r.stderr
    assert r.stdout.split() == ["n", "4"]


def test_cli_export_query_graph_write_back_and_refusals(full_store: Path, tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    r = run_cli("--db", str(full_store), "export", "--lake", str(lake))
    assert r.returncode == 0, r.stderr
    assert "Exported" in r.stdout and (lake / MANIFEST).exists()
    r = run_cli(
        "--lake", str(lake), "query", "commits_per_month", "--repo", "solo/one", "--format", "csv"
    )
    assert r.returncode == 0, r.stderr
    assert "solo/one,2024-10-01,2," in r.stdout
    r = run_cli("--lake", str(lake), "graph", "--repo", "solo/one")
    assert r.returncode == 0, r.stderr
    assert "wrote back" in r.stderr
    lk = open_lake(str(lake))
    try:
        row = lk.con.execute(
            "SELECT value FROM graph_repo_measures WHERE repo_id = 3 AND measure = 'bus_factor_all_history'"
            " ORDER BY as_of DESC LIMIT 1"
        ).fetchone()
        assert row == (1.0,)
    finally:
        lk.close()
    r = run_cli("--lake", str(lake), "collect", "git", str(tmp_path))
    assert r.returncode == 1 and "cannot run on a lake" in r.stderr
    r = run_cli("--lake", str(tmp_path / "nothing"), "query", "commits_per_month")
    assert r.returncode == 1 and "not an ossmetrics lake" in r.stderr
    r = run_cli("--db", str(tmp_path / "n.duckdb"), "import", "--lake", str(lake))
    assert r.returncode == 0, r.stderr
    c = duckdb.connect(str(tmp_path / "n.duckdb"), read_only=True)
    assert c.execute("SELECT count(*) FROM commits").fetchone() == (18,)
    c.close()
