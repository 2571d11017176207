"""A store with rows in every table the lake holds, built once per session.

The crafted widget history of tests/metrics (people, aliases, bots, commits, issues, comments,
releases) plus a row or two in each remaining table, with the awkward values a lossless round
trip must keep: NULLs, empty and non-ASCII text, lists, time-zone offsets, 64-bit ids.
"""

from __future__ import annotations

import http.server
import json
import logging
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest

from ossmetrics.store import connect
from tests.metrics.conftest import build_widget


def assert_same_store_table(original: Path, copy: Path, table: str) -> None:
    """``table`` holds the same rows (EXCEPT ALL both ways: the same multiset, every column,
    NULLs and NaN included) and the same column types in ``copy`` as in ``original``; the
    round-trip tests of local and object-store lakes share it."""
    con = connect(original, read_only=True)
    try:
        con.execute(f"ATTACH '{copy}' AS back (READ_ONLY)")
        n = con.execute(f'SELECT count(*) FROM "{table}"').fetchone()
        assert n and n[0] > 0, "the fixture must put rows in every table"
        a = con.execute(f'SELECT count(*) FROM (FROM "{table}" EXCEPT ALL FROM back."{table}")')
        assert a.fetchone() == (0,)
        b = con.execute(f'SELECT count(*) FROM (FROM back."{table}" EXCEPT ALL FROM "{table}")')
        assert b.fetchone() == (0,)
        types = (
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = ? AND table_catalog = ? ORDER BY ordinal_position"
        )
        assert (
            con.execute(types, [table, original.stem]).fetchall()
            == con.execute(types, [table, "back"]).fetchall()
        )
    finally:
        con.close()


def assert_every_metric_matches(store: Path, lake_url: str) -> None:
    """Every metric of the library gives the same rows on the lake at ``lake_url`` as on the
    ``store`` it was exported from (the local and object-store lake tests share it)."""
    from ossmetrics.lake import open_lake
    from ossmetrics.metrics import install, list_metrics

    con = connect(store, read_only=True)
    install(con)
    lake = open_lake(lake_url)
    install(lake.con)
    try:
        assert lake.skipped == []
        for m in list_metrics():
            extra = ", as_of := TIMESTAMPTZ '2024-12-01 00:00:00+00'" if m.param("as_of") else ""
            sql = f"FROM {m.name}(NULL{extra})"
            assert con.execute(sql).fetchall() == lake.con.execute(sql).fetchall(), m.name
    finally:
        lake.close()
        con.close()


