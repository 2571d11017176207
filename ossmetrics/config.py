"""Settings, each declared once with its name, type, default and help, and resolved in one place.

Precedence: command-line flag > ``OSSMETRICS_*`` environment variable > ``ossmetrics.toml``
(``[settings]`` table) > default. ``load_settings`` is the one function that reads the
environment and the file; it returns a ``Settings`` value that the CLI, ``nightly`` and
``demo`` hand to library functions as plain arguments (library code never reads settings
itself). A value of the wrong type is a ``ConfigError`` naming the file and line (or the
environment variable). Secrets are not settings: they come only from the environment
(``ossmetrics.secret_env``), so no file or flag can carry one into the store or a log.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ossmetrics.errors import ConfigError

__all__ = [
    "SETTINGS",
    "Setting",
    "Settings",
    "load_settings",
    "load_toml",
    "resolve",
    "settings_from",
]

DEVICES = ("auto", "cpu", "cuda")
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str
    type: type = str

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
            900.0,
            "Longest wait, in seconds, for a GitHub rate-limit reset before stopping cleanly.",
            float,
        ),
        Setting(
            "graphql",
            "on",
            "Use GitHub's GraphQL API for first syncs and many changed PRs' reviews: on or off.",
        ),
        Setting(
            "graphql_reviews_above",
            2,
            "Reviews of more changed pull requests than this come through one GraphQL query.",
            int,
        ),
        Setting(
            "graphql_catchup_above",
            100,
            "An increment with more changed issues+PRs than this is read through GraphQL "
            "(with their comments, reviews and inline comments) when the cost model says it is "
            "cheaper than REST listings.",
            int,
        ),
        Setting("device", "auto", "Device for the risk model: auto, cpu or cuda."),
        Setting(
            "bots",
            (),
            "Extra bot names or emails, comma-separated (or a TOML list), on top of the built-in rules.",
            tuple,
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
            "pypi_url",
            "https://pypi.org",
            "PyPI JSON API base URL for `fund enrich` package -> repository links.",
        ),
        Setting(
            "npm_url",
            "https://registry.npmjs.org",
            "npm registry base URL for `fund enrich` package -> repository links.",
        ),
        Setting(
            "crates_url",
            "https://crates.io",
            "crates.io API base URL for `fund enrich` package -> repository links.",
        ),
        Setting(
            "rubygems_url",
            "https://rubygems.org",
            "RubyGems API base URL for `fund enrich` package -> repository links.",
        ),
        Setting(
            "mailto",
            "",
            "Contact address sent to ecosyste.ms (its polite pool) and in the User-Agent of every "
            "`fund enrich` request (crates.io asks for one); never stored or printed.",
        ),
        Setting(
            "spark_partitions",
            "auto",
            "Shuffle partitions of the Spark jobs (ossmetrics spark ...): auto (spark-submit's "
            "--conf spark.sql.shuffle.partitions where given, else two per core: the local "
            "cores or the cluster's) or a number.",
        ),
        Setting(
            "git_jobs",
            "auto",
            "git log processes per collection: auto (one per CPU, at most 4) or a number.",
        ),
        Setting(
            "publish",
            False,
            "Publishing mode for report, demo, nightly and graph export: people appear as salted "
            "pseudonyms (secret salt in $OSSMETRICS_PSEUDONYM_SALT) unless listed in allow_names.",
            bool,
        ),
        Setting(
            "allow_names",
            (),
            "People who may be named in --publish mode (comma-separated names or GitHub logins), "
            "e.g. maintainers who agreed or the project's public maintainer list.",
            list,
        ),
        Setting(
            "identity_keys",
            "id",
            "How identity keys appear on pages: id (git:#12, the default) or masked (git:a…@example.org).",
        ),
    ]
}


@dataclass(frozen=True)
class Settings:
    """Every setting's effective value, typed. Build it with ``load_settings``."""

    db: str = SETTINGS["db"].default
    config: str = SETTINGS["config"].default
    cache_dir: str = SETTINGS["cache_dir"].default
    out: str = SETTINGS["out"].default
    api_url: str = SETTINGS["api_url"].default
    token_env: str = SETTINGS["token_env"].default
    max_wait: float = SETTINGS["max_wait"].default
    device: str = SETTINGS["device"].default
    bots: tuple[str, ...] = SETTINGS["bots"].default
    git_jobs: str = SETTINGS["git_jobs"].default
    graphql: str = SETTINGS["graphql"].default
    graphql_reviews_above: int = SETTINGS["graphql_reviews_above"].default
    graphql_catchup_above: int = SETTINGS["graphql_catchup_above"].default
    publish: bool = SETTINGS["publish"].default
    allow_names: tuple[str, ...] = SETTINGS["allow_names"].default
    identity_keys: str = SETTINGS["identity_keys"].default
    depsdev_url: str = SETTINGS["depsdev_url"].default
    ecosystems_url: str = SETTINGS["ecosystems_url"].default
    pypi_url: str = SETTINGS["pypi_url"].default
    npm_url: str = SETTINGS["npm_url"].default
    crates_url: str = SETTINGS["crates_url"].default
    rubygems_url: str = SETTINGS["rubygems_url"].default
    mailto: str = SETTINGS["mailto"].default
    spark_partitions: str = SETTINGS["spark_partitions"].default

    def with_flags(self, **flags: Any) -> Settings:
        """These settings with the command-line flags that were given (None: not given)."""
        given = {
            k: _check(SETTINGS[k], v, f"--{k.replace('_', '-')}")
            for k, v in flags.items()
            if v is not None
        }
        return dataclasses.replace(self, **given)


