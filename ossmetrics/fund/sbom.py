"""Readers for what an organisation knows it depends on: CycloneDX JSON (1.4-1.6), SPDX 2.3
JSON, GitHub's dependency-graph export (``{"sbom": <SPDX 2.3>}``) and plain purl lists.

Small readers of our own rather than the SPDX or CycloneDX libraries: we read a dozen fields
(components, their purls and scopes, the dependency relationships, the root, a few references),
while ``spdx-tools`` alone pulls in a parser stack (rdflib, ply, xmltodict, beartype, ...) for
formats we do not accept. Package URLs are parsed with ``packageurl-python``.

Every reader returns a ``Document`` or raises ``SbomError`` naming the file, so ``fund ingest``
can check every file before it writes anything.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ossmetrics.errors import SbomError
from ossmetrics.fund.purls import ParsedPurl, github_repo, parse_purl

__all__ = ["CYCLONEDX_VERSIONS", "EDGE_KINDS", "Component", "Document", "read_document"]

CYCLONEDX_VERSIONS = ("1.4", "1.5", "1.6")
SPDX_VERSIONS = ("SPDX-2.3",)
EDGE_KINDS = ("runtime", "dev", "build", "optional", "test", "unknown")


def _as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


# SPDX relationship types: (kind, reversed?) -- "A X_DEPENDENCY_OF B" means B depends on A.
_SPDX_REL = {
    "DEPENDS_ON": ("unknown", False),
    "DEPENDENCY_OF": ("unknown", True),
    "RUNTIME_DEPENDENCY_OF": ("runtime", True),
    "DEV_DEPENDENCY_OF": ("dev", True),
    "BUILD_DEPENDENCY_OF": ("build", True),
    "OPTIONAL_DEPENDENCY_OF": ("optional", True),
    "TEST_DEPENDENCY_OF": ("test", True),
    "PROVIDED_DEPENDENCY_OF": ("build", True),
}


@dataclass
class Component:
    ref: str
    purl: ParsedPurl
    scope: str | None = None
    weight: float | None = None
    kind: str = "unknown"  # the kind of edge that leads to it when the format says per component


@dataclass
class Document:
    path: str
    format: str
    spec_version: str | None
    org_repo: str | None
    components: list[Component] = field(default_factory=list)
    # (parent package or None for the organisation repository, child package, kind)
    edges: list[tuple[str | None, str, str]] = field(default_factory=list)
    # (package, owner/name, provenance, confidence)
    links: list[tuple[str, str, str, float]] = field(default_factory=list)
    skipped: int = 0  # components without a package URL (files, the root, unnamed)

    @property
    def flat(self) -> bool:
        """No edge between two components: only "the repository uses these" is known."""
        return not any(p is not None for p, _, _ in self.edges)


def read_document(path: Path, *, org_repo: str | None = None) -> Document:
    """Read one input file, whatever its format; ``SbomError`` naming the file if it cannot."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SbomError(str(path), f"cannot read: {exc.strerror}", "check the path") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SbomError(str(path), "is not UTF-8 text (an SBOM must be JSON)") from None
    stripped = text.lstrip()
    if not stripped:
        raise SbomError(str(path), "is empty")
    if stripped.startswith("<"):
        raise SbomError(
            str(path),
            "is XML; only JSON SBOMs are read",
            "export CycloneDX as JSON (e.g. cyclonedx-npm --output-format JSON)",
        )
    if stripped[0] in "{[":
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SbomError(
                str(path),
                f"malformed or truncated JSON at line {exc.lineno} column {exc.colno} ({exc.msg})",
            ) from None
        return _from_json(path, obj, org_repo)
    return _purl_list(path, text, org_repo)


