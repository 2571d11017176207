"""Build a pseudonymised training corpus from a manifest of public repositories.

Why: the risk model needs many more histories than the 130 of the shared corpus, from several
ecosystems, and anyone must be able to rebuild them. A manifest (CSV: ``repo``, ``ecosystem``,
``why``, optional ``source`` and ``commit``) names the repositories; this module brings each
history onto the machine, collects it with the ordinary git collector into one DuckDB store
(``BUILD/corpus.duckdb``, so a person is one identity across every repository), reads the
README history for status notices (``collect.readme_status``), and writes Parquet in the shared
corpus's format (plus ``ecosystem``) with every name and email replaced by a salted hash.

Where a history comes from, first hit wins: the manifest row's ``source`` (a path or a URL);
``MIRROR_DIR/<owner>+<name>/repo`` or ``MIRROR_DIR/<owner>+<name>`` (a local bare copy);
otherwise ``git clone --bare`` from ``https://github.com/OWNER/NAME.git`` into
``BUILD/clones/`` (skipped with ``network=False``). A repository that cannot be had, or has no
commits, is listed in ``BUILD/skipped.csv`` with the reason and the rest is built.

People are merged once, not per repository: ``collect_git`` re-merges every identity of the
store when it adds new ones, which costs more as the store grows (about 3 s per repository near
450 repositories); the build collects with ``merge_people=False`` and merges after every
``merge_every`` collected repositories and at the end. The merge is recomputed from scratch over
the whole store, so the people and pseudonyms are the same as merging after each repository.
A flag in the store (``corpus_people``) remembers a merge still owed, so an interrupted build
merges on its next run even when nothing new is collected.

Resumable: a repository whose HEAD is already in the store is not collected again (the git
collector's own check), so an interrupted build continues where it stopped. The export writes
each Parquet file under a temporary name and renames it, so readers never see half a file.

Pseudonyms: ``sha256(salt + value)``, first 16 hex digits. The salt comes from
the environment (``ossmetrics.secret_env.corpus_salt``), else from ``BUILD/salt`` (created at random on the first build and
never written anywhere else): keep it private, or the hashes of known emails can be recomputed.
"""

from __future__ import annotations

import contextlib
import csv
import os
import secrets
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from ossmetrics.collect.corpus_manifest import ManifestRow, fill_commits, read_manifest, reserved
from ossmetrics.collect.gitlog import open_repository
from ossmetrics.collect.readme_status import StatusEvent, readme_status_events
from ossmetrics.errors import OssmetricsError, UsageError
from ossmetrics.secret_env import corpus_salt

__all__ = [
    "BuildResult",
    "ManifestRow",
    "build_corpus",
    "fill_commits",
    "read_manifest",
    "reserved",
]

CLONE_TIMEOUT_S = 1800
ECOSYSTEM_CATEGORY = {"thriving": "thriving", "dormant": "unmaintained", "archived": "unmaintained"}


@dataclass
class BuildResult:
    built: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    out_dir: Path = Path(".")
    rows: dict[str, int] = field(default_factory=dict)


def _salt(out: Path) -> str:
    env = corpus_salt()
    if env:
        return env
    f = out / "salt"
    if f.exists():
        return f.read_text().strip()
    value = secrets.token_hex(32)
    f.write_text(value + "\n")
    f.chmod(0o600)
    return value


