"""The train/test splits every evaluation uses, and the guard that keeps Apache out of them.

* ``cv_folds``: repository-disjoint ``StratifiedGroupKFold`` (shared-history pairs one group),
  stratified by whether a repository ever goes dormant.
* ``time_forward``: train on snapshots whose 12-month label window ends by the cutoff (about 60%
  of the snapshots before it), test on snapshots from it.
* ``loeo_folds``: leave-one-ecosystem-out — for each ecosystem, train on every other ecosystem
  and test on it. Refused (``UsageError``) when the rows hold fewer than two ecosystems.

Reserved repositories (``ecosystems.is_reserved``: every ``apache/*``) are in **no** training
side of any split (they may only be scored, in the separate independent-validation setting);
``check_no_reserved`` asserts it before every fit.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedGroupKFold

from ossmetrics.errors import UsageError
from ossmetrics.risk.batching import repo_groups
from ossmetrics.risk.ecosystems import reserved_mask
from ossmetrics.risk.snapshots import add_months

__all__ = [
    "Split",
    "check_no_reserved",
    "cv_folds",
    "loeo_folds",
    "time_forward",
    "time_forward_cutoff",
]

#: (name, training row indices, test row indices)
Split = tuple[str, np.ndarray, np.ndarray]


def check_no_reserved(repos: pd.Series | list[str]) -> None:
    """Raise if any reserved (``apache/*``) repository is about to be trained or tuned on."""
    bad = sorted(
        {str(r) for r, m in zip(list(repos), reserved_mask(list(repos)), strict=True) if m}
    )
    if bad:
        raise AssertionError(f"reserved repositories in a training fold: {', '.join(bad[:5])}")


def _trainable(rows: pd.DataFrame) -> np.ndarray:
    return ~reserved_mask(rows["repo"].tolist())


def cv_folds(rows: pd.DataFrame, folds: int, seed: int) -> list[Split]:
    """Repository-disjoint folds over the non-reserved rows."""
    ok = np.flatnonzero(_trainable(rows))
    sub = rows.iloc[ok]
    groups = repo_groups(sub["repo"].tolist())
    ever = pd.Series(sub["dormant"].to_numpy(float)).groupby(groups).transform("max").to_numpy()
    skf = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    return [
        (f"fold {f + 1}", ok[tr], ok[te])
        for f, (tr, te) in enumerate(skf.split(np.zeros(len(ok)), np.nan_to_num(ever), groups))
    ]


def time_forward_cutoff(rows: pd.DataFrame) -> date:
    """The snapshot date with about 60% of the labelled snapshots before it."""
    dates = sorted(rows["as_of"])
    cutoff: date = dates[int(0.6 * (len(dates) - 1))]
    return cutoff


def time_forward(rows: pd.DataFrame, cutoff: date) -> Split:
    ok = _trainable(rows)
    tr = np.array([add_months(d, 12) <= cutoff for d in rows["as_of"]]) & ok
    te = np.array([d >= cutoff for d in rows["as_of"]]) & ok
    return f"from {cutoff}", np.flatnonzero(tr), np.flatnonzero(te)


def loeo_folds(rows: pd.DataFrame) -> list[Split]:
    """One split per ecosystem: train on the others, test on it (reserved rows in neither)."""
    ok = _trainable(rows)
    eco = rows["ecosystem"].to_numpy(object)
    names = sorted({str(e) for e in eco[ok]})
    if len(names) < 2:
        raise UsageError(
            "leave-one-ecosystem-out needs at least 2 ecosystems; this store has "
            f"{len(names)} ({', '.join(names) or 'none'})",
            "load a multi-ecosystem corpus, or read the repository-disjoint and time-forward results",
        )
    return [(e, np.flatnonzero(ok & (eco != e)), np.flatnonzero(ok & (eco == e))) for e in names]
