"""Registry-metadata links (PEP 753 labels, npm, crates.io) and the link/select/importance
commands end to end."""

from __future__ import annotations

from pathlib import Path

from ossmetrics.fund.links import depsdev_candidates, registry_candidates
from ossmetrics.tracking import load_tracked
from tests.fund.conftest import FIXTURES


def test_pep753_labels_npm_and_crates() -> None:
    pypi = {"info": {"project_urls": {"Source Code": "https://github.com/Enc/HttpX",
                                      "Documentation": "https://github.com/enc/docs-site",
                                      "Home-Page": "https://github.com/enc/home"}}}  # fmt: skip
    got = registry_candidates("pkg:pypi/httpx", "pypi", pypi)
    assert got == [
        ("pkg:pypi/httpx", "enc/httpx", "registry", "PyPI project_urls Source Code", 0.7),
        ("pkg:pypi/httpx", "enc/home", "registry", "PyPI project_urls Home-Page", 0.5),
    ]
    npm = {"repository": {"type": "git", "url": "git+ssh://git@github.com/moment/moment.git"}}
    assert registry_candidates("pkg:npm/moment", "npm", npm)[0][1] == "moment/moment"
    assert registry_candidates("pkg:npm/x", "npm", {"repository": "github:a/b"})[0][1] == "a/b"
    crates = {"crate": {"repository": "https://github.com/sharkdp/bat"}}
    assert registry_candidates("pkg:cargo/bat", "cargo", crates)[0][1:3] == (
        "sharkdp/bat",
        "registry",
    )
    assert registry_candidates("pkg:npm/x", "npm", {"repository": "https://gitlab.com/a/b"}) == []


def test_depsdev_related_projects_provenance() -> None:
    version = {"relatedProjects": [
        {"projectKey": {"id": "github.com/a/b"}, "relationProvenance": "SLSA_ATTESTATION", "relationType": "SOURCE_REPO"},
        {"projectKey": {"id": "github.com/a/issues"}, "relationProvenance": "UNVERIFIED_METADATA", "relationType": "ISSUE_TRACKER"},
        {"projectKey": {"id": "gitlab.com/c/d"}, "relationProvenance": "UNVERIFIED_METADATA", "relationType": "SOURCE_REPO"},
    ]}  # fmt: skip
    assert depsdev_candidates("pkg:npm/b", version) == [
        ("pkg:npm/b", "a/b", "depsdev", "SLSA_ATTESTATION", 0.95)
    ]


def test_cli_link_links_importance_select(cli, tmp_path: Path) -> None:
    db, cfg = tmp_path / "s.duckdb", tmp_path / "ossmetrics.toml"
    base = ("--db", str(db), "--config", str(cfg))
    assert cli(*base, "fund", "ingest", str(FIXTURES)).returncode == 0
    r = cli(*base, "fund", "links", "--unresolved")
    assert r.returncode == 0 and "pkg:cargo/g\tunresolved\tused by 2 repositories" in r.stdout
    r = cli(*base, "fund", "link", "pkg:cargo/g@0.9.0", "glib/g")
    assert r.returncode == 0 and "pkg:cargo/g -> glib/g (pinned)" in r.stdout
    r = cli(*base, "fund", "link", "not-a-purl", "glib/g")
    assert r.returncode == 2 and "not a package URL" in r.stderr
    r = cli(*base, "fund", "importance")
    assert r.returncode == 0, r.stderr
    head, *body = (line.split("\t") for line in r.stdout.splitlines())
    table = {row[0]: dict(zip(head, row, strict=True)) for row in body}
    assert table["glib/g"]["exposure"] == "50.0"  # 2 of 4 repositories (flat SBOMs: counts)
    assert table["glib/g"]["reach"] == ""  # no usage signal: unknown, not 0
    r = cli(*base, "fund", "select", "--top", "2")
    assert r.returncode == 0, r.stderr
    tracked = [t.name for t in load_tracked(cfg)]
    # linked without enrich: e (SPDX downloadLocation) and g (pinned) in 2 of 4 repositories,
    # a (CycloneDX vcs) and f (Go module path) in 1; ties by name
    assert tracked == ["elib/e", "glib/g"]
    r = cli(*base, "fund", "select", "--top", "1")
    assert [t.name for t in load_tracked(cfg)] == ["elib/e", "glib/g", "alib/a"]
