"""Where the shipped data folders are, in a checkout and in an installed wheel.

The wheel carries ``queries/`` and ``reports/`` as ``ossmetrics/_data/...`` (hatchling
force-include); a checkout has them at the repository root.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["package_data", "queries_dir", "reports_dir"]

_PKG = Path(__file__).resolve().parent


def _find(name: str) -> Path:
    installed = _PKG / "_data" / name
    if installed.is_dir():
        return installed
    checkout = _PKG.parent / name
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"ossmetrics data folder '{name}' is missing from this installation")


def queries_dir() -> Path:
    return _find("queries")


def reports_dir() -> Path:
    return _find("reports")


def package_data(*parts: str) -> Path:
    """A file shipped inside the package itself (models, sample data)."""
    return _PKG.joinpath("data", *parts)
