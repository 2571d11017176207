"""Identity merging, bots, mailmap parsing, and user overrides that survive re-collection."""

from __future__ import annotations

from pathlib import Path

import pytest

from ossmetrics.collect.bots import BotRules, is_bot, parse_bot_list
from ossmetrics.collect.corrections import list_people, merge_override, split_override
from ossmetrics.collect.git import collect_git
from ossmetrics.collect.identities import merge_identities
from ossmetrics.collect.identity_keys import noreply_login, normalise_name
from ossmetrics.collect.mailmap import parse_mailmap
from ossmetrics.errors import BadParameter
from tests.gitfactory import GitFactory, Person


@pytest.mark.parametrize(
    ("name", "email", "login", "expected"),
    [
        ("dependabot[bot]", "49699333+dependabot[bot]@users.noreply.github.com", None, True),
        ("Renovate Bot", "bot@renovateapp.com", None, True),
        ("github-actions", "41898282+github-actions[bot]@users.noreply.github.com", None, True),
        ("pre-commit-ci[bot]", "x@y.org", None, True),
        ("Greenkeeper", "support@greenkeeper.io", None, True),
        ("pytest bot", "pytestbot@gmail.com", None, True),
        ("HashiBot", "hashibot@hashicorp.com", None, True),
        ("Facebook Github Bot 3", "fb@fb.com", None, True),
        ("CI", "ci-bot@example.org", None, True),
        ("bors", "bors@rust-lang.org", None, True),
        ("Someone", "actions@github.com", None, True),
        (None, None, "mergify[bot]", True),
        ("GitHub", "noreply@github.com", None, False),  # the web-flow committer is a person's
        ("Abbot Talbot", "abbot@robots.org", None, False),
        ("Alice Example", "alice@acme.org", None, False),
        ("Botond Kiss", "botond@example.hu", None, False),
    ],
)
def test_bot_rules(name, email, login, expected) -> None:
    assert is_bot(name, email, login) is expected


def test_extra_bots_exact_and_pattern() -> None:
    rules = BotRules(parse_bot_list(" Release Robot , *-ci@acme.org,,"))
    assert rules("release robot", "rr@acme.org")
    assert rules("Nightly", "nightly-ci@acme.org")
    assert not rules("Alice", "alice@acme.org")
    assert parse_bot_list(None) == () and parse_bot_list(["A ", ""]) == ("a",)


def test_name_and_noreply_helpers() -> None:
    assert normalise_name("  José   García ") == "jose garcia"
    assert normalise_name("Jose Garcia") == normalise_name("JOSÉ GARCÍA")
    assert normalise_name("alex") is None  # one word: too weak
    assert normalise_name("J. Smith") is None  # one real word
    assert normalise_name("Your Name") is None  # placeholder
    assert noreply_login("12345+Octo-Cat@users.noreply.github.com") == "octo-cat"
    assert noreply_login("octocat@users.noreply.github.com") == "octocat"
    assert noreply_login("octocat@github.com") is None


def test_parse_mailmap() -> None:
    text = b"""# comment
Proper Name <commit@example.org>
<proper@example.org> <Other@Example.org>
Joe Dev <joe@dev.org> Joey <JOEY@old.org>
Caf\xc3\xa9 Person <cafe@x.org> <c@x.org> # trailing comment
"""
    assert parse_mailmap(text) == [
        ("Proper Name", None, None, "commit@example.org"),
        (None, "proper@example.org", None, "other@example.org"),
        ("Joe Dev", "joe@dev.org", "Joey", "joey@old.org"),
        ("Café Person", "cafe@x.org", None, "c@x.org"),
    ]
    assert parse_mailmap(None) == []


ANN = Person("Ann Lee", "ann@acme.org")
ANN2 = Person("ann", "ann.lee@gmail.com")
SAM1 = Person("Sam", "sam@shared.org")
SAM2 = Person("Samuel Roe", "sam@shared.org")
BOTTY = Person("Release Robot", "rr@acme.org")


def _pid(con, email: str) -> int:
    return con.execute("SELECT person_id FROM identities WHERE email = ?", [email]).fetchone()[0]


def test_overrides_survive_recollection(tmp_path: Path, con) -> None:
    r = GitFactory(tmp_path / "ov")
    r.commit({"a": "1\n"}, author=ANN)
    r.commit({"b": "1\n"}, author=ANN2)
    r.commit({"c": "1\n"}, author=SAM1)
    r.commit({"d": "1\n"}, author=SAM2)
    r.commit({"e": "1\n"}, author=BOTTY)
    collect_git(con, r.path, extra_bots=())
    assert _pid(con, "ann@acme.org") != _pid(con, "ann.lee@gmail.com")
    assert _pid(con, "sam@shared.org") == _pid(con, "sam@shared.org")  # same email: one person
    sam_ids = con.execute(
        "SELECT identity_id, person_id FROM identities WHERE email = 'sam@shared.org' ORDER BY 1"
    ).fetchall()
    assert sam_ids[0][1] == sam_ids[1][1] == sam_ids[0][0]

    ann = merge_override(con, "ann.lee@gmail.com", "ann@acme.org")
    assert ann == _pid(con, "ann@acme.org") == _pid(con, "ann.lee@gmail.com")
    samuel = "git:sam@shared.org\x1fSamuel Roe"
    split_override(con, samuel)
    sam_people = con.execute(
        "SELECT DISTINCT person_id FROM identities WHERE email = 'sam@shared.org'"
    ).fetchall()
    assert len(sam_people) == 2

    # new commits, a forgotten cursor (full re-collection) and a plain re-merge keep both
    r.commit({"f": "1\n"}, author=ANN2)
    con.execute("DELETE FROM sync_state")
    collect_git(con, r.path, extra_bots=["release robot"])
    merge_identities(con, extra_bots=["release robot"])
    assert _pid(con, "ann@acme.org") == _pid(con, "ann.lee@gmail.com")
    assert (
        len(
            con.execute(
                "SELECT DISTINCT person_id FROM identities WHERE email = 'sam@shared.org'"
            ).fetchall()
        )
        == 2
    )
    people = list_people(con, search="ann")
    assert [(p.display_name, p.commits, len(p.identities)) for p in people] == [("Ann Lee", 3, 2)]
    bots = list_people(con, bots=True)
    assert [p.display_name for p in bots] == ["Release Robot"]
    assert len(list_people(con, bots=False)) == 3
    assert len(list_people(con, repo="local/ov", limit=2)) == 2
    with pytest.raises(BadParameter):
        merge_override(con, "nobody@nowhere.org", "ann@acme.org")


def test_github_identities_link_by_login(tmp_path: Path, con) -> None:
    r = GitFactory(tmp_path / "gh")
    r.commit({"a": "1\n"}, author=Person("Octo", "9+octocat@users.noreply.github.com"))
    r.commit({"b": "1\n"}, author=Person("Octo Cat", "octo@cat.org"))
    collect_git(con, r.path)
    con.execute(
        "INSERT INTO identities (identity_key, source, login) VALUES ('github:octocat', 'github', 'OctoCat')"
    )
    con.execute(
        "UPDATE identities SET login = 'octocat' WHERE email = 'octo@cat.org'"
    )  # as the GitHub collector's commit bridge does
    merge_identities(con)
    rows = con.execute(
        "SELECT DISTINCT i.person_id, p.github_login FROM identities i JOIN people p USING (person_id)"
    ).fetchall()
    assert len(rows) == 1 and rows[0][1] == "OctoCat"
