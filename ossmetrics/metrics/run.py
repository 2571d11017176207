"""Run a metric (by name) or raw SQL against the store, parameters always bound.

User values never become SQL text: a metric's ``$params`` are converted in Python to their
declared types (so a malformed value fails here, with the parameter named) and bound by DuckDB.
Raw SQL is inspected with DuckDB's own parser before anything runs: a syntax error comes back
with its line and column, and a statement that is not a read (SELECT, EXPLAIN) is refused unless
``allow_write=True``, so a mistaken command leaves the store unchanged.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from ossmetrics.errors import BadParameter, QueryError, WriteNotAllowed
from ossmetrics.metrics.library import Metric, find_metric
from ossmetrics.store import get_repo_id

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["READ_STATEMENTS", "coerce_param", "is_metric_name", "run_metric", "run_sql"]

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
READ_STATEMENTS = frozenset({duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN})
_TRUE = {"true", "t", "yes", "y", "1", "on"}
_FALSE = {"false", "f", "no", "n", "0", "off"}


def is_metric_name(text: str) -> bool:
    """A single identifier names a metric; anything else is SQL."""
    return bool(_NAME.match(text.strip()))


def coerce_param(metric: Metric, name: str, value: Any) -> Any:
    """``value`` converted to the declared type of ``metric``'s parameter ``name``."""
    p = metric.param(name)
    if p is None or name == "repo":
        known = ", ".join(n for n in metric.param_names if n != "repo") or "none"
        raise BadParameter(
            f"metric '{metric.name}' has no parameter '{name}'",
            f"its parameters are: {known} (the repository goes in --repo)",
        )
    if value is None or (isinstance(value, str) and value.strip().upper() == "NULL"):
        return None
    try:
        if p.type == "DATE":
            if isinstance(value, datetime):
                return value.date()
            if isinstance(value, date):
                return value
            return date.fromisoformat(str(value).strip())
        if p.type == "TIMESTAMPTZ":
            if isinstance(value, datetime):
                ts = value
            elif isinstance(value, date):
                ts = datetime(value.year, value.month, value.day)
            else:
                ts = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
            return ts if ts.tzinfo else ts.replace(tzinfo=UTC)
        if p.type == "INTEGER":
            if isinstance(value, bool):
                raise ValueError
            if isinstance(value, float) and not value.is_integer():
                raise ValueError
            return int(str(value).strip()) if isinstance(value, str) else int(value)
        if p.type == "DOUBLE":
            return float(value)
        if p.type == "BOOLEAN":
            if isinstance(value, bool):
                return value
            s = str(value).strip().lower()
            if s in _TRUE:
                return True
            if s in _FALSE:
                return False
            raise ValueError
        return str(value)
    except (ValueError, TypeError):
        example = {
            "DATE": "2024-01-31",
            "TIMESTAMPTZ": "2024-01-31T12:00:00+00:00 (UTC when no offset)",
            "INTEGER": "12",
            "DOUBLE": "0.5",
            "BOOLEAN": "true or false",
        }.get(p.type, "text")
        raise BadParameter(
            f"parameter '{name}' of '{metric.name}' must be {p.type}, got {value!r}",
            f"give e.g. {name}={example.split(' ')[0]}"
            + (f" ({example.split(' ', 1)[1]})" if " " in example else ""),
        ) from None


def _sql_error(exc: duckdb.Error, sql: str) -> QueryError:
    """DuckDB's message as one line, with the line and column its caret points at."""
    text = str(exc)
    lines = text.splitlines()
    head = lines[0] if lines else type(exc).__name__
    position = None
    for i, line in enumerate(lines):
        m = re.match(r"^LINE (\d+): ", line)
        if m and i + 1 < len(lines) and "^" in lines[i + 1]:
            col = lines[i + 1].index("^") - len(m.group(0)) + 1
            position = (int(m.group(1)), max(col, 1))
            break
    where = f" (at line {position[0]}, column {position[1]})" if position else ""
    extra = " ".join(x.strip() for x in lines[1:] if x.strip() and not x.startswith("LINE "))
    extra = "" if "^" in extra else extra
    msg = f"{head}{where}" + (f"; {extra}" if extra else "")
    return QueryError(
        msg, "fix the SQL; `ossmetrics metrics list` shows the metrics", position=position
    )


