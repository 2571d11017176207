"""Hand-written answers in the shapes the registries and deps.dev document, trimmed to the
fields around the ones ossmetrics reads (plus a few it must ignore).

* PyPI JSON API ``GET /pypi/{name}/json``: ``{"info": {..., "project_urls", "home_page"},
  "releases", "urls", "last_serial", "vulnerabilities"}``
  (https://docs.pypi.org/api/json/);
* npm packument ``GET /{name}``: ``{"_id", "name", "dist-tags", "versions", "time",
  "repository", "homepage", ...}`` (https://github.com/npm/registry/blob/main/docs/responses/package-metadata.md);
* crates.io ``GET /api/v1/crates/{name}``: ``{"crate": {"id", "name", "repository",
  "homepage", ...}, "versions", "keywords", "categories"}``;
* RubyGems ``GET /api/v1/gems/{name}.json``: ``{"name", "version", "source_code_uri",
  "homepage_uri", ...}`` (https://guides.rubygems.org/rubygems-org-api/);
* deps.dev GetDependencies ``GET /v3/systems/{S}/packages/{n}/versions/{v}:dependencies``:
  ``{"nodes": [{"versionKey": {system, name, version}, "bundled", "relation", "errors"}],
  "edges": [{"fromNode", "toNode", "requirement"}], "error"}`` (https://docs.deps.dev/api/v3/).
"""

from __future__ import annotations

from typing import Any

__all__ = ["crate", "depsdev_graph", "gem", "npm_packument", "pypi_json"]


def pypi_json(
    name: str, project_urls: dict[str, str] | None = None, home_page: str | None = None
) -> dict[str, Any]:
    return {
        "info": {
            "name": name,
            "version": "1.0.0",
            "summary": "hand-written test package",
            "author": "",
            "home_page": home_page,
            "project_urls": project_urls,
            "requires_dist": None,
            "yanked": False,
        },
        "last_serial": 1,
        "releases": {"1.0.0": []},
        "urls": [],
        "vulnerabilities": [],
    }


def npm_packument(name: str, repository: Any = None, homepage: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "_id": name,
        "_rev": "3-0123456789abcdef",
        "name": name,
        "dist-tags": {"latest": "1.0.0"},
        "versions": {
            "1.0.0": {
                "name": name,
                "version": "1.0.0",
                "dist": {"tarball": f"https://registry.npmjs.org/{name}/-/x-1.0.0.tgz"},
            }
        },
        "time": {"created": "2025-01-01T00:00:00.000Z", "1.0.0": "2025-01-01T00:00:00.000Z"},
        "maintainers": [{"name": "someone"}],
        "license": "MIT",
        "readme": "",
    }
    if repository is not None:
        out["repository"] = repository
    if homepage is not None:
        out["homepage"] = homepage
    return out


def crate(name: str, repository: str | None, homepage: str | None = None) -> dict[str, Any]:
    return {
        "crate": {
            "id": name,
            "name": name,
            "description": "hand-written test crate",
            "downloads": 1000,
            "max_version": "1.0.0",
            "repository": repository,
            "homepage": homepage,
            "documentation": f"https://docs.rs/{name}",
        },
        "versions": [1],
        "keywords": [],
        "categories": [],
    }


def gem(name: str, source_code_uri: str | None, homepage_uri: str | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "downloads": 1000,
        "version": "1.0.0",
        "authors": "someone",
        "info": "hand-written test gem",
        "licenses": ["MIT"],
        "project_uri": f"https://rubygems.org/gems/{name}",
        "homepage_uri": homepage_uri,
        "source_code_uri": source_code_uri,
        "bug_tracker_uri": None,
    }


def depsdev_graph(
    system: str, root: str, version: str, edges: list[tuple[str, str]], versions: dict[str, str]
) -> dict[str, Any]:
    """The graph of ``root``@``version``: ``edges`` (parent name, child name); ``versions``
    name -> resolved version for every other node. Nodes in order of appearance, root first;
    relation DIRECT for the root's children, INDIRECT for the rest."""
    names = [root]
    for a, b in edges:
        names += [n for n in (a, b) if n not in names]
    direct = {b for a, b in edges if a == root}
    nodes = [
        {
            "versionKey": {
                "system": system,
                "name": n,
                "version": version if n == root else versions[n],
            },
            "bundled": False,
            "relation": "SELF" if n == root else ("DIRECT" if n in direct else "INDIRECT"),
            "errors": [],
        }
        for n in names
    ]
    return {
        "nodes": nodes,
        "edges": [
            {"fromNode": names.index(a), "toNode": names.index(b), "requirement": f"^{versions[b]}"}
            for a, b in edges
        ],
        "error": "",
    }
