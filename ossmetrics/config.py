"""Settings, each declared once with its name, default and help.

Precedence: command-line flag > ``OSSMETRICS_*`` environment variable > ``ossmetrics.toml``
(``[settings]`` table) > default. Secrets (GitHub tokens) come only from the environment and
are never stored, logged or printed: ``redact`` scrubs them from any text on its way out.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ossmetrics.errors import ConfigError

__all__ = ["SETTINGS", "Setting", "github_token", "load_toml", "redact", "resolve"]


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str

    @property
    def env(self) -> str:
        return "OSSMETRICS_" + self.name.upper()


SETTINGS: dict[str, Setting] = {
    s.name: s
    for s in [
        Setting("db", "ossmetrics.duckdb", "Path of the DuckDB store."),
        Setting("config", "ossmetrics.toml", "Tracked repositories and settings file."),
        Setting(
            "cache_dir", ".ossmetrics-cache", "Where clones of repositories given by URL are kept."
        ),
        Setting("out", "ossmetrics-report", "Folder the HTML reports are written to."),
        Setting(
            "api_url",
            "https://api.github.com",
            "GitHub API base URL (GitHub Enterprise: https://HOST/api/v3).",
        ),
        Setting(
            "token_env",
            "GITHUB_TOKEN",
            "Name of the environment variable holding the GitHub token.",
        ),
        Setting(
            "max_wait",
            900,
            "Longest wait, in seconds, for a GitHub rate-limit reset before stopping cleanly.",
        ),
        Setting("device", "auto", "Device for the risk model: auto, cpu or cuda."),
        Setting(
            "bots", "", "Extra bot names or emails, comma-separated, on top of the built-in rules."
        ),
        Setting(
            "depsdev_url",
            "https://api.deps.dev",
            "deps.dev API base URL for `fund enrich` (a local mirror or test server).",
        ),
        Setting(
            "ecosystems_url",
            "https://packages.ecosyste.ms",
            "ecosyste.ms packages API base URL for `fund enrich`.",
        ),
        Setting(
            "mailto",
            "",
            "Contact address sent to ecosyste.ms (its polite pool); never stored or printed.",
        ),
        Setting(
            "git_jobs",
            "auto",
            "git log processes per collection: auto (one per CPU, at most 4) or a number.",
        ),
    ]
}


def load_toml(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Parse a TOML file; a syntax error names the file and line."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(
            f"cannot read {p}: {exc.strerror}", "check the file's permissions", path=str(p)
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # Python < 3.14 has no exc.lineno; the position is only in the message.
        line = getattr(exc, "lineno", None)
        m = re.search(r"\(at line (\d+)", str(exc))
        if line is None and m:
            line = int(m.group(1))
        msg = re.split(r" \(at (?:line|end of document)", str(exc))[0]
        raise ConfigError(
            f"malformed TOML: {msg}", "fix that line", path=str(p), line=line
        ) from None


def resolve(name: str, flag: Any = None, toml: dict[str, Any] | None = None) -> Any:
    """The effective value of setting ``name`` under the documented precedence."""
    setting = SETTINGS[name]
    if flag is not None:
        return flag
    env = os.environ.get(setting.env)
    if env not in (None, ""):
        return type(setting.default)(env) if isinstance(setting.default, int) else env
    if toml and name in toml.get("settings", {}):
        return toml["settings"][name]
    return setting.default


def github_token(token_env: str = "GITHUB_TOKEN") -> str | None:
    value = os.environ.get(token_env, "").strip()
    return value or None


def redact(text: str, *secrets: str | None) -> str:
    """Remove secrets (and the GitHub token from the environment) from ``text``."""
    candidates = [s for s in secrets if s]
    for var in ("GITHUB_TOKEN", "GH_TOKEN", os.environ.get("OSSMETRICS_TOKEN_ENV", "")):
        if var and os.environ.get(var):
            candidates.append(os.environ[var])
    for secret in sorted(set(candidates), key=len, reverse=True):
        if len(secret) >= 4:
            text = text.replace(secret, "***")
    return text
