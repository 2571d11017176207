"""fund enrich against the local deps.dev + ecosyste.ms: batching, paging, encoding, backoff,
unknown packages as NULL, the offline cache, and failures that leave the store whole."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ossmetrics.errors import ServiceError
from ossmetrics.fund.enrich import enrich
from ossmetrics.fund.ingest import ingest
from tests.fund.conftest import FIXTURES
from tests.fund.fake_services import FakeServices


def _run(con: Any, s: FakeServices, sleeps: list[float] | None = None, **kw: Any) -> Any:
    return enrich(
        con, depsdev_url=s.url, ecosystems_url=s.url,
        sleep=(sleeps.append if sleeps is not None else (lambda _x: None)), **kw,
    )  # fmt: skip


def _signal(con: Any, package: str, source: str, signal: str) -> Any:
    row = con.execute(
        "SELECT value, detail FROM fund_signals WHERE package = ? AND source = ? AND signal = ?",
        [package, source, signal],
    ).fetchone()
    return row


@pytest.fixture
def store(con):
    ingest(con, [FIXTURES])
    con.execute("INSERT INTO repos (full_name, owner, name) VALUES ('scope/core', 'scope', 'core')")
    return con


def test_batches_pages_and_signals(store, services: FakeServices) -> None:
    res = _run(store, services, mailto="funds@example.org")
    # 9 packages: one ecosyste.ms bulk request; the deps.dev batch answered 2 a page -> 5 pages
    assert services.count(r"^/api/v1/packages/bulk_lookup$") == 1
    assert services.count(r"^/v3alpha/purlbatch$") == 5
    tokens = [b.get("pageToken") for m, p, b in services.requests if p == "/v3alpha/purlbatch"]
    assert tokens == [None, "2", "4", "6", "8"]
    # the flat SBOMs' direct packages get their dependency graphs asked (one request each);
    # dependents only for the package linked to a repository in the store, name encoded whole,
    # in one request: the purl batch said the version used (2.0.0) is the default
    gets = [p for m, p, _ in services.requests if m == "GET"]
    assert gets == [
        "/v3/systems/CARGO/packages/g/versions/0.9.0:dependencies",
        "/v3/systems/NPM/packages/c/versions/3.0.0:dependencies",
        "/v3alpha/systems/NPM/packages/%40scope%2Fcore/versions/2.0.0:dependents",
    ]
    assert res.requests == {"ecosyste.ms": 1, "deps.dev": 8}
    assert dict(res.by_kind) == {"ecosyste.ms": 1, "deps.dev purlbatch": 5,
                                 "deps.dev dependencies": 2, "deps.dev dependents": 1}  # fmt: skip
    assert _signal(store, "pkg:npm/%40scope/core", "depsdev", "dependents") == (1000.0, "2.0.0")
    assert _signal(store, "pkg:npm/%40scope/core", "depsdev", "indirect_dependents") == (
        900.0,
        "2.0.0",
    )
    assert _signal(store, "pkg:npm/c", "ecosystems", "downloads") == (2_000_000.0, "last-month")
    assert _signal(store, "pkg:npm/%40scope/core", "ecosystems", "critical") == (1.0, None)
    assert _signal(store, "pkg:npm/%40scope/core", "ecosystems", "rank_downloads") == (1.5, None)
    # polite identification: mailto as a query parameter and in the User-Agent
    bulk = next(m for m in services.seen if m["path"] == "/api/v1/packages/bulk_lookup")
    assert bulk["query"] == {"mailto": ["funds@example.org"]}
    assert "mailto:funds@example.org" in bulk["agent"]
    # links from deps.dev relatedProjects with their provenance
    prov = store.execute(
        "SELECT provenance, confidence FROM fund_links WHERE package = 'pkg:npm/a' AND source = 'depsdev'"
    ).fetchone()
    assert prov == ("SLSA_ATTESTATION", 0.95)
    assert store.execute("SELECT url FROM fund_funding").fetchall() == [
        ("https://opencollective.com/alib",)
    ]


def test_dependents_of_a_version_that_is_not_the_default_ask_for_the_default(
    store, services: FakeServices
) -> None:
    services.packages["pkg:npm/%40scope/core"].default_version = "2.1.0"
    _run(store, services, graphs=False)
    gets = [p for m, p, _ in services.requests if m == "GET"]
    assert gets == [
        "/v3/systems/NPM/packages/%40scope%2Fcore",
        "/v3alpha/systems/NPM/packages/%40scope%2Fcore/versions/2.1.0:dependents",
    ]
    assert _signal(store, "pkg:npm/%40scope/core", "depsdev", "dependents") == (1000.0, "2.1.0")


def test_unknown_is_null_never_zero(store, services: FakeServices) -> None:
    _run(store, services, dependents="all")
    # d is unknown to ecosyste.ms: no ecosyste.ms signal at all; g unknown to both
    assert store.execute(
        "SELECT count(*) FROM fund_signals WHERE package IN ('pkg:npm/d', 'pkg:cargo/g') AND source = 'ecosystems'"
    ).fetchone() == (0,)
    assert store.execute(
        "SELECT status FROM fund_cache WHERE source = 'ecosystems' AND key = 'pkg:npm/d'"
    ).fetchone() == (404,)
    # e-lib: deps.dev answers with null counts -> NULL, not 0
    assert _signal(store, "pkg:pypi/e-lib", "depsdev", "dependents") == (None, "0.4.0")
    # a: downloads known, scope/core downloads null -> NULL
    assert _signal(store, "pkg:npm/%40scope/core", "ecosystems", "downloads")[0] is None
    assert store.execute(
        "SELECT count(*) FROM fund_signals WHERE value = 0 AND signal NOT LIKE 'critical'"
    ).fetchone() == (0,)


def test_429_then_200_honours_retry_after(store, services: FakeServices) -> None:
    services.fail(r"bulk_lookup", 429, times=1, retry_after="7")
    services.fail(r"purlbatch", 503, times=1)
    sleeps: list[float] = []
    _run(store, services, sleeps)
    assert sleeps[0] == 7.0 and sleeps[1] == 1.0  # Retry-After, then exponential backoff (2**0)
    assert services.count("bulk_lookup") == 2
    assert _signal(store, "pkg:npm/c", "ecosystems", "downloads")[0] == 2_000_000.0


def test_stale_cache_offline_uses_it_without_requests(store, services: FakeServices) -> None:
    _run(store, services)
    old = datetime.now(UTC) - timedelta(days=400)
    store.execute("UPDATE fund_cache SET fetched_at = ?", [old])
    n = len(services.requests)
    res = _run(store, services, offline=True)
    assert len(services.requests) == n and res.requests == {}
    assert _signal(store, "pkg:npm/c", "ecosystems", "downloads")[0] == 2_000_000.0
    as_of = store.execute("SELECT min(as_of) FROM fund_signals").fetchone()[0]
    assert as_of.date() == old.date()  # the signal says how old it is
    # online again: the stale entries are fetched anew
    _run(store, services)
    assert services.count("bulk_lookup") == 2


def test_offline_with_empty_cache_gives_nulls(store, services: FakeServices) -> None:
    res = _run(store, services, offline=True)
    assert services.requests == [] and res.signals == 0


def test_garbage_json_fails_cleanly_and_next_run_completes(store, services: FakeServices) -> None:
    services.fail(r"purlbatch", 200, times=10, body="{not json")
    with pytest.raises(ServiceError) as err:
        _run(store, services)
    assert "deps.dev" in err.value.one_line() and "malformed JSON" in err.value.one_line()
    # ecosyste.ms answers were cached and are kept; nothing derived half-way
    assert store.execute(
        "SELECT count(*) FROM fund_cache WHERE source = 'ecosystems'"
    ).fetchone() == (9,)
    assert store.execute("SELECT count(*) FROM fund_signals").fetchone() == (0,)
    services._faults.clear()
    _run(store, services)
    assert services.count("bulk_lookup") == 1  # the cached batch is not fetched again
    assert _signal(store, "pkg:npm/c", "ecosystems", "downloads")[0] == 2_000_000.0


def test_cli_enrich_reads_base_urls_from_environment(cli, tmp_path, services: FakeServices) -> None:
    db = tmp_path / "s.duckdb"
    assert cli("--db", str(db), "fund", "ingest", str(FIXTURES)).returncode == 0
    urls = services.registry_urls
    env = {"OSSMETRICS_DEPSDEV_URL": services.url, "OSSMETRICS_ECOSYSTEMS_URL": services.url,
           "OSSMETRICS_PYPI_URL": urls["pypi"], "OSSMETRICS_NPM_URL": urls["npm"],
           "OSSMETRICS_CRATES_URL": urls["crates"], "OSSMETRICS_RUBYGEMS_URL": urls["rubygems"]}  # fmt: skip
    r = cli("--db", str(db), "fund", "enrich", env=env)
    assert r.returncode == 0, r.stderr
    # 5 purl-batch pages + 2 graphs; the registries asked only for the packages without a link
    # of 0.60 or more (jest, pytest, g: unknown to both services), none of which they know
    assert (
        "9 packages; requests: ecosyste.ms 1, deps.dev 7, PyPI 1, npm 1, crates.io 1;" in r.stdout
    )
    # neither c@3.0.0 nor g@0.9.0 has a graph on this server: both flat SBOMs still fall back
    assert (
        "flat SBOMs with depth from deps.dev: none; still without depth: "
        f"{FIXTURES / 'app-cli.github.json'}, {FIXTURES / 'tools.purls'}" in r.stdout
    )
    r = cli(
        "--db",
        str(db),
        "fund",
        "enrich",
        "--offline",
        env={"OSSMETRICS_DEPSDEV_URL": "http://127.0.0.1:9"},
    )
    assert r.returncode == 0 and "none (offline)" in r.stdout


def test_garbage_values_in_an_answer_are_warned_and_kept_unknown(store, services) -> None:
    services.packages["pkg:npm/c"].downloads = "lots"  # type: ignore[assignment]
    services.packages["pkg:npm/a"].dependent_packages = -5
    res = _run(store, services)
    assert "ecosyste.ms pkg:npm/c: downloads 'lots' is not a count; kept unknown" in res.warnings
    assert (
        "ecosyste.ms pkg:npm/a: dependent_packages_count '-5' is not a count; kept unknown"
        in res.warnings
    )
    assert _signal(store, "pkg:npm/c", "ecosystems", "downloads")[0] is None
    assert _signal(store, "pkg:npm/c", "ecosystems", "dependent_packages")[0] == 850.0
