"""The SQL metric library: parse the ``queries/*.sql`` files and their headers.

A metric file starts with a header of ``-- key: value`` lines (CONVENTIONS.md "SQL files")::

    -- name: time_to_first_response
    -- description: Median and 90th percentile hours from issue opened to first reply ...
    --   (an indented comment line continues the key above it)
    -- params: $repo VARCHAR, $since DATE = NULL
    -- returns: repo, item_type, month, items, responded, median_hours, p90_hours
    -- grain: repo, item_type, month
    -- reference: https://chaoss.community/kb/metric-time-to-first-response/

The body below it is one SELECT using DuckDB ``$name`` parameters. Every parameter after
``$repo`` has a default (an SQL expression), because the installed table macros take them as
named arguments (``since := DATE '2024-01-01'``). The body is rendered two ways from the same
text, so the macros and :func:`ossmetrics.metrics.run_metric` cannot disagree:

* for direct execution, ``$p`` becomes ``CAST($p AS TYPE)`` and stays a bound parameter (or the
  declared default when the caller gave none);
* for the macro, ``$p`` becomes ``CAST(_p_p AS TYPE)``, a parameter of an inner macro whose
  names cannot collide with column names (DuckDB replaces *any* unqualified column reference that
  matches a macro parameter name, so a parameter called ``repo`` would swallow a ``repo`` column).

Errors in a file are reported as ``file:line``.

Writing a metric: filter on parameters in WHERE, not HAVING (DuckDB cannot bind a macro
parameter inside HAVING), and compute UTC months with ``make_timestamp(epoch_us(ts))`` — it is
independent of the session's TimeZone and four times cheaper than ``timezone('UTC', ts)``.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ossmetrics.errors import MetricDefinitionError, UnknownMetric
from ossmetrics.resources import queries_dir

__all__ = [
    "PARAM_TYPES",
    "Metric",
    "Param",
    "find_metric",
    "list_metrics",
    "load_library",
    "substitute_params",
]

# Types a parameter may declare; the values users give are converted to these (run.py).
PARAM_TYPES = ("VARCHAR", "DATE", "TIMESTAMPTZ", "INTEGER", "DOUBLE", "BOOLEAN")
_REQUIRED_KEYS = ("name", "description", "params", "returns", "grain", "reference")
_KEY = re.compile(r"^--\s*([a-z_]+):\s?(.*)$")
_CONT = re.compile(r"^--\s{2,}(\S.*)$")
_PARAM = re.compile(r"^\$(?P<name>[a-z_][a-z0-9_]*)\s+(?P<type>[A-Z]+)(?:\s*=\s*(?P<default>.+))?$")
_IDENT = re.compile(r"^[a-z_][a-z0-9_]*$")


@dataclass(frozen=True)
class Param:
    """One ``$name TYPE [= default]`` of a metric; ``default`` is SQL text, None if required."""

    name: str
    type: str
    default: str | None

    def signature(self) -> str:
        return f"{self.name} {self.type}" + (f" = {self.default}" if self.default else "")


@dataclass(frozen=True)
class Metric:
    """A parsed metric file."""

    name: str
    description: str
    params: tuple[Param, ...]
    returns: tuple[str, ...]
    grain: tuple[str, ...]
    reference: str
    body: str
    path: Path
    body_line: int  # line number of the body's first line in the file
    source: str  # the whole file, for the digest

    @property
    def summary(self) -> str:
        """The description's first sentence (a sentence ends at '. ' before a capital)."""
        first = re.split(r"(?<=[a-z0-9)\]])\.\s+(?=[A-Z])", self.description, maxsplit=1)[0]
        return first.rstrip(".") + "."

    @property
    def param_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.params)

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)

    def sql(self, given: set[str] | frozenset[str] = frozenset()) -> str:
        """The body for direct execution: given parameters bound, the rest their defaults."""
        types = {p.name: p for p in self.params}

        def repl(name: str) -> str:
            p = types[name]
            ref = f"${name}" if name in given or p.default is None else f"({p.default})"
            return f"CAST({ref} AS {p.type})"

        return substitute_params(self.body, repl)

    def macro_sql(self, *, temp: bool = False) -> list[str]:
        """CREATE OR REPLACE statements for the inner and the public table macro."""
        types = {p.name: p for p in self.params}
        inner_body = (
            substitute_params(self.body, lambda n: f"CAST(_p_{n} AS {types[n].type})")
            .rstrip()
            .rstrip(";")
        )
        kw = "TEMP MACRO" if temp else "MACRO"
        inner_args = ", ".join(f"_p_{p.name}" for p in self.params)
        outer_args = ", ".join(
            p.name if p.default is None else f"{p.name} := {p.default}" for p in self.params
        )
        call_args = ", ".join(p.name for p in self.params)
        return [
            f'CREATE OR REPLACE {kw} "{self.name}__impl"({inner_args}) AS TABLE\n{inner_body}',
            f'CREATE OR REPLACE {kw} "{self.name}"({outer_args}) AS TABLE '
            f'SELECT * FROM "{self.name}__impl"({call_args})',
        ]

    def digest(self) -> str:
        """Identifies the file's content: the macros change exactly when this does."""
        return hashlib.sha256(self.source.encode()).hexdigest()[:16]


