"""run_metric / run_sql: bound parameters, type checks, read-only raw SQL, DuckDB's errors."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from ossmetrics.errors import BadParameter, QueryError, UsageError, WriteNotAllowed
from ossmetrics.metrics import find_metric, run_metric
from ossmetrics.metrics.run import coerce_param


def test_params_are_converted_to_the_declared_types():
    m = find_metric("bus_factor")
    assert coerce_param(m, "months", "24") == 24
    assert coerce_param(m, "as_of", "2024-12-01") == datetime(2024, 12, 1, tzinfo=UTC)
    assert coerce_param(m, "as_of", "2024-12-01T05:00:00+02:00").utcoffset().total_seconds() == 7200
    assert coerce_param(find_metric("commits_per_month"), "since", "2024-02-03") == date(2024, 2, 3)
    assert coerce_param(m, "months", "NULL") is None


@pytest.mark.parametrize(
    ("name", "params", "fragment"),
    [
        ("bus_factor", {"months": "twelve"}, "parameter 'months' of 'bus_factor' must be INTEGER"),
        ("bus_factor", {"months": "1.5"}, "must be INTEGER"),
        ("bus_factor", {"as_of": "yesterday"}, "must be TIMESTAMPTZ"),
        ("commits_per_month", {"since": "2024-13-01"}, "must be DATE"),
        ("bus_factor", {"window": "3"}, "has no parameter 'window'"),
        ("bus_factor", {"repo": "acme/widget"}, "has no parameter 'repo'"),
    ],
)
def test_malformed_or_unknown_parameters(wcon, name, params, fragment):
    with pytest.raises(BadParameter) as exc:
        run_metric(wcon, name, params=params)
    assert fragment in exc.value.one_line() and exc.value.exit_code == 2


def test_unknown_repository_is_a_usage_error(wcon):
    with pytest.raises(UsageError, match="not in the store"):
        run_metric(wcon, "bus_factor", repo="nobody/nothing")


def test_repo_name_is_case_insensitive(wcon):
    df = run_metric(wcon, "bus_factor", repo="ACME/Widget", params={"as_of": "2024-12-01"})
    assert df["repo"].tolist() == ["acme/widget"]


def test_values_are_bound_never_pasted(wcon):
    # A value that would break out of a pasted string literal is just an odd repository name.
    df = run_metric(
        wcon, "SELECT count(*) AS n FROM repos WHERE full_name = $repo", repo="x' OR '1'='1"
    )
    assert df["n"].tolist() == [0]


def test_raw_sql_with_params(wcon):
    df = run_metric(
        wcon,
        "SELECT full_name FROM repos WHERE full_name LIKE $pat ORDER BY 1",
        params={"pat": "acme/%"},
    )
    assert df["full_name"].tolist() == ["acme/empty", "acme/widget"]
    with pytest.raises(BadParameter, match=r"uses \$pat but no value"):
        run_metric(wcon, "SELECT $pat AS x")
    with pytest.raises(BadParameter, match="not used by the SQL"):
        run_metric(wcon, "SELECT 1 AS x", params={"pat": "a"})


@pytest.mark.parametrize(
    "sql",
    [
        "DELETE FROM commits",
        "SELECT 1; DROP TABLE commits",
        "UPDATE people SET is_bot = true",
        "CREATE TABLE x AS SELECT 1",
        "COPY commits TO '/tmp/x.csv'",
        "ATTACH '/tmp/other.duckdb'",
    ],
)
def test_writes_are_refused_before_anything_runs(con, sql):
    con.execute("INSERT INTO repos (full_name) VALUES ('a/b')")
    with pytest.raises(WriteNotAllowed, match="read-only"):
        run_metric(con, sql)
    assert con.execute("SELECT count(*) FROM repos").fetchone() == (1,)
    assert con.execute("SELECT count(*) FROM people").fetchone() == (0,)


def test_writes_with_allow_write(con):
    run_metric(
        con, "INSERT INTO repos (full_name) VALUES ($n)", params={"n": "a/b"}, allow_write=True
    )
    assert con.execute("SELECT full_name FROM repos").fetchall() == [("a/b",)]


def test_syntax_error_gives_duckdb_message_with_position(wcon):
    with pytest.raises(QueryError) as exc:
        run_metric(wcon, "SELECT *\nFORM repos")
    msg = exc.value.one_line()
    assert "syntax error at or near" in msg and "\n" not in msg
    assert exc.value.position == (2, 6) and "line 2, column 6" in msg
    with pytest.raises(QueryError) as exc:
        run_metric(wcon, "SELECT nosuch FROM repos")
    assert "nosuch" in exc.value.one_line() and exc.value.position == (1, 8)
