"""Why a project scores as it does, and what-if a person left.

Two kinds of reasons, both from the model itself:

* **drivers**: integrated-gradient attributions of the dormant logit over the project's
  features, summed per fact and turned into sentences (``words.drivers``);
* **people**: the what-if below for each of the project's ``people`` most active contributors
  in turn, and the change in ``p_dormant`` recorded, so the people the project cannot lose come
  first. (Until the fourth model round this was occlusion on the graph alone — the person's
  node removed, the project's features kept; the shipped model's graph part is zero, so that
  measured nothing, and a person's leaving changes the features far more than the graph.)

``without=PERSON`` is the full what-if: that person's commits are removed from the store's
history everywhere (their contributor–project and collaboration edges vanish, the project's
features are recomputed without them, they stop being a key person) and the project is scored
again at the same date.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import duckdb
import numpy as np

from ossmetrics.errors import BadParameter, RiskError
from ossmetrics.risk.dataset import build_scoring_set
from ossmetrics.risk.device import cpu_threads
from ossmetrics.risk.features import FEATURES
from ossmetrics.risk.modelfile import LoadedModel, load_model
from ossmetrics.risk.score import attributions, calibrated, default_as_of, risk_index
from ossmetrics.risk.train import predict
from ossmetrics.risk.words import drivers as fact_drivers
from ossmetrics.store import get_repo_id

__all__ = ["Driver", "Explanation", "Influence", "explain", "resolve_person"]


@dataclass
class Driver:
    feature: str  # the fact (``words.FACTS``) whose features' attributions ``effect`` sums
    effect: float
    text: str


@dataclass
class Influence:
    person_id: int
    name: str
    share_12m: float
    other_projects: int
    delta_p_dormant: float  # p_dormant without this person's node minus p_dormant


@dataclass
class Explanation:
    repo: str
    as_of: date
    model_version: str
    p_dormant: float
    p_core_loss: float
    risk: float
    drivers: list[Driver] = field(default_factory=list)
    people: list[Influence] = field(default_factory=list)
    without: str | None = None
    without_p_dormant: float | None = None
    without_p_core_loss: float | None = None
    without_risk: float | None = None

    def lines(self) -> list[str]:
        out = [
            f"{self.repo} as of {self.as_of}: risk {self.risk:.0f}/100 "
            f"(p_dormant {self.p_dormant:.2f}, p_core_loss {self.p_core_loss:.2f}; model {self.model_version})",
            "Top drivers:",
            *[f"  - {d.text}" for d in self.drivers],
        ]
        if self.people:
            out.append(
                "Contributors the project leans on (change in p_dormant if they left: their commits removed, the project rescored):"
            )
            for p in self.people:
                extra = (
                    f", also in {p.other_projects} other tracked project(s)"
                    if p.other_projects
                    else ""
                )
                out.append(
                    f"  - {p.name}: {p.share_12m:.0%} of last year's commits{extra}; {p.delta_p_dormant:+.2f}"
                )
        if self.without is not None and self.without_risk is not None:
            out.append(
                f"Without {self.without}: risk {self.without_risk:.0f}/100 "
                f"(p_dormant {_p(self.without_p_dormant)}, p_core_loss {_p(self.without_p_core_loss)}; "
                f"{self.without_risk - self.risk:+.0f} points)"
            )
        return out


def _p(value: float | None) -> str:
    """A probability to two places, or a dash where none was computed."""
    return "—" if value is None else f"{value:.2f}"


def _p_without(
    con: duckdb.DuckDBPyConnection, lm: LoadedModel, d: date, repo_id: int, person_id: int
) -> np.ndarray:
    """(p_dormant, p_core_loss) of the project rescored as if ``person_id`` had never committed.

    The person's commits leave the store's history everywhere before the snapshot is rebuilt:
    their node and edges vanish, the project's features are recomputed without them and they
    stop being a key person. When they made every commit, nothing is left: (1, 1).
    """
    ds = build_scoring_set(con, d, repo_ids=[repo_id], exclude_people=[person_id])
    if not len(ds):
        return np.ones(2)
    return np.asarray(predict(lm, ds)[0], dtype=float)


def _person_names(con: duckdb.DuckDBPyConnection, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = con.execute(
        "SELECT person_id, coalesce(github_login, display_name, 'person ' || person_id::VARCHAR) FROM people WHERE list_contains(?, person_id)",
        [ids],
    ).fetchall()
    return {int(a): str(b) for a, b in rows}


def resolve_person(con: duckdb.DuckDBPyConnection, who: str) -> int:
    """A person by id, GitHub login, display name or email (any of their identities)."""
    w = who.strip()
    rows = con.execute(
        """SELECT DISTINCT p.person_id FROM people p LEFT JOIN identities i ON i.person_id = p.person_id
           WHERE p.person_id::VARCHAR = ? OR lower(p.github_login) = lower(?) OR lower(p.display_name) = lower(?)
              OR lower(p.primary_email) = lower(?) OR lower(i.login) = lower(?) OR lower(i.email) = lower(?)
              OR lower(i.name) = lower(?)""",
        [w] * 7,
    ).fetchall()
    if not rows:
        raise BadParameter(
            f"no person '{who}' in the store",
            "give a person id, GitHub login, name or email as shown by `ossmetrics risk explain`",
        )
    if len(rows) > 1:
        raise BadParameter(
            f"'{who}' matches {len(rows)} people",
            "give the person id shown by `ossmetrics risk explain`",
        )
    return int(rows[0][0])


def explain(
    con: duckdb.DuckDBPyConnection,
    repo: str,
    *,
    without: str | None = None,
    as_of: date | None = None,
    model_path: str | None = None,
    top: int = 5,
    people: int = 3,
) -> Explanation:
    """Scores, top drivers and influential contributors of ``repo`` (and the what-if).

    ``people``: how many of the most active contributors to rescore without (each is one
    scoring-set rebuild, about 1 s on a 130-repository store; 0 skips them). Runs torch on one
    CPU thread (``device.cpu_threads``): the report stage calls this once per
    project, and on a busy 2-core machine the default two threads made each call 1-4 s.
    """
    with cpu_threads(1):
        return _explain(
            con,
            repo,
            without=without,
            as_of=as_of,
            model_path=model_path,
            top=top,
            people=people,
        )


def _explain(
    con: duckdb.DuckDBPyConnection,
    repo: str,
    *,
    without: str | None,
    as_of: date | None,
    model_path: str | None,
    top: int,
    people: int,
) -> Explanation:
    lm = load_model(model_path)
    repo_id = get_repo_id(con, repo)
    without_id = resolve_person(con, without) if without else None
    d = as_of or default_as_of(con)
    ds = build_scoring_set(con, d, repo_ids=[repo_id])
    if len(ds) == 0:
        raise RiskError(f"{repo} has no commits on or before {d}", "pick a later --at date")
    logits, attr = attributions(lm, ds, steps=32)
    p = calibrated(lm, logits)
    row = ds.rows.iloc[0]
    drivers = [Driver(k, e, t) for k, e, t in fact_drivers(row, attr[0], FEATURES, top)]
    g = ds.graphs[0]
    influences: list[Influence] = []
    cand = [int(pid) for pid in g.person_ids[: max(people, 0)]]
    names = _person_names(con, cand)
    rescored: dict[int, np.ndarray] = {}
    for i, pid in enumerate(cand):
        pw = rescored[pid] = _p_without(con, lm, d, repo_id, pid)
        influences.append(
            Influence(
                pid,
                f"{names.get(pid, str(pid))} (id {pid})",
                float(g.x_contributor[i, 3]),
                round(float(np.expm1(g.x_contributor[i, 6]))),
                float(pw[0] - p[0, 0]),
            )
        )
    influences.sort(key=lambda f: -abs(f.delta_p_dormant))
    ex = Explanation(
        repo=str(row["repo"]),
        as_of=d,
        model_version=lm.version,
        p_dormant=float(p[0, 0]),
        p_core_loss=float(p[0, 1]),
        risk=float(risk_index(p)[0]),
        drivers=drivers,
        people=influences,
    )
    if without_id is not None:
        pid = without_id
        p2 = rescored[pid] if pid in rescored else _p_without(con, lm, d, repo_id, pid)
        ex.without_p_dormant, ex.without_p_core_loss = float(p2[0]), float(p2[1])
        ex.without_risk = float(risk_index(p2.reshape(1, 2))[0])
        ex.without = _person_names(con, [pid]).get(pid, str(pid))
    return ex
