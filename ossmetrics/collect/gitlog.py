"""Talk to ``git``: open a repository, read its tips, and stream ``git log`` as parsed commits.

``git log --numstat -z -M`` is the fastest way to get per-file line counts out of a history
(measured while writing it, ``benchmarks/bench_git.py`` repeats it: parsed and loaded within
1.2-1.35x of git itself, where pygit2 is
2.3-5.2x and PyDriller 25-32x); ``log_commits`` runs several of them on contiguous slices of the
history to go past one process's speed. The format is machine-readable and unambiguous:

- each commit starts with RS (``\\x1e``); its header fields are split on US (``\\x1f``) and the
  header ends with NUL;
- with ``-z`` git prints paths raw (no C quoting, no ``{a => b}``): a numstat entry is
  ``ADDED\\tDELETED\\tPATH\\0``, a rename ``ADDED\\tDELETED\\t\\0OLD\\0NEW\\0``; ``-`` marks a
  binary file (stored as NULL, not 0); the first entry follows one ``\\n``;
- epochs come from ``%at``/``%ct``; zones (``%z`` via ``--date=format:``) are parsed by hand and
  clamped, because real histories hold zones like ``+51800`` that ``strptime`` rejects;
- bytes are decoded as UTF-8 with invalid bytes replaced (U+FFFD): DuckDB strings must be UTF-8.

Partial clones lack large blobs; ``git log --numstat`` then dies with ``unable to read``.
``iter_commits`` keeps what was parsed, re-diffs the failing commit without the missing paths
(those get a row with NULL counts) and resumes the log after it, so a collection never fails on
a missing blob.
"""

from __future__ import annotations

import contextlib
import os
import queue
import re
import subprocess
import threading
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from ossmetrics.errors import GitError, NotAGitRepository

try:
    import fcntl
except ImportError:  # not on POSIX: the pipe keeps its default size
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "GIT_CONFIG",
    "LOG_FORMAT",
    "Commit",
    "GitRepo",
    "LogParser",
    "iter_commits",
    "log_commits",
    "open_repository",
    "parse_tz",
]

# Pinned so a user's git config cannot change what is parsed.
GIT_CONFIG = (
    "core.quotepath=off",
    "log.showSignature=false",
    "log.showRoot=true",
    "diff.renameLimit=1000",
    "i18n.logOutputEncoding=UTF-8",
    "color.ui=never",
)
LOG_FORMAT = "%x1e%H%x1f%P%x1f%an%x1f%ae%x1f%at%x1f%ad%x1f%cn%x1f%ce%x1f%ct%x1f%cd%x1f%B"
LOG_FLAGS = (
    "--numstat",
    "-z",
    "-M",
    "--no-color",
    "--no-ext-diff",
    "--no-textconv",
    "--date=format:%z",
    "--format=" + LOG_FORMAT,
)
# Exactly the commits given on stdin, in that order (slices, and the rest after a missing blob).
NO_WALK_FLAGS = (*LOG_FLAGS, "--no-walk=unsorted", "--stdin")
MAX_TZ_MIN = 18 * 60  # the widest offset anyone uses is +14:00; clamp garbage to +-18:00
BLOCK = 1 << 20  # pipe size asked for
READ_BLOCK = 1 << 17
MIN_PER_JOB = 250  # fewer commits than this per git process: one process is as fast
MIN_STEAL = 100  # a slice with less than twice this left is not split again
_SHA_HEAD = re.compile(rb"^[0-9a-f]{40}(?:[0-9a-f]{24})?\x1f")
_MISSING = re.compile(r"unable to read|bad object|missing blob|could not read|not a valid object")


class FileChange(NamedTuple):
    path: str
    old_path: str | None
    added: int | None
    deleted: int | None


class Commit(NamedTuple):
    sha: str
    parents: str  # space-separated, as %P prints them
    author_name: str
    author_email: str
    author_time: int | None
    author_tz: int | None
    committer_name: str
    committer_email: str
    committer_time: int | None
    committer_tz: int | None
    message_len: int
    files: list[FileChange]


