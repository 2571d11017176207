"""A real git repository whose history is full of real-looking personal data.

Emails everywhere a real project has them: authors' and committers' addresses, an address typed
as a name, a ``.mailmap`` joining two addresses, GitHub noreply forms and bot addresses, and
sign-off lines in messages. People (name → what must never be published unless allowed):

- Ann Smith: the main author; two addresses joined by ``.mailmap``;
- Bob Jones: a GitHub noreply address (``12345+bobj@users.noreply.github.com``);
- carol@corp.io: her name field is her email;
- Dan Brown / Daniel Brown: ``.mailmap`` maps his old work address to his name;
- dependabot[bot], github-actions[bot]: bots with noreply addresses.
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.gitfactory import GitFactory, Person

ANN = Person("Ann Smith", "ann.smith@planetcoding.net")
ANN_OLD = Person("ann", "asmith@oldmail-provider.co.uk")
BOB = Person("Bob Jones", "12345+bobj@users.noreply.github.com")
CAROL = Person("carol@corp.io", "carol@corp.io")
DAN = Person("Dan Brown", "dan@brown-family.dev")
DAN_WORK = Person("D. Brown", "daniel.brown@initech.com")
DEPENDABOT = Person("dependabot[bot]", "49699333+dependabot[bot]@users.noreply.github.com")
ACTIONS = Person("github-actions[bot]", "41898282+github-actions[bot]@users.noreply.github.com")

MAILMAP = """\
# proper name and email first, the alias after
Ann Smith <ann.smith@planetcoding.net> ann <asmith@oldmail-provider.co.uk>
Daniel Brown <dan@brown-family.dev> <daniel.brown@initech.com>
"""

# Words that name a person who is not allowed in publish mode (case-insensitive), and the
# allowed one. Logins count as names.
NOT_ALLOWED = ["Bob Jones", "bobj", "carol", "Dan Brown", "Daniel Brown", "D. Brown", "asmith"]
ALLOWED = "Ann Smith"

# An email pattern independent of the one in ossmetrics.privacy (a test must not share the
# code it checks): something@label.label with a letters-only top-level label.
EMAIL = re.compile(rb"[A-Za-z0-9._%+\[\]-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")

SCHEDULE = [  # (author, month offset from 2024-01, files)
    (ANN, 0, {"src/core.py": "a\n"}),
    (ANN_OLD, 1, {"src/core.py": "a\nb\n"}),
    (BOB, 2, {"src/core.py": "a\nb\nc\n", "src/util.py": "u\n"}),
    (ANN, 3, {"src/util.py": "u\nv\n"}),
    (CAROL, 4, {"docs/index.md": "d\n", "src/core.py": "a\nb\nc\nd\n"}),
    (DAN_WORK, 5, {"src/cli.py": "c\n"}),
    (DAN, 6, {"src/cli.py": "c\nd\n", "src/util.py": "u\nv\nw\n"}),
    (DEPENDABOT, 7, {"requirements.txt": "x==1\n"}),
    (ANN, 8, {"src/core.py": "a\nb\nc\nd\ne\n", "src/cli.py": "c\nd\ne\n"}),
    (BOB, 9, {"src/util.py": "u\nv\nw\nx\n", "src/core.py": "A\nb\nc\nd\ne\n"}),
    (ACTIONS, 10, {"CHANGELOG.md": "release\n"}),
    (ANN, 11, {"src/core.py": "A\nB\nc\nd\ne\n", ".mailmap": MAILMAP}),
    (CAROL, 12, {"docs/index.md": "d\ne\n", "src/util.py": "U\nv\nw\nx\n"}),
    (ANN, 13, {"src/cli.py": "C\nd\ne\n"}),
    (DAN, 14, {"src/cli.py": "C\nD\ne\n", "src/core.py": "A\nB\nC\nd\ne\n"}),
    (ANN, 15, {"src/core.py": "A\nB\nC\nD\ne\n"}),
]


def month(offset: int, day: int = 3) -> str:
    y, m = divmod(offset, 12)
    return f"{2024 + y}-{m + 1:02d}-{day:02d}T10:00:00+00:00"


def make_history(path: Path) -> GitFactory:
    """The repository above, with sign-off lines carrying emails in every message."""
    repo = GitFactory(path)
    for author, offset, files in SCHEDULE:
        repo.commit(
            files,
            author=author,
            committer=ANN if author is not ACTIONS else ACTIONS,
            date=month(offset),
            message=f"change by {author.name}\n\nSigned-off-by: {author.line()}\n",
        )
    return repo


def emails_in(root: Path) -> dict[str, list[str]]:
    """Every file under ``root`` (any type: PNG and SVG included) that holds an email → them."""
    found: dict[str, list[str]] = {}
    for p in sorted(root.rglob("*")):
        if p.is_file():
            hits = EMAIL.findall(p.read_bytes())
            if hits:
                found[str(p.relative_to(root))] = sorted({h.decode("latin-1") for h in hits})
    return found


def names_in(root: Path, names: list[str]) -> dict[str, list[str]]:
    """Files under ``root`` whose text holds one of ``names`` (case-insensitive) → the names."""
    found: dict[str, list[str]] = {}
    for p in sorted(root.rglob("*")):
        if not p.is_file():
            continue
        text = p.read_bytes().decode("utf-8", "replace").casefold()
        hits = [n for n in names if n.casefold() in text]
        if hits:
            found[str(p.relative_to(root))] = hits
    return found
