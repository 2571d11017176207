"""Package -> source repository links straight from the registries: PyPI, npm, crates.io, RubyGems.

ecosyste.ms relays registry metadata for the packages it knows; these small clients ask the
registries themselves, one request a package (none of them has a batch endpoint), and only for
packages without a link of 0.60 or more (``REGISTRY_SKIP_AT``): neither pinned nor linked by an
attestation, a Go module path, the SBOM, ecosyste.ms or deps.dev's unverified metadata (those
two read the registry's own metadata, so asking the registry again would mostly repeat them).

Endpoints (the registries' documented JSON APIs):

* PyPI ``GET /pypi/{name}/json`` -> ``info.project_urls`` (labels matched after PEP 753
  normalisation) and ``info.home_page``;
* npm ``GET /{name}`` (the packument; a scoped name escaped whole, ``@scope%2Fname``) -> ``repository``
  (string or ``{type, url, directory}``) and ``homepage``;
* crates.io ``GET /api/v1/crates/{name}`` -> ``crate.repository`` / ``crate.homepage``
  (crates.io refuses clients without a User-Agent; ours names ossmetrics and, with the
  ``mailto`` setting, a contact address, as its crawler policy asks);
* RubyGems ``GET /api/v1/gems/{name}.json`` -> ``source_code_uri`` / ``homepage_uri``.

Only those fields are cached (``fund_cache`` source ``pypi``/``npm``/``crates``/``rubygems``,
key the package): a packument can weigh megabytes. A 404 is cached as unknown (the package stays
unresolved); a page that is not JSON, or not a JSON object, is a one-line warning naming the
package and is not cached, so the next run asks again; 429/5xx back off through ``JsonClient``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote

from ossmetrics.fund.http import JsonClient, MalformedAnswer
from ossmetrics.fund.links import LinkRow, registry_candidates
from ossmetrics.fund.purls import parse_purl

__all__ = [
    "REGISTRIES",
    "Registry",
    "cached_links",
    "fetch_links",
    "registry_path",
]


class Registry:
    """One registry: its cache source name, setting, purl type and what to keep of a page."""

    def __init__(
        self, source: str, setting: str, ecosystem: str, keep: Callable[[dict[str, Any]], Any]
    ) -> None:
        self.source = source
        self.setting = setting
        self.ecosystem = ecosystem
        self.keep = keep


def _pick(obj: Any, *names: str) -> dict[str, Any]:
    return {n: obj.get(n) for n in names} if isinstance(obj, dict) else {}


REGISTRIES: dict[str, Registry] = {
    r.ecosystem: r
    for r in [
        Registry(
            "pypi",
            "pypi_url",
            "pypi",
            lambda o: {"info": _pick(o.get("info"), "name", "project_urls", "home_page")},
        ),
        Registry("npm", "npm_url", "npm", lambda o: _pick(o, "name", "repository", "homepage")),
        Registry(
            "crates",
            "crates_url",
            "cargo",
            lambda o: {"crate": _pick(o.get("crate"), "name", "repository", "homepage")},
        ),
        Registry(
            "rubygems",
            "rubygems_url",
            "gem",
            lambda o: _pick(o, "name", "source_code_uri", "homepage_uri"),
        ),
    ]
}
SOURCES = {r.source: r for r in REGISTRIES.values()}


def registry_path(package: str) -> tuple[Registry, str] | None:
    """(registry, request path) for a package, or None where no registry client exists."""
    p = parse_purl(package)
    reg = REGISTRIES.get(p.ecosystem)
    if reg is None:
        return None
    if p.ecosystem == "pypi":
        return reg, f"/pypi/{quote(p.name, safe='')}/json"
    if p.ecosystem == "npm":
        if p.namespace:  # npm: @scope%2Fname (escapes are case-insensitive, RFC 3986)
            scope = quote(p.namespace.lstrip("@"), safe="")
            return reg, f"/@{scope}%2F{quote(p.name.split('/', 1)[1], safe='')}"
        return reg, f"/{quote(p.name, safe='')}"
    if p.ecosystem == "cargo":
        return reg, f"/api/v1/crates/{quote(p.name, safe='')}"
    return reg, f"/api/v1/gems/{quote(p.name, safe='')}.json"


def fetch_links(
    clients: dict[str, JsonClient],
    packages: Iterable[str],
    save: Callable[[str, list[tuple[str, Any]]], object],
    warnings: list[str],
) -> dict[str, int]:
    """Ask each package's registry (``clients`` by cache source); ``save(source, rows)`` caches
    every answer as it comes. Returns the packages answered per registry."""
    done: dict[str, int] = {}
    for package in packages:
        where = registry_path(package)
        if where is None or where[0].source not in clients:
            continue
        reg, path = where
        client = clients[reg.source]
        try:
            status, obj = client.get(path, label=reg.source, soft_4xx=True)
        except MalformedAnswer:
            warnings.append(
                f"{client.source} {package}: the registry answered with malformed JSON; "
                "no link from it this run (`fund enrich` asks again)"
            )
            continue
        if status not in (200, 404):
            warnings.append(
                f"{client.source} {package}: the registry answered HTTP {status}; "
                "no link from it this run (`fund enrich` asks again)"
            )
            continue
        if status == 200 and not isinstance(obj, dict):
            warnings.append(
                f"{client.source} {package}: the registry's answer is not a JSON object; "
                "no link from it this run (`fund enrich` asks again)"
            )
            continue
        save(reg.source, [(package, reg.keep(obj) if status == 200 else None)])
        done[reg.source] = done.get(reg.source, 0) + 1
    return done


def cached_links(source: str, package: str, payload: dict[str, Any]) -> list[LinkRow]:
    """Candidate links from one cached registry answer (source ``registry:<registry>``)."""
    reg = SOURCES.get(source)
    if reg is None:
        return []
    return registry_candidates(package, reg.ecosystem, payload, source=f"registry:{source}")