@dataclass(frozen=True)
class GitRepo:
    """A repository located on disk: ``git_dir`` is absolute, ``work_tree`` None when bare."""

    path: Path
    git_dir: Path
    work_tree: Path | None

    @property
    def name(self) -> str:
        """Folder name without ``.git`` (``/x/flask.git`` and ``/x/flask/.git`` → flask)."""
        base = self.work_tree if self.work_tree is not None else self.git_dir
        n = base.name
        if n == ".git":
            n = base.parent.name
        return n[:-4] if n.endswith(".git") and len(n) > 4 else n

    def argv(self, *args: str) -> list[str]:
        cfg = [x for c in GIT_CONFIG for x in ("-c", c)]
        return ["git", "--no-replace-objects", f"--git-dir={self.git_dir}", *cfg, *args]

    def run(self, *args: str, stdin: bytes | None = None, check: bool = True) -> bytes:
        """Run one git command to completion; a failure becomes a one-line ``GitError``."""
        proc = subprocess.run(
            self.argv(*args), input=stdin, capture_output=True, env=_env(), check=False
        )
        if check and proc.returncode != 0:
            raise GitError(
                f"git {args[0]} failed in {self.path}: {_first_line(proc.stderr)}",
                "check that the repository is intact (`git fsck`)",
            )
        return proc.stdout

    def tips(self, all_refs: bool) -> tuple[list[str], str | None]:
        """Commit ids to collect from, and the default branch (what HEAD points to)."""
        out = subprocess.run(
            self.argv("rev-parse", "HEAD^{commit}", "--symbolic-full-name", "HEAD"),
            capture_output=True,
            env=_env(),
            check=False,
        )
        lines = out.stdout.decode("utf-8", "replace").split()
        head = lines[0] if out.returncode == 0 and lines else None
        branch = None
        for ln in lines[1:]:
            if ln.startswith("refs/heads/"):
                branch = ln[len("refs/heads/") :]
        if branch is None and head is None:
            sym = self.run("symbolic-ref", "-q", "HEAD", check=False).decode().strip()
            branch = sym[len("refs/heads/") :] if sym.startswith("refs/heads/") else None
        if not all_refs:
            if head is None:
                raise GitError(
                    f"{self.path} has no commits (HEAD does not point to a commit)",
                    "commit something first, or pass --all-refs to read every branch and tag",
                )
            return [head], branch
        fmt = "%(objectname) %(objecttype) %(*objectname) %(*objecttype)"
        refs = self.run("for-each-ref", f"--format={fmt}", "refs/heads", "refs/tags").decode()
        tips: set[str] = set()
        for line in refs.splitlines():
            parts = line.split()
            if len(parts) >= 2 and parts[1] == "commit":
                tips.add(parts[0])
            elif len(parts) == 4 and parts[1] == "tag" and parts[3] == "commit":
                tips.add(parts[2])
        if head:
            tips.add(head)
        if not tips:
            raise GitError(
                f"{self.path} has no branches or tags pointing to commits",
                "commit something first",
            )
        return sorted(tips), branch

    def origin_url(self) -> str | None:
        out = self.run("config", "--get", "remote.origin.url", check=False).decode().strip()
        return out or None

    def read_blob(self, spec: str) -> bytes | None:
        """The content of ``REV:PATH`` (e.g. ``HEAD:.mailmap``), None when absent."""
        proc = subprocess.run(
            self.argv("cat-file", "blob", spec), capture_output=True, env=_env(), check=False
        )
        return proc.stdout if proc.returncode == 0 else None

    def rev_list(self, revs: Sequence[str], *extra: str) -> list[str]:
        """``git rev-list`` over ``revs`` (``^sha`` excludes), fed on stdin."""
        out = self.run("rev-list", *extra, "--stdin", stdin=("\n".join(revs) + "\n").encode())
        return out.decode().split()


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        LC_ALL="C", LANG="C", GIT_TERMINAL_PROMPT="0", GIT_OPTIONAL_LOCKS="0", GIT_PAGER="cat"
    )
    env.pop("GIT_DIR", None)
    env.pop("GIT_WORK_TREE", None)
    return env