def _from_json(path: Path, obj: Any, org_repo: str | None) -> Document:
    if isinstance(obj, dict) and obj.get("bomFormat") == "CycloneDX":
        return _cyclonedx(path, obj, org_repo)
    if isinstance(obj, dict) and "spdxVersion" in obj:
        return _spdx(path, obj, org_repo, fmt="spdx")
    if isinstance(obj, dict) and isinstance(obj.get("sbom"), dict) and "spdxVersion" in obj["sbom"]:
        doc = _spdx(path, obj["sbom"], org_repo, fmt="github")
        # GitHub's export lists what the repository uses, without depth (even where it has
        # relationships between packages, they are not the resolved tree).
        doc.edges = [(None, c, k) for _, c, k in doc.edges if _ is None] or [
            (None, comp.purl.package, "unknown") for comp in doc.components
        ]
        return doc
    raise SbomError(
        str(path),
        "unknown SBOM format (neither CycloneDX nor SPDX JSON nor GitHub's dependency-graph export)",
        "give CycloneDX JSON 1.4-1.6, SPDX 2.3 JSON, GitHub's export or a purl list",
    )


def _parse(path: Path, text: Any, where: str) -> ParsedPurl:
    if not isinstance(text, str):
        raise SbomError(str(path), f"{where}: purl is not a string")
    try:
        return parse_purl(text)
    except ValueError as exc:
        raise SbomError(str(path), f"{where}: {exc}") from None


def _cdx_kind(comp: dict[str, Any]) -> str:
    props = {
        str(p.get("name", "")).lower(): str(p.get("value", "")).lower()
        for p in comp.get("properties") or []
        if isinstance(p, dict)
    }
    for name, value in props.items():
        if value == "true" and name.endswith((":development", ":dev", ":devdependency")):
            return "dev"
        if value == "true" and name.endswith(":test"):
            return "test"
    scope = comp.get("scope")
    if scope == "optional":
        return "optional"
    if scope == "excluded":  # CycloneDX: not part of the runtime (tests, tooling)
        return "dev"
    return "runtime"  # CycloneDX's default scope is "required"


