"""A lake on an object store: s3:// against a real S3-compatible server on 127.0.0.1 (moto),
which checks credentials and request signatures. Export, appends, crash safety, reading in
place, the lossless round trip, corrupt objects, and every bad input as one line."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ossmetrics.errors import LakeError
from ossmetrics.lake import MANIFEST, TABLES, export_lake, import_lake, open_lake
from ossmetrics.lake.remote import Remote
from ossmetrics.metrics import install
from ossmetrics.store import connect
from tests.conftest import REPO_ROOT, run_cli
from tests.lake.conftest import S3, assert_every_metric_matches, assert_same_store_table

TABLE_NAMES = [t.name for t in TABLES]


@pytest.fixture(scope="module", autouse=True)
def s3_env(s3_server: S3) -> Iterator[S3]:
    """The credentials live in the environment only, as for a user."""
    with pytest.MonkeyPatch.context() as mp:
        for k, v in s3_server.env.items():
            mp.setenv(k, v)
        yield s3_server


def _url(prefix: str) -> str:
    return f"s3://lakes/{prefix}"


@pytest.fixture(scope="module")
def s3_lake(full_store: Path) -> str:
    con = connect(full_store, read_only=True)
    export_lake(con, _url("full"), buckets=4)
    con.close()
    return _url("full")


@pytest.fixture(scope="module")
def imported(s3_lake: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("s3back") / "back.duckdb"
    con = connect(path)
    import_lake(con, s3_lake)
    con.close()
    return path


def _objects(s3: S3, prefix: str) -> dict[str, bytes]:
    fs = s3.fs()
    return {
        str(k)[len(f"lakes/{prefix}/") :]: bytes(fs.cat_file(k)) for k in fs.find(f"lakes/{prefix}")
    }


def _listed(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        f["path"]: f
        for t in manifest["tables"].values()
        for p in t["partitions"].values()
        for f in p["files"]
    }


@pytest.mark.parametrize("table", TABLE_NAMES)
def test_round_trip_through_s3_is_lossless(full_store: Path, imported: Path, table: str) -> None:
    assert_same_store_table(full_store, imported, table)


def test_the_bucket_holds_exactly_what_the_manifest_lists(s3_env: S3, s3_lake: str) -> None:
    objects = _objects(s3_env, "full")
    manifest = json.loads(objects.pop(MANIFEST))
    listed = _listed(manifest)
    assert set(objects) == set(listed)  # no staging leftovers, nothing unlisted
    for path, data in objects.items():
        assert hashlib.sha256(data).hexdigest() == listed[path]["sha256"], path
        assert data[:4] == b"PAR1"
    assert manifest["buckets"] == 4 and "2024-03" in manifest["tables"]["issues"]["partitions"]
    # no credential reached the store
    secret = s3_env.env["AWS_SECRET_ACCESS_KEY"].encode()
    key_id = s3_env.env["AWS_ACCESS_KEY_ID"].encode()
    assert not any(
        secret in d or key_id in d for d in [*objects.values(), json.dumps(manifest).encode()]
    )


def test_every_metric_on_the_s3_lake_equals_the_store(full_store: Path, s3_lake: str) -> None:
    assert_every_metric_matches(full_store, s3_lake)


def test_appends_rewrite_only_changed_partitions_and_a_crash_leaves_the_old_lake(
    s3_env: S3, full_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "s.duckdb"
    shutil.copy(full_store, db)
    con = connect(db)
    url = _url("append")
    assert export_lake(con, url, buckets=4).files_written > 10
    assert export_lake(con, url).files_written == 0
    # one new commit in solo/one (repo 3 -> bucket 03), one issue in a new month
    con.execute(
        "INSERT INTO commits (repo_id, sha, authored_at) VALUES (3, 'new', TIMESTAMPTZ '2025-01-02 00:00:00+00')"
    )
    con.execute(
        "INSERT INTO issues (repo_id, number, is_pull, created_at) VALUES (2, 99, false, TIMESTAMPTZ '2025-01-09 00:00:00+00')"
    )
    # the upload of the second table's files fails: the manifest must not have been written
    calls: list[list[str]] = []
    real_put = Remote.put_files

    def failing_put(self: Remote, pairs: list[tuple[Path, str]]) -> None:
        calls.append([rel for _, rel in pairs])
        if len(calls) == 2:
            raise LakeError("simulated crash", None)
        real_put(self, pairs)

    monkeypatch.setattr(Remote, "put_files", failing_put)
    with pytest.raises(LakeError, match="simulated crash"):
        export_lake(con, url)
    monkeypatch.undo()
    assert len(calls) == 2 and calls[0][0].startswith("commits/bucket=03/")
    assert calls[1][0].startswith("issues/month=2025-01/")
    lk = open_lake(url)
    try:  # the old lake, whole: 18 commits, no 2025 issue, nothing skipped
        assert lk.skipped == []
        assert lk.con.execute("SELECT count(*) FROM commits").fetchone() == (18,)
        assert lk.con.execute("SELECT count(*) FROM issues WHERE number = 99").fetchone() == (0,)
    finally:
        lk.close()
    # the rerun appends: two partitions, data files first, the manifest last
    order: list[str] = []
    real_text = Remote.put_text
    monkeypatch.setattr(
        Remote,
        "put_files",
        lambda self, pairs: (order.extend(r for _, r in pairs), real_put(self, pairs))[1],
    )
    monkeypatch.setattr(
        Remote,
        "put_text",
        lambda self, rel, text: (order.append(rel), real_text(self, rel, text))[1],
    )
    again = export_lake(con, url)
    monkeypatch.undo()
    assert again.rewritten["commits"] == 1 and again.rewritten["issues"] == 1
    assert again.files_written == 2 and order[-1] == MANIFEST and len(order) == 3
    lk = open_lake(url)
    try:
        assert lk.con.execute("SELECT count(*) FROM commits").fetchone() == (19,)
        assert lk.con.execute("SELECT count(*) FROM issues WHERE number = 99").fetchone() == (1,)
    finally:
        lk.close()
    # superseded and crashed uploads are gone: the bucket holds what the manifest lists
    objects = _objects(s3_env, "append")
    manifest = json.loads(objects.pop(MANIFEST))
    assert set(objects) == set(_listed(manifest))
    con.close()


@pytest.fixture
def damaged(s3_env: S3, s3_lake: str, request: pytest.FixtureRequest) -> Iterator[str]:
    """A copy of the exported lake under its own prefix, for one test to break."""
    prefix = f"damaged-{request.node.name}".replace("[", "-").replace("]", "")
    fs = s3_env.fs()
    for rel, data in _objects(s3_env, "full").items():
        fs.pipe_file(f"lakes/{prefix}/{rel}", data)
    yield _url(prefix)
    fs.rm(f"lakes/{prefix}", recursive=True)


@pytest.mark.parametrize("damage", ["garbage", "missing"])
def test_a_corrupt_object_is_named_and_its_partition_skipped(
    s3_env: S3, damaged: str, damage: str, tmp_path: Path
) -> None:
    fs = s3_env.fs()
    prefix = damaged.removeprefix("s3://")
    bad = next(k for k in fs.find(f"{prefix}/commits/bucket=02") if str(k).endswith(".parquet"))
    if damage == "garbage":
        fs.pipe_file(bad, b"not parquet at all" * 10)
    else:
        fs.rm_file(bad)
    lk = open_lake(damaged)
    try:
        assert [(s.table, s.partition) for s in lk.skipped] == [("commits", "02")]
        why = "is missing" if damage == "missing" else "not a readable Parquet file"
        assert why in lk.skipped[0].line() and str(bad).rsplit("/", 1)[1] in lk.skipped[0].line()
        assert lk.con.execute("SELECT count(*), min(repo_id) FROM commits").fetchone() == (4, 3)
    finally:
        lk.close()
    if damage == "garbage":
        r = run_cli("--lake", damaged, "query", "SELECT count(*) AS n FROM commits")
        assert r.returncode == 0, r.stderr
        assert "commits partition 02 skipped" in r.stderr and r.stdout.split() == ["n", "4"]
        con = connect(tmp_path / "x.duckdb")
        with pytest.raises(LakeError, match="cannot be read"):
            import_lake(con, damaged)  # importing part of a table would lose data
        con.close()


def test_cli_export_query_graph_report_write_back_and_import(
    s3_env: S3, full_store: Path, tmp_path: Path
) -> None:
    url = _url("cli")
    r = run_cli("--db", str(full_store), "export", "--lake", url)
    assert r.returncode == 0, r.stderr
    assert "Exported" in r.stdout and url in r.stdout
    r = run_cli(
        "--lake", url, "query", "commits_per_month", "--repo", "solo/one", "--format", "csv"
    )
    assert r.returncode == 0, r.stderr
    assert "solo/one,2024-10-01,2," in r.stdout
    r = run_cli("--lake", url, "graph", "--repo", "solo/one")
    assert r.returncode == 0, r.stderr
    assert "wrote back graph" in r.stderr
    lk = open_lake(url)
    try:  # the graph's results went back into the bucket
        row = lk.con.execute(
            "SELECT value FROM graph_repo_measures WHERE repo_id = 3 AND "
            "measure = 'bus_factor_all_history' ORDER BY as_of DESC LIMIT 1"
        ).fetchone()
        assert row == (1.0,)
    finally:
        lk.close()
    r = run_cli("--lake", url, "report", "--out", str(tmp_path / "site"))
    assert r.returncode == 0, r.stderr
    assert "acme/widget" in (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    r = run_cli("--db", str(tmp_path / "n.duckdb"), "import", "--lake", url)
    assert r.returncode == 0, r.stderr
    c = connect(tmp_path / "n.duckdb", read_only=True)
    assert c.execute("SELECT count(*) FROM commits").fetchone() == (18,)
    c.close()
    secret = s3_env.env["AWS_SECRET_ACCESS_KEY"]
    assert secret not in r.stdout + r.stderr


def _one_line_error(r: Any, *needles: str) -> None:
    assert r.returncode == 1, r.stdout + r.stderr
    assert "Traceback" not in r.stderr and r.stderr.count("\n") == 1, r.stderr
    for n in needles:
        assert n in r.stderr, r.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_bad_input_is_one_line_and_never_shows_a_secret(
    s3_env: S3, s3_lake: str, full_store: Path, tmp_path: Path
) -> None:
    secret = s3_env.env["AWS_SECRET_ACCESS_KEY"]
    q = ("query", "SELECT 1")
    # bucket missing, reading and exporting
    r = run_cli("--lake", "s3://no-such-bucket/lake", *q)
    _one_line_error(r, "bucket no-such-bucket does not exist", s3_env.endpoint)
    r = run_cli("--db", str(full_store), "export", "--lake", "s3://no-such-bucket/lake")
    _one_line_error(r, "bucket no-such-bucket does not exist")
    # not a lake: the bucket exists, the prefix has no manifest
    r = run_cli("--lake", _url("nothing-here"), *q)
    _one_line_error(r, "is not an ossmetrics lake (no _manifest.json)")
    # wrong credentials: a wrong secret, then an unknown key; the secrets never printed
    wrong = "WrongSecretValue0123456789"
    r = run_cli("--lake", s3_lake, *q, env={"AWS_SECRET_ACCESS_KEY": wrong})
    _one_line_error(r, "access to s3://lakes/full denied", "AWS_SECRET_ACCESS_KEY")
    assert wrong not in r.stderr and secret not in r.stderr
    r = run_cli("--lake", s3_lake, *q, env={"AWS_ACCESS_KEY_ID": "AKIAUNKNOWN000000000"})
    _one_line_error(r, "denied")
    assert secret not in r.stderr
    # the endpoint unreachable (nothing listens on that port)
    dead = f"http://127.0.0.1:{_free_port()}"
    r = run_cli("--lake", s3_lake, *q, env={"AWS_ENDPOINT_URL": dead, "AWS_MAX_ATTEMPTS": "1"})
    _one_line_error(r, f"cannot reach the object store at {dead}", "AWS_ENDPOINT_URL")
    assert secret not in r.stderr
    # s3fs not installed: say what to pip install
    shim = tmp_path / "shim" / "s3fs"
    shim.mkdir(parents=True)
    (shim / "__init__.py").write_text("raise ImportError('s3fs is blocked for this test')\n")
    pythonpath = os.pathsep.join([str(shim.parent), str(REPO_ROOT)])
    r = run_cli("--lake", s3_lake, *q, env={"PYTHONPATH": pythonpath})
    _one_line_error(r, "need the s3fs package", "pip install 'ossmetrics[lake-s3]'")


def test_an_object_vanishing_mid_command_is_one_line(
    s3_env: S3, damaged: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import duckdb

    from ossmetrics.cli import _app
    from ossmetrics.cli.lake import lake_failure

    lk = open_lake(damaged)  # opened whole; then another export replaces the commit files
    try:
        fs = s3_env.fs()
        for k in fs.find(f"{damaged.removeprefix('s3://')}/commits"):
            fs.rm_file(k)
        with pytest.raises(duckdb.Error) as err:
            lk.con.execute("SELECT count(*) FROM commits").fetchall()
    finally:
        lk.close()
    monkeypatch.setattr(_app.state(), "lake", damaged)
    known = lake_failure(err.value)
    assert known is not None
    line = known.one_line()
    assert f"an object of {damaged} disappeared while reading the lake" in line
    assert "Traceback" not in line and "\n" not in line
    monkeypatch.setattr(_app.state(), "lake", None)
    assert lake_failure(err.value) is None  # a store, not a lake: a bug is still a bug


def test_an_https_lake_is_read_in_place_and_never_written(full_store: Path, tmp_path: Path) -> None:
    """http(s):// goes through fsspec's HTTP filesystem (range requests), read-only."""
    from tests.lake.conftest import serve_folder

    con = connect(full_store, read_only=True)
    export_lake(con, tmp_path / "lake", buckets=4)
    install(con)
    with serve_folder(tmp_path) as base:
        lk = open_lake(f"{base}/lake")
        install(lk.con)
        try:
            assert lk.skipped == [] and not lk.writable
            cut = "as_of := TIMESTAMPTZ '2024-12-01 00:00:00+00'"
            for sql in ("FROM commits_per_month(NULL)", f"FROM bus_factor(NULL, {cut})"):
                assert con.execute(sql).fetchall() == lk.con.execute(sql).fetchall(), sql
        finally:
            lk.close()
        with pytest.raises(LakeError, match="https:// lakes are read-only"):
            export_lake(con, f"{base}/lake")
    con.close()