def fill_every_table(con: duckdb.DuckDBPyConnection) -> None:
    build_widget(con)
    con.execute(
        "UPDATE repos SET topics = ['a', 'ümlaut'], renamed_from = [], github_id = 9007199254740993, "
        "archived = false, stars = 12 WHERE full_name = 'acme/widget'"
    )
    con.execute(
        "INSERT INTO repo_community VALUES (2, 80, true, false, NULL, true, false, true, "
        "TIMESTAMPTZ '2024-05-01 10:00:00+00')"
    )
    con.execute(
        "INSERT INTO identity_overrides VALUES ('git:a@x', 'merge', 'github:alice', "
        "TIMESTAMPTZ '2024-01-01 00:00:00+00'), ('git:b@x', 'split', NULL, "
        "TIMESTAMPTZ '2024-01-02 00:00:00+00')"
    )
    con.execute("INSERT INTO git_mailmap VALUES (2, 'Alice', 'a@x', NULL, 'old@x')")
    con.execute(
        "UPDATE commits SET parents = ['abc', 'def'], author_tz_offset_min = -300, "
        "committer_tz_offset_min = 330 WHERE n_parents = 2"
    )
    con.execute(
        "INSERT INTO commit_files SELECT repo_id, sha, 'src/é.py', "
        "CASE WHEN n_parents = 2 THEN 'old.py' END, "
        "CASE WHEN lines_added > 5 THEN lines_added END, 1 FROM commits"
    )
    con.execute(
        "INSERT INTO stargazers VALUES (2, 'zed', TIMESTAMPTZ '2024-03-03 03:00:00+00'), "
        "(2, 'nulltime', NULL)"
    )
    con.execute(
        "INSERT INTO forks VALUES (2, 'zed/widget', 'zed', 9007199254740993, "
        "TIMESTAMPTZ '2024-03-03 03:00:00+00'), (2, 'Ünï/widget', NULL, NULL, NULL)"
    )
    con.execute(
        "INSERT INTO sync_state VALUES (2, 'github', 'issues', 'cursor''s', 'W/\"e\"', "
        "now(), NULL, now())"
    )
    con.execute(
        "INSERT INTO metric_snapshots VALUES (1, 2, 'bus_factor', 2.0, now()), "
        "(1, 2, 'nan', 'NaN'::DOUBLE, now())"
    )
    con.execute(
        "INSERT INTO runs (run_id, started_at, finished_at, repo_id, stage, status, items, "
        "requests, seconds, error, repo) VALUES (1, now(), now(), 2, 'collect', 'ok', 5, 0, "
        "0.25, NULL, 'acme/widget')"
    )
    con.execute("INSERT INTO nightly_state VALUES ('repo:2', 'graph', 'f00', 1, now())")
    con.execute(
        "INSERT INTO graph_person_measures VALUES (2, 1, DATE '2024-12-01', 'collaboration', "
        "'degree', 0.5), (NULL, 1, DATE '2024-12-01', 'portfolio', 'degree', 1.0)"
    )
    con.execute(
        "INSERT INTO graph_repo_measures VALUES (2, DATE '2024-12-01', 'truck_factor', 1, "
        "'[\"alice\"]')"
    )
    con.execute(
        "INSERT INTO risk_scores VALUES (2, DATE '2024-12-01', 'm1', 0.1, 0.2, 42.0, '[]', now())"
    )
    con.execute(
        "INSERT INTO risk_what_if VALUES (2, DATE '2024-12-01', 'm1', 1, 'alice', 42.0, 0.3, 0.25, "
        '55.5, \'["commits fell by half"]\', \'[{"person_id": 1, "name": "Alice", '
        '"share_12m": 0.8, "other_projects": 1, "delta_p_dormant": 0.2}]\', '
        "TIMESTAMPTZ '2024-12-02 00:00:00+00')"
    )
    con.execute(
        "INSERT INTO forgotten_identities VALUES (sha256('git:gone@x'), 7, "
        "TIMESTAMPTZ '2024-06-01 00:00:00+00'), (sha256('email:gone@x'), 7, "
        "TIMESTAMPTZ '2024-06-01 00:00:00+00')"
    )
    con.execute(
        "INSERT INTO status_events VALUES (2, TIMESTAMPTZ '2024-09-01 00:00:00+00', "
        "'unmaintained', 'readme', 'no longer maintained — see fork'), "
        "(3, TIMESTAMPTZ '2024-10-01 00:00:00+00', 'archived', 'github', NULL)"
    )
    con.execute(
        "INSERT INTO status_coverage VALUES (2, TIMESTAMPTZ '2024-09-01 00:00:00+00', 'readme'), "
        "(3, NULL, NULL)"
    )
    con.execute(
        "INSERT INTO fund_documents VALUES (5, 'sbom/ü.json', 'ab12', 'cyclonedx', '1.6', "
        "'acme/app', false, 2, TIMESTAMPTZ '2025-01-01 00:00:00+00')"
    )
    con.execute(
        "INSERT INTO fund_components VALUES (5, 'pkg:npm/left-pad@1.3.0', 'pkg:npm/left-pad', "
        "'pkg:npm/left-pad@1.3.0', 'npm', 'left-pad', '1.3.0', 'required', 0.5), "
        "(5, 'r2', 'pkg:pypi/six', 'pkg:pypi/six', 'pypi', 'six', NULL, NULL, NULL)"
    )
    con.execute(
        "INSERT INTO fund_edges VALUES (5, NULL, 'pkg:npm/left-pad', 'direct'), "
        "(5, 'pkg:npm/left-pad', 'pkg:pypi/six', 'transitive')"
    )
    con.execute(
        "INSERT INTO fund_links VALUES ('pkg:npm/left-pad', 'acme/widget', 'depsdev', "
        "'source_repo', 0.9, TIMESTAMPTZ '2025-01-02 00:00:00+00')"
    )
    con.execute(
        "INSERT INTO fund_link_pins VALUES ('pkg:pypi/six', 'acme/six', "
        "TIMESTAMPTZ '2025-01-03 00:00:00+00')"
    )
    con.execute(
        "INSERT INTO fund_cache VALUES ('depsdev', 'pkg:npm/left-pad', 200, '{\"a\": [1, 2]}', "
        "TIMESTAMPTZ '2025-01-02 00:00:00+00'), ('ecosystems', 'pkg:pypi/six', 404, NULL, "
        "TIMESTAMPTZ '2025-01-02 00:00:00+00')"
    )
    con.execute(
        "INSERT INTO fund_signals VALUES ('pkg:npm/left-pad', 'npm', 'depsdev', 'dependents', "
        "1234.0, '1.3.0', TIMESTAMPTZ '2025-01-02 00:00:00+00'), ('pkg:pypi/six', 'pypi', "
        "'ecosystems', 'downloads', NULL, NULL, TIMESTAMPTZ '2025-01-02 00:00:00+00')"
    )
    con.execute(
        "INSERT INTO fund_funding VALUES ('pkg:npm/left-pad', 'https://opencollective.com/x', "
        "'ecosystems')"
    )
    con.execute(
        "INSERT INTO fund_package_edges VALUES ('pkg:npm/left-pad', '1.3.0', 'pkg:npm/left-pad', "
        "'pkg:npm/tiny', 'runtime', 'depsdev', TIMESTAMPTZ '2025-01-02 00:00:00+00')"
    )
    con.execute(
        "INSERT INTO fund_importance VALUES ('acme/widget', 'dependents', 0.75, 3, false, "
        "'{}', TIMESTAMPTZ '2025-01-04 00:00:00+00'), ('acme/six', 'sbom', NULL, NULL, NULL, "
        "NULL, TIMESTAMPTZ '2025-01-04 00:00:00+00')"
    )
    con.execute(
        "INSERT INTO fund_plan VALUES (1, 'acme/widget', 0.8, 1500000, 0.75, 'dependents', 0.1, "
        "42.0, 'many dependents', 'one key person', '[]', 10000000, 500000, 0.3, "
        "TIMESTAMPTZ '2025-01-05 00:00:00+00')"
    )