def _bot_list(value: str | list[Any] | tuple[Any, ...]) -> tuple[str, ...]:
    items = value.split(",") if isinstance(value, str) else [str(v) for v in value]
    return tuple(s.strip().lower() for s in items if s and s.strip())


def _check(setting: Setting, value: Any, where: str, line: int | None = None) -> Any:
    """``value`` converted to the setting's type, or a ConfigError naming ``where``."""
    want = setting.type
    if isinstance(value, os.PathLike):
        value = os.fspath(value)

    def bad(why: str) -> ConfigError:
        return ConfigError(
            f"setting '{setting.name}' {why}",
            f"fix it ({setting.help})",
            path=where,
            line=line,
        )

    if want is tuple:
        if isinstance(value, str) or (
            isinstance(value, list | tuple) and all(isinstance(v, str) for v in value)
        ):
            return _bot_list(value)
        raise bad(f"must be text or a list of text, not {_kind(value)}")
    if want is list:  # names keep their case
        if isinstance(value, str) or (
            isinstance(value, list | tuple) and all(isinstance(v, str) for v in value)
        ):
            items = value.split(",") if isinstance(value, str) else list(value)
            return tuple(x.strip() for x in items if x.strip())
        raise bad(f"must be text or a list of text, not {_kind(value)}")
    if want is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
            return value.strip().lower() in _TRUE
        raise bad(f"must be true or false, not {_kind(value)}")
    if want is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return int(value.strip())
        raise bad(f"must be a whole number, not {_kind(value)}")
    if want is float:
        if isinstance(value, bool):
            raise bad(f"must be a number, not {_kind(value)}")
        if isinstance(value, int | float):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                raise bad(f"must be a number, not '{value}'") from None
        raise bad(f"must be a number, not {_kind(value)}")
    if (
        setting.name in ("git_jobs", "spark_partitions")
        and isinstance(value, int)
        and not isinstance(value, bool)
    ):
        return str(value)
    if not isinstance(value, str):
        raise bad(f"must be text, not {_kind(value)}")
    if (
        setting.name == "device"
        and value.lower() not in DEVICES
        and not value.lower().startswith("cuda:")
    ):
        raise bad(f"is '{value}', not one of {', '.join(DEVICES)}")
    return value


def _kind(value: Any) -> str:
    names = {
        bool: "true/false",
        int: "a number",
        float: "a number",
        list: "a list",
        dict: "a table",
    }
    return names.get(type(value), type(value).__name__)


def _line_of(text: str, name: str) -> int | None:
    """The line of ``name = ...`` inside the ``[settings]`` table of a TOML text."""
    table = ""
    for i, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        m = re.match(r"^\[\s*([^\]]+?)\s*\]$", line)
        if m:
            table = m.group(1)
            continue
        if table == "settings" and re.match(rf"^{re.escape(name)}\s*=", line):
            return i
    return None


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


def settings_from(
    toml: Mapping[str, Any],
    *,
    path: str | os.PathLike[str] = "ossmetrics.toml",
    env: Mapping[str, str] | None = None,
) -> Settings:
    """Settings from an already parsed ``toml`` (its ``[settings]``), the environment, defaults."""
    environ = os.environ if env is None else env
    table = toml.get("settings", {})
    if not isinstance(table, dict):
        raise ConfigError("[settings] must be a table", "write it as [settings]", path=str(path))
    unknown = sorted(set(table) - set(SETTINGS))
    if unknown:
        text = _read(path)
        raise ConfigError(
            f"unknown setting '{unknown[0]}'",
            f"settings: {', '.join(SETTINGS)}",
            path=str(path),
            line=_line_of(text, unknown[0]),
        )
    values: dict[str, Any] = {}
    for name, s in SETTINGS.items():
        raw = environ.get(s.env)
        if raw not in (None, ""):
            values[name] = _check(s, raw, f"${s.env}")
        elif name in table:
            values[name] = _check(s, table[name], str(path), _line_of(_read(path), name))
    return Settings(**values)


def _read(path: str | os.PathLike[str]) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError:
        return ""


def load_settings(path: str | os.PathLike[str], **flags: Any) -> Settings:
    """The effective settings for the config file at ``path`` and the given flags."""
    return settings_from(load_toml(path), path=path).with_flags(**flags)


def resolve(name: str, flag: Any = None, toml: dict[str, Any] | None = None) -> Any:
    """The effective value of one setting under the documented precedence."""
    if flag is not None:
        return _check(SETTINGS[name], flag, f"--{name.replace('_', '-')}")
    return getattr(settings_from(toml or {}), name)