def run_sql(
    con: duckdb.DuckDBPyConnection,
    sql: str,
    *,
    params: dict[str, Any] | None = None,
    allow_write: bool = False,
) -> pd.DataFrame:
    """Run raw SQL (one or more statements; the last one's result is returned).

    ``params`` bind ``$name`` parameters; a parameter the SQL does not use, or one it uses but
    was not given, is a BadParameter. Without ``allow_write`` only reads may run.
    """
    params = dict(params or {})
    try:
        statements = con.extract_statements(sql)
    except duckdb.Error as exc:
        raise _sql_error(exc, sql) from None
    if not statements:
        raise QueryError("no SQL statement given", 'give a query, e.g. "FROM repos"')
    if not allow_write:
        for st in statements:
            if st.type not in READ_STATEMENTS:
                kind = str(st.type).split(".")[-1]
                raise WriteNotAllowed(
                    f"{kind} statement refused: queries are read-only",
                    "add --write to change the store (allow_write=True from Python)",
                )
    used: set[str] = set()
    for st in statements:
        used |= set(st.named_parameters)
    unknown = sorted(set(params) - used)
    if unknown:
        raise BadParameter(
            f"parameter(s) {', '.join(unknown)} not used by the SQL",
            "refer to them as $name in the query, or drop them",
        )
    import pandas as pd  # late: the CLI starts faster without it

    result: pd.DataFrame = pd.DataFrame()
    for st in statements:
        names = set(st.named_parameters)
        missing = sorted(names - set(params))
        if missing:
            raise BadParameter(
                f"the SQL uses ${', $'.join(missing)} but no value was given",
                "pass --param NAME=VALUE (or --repo for $repo)",
            )
        try:
            cur = con.execute(st.query, {k: params[k] for k in names} if names else None)
            result = cur.df() if cur.description else pd.DataFrame()
        except duckdb.Error as exc:
            raise _sql_error(exc, sql) from None
    return result


def run_metric(
    con: duckdb.DuckDBPyConnection,
    name_or_sql: str,
    *,
    repo: str | None = None,
    params: dict[str, Any] | None = None,
    allow_write: bool = False,
    directory: str | Path | None = None,
) -> pd.DataFrame:
    """Run a metric of the library by name, or raw SQL, and return the rows.

    For a metric, ``repo`` (a full name; None for every repository) and ``params`` (by
    parameter name; values converted to the declared types, missing ones take their default)
    are bound. For raw SQL, ``repo`` binds ``$repo`` and ``params`` bind the other ``$names``.
    """
    params = dict(params or {})
    if not is_metric_name(name_or_sql):
        if repo is not None:
            if "repo" in params:
                raise BadParameter("repo given twice", "use either --repo or --param repo=...")
            params["repo"] = repo
        return run_sql(con, name_or_sql, params=params, allow_write=allow_write)
    metric = find_metric(name_or_sql.strip(), directory)
    bound: dict[str, Any] = {}
    for k, v in params.items():
        bound[k] = coerce_param(metric, k, v)
    if repo is not None:
        rid = get_repo_id(con, repo)
        row = con.execute("SELECT full_name FROM repos WHERE repo_id = ?", [rid]).fetchone()
        bound["repo"] = row[0] if row else repo
    else:
        bound["repo"] = None
    sql = metric.sql(set(bound))
    try:
        return con.execute(sql, bound).df()
    except duckdb.Error as exc:  # a bug in a shipped metric, not in the user's input
        raise _sql_error(exc, sql) from None
