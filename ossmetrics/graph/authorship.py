"""Degree of authorship and the greedy removal: steps 3-5 of the truck factor.

Why a module of its own: the truck factor (``ossmetrics.graph.truck_factor``, whose docstring
states the algorithm whole) and the authorship graph's edges both need the DOA of every
(person, file) pair in a prefix of the replayed history; this is that computation, vectorised
with NumPy, and the greedy removal that turns it into a truck factor. It reads no database:
its input is a ``FileHistory`` replayed by ``ossmetrics.graph.history``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ossmetrics.graph.history import FileHistory

__all__ = [
    "DOA_AUTHOR_MIN",
    "DOA_NORM_MIN",
    "Authorship",
    "authorship",
    "doa",
    "greedy_removal",
    "people_first_rows",
]

#: Threshold on absolute DOA (the DOA of a non-creator with one change and no one else).
DOA_AUTHOR_MIN = 3.293
#: Threshold on normalised DOA.
DOA_NORM_MIN = 0.75


def doa(fa: int | bool, dl: int, ac: int) -> float:
    """Degree of authorship (Fritz et al. 2014 weights, as used by Avelino et al. 2016)."""
    return 3.293 + 1.098 * float(fa) + 0.164 * dl - 0.321 * math.log1p(ac)


@dataclass
class Authorship:
    """DOA of every (person, present file) pair in a prefix; shared with the graph builders."""

    fids: np.ndarray  # present file ids (sorted)
    file_paths: list[str]  # their paths at the cut
    pair_fid: np.ndarray  # per pair: index into fids
    pair_person: np.ndarray  # per pair: person_id
    pair_doa: np.ndarray
    pair_norm: np.ndarray
    pair_author: np.ndarray  # bool
    pair_changes: np.ndarray  # the person's changes to the file
    first_row: dict[int, int] = field(default_factory=dict)  # person -> first replayed row


def people_first_rows(h: FileHistory) -> dict[int, int]:
    """Each person's first row in the replay (commit order: ``committed_at``, then sha).

    Over the whole loaded history: for a prefix that contains a person, their first row there
    is the same row, so one computation serves every cut date of a series.
    """
    people, first = np.unique(h.person, return_index=True)
    return {int(p): int(i) for p, i in zip(people.tolist(), first.tolist(), strict=True) if p >= 0}


def authorship(
    h: FileHistory,
    k: int,
    excluded: Callable[[str], bool],
    creator_exempt: bool,
    excl_cache: dict[int, bool] | None = None,
    first_rows: dict[int, int] | None = None,
) -> Authorship:
    """The DOA of every (person, counted file) pair in the first ``k`` replayed rows (steps 2-4).

    ``excl_cache`` (path index -> excluded) and ``first_rows`` (``people_first_rows``) may be
    passed in to share them across the cut dates of one history.
    """
    nf = h.n_files_total
    fid = h.fid[:k]
    # present: started within the prefix, not overwritten, last row not a deletion;
    # counted: last row not binary, it has had lines (empty files carry no code), not excluded
    last = np.full(nf, -1, dtype=np.int64)
    np.maximum.at(last, fid, np.arange(k, dtype=np.int64))
    present = (last >= 0) & (h.end_row >= k)
    cand = np.nonzero(present)[0]
    if len(cand):
        lr = last[cand]
        had_lines = np.bincount(fid, weights=h.added[:k], minlength=nf)[cand] > 0
        keep = ~h.binary[lr] & ~h.deletes[lr] & had_lines
        cand, lr = cand[keep], lr[keep]
        if excl_cache is None:
            excl_cache = {}
        mask = np.empty(len(cand), dtype=bool)
        for t, pi in enumerate(h.path_idx[lr].tolist()):
            e = excl_cache.get(pi)
            if e is None:
                e = excl_cache[pi] = excluded(h.paths[pi])
            mask[t] = not e
        cand, lr = cand[mask], lr[mask]
        file_paths = [h.paths[pi] for pi in h.path_idx[lr].tolist()]
    else:
        file_paths = []
    fids = cand
    empty_i = np.zeros(0, dtype=np.int64)
    empty_f = np.zeros(0, dtype=np.float64)
    if not len(fids):
        return Authorship(
            fids, file_paths, empty_i, empty_i, empty_f, empty_f, np.zeros(0, bool), empty_i
        )
    slot = np.full(nf, -1, dtype=np.int64)
    slot[fids] = np.arange(len(fids))
    rs = slot[fid]
    person = h.person[:k]
    sel = (rs >= 0) & (person >= 0)
    rs, rp = rs[sel], person[sel]
    if not len(rs):
        return Authorship(
            fids, file_paths, empty_i, empty_i, empty_f, empty_f, np.zeros(0, bool), empty_i
        )
    people, pidx = np.unique(rp, return_inverse=True)
    key = rs * len(people) + pidx
    ukey, cnt = np.unique(key, return_counts=True)
    pair_slot = ukey // len(people)
    pair_person = people[ukey % len(people)]
    total = np.bincount(rs, minlength=len(fids))
    creator = h.person[h.first_row[fids]]
    fa = (creator[pair_slot] == pair_person).astype(np.int64)
    dl = cnt - fa
    ac = total[pair_slot] - cnt
    d = DOA_AUTHOR_MIN + 1.098 * fa + 0.164 * dl - 0.321 * np.log1p(ac)
    mx = np.full(len(fids), -np.inf)
    np.maximum.at(mx, pair_slot, d)
    norm = d / mx[pair_slot]
    absolute_ok = d >= DOA_AUTHOR_MIN - 1e-12
    if creator_exempt:
        absolute_ok |= fa.astype(bool)
    author = (norm > DOA_NORM_MIN) & absolute_ok
    return Authorship(
        fids,
        file_paths,
        pair_slot,
        pair_person,
        d,
        norm,
        author,
        cnt,
        people_first_rows(h) if first_rows is None else first_rows,
    )


def greedy_removal(a: Authorship) -> tuple[int, list[int], dict[int, int], int]:
    """(truck factor, key people, authors -> files, authorless files at the start)."""
    n_files = len(a.fids)
    slots = a.pair_fid[a.pair_author]
    who = a.pair_person[a.pair_author]
    remaining = np.bincount(slots, minlength=n_files)
    authorless = int((remaining == 0).sum())
    start_authorless = authorless
    by_person: dict[int, list[int]] = {}
    for s, p in zip(slots.tolist(), who.tolist(), strict=True):
        by_person.setdefault(p, []).append(s)
    # ties: the person whose first commit to the repository came first (salt-free; see step 5)
    first = a.first_row
    order = sorted(by_person, key=lambda p: (-len(by_person[p]), first[p]))
    authors = {p: len(by_person[p]) for p in order}
    removed: list[int] = []
    rem = remaining.tolist()
    for p in order:
        if authorless * 2 > n_files:
            break
        removed.append(p)
        for s in by_person[p]:
            rem[s] -= 1
            if rem[s] == 0:
                authorless += 1
    # If every author is removed and still <= 50% are authorless (impossible unless n_files = 0),
    # the loop ends with everyone removed.
    return len(removed), removed, authors, start_authorless
