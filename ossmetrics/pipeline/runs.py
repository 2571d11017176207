"""The ``runs`` table: one row per (run, repository, step), written so a crash is visible.

A stage's row is inserted as ``running`` (committed at once) before the stage starts and updated
when it ends. A process killed in between leaves ``running`` rows; the next run, which holds the
nightly lock and so knows no other run is alive, marks them ``interrupted``. Statuses:
``running``, ``ok``, ``failed``, ``skipped``, ``rate_limited``, ``interrupted``. A failed step
keeps its one-line error in ``error`` and the full traceback (secrets redacted) in
``traceback``.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from ossmetrics.errors import NightlyError, OssmetricsError, RateLimited, StoreError
from ossmetrics.secret_env import redact

__all__ = ["RunLog", "StageRecord", "describe_store_failure"]

_STORE_HINT = (
    "free disk space or fix the store's permissions, then run again; completed work is kept"
)


def describe_store_failure(exc: BaseException) -> str:
    """One plain line for a write the store refused (full disk, read-only file, ...)."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    low = text.lower()
    if "no space left" in low or "file too large" in low or "disk full" in low:
        return f"the disk holding the store is full ({text})"
    if "read-only" in low or "readonly" in low or "permission denied" in low:
        return f"the store cannot be written ({text})"
    return text


@dataclass
class StageRecord:
    """What one stage did; the code inside ``RunLog.stage`` fills it in."""

    repo: str | None
    stage: str
    repo_id: int | None = None
    status: str = "running"
    items: int = 0
    requests: int = 0
    seconds: float = 0.0
    error: str | None = None
    started_at: datetime | None = None
    traceback: str | None = None

    def skip(self, reason: str) -> None:
        self.status = "skipped"
        self.error = reason


class RunLog:
    """Writes a run's rows; every write is its own committed statement."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.run_id = 0
        self.records: list[StageRecord] = []
        self.interrupted_before = 0
        self._planned: set[tuple[str | None, str]] = set()

    def _write(self, sql: str, params: list[object]) -> None:
        try:
            self.con.execute(sql, params)
        except (duckdb.Error, OSError) as exc:
            raise StoreError(
                f"cannot record the nightly run: {describe_store_failure(exc)}", _STORE_HINT
            ) from None

    def start(self) -> int:
        """Mark rows left ``running`` by a dead run as ``interrupted``; open a new run."""
        try:
            row = self.con.execute("SELECT count(*) FROM runs WHERE status = 'running'").fetchall()
            self.interrupted_before = int(row[0][0]) if row else 0
        except duckdb.Error as exc:
            raise NightlyError(f"cannot read the runs table: {exc}") from None
        self._write(
            "UPDATE runs SET status = 'interrupted', finished_at = now(),"
            " error = coalesce(error, 'the process ended before this stage finished')"
            " WHERE status = 'running'",
            [],
        )
        try:
            row = self.con.execute("SELECT nextval('run_id_seq')").fetchall()
        except duckdb.Error as exc:
            raise StoreError(
                f"cannot start a run: {describe_store_failure(exc)}", _STORE_HINT
            ) from None
        self.run_id = int(row[0][0])
        self._write(
            "INSERT INTO runs (run_id, started_at, repo, stage, status) VALUES (?, now(), NULL, 'run', 'running')",
            [self.run_id],
        )
        return self.run_id

    def plan(self, repo: str | None, stages: list[str], repo_id: int | None = None) -> None:
        """Insert ``running`` rows for the stages about to run, in one commit.

        Each commit costs a WAL sync; planning a repository's steps together halves the
        bookkeeping commits of a no-change night, and a crash still leaves ``running`` rows
        for every step that had not finished.
        """
        todo = [st for st in stages if (repo, st) not in self._planned]
        if not todo:
            return
        values = ", ".join("(?, now(), ?, ?, ?, 'running')" for _ in todo)
        params: list[object] = []
        for st in todo:
            params += [self.run_id, repo_id, repo, st]
            self._planned.add((repo, st))
        self._write(
            f"INSERT INTO runs (run_id, started_at, repo_id, repo, stage, status) VALUES {values}",
            params,
        )

    @contextmanager
    def stage(
        self, repo: str | None, stage: str, repo_id: int | None = None
    ) -> Iterator[StageRecord]:
        """Record one step. Failures are caught and recorded (with their traceback), never raised.

        ``OssmetricsError`` → ``failed`` (``RateLimited`` → ``rate_limited``); any other
        exception → ``failed`` as an internal error, so one repository's bug cannot stop the
        others. A ``StoreError`` while recording propagates: without a store nothing can go on.
        """
        rec = StageRecord(repo=repo, stage=stage, repo_id=repo_id)
        self.records.append(rec)
        self.plan(repo, [stage], repo_id)
        t0 = time.perf_counter()
        rec.started_at = datetime.now(UTC)
        try:
            yield rec
            if rec.status == "running":
                rec.status = "ok"
        except RateLimited as exc:
            rec.status, rec.error = "rate_limited", redact(exc.one_line())
        except OssmetricsError as exc:
            rec.status, rec.error = "failed", redact(exc.one_line())
            rec.traceback = redact(traceback.format_exc())
        except (KeyboardInterrupt, SystemExit):
            rec.status, rec.error = "interrupted", "interrupted"
            self._close(rec, t0)
            raise
        except (duckdb.Error, OSError) as exc:
            rec.status, rec.error = "failed", redact(describe_store_failure(exc))
            rec.traceback = redact(traceback.format_exc())
        except Exception as exc:
            msg = f"{type(exc).__name__}: {exc}".splitlines()[0]
            rec.status, rec.error = "failed", redact(f"internal error ({msg})")
            rec.traceback = redact(traceback.format_exc())
        self._close(rec, t0)

    def _close(self, rec: StageRecord, t0: float) -> None:
        rec.seconds = time.perf_counter() - t0
        if rec.status not in ("ok", "skipped"):
            # A failed stage may have left its transaction open; nothing could be written then.
            with suppress(duckdb.Error):
                self.con.execute("ROLLBACK")
        self._write(
            "UPDATE runs SET started_at = ?, status = ?, finished_at = now(), items = ?, requests = ?, seconds = ?,"
            " error = ?, traceback = ?, repo_id = coalesce(?, repo_id)"
            " WHERE run_id = ? AND stage = ? AND repo IS NOT DISTINCT FROM ?",
            [
                rec.started_at,
                rec.status,
                rec.items,
                rec.requests,
                round(rec.seconds, 3),
                rec.error,
                rec.traceback,
                rec.repo_id,
                self.run_id,
                rec.stage,
                rec.repo,
            ],
        )

    def finish(self, status: str, seconds: float) -> None:
        self._write(
            "UPDATE runs SET status = ?, finished_at = now(), seconds = ?, items = ?"
            " WHERE run_id = ? AND stage = 'run'",
            [status, round(seconds, 3), sum(r.items for r in self.records), self.run_id],
        )