def _cdx_components(items: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for c in items or []:
        if isinstance(c, dict):
            out.append(c)
            out.extend(_cdx_components(c.get("components")))
    return out


def _cyclonedx(path: Path, obj: dict[str, Any], org_repo: str | None) -> Document:
    version = str(obj.get("specVersion", ""))
    if version not in CYCLONEDX_VERSIONS:
        raise SbomError(
            str(path),
            f"CycloneDX spec version '{version}' is not supported (1.4-1.6 are)",
            "re-export with a current CycloneDX tool",
        )
    meta = _as_dict(obj.get("metadata"))
    root = _as_dict(meta.get("component"))
    root_ref = root.get("bom-ref")
    if org_repo is None:
        org_repo = _vcs(root.get("externalReferences")) or _repo_like(root.get("name"))
    doc = Document(str(path), "cyclonedx", version, org_repo)
    by_ref: dict[str, str] = {}
    for i, c in enumerate(_cdx_components(obj.get("components"))):
        if not c.get("purl"):
            doc.skipped += 1
            continue
        p = _parse(path, c["purl"], f"component {c.get('bom-ref') or i}")
        ref = str(c.get("bom-ref") or p.purl)
        by_ref[ref] = p.package
        doc.components.append(Component(ref, p, c.get("scope"), kind=_cdx_kind(c)))
        repo = _vcs(c.get("externalReferences"))
        if repo:
            doc.links.append((p.package, repo, "cyclonedx vcs", 0.7))
    kinds = {c.purl.package: c.kind for c in doc.components}
    deps = obj.get("dependencies")
    if isinstance(deps, list) and deps:
        has_root = False
        for d in deps:
            if not isinstance(d, dict):
                continue
            dref = d.get("ref")
            parent = None if dref == root_ref else by_ref.get(str(dref))
            if dref == root_ref:
                has_root = True
            elif parent is None:
                continue
            for child_ref in d.get("dependsOn") or []:
                child = by_ref.get(str(child_ref))
                if child is not None and child != parent:
                    doc.edges.append((parent, child, kinds.get(child, "unknown")))
        if not has_root:  # no root entry: every component is a dependency of the repository
            children = {c for _, c, _ in doc.edges}
            doc.edges += [(None, p, kinds[p]) for p in kinds if p not in children]
    else:
        doc.edges = [(None, p, k) for p, k in kinds.items()]
    return doc


def _spdx(path: Path, obj: dict[str, Any], org_repo: str | None, *, fmt: str) -> Document:
    version = str(obj.get("spdxVersion", ""))
    if version not in SPDX_VERSIONS:
        raise SbomError(
            str(path),
            f"SPDX version '{version}' is not supported (SPDX-2.3 JSON is)",
            "re-export as SPDX 2.3 JSON",
        )
    packages = obj.get("packages")
    if not isinstance(packages, list):
        raise SbomError(str(path), "SPDX document without a 'packages' list")
    rels = [r for r in obj.get("relationships") or [] if isinstance(r, dict)]
    roots = set(obj.get("documentDescribes") or [])
    roots |= {
        r.get("relatedSpdxElement")
        for r in rels
        if r.get("relationshipType") == "DESCRIBES" and r.get("spdxElementId") == obj.get("SPDXID")
    }
    doc = Document(str(path), fmt, version.removeprefix("SPDX-"), org_repo)
    by_id: dict[str, str] = {}
    for i, pk in enumerate(packages):
        if not isinstance(pk, dict):
            continue
        sid = str(pk.get("SPDXID") or i)
        if sid in roots:
            if doc.org_repo is None:
                doc.org_repo = github_repo(pk.get("downloadLocation")) or _repo_like(
                    str(pk.get("name", "")).removeprefix("com.github.")
                )
            continue
        purl = next(
            (
                e.get("referenceLocator")
                for e in pk.get("externalRefs") or []
                if isinstance(e, dict) and e.get("referenceType") == "purl"
            ),
            None,
        )
        if not purl:
            doc.skipped += 1
            continue
        p = _parse(path, purl, f"package {sid}")
        by_id[sid] = p.package
        doc.components.append(Component(sid, p, None))
        repo = github_repo(pk.get("downloadLocation"))
        if repo:
            doc.links.append((p.package, repo, "spdx downloadLocation", 0.6))
    if doc.org_repo is None:
        doc.org_repo = _repo_like(str(obj.get("name", "")).removeprefix("com.github."))
    for r in rels:
        kind_rev = _SPDX_REL.get(str(r.get("relationshipType")))
        if kind_rev is None:
            continue
        kind, rev = kind_rev
        a, b = str(r.get("spdxElementId")), str(r.get("relatedSpdxElement"))
        parent_id, child_id = (b, a) if rev else (a, b)
        child = by_id.get(child_id)
        if child is None:
            continue
        parent = None if parent_id in roots else by_id.get(parent_id)
        if parent is None and parent_id not in roots:
            continue
        if parent != child:
            doc.edges.append((parent, child, kind))
    children = {c for _, c, _ in doc.edges}
    # packages no relationship reaches are still used by the repository (flat listing)
    doc.edges += [(None, p, "unknown") for p in dict.fromkeys(by_id.values()) if p not in children]
    return doc


def _purl_list(path: Path, text: str, org_repo: str | None) -> Document:
    doc = Document(str(path), "purls", None, org_repo)
    for n, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.replace(",", " ").replace("\t", " ").split()
        for i, part in enumerate(parts[1:], 1):  # a trailing "# comment"
            if part.startswith("#"):
                parts = parts[:i]
                break
        if not parts[0].startswith("pkg:"):
            raise SbomError(
                str(path),
                f"line {n}: '{parts[0][:60]}' is not a package URL, and the file is not JSON",
                "give one package URL a line (pkg:TYPE/NAME), optionally followed by a weight",
            )
        p = _parse(path, parts[0], f"line {n}")
        weight = None
        if len(parts) > 1:
            try:
                weight = float(parts[1])
            except ValueError:
                raise SbomError(
                    str(path), f"line {n}: weight '{parts[1]}' is not a number"
                ) from None
            if not weight > 0:
                raise SbomError(str(path), f"line {n}: weight must be positive, not {parts[1]}")
        doc.components.append(Component(p.purl, p, None, weight))
        doc.edges.append((None, p.package, "unknown"))
    if not doc.components:
        raise SbomError(str(path), "holds no package URL")
    return doc


def _vcs(refs: Any) -> str | None:
    for e in refs or []:
        if isinstance(e, dict) and e.get("type") == "vcs":
            repo = github_repo(e.get("url"))
            if repo:
                return repo
    return None


def _repo_like(name: Any) -> str | None:
    if isinstance(name, str) and name.count("/") == 1 and " " not in name:
        return github_repo("https://github.com/" + name) or None
    return None
