"""Package -> source repository links: every candidate kept with its provenance, the best read.

Candidates come from the SBOM itself (CycloneDX ``externalReferences`` of type ``vcs``, SPDX
``downloadLocation``), from Go module paths (``github.com/o/n/...`` names its repository),
from registry metadata (PyPI ``project_urls`` under PEP 753's normalised labels, npm
``repository``, crates.io ``repository``, as ecosyste.ms relays them) and from deps.dev
``relatedProjects`` with its provenance (SLSA / publish attestations, Go origin, unverified
metadata). Confidence by provenance is in ``CONFIDENCE``; docs/funding.md has the table.

The best link of a package is a user's pin if there is one (``fund link``; pins live in their
own table so re-ingest never loses them), else the candidate of highest confidence, ties
broken by how many sources name the same repository, then by name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import duckdb
import pandas as pd

from ossmetrics.errors import BadParameter
from ossmetrics.fund.purls import github_repo, go_module_repo, parse_purl
from ossmetrics.fund.sbom import Document
from ossmetrics.store.repos import validate_repo_name

__all__ = [
    "BEST_LINKS_SQL",
    "CONFIDENCE",
    "REGISTRY_SKIP_AT",
    "best_links",
    "depsdev_candidates",
    "npm_repository_url",
    "pin_link",
    "registry_candidates",
    "save_links",
    "sbom_and_module_links",
    "unresolved",
]

LinkRow = tuple[str, str, str, str, float]  # package, repo, source, provenance, confidence

# deps.dev relationProvenance -> confidence; the other sources' values are set where made.
CONFIDENCE = {
    "SLSA_ATTESTATION": 0.95,
    "PYPI_PUBLISH_ATTESTATION": 0.95,
    "GO_ORIGIN": 0.9,
    "UNVERIFIED_METADATA": 0.6,
    "UNKNOWN": 0.4,
}

# PEP 753: labels are normalised (lower case, punctuation and spaces removed) before matching;
# these name the source repository.
_PEP753_SOURCE = {"source", "sourcecode", "repository", "github", "code", "git", "homepage"}

# Packages linked at least this well are not asked of their registry: deps.dev's unverified
# metadata and ecosyste.ms's repository_url (0.60) are read from the registry's own metadata, so
# the registry would mostly repeat them, and better links (SBOM vcs, attestations) outrank it.
REGISTRY_SKIP_AT = 0.6


def _as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


BEST_LINKS_SQL = """
WITH cand AS (
    SELECT package, repo, max(confidence) AS confidence, count(DISTINCT source) AS sources,
           string_agg(DISTINCT source || ':' || provenance, ', ' ORDER BY source || ':' || provenance) AS provenance
    FROM fund_links GROUP BY package, repo
), ranked AS (
    SELECT *, row_number() OVER (PARTITION BY package ORDER BY confidence DESC, sources DESC, repo) AS rk
    FROM cand
)
SELECT package, repo, confidence, provenance, false AS pinned FROM ranked
WHERE rk = 1 AND package NOT IN (SELECT package FROM fund_link_pins)
UNION ALL
SELECT package, repo, 1.0 AS confidence, 'pinned by a user' AS provenance, true AS pinned
FROM fund_link_pins
"""


def sbom_and_module_links(docs: Iterable[Document]) -> list[LinkRow]:
    rows: list[LinkRow] = []
    for d in docs:
        rows += [(pkg, repo, "sbom", prov, conf) for pkg, repo, prov, conf in d.links]
        for c in d.components:
            repo = go_module_repo(c.purl.package)
            if repo:
                how = "github purl" if c.purl.ecosystem == "github" else "go module path"
                rows.append((c.purl.package, repo, "purl", how, 0.9))
    return rows


def _label(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


_NPM_SHORTHAND = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9_.-]+$")


def npm_repository_url(value: Any) -> str | None:
    """The URL an npm ``repository`` field names, in any of its documented forms: a string
    (a URL, ``git+https://...git``, ``git://...``, ``github:owner/repo``, or the bare
    ``owner/repo`` shorthand, which npm reads as GitHub) or ``{type, url, directory}``
    (``directory``: where a monorepo keeps the package; the repository is still ``url``).
    Other forges' shorthands (``gitlab:``, ``bitbucket:``, ``gist:``) name no GitHub repo."""
    url = value.get("url") if isinstance(value, dict) else value
    if not isinstance(url, str) or not url.strip():
        return None
    url = url.strip()
    if _NPM_SHORTHAND.match(url):
        return "github:" + url
    return url


