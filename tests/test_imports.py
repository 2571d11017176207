"""The import graph of ``ossmetrics/`` follows the data flow (checked on the source, every import
statement, at module level or inside a function):

- no dynamic import (``importlib.import_module``, ``__import__``, ``importlib.util``): stages are
  reached through static imports that grep and mypy see. ``importlib.resources`` and
  ``importlib.metadata`` read package data and versions, not code, and are allowed. Plugin points
  allowed to import dynamically: ``PLUGIN_POINTS`` (none today);
- no module imports a later stage: config/errors/store/privacy ← collect ← metrics, graph ←
  risk, fund ← report ← pipeline ← nightly ← cli;
- ``report/`` imports no collector.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "ossmetrics"

PLUGIN_POINTS: frozenset[str] = frozenset()  # modules allowed a dynamic import, by path

# stage rank by top-level subpackage or module; an import may only go to an equal or lower rank
RANK = {
    "__init__": 0,
    "__version__": 0,  # `from ossmetrics import __version__`
    "config": 0,
    # where secrets come from (the environment) and how they are scrubbed from output
    "secret_env": 0,
    "errors": 0,
    "resources": 0,
    "store": 0,
    "tracking": 0,
    # how people may appear (options, masking, scrubbing): read by every writer, imports nothing
    # of a stage
    "privacy": 0,
    # the store's tables as Parquet files (export, import, read): the store in another format
    "lake": 0,
    "collect": 1,
    # GH Archive lines into the GitHub tables: a collector of its own source
    "gharchive": 1,
    "metrics": 2,
    "graph": 2,
    "risk": 3,
    # dependency data and the funding plan: reads risk scores from the store, imports no risk
    "fund": 3,
    "report": 4,
    "pipeline": 5,
    # the same stages fanned out on Spark over a lake: an orchestrator beside the pipeline
    "spark": 5,
    "nightly": 6,
    "cli": 7,
}
# same rank, still one-way: graphs and metrics are both computed from the collected store
APART = {
    ("metrics", "graph"),
    ("graph", "metrics"),
    ("risk", "fund"),
    ("fund", "risk"),
    ("pipeline", "spark"),
    ("spark", "pipeline"),
}


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py"))


def _stage(dotted: str) -> str:
    parts = dotted.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    return ".".join(rel.parts)


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, dotted module) of every ossmetrics import in ``path``, relative ones resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    here = _name(path).split(".")
    if path.name != "__init__.py":
        here = here[:-1]
    out: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(here[: len(here) - node.level + 1] + ([base] if base else []))
            out.append((node.lineno, base))
            out += [(node.lineno, f"{base}.{a.name}") for a in node.names if base == "ossmetrics"]
    return [(n, m) for n, m in out if m == "ossmetrics" or m.startswith("ossmetrics.")]


def _dynamic(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [
                f"{node.lineno}: import {a.name}"
                for a in node.names
                if a.name.startswith("importlib")
                and a.name not in ("importlib.resources", "importlib.metadata")
            ]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("importlib"):
            names = {a.name for a in node.names}
            if node.module == "importlib" and names <= {"resources", "metadata"}:
                continue
            if node.module in ("importlib.resources", "importlib.metadata"):
                continue
            found.append(f"{node.lineno}: from {node.module} import {', '.join(sorted(names))}")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "__import__"
        ):
            found.append(f"{node.lineno}: __import__(...)")
    return found


def test_no_dynamic_imports_outside_plugin_points() -> None:
    bad = {
        str(p.relative_to(PACKAGE)): d
        for p in _modules()
        if str(p.relative_to(PACKAGE)) not in PLUGIN_POINTS and (d := _dynamic(p))
    }
    assert bad == {}


def test_no_stage_imports_a_later_one() -> None:
    bad = []
    for p in _modules():
        mine = _stage(_name(p))
        for line, mod in _imports(p):
            theirs = _stage(mod)
            if theirs == mine:
                continue
            if RANK[theirs] > RANK[mine] or (mine, theirs) in APART:
                bad.append(f"{p.relative_to(PACKAGE)}:{line} imports {mod}")
    assert bad == []


def test_report_imports_no_collector() -> None:
    bad = [
        f"{p.relative_to(PACKAGE)}:{line} imports {mod}"
        for p in sorted((PACKAGE / "report").rglob("*.py"))
        for line, mod in _imports(p)
        if _stage(mod) == "collect"
    ]
    assert bad == []


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ("import importlib\nimportlib.import_module('x')\n", ["1: import importlib"]),
        ("from importlib import import_module\n", ["1: from importlib import import_module"]),
        ("from importlib import resources\n", []),
        ("m = __import__('os')\n", ["1: __import__(...)"]),
    ],
)
def test_the_dynamic_import_check_itself(tmp_path: Path, source: str, found: list[str]) -> None:
    f = tmp_path / "m.py"
    f.write_text(source)
    assert _dynamic(f) == found


def test_report_runs_no_model() -> None:
    """The report reads the risk step's results from the store; it imports no model code."""
    bad = [
        f"{p.relative_to(PACKAGE)}:{line} imports {mod}"
        for p in sorted((PACKAGE / "report").rglob("*.py"))
        for line, mod in _imports(p)
        if _stage(mod) == "risk"
    ]
    torch = [
        str(p.relative_to(PACKAGE))
        for p in sorted((PACKAGE / "report").rglob("*.py"))
        if "import torch" in p.read_text(encoding="utf-8")
    ]
    assert bad == [] and torch == []
