"""Package URLs and repository URLs: the two kinds of names the funding path joins on.

A *package* is the versionless package URL (``pkg:npm/%40babel/core``) written by
``packageurl-python``, so the same package read from CycloneDX, SPDX, GitHub's export or a
purl list is one key whatever its version or qualifiers. A *repository* is ``owner/name`` on
github.com in lower case; other forges are kept out of links because the rest of ossmetrics
collects GitHub repositories.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from urllib.parse import unquote

from packageurl import PackageURL

__all__ = [
    "DEPSDEV_SYSTEMS",
    "ParsedPurl",
    "github_repo",
    "go_module_repo",
    "package_of_depsdev",
    "parse_purl",
]

# purl type -> deps.dev system name (the systems deps.dev knows).
DEPSDEV_SYSTEMS = {
    "npm": "NPM",
    "pypi": "PYPI",
    "cargo": "CARGO",
    "golang": "GO",
    "maven": "MAVEN",
    "nuget": "NUGET",
    "gem": "RUBYGEMS",
}


@dataclass(frozen=True)
class ParsedPurl:
    package: str  # versionless, qualifiers dropped
    purl: str  # with version, normalised
    ecosystem: str  # the purl type
    namespace: str | None
    name: str  # display name: npm '@scope/name', maven 'group:artifact', go 'path/name'
    version: str | None


@functools.lru_cache(maxsize=262_144)
def parse_purl(text: str) -> ParsedPurl:
    """Parse one package URL; ``ValueError`` with the reason when it is not one.

    Cached: an organisation's SBOMs repeat the same few thousand purls many times, and
    ``packageurl-python``'s normalisation is the slow part of ingest."""
    text = text.strip()
    if not text.startswith("pkg:"):
        raise ValueError(f"'{text[:80]}' is not a package URL (it must start with 'pkg:')")
    try:
        p = PackageURL.from_string(text)
    except ValueError as exc:
        raise ValueError(f"'{text[:80]}' is not a valid package URL ({exc})") from None
    eco = p.type.lower()
    # PEP 503 normalisation of PyPI names
    name = re.sub(r"[-_.]+", "-", p.name).lower() if p.type == "pypi" else p.name
    base = PackageURL(type=eco, namespace=p.namespace, name=name)
    full = PackageURL(type=eco, namespace=p.namespace, name=name, version=p.version)
    if eco == "maven" and p.namespace:
        display = f"{p.namespace}:{name}"
    elif (eco in ("npm",) and p.namespace) or p.namespace:
        display = f"{p.namespace}/{name}"
    else:
        display = name
    return ParsedPurl(
        package=base.to_string(),
        purl=full.to_string(),
        ecosystem=eco,
        namespace=p.namespace,
        name=display,
        version=p.version,
    )


_GITHUB = re.compile(
    r"(?:git\+)?(?:(?:https?|ssh|git)://)?(?:[^@/\s]+@)?(?:www\.)?github\.com[:/]"
    r"(?P<owner>[A-Za-z0-9][A-Za-z0-9_.-]*)/(?P<name>[A-Za-z0-9_.-]+?)(?:\.git)?(?:[/#?].*)?$",
    re.IGNORECASE,
)


def github_repo(url: str | None) -> str | None:
    """``owner/name`` (lower case) of a github.com URL in any common spelling, else None.

    Accepts ``https://github.com/o/n``, ``git+https://github.com/o/n.git``,
    ``git@github.com:o/n.git``, ``github:o/n`` (npm shorthand), ``github.com/o/n/tree/main``.
    """
    if not url or not isinstance(url, str):
        return None
    u = unquote(url.strip())
    if u.lower().startswith("github:"):
        u = "github.com/" + u[7:]
    m = _GITHUB.match(u) or _GITHUB.search(u)
    if not m:
        return None
    owner, name = m.group("owner"), m.group("name")
    if name.endswith(".git"):
        name = name[:-4]
    if not name or name in (".", ".."):
        return None
    return f"{owner}/{name}".lower()


def go_module_repo(package: str) -> str | None:
    """The repository a package URL names literally: a Go module path
    (``pkg:golang/github.com/o/n/v2``) or a GitHub purl (``pkg:github/o/n``)."""
    try:
        p = parse_purl(package)
    except ValueError:
        return None
    if p.ecosystem == "github" and p.namespace:
        return p.name.lower()
    if p.ecosystem != "golang":
        return None
    parts = p.name.split("/")
    if len(parts) >= 3 and parts[0].lower() == "github.com":
        return f"{parts[1]}/{parts[2]}".lower()
    return None


_PURL_TYPE = {v: k for k, v in DEPSDEV_SYSTEMS.items()}


def package_of_depsdev(system: str, name: str) -> str | None:
    """The versionless package URL of a deps.dev ``versionKey`` (``NPM`` ``@s/n`` ->
    ``pkg:npm/%40s/n``, ``MAVEN`` ``g:a`` -> ``pkg:maven/g/a``, ``GO`` ``a.b/c/d`` ->
    ``pkg:golang/a.b/c/d``), or None for a system or name that makes no package URL."""
    kind = _PURL_TYPE.get(str(system).upper())
    if kind is None or not name:
        return None
    sep = ":" if kind == "maven" else "/"
    namespace, _, last = name.rpartition(sep)
    try:
        text = PackageURL(type=kind, namespace=namespace or None, name=last).to_string()
        return parse_purl(text).package
    except ValueError:
        return None