def _source(row: ManifestRow, mirror_dir: Path | None, out: Path, network: bool) -> Path:
    """A local git directory holding ``row``'s history (cloned if needed); raises if none."""
    if row.source:
        if "://" not in row.source and not row.source.startswith("git@"):
            return Path(row.source)
        if not network:
            raise UsageError(f"{row.repo}: cloning {row.source} is not allowed offline", "")
        url = row.source
    else:
        key = row.repo.replace("/", "+", 1)
        if mirror_dir is not None:
            for cand in (mirror_dir / key / "repo", mirror_dir / key, mirror_dir / f"{key}.git"):
                if cand.is_dir():
                    return cand
        if not network:
            raise UsageError(f"{row.repo} is not in the mirror folder", "fetch it or allow network")
        url = f"https://github.com/{row.repo}.git"
    dest = out / "clones" / (row.repo.replace("/", "+", 1) + ".git")
    if (dest / "HEAD").exists():
        return _cut(dest, row)
    part = dest.with_name(dest.name + ".part")
    subprocess.run(["rm", "-rf", str(part)], check=False)
    dest.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}
    try:
        proc = subprocess.run(
            ["git", "clone", "--bare", "--quiet", url, str(part)],
            capture_output=True,
            env=env,
            timeout=CLONE_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        subprocess.run(["rm", "-rf", str(part)], check=False)
        raise UsageError(f"cloning {url} took over {CLONE_TIMEOUT_S} s", "retry later") from None
    if proc.returncode != 0:
        subprocess.run(["rm", "-rf", str(part)], check=False)
        err = [ln for ln in proc.stderr.decode("utf-8", "replace").splitlines() if ln.strip()]
        why = next((ln for ln in err if ln.startswith("fatal:")), err[-1] if err else "git failed")
        raise UsageError(f"cannot clone {url}: {why.removeprefix('fatal: ')}", "check the name")
    part.rename(dest)
    return _cut(dest, row)


def _cut(clone: Path, row: ManifestRow) -> Path:
    """Point our own clone's HEAD at the manifest's ``commit`` (the history it was cut at)."""
    if row.commit:
        proc = subprocess.run(
            ["git", "--git-dir", str(clone), "update-ref", "--no-deref", "HEAD", row.commit],
            capture_output=True,
            check=False,
        )
        if proc.returncode != 0:
            raise UsageError(f"{row.repo}: commit {row.commit} is not in its history", "")
    return clone


_BUILD_TABLES = """
CREATE TABLE IF NOT EXISTS corpus_manifest (
    repo VARCHAR PRIMARY KEY, ecosystem VARCHAR, why VARCHAR, family VARCHAR,
    expected_fate VARCHAR, head_sha VARCHAR, snapshot_mb DOUBLE, build_seconds DOUBLE);
CREATE TABLE IF NOT EXISTS corpus_people (stale BOOLEAN);
CREATE TABLE IF NOT EXISTS corpus_status_events (
    repo VARCHAR, "at" TIMESTAMPTZ, kind VARCHAR, evidence VARCHAR, sha VARCHAR);
"""


def _du_mb(path: Path) -> float:
    total = 0
    for root, _dirs, files in os.walk(path):
        for f in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(root, f)).st_size
    return round(total / 2**20, 2)


