"""Package -> repository links straight from PyPI, npm, crates.io and RubyGems, against the
local server: every URL form, npm's scoped-name escaping, 404 as unresolved, 429 then 200,
garbage as a warning naming the package, the cache and --offline, pins winning, and no
connection beyond 127.0.0.1."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ossmetrics.fund.enrich import enrich
from ossmetrics.fund.ingest import ingest
from ossmetrics.fund.links import best_links, pin_link, unresolved
from tests.fund.fake_services import FakePackage, FakeServices
from tests.fund.payloads import crate, gem, npm_packument, pypi_json

PURLS = """\
pkg:pypi/Foo_Bar@1.0.0
pkg:pypi/homeonly@2.0.0
pkg:npm/plain@1.0.0
pkg:npm/object@1.0.0
pkg:npm/short@1.0.0
pkg:npm/bare@1.0.0
pkg:npm/elsewhere@1.0.0
pkg:npm/%40scope/pkg@1.0.0
pkg:npm/ghost@1.0.0
pkg:cargo/serde@1.0.0
pkg:gem/rack@3.0.0
pkg:golang/github.com/go/mod@v1.0.0
"""

REGISTRY = {
    "/pypi/foo-bar/json": pypi_json(
        "Foo_Bar",
        {
            "Home page": "https://github.com/foo/home",
            "Source Code": "https://github.com/foo/bar",
            "Bug Tracker": "https://github.com/foo/tracker/issues",
        },
    ),
    "/pypi/homeonly/json": pypi_json("homeonly", None, home_page="https://github.com/h/only"),
    "/npm/plain": npm_packument("plain", "git+https://github.com/o/plain.git"),
    "/npm/object": npm_packument(
        "object", {"type": "git", "url": "git://github.com/o/mono.git", "directory": "pkgs/object"}
    ),
    "/npm/short": npm_packument("short", "github:o/short"),
    "/npm/bare": npm_packument("bare", "o/bare", homepage="https://bare.example.org"),
    "/npm/elsewhere": npm_packument("elsewhere", "gitlab:o/elsewhere"),
    "/npm/@scope%2Fpkg": npm_packument(
        "@scope/pkg", {"type": "git", "url": "https://github.com/scope/pkg"}
    ),
    "/api/v1/crates/serde": crate("serde", "https://github.com/serde-rs/serde", "https://serde.rs"),
    "/api/v1/gems/rack.json": gem(
        "rack", "https://github.com/rack/rack", "https://github.com/rack/home"
    ),
}

EXPECTED = {
    "pkg:pypi/foo-bar": ("foo/bar", 0.7, "registry:pypi:PyPI project_urls Source Code"),
    "pkg:pypi/homeonly": ("h/only", 0.5, "registry:pypi:PyPI home_page"),
    "pkg:npm/plain": ("o/plain", 0.7, "registry:npm:npm repository"),
    "pkg:npm/object": ("o/mono", 0.7, "registry:npm:npm repository"),
    "pkg:npm/short": ("o/short", 0.7, "registry:npm:npm repository"),
    "pkg:npm/bare": ("o/bare", 0.7, "registry:npm:npm repository"),
    "pkg:npm/%40scope/pkg": ("scope/pkg", 0.7, "registry:npm:npm repository"),
    "pkg:cargo/serde": ("serde-rs/serde", 0.7, "registry:crates:crates.io repository"),
    "pkg:gem/rack": ("rack/rack", 0.7, "registry:rubygems:RubyGems source_code_uri"),
    "pkg:golang/github.com/go/mod": ("go/mod", 0.9, "purl:go module path"),
}


def _run(con: Any, s: FakeServices, sleeps: list[float] | None = None, **kw: Any) -> Any:
    return enrich(
        con, depsdev_url=s.url, ecosystems_url=s.url, registry_urls=s.registry_urls,
        sleep=(sleeps.append if sleeps is not None else (lambda _x: None)), **kw,
    )  # fmt: skip


@pytest.fixture
def store(con: Any, tmp_path: Path) -> Any:
    f = tmp_path / "org.purls"
    f.write_text(PURLS)
    ingest(con, [f], org_repo="org/app")
    return con


@pytest.fixture
def reg() -> Any:
    with FakeServices([], page_size=100) as s:
        s.registry.update(REGISTRY)
        yield s


def _best(con: Any) -> dict[str, tuple[str, float, str]]:
    return {
        r.package: (r.repo, round(r.confidence, 2), r.provenance)
        for r in best_links(con).itertuples()
    }


def _registry_paths(s: FakeServices) -> list[str]:
    return [p for m, p, _ in s.requests if m == "GET" and not p.startswith("/v3")]


def test_each_url_form_gives_its_link_with_provenance(store: Any, reg: FakeServices) -> None:
    res = _run(store, reg)
    assert _best(store) == EXPECTED
    # the Home page label and home pages are kept as weaker candidates, never read first
    weak = store.execute(
        "SELECT repo, provenance, confidence FROM fund_links WHERE package = 'pkg:pypi/foo-bar' "
        "ORDER BY repo"
    ).fetchall()
    assert weak == [("foo/bar", "PyPI project_urls Source Code", 0.7),
                    ("foo/home", "PyPI project_urls Home page", 0.5)]  # fmt: skip
    # the Go module names its repository at 0.9: never asked; the scoped name escaped as npm
    # does. deps.dev: one purl batch, and 12 dependency graphs (a purl list is flat)
    assert sorted(_registry_paths(reg)) == sorted(
        ["/pypi/foo-bar/json", "/pypi/homeonly/json", "/npm/plain", "/npm/object", "/npm/short",
         "/npm/bare", "/npm/elsewhere", "/npm/@scope%2Fpkg", "/npm/ghost",
         "/api/v1/crates/serde", "/api/v1/gems/rack.json"]
    )  # fmt: skip
    assert res.requests == {"ecosyste.ms": 1, "deps.dev": 13, "PyPI": 2, "npm": 7,
                            "crates.io": 1, "RubyGems": 1}  # fmt: skip
    # crates.io requires a User-Agent naming the client
    agent = next(m["agent"] for m in reg.seen if m["path"] == "/api/v1/crates/serde")
    assert agent.startswith("ossmetrics/")
    # 404 and a gitlab shorthand: no link, still listed as unresolved (not dropped)
    left = unresolved(store)
    assert set(left["package"]) == {"pkg:npm/ghost", "pkg:npm/elsewhere"}
    assert store.execute(
        "SELECT status FROM fund_cache WHERE source = 'npm' AND key = 'pkg:npm/ghost'"
    ).fetchone() == (404,)


def test_cache_offline_and_pins(store: Any, reg: FakeServices) -> None:
    _run(store, reg)
    n = len(reg.requests)
    _run(store, reg)  # everything cached and fresh: the registries are not asked again
    assert len(reg.requests) == n
    # only the trimmed fields are cached (a packument can weigh megabytes)
    payload = store.execute(
        "SELECT payload FROM fund_cache WHERE source = 'npm' AND key = 'pkg:npm/plain'"
    ).fetchone()[0]
    assert "versions" not in payload and "git+https://github.com/o/plain.git" in payload
    # a user's pin wins, survives enrich, and keeps its package from being asked
    pin_link(store, "pkg:npm/plain", "someone/else")
    store.execute("DELETE FROM fund_cache WHERE source = 'npm' AND key = 'pkg:npm/plain'")
    before = len(_registry_paths(reg))
    _run(store, reg)
    assert len(_registry_paths(reg)) == before
    assert _best(store)["pkg:npm/plain"] == ("someone/else", 1.0, "pinned by a user")
    # offline: no request at all; the links come back from the cache alone
    store.execute("DELETE FROM fund_links WHERE source LIKE 'registry:%'")
    n = len(reg.requests)
    res = _run(store, reg, offline=True)
    assert len(reg.requests) == n and res.requests == {}
    assert _best(store)["pkg:cargo/serde"] == EXPECTED["pkg:cargo/serde"]


def test_429_then_200_honours_retry_after(store: Any, reg: FakeServices) -> None:
    reg.fail(r"^/api/v1/crates/serde$", 429, times=1, retry_after="3")
    sleeps: list[float] = []
    _run(store, reg, sleeps)
    assert sleeps == [3.0]
    assert reg.count(r"^/api/v1/crates/serde$") == 2
    assert _best(store)["pkg:cargo/serde"] == EXPECTED["pkg:cargo/serde"]


def test_garbage_json_is_a_warning_naming_the_package(store: Any, reg: FakeServices) -> None:
    reg.registry["/npm/plain"] = "<html>502 Bad Gateway</html>"
    reg.registry["/pypi/homeonly/json"] = '["not", "an", "object"]'
    sleeps: list[float] = []
    res = _run(store, reg, sleeps)
    assert res.warnings == [
        "npm pkg:npm/plain: the registry answered with malformed JSON; no link from it this "
        "run (`fund enrich` asks again)",
        "PyPI pkg:pypi/homeonly: the registry's answer is not a JSON object; no link from it "
        "this run (`fund enrich` asks again)",
    ]
    assert sleeps == [] and reg.count(r"^/npm/plain$") == 1  # no retry for a broken page
    best = _best(store)
    assert "pkg:npm/plain" not in best and best["pkg:npm/short"] == EXPECTED["pkg:npm/short"]
    assert "pkg:npm/plain" in set(unresolved(store)["package"])
    # nothing cached for it: the next run asks again and completes the work
    reg.registry.update(REGISTRY)
    res = _run(store, reg)
    assert res.warnings == [] and reg.count(r"^/npm/plain$") == 2
    assert _best(store) == EXPECTED


def test_no_connection_beyond_localhost(store: Any) -> None:
    """The guard is live: a registry URL elsewhere fails inside the code under test."""
    with FakeServices([]) as s, pytest.raises(AssertionError, match=r"tests stay on 127\.0\.0\.1"):
        enrich(store, depsdev_url=s.url, ecosystems_url=s.url,
               registry_urls={"crates": "http://192.0.2.1"}, sleep=lambda _x: None)  # fmt: skip


def test_cli_reads_registry_urls_from_the_environment(cli: Any, tmp_path: Path) -> None:
    f = tmp_path / "org.purls"
    f.write_text(PURLS)
    db = tmp_path / "s.duckdb"
    assert cli("--db", str(db), "fund", "ingest", "--repo", "org/app", str(f)).returncode == 0
    with FakeServices([]) as s:
        s.registry.update(REGISTRY)
        urls = s.registry_urls
        env = {"OSSMETRICS_DEPSDEV_URL": s.url, "OSSMETRICS_ECOSYSTEMS_URL": s.url,
               "OSSMETRICS_PYPI_URL": urls["pypi"], "OSSMETRICS_NPM_URL": urls["npm"],
               "OSSMETRICS_CRATES_URL": urls["crates"], "OSSMETRICS_RUBYGEMS_URL": urls["rubygems"]}  # fmt: skip
        r = cli("--db", str(db), "fund", "enrich", env=env)
        assert r.returncode == 0, r.stderr
        assert (
            "requests: ecosyste.ms 1, deps.dev 13, PyPI 2, npm 7, crates.io 1, RubyGems 1"
            in r.stdout
        )
        r = cli("--db", str(db), "fund", "links", "--unresolved")
    assert r.stdout.splitlines() == [
        "pkg:npm/elsewhere\tunresolved\tused by 1 repositories",
        "pkg:npm/ghost\tunresolved\tused by 1 repositories",
    ]


def test_packages_linked_at_060_or_more_are_not_asked(store: Any) -> None:
    known = [
        FakePackage("pkg:npm/plain", "1.0.0", repo="dep/plain"),  # deps.dev unverified: 0.60
        FakePackage(
            "pkg:npm/short", "1.0.0", repo="dep/short", provenance="UNKNOWN", in_ecosystems=False
        ),  # 0.40 only: still asked
    ]
    with FakeServices(known, page_size=100) as s:
        s.registry.update(REGISTRY)
        _run(s=s, con=store)
        paths = _registry_paths(s)
    assert "/npm/plain" not in paths and "/npm/short" in paths
    best = _best(store)
    assert best["pkg:npm/plain"] == (
        "dep/plain",
        0.6,
        "depsdev:UNVERIFIED_METADATA, ecosystems:repository_url",
    )
    assert best["pkg:npm/short"] == EXPECTED["pkg:npm/short"]


def test_another_4xx_concerns_that_package_only(store: Any, reg: FakeServices) -> None:
    reg.fail(r"^/npm/short$", 400, times=1)
    res = _run(store, reg)
    assert res.warnings == [
        "npm pkg:npm/short: the registry answered HTTP 400; no link from it this run "
        "(`fund enrich` asks again)"
    ]
    best = _best(store)
    assert "pkg:npm/short" not in best and best["pkg:npm/bare"] == EXPECTED["pkg:npm/bare"]
    _run(store, reg)  # not cached: asked again, and linked
    assert _best(store) == EXPECTED
