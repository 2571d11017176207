"""What-if results stored by the risk step: each riskiest project rescored without its key person.

``explain(con, repo, without=PERSON)`` rebuilds the project's history without that person and
scores it again — seconds per project. The report must only read the store, so the risk step
runs it here, for the ``top`` riskiest projects of the scoring date, with the first key person
of the graph stage's truck factor (the person whose loss orphans the most files), and writes
one ``risk_what_if`` row per project. The report shows those rows; ``ossmetrics risk explain
--without`` answers the same question for anyone else.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import duckdb

from ossmetrics.risk.explanation import Explanation, explain
from ossmetrics.store import transaction

__all__ = ["first_key_person", "store_what_if"]


def first_key_person(detail: str | None) -> int | None:
    """The first key person of a ``truck_factor`` measure's JSON detail (ids, or objects)."""
    if not detail:
        return None
    try:
        people = json.loads(detail).get("key_people") or []
    except (ValueError, AttributeError):
        return None
    if not people:
        return None
    first: Any = people[0]
    pid = first.get("person_id") if isinstance(first, dict) else first
    return int(pid) if isinstance(pid, int | float | str) and str(pid).isdigit() else None


def _candidates(
    con: duckdb.DuckDBPyConnection, as_of: date, model_version: str, top: int
) -> list[tuple[int, str, int]]:
    """(repo_id, full_name, key person) of the ``top`` riskiest projects scored at ``as_of``."""
    rows = con.execute(
        """SELECT s.repo_id, r.full_name, g.detail
           FROM risk_scores s JOIN repos r USING (repo_id)
           LEFT JOIN (SELECT repo_id, detail FROM graph_repo_measures
                      WHERE measure = 'truck_factor'
                      QUALIFY row_number() OVER (PARTITION BY repo_id ORDER BY as_of DESC) = 1) g
             USING (repo_id)
           WHERE s.as_of = ? AND s.model_version = ? AND s.risk IS NOT NULL
           QUALIFY row_number() OVER (PARTITION BY s.repo_id ORDER BY s.scored_at DESC) = 1
           ORDER BY s.risk DESC, r.full_name LIMIT ?""",
        [as_of, model_version, max(top, 0)],
    ).fetchall()
    out = []
    for rid, name, detail in rows:
        pid = first_key_person(detail)
        if pid is not None:
            out.append((int(rid), str(name), pid))
    return out


def _row(ex: Explanation, repo_id: int, person_id: int) -> dict[str, Any]:
    return {
        "repo_id": repo_id,
        "person_id": person_id,
        "person": ex.without,
        "risk": ex.risk,
        "without_p_dormant": ex.without_p_dormant,
        "without_p_core_loss": ex.without_p_core_loss,
        "without_risk": ex.without_risk,
        "drivers": json.dumps([d.text for d in ex.drivers], ensure_ascii=False),
        "people": json.dumps(
            [
                {
                    "person_id": p.person_id,
                    "name": p.name,
                    "share_12m": p.share_12m,
                    "other_projects": p.other_projects,
                    "delta_p_dormant": p.delta_p_dormant,
                }
                for p in ex.people
            ],
            ensure_ascii=False,
        ),
    }


def store_what_if(
    con: duckdb.DuckDBPyConnection,
    *,
    as_of: date,
    model_version: str,
    top: int,
    model_path: str | None = None,
) -> int:
    """Compute and store the what-if of the ``top`` riskiest projects; return how many.

    Rows of earlier runs for the same date and model are replaced, in one transaction.
    """
    rows = [
        _row(
            explain(con, name, without=str(pid), as_of=as_of, model_path=model_path),
            rid,
            pid,
        )
        for rid, name, pid in _candidates(con, as_of, model_version, top)
    ]
    now = datetime.now(UTC)
    with transaction(con):
        con.execute(
            "DELETE FROM risk_what_if WHERE as_of = ? AND model_version = ?",
            [as_of, model_version],
        )
        for r in rows:
            con.execute(
                """INSERT INTO risk_what_if (repo_id, as_of, model_version, person_id, person,
                       risk, without_p_dormant, without_p_core_loss, without_risk, drivers,
                       people, computed_at)
                   VALUES ($repo_id, $as_of, $model_version, $person_id, $person, $risk,
                           $without_p_dormant, $without_p_core_loss, $without_risk, $drivers,
                           $people, $now)""",
                {**r, "as_of": as_of, "model_version": model_version, "now": now},
            )
    return len(rows)
