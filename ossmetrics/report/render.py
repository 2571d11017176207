"""Jinja2 rendering with escaping on, JSON that is safe inside ``<script>``, and data downloads.

Why a JSON filter of our own: collected text (names, titles, descriptions, labels) also travels
to the browser inside ``<script type="application/json">`` blocks for the charts and tables.
``json.dumps`` leaves ``</script>`` intact, which would end the block and let the rest run as
HTML; every ``<``, ``>`` and ``&`` (and the JavaScript line separators) is written as a ``\\uXXXX``
escape instead, which JSON parsers read back unchanged.
"""

from __future__ import annotations

import contextlib
import json
import math
from datetime import date, datetime
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd
from markupsafe import Markup

from ossmetrics.resources import reports_dir

__all__ = ["environment", "json_safe", "render", "to_jsonable", "write_table"]

_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


def to_jsonable(value: Any) -> Any:
    """Plain JSON types: timestamps as ISO text, NaN/NaT as null, numpy scalars as Python."""
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, pd.DataFrame):
        return [to_jsonable(r) for r in value.to_dict(orient="records")]
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp | datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        with contextlib.suppress(ValueError, AttributeError):
            value = value.item()
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if hasattr(value, "tolist"):
        return to_jsonable(value.tolist())
    return value


def _default(value: Any) -> Any:
    converted = to_jsonable(value)
    if converted is value:
        raise TypeError(f"cannot write {type(value).__name__} as JSON")
    return converted


def json_safe(value: Any) -> str:
    """JSON text that can sit inside an HTML ``<script>`` element without ending it."""
    try:  # fast path: chart specs are plain JSON already
        text = json.dumps(
            value, ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=_default
        )
    except ValueError:  # a NaN somewhere: convert the whole value
        text = json.dumps(to_jsonable(value), ensure_ascii=False, separators=(",", ":"))
    for ch, esc in _ESCAPES.items():
        text = text.replace(ch, esc)
    return text


def _fmt_num(value: Any, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return "—"
    try:
        return f"{float(value):,.{digits}f}"
    except (TypeError, ValueError):
        return str(value)


def _fmt_date(value: Any) -> str:
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return "—"
    try:
        return str(pd.Timestamp(value).strftime("%Y-%m-%d"))
    except (TypeError, ValueError):
        return str(value)


def _fmt_hours(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    h = float(value)
    if h < 48:
        return f"{h:.1f} h"
    return f"{h / 24:.1f} days"


def _fmt_pct(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{float(value) * 100:.0f}%"


_ENV: jinja2.Environment | None = None


def environment() -> jinja2.Environment:
    """The one Jinja environment: templates from reports/, autoescape always on."""
    global _ENV
    if _ENV is None:
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(reports_dir() / "templates")),
            autoescape=True,  # every template, whatever its extension
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        env.filters["json_safe"] = lambda v: Markup(json_safe(v))
        env.filters["num"] = _fmt_num
        env.filters["date"] = _fmt_date
        env.filters["hours"] = _fmt_hours
        env.filters["pct"] = _fmt_pct
        _ENV = env
    return _ENV


def render(template: str, path: Path, **context: Any) -> None:
    """Render ``template`` with ``context`` to ``path`` (UTF-8)."""
    html = environment().get_template(template).render(**context)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")


def _csv_safe(df: pd.DataFrame) -> pd.DataFrame:
    """Collected text that a spreadsheet would run as a formula (=, +, -, @) gets a leading '."""
    out = df
    for col in df.columns:
        if df[col].dtype == object or pd.api.types.is_string_dtype(df[col]):
            risky = df[col].map(lambda v: isinstance(v, str) and v[:1] in ("=", "+", "-", "@"))
            if risky.any():
                if out is df:
                    out = df.copy()
                out[col] = out[col].mask(risky, "'" + df[col].astype(str))
    return out


def write_table(df: pd.DataFrame, stem: Path) -> None:
    """``stem``.csv and ``stem``.json: the data behind a page, for people and for programs."""
    stem.parent.mkdir(parents=True, exist_ok=True)
    _csv_safe(df).to_csv(stem.with_suffix(".csv"), index=False)
    stem.with_suffix(".json").write_text(
        df.to_json(orient="records", date_format="iso", indent=1, force_ascii=False) or "[]",
        encoding="utf-8",
    )