def _first_line(err: bytes) -> str:
    text = err.decode("utf-8", "replace").strip()
    lines = [ln for ln in text.splitlines() if ln.strip()]
    for ln in lines:
        if ln.startswith(("fatal:", "error:")):
            return ln.split(":", 1)[1].strip()
    return lines[0] if lines else "no error message"


def open_repository(path: str | os.PathLike[str]) -> GitRepo:
    """Locate the repository at ``path`` (a clone, a bare repository or a ``.git`` folder)."""
    p = Path(path).expanduser()
    if not p.exists():
        raise NotAGitRepository(str(path), "no such file or directory")
    if not p.is_dir():
        raise NotAGitRepository(str(path), "not a directory")
    try:
        proc = subprocess.run(
            ["git", "-C", str(p), "rev-parse", "--absolute-git-dir", "--is-bare-repository"],
            capture_output=True,
            env=_env(),
            check=False,
        )
    except FileNotFoundError:
        raise GitError(
            "the git program was not found", "install git (2.31 or newer) and put it on PATH"
        ) from None
    if proc.returncode != 0:
        msg = _first_line(proc.stderr)
        if "dubious ownership" in msg:
            raise GitError(
                f"git refuses to read {p}: it belongs to another user",
                f"run `git config --global --add safe.directory {p.resolve()}`",
            )
        raise NotAGitRepository(str(path))
    lines = proc.stdout.decode("utf-8", "replace").splitlines()
    git_dir = Path(lines[0])
    bare = len(lines) > 1 and lines[1].strip() == "true"
    work_tree = None
    if not bare:
        top = subprocess.run(
            ["git", "-C", str(p), "rev-parse", "--show-toplevel"],
            capture_output=True,
            env=_env(),
            check=False,
        )
        t = top.stdout.decode("utf-8", "replace").strip()
        work_tree = Path(t) if top.returncode == 0 and t else None
    return GitRepo(path=p.resolve(), git_dir=git_dir, work_tree=work_tree)


