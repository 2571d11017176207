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

from datetime import datetime
from typing import Any

import duckdb

from ossmetrics.fund import services
from ossmetrics.fund.cache import cached_payload, fresh_keys, save_cache
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
) -> int:
    """Fetch and cache dependents for ``packages`` in ``scope``; returns packages asked."""
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
            if package not in fresh_pkg:
                status, obj = services.depsdev_default_version(dd, package)
                save_cache(con, "depsdev_package", [(package, obj if status == 200 else None)])
            version = default_version(cached_payload(con, "depsdev_package", package))
        if version is None:
            save_cache(con, "depsdev_dependents", [(package, None)])
            continue
        status, obj = services.depsdev_dependents(dd, package, version)
        payload = (
            None if status != 200 or not isinstance(obj, dict) else {**obj, "version": version}
        )
        save_cache(con, "depsdev_dependents", [(package, payload)])
        n += 1
    return n
