"""Fetchers for deps.dev and ecosyste.ms: network I/O only, no store writes.

deps.dev (API v3 / v3alpha, https://docs.deps.dev/api/):

* ``POST /v3alpha/purlbatch`` ``{"requests": [{"purl": ...}], "pageToken": ...}`` answers
  ``{"responses": [{"request": {"purl": ...}, "result": {"version": {...}}}], "nextPageToken"}``;
  a version carries ``relatedProjects`` (``projectKey.id``, ``relationProvenance``,
  ``relationType``). Purls must carry a version; at most 5,000 a request.
* ``GET /v3/systems/{system}/packages/{name}`` lists versions, one ``isDefault``;
* ``GET /v3alpha/systems/{system}/packages/{name}/versions/{version}:dependents`` answers
  ``{"dependentCount", "directDependentCount", "indirectDependentCount"}``;
* ``GET /v3/systems/{system}/packages/{name}/versions/{version}:dependencies`` (GetDependencies)
  answers the resolved graph: ``nodes`` (``versionKey``, ``bundled``, ``relation`` SELF /
  DIRECT / INDIRECT, ``errors``) and ``edges`` (``fromNode``, ``toNode`` indexes into nodes,
  ``requirement``), plus ``error`` when resolution failed.

Names are percent-encoded whole (``@scope/core`` -> ``%40scope%2Fcore``).

ecosyste.ms packages (https://packages.ecosyste.ms/docs): ``POST /api/v1/packages/bulk_lookup``
``{"purls": [...]}`` (at most 100) answers a list of package objects with ``purl``,
``dependent_packages_count``, ``dependent_repos_count``, ``downloads``, ``downloads_period``,
``critical``, ``rankings``, ``funding_links``, ``repository_url``, ``metadata``; packages it
does not know are simply absent.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from ossmetrics.fund.http import JsonClient
from ossmetrics.fund.purls import DEPSDEV_SYSTEMS, parse_purl

__all__ = [
    "DEPSDEV_BATCH",
    "ECOSYSTEMS_BATCH",
    "depsdev_default_version",
    "depsdev_dependencies",
    "depsdev_dependents",
    "depsdev_purl_batches",
    "ecosystems_bulk",
]

DEPSDEV_BATCH = 5000
ECOSYSTEMS_BATCH = 100


def _package_of(purl: Any) -> str | None:
    try:
        return parse_purl(str(purl)).package
    except ValueError:
        return None


def depsdev_purl_batches(
    client: JsonClient, purls: list[str]
) -> Iterator[list[tuple[str, dict[str, Any] | None]]]:
    """Yield, page by page, (purl asked, version object or None when unknown)."""
    for start in range(0, len(purls), DEPSDEV_BATCH):
        chunk = purls[start : start + DEPSDEV_BATCH]
        token: str | None = None
        answered: set[str] = set()
        while True:
            body: dict[str, Any] = {"requests": [{"purl": p} for p in chunk]}
            if token:
                body["pageToken"] = token
            _, obj = client.post("/v3alpha/purlbatch", body, label="deps.dev purlbatch")
            page: list[tuple[str, dict[str, Any] | None]] = []
            for r in (obj or {}).get("responses") or []:
                asked = str(((r or {}).get("request") or {}).get("purl", ""))
                version = ((r or {}).get("result") or {}).get("version")
                page.append((asked, version if isinstance(version, dict) else None))
                answered.add(asked)
            token = (obj or {}).get("nextPageToken") or None
            if not token:
                page += [(p, None) for p in chunk if p not in answered]
                yield page
                break
            yield page


def _path(package: str) -> tuple[str, str] | None:
    p = parse_purl(package)
    system = DEPSDEV_SYSTEMS.get(p.ecosystem)
    if system is None:
        return None
    return system, quote(p.name, safe="")


def depsdev_default_version(client: JsonClient, package: str) -> tuple[int, Any]:
    where = _path(package)
    if where is None:
        return 404, None
    return client.get(f"/v3/systems/{where[0]}/packages/{where[1]}", label="deps.dev package")


def depsdev_dependents(client: JsonClient, package: str, version: str) -> tuple[int, Any]:
    where = _path(package)
    if where is None:
        return 404, None
    v = quote(version, safe="")
    return client.get(
        f"/v3alpha/systems/{where[0]}/packages/{where[1]}/versions/{v}:dependents",
        label="deps.dev dependents",
    )


def depsdev_dependencies(client: JsonClient, package: str, version: str) -> tuple[int, Any]:
    """GetDependencies: the resolved dependency graph of one package version."""
    where = _path(package)
    if where is None:
        return 404, None
    v = quote(version, safe="")
    return client.get(
        f"/v3/systems/{where[0]}/packages/{where[1]}/versions/{v}:dependencies",
        label="deps.dev dependencies",
        soft_4xx=True,
    )


def ecosystems_bulk(
    client: JsonClient, packages: list[str]
) -> Iterator[list[tuple[str, dict[str, Any] | None]]]:
    """Yield, 100 packages a request, (package, package object or None when unknown)."""
    params = {"mailto": client.mailto} if client.mailto else None
    for start in range(0, len(packages), ECOSYSTEMS_BATCH):
        chunk = packages[start : start + ECOSYSTEMS_BATCH]
        _, obj = client.post(
            "/api/v1/packages/bulk_lookup", {"purls": chunk}, params=params, label="ecosyste.ms"
        )
        found: dict[str, dict[str, Any]] = {}
        for item in obj if isinstance(obj, list) else []:
            if isinstance(item, dict):
                pkg = _package_of(item.get("purl"))
                if pkg:
                    found[pkg] = item
        yield [(p, found.get(p)) for p in chunk]