def build_corpus(
    manifest: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    mirror_dir: str | os.PathLike[str] | None = None,
    network: bool = True,
    only_local: bool = False,
    allow_reserved: bool = False,
    limit: int | None = None,
    export: bool = True,
    write_commits: bool = False,
    merge_every: int = 0,
    only: Sequence[str] | None = None,
    log: Callable[[str], None] | None = None,
) -> BuildResult:
    """Collect every manifest repository into ``out_dir/corpus.duckdb`` and export Parquet.

    ``only_local`` builds only the rows whose history is already on the machine (``source`` or
    mirror folder) and leaves the others out of ``skipped.csv`` (they were not tried).
    ``merge_every``: merge people after every N collected repositories (0: once, at the end;
    1: inside each collection, as ``collect git`` does); the result is the same.
    ``only``: build just these manifest repositories (OWNER/NAME, any case) — how the shipped
    model's corpus, a subset of the manifest, is rebuilt; a name the manifest lacks is an error.
    """
    from ossmetrics.collect.git import collect_git
    from ossmetrics.collect.identities import recompute_people
    from ossmetrics.store import connect, transaction

    say = log or (lambda _m: None)
    rows = read_manifest(manifest)
    if only is not None:
        wanted = {n.strip().lower() for n in only if n.strip()}
        unknown = sorted(wanted - {r.repo.lower() for r in rows})
        if unknown:
            raise UsageError(
                f"{len(unknown)} repositories are not in {manifest} (first: {unknown[0]})",
                "check the names against the manifest's repo column",
            )
        rows = [r for r in rows if r.repo.lower() in wanted]
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    mirrors = Path(mirror_dir) if mirror_dir else None
    if mirrors is not None and not mirrors.is_dir():
        raise UsageError(f"mirror folder {mirrors} not found", "give the folder fetch wrote to")
    result = BuildResult(out_dir=out)
    con = connect(out / "corpus.duckdb")
    try:
        con.execute(_BUILD_TABLES)
        unmerged = 0  # repositories collected since the last merge

        def merge() -> None:
            t = time.perf_counter()
            with transaction(con):
                n = recompute_people(con)
                con.execute("DELETE FROM corpus_people")
            say(f"merged identities into {n:,} people ({time.perf_counter() - t:.1f} s)")

        todo = rows[:limit] if limit else rows
        for i, row in enumerate(todo, start=1):
            if reserved(row.repo) and not allow_reserved:
                result.skipped.append((row.repo, "apache/* is reserved for validation"))
                continue
            if only_local and not row.source and not _has_mirror(row, mirrors):
                continue
            t0 = time.perf_counter()
            try:
                path = _source(row, mirrors, out, network)
                g = open_repository(path)
                if _already_built(con, row.repo, g.tips(False)[0][0]):
                    # resumed build, same HEAD: only the README rule and the manifest's words
                    # may have changed; the collection time measured first is kept.
                    with transaction(con):
                        _store_events(con, row.repo, readme_status_events(g))
                        con.execute(
                            "UPDATE corpus_manifest SET ecosystem = ?, why = ?, family = ?, "
                            "expected_fate = ? WHERE repo = ?",
                            [row.ecosystem, row.why, row.family or row.repo.split("/")[0],
                             row.expected_fate, row.repo],
                        )  # fmt: skip
                    result.built.append(row.repo)
                    continue
                res = collect_git(con, path, row.repo, jobs=1, merge_people=merge_every == 1)
                events = readme_status_events(g)
                head = g.tips(False)[0][0]
            except OssmetricsError as exc:
                result.skipped.append((row.repo, exc.message))
                say(f"[{i}/{len(todo)}] {row.repo}: skipped ({exc.message})")
                continue
            secs = time.perf_counter() - t0
            with transaction(con):
                if merge_every != 1:
                    con.execute("DELETE FROM corpus_people")
                    con.execute("INSERT INTO corpus_people VALUES (true)")
                _store_events(con, row.repo, events)
                con.execute(
                    "INSERT OR REPLACE INTO corpus_manifest VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        row.repo,
                        row.ecosystem,
                        row.why,
                        row.family or row.repo.split("/")[0],
                        row.expected_fate,
                        head,
                        _du_mb(Path(path)),
                        round(secs, 3),
                    ],
                )
            result.built.append(row.repo)
            result.seconds[row.repo] = secs
            say(f"[{i}/{len(todo)}] {row.repo}: {res.commits_total:,} commits ({secs:.1f} s)")
            unmerged += merge_every != 1
            if merge_every > 1 and unmerged >= merge_every:
                merge()
                unmerged = 0
        if con.execute("SELECT count(*) FROM corpus_people").fetchone() != (0,):
            merge()
        _write_skipped(out / "skipped.csv", result.skipped)
        if write_commits:
            heads = dict(con.execute("SELECT repo, head_sha FROM corpus_manifest").fetchall())
            fill_commits(manifest, {str(k): str(v) for k, v in heads.items()})
        if export:
            from ossmetrics.collect.corpus_export import export_corpus

            result.rows = export_corpus(con, out, _salt(out))
    finally:
        con.close()
    return result


def _store_events(con: duckdb.DuckDBPyConnection, repo: str, events: list[StatusEvent]) -> None:
    con.execute("DELETE FROM corpus_status_events WHERE repo = ?", [repo])
    if events:
        con.executemany(
            "INSERT INTO corpus_status_events VALUES (?, ?, ?, ?, ?)",
            [[repo, e.at, e.kind, e.evidence, e.sha] for e in events],
        )


def _already_built(con: duckdb.DuckDBPyConnection, repo: str, head: str) -> bool:
    row = con.execute(
        "SELECT 1 FROM corpus_manifest WHERE repo = ? AND head_sha = ?", [repo, head]
    ).fetchone()
    return row is not None


def _has_mirror(row: ManifestRow, mirrors: Path | None) -> bool:
    if mirrors is None:
        return False
    key = row.repo.replace("/", "+", 1)
    return any(p.is_dir() for p in (mirrors / key / "repo", mirrors / key, mirrors / f"{key}.git"))


def _write_skipped(path: Path, skipped: list[tuple[str, str]]) -> None:
    """Append this run's skipped repositories (a resumed build keeps the earlier ones)."""
    old: dict[str, str] = {}
    if path.exists():
        with path.open(newline="", encoding="utf-8") as fh:
            old = {r["repo"]: r["reason"] for r in csv.DictReader(fh)}
    old.update(dict(skipped))
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["repo", "reason"])
        w.writerows(sorted(old.items()))
    tmp.replace(path)


def built_repos(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Repositories the build store holds (for callers that resume or report)."""
    return [
        str(r[0]) for r in con.execute("SELECT repo FROM corpus_manifest ORDER BY repo").fetchall()
    ]
