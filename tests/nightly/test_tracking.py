"""Tracked repositories in ossmetrics.toml: parsing, errors with lines, edits that keep the rest."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from ossmetrics.errors import ConfigError, UsageError
from ossmetrics.tracking import TrackedRepo, add_tracked, is_url, load_tracked, remove_tracked

CONFIG = """\
# my portfolio
[settings]
db = "portfolio.duckdb"   # kept across edits

[[repos]]
name = "pallets/flask"
git = "https://github.com/pallets/flask.git"
stars = true
bots = ["flask-bot"]
exclude = ["docs/**", "*.lock"]

[[repos]]
git = "local/checkout"
"""


def test_load_parses_every_option_and_resolves_relative_paths(tmp_path: Path) -> None:
    cfg = tmp_path / "ossmetrics.toml"
    cfg.write_text(CONFIG)
    a, b = load_tracked(cfg)
    assert a == TrackedRepo(
        name="pallets/flask",
        git="https://github.com/pallets/flask.git",
        stars=True,
        github=True,
        bots=("flask-bot",),
        exclude=("docs/**", "*.lock"),
    )
    assert a.line == 5 and a.collects_github
    assert b.name is None and b.git == str(tmp_path / "local" / "checkout")
    assert b.label == str(tmp_path / "local" / "checkout") and not b.collects_github
    assert b.line == 12


def test_missing_file_tracks_nothing(tmp_path: Path) -> None:
    assert load_tracked(tmp_path / "absent.toml") == []


@pytest.mark.parametrize(
    ("body", "line", "words"),
    [
        ('[[repos]]\nname = "a/b"\nstarz = true\n', 3, "unknown key 'starz'"),
        ('[[repos]]\nname = "not a name"\n', 2, "'not a name' is not a repository name"),
        (
            '[[repos]]\nname = "a/b"\n\n[[repos]]\nname = "a/b"\n',
            4,
            "'a/b' is tracked twice (first on line 1)",
        ),
        ('[[repos]]\nname = "a/b"\nstars = "yes"\n', 3, "'stars' must be true or false"),
        ('[[repos]]\nname = "a/b"\nbots = "x"\n', 3, "'bots' must be a list"),
        ("[settings]\n\n[[repos]]\nstars = true\n", 3, "needs 'name'"),
        ('[[repos]]\nname = "a/b"\ngit = [1\n', 3, "malformed TOML"),
        ("repos = 3\n", 1, "'repos' must be an array of tables"),
    ],
)
def test_config_errors_name_file_and_line(tmp_path: Path, body: str, line: int, words: str) -> None:
    cfg = tmp_path / "ossmetrics.toml"
    cfg.write_text(body)
    with pytest.raises(ConfigError) as err:
        load_tracked(cfg)
    assert err.value.line == line
    assert err.value.one_line().startswith(f"{cfg}:{line}: ")
    assert words in err.value.one_line()


def test_add_and_remove_keep_settings_and_comments(tmp_path: Path) -> None:
    cfg = tmp_path / "ossmetrics.toml"
    cfg.write_text(CONFIG)
    assert add_tracked(cfg, TrackedRepo(name="psf/requests", bots=("rbot",), stars=True)) is False
    text = cfg.read_text()
    assert text.startswith(CONFIG)  # appended: comments and layout untouched
    names = [e.label for e in load_tracked(cfg)]
    assert names == ["pallets/flask", str(tmp_path / "local" / "checkout"), "psf/requests"]

    removed = remove_tracked(cfg, "PALLETS/flask")
    assert removed.name == "pallets/flask"
    text = cfg.read_text()
    assert "# my portfolio" in text and "# kept across edits" in text
    data = tomllib.loads(text)
    assert data["settings"] == {"db": "portfolio.duckdb"}
    assert data["repos"] == [
        {"git": "local/checkout"},
        {"name": "psf/requests", "stars": True, "bots": ["rbot"]},
    ]


def test_add_replaces_an_entry_of_the_same_name(tmp_path: Path) -> None:
    cfg = tmp_path / "ossmetrics.toml"
    add_tracked(cfg, TrackedRepo(name="a/b"))
    assert add_tracked(cfg, TrackedRepo(name="a/b", exclude=("vendor/*",), github=False)) is True
    (entry,) = load_tracked(cfg)
    assert entry == TrackedRepo(name="a/b", github=False, exclude=("vendor/*",))


def test_add_stores_local_paths_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    cfg = tmp_path / "ossmetrics.toml"
    add_tracked(cfg, TrackedRepo(name="a/b", git="clones/b"))
    assert tomllib.loads(cfg.read_text())["repos"] == [
        {"name": "a/b", "git": str(tmp_path / "clones" / "b")}
    ]


def test_remove_unknown_says_what_is_tracked(tmp_path: Path) -> None:
    cfg = tmp_path / "ossmetrics.toml"
    add_tracked(cfg, TrackedRepo(name="a/b"))
    with pytest.raises(UsageError) as err:
        remove_tracked(cfg, "c/d")
    assert (
        err.value.one_line()
        == f"'c/d' is not tracked in {cfg} — tracked: a/b (`ossmetrics track list`)"
    )


def test_urls_and_paths() -> None:
    assert is_url("https://github.com/a/b.git") and is_url("git@github.com:a/b.git")
    assert is_url("file:///srv/git/b") and not is_url("/srv/git/b") and not is_url("b")
