"""Standardise features and stack snapshot graphs into one ``RiskBatch``.

Kept apart from the model and the training loop because scoring, explaining and benchmarking
use the same stacking; the normaliser's statistics come from the training rows only and travel
inside the model file, so a score never depends on the data being scored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from ossmetrics.risk.dataset import RiskDataset
from ossmetrics.risk.features import FEATURES, GRAPH_FEATURES
from ossmetrics.risk.graphs import SnapshotGraph
from ossmetrics.risk.model import RiskBatch

__all__ = ["Normaliser", "collate", "fit_normaliser", "repo_groups"]

#: Pairs of repositories that share history (corpus README caveat 7): always on one side.
SHARED_HISTORY = (
    ("sass/node-sass", "sass/libsass"),
    ("lodash/lodash", "jashkenas/underscore"),
    ("Netflix/Hystrix", "ReactiveX/RxJava"),
)


def repo_groups(names: Sequence[str]) -> np.ndarray:
    """A group label per row: the repository, with shared-history pairs merged."""
    alias = {}
    for a, b in SHARED_HISTORY:
        alias[b.lower()] = a.lower()
    return np.array([alias.get(n.lower(), n.lower()) for n in names])


@dataclass
class Normaliser:
    p_mean: np.ndarray
    p_std: np.ndarray
    c_mean: np.ndarray
    c_std: np.ndarray
    o_mean: np.ndarray
    o_std: np.ndarray
    #: 1 for each project feature the model reads, 0 for one it must not see (the graph
    #: features in the network without the graph); None = all.
    p_keep: np.ndarray | None = None

    def to_dict(self) -> dict[str, list[float]]:
        return {k: [float(x) for x in v] for k, v in self.__dict__.items() if v is not None}

    @classmethod
    def from_dict(cls, d: dict[str, list[float]]) -> Normaliser:
        return cls(**{k: np.asarray(v, dtype=np.float32) for k, v in d.items()})


def _stats(x: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    if x.shape[0] == 0:
        return np.zeros(width, np.float32), np.ones(width, np.float32)
    std = x.std(axis=0)
    return x.mean(axis=0).astype(np.float32), np.where(std > 1e-6, std, 1.0).astype(np.float32)


def fit_normaliser(ds: RiskDataset, *, use_graph: bool = True) -> Normaliser:
    """Statistics of the training rows; ``use_graph=False`` masks ``GRAPH_FEATURES`` out."""
    xp = ds.rows[list(FEATURES)].to_numpy(np.float32)
    xc = np.concatenate([g.x_contributor for g in ds.graphs]) if ds.graphs else np.zeros((0, 10))
    xo = np.concatenate([g.x_other for g in ds.graphs]) if ds.graphs else np.zeros((0, 5))
    pm, ps = _stats(xp, xp.shape[1])
    cm, cs = _stats(xc, ds.graphs[0].x_contributor.shape[1] if ds.graphs else 10)
    om, os_ = _stats(xo, ds.graphs[0].x_other.shape[1] if ds.graphs else 5)
    keep = None
    if not use_graph:
        keep = np.array([0.0 if f in GRAPH_FEATURES else 1.0 for f in FEATURES], np.float32)
    return Normaliser(pm, ps, cm, cs, om, os_, keep)


def collate(
    x_project: np.ndarray,
    graphs: Sequence[SnapshotGraph],
    norm: Normaliser,
    device: torch.device | str = "cpu",
) -> RiskBatch:
    """Stack ``graphs`` (offsetting node indices) with standardised features."""
    xs, bs, shares, ci, cw, xo, wi, ww = [], [], [], [], [], [], [], []
    n_off = 0
    o_off = 0
    for i, g in enumerate(graphs):
        n = len(g.person_ids)
        xs.append(g.x_contributor)
        bs.append(np.full(n, i, dtype=np.int64))
        shares.append(g.x_contributor[:, 3] if n else np.zeros(0, np.float32))
        ci.append(g.collab_index + n_off)
        cw.append(g.collab_weight)
        xo.append(g.x_other)
        # aggregation runs source (other project) -> target (contributor)
        wi.append(np.stack([g.work_index[1] + o_off, g.work_index[0] + n_off]))
        ww.append(g.work_weight[:, 0] + g.work_weight[:, 1] + 1e-3)
        n_off += n
        o_off += len(g.other_repo_ids)

    def cat(parts: list[np.ndarray], shape: tuple[int, ...], dtype: type) -> np.ndarray:
        return np.concatenate(parts).astype(dtype) if parts else np.zeros(shape, dtype)

    xc = (cat(xs, (0, len(norm.c_mean)), np.float32) - norm.c_mean) / norm.c_std
    xother = (cat(xo, (0, len(norm.o_mean)), np.float32) - norm.o_mean) / norm.o_std
    xp = (x_project.astype(np.float32) - norm.p_mean) / norm.p_std
    if norm.p_keep is not None:
        xp = xp * norm.p_keep
    t = torch.as_tensor
    return (
        RiskBatch(
            x_project=t(xp, dtype=torch.float32),
            x_contributor=t(xc, dtype=torch.float32),
            contributor_batch=t(cat(bs, (0,), np.int64)),
            share=t(cat(shares, (0,), np.float32)),
            collab_index=t(np.concatenate(ci, axis=1) if ci else np.zeros((2, 0), np.int64)),
            collab_weight=t(cat(cw, (0,), np.float32)),
            x_other=t(xother, dtype=torch.float32),
            work_index=t(np.concatenate(wi, axis=1) if wi else np.zeros((2, 0), np.int64)),
            work_weight=t(cat(ww, (0,), np.float32)),
        )
        .to(device)
        .prepare()
    )