_TOKEN = re.compile(
    r"'(?:[^']|'')*'?"  # string literal
    r'|"(?:[^"]|"")*"?'  # quoted identifier
    r"|--[^\n]*"  # line comment
    r"|/\*.*?(?:\*/|\Z)"  # block comment
    r"|\$([A-Za-z_][A-Za-z0-9_]*)",  # parameter
    re.S,
)


def substitute_params(sql: str, repl: Callable[[str], str]) -> str:
    """Replace every ``$name`` outside string literals, quoted identifiers and comments."""
    return _TOKEN.sub(lambda m: repl(m.group(1)) if m.group(1) else m.group(0), sql)


def _used_params(body: str) -> list[tuple[str, int]]:
    """(name, body line) of every ``$name`` the body uses, in order."""
    found: list[str] = []

    def note(name: str) -> str:
        found.append(name)
        return f"\0{name}\0"

    marked = substitute_params(body, note)
    out = []
    for lineno, line in enumerate(marked.splitlines(), start=0):
        for m in re.finditer(r"\0([A-Za-z0-9_]+)\0", line):
            out.append((m.group(1), lineno))
    return out


def _split_list(text: str) -> tuple[str, ...]:
    return tuple(x.strip() for x in text.split(",") if x.strip())


def parse_metric(path: Path, text: str | None = None) -> Metric:
    """Parse one metric file; a problem raises MetricDefinitionError naming ``file:line``."""
    text = path.read_text(encoding="utf-8") if text is None else text
    lines = text.splitlines()
    fields: dict[str, str] = {}
    key_line: dict[str, int] = {}
    last: str | None = None
    body_start = len(lines)
    for idx, raw in enumerate(lines):
        line = raw.rstrip()
        lineno = idx + 1
        if not line.strip():
            if fields:
                body_start = idx + 1
                break
            continue
        if not line.startswith("--"):
            body_start = idx
            break
        m = _KEY.match(line)
        c = _CONT.match(line)
        if m and not c:
            key = m.group(1)
            if key in fields:
                raise MetricDefinitionError(
                    f"header key '{key}' given twice", "keep one", path=str(path), line=lineno
                )
            fields[key] = m.group(2).strip()
            key_line[key] = lineno
            last = key
        elif c and last:
            fields[last] += " " + c.group(1).strip()
        elif line.strip() == "--":
            continue
        else:
            raise MetricDefinitionError(
                f"cannot read header line {line!r}",
                "write '-- key: value' (keys: " + ", ".join(_REQUIRED_KEYS) + ")",
                path=str(path),
                line=lineno,
            )
    for key in _REQUIRED_KEYS:
        if key not in fields:
            raise MetricDefinitionError(
                f"header lacks '-- {key}:'",
                "every metric file declares " + ", ".join(_REQUIRED_KEYS),
                path=str(path),
                line=1,
            )
    name = fields["name"]
    if name != path.stem or not _IDENT.match(name):
        raise MetricDefinitionError(
            f"metric name '{name}' must be a lower-case identifier equal to the file name '{path.stem}'",
            "rename the file or fix '-- name:'",
            path=str(path),
            line=key_line["name"],
        )
    params: list[Param] = []
    for item in _split_list(fields["params"]):
        pm = _PARAM.match(item)
        if not pm or pm.group("type") not in PARAM_TYPES:
            raise MetricDefinitionError(
                f"cannot read parameter {item!r}",
                "write '$name TYPE [= default]' with TYPE one of " + ", ".join(PARAM_TYPES),
                path=str(path),
                line=key_line["params"],
            )
        params.append(Param(pm.group("name"), pm.group("type"), pm.group("default")))
    if not params or params[0].name != "repo" or params[0].type != "VARCHAR":
        raise MetricDefinitionError(
            "the first parameter must be '$repo VARCHAR' (NULL means every repository)",
            "the macros take the repository's full name first",
            path=str(path),
            line=key_line["params"],
        )
    for p in params[1:]:
        if p.default is None:
            raise MetricDefinitionError(
                f"parameter ${p.name} needs a default ('= NULL' or an SQL expression)",
                "the macros take every parameter after $repo as a named argument",
                path=str(path),
                line=key_line["params"],
            )
    returns = _split_list(fields["returns"])
    grain = _split_list(fields["grain"])
    missing = [g for g in grain if g not in returns]
    if not returns or missing:
        raise MetricDefinitionError(
            f"grain column(s) {', '.join(missing) or '(none)'} not among the returned columns",
            "the grain must name returned columns",
            path=str(path),
            line=key_line["grain"],
        )
    body = "\n".join(lines[body_start:]).strip("\n")
    if not body.strip():
        raise MetricDefinitionError(
            "the file has no SQL below its header",
            "write one SELECT",
            path=str(path),
            line=len(lines),
        )
    declared = {p.name for p in params}
    used = _used_params(body)
    for pname, offset in used:
        if pname not in declared:
            raise MetricDefinitionError(
                f"parameter ${pname} is used but not declared in '-- params:'",
                "declare it or fix the name",
                path=str(path),
                line=body_start + 1 + offset,
            )
    unused = declared - {u for u, _ in used}
    if unused:
        raise MetricDefinitionError(
            f"declared parameter(s) {', '.join('$' + u for u in sorted(unused))} never used",
            "use them in the body or drop them from '-- params:'",
            path=str(path),
            line=key_line["params"],
        )
    return Metric(
        name=name,
        description=fields["description"],
        params=tuple(params),
        returns=returns,
        grain=grain,
        reference=fields["reference"],
        body=body,
        path=path,
        body_line=body_start + 1,
        source=text,
    )


