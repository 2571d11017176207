"""Docs cannot drift: every CLI command, option and setting is in the README."""

from __future__ import annotations

from pathlib import Path

import typer

from ossmetrics.cli import app
from ossmetrics.config import SETTINGS

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _walk(cmd, prefix: list[str]):
    sub = getattr(cmd, "commands", None)
    if sub is None:
        yield prefix, cmd
        return
    if prefix and getattr(cmd, "invoke_without_command", False):
        yield prefix, cmd
    for name, child in sub.items():
        yield from _walk(child, [*prefix, name])


def _commands():
    return list(_walk(typer.main.get_command(app), []))


def test_every_command_is_documented() -> None:
    missing = [" ".join(p) for p, _ in _commands() if f"ossmetrics {' '.join(p)}" not in README]
    assert not missing, f"commands missing from README.md: {missing}"


def test_every_option_is_documented() -> None:
    missing = []
    for path, cmd in _commands():
        for param in cmd.params:
            for opt in getattr(param, "opts", []):
                if opt.startswith("--") and opt not in ("--help",) and opt not in README:
                    missing.append(f"{' '.join(path)} {opt}")
    assert not missing, f"options missing from README.md: {missing}"


def test_every_setting_is_documented() -> None:
    for s in SETTINGS.values():
        assert f"`{s.name}`" in README and s.env in README, s.name


def test_cli_py_runs_from_checkout(cli) -> None:
    r = cli("--help")
    assert r.returncode == 0, r.stderr
    assert "collect" in r.stdout


def test_readme_setup_commands_exist() -> None:
    makefile = (Path(__file__).resolve().parents[1] / "Makefile").read_text()
    assert "make demo" in README and "make test" in README
    assert "\ndemo:" in makefile and "\ntest:" in makefile
    ci = (Path(__file__).resolve().parents[1] / ".ci" / "run").read_text()
    assert "make test" in ci
