"""The loader (headers, file:line errors, parameter rendering) and the macro installer."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from ossmetrics.errors import MetricDefinitionError, UnknownMetric
from ossmetrics.metrics import find_metric, install, list_metrics, load_library
from ossmetrics.metrics.library import parse_metric, substitute_params
from ossmetrics.resources import queries_dir
from ossmetrics.store import connect

GOOD = """-- name: tiny
-- description: Commits per repository, a test metric
--   continued on a second line.
-- params: $repo VARCHAR, $min INTEGER = 0
-- returns: repo, commits
-- grain: repo
-- reference: https://example.org/tiny

SELECT * FROM (
    SELECT r.full_name AS repo, count(c.sha) AS commits
    FROM repos r LEFT JOIN commits c ON c.repo_id = r.repo_id
    WHERE ($repo IS NULL OR r.full_name = $repo) -- '$notaparam' in a comment
    GROUP BY r.full_name
) WHERE commits >= $min
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / f"{name}.sql"
    p.write_text(text, encoding="utf-8")
    return p


def test_shipped_library_parses_with_required_metrics():
    names = {m.name for m in list_metrics()}
    required = {
        "commits_per_month",
        "active_contributors",
        "new_contributors",
        "contributor_retention",
        "inactive_contributors",
        "days_since",
        "bus_factor",
        "elephant_factor",
        "top_contributor_share",
        "commit_gini",
        "time_to_first_response",
        "time_to_close",
        "time_to_merge",
        "change_request_closure_ratio",
        "pr_acceptance_ratio",
        "review_coverage",
        "open_issue_age",
        "backlog_growth",
        "release_frequency",
        "health_summary",
    }
    assert required <= names
    for m in list_metrics():
        assert m.params[0].name == "repo" and m.reference.startswith("http")
        assert len(m.description) > 60, m.name  # an exact definition, not a title


def test_parse_good_file(tmp_path):
    m = parse_metric(write(tmp_path, "tiny", GOOD))
    assert m.description.endswith("continued on a second line.")
    assert [p.signature() for p in m.params] == ["repo VARCHAR", "min INTEGER = 0"]
    assert m.returns == ("repo", "commits") and m.grain == ("repo",)
    sql = m.sql({"repo"})
    assert "CAST($repo AS VARCHAR)" in sql and "CAST((0) AS INTEGER)" in sql
    assert "'$notaparam'" in sql  # comments and strings are left alone


def test_substitute_skips_strings_identifiers_and_comments():
    sql = "SELECT $a, '$b', \"$c\", 'it''s $d' /* $e */ -- $f\n, $g"
    assert substitute_params(sql, lambda n: f"<{n}>") == (
        "SELECT <a>, '$b', \"$c\", 'it''s $d' /* $e */ -- $f\n, <g>"
    )


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        (GOOD.replace("-- grain: repo", "-- grain: month"), 6, "grain column(s) month"),
        (GOOD.replace("-- name: tiny", "-- name: other"), 1, "equal to the file name"),
        (GOOD.replace("$min INTEGER = 0", "$min INTEGER"), 4, "needs a default"),
        (GOOD.replace("$min INTEGER = 0", "$min NUMBERS = 0"), 4, "cannot read parameter"),
        (GOOD.replace(">= $min", ">= $mni"), 14, "$mni is used but not declared"),
        (GOOD.replace("-- reference: https://example.org/tiny\n", ""), 1, "lacks '-- reference:'"),
        (GOOD.replace("-- returns:", "returns:"), 1, "lacks '-- returns:'"),
        (GOOD.replace("-- returns:", "-- returns"), 5, "cannot read header line"),
    ],
)
def test_definition_errors_name_file_and_line(tmp_path, text, line, fragment):
    p = write(tmp_path, "tiny", text)
    with pytest.raises(MetricDefinitionError) as exc:
        parse_metric(p)
    msg = exc.value.one_line()
    assert msg.startswith(f"{p}:{line}: ") and exc.value.line == line
    assert fragment in msg


def test_unknown_metric_suggests_the_closest():
    with pytest.raises(UnknownMetric) as exc:
        find_metric("bus_factr")
    assert exc.value.suggestion == "bus_factor"
    assert "did you mean 'bus_factor'" in exc.value.one_line()
    with pytest.raises(UnknownMetric) as exc:
        find_metric("zzzzqqq")
    assert exc.value.suggestion is None