_cache: dict[Path, tuple[tuple[tuple[str, int, int], ...], dict[str, Metric]]] = {}


def load_library(directory: str | Path | None = None) -> dict[str, Metric]:
    """Every metric in ``directory`` (default: the shipped ``queries/``), by name.

    Re-parses only when a file was added, removed or changed, so calling it per command is cheap.
    """
    d = Path(directory) if directory is not None else queries_dir()
    files = sorted(d.glob("*.sql"))
    key = tuple((f.name, f.stat().st_mtime_ns, f.stat().st_size) for f in files)
    hit = _cache.get(d)
    if hit and hit[0] == key:
        return hit[1]
    metrics = {}
    for f in files:
        m = parse_metric(f)
        metrics[m.name] = m
    _cache[d] = (key, metrics)
    return metrics


def list_metrics(directory: str | Path | None = None) -> list[Metric]:
    """The metrics, sorted by name."""
    return [m for _, m in sorted(load_library(directory).items())]


def find_metric(name: str, directory: str | Path | None = None) -> Metric:
    """The metric called ``name``; otherwise UnknownMetric with the closest name suggested."""
    lib = load_library(directory)
    if name in lib:
        return lib[name]
    low = name.lower()
    if low in lib:
        return lib[low]
    close = difflib.get_close_matches(low, list(lib), n=1, cutoff=0.5)
    if not close:
        close = [m for m in lib if low in m or m in low][:1]
    raise UnknownMetric(name, close[0] if close else None)
