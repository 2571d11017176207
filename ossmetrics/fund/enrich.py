"""``fund enrich``: usage signals per package from deps.dev and ecosyste.ms, cached in the store.

Raw answers go to ``fund_cache`` (source, key, HTTP status, payload, fetched_at), one
transaction per batch, so an interrupted run keeps what it fetched and the next completes the
rest; entries younger than ``max_age_days`` are not fetched again, and ``offline`` fetches
nothing. ``fund_signals``, ``fund_funding`` and the service-made links are then derived from
the cache alone, in one transaction, so they are the same with or without network. A package
a service does not know (404, absent from a bulk answer) has NULL signals, never 0.

Requests: ecosyste.ms bulk lookup (100 packages a request) and the deps.dev purl batch (5,000
purls a request, answered in pages) for every package; then, one request each (no batch
endpoint exists): deps.dev dependency graphs for the direct packages of flat SBOMs
(``depth``), deps.dev dependents (``dependents``: one request when the version used is the
default, else two) only for packages linked to a repository in the store — the portfolio the
reach lens ranks — or for all with ``dependents="all"``, and the registries (``registries``)
only for packages still without a link of 0.60 or more.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb
import pandas as pd

from ossmetrics.fund import depth, registries, services
from ossmetrics.fund.cache import CacheWriter, fresh_keys, save_cache
from ossmetrics.fund.dependents import fetch_dependents
from ossmetrics.fund.http import JsonClient
from ossmetrics.fund.links import (
    BEST_LINKS_SQL,
    REGISTRY_SKIP_AT,
    LinkRow,
    depsdev_candidates,
    registry_candidates,
    save_links,
)
from ossmetrics.fund.purls import github_repo
from ossmetrics.store import transaction

__all__ = ["EnrichResult", "derive_signals", "enrich"]


def _as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


@dataclass
class EnrichResult:
    packages: int = 0
    requests: dict[str, int] = field(default_factory=dict)
    fetched: dict[str, int] = field(default_factory=dict)
    unknown: dict[str, int] = field(default_factory=dict)
    signals: int = 0
    warnings: list[str] = field(default_factory=list)
    offline: bool = False
    by_kind: Counter[str] = field(default_factory=Counter)  # requests by endpoint


def _packages(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """package, ecosystem, version: the most common version the organisation uses."""
    return con.execute(
        """
        SELECT package, any_value(ecosystem) AS ecosystem,
               mode(version) FILTER (WHERE version IS NOT NULL) AS version
        FROM fund_components GROUP BY package ORDER BY package
        """
    ).df()


REGISTRY_NAMES = {"pypi": "PyPI", "npm": "npm", "crates": "crates.io", "rubygems": "RubyGems"}


def _needs_registry(con: duckdb.DuckDBPyConnection, pk: pd.DataFrame, since: datetime) -> list[str]:
    """Packages with a registry client and no link of ``REGISTRY_SKIP_AT`` or more (nor a
    pin), whose registry answer is not cached fresh."""
    good = {
        r[0]
        for r in con.execute(
            f"SELECT package FROM ({BEST_LINKS_SQL}) WHERE confidence >= ?", [REGISTRY_SKIP_AT]
        ).fetchall()
    }
    fresh = {
        (s, k)
        for s, k in con.execute(
            "SELECT source, key FROM fund_cache WHERE fetched_at >= ?", [since]
        ).fetchall()
    }
    out = []
    for package, eco in zip(pk["package"], pk["ecosystem"], strict=True):
        reg = registries.REGISTRIES.get(str(eco))
        if reg and package not in good and (reg.source, package) not in fresh:
            out.append(str(package))
    return out


def enrich(
    con: duckdb.DuckDBPyConnection,
    *,
    depsdev_url: str,
    ecosystems_url: str,
    registry_urls: dict[str, str] | None = None,
    mailto: str | None = None,
    offline: bool = False,
    max_age_days: float = 30.0,
    dependents: str = "portfolio",
    graphs: bool = True,
    sleep: Callable[[float], None] | None = None,
) -> EnrichResult:
    """Fetch what the cache lacks (unless ``offline``), then derive signals from the cache.

    ``registry_urls``: registry cache source (pypi, npm, crates, rubygems) -> base URL; the
    registries are asked only when given. ``graphs``: fetch deps.dev dependency graphs for the
    direct packages of flat SBOMs."""
    pk = _packages(con)
    res = EnrichResult(packages=len(pk), offline=offline)
    if not offline and len(pk):
        since = datetime.now(UTC) - timedelta(days=max_age_days)
        kw: dict[str, Any] = {"mailto": mailto or None}
        if sleep is not None:
            kw["sleep"] = sleep
        eco = JsonClient(ecosystems_url, "ecosyste.ms", **kw)
        dd = JsonClient(depsdev_url, "deps.dev", **kw)
        regs = {
            src: JsonClient(url, REGISTRY_NAMES[src], retry_malformed=False, **kw)
            for src, url in (registry_urls or {}).items()
            if src in REGISTRY_NAMES
        }

        writer = CacheWriter(con)

        def save(source: str, rows: list[tuple[str, Any]]) -> None:
            writer.add(source, rows)

        try:
            fresh = fresh_keys(con, "ecosystems", since)
            todo = [p for p in pk["package"] if p not in fresh]
            for page in services.ecosystems_bulk(eco, todo):
                save_cache(con, "ecosystems", page)
                res.fetched["ecosystems"] = res.fetched.get("ecosystems", 0) + len(page)
            fresh = fresh_keys(con, "depsdev", since)
            versioned = pk[pk["version"].notna() & ~pk["package"].isin(fresh)]
            by_purl = {
                f"{p}@{v}": p
                for p, v in zip(versioned["package"], versioned["version"], strict=True)
            }
            for page in services.depsdev_purl_batches(dd, list(by_purl)):
                rows = [(by_purl.get(asked, asked), v) for asked, v in page if asked in by_purl]
                save_cache(con, "depsdev", rows)
                res.fetched["depsdev"] = res.fetched.get("depsdev", 0) + len(rows)
            # links now known decide whose dependents are worth a request, and who needs a
            # registry lookup
            derive_signals(con)
            if graphs:
                res.fetched[depth.SOURCE] = depth.fetch_graphs(con, dd, since, save, res.warnings)
            res.fetched["depsdev_dependents"] = fetch_dependents(
                con, dd, [str(p) for p in pk["package"]], since, dependents, save
            )
            if regs:
                asked = registries.fetch_links(
                    regs, _needs_registry(con, pk, since), save, res.warnings
                )
                res.fetched.update(asked)
        finally:
            writer.flush()  # what was fetched is kept, even when a service failed
            clients = {"ecosyste.ms": eco, "deps.dev": dd}
            clients.update({REGISTRY_NAMES[s]: c for s, c in regs.items()})
            res.requests = {k: c.requests for k, c in clients.items() if c.requests or k in
                            ("ecosyste.ms", "deps.dev")}  # fmt: skip
            for c in clients.values():
                res.by_kind.update(c.counts)
                c.close()
    res.signals = derive_signals(con, res.warnings)
    res.unknown = {
        str(s): int(n)
        for s, n in con.execute(
            "SELECT source, count(*) FROM fund_cache WHERE status = 404 GROUP BY source"
        ).fetchall()
    }
    return res


def _num(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _count(obj: dict[str, Any], name: str, where: str, warnings: list[str]) -> float | None:
    """A count from a service answer; a value that is not a non-negative number is kept
    unknown (NULL) and named in ``warnings``."""
    raw = obj.get(name)
    value = _num(raw)
    if raw is not None and (value is None or value != value or value < 0):
        warnings.append(f"{where}: {name} {str(raw)[:40]!r} is not a count; kept unknown")
        return None
    return value


def derive_signals(con: duckdb.DuckDBPyConnection, warnings: list[str] | None = None) -> int:
    """Rebuild signals, funding links and service links from the cache; return signal rows.

    Malformed values in cached answers become NULL and a line in ``warnings`` naming the
    service and package."""
    warns: list[str] = [] if warnings is None else warnings
    eco_of = dict(
        con.execute(
            "SELECT package, any_value(ecosystem) FROM fund_components GROUP BY 1"
        ).fetchall()
    )
    cache = con.execute(
        "SELECT source, key, status, payload, fetched_at FROM fund_cache WHERE status = 200"
    ).fetchall()
    sig: list[tuple[Any, ...]] = []
    funding: list[tuple[str, str, str]] = []
    links: list[LinkRow] = []
    for source, key, _status, payload, fetched in cache:
        obj = json.loads(payload) if payload else None
        if not isinstance(obj, dict):
            continue
        eco = eco_of.get(key) or key.split(":", 1)[-1].split("/", 1)[0]
        if source == "ecosystems":
            period = obj.get("downloads_period")
            rank = _as_dict(obj.get("rankings"))
            crit = obj.get("critical")
            values = {
                "dependent_packages": (
                    _count(obj, "dependent_packages_count", f"ecosyste.ms {key}", warns),
                    None,
                ),
                "dependent_repos": (
                    _count(obj, "dependent_repos_count", f"ecosyste.ms {key}", warns),
                    None,
                ),
                "downloads": (_count(obj, "downloads", f"ecosyste.ms {key}", warns), period),
                "critical": (None if crit is None else float(bool(crit)), None),
                "rank_downloads": (_num(rank.get("downloads")), None),
                "rank_dependent_packages": (_num(rank.get("dependent_packages_count")), None),
                "rank_dependent_repos": (_num(rank.get("dependent_repos_count")), None),
                "rank_average": (_num(rank.get("average")), None),
            }
            sig += [(key, eco, "ecosystems", s, v, d, fetched) for s, (v, d) in values.items()]
            for url in obj.get("funding_links") or []:
                if isinstance(url, str) and url.startswith("https://"):
                    funding.append((key, url, "ecosystems"))
            repo = github_repo(obj.get("repository_url"))
            if repo:
                links.append((key, repo, "ecosystems", "repository_url", 0.6))
            links += registry_candidates(key, eco, obj.get("metadata"))
        elif source == "depsdev":
            links += depsdev_candidates(key, obj)
        elif source in registries.SOURCES:
            links += registries.cached_links(source, key, obj)
        elif source == "depsdev_dependents":
            version = str(obj.get("version") or "")
            sig.append(
                (
                    key,
                    eco,
                    "depsdev",
                    "dependents",
                    _count(obj, "dependentCount", f"deps.dev {key}", warns),
                    version,
                    fetched,
                )
            )
            sig.append(
                (
                    key,
                    eco,
                    "depsdev",
                    "indirect_dependents",
                    _count(obj, "indirectDependentCount", f"deps.dev {key}", warns),
                    version,
                    fetched,
                )
            )
            sig.append(
                (
                    key,
                    eco,
                    "depsdev",
                    "direct_dependents",
                    _count(obj, "directDependentCount", f"deps.dev {key}", warns),
                    version,
                    fetched,
                )
            )
    df = pd.DataFrame(
        sig, columns=["package", "ecosystem", "source", "signal", "value", "detail", "as_of"]
    ).astype({"value": "float64", "detail": "object"})
    fund = pd.DataFrame(list(dict.fromkeys(funding)), columns=["package", "url", "source"])
    graph = depth.derive_edges(con, warns)
    with transaction(con):
        con.execute("DELETE FROM fund_signals")
        con.execute("DELETE FROM fund_funding WHERE source = 'ecosystems'")
        con.execute(
            "DELETE FROM fund_links WHERE source IN ('ecosystems', 'registry', 'depsdev') "
            "OR source LIKE 'registry:%'"
        )
        con.execute("DELETE FROM fund_package_edges")
        if len(graph):
            con.register("_fund_graph", graph)
            con.execute("INSERT INTO fund_package_edges SELECT * FROM _fund_graph")
            con.unregister("_fund_graph")
        if len(df):
            con.register("_fund_sig", df)
            con.execute("INSERT INTO fund_signals SELECT * FROM _fund_sig")
            con.unregister("_fund_sig")
        if len(fund):
            con.register("_fund_fund", fund)
            con.execute("INSERT OR IGNORE INTO fund_funding SELECT * FROM _fund_fund")
            con.unregister("_fund_fund")
        save_links(con, links, datetime.now(UTC))
    return len(df)