def registry_candidates(
    package: str, ecosystem: str, metadata: Any, source: str = "registry"
) -> list[LinkRow]:
    """Links from a registry's own metadata (PyPI ``info``/``project_urls``, npm
    ``repository``/``homepage``, crates.io ``crate.repository``, RubyGems
    ``source_code_uri``), as the registry answers it or as ecosyste.ms relays it (``source``
    says which). Source-repository fields 0.7, home pages 0.5."""
    if not isinstance(metadata, dict):
        return []
    out: list[LinkRow] = []
    urls: list[tuple[Any, str, float]] = []
    if ecosystem == "pypi":
        info = _as_dict(metadata.get("info")) or metadata
        project_urls = info.get("project_urls") or {}
        if isinstance(project_urls, dict):
            for label, url in project_urls.items():
                norm = _label(str(label))
                if norm in _PEP753_SOURCE:
                    conf = 0.5 if norm == "homepage" else 0.7
                    urls.append((url, f"PyPI project_urls {label}", conf))
        urls.append((info.get("home_page"), "PyPI home_page", 0.5))
    elif ecosystem == "npm":
        urls.append((npm_repository_url(metadata.get("repository")), "npm repository", 0.7))
        urls.append((metadata.get("homepage"), "npm homepage", 0.5))
    elif ecosystem == "cargo":
        crate = _as_dict(metadata.get("crate")) or metadata
        urls.append((crate.get("repository"), "crates.io repository", 0.7))
        urls.append((crate.get("homepage"), "crates.io homepage", 0.5))
    elif ecosystem == "gem":
        urls.append((metadata.get("source_code_uri"), "RubyGems source_code_uri", 0.7))
        urls.append((metadata.get("homepage_uri"), "RubyGems homepage_uri", 0.5))
    for url, prov, conf in urls:
        repo = github_repo(url) if isinstance(url, str) else None
        if repo:
            out.append((package, repo, source, prov, conf))
    return out


def depsdev_candidates(package: str, version_payload: Any) -> list[LinkRow]:
    """Links from a deps.dev version's ``relatedProjects`` (SOURCE_REPO relations)."""
    out: list[LinkRow] = []
    if not isinstance(version_payload, dict):
        return out
    for rp in version_payload.get("relatedProjects") or []:
        if not isinstance(rp, dict):
            continue
        key = (rp.get("projectKey") or {}).get("id", "")
        if rp.get("relationType") not in (None, "SOURCE_REPO"):
            continue
        repo = github_repo(str(key))
        if repo:
            prov = str(rp.get("relationProvenance") or "UNKNOWN")
            out.append((package, repo, "depsdev", prov, CONFIDENCE.get(prov, 0.4)))
    return out


def save_links(con: duckdb.DuckDBPyConnection, rows: list[LinkRow], now: datetime) -> None:
    """Upsert candidate links (idempotent: the same candidate is one row, its date refreshed)."""
    if not rows:
        return
    df = pd.DataFrame(
        list(dict.fromkeys(rows)),
        columns=["package", "repo", "source", "provenance", "confidence"],
    )
    df = df.drop_duplicates(["package", "repo", "source", "provenance"])
    df["as_of"] = pd.Timestamp(now)
    con.register("_fund_links", df)
    try:
        con.execute(
            "INSERT INTO fund_links SELECT package, repo, source, provenance, confidence, as_of "
            "FROM _fund_links ON CONFLICT DO UPDATE SET confidence = excluded.confidence, "
            "as_of = excluded.as_of"
        )
    finally:
        con.unregister("_fund_links")


def pin_link(con: duckdb.DuckDBPyConnection, purl: str, repo: str) -> tuple[str, str]:
    """Pin ``purl``'s repository (a user's correction); returns (package, repo)."""
    try:
        package = parse_purl(purl).package
    except ValueError as exc:
        raise BadParameter(str(exc), "give a package URL such as pkg:npm/moment") from None
    repo = validate_repo_name(repo).lower()
    con.execute(
        "INSERT INTO fund_link_pins VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET repo = excluded.repo, "
        "pinned_at = excluded.pinned_at",
        [package, repo, datetime.now(UTC)],
    )
    return package, repo


def best_links(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """package, repo, confidence, provenance, pinned: the one link read for each package."""
    return con.execute(BEST_LINKS_SQL + " ORDER BY package").df()


def unresolved(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Packages the organisation uses whose repository is unknown, most used first."""
    return con.execute(
        f"""
        SELECT c.package, any_value(c.ecosystem) AS ecosystem,
               count(DISTINCT coalesce(d.org_repo, d.path)) AS org_repos
        FROM fund_components c JOIN fund_documents d USING (doc_id)
        WHERE c.package NOT IN (SELECT package FROM ({BEST_LINKS_SQL}))
        GROUP BY c.package ORDER BY org_repos DESC, c.package
        """
    ).df()
