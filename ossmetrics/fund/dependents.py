"""deps.dev dependents per package, counted on its default version: one request where possible.

deps.dev has no batch endpoint for dependents (``GET /v3alpha/systems/{S}/packages/{name}/
versions/{v}:dependents``), and the count belongs to the package's default version. The purl
batch ``fund enrich`` already fetched answers the version the organisation uses with its
``isDefault`` flag: when that version is the default, its number is the version to count on
and only the dependents request remains. Otherwise the package's version list
(``GET /v3/systems/{S}/packages/{name}``) names the default first — two requests, as before.
Packages are asked only for the portfolio (linked to a repository in the store) unless
``scope`` is ``all``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import duckdb

from ossmetrics.fund import services
from ossmetrics.fund.cache import cached_payload, fresh_keys
from ossmetrics.fund.http import JsonClient
from ossmetrics.fund.links import BEST_LINKS_SQL

__all__ = ["default_from_batch", "default_version", "fetch_dependents"]


def default_version(obj: Any) -> str | None:
    """The ``isDefault`` version of a deps.dev GetPackage answer."""
    if not isinstance(obj, dict):
        return None
    for v in obj.get("versions") or []:
        if isinstance(v, dict) and v.get("isDefault"):
            return str((v.get("versionKey") or {}).get("version"))
    return None


def default_from_batch(obj: Any) -> str | None:
    """The version of a cached purl-batch answer when deps.dev says it is the default."""
    if not isinstance(obj, dict) or obj.get("isDefault") is not True:
        return None
    version = (obj.get("versionKey") or {}).get("version")
    return str(version) if version else None


def fetch_dependents(
    con: duckdb.DuckDBPyConnection,
    dd: JsonClient,
    packages: list[str],
    since: datetime,
    scope: str,
    save: Callable[[str, list[tuple[str, Any]]], object],
) -> int:
    """Fetch dependents for ``packages`` in ``scope``, each answer handed to ``save(source,
    rows)``; returns packages asked."""
    if scope == "none":
        return 0
    wanted = packages
    if scope == "portfolio":
        linked = con.execute(
            f"SELECT package FROM ({BEST_LINKS_SQL}) b JOIN repos r ON lower(r.full_name) = b.repo"
        ).fetchall()
        keep = {r[0] for r in linked}
        wanted = [p for p in wanted if p in keep]
    fresh_pkg = fresh_keys(con, "depsdev_package", since)
    fresh_dep = fresh_keys(con, "depsdev_dependents", since)
    n = 0
    for package in wanted:
        if package in fresh_dep:
            continue
        version = default_from_batch(cached_payload(con, "depsdev", package))
        if version is None:
            if package in fresh_pkg:
                obj = cached_payload(con, "depsdev_package", package)
            else:
                status, obj = services.depsdev_default_version(dd, package)
                obj = obj if status == 200 else None
                save("depsdev_package", [(package, obj)])
            version = default_version(obj)
        if version is None:
            save("depsdev_dependents", [(package, None)])
            continue
        status, obj = services.depsdev_dependents(dd, package, version)
        payload = (
            None if status != 200 or not isinstance(obj, dict) else {**obj, "version": version}
        )
        save("depsdev_dependents", [(package, payload)])
        n += 1
    return n
