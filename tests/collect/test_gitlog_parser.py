"""The ``git log -z --numstat`` parser alone, on captured bytes (no git involved)."""

from __future__ import annotations

import pytest

from ossmetrics.collect.gitlog import FileChange, LogParser, parse_record, parse_tz

SHA1 = "1" * 40
SHA2 = "2" * 40
SHA3 = "3" * 40


def header(sha: str, parents: str = "", *, zone: str = "+0200", body: str = "msg\n") -> bytes:
    fields = [sha, parents, "Alice", "alice@example.org", "1704189600", zone]
    fields += ["Bob", "bob@example.org", "1704193200", "-0700", body]
    return b"\x1e" + "\x1f".join(fields).encode()


# Captured shape of `git log -z --numstat -M --format=...`: header NUL, "\n", entries NUL-ended;
# a rename is "A\tD\t" NUL old NUL new NUL; "-" marks a binary file.
LOG = (
    header(SHA1, SHA2, body="subject\n\nbody \x1f with US\n")
    + b"\0\n3\t1\tsrc/a b.py\0-\t-\tlogo.png\0"
    + b"5\t0\t\0old\tname.txt\0new\tname.txt\0"
    + b"1\t0\tcaf\xe9.txt\0"
    + header(SHA2, SHA3, zone="+51800", body="empty\n")
    + b"\0"
    + header(SHA3, body="root\n")
    + b"\0\n2\t0\t\x1estarts-with-RS\0"
)


def parse_all(chunks: list[bytes]) -> list:
    p = LogParser()
    out = []
    for c in chunks:
        out += p.feed(c)
    return out + p.close()


def test_parses_every_field_and_file_kind() -> None:
    commits = parse_all([LOG])
    assert [c.sha for c in commits] == [SHA1, SHA2, SHA3]
    c1 = commits[0]
    assert c1.parents == SHA2
    assert (c1.author_name, c1.author_email, c1.author_time, c1.author_tz) == (
        "Alice",
        "alice@example.org",
        1704189600,
        120,
    )
    assert (c1.committer_name, c1.committer_time, c1.committer_tz) == ("Bob", 1704193200, -420)
    assert c1.message_len == len("subject\n\nbody \x1f with US")
    assert c1.files == [
        FileChange("src/a b.py", None, 3, 1),
        FileChange("logo.png", None, None, None),
        FileChange("new\tname.txt", "old\tname.txt", 5, 0),
        FileChange("caf\ufffd.txt", None, 1, 0),
    ]
    assert commits[1].files == [] and commits[1].author_tz == 18 * 60
    # a path beginning with RS right after a NUL must not start a bogus record
    assert commits[2].files == [FileChange("\x1estarts-with-RS", None, 2, 0)]


def test_any_block_boundary_gives_the_same_commits() -> None:
    whole = parse_all([LOG])
    for cut in range(1, len(LOG)):
        assert parse_all([LOG[:cut], LOG[cut:]]) == whole, cut
    assert parse_all([bytes([b]) for b in LOG]) == whole


def test_feed_holds_back_the_last_commit_until_close() -> None:
    p = LogParser()
    got = p.feed(LOG)
    assert [c.sha for c in got] == [SHA1, SHA2]  # SHA3 may still be incomplete
    assert [c.sha for c in p.close()] == [SHA3]


def test_malformed_header_is_skipped_not_fatal() -> None:
    assert parse_record(b"not a commit\0") is None
    rec = parse_record(header(SHA1)[1:].replace(b"1704189600", b"oops") + b"\0")
    assert rec is not None and rec.author_time is None


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("+0000", 0),
        ("+0200", 120),
        ("-0700", -420),
        ("+0530", 330),
        ("+1245", 765),
        ("-1200", -720),
        ("+51800", 1080),  # rails has one; clamped to +18:00
        ("-99999", -1080),
        ("", None),
        ("0200", None),
        ("+02:00", None),
        ("--700", None),
    ],
)
def test_parse_tz(text: str, minutes: int | None) -> None:
    assert parse_tz(text) == minutes
