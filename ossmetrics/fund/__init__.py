"""Funders: what an organisation depends on, how much the world depends on it, and a plan.

``sbom`` and ``ingest`` read SBOMs and purl lists into the store; ``links`` keeps every
package -> repository candidate and reads the best; ``services`` and ``enrich`` fetch and cache
deps.dev / ecosyste.ms usage signals (``cache``, ``dependents``), ``registries`` asks PyPI, npm,
crates.io and RubyGems for links still missing, ``depth`` gives flat SBOMs deps.dev's graphs; ``importance`` computes the two lenses (ecosystem reach,
our exposure) and ``criticality`` the OpenSSF baseline shown beside them; ``plan`` ranks and
splits a budget; ``demo`` loads the bundled funder example. Definitions: docs/funding.md.
Stage order: store <- fund (reads ``risk_scores``, written by risk) <- report.
"""

from ossmetrics.fund.enrich import derive_signals, enrich
from ossmetrics.fund.importance import compute_importance
from ossmetrics.fund.ingest import ingest
from ossmetrics.fund.links import best_links, pin_link, unresolved
from ossmetrics.fund.plan import build_plan, save_plan, split_budget

__all__ = [
    "best_links",
    "build_plan",
    "compute_importance",
    "derive_signals",
    "enrich",
    "ingest",
    "pin_link",
    "save_plan",
    "split_budget",
    "unresolved",
]
