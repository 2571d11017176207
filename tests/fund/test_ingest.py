"""SBOM and purl-list ingest: every format, the stored shape, and bad input refused whole."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ossmetrics.errors import SbomError
from ossmetrics.fund.ingest import ingest
from ossmetrics.fund.links import best_links, pin_link, unresolved
from ossmetrics.fund.sbom import read_document
from tests.fund.conftest import FIXTURES


def test_cyclonedx_components_edges_kinds_and_root() -> None:
    d = read_document(FIXTURES / "app-web.cdx.json")
    assert (d.format, d.spec_version, d.org_repo, d.flat) == (
        "cyclonedx",
        "1.5",
        "acme/app-web",
        False,
    )
    assert [c.purl.package for c in d.components] == [
        "pkg:npm/a", "pkg:npm/%40scope/core", "pkg:npm/c", "pkg:npm/d", "pkg:npm/jest",
    ]  # fmt: skip
    assert d.skipped == 1  # the LICENSE file component has no purl
    assert set(d.edges) == {
        (None, "pkg:npm/a", "runtime"),
        (None, "pkg:npm/%40scope/core", "runtime"),
        (None, "pkg:npm/jest", "dev"),
        ("pkg:npm/a", "pkg:npm/c", "runtime"),
        ("pkg:npm/a", "pkg:npm/d", "runtime"),
        ("pkg:npm/%40scope/core", "pkg:npm/c", "runtime"),
        ("pkg:npm/jest", "pkg:npm/d", "runtime"),
    }
    assert d.links == [("pkg:npm/a", "alib/a", "cyclonedx vcs", 0.7)]


def test_spdx_relationship_kinds_and_pep503_names() -> None:
    d = read_document(FIXTURES / "app-api.spdx.json")
    assert (d.format, d.org_repo, d.flat) == ("spdx", "acme/app-api", False)
    assert set(d.edges) == {
        (None, "pkg:npm/c", "unknown"),
        (None, "pkg:pypi/e-lib", "unknown"),  # E_Lib normalised
        ("pkg:pypi/e-lib", "pkg:golang/github.com/flib/f", "runtime"),
        (None, "pkg:pypi/pytest", "test"),
    }
    assert ("pkg:pypi/e-lib", "elib/e", "spdx downloadLocation", 0.6) in d.links


def test_github_export_is_flat_and_names_its_repository() -> None:
    d = read_document(FIXTURES / "app-cli.github.json")
    assert (d.format, d.org_repo, d.flat) == ("github", "acme/app-cli", True)
    assert sorted(d.edges) == [(None, "pkg:cargo/g", "unknown"), (None, "pkg:npm/c", "unknown")]


def test_purl_list_with_weights() -> None:
    d = read_document(FIXTURES / "tools.purls", org_repo="acme/tools")
    assert [(c.purl.package, c.weight) for c in d.components] == [
        ("pkg:npm/c", 2.0), ("pkg:pypi/e-lib", 1.5), ("pkg:cargo/g", None),
    ]  # fmt: skip
    assert d.flat and d.org_repo == "acme/tools"


def test_ingest_stores_everything_and_is_idempotent(con) -> None:
    r = ingest(con, [FIXTURES])
    assert (r.documents, r.components, r.flat) == (4, 14, 2)
    assert r.repos == ["acme/app-api", "acme/app-cli", "acme/app-web"]
    again = ingest(con, [FIXTURES])
    assert again.replaced == 4
    assert con.execute("SELECT count(*) FROM fund_documents").fetchone() == (4,)
    assert con.execute("SELECT count(*) FROM fund_components").fetchone() == (14,)
    assert con.execute("SELECT count(*) FROM fund_edges").fetchone() == (r.edges,)
    row = con.execute(
        "SELECT ecosystem, name, version FROM fund_components WHERE purl = 'pkg:npm/%40scope/core@2.0.0'"
    ).fetchone()
    assert row == ("npm", "@scope/core", "2.0.0")


def test_pin_survives_reingest_and_unresolved_are_listed(con) -> None:
    ingest(con, [FIXTURES])
    assert "pkg:cargo/g" in set(unresolved(con)["package"])
    pin_link(con, "pkg:cargo/g@0.9.0", "Glib/G")
    pin_link(con, "pkg:npm/a", "alib/a-fork")  # a correction over the SBOM's vcs link
    ingest(con, [FIXTURES])
    best = best_links(con).set_index("package")
    assert best.loc["pkg:cargo/g", "repo"] == "glib/g" and bool(best.loc["pkg:cargo/g", "pinned"])
    assert best.loc["pkg:npm/a", "repo"] == "alib/a-fork"
    # the SBOM's candidate is still kept
    assert con.execute(
        "SELECT count(*) FROM fund_links WHERE package = 'pkg:npm/a' AND repo = 'alib/a'"
    ).fetchone() == (1,)
    left = set(unresolved(con)["package"])
    assert "pkg:cargo/g" not in left and {"pkg:npm/jest", "pkg:pypi/pytest"} <= left


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": [',
            "truncated JSON at line 1",
        ),
        (
            '{"bomFormat": "CycloneDX", "specVersion": "1.2", "components": []}',
            "spec version '1.2'",
        ),
        ('{"spdxVersion": "SPDX-2.2", "packages": []}', "SPDX version 'SPDX-2.2'"),
        ('{"hello": "world"}', "unknown SBOM format"),
        ("pkg:npm/ok@1\nnot-a-purl\n", "line 2"),
        (
            '{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [{"purl": "pkg:"}]}',
            "component 0",
        ),
        ("pkg:npm/ok@1 -3\n", "weight must be positive"),
        ("<bom/>", "is XML"),
    ],
)
def test_bad_input_is_one_error_naming_the_file_and_nothing_is_written(
    con, tmp_path: Path, text: str, message: str
) -> None:
    good = tmp_path / "a-good.cdx.json"
    shutil.copy(FIXTURES / "app-web.cdx.json", good)
    bad = tmp_path / "z-bad.json"
    bad.write_text(text)
    with pytest.raises(SbomError) as err:
        ingest(con, [good, bad])
    assert str(bad) in err.value.one_line() and message in err.value.one_line()
    assert "\n" not in err.value.one_line()
    assert con.execute("SELECT count(*) FROM fund_documents").fetchone() == (0,)
    assert con.execute("SELECT count(*) FROM fund_components").fetchone() == (0,)


def test_cli_ingest_and_bad_file(cli, tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    r = cli("--db", str(db), "fund", "ingest", str(FIXTURES))
    assert r.returncode == 0, r.stderr
    assert "ingested 4 document(s) (2 without depth), 14 components" in r.stdout
    bad = tmp_path / "cut.json"
    bad.write_text(json.dumps(json.loads((FIXTURES / "app-web.cdx.json").read_text()))[:200])
    r = cli("--db", str(db), "fund", "ingest", str(bad))
    assert r.returncode == 1
    assert r.stderr.count("\n") == 1 and str(bad) in r.stderr and "Traceback" not in r.stderr
