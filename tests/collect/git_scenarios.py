"""The git histories and row readers that the collect_git tests share: one repository with every
scenario (renames, binary and odd paths, a merge, bots, mailmap, aliases, a raw commit with a
bad zone), every stored table in a comparable order, and a hook that interrupts collection."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from ossmetrics.collect import git_stage
from tests.gitfactory import GitFactory, Person

ALICE = Person("Alice Example", "alice@acme.org")
ALICE_WORK = Person("Alice  Example", "alice@initech.com")
BOB = Person("Bob Builder", "bob@builder.org")
BOB_OLD = Person("bobby", "bob.old@builder.net")
CARLOS = Person("Carlos Muñoz", "carlos@acme.org")
DEPENDABOT = Person("dependabot[bot]", "49699333+dependabot[bot]@users.noreply.github.com")
DANA1 = Person("Dana", "12345+dana-x@users.noreply.github.com")
DANA2 = Person("dana", "Dana-X@users.noreply.github.com")

UTC = UTC


def utc(*a: int) -> datetime:
    return datetime(*a, tzinfo=UTC)


def build_history(root: Path) -> dict[str, str]:
    """One repository with every scenario under ``root``; returns name -> sha (and 'path')."""
    r = GitFactory(root / "proj")
    s: dict[str, str] = {"path": str(r.path)}
    s["c1"] = r.commit(
        {"README.md": "a\nb\nc\n", "logo.png": b"\x89PNG\r\n\x1a\n\0\0binary"},
        message="first",
        author=ALICE,
        date="2024-01-02T10:00:00+02:00",
    )
    s["c2"] = r.commit(
        {"docs/README.md": "a\nb\nc\nd\n"},
        renames={"README.md": "docs/README.md"},
        message="rename",
        author=BOB,
        committer=ALICE,
        date="2024-01-03T09:30:00-07:00",
        committer_date="2024-01-04T02:00:00+05:30",
    )
    r.branch("feature")
    r.checkout("feature")
    s["c3"] = r.commit(
        {
            "tab\there.txt": "x\n",
            'quote"s, comma.txt': "q\nq\n",
            b"caf\xe9.txt": b"latin1\n",
            "ünïcode/файл.txt": "u\n",
        },
        author=CARLOS,
        message="odd paths",
        date="2024-01-05T12:00:00+00:00",
    )
    r.checkout("main")
    s["c4"] = r.commit(message="empty", author=ALICE, date="2024-01-06T12:00:00+00:00")
    s["m"] = r.merge("feature", author=ALICE, date="2024-01-07T12:00:00+00:00")
    s["c5"] = r.commit(
        {"requirements.txt": "x==1\n"}, author=DEPENDABOT, date="2024-01-08T12:00:00Z"
    )
    s["c6"] = r.commit(
        {"docs/README.md": "a\nb\nc\nd\ne\n"}, author=ALICE_WORK, date="2024-01-09T12:00:00Z"
    )
    s["c7"] = r.commit(
        {".mailmap": "Bob Builder <bob@builder.org> <bob.old@builder.net>\n"},
        author=BOB_OLD,
        date="2024-01-10T12:00:00Z",
    )
    s["c8"] = r.commit({"d.txt": "1\n"}, author=DANA1, date="2024-01-11T12:00:00Z")
    s["c9"] = r.commit({"d.txt": "1\n2\n"}, author=DANA2, date="2024-01-12T12:00:00Z")
    s["raw"] = r.raw_commit(
        author_line="Zed Zero <zed@zero.io>", author_time=1705000000, author_zone="+51800"
    )
    return s


def stored_tables(con) -> dict[str, list[tuple]]:
    return {
        "commits": con.execute("SELECT * FROM commits ORDER BY repo_id, sha").fetchall(),
        "commit_files": con.execute(
            "SELECT * FROM commit_files ORDER BY repo_id, sha, path"
        ).fetchall(),
        "identities": con.execute(
            "SELECT * EXCLUDE (first_seen_at) FROM identities ORDER BY identity_id"
        ).fetchall(),
        "people": con.execute("SELECT * FROM people ORDER BY person_id").fetchall(),
    }


def interrupt_at_commit(monkeypatch, n: int):
    """Ctrl-C as the collector stages its ``n``-th commit; returns the real method."""
    calls = {"n": 0}
    real = git_stage.Stager.add

    def add(self, c):
        calls["n"] += 1
        if calls["n"] == n:
            raise KeyboardInterrupt
        real(self, c)

    monkeypatch.setattr(git_stage.Stager, "add", add)
    return real


def files_of(con, sha: str) -> list[tuple]:
    return con.execute(
        "SELECT path, old_path, added, deleted FROM commit_files WHERE sha = ? ORDER BY path",
        [sha],
    ).fetchall()