def parse_tz(text: str) -> int | None:
    """``+0530`` → 330 minutes; garbage → None; out-of-range zones clamped to ±18:00."""
    if len(text) < 2 or text[0] not in "+-" or not text[1:].isdigit():
        return None
    value = int(text[1:])
    minutes = (value // 100) * 60 + value % 100
    minutes = min(minutes, MAX_TZ_MIN)
    return -minutes if text[0] == "-" else minutes


def _int(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


def _count(text: str) -> int | None:
    return None if text == "-" else _int(text)


def _parse_files(tokens: list[str]) -> list[FileChange]:
    files: list[FileChange] = []
    i, n = 0, len(tokens)
    while i < n:
        tok = tokens[i]
        i += 1
        if not tok:
            continue
        parts = tok.split("\t", 2)
        if len(parts) != 3:
            continue
        a, d, path = parts
        if path:
            files.append(FileChange(path, None, _count(a), _count(d)))
        elif i + 1 < n:
            files.append(FileChange(tokens[i + 1], tokens[i], _count(a), _count(d)))
            i += 2
        else:
            break
    return files


def parse_record(raw: bytes) -> Commit | None:
    """One commit's bytes (without the leading RS) → ``Commit``; None if it is not one."""
    text = raw.decode("utf-8", "replace")
    head, sep, rest = text.partition("\0")
    fields = head.split("\x1f", 10)
    if len(fields) != 11:
        return None
    sha, parents, an, ae, at, ad, cn, ce, ct, cd, body = fields
    files: list[FileChange] = []
    if sep and rest:
        if rest[0] == "\n":
            rest = rest[1:]
        files = _parse_files(rest.split("\0"))
    return Commit(
        sha,
        parents,
        an,
        ae,
        _int(at),
        parse_tz(ad),
        cn,
        ce,
        _int(ct),
        parse_tz(cd),
        len(body.rstrip("\n")),
        files,
    )


class LogParser:
    """Incremental parser: ``feed`` blocks of ``git log`` output, get completed commits.

    A commit is only emitted once the next one has begun (or ``close`` is called), so a log that
    dies midway never yields a truncated commit unless ``close`` is asked for it.
    """

    def __init__(self) -> None:
        self._buf = b""

    def feed(self, data: bytes) -> list[Commit]:
        buf = self._buf + data
        cut = buf.rfind(b"\0\x1e")
        if cut < 0:
            self._buf = buf
            return []
        self._buf = buf[cut + 1 :]
        return self._records(buf[: cut + 1])

    def close(self) -> list[Commit]:
        """The last commit (call only when git exited successfully)."""
        buf, self._buf = self._buf, b""
        return self._records(buf) if buf.strip(b"\0") else []

    @staticmethod
    def _records(chunk: bytes) -> list[Commit]:
        out: list[Commit] = []
        pieces = chunk.split(b"\0\x1e")
        if pieces and pieces[0].startswith(b"\x1e"):
            pieces[0] = pieces[0][1:]
        # A path that begins with RS right after a NUL would split a record: glue it back.
        merged: list[bytes] = []
        for p in pieces:
            if merged and not _SHA_HEAD.match(p):
                merged[-1] += b"\0\x1e" + p
            else:
                merged.append(p)
        for p in merged:
            rec = parse_record(p)
            if rec is not None:
                out.append(rec)
        return out


def _feed_stdin(proc: subprocess.Popen[bytes], data: bytes) -> threading.Thread:
    def write() -> None:
        try:
            assert proc.stdin is not None
            proc.stdin.write(data)
            proc.stdin.close()
        except (BrokenPipeError, OSError):
            pass

    t = threading.Thread(target=write, daemon=True)
    t.start()
    return t


def _widen_pipe(fd: int) -> None:
    """Ask Linux for a 1 MiB pipe (default 64 KiB), so git blocks less while we parse."""
    setsz = getattr(fcntl, "F_SETPIPE_SZ", None) if fcntl is not None else None
    if setsz is None:
        return
    with contextlib.suppress(OSError):  # over /proc/sys/fs/pipe-max-size: keep the default
        fcntl.fcntl(fd, setsz, BLOCK)


def _stream(
    repo: GitRepo,
    args: Sequence[str],
    stdin: bytes,
    procs: list[subprocess.Popen[bytes]] | None = None,
) -> Iterator[Commit | bytes]:
    """Run one ``git log``; yield commits, then (on failure) its stderr as bytes.

    ``procs`` collects the process, so that another thread can kill it to stop this one.
    """
    proc = subprocess.Popen(
        repo.argv("log", *args),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(),
    )
    if procs is not None:
        procs.append(proc)
    writer = _feed_stdin(proc, stdin)
    errbuf: list[bytes] = []

    def drain() -> None:
        assert proc.stderr is not None
        errbuf.append(proc.stderr.read())

    err_thread = threading.Thread(target=drain, daemon=True)
    err_thread.start()
    parser = LogParser()
    assert proc.stdout is not None
    _widen_pipe(proc.stdout.fileno())
    read = proc.stdout.read
    try:
        while True:
            # A buffered read of READ_BLOCK: git flushes after every commit (~300 bytes), and
            # one os.read per flush cost more CPU than parsing (59k reads on numpy). Not the
            # whole 1 MiB: a short history would then be parsed only after git ends, and the
            # work stealing would see a slice's progress late.
            data = read(READ_BLOCK)
            if not data:
                break
            yield from parser.feed(data)
        rc = proc.wait()
        err_thread.join()
        writer.join()
        if rc == 0:
            yield from parser.close()
        else:
            yield b"".join(errbuf) or b"git log failed"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()


def iter_commits(
    repo: GitRepo,
    include: Sequence[str],
    exclude: Iterable[str] = (),
    *,
    jobs: int = 1,
    order: Sequence[str] | None = None,
) -> Generator[Commit, None, None]:
    """Every commit reachable from ``include`` and not from ``exclude``.

    ``jobs=1`` streams one ``git log`` newest first. ``jobs > 1`` splits the range (``order``:
    its ``git rev-list``, computed when not given) over that many ``git log`` processes; commits
    then arrive in no fixed order. Missing blobs (partial clones) do not stop it: see the module
    docstring.
    """
    revs = [*include, *("^" + s for s in exclude)]
    if jobs > 1:
        shas = list(order) if order is not None else repo.rev_list(revs)
        yield from log_commits(repo, shas, jobs=jobs)
        return
    stdin = ("\n".join(revs) + "\n").encode()
    yield from _log(repo, [*LOG_FLAGS, "--stdin"], stdin, lambda: repo.rev_list(revs))


@dataclass
class _Slice:
    """Commits ``shas[pos:end]`` still to be delivered by one worker (``end`` may shrink)."""

    pos: int
    end: int
    done: bool = False


def log_commits(
    repo: GitRepo, shas: Sequence[str], *, jobs: int = 1
) -> Generator[Commit, None, None]:
    """Exactly the commits ``shas`` (each diffed against its first parent), over ``jobs`` processes.

    ``git log`` is single-threaded and is the whole cost of a collection (the parser keeps up
    with it), so the only way past its speed is more than one of it. The list is cut into
    ``jobs`` contiguous slices, not dealt out commit by commit: neighbouring commits share
    trees and blobs, and a process that walks a contiguous slice keeps reading what its delta
    cache already holds (dealt alternately, rails was measured *slower* on two
    processes). Slices of equal length are not equal work (a slice of big generated files
    takes longer), so a worker that finishes **steals** the second half of what is left of the
    busiest slice: it starts its own ``git log`` there, and the owner stops when it reaches
    that point. Below ``MIN_PER_JOB`` commits a process the start-up is not worth it.

    Each slice is parsed in its own thread and handed over in batches through a bounded queue,
    so memory stays bounded however long the history is; closing the generator stops every git
    process. Commits arrive in no fixed order.
    """
    shas = list(shas)
    jobs = max(1, min(jobs, len(shas) // MIN_PER_JOB))
    if jobs == 1:
        if not shas:
            return
        stdin = ("\n".join(shas) + "\n").encode()
        yield from _log(repo, list(NO_WALK_FLAGS), stdin, lambda: shas)
        return
    n = len(shas)
    slices = [_Slice(i * n // jobs, (i + 1) * n // jobs) for i in range(jobs)]
    lock = threading.Lock()
    q: queue.Queue[list[Commit] | BaseException | None] = queue.Queue(maxsize=4 * jobs)
    stop = threading.Event()
    procs: list[subprocess.Popen[bytes]] = []

    def put(item: list[Commit] | BaseException | None) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def steal(own: _Slice) -> _Slice | None:
        with lock:
            own.done = True
            busy = [sl for sl in slices if not sl.done]
            if not busy:
                return None
            victim = max(busy, key=lambda sl: sl.end - sl.pos)
            left = victim.end - victim.pos
            if left < 2 * MIN_STEAL:
                return None
            mid = victim.pos + left // 2
            theirs = _Slice(mid, victim.end)
            victim.end = mid
            slices.append(theirs)
            return theirs

    def deliver(sl: _Slice) -> bool:
        """Stream ``sl`` to the queue until its (possibly shrinking) end; False when stopping."""
        with lock:
            part = shas[sl.pos : sl.end]
        stdin = ("\n".join(part) + "\n").encode()
        gen = _log(repo, list(NO_WALK_FLAGS), stdin, lambda: part, procs)
        try:
            batch: list[Commit] = []
            for c in gen:
                with lock:
                    if sl.pos >= sl.end:
                        break  # the rest was stolen
                    sl.pos += 1
                batch.append(c)
                if len(batch) >= 64:
                    if not put(batch):
                        return False
                    batch = []
            return not batch or put(batch)
        finally:
            gen.close()  # kills this slice's git when it stopped early

    def work(first: _Slice) -> None:
        try:
            sl: _Slice | None = first
            while sl is not None and deliver(sl):
                sl = steal(sl)
        except BaseException as exc:  # handed to the consumer, raised there (unless stopping)
            put(exc)
        finally:
            put(None)

    threads = [
        threading.Thread(target=work, args=(sl,), daemon=True, name=f"ossmetrics-git-log-{i}")
        for i, sl in enumerate(list(slices))
    ]
    for t in threads:
        t.start()
    try:
        running = len(threads)
        while running:
            item = q.get()
            if item is None:
                running -= 1
            elif isinstance(item, BaseException):
                raise item
            else:
                yield from item
    finally:
        stop.set()
        for proc in list(procs):  # a worker blocked reading git wakes up on EOF
            if proc.poll() is None:
                proc.kill()
        for t in threads:
            t.join()


def _log(
    repo: GitRepo,
    args: list[str],
    stdin: bytes,
    order: Callable[[], list[str]],
    procs: list[subprocess.Popen[bytes]] | None = None,
) -> Generator[Commit, None, None]:
    """One ``git log`` over ``stdin``'s revisions, stepping over commits with missing blobs.

    ``order`` lists, newest first, the commits that log shows (only asked for on a failure).
    """
    done: set[str] = set()
    listed: list[str] | None = None
    while True:
        failure: bytes | None = None
        for item in _stream(repo, args, stdin, procs):
            if isinstance(item, bytes):
                failure = item
            else:
                done.add(item.sha)
                yield item
        if failure is None:
            return
        msg = _first_line(failure)
        if not _MISSING.search(msg):
            raise GitError(
                f"git log failed in {repo.path}: {msg}",
                "check that the repository is intact (`git fsck`)",
            )
        if listed is None:
            listed = order()
        remaining = [s for s in listed if s not in done]
        if not remaining:
            return
        failing, rest = remaining[0], remaining[1:]
        commit = _fallback_commit(repo, failing)
        done.add(failing)
        yield commit
        if not rest:
            return
        args = list(NO_WALK_FLAGS)
        stdin = ("\n".join(rest) + "\n").encode()


def _fallback_commit(repo: GitRepo, sha: str) -> Commit:
    """One commit whose diff touches a missing blob: exact rows for the rest, NULL for those."""
    header = repo.run(
        "log", "-1", "--no-walk", "-z", "--date=format:%z", "--format=" + LOG_FORMAT[4:], sha
    )
    rec = parse_record(header.rstrip(b"\0") + b"\0")
    if rec is None:
        raise GitError(f"cannot read commit {sha} in {repo.path}", "run `git fsck`")
    raw = repo.run(
        "diff-tree", "-r", "-z", "--no-renames", "--raw", "--root", "--no-commit-id", sha
    )
    tokens = raw.decode("utf-8", "replace").split("\0")
    entries: list[tuple[str, str, str]] = []  # (old blob, new blob, path)
    for i in range(0, len(tokens) - 1, 2):
        meta = tokens[i].split()
        if len(meta) >= 5:
            entries.append((meta[2], meta[3], tokens[i + 1]))
    blobs = sorted({b for o, n, _ in entries for b in (o, n) if set(b) != {"0"}})
    check = repo.run("cat-file", "--batch-check", stdin=("\n".join(blobs) + "\n").encode())
    missing = {ln.split()[0] for ln in check.decode().splitlines() if ln.endswith(" missing")}
    bad = sorted({p for o, n, p in entries if o in missing or n in missing})
    spec = [f":(exclude,literal){p}" for p in bad]
    out = repo.run(
        "diff-tree",
        "-r",
        "-z",
        "-M",
        "--numstat",
        "--root",
        "--no-commit-id",
        sha,
        "--",
        ".",
        *spec,
    )
    files = _parse_files(out.decode("utf-8", "replace").split("\0"))
    files += [FileChange(p, None, None, None) for p in bad]
    return rec._replace(files=files)
