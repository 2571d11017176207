"""Every metric in queries/ on a fixture store: declared columns, unique grain, and the
installed macro returning exactly what run_metric returns.

The fixture is tests/metrics/conftest.build_widget's history (git + GitHub + releases, a
git-only repository and an empty one), so every metric has rows to return.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from ossmetrics.metrics import install, list_metrics, run_metric
from ossmetrics.store import connect
from tests.metrics.conftest import build_widget

AS_OF = "2024-12-01T00:00:00+00:00"
METRICS = list_metrics()


@pytest.fixture(scope="module")
def qcon(tmp_path_factory: pytest.TempPathFactory):
    path: Path = tmp_path_factory.mktemp("queries") / "fixture.duckdb"
    con = connect(path)
    build_widget(con)
    install(con)
    yield con
    con.close()


def norm(df: pd.DataFrame) -> list[list[object]]:
    """Rows as plain values, every kind of missing value as None."""
    obj = df.reset_index(drop=True).astype(object)
    return obj.where(obj.notna(), None).values.tolist()


def params_for(m) -> dict[str, str]:
    return {"as_of": AS_OF} if m.param("as_of") else {}


@pytest.mark.parametrize("m", METRICS, ids=[m.name for m in METRICS])
def test_metric_returns_declared_columns_with_unique_grain(qcon, m):
    df = run_metric(qcon, m.name, params=params_for(m))
    assert list(df.columns) == list(m.returns)
    assert not df.empty, f"{m.name} returned nothing on the fixture"
    grain = list(m.grain)
    assert not df[grain].isna().any().any(), "grain columns must not be NULL"
    dup = df[df.duplicated(grain, keep=False)]
    assert dup.empty, f"grain {grain} not unique:\n{dup}"


@pytest.mark.parametrize("m", METRICS, ids=[m.name for m in METRICS])
def test_macro_matches_run_metric_and_repo_filter_partitions(qcon, m):
    p = params_for(m)
    direct = run_metric(qcon, m.name, params=p)
    named = "".join(f", {k} := CAST(? AS TIMESTAMPTZ)" for k in p)
    macro = qcon.execute(f"FROM {m.name}(NULL{named})", list(p.values())).df()
    assert list(macro.columns) == list(direct.columns)
    assert norm(macro) == norm(direct)
    # running repository by repository gives the same rows as all at once
    parts = [
        run_metric(qcon, m.name, repo=r, params=p)
        for (r,) in qcon.execute("SELECT full_name FROM repos ORDER BY 1").fetchall()
    ]
    assert [row for x in parts for row in norm(x)] == norm(direct)


def test_every_macro_is_installed(qcon):
    names = {r[0] for r in qcon.execute("SELECT name FROM ossmetrics_metrics()").fetchall()}
    assert names == {m.name for m in METRICS}
    with pytest.raises(duckdb.BinderException):
        qcon.execute("FROM bus_factor()")  # the repository argument is required
