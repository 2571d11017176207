"""The heterogeneous graph at T, cut into one small graph per scored snapshot.

The store-wide graph at T has contributor and project nodes; contributor–project edges carry
recent (12 months) and older (12–24 months) work; contributor–contributor edges join people who
changed the same files in the 24 months before T. A snapshot's graph is the project's part of
it: the project's own contributors (the ``MAX_CONTRIBUTORS`` most active), the collaboration
edges among them, and every *other* project those people worked on at T, so a key person spread
over several projects is visible to the model (DESIGN.md, options (a) and (b) together).

Everything is read from the ``_rk_*`` temp tables that ``feature_tables.build_project_table`` leaves,
so it uses the same cut and sees no commit at or after it.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from ossmetrics.risk.feature_tables import register
from ossmetrics.risk.features import OTHER_PROJECT_FEATURES

__all__ = [
    "CONTRIBUTOR_FEATURES",
    "MAX_CONTRIBUTORS",
    "SnapshotGraph",
    "build_graphs",
]

MAX_CONTRIBUTORS = 16
#: Strongest collaboration edges kept per graph, per contributor node.
EDGES_PER_NODE = 4
#: Files changed by more people than this in the window say nothing about who works with whom.
MAX_FILE_AUTHORS = 30

CONTRIBUTOR_FEATURES: tuple[str, ...] = (
    "log_commits_12m",
    "log_commits_prev_12m",
    "log_commits_3m",
    "share_12m",
    "log_tenure_years",
    "log_days_since",
    "log_other_projects",
    "log_other_commits_12m",
    "is_key",
    "is_newcomer",
)


@dataclass
class SnapshotGraph:
    """One project's graph at one date (numpy arrays, float32 / int64)."""

    person_ids: np.ndarray  # [n] person_id of each contributor node
    x_contributor: np.ndarray  # [n, len(CONTRIBUTOR_FEATURES)]
    collab_index: np.ndarray  # [2, e] contributor -> contributor (both directions)
    collab_weight: np.ndarray  # [e]
    other_repo_ids: np.ndarray  # [m] repo_id of each other-project node
    x_other: np.ndarray  # [m, len(OTHER_PROJECT_FEATURES)]
    work_index: np.ndarray  # [2, w] contributor -> other project
    work_weight: np.ndarray  # [w, 2]: log1p recent, log1p older work there

    def without(self, person_id: int) -> SnapshotGraph:
        """The same graph with one person's node and edges removed (the what-if)."""
        keep = self.person_ids != person_id
        remap = np.full(len(self.person_ids), -1, dtype=np.int64)
        remap[keep] = np.arange(int(keep.sum()))
        ce = keep[self.collab_index[0]] & keep[self.collab_index[1]]
        we = keep[self.work_index[0]]
        return SnapshotGraph(
            self.person_ids[keep],
            self.x_contributor[keep],
            remap[self.collab_index[:, ce]],
            self.collab_weight[ce],
            self.other_repo_ids,
            self.x_other,
            np.stack([remap[self.work_index[0, we]], self.work_index[1, we]]),
            self.work_weight[we],
        )


_COEDIT_SQL = f"""
WITH fe AS (
    SELECT DISTINCT s.repo_id, s.as_of, c.person_id, f.path
    FROM _rk_sel s
    JOIN _rk_s w ON w.repo_id = s.repo_id AND w.as_of = s.as_of
    JOIN _rk_c c ON c.repo_id = s.repo_id AND c.person_id = s.person_id
         AND c.ts >= w.cut - INTERVAL 24 MONTH AND c.ts < w.cut
    JOIN commit_files f ON f.repo_id = c.repo_id AND f.sha = c.sha
),
fa AS (
    SELECT repo_id, as_of, path, count(*) AS n FROM fe GROUP BY ALL
    HAVING count(*) BETWEEN 2 AND {MAX_FILE_AUTHORS}
)
SELECT a.repo_id, a.as_of, a.person_id AS src, b.person_id AS dst,
       round(sum(1.0 / (fa.n - 1)), 9) AS w  -- rounded: a parallel float sum varies in its last bits
FROM fe a
JOIN fe b ON b.repo_id = a.repo_id AND b.as_of = a.as_of AND b.path = a.path AND a.person_id < b.person_id
JOIN fa ON fa.repo_id = a.repo_id AND fa.as_of = a.as_of AND fa.path = a.path
GROUP BY ALL
"""


def _contributor_matrix(p: pd.DataFrame, c12: float) -> np.ndarray:
    return np.stack(
        [
            np.log1p(p["n12"].to_numpy(float)),
            np.log1p(p["nprev"].to_numpy(float)),
            np.log1p(p["n3"].to_numpy(float)),
            p["n12"].to_numpy(float) / max(c12, 1.0),
            np.log1p(p["tenure_years"].to_numpy(float)),
            np.log1p(p["days_since"].to_numpy(float)),
            np.log1p(p["other12"].to_numpy(float)),
            np.log1p(p["other_commits12"].to_numpy(float)),
            p["is_key"].to_numpy(float),
            p["is_newcomer"].to_numpy(float),
        ],
        axis=1,
    ).astype(np.float32)


