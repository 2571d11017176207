"""``fund enrich``: usage signals per package from deps.dev and ecosyste.ms, cached in the store.

Raw answers go to ``fund_cache`` (source, key, HTTP status, payload, fetched_at), one
transaction per batch, so an interrupted run keeps what it fetched and the next completes the
rest; entries younger than ``max_age_days`` are not fetched again, and ``offline`` fetches
nothing. ``fund_signals``, ``fund_funding`` and the service-made links are then derived from
the cache alone, in one transaction, so they are the same with or without network. A package
a service does not know (404, absent from a bulk answer) has NULL signals, never 0.

Requests: ecosyste.ms bulk lookup (100 packages a request) and the deps.dev purl batch (5,000
purls a request, answered in pages) for every package; deps.dev's dependents (two requests a
package: its default version, then that version's dependents) only for packages linked to a
repository in the store — the portfolio the reach lens ranks — or for all with
``dependents="all"``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb
import pandas as pd

from ossmetrics.fund import services
from ossmetrics.fund.http import JsonClient
from ossmetrics.fund.links import (
    BEST_LINKS_SQL,
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


def _packages(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """package, ecosystem, version: the most common version the organisation uses."""
    return con.execute(
        """
        SELECT package, any_value(ecosystem) AS ecosystem,
               mode(version) FILTER (WHERE version IS NOT NULL) AS version
        FROM fund_components GROUP BY package ORDER BY package
        """
    ).df()


def _fresh(con: duckdb.DuckDBPyConnection, source: str, since: datetime) -> set[str]:
    rows = con.execute(
        "SELECT key FROM fund_cache WHERE source = ? AND fetched_at >= ?", [source, since]
    ).fetchall()
    return {r[0] for r in rows}


def _save_cache(
    con: duckdb.DuckDBPyConnection, source: str, rows: Iterable[tuple[str, Any]]
) -> int:
    now = datetime.now(UTC)
    data = [
        (source, k, 200 if v is not None else 404, None if v is None else json.dumps(v), now)
        for k, v in rows
    ]
    if not data:
        return 0
    df = pd.DataFrame(data, columns=["source", "key", "status", "payload", "fetched_at"])
    with transaction(con):
        con.register("_fund_cache", df)
        try:
            con.execute("INSERT OR REPLACE INTO fund_cache SELECT * FROM _fund_cache")
        finally:
            con.unregister("_fund_cache")
    return len(data)


def enrich(
    con: duckdb.DuckDBPyConnection,
    *,
    depsdev_url: str,
    ecosystems_url: str,
    mailto: str | None = None,
    offline: bool = False,
    max_age_days: float = 30.0,
    dependents: str = "portfolio",
    sleep: Callable[[float], None] | None = None,
) -> EnrichResult:
    """Fetch what the cache lacks (unless ``offline``), then derive signals from the cache."""
    pk = _packages(con)
    res = EnrichResult(packages=len(pk), offline=offline)
    if not offline and len(pk):
        since = datetime.now(UTC) - timedelta(days=max_age_days)
        kw: dict[str, Any] = {"mailto": mailto or None}
        if sleep is not None:
            kw["sleep"] = sleep
        eco = JsonClient(ecosystems_url, "ecosyste.ms", **kw)
        dd = JsonClient(depsdev_url, "deps.dev", **kw)
        try:
            fresh = _fresh(con, "ecosystems", since)
            todo = [p for p in pk["package"] if p not in fresh]
            for page in services.ecosystems_bulk(eco, todo):
                _save_cache(con, "ecosystems", page)
                res.fetched["ecosystems"] = res.fetched.get("ecosystems", 0) + len(page)
            fresh = _fresh(con, "depsdev", since)
            versioned = pk[pk["version"].notna() & ~pk["package"].isin(fresh)]
            by_purl = {
                f"{p}@{v}": p
                for p, v in zip(versioned["package"], versioned["version"], strict=True)
            }
            for page in services.depsdev_purl_batches(dd, list(by_purl)):
                rows = [(by_purl.get(asked, asked), v) for asked, v in page if asked in by_purl]
                _save_cache(con, "depsdev", rows)
                res.fetched["depsdev"] = res.fetched.get("depsdev", 0) + len(rows)
            # links now known decide whose dependents are worth two requests each
            derive_signals(con)
            _dependents(con, dd, pk, since, dependents, res)
        finally:
            res.requests = {"ecosyste.ms": eco.requests, "deps.dev": dd.requests}
            eco.close()
            dd.close()
    res.signals = derive_signals(con, res.warnings)
    res.unknown = {
        str(s): int(n)
        for s, n in con.execute(
            "SELECT source, count(*) FROM fund_cache WHERE status = 404 GROUP BY source"
        ).fetchall()
    }
    return res


def _dependents(
    con: duckdb.DuckDBPyConnection,
    dd: JsonClient,
    pk: pd.DataFrame,
    since: datetime,
    scope: str,
    res: EnrichResult,
) -> None:
    if scope == "none":
        return
    wanted = list(pk["package"])
    if scope == "portfolio":
        linked = con.execute(
            f"SELECT package FROM ({BEST_LINKS_SQL}) b JOIN repos r ON lower(r.full_name) = b.repo"
        ).fetchall()
        keep = {r[0] for r in linked}
        wanted = [p for p in wanted if p in keep]
    fresh_pkg = _fresh(con, "depsdev_package", since)
    fresh_dep = _fresh(con, "depsdev_dependents", since)
    n = 0
    for package in wanted:
        if package in fresh_dep:
            continue
        if package not in fresh_pkg:
            status, obj = services.depsdev_default_version(dd, package)
            _save_cache(con, "depsdev_package", [(package, obj if status == 200 else None)])
        row = con.execute(
            "SELECT payload FROM fund_cache WHERE source = 'depsdev_package' AND key = ?",
            [package],
        ).fetchone()
        version = _default_version(json.loads(row[0]) if row and row[0] else None)
        if version is None:
            _save_cache(con, "depsdev_dependents", [(package, None)])
            continue
        status, obj = services.depsdev_dependents(dd, package, version)
        payload = (
            None if status != 200 or not isinstance(obj, dict) else {**obj, "version": version}
        )
        _save_cache(con, "depsdev_dependents", [(package, payload)])
        n += 1
    res.fetched["depsdev_dependents"] = n


def _default_version(obj: Any) -> str | None:
    if not isinstance(obj, dict):
        return None
    versions = [v for v in obj.get("versions") or [] if isinstance(v, dict)]
    for v in versions:
        if v.get("isDefault"):
            return str((v.get("versionKey") or {}).get("version"))
    return None


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
    with transaction(con):
        con.execute("DELETE FROM fund_signals")
        con.execute("DELETE FROM fund_funding WHERE source = 'ecosystems'")
        con.execute("DELETE FROM fund_links WHERE source IN ('ecosystems', 'registry', 'depsdev')")
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