def test_install_is_idempotent_cheap_and_refreshes_on_change(tmp_path):
    lib = tmp_path / "queries"
    lib.mkdir()
    write(lib, "tiny", GOOD)
    con = connect(tmp_path / "s.duckdb")
    first = install(con, directory=lib)
    assert (first.installed, first.up_to_date) == (1, False)
    assert con.execute("FROM tiny(NULL)").fetchall() == []
    # nothing re-created (its speed: install_noop_ms in benchmarks/bench_metrics.py)
    again = install(con, directory=lib)
    assert again.up_to_date and again.installed == 0
    # a changed file is re-created; a removed one is dropped
    write(lib, "tiny", GOOD.replace("count(c.sha) AS commits", "count(c.sha) + 100 AS commits"))
    write(lib, "tiny2", GOOD.replace("-- name: tiny", "-- name: tiny2"))
    con.execute("INSERT INTO repos (full_name) VALUES ('a/b')")
    assert install(con, directory=lib).installed == 2
    assert con.execute("FROM tiny('a/b')").fetchall() == [("a/b", 100)]
    # only the changed file's macros are re-created
    write(
        lib, "tiny2", GOOD.replace("-- name: tiny", "-- name: tiny2").replace(">= $min", "> $min")
    )
    assert install(con, directory=lib).installed == 1
    assert install(con, directory=lib, force=True).installed == 2
    (lib / "tiny2.sql").unlink()
    res = install(con, directory=lib)
    assert res.dropped == 1 and res.installed == 0
    with pytest.raises(duckdb.CatalogException):
        con.execute("FROM tiny2(NULL)")
    listing = con.execute("SELECT name, params FROM ossmetrics_metrics()").fetchall()
    assert listing == [("tiny", "repo VARCHAR, min INTEGER = 0")]
    con.close()


def test_install_inside_a_callers_transaction(con):
    """The lead calls install after collection, possibly inside its own transaction."""
    from ossmetrics.store import transaction

    with transaction(con):
        con.execute("INSERT INTO repos (full_name) VALUES ('a/b')")
        assert install(con).installed == len(list_metrics())
    assert con.execute("SELECT commits FROM bus_factor('a/b')").fetchall() == [(0,)]
    assert install(con).up_to_date


def test_read_only_store_with_stale_macros_gets_temporary_ones(tmp_path):
    lib = tmp_path / "queries"
    lib.mkdir()
    write(lib, "tiny", GOOD)
    path = tmp_path / "s.duckdb"
    con = connect(path)
    con.execute("INSERT INTO repos (full_name) VALUES ('a/b')")
    install(con, directory=lib)
    con.close()
    write(lib, "tiny", GOOD.replace("count(c.sha) AS commits", "count(c.sha) + 7 AS commits"))
    ro = connect(path, read_only=True)
    res = install(ro, directory=lib)
    assert res.temporary and res.installed == 1
    assert ro.execute("FROM tiny('a/b')").fetchall() == [("a/b", 7)]
    assert install(ro, directory=lib).up_to_date  # the temp digest is remembered
    ro.close()


PLAIN_CLIENT = r"""
import sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
con.execute("SET TimeZone = 'America/New_York'")
print(con.execute("SELECT strftime(month, '%Y-%m'), commits FROM commits_per_month('acme/widget') LIMIT 3").fetchall())
print(con.execute("SELECT bus_factor FROM bus_factor('acme/widget', as_of := TIMESTAMPTZ '2024-12-01 00:00:00+00')").fetchall())
print(con.execute("SELECT count(*) FROM time_to_first_response('acme/widget', since := DATE '2024-04-01')").fetchall())
"""


def test_macros_work_in_a_plain_duckdb_client_in_another_time_zone(tmp_path, widget_db):
    """No ossmetrics import, the session in New York time: months are still UTC months."""
    path = tmp_path / "copy.duckdb"
    shutil.copy(widget_db, path)
    con = connect(path)
    install(con)
    con.close()
    out = subprocess.run(
        [sys.executable, "-c", PLAIN_CLIENT, str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": ""},
        check=True,
    ).stdout.splitlines()
    # bob's 2024-01-31T23:30-05:00 commit is February in UTC although January in New York
    assert out[0] == "[('2024-01', 2), ('2024-02', 4), ('2024-03', 1)]"
    assert out[1] == "[(2,)]"
    assert out[2] == "[(2,)]"  # issues and pull requests opened in April


def test_library_cache_notices_changes(tmp_path):
    lib = tmp_path / "queries"
    lib.mkdir()
    write(lib, "tiny", GOOD)
    assert list(load_library(lib)) == ["tiny"]
    write(lib, "tiny2", GOOD.replace("-- name: tiny", "-- name: tiny2"))
    assert sorted(load_library(lib)) == ["tiny", "tiny2"]
    assert queries_dir().is_dir()


def test_docs_metrics_md_is_up_to_date():
    """docs/metrics.md is generated; regenerate with `ossmetrics metrics list --markdown`."""
    from ossmetrics.metrics import metrics_markdown

    docs = Path(__file__).resolve().parents[2] / "docs" / "metrics.md"
    assert docs.read_text(encoding="utf-8") == metrics_markdown(list_metrics())
