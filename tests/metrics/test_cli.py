"""The metrics commands as a user runs them: ``python cli.py ...`` in a fresh process."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest


@pytest.fixture(scope="module")
def store(widget_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the crafted store, initialised by `ossmetrics init` (macros installed)."""
    from tests.conftest import run_cli

    path = tmp_path_factory.mktemp("cli") / "s.duckdb"
    shutil.copy(widget_db, path)
    r = run_cli("--db", str(path), "init")
    assert r.returncode == 0, r.stderr
    assert "metrics installed" in r.stdout
    return path


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_init_installs_macros_usable_without_ossmetrics(store):
    con = duckdb.connect(str(store), read_only=True)
    rows = con.execute(
        "SELECT bus_factor FROM bus_factor('acme/widget', as_of := TIMESTAMPTZ '2024-12-01 00:00:00+00')"
    ).fetchall()
    assert rows == [(2,)]
    con.close()


def run_inprocess(capsys, *args: str) -> tuple[int, str, str]:
    """The same entry point in this process: cheap, for the variants of a path already run
    through a subprocess above."""
    from ossmetrics.cli import main

    with pytest.raises(SystemExit) as exc:
        main(list(args))
    out = capsys.readouterr()
    return int(exc.value.code or 0), out.out, out.err


def test_metrics_list_markdown(capsys, tmp_path):
    out = tmp_path / "docs" / "metrics.md"
    code, stdout, _ = run_inprocess(capsys, "metrics", "list", "--markdown", "--output", str(out))
    assert code == 0 and f"wrote {out} (" in stdout
    text = out.read_text()
    assert "## health_summary" in text and "UTC calendar months" in text


def test_metrics_list_table(capsys):
    code, out, _ = run_inprocess(capsys, "metrics", "list")
    assert code == 0 and "time_to_first_response" in out and "since=NULL" in out


def test_query_metric_csv(cli, store):
    r = cli(
        "--db", str(store), "query", "bus_factor", "--repo", "acme/widget",
        "--param", "as_of=2024-12-01", "--param", "months=8", "--format", "csv",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "repo,window_start,window_end,commits,contributors,bus_factor"
    assert lines[1].startswith("acme/widget,") and lines[1].endswith(",4,4,2")


def test_query_raw_sql_to_parquet(cli, store, tmp_path):
    out = tmp_path / "hs.parquet"
    r = cli(
        "--db", str(store), "query", "FROM health_summary(NULL, as_of := $t::TIMESTAMPTZ)",
        "--param", "t=2024-12-01 00:00:00+00", "--format", "parquet", "--output", str(out),
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    df = pd.read_parquet(out)
    assert df.set_index("repo")["commits_12m"].to_dict() == {
        "acme/empty": 0,
        "acme/widget": 11,
        "solo/one": 3,
    }


def test_query_json_and_table(capsys, store, tmp_path):
    db = str(store)
    code, out, _ = run_inprocess(
        capsys, "--db", db, "query", "commits_per_month", "--repo", "acme/widget", "-f", "json"
    )
    assert code == 0 and [x["commits"] for x in json.loads(out)] == [2, 4, 1, 0, 2, 1, 0, 0, 1]
    code, out, _ = run_inprocess(
        capsys, "--db", db, "query", "SELECT full_name FROM repos ORDER BY 1"
    )
    assert code == 0 and out.split() == ["full_name", "acme/empty", "acme/widget", "solo/one"]
    target = tmp_path / "x.csv"
    code, _, err = run_inprocess(
        capsys, "--db", db, "query", "days_since", "-f", "csv", "--output", str(target)
    )
    assert code == 0 and "wrote 3 rows" in err and target.read_text().startswith("repo,")


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["query", "bus_factr"], "unknown metric 'bus_factr' — did you mean 'bus_factor'?"),
        (["query", "DELETE FROM commits"], "DELETE statement refused: queries are read-only"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_changes_nothing(cli, store, args, fragment):
    before = digest(store)
    r = cli("--db", str(store), *args)
    assert r.returncode == 2, (r.stdout, r.stderr)
    err = r.stderr.strip()
    assert err.startswith("Error: ") and "\n" not in err and fragment in err
    assert "Traceback" not in r.stderr
    assert digest(store) == before


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["query", "bus_factor", "--param", "months"], "is not KEY=VALUE"),
        (["query", "bus_factor", "--param", "months=lots"], "must be INTEGER"),
        (
            ["query", "SELECT * FORM repos"],
            'syntax error at or near "repos" (at line 1, column 15)',
        ),
        (["query", "bus_factor", "--param", "window=3"], "has no parameter 'window'"),
        (["query", "bus_factor", "--repo", "no/such"], "'no/such' is not in the store"),
        (["query", "FROM repos", "--format", "xml"], "unknown --format 'xml'"),
        (["query", "FROM repos", "--format", "parquet"], "needs --output FILE"),
        (["query", "SELECT $x"], "uses $x but no value was given"),
        (["query", "INSERT INTO repos (full_name) VALUES ('a/b')"], "add --write"),
    ],
)
def test_more_bad_input_in_process(capsys, store, args, fragment):
    before = digest(store)
    code, _, err = run_inprocess(capsys, "--db", str(store), *args)
    assert code == 2 and err.startswith("Error: ") and fragment in err
    assert err.count("\n") == 1
    assert digest(store) == before


def test_write_flag_allows_changes(capsys, store, tmp_path):
    db = tmp_path / "w.duckdb"
    shutil.copy(store, db)
    sql = "INSERT INTO repos (full_name) VALUES ($n)"
    code, _, err = run_inprocess(
        capsys, "--db", str(db), "query", sql, "--param", "n=x/y", "--write"
    )
    assert code == 0, err
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM repos WHERE full_name = 'x/y'").fetchone() == (1,)
    con.close()
