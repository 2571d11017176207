"""Truck factor after Avelino, Passos, Hora and Valente (ICPC 2016), and the CHAOSS bus factor.

Why this module exists: the truck factor ("how many people would have to leave before most of
the code has nobody who knows it") is the headline fragility number of the graph stage, and the
risk model computes it for thousands of (repository, cut date) snapshots. So it is computed from
two plain SQL queries scoped to the repository and the cut date, a linear replay in Python
(``ossmetrics.graph.history``) and a few vectorised NumPy steps — no NetworkX.

The algorithm, step by step (docs/graph.md states the same with the reasons; steps 2-5 are
computed by ``ossmetrics.graph.authorship``, step 1 by ``ossmetrics.graph.history``):

1. **File histories.** The non-merge commits of the repository up to the cut date
   (``committed_at <= as_of``), oldest first, are replayed file row by file row. A row with
   ``old_path`` is a rename and carries the file's history to the new path (chains of renames
   and swaps inside one commit included). The store has no change type, so a **deletion** is
   recognised from numstat: a row with ``added = 0``, ``deleted > 0`` removing at least
   ``DELETE_SHARE`` (half) of the file's estimated lines. A path that is deleted and later
   added again starts a *new* file history, whose creator is whoever added it back; a later
   edit (not a creation) of a renamed-away or deleted path is a parallel branch's and is
   credited to that file. A rename onto a path that still existed ends the file that lived there.
2. **Files counted** are those present at the cut date, except binary ones (their last change has
   no line counts, so neither content nor deletion can be seen), empty ones, and those matching
   the exclusion patterns (documentation, vendored/third-party, generated, lock files:
   ``DEFAULT_EXCLUDE`` in ``ossmetrics.graph.paths``).
3. **Degree of authorship** per (person, file) over non-bot commits, identities merged to
   ``people.person_id``: ``DOA = 3.293 + 1.098*FA + 0.164*DL - 0.321*ln(1 + AC)`` with FA = 1 if
   the person created the file (its first row), DL = the person's later changes to it (their
   rows, minus the creation), AC = changes to it by other (non-bot) people. Bot rows still shape
   the file histories (a bot can rename or delete a file) but give no one DOA and count as no
   one's AC.
4. **Authors** of a file: normalised DOA (DOA / the file's highest DOA) > 0.75 and, as the issue
   states, DOA >= 3.293 *or* being the file's creator (``creator_exempt=False`` gives the paper's
   literal rule, DOA >= 3.293 only).
5. **Greedy removal:** remove the person who authors the most files, again and again, until
   more than 50% of the files have no remaining author. The number removed is the truck
   factor, the people removed the key people (in removal order). **Ties** go to the person who
   came first: whose earliest non-merge commit to the repository (among the rows replayed in
   step 1) comes first in commit order, i.e. the earlier ``committed_at``, then the smaller
   commit sha. Both are public facts of the history, so the tie-break — and with it the truck
   factor, the key people and every model trained on them — is the same whoever pseudonymised
   the people and with whichever salt (``person_id`` follows the order of the salted
   pseudonyms in a corpus; it was the tie-break until issue 19). One commit has one author, so
   the order is total.

Defined results for the edge cases: no non-bot commits up to the cut date (including a cut before
the first commit, an empty repository, only bot commits) → ``truck_factor = None`` (undefined);
no counted files → ``None``; files but already more than half without an author → ``0``.

The **CHAOSS bus factor** ("the smallest number of people who make 50% of contributions",
https://chaoss.community/kb/metric-bus-factor/) is reported beside it as ``bus_factor_all_history``:
non-merge, non-bot commits up to the cut date, the fewest people whose commits reach >= 50%.
It is the metric ``queries/bus_factor.sql`` with the window stretched to all history; the
12-month window of that metric is health_summary's ``bus_factor_12m``. Each name carries its
window, so the pages never show two different numbers under one name.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

import duckdb
import numpy as np
import pandas as pd

from ossmetrics.graph.authorship import (
    DOA_AUTHOR_MIN,
    authorship,
    doa,
    greedy_removal,
    people_first_rows,
)
from ossmetrics.graph.history import (
    DELETE_SHARE,
    FileHistory,
    cut_timestamp,
    epoch_us,
    load_history,
)
from ossmetrics.graph.paths import DEFAULT_EXCLUDE, compile_exclude, exclude_regex

__all__ = [
    "DEFAULT_EXCLUDE",
    "DELETE_SHARE",
    "DOA_AUTHOR_MIN",
    "TruckFactorResult",
    "authorship_pairs",
    "bus_factor_all_history",
    "compile_exclude",
    "cut_timestamp",
    "doa",
    "exclude_regex",
    "truck_factor",
    "truck_factor_series",
]

#: Non-merge, non-bot commits with their person: the CHAOSS bus factor's input.
_COMMITS_SQL = """
SELECT epoch_us(c.committed_at) AS ts, c.person_id AS person
FROM human_commits c
WHERE c.repo_id = $repo AND NOT c.is_merge
  AND ($cut::TIMESTAMPTZ IS NULL OR c.committed_at <= $cut::TIMESTAMPTZ)