def build_graphs(
    con: duckdb.DuckDBPyConnection,
    projects: pd.DataFrame,
    persons: pd.DataFrame,
    targets: pd.DataFrame,
) -> list[SnapshotGraph]:
    """One ``SnapshotGraph`` per row of ``targets`` (repo_id, as_of), in that order."""
    persons = persons.copy()
    persons["weight"] = 2 * persons["n12"] + persons["nprev"]
    persons = persons.sort_values(
        ["repo_id", "as_of", "weight", "person_id"], ascending=[True, True, False, True]
    )
    tkeys = targets[["repo_id", "as_of"]].drop_duplicates()
    own = persons.merge(tkeys, on=["repo_id", "as_of"])
    own = own.groupby(["repo_id", "as_of"], sort=False).head(MAX_CONTRIBUTORS)
    sel = pa.table(
        {
            "repo_id": pa.array(own["repo_id"].astype("int64").to_numpy()),
            "as_of": pa.array(own["as_of"].tolist(), pa.date32()),
            "person_id": pa.array(own["person_id"].astype("int64").to_numpy()),
        }
    )
    register(con, "_rk_sel_arrow", sel)
    con.execute("CREATE OR REPLACE TEMP TABLE _rk_sel AS SELECT * FROM _rk_sel_arrow")
    edges = con.execute(_COEDIT_SQL).df()
    edges["as_of"] = pd.to_datetime(edges["as_of"]).dt.date
    edge_groups = {k: g for k, g in edges.groupby(["repo_id", "as_of"], sort=False)}
    own_groups = {k: g for k, g in own.groupby(["repo_id", "as_of"], sort=False)}
    # other projects of each selected person at the same date
    others = persons[(persons["n12"] > 0) | (persons["nprev"] > 0)][
        ["repo_id", "as_of", "person_id", "n12", "nprev"]
    ].rename(columns={"repo_id": "other_repo_id"})
    work = own[["repo_id", "as_of", "person_id"]].merge(others, on=["as_of", "person_id"])
    work = work[work["other_repo_id"] != work["repo_id"]]
    work_groups = {k: g for k, g in work.groupby(["repo_id", "as_of"], sort=False)}
    proj = projects.set_index(["repo_id", "as_of"])
    proj_x = proj[list(OTHER_PROJECT_FEATURES)].astype(np.float32)
    c12 = proj["commits_12m"]

    out: list[SnapshotGraph] = []
    empty2 = np.zeros((2, 0), dtype=np.int64)
    for repo_id, as_of in targets[["repo_id", "as_of"]].itertuples(index=False):
        key = (repo_id, as_of)
        p = own_groups.get(key)
        if p is None or p.empty:
            out.append(
                SnapshotGraph(
                    np.zeros(0, np.int64),
                    np.zeros((0, len(CONTRIBUTOR_FEATURES)), np.float32),
                    empty2,
                    np.zeros(0, np.float32),
                    np.zeros(0, np.int64),
                    np.zeros((0, len(OTHER_PROJECT_FEATURES)), np.float32),
                    empty2,
                    np.zeros((0, 2), np.float32),
                )
            )
            continue
        pids = p["person_id"].to_numpy(np.int64)
        index = {int(v): i for i, v in enumerate(pids)}
        xc = _contributor_matrix(p, float(c12.get(key, 0.0)))
        e = edge_groups.get(key)
        if e is not None and len(e):
            # ties broken by the people's ids: DuckDB returns the edges in no fixed order, and
            # nlargest keeps whichever tied edge came first (the data set was not reproducible)
            e = e.sort_values(["w", "src", "dst"], ascending=[False, True, True], kind="stable")
            e = e.head(EDGES_PER_NODE * len(pids))
            s = np.array([index[int(v)] for v in e["src"]], dtype=np.int64)
            d = np.array([index[int(v)] for v in e["dst"]], dtype=np.int64)
            w = np.log1p(e["w"].to_numpy(np.float32))
            ci = np.stack([np.concatenate([s, d]), np.concatenate([d, s])])
            cw = np.concatenate([w, w]).astype(np.float32)
        else:
            ci, cw = empty2, np.zeros(0, np.float32)
        wk = work_groups.get(key)
        if wk is not None and len(wk):
            orepos = np.unique(wk["other_repo_id"].to_numpy(np.int64))
            oindex = {int(v): i for i, v in enumerate(orepos)}
            xo = np.stack(
                [
                    proj_x.loc[(int(r), as_of)].to_numpy()
                    if (int(r), as_of) in proj_x.index
                    else np.zeros(len(OTHER_PROJECT_FEATURES), np.float32)
                    for r in orepos
                ]
            ).astype(np.float32)
            wi = np.stack(
                [
                    np.array([index[int(v)] for v in wk["person_id"]], dtype=np.int64),
                    np.array([oindex[int(v)] for v in wk["other_repo_id"]], dtype=np.int64),
                ]
            )
            ww = np.stack(
                [np.log1p(wk["n12"].to_numpy(float)), np.log1p(wk["nprev"].to_numpy(float))],
                axis=1,
            ).astype(np.float32)
        else:
            orepos = np.zeros(0, np.int64)
            xo = np.zeros((0, len(OTHER_PROJECT_FEATURES)), np.float32)
            wi, ww = empty2, np.zeros((0, 2), np.float32)
        out.append(SnapshotGraph(pids, xc, ci, cw, orepos, xo, wi, ww))
    return out