@pytest.fixture(scope="session")
def full_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("full") / "full.duckdb"
    con = connect(path)
    fill_every_table(con)
    con.close()
    return path


@dataclass(frozen=True)
class S3:
    """A real S3-compatible server on 127.0.0.1 (moto) that checks credentials and signatures:
    ``env`` holds the endpoint, region and an access key its IAM knows (allowed s3:*)."""

    endpoint: str
    env: dict[str, str]
    bucket: str

    def fs(self) -> Any:
        import s3fs

        return s3fs.S3FileSystem(
            endpoint_url=self.endpoint,
            key=self.env["AWS_ACCESS_KEY_ID"],
            secret=self.env["AWS_SECRET_ACCESS_KEY"],
            skip_instance_cache=True,
            use_listings_cache=False,
        )


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3]:
    pytest.importorskip("s3fs", reason="object-store lakes need: pip install -e '.[lake-s3]'")
    pytest.importorskip(
        "moto.server", reason="the S3 test server needs: pip install 'moto[server]'"
    )
    import boto3
    import requests
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    # Set up an IAM user while the server still accepts anything, then make it check every
    # request's credentials and signature, as S3 does.
    setup = {"aws_access_key_id": "setup", "aws_secret_access_key": "setup"}
    iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1", **setup)
    iam.create_user(UserName="lake")
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
    }
    iam.put_user_policy(UserName="lake", PolicyName="s3", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName="lake")["AccessKey"]
    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=key["AccessKeyId"],
        aws_secret_access_key=key["SecretAccessKey"],
    )
    s3.create_bucket(Bucket="lakes")
    requests.post(f"{endpoint}/moto-api/reset-auth", data=b"0", timeout=10).raise_for_status()
    env = {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": key["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"],
        "AWS_MAX_ATTEMPTS": "2",
    }
    try:
        yield S3(endpoint, env, "lakes")
    finally:
        server.stop()


class _Ranged(http.server.BaseHTTPRequestHandler):
    """Static files with byte ranges, as web servers and object stores serve them (Python's
    SimpleHTTPRequestHandler ignores Range, which a Parquet reader needs)."""

    root: Path

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_HEAD(self) -> None:
        self._serve(body=False)

    def do_GET(self) -> None:
        self._serve(body=True)

    def _serve(self, body: bool) -> None:
        p = (self.root / self.path.lstrip("/").split("?")[0]).resolve()
        if not (p.is_file() and self.root in p.parents):
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        data = p.read_bytes()
        m = re.fullmatch(r"bytes=(\d+)-(\d*)", self.headers.get("Range", ""))
        if m:
            a, b = int(m[1]), min(int(m[2]) if m[2] else len(data) - 1, len(data) - 1)
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {a}-{b}/{len(data)}")
            data = data[a : b + 1]
        else:
            self.send_response(200)
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if body:
            self.wfile.write(data)


@contextmanager
def serve_folder(root: Path) -> Iterator[str]:
    """``root`` over HTTP on 127.0.0.1 (byte ranges supported); yields the base URL."""
    handler = type("Handler", (_Ranged,), {"root": root.resolve()})
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}"
    finally:
        srv.shutdown()
        srv.server_close()