ORDER BY c.committed_at
"""


@dataclass
class TruckFactorResult:
    """One repository at one cut date.

    ``truck_factor`` is Avelino et al.'s degree-of-authorship truck factor; ``bus_factor_all_history``
    is the CHAOSS commit-share bus factor. They answer different questions (who *knows* the files
    vs. who *made* the commits) and are named apart on purpose.
    """

    truck_factor: int | None
    key_people: list[int]
    n_files: int
    authors: dict[int, int]
    bus_factor_all_history: int | None
    as_of: datetime | None = None
    n_authorless: int = 0
    reason: str = ""
    extra: dict[str, float] = field(default_factory=dict)

    def to_detail(self) -> dict[str, object]:
        """The JSON detail stored beside the ``truck_factor`` repo measure."""
        return {
            "key_people": self.key_people,
            "n_files": self.n_files,
            "n_authorless": self.n_authorless,
            "authors": {str(k): v for k, v in self.authors.items()},
            "bus_factor_all_history": self.bus_factor_all_history,
            "reason": self.reason,
        }


def _bus_factor(counts: np.ndarray) -> int | None:
    counts = counts[counts > 0]
    if not len(counts):
        return None
    s = np.sort(counts)[::-1]
    c = np.cumsum(s)
    return int(np.searchsorted(c * 2, c[-1], side="left") + 1)


def bus_factor_all_history(
    con: duckdb.DuckDBPyConnection, repo_id: int, as_of: datetime | date | None = None
) -> int | None:
    """CHAOSS bus factor: fewest people with >= 50% of the non-merge, non-bot commits."""
    arr = con.execute(_COMMITS_SQL, {"repo": repo_id, "cut": cut_timestamp(as_of)}).fetchnumpy()
    person = np.asarray(arr["person"], dtype=np.int64)
    if not len(person):
        return None
    _, counts = np.unique(person, return_counts=True)
    return _bus_factor(counts)


def _result(
    h: FileHistory,
    k: int,
    excluded: Callable[[str], bool],
    creator_exempt: bool,
    bus: int | None,
    as_of: datetime | None,
    excl_cache: dict[int, bool] | None = None,
    first_rows: dict[int, int] | None = None,
) -> TruckFactorResult:
    humans = bool((h.person[:k] >= 0).any()) or bus is not None
    a = authorship(h, k, excluded, creator_exempt, excl_cache, first_rows)
    n_files = len(a.fids)
    if not humans:
        return TruckFactorResult(
            None, [], n_files, {}, bus, as_of, n_files, "no non-bot commits up to the cut date"
        )
    if n_files == 0:
        return TruckFactorResult(
            None, [], 0, {}, bus, as_of, 0, "no counted files present at the cut date"
        )
    tf, key, authors, authorless = greedy_removal(a)
    reason = "more than half of the files have no author" if tf == 0 else ""
    return TruckFactorResult(tf, key, n_files, authors, bus, as_of, authorless, reason)


def truck_factor(
    con: duckdb.DuckDBPyConnection,
    repo_id: int,
    as_of: datetime | date | None = None,
    *,
    exclude: Sequence[str] | None = None,
    creator_exempt: bool = True,
) -> TruckFactorResult:
    """Truck factor (Avelino et al. 2016) and CHAOSS bus factor of ``repo_id`` at ``as_of``.

    Args:
        as_of: cut date; commits with ``committed_at <= as_of`` count (a ``date`` includes that
            whole day, UTC). ``None``: the whole history.
        exclude: glob patterns of files not counted; ``None`` uses ``DEFAULT_EXCLUDE``, ``[]``
            counts every file. Extend the defaults with ``[*DEFAULT_EXCLUDE, "tests/"]``.
        creator_exempt: a file's creator needs only normalised DOA > 0.75 (the issue's rule);
            ``False`` also requires DOA >= 3.293 of creators (the paper's literal rule).
    """
    cut = cut_timestamp(as_of)
    h = load_history(con, repo_id, cut)
    excluded = compile_exclude(DEFAULT_EXCLUDE if exclude is None else exclude)
    bus = bus_factor_all_history(con, repo_id, cut)
    return _result(h, len(h.fid), excluded, creator_exempt, bus, cut)


def authorship_pairs(
    con: duckdb.DuckDBPyConnection,
    repo_id: int,
    as_of: datetime | date | None = None,
    *,
    exclude: Sequence[str] | None = None,
    creator_exempt: bool = True,
) -> pd.DataFrame:
    """DOA of every (person, counted file) pair at the cut: the authorship graph's edges.

    Columns: person_id, path, doa, doa_norm, is_author, changes (the person's rows on the file,
    creation included).
    """
    h = load_history(con, repo_id, cut_timestamp(as_of))
    excluded = compile_exclude(DEFAULT_EXCLUDE if exclude is None else exclude)
    a = authorship(h, len(h.fid), excluded, creator_exempt)
    paths = np.asarray(a.file_paths, dtype=object)
    return pd.DataFrame(
        {
            "person_id": a.pair_person.astype(np.int64),
            "path": paths[a.pair_fid] if len(a.pair_fid) else np.zeros(0, dtype=object),
            "doa": a.pair_doa,
            "doa_norm": a.pair_norm,
            "is_author": a.pair_author,
            "changes": a.pair_changes.astype(np.int64),
        }
    ).sort_values(["path", "person_id"], ignore_index=True)


def truck_factor_series(
    con: duckdb.DuckDBPyConnection,
    repo_id: int,
    dates: Sequence[datetime | date],
    *,
    exclude: Sequence[str] | None = None,
    creator_exempt: bool = True,
) -> list[TruckFactorResult]:
    """``truck_factor`` at each of ``dates`` (same order), reading and replaying history once.

    File histories are causal (a row's file depends only on earlier rows), so one replay of the
    whole history serves every cut date: each date is a prefix of the rows. Use this for the
    risk model's snapshots of one repository; it costs about one ``truck_factor`` call plus a
    few milliseconds per date.
    """
    h = load_history(con, repo_id, None)
    excluded = compile_exclude(DEFAULT_EXCLUDE if exclude is None else exclude)
    arr = con.execute(_COMMITS_SQL, {"repo": repo_id, "cut": None}).fetchnumpy()
    cache: dict[int, bool] = {}  # path -> excluded, shared by every cut date
    first_rows = people_first_rows(h)  # the tie-break's order, shared by every cut date
    cts = np.asarray(arr["ts"], dtype=np.int64)
    cperson = np.asarray(arr["person"], dtype=np.int64)
    out = []
    for d in dates:
        cut = cut_timestamp(d)
        assert cut is not None
        us = epoch_us(cut)
        k = int(np.searchsorted(h.ts, us, side="right"))
        kc = int(np.searchsorted(cts, us, side="right"))
        bus = None
        if kc:
            _, counts = np.unique(cperson[:kc], return_counts=True)
            bus = _bus_factor(counts)
        out.append(_result(h, k, excluded, creator_exempt, bus, cut, cache, first_rows))
    return out
