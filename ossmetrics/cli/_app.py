"""The Typer application object, its global options and the helpers every command shares.

Command modules (``ossmetrics/cli/*.py``) import ``app`` or one of the sub-apps from here and
register thin commands: parse options, call one library function, print the result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import typer
from rich.console import Console

from ossmetrics import config
from ossmetrics.config import Settings
from ossmetrics.store import connect

if TYPE_CHECKING:
    from ossmetrics.pipeline.core import Context
    from ossmetrics.privacy import PrivacyOptions

__all__ = [
    "State",
    "app",
    "collect_app",
    "console",
    "err_console",
    "fund_app",
    "identities_app",
    "metrics_app",
    "open_store",
    "out_option",
    "people_app",
    "risk_app",
    "state",
    "track_app",
]

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)

app = typer.Typer(
    name="ossmetrics",
    help="Open-source project health analytics: collect git and GitHub data into DuckDB, "
    "compute CHAOSS metrics and contributor graphs, score sustainability risk, write dashboards.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
collect_app = typer.Typer(help="Collect data into the store.", no_args_is_help=True)
identities_app = typer.Typer(
    help="Inspect and correct how identities are merged into people.", no_args_is_help=True
)
metrics_app = typer.Typer(help="The SQL metric library in queries/.", no_args_is_help=True)
people_app = typer.Typer(
    help="Personal data of one person: export what the store holds, or forget them.",
    no_args_is_help=True,
)
risk_app = typer.Typer(
    help="Evaluate and explain the sustainability-risk model.", no_args_is_help=True
)
track_app = typer.Typer(help="The tracked repositories in ossmetrics.toml.", no_args_is_help=True)
fund_app = typer.Typer(
    help="Funders: SBOMs in, importance (reach, exposure) and a funding plan out.",
    no_args_is_help=True,
)

app.add_typer(collect_app, name="collect")
app.add_typer(identities_app, name="identities")
app.add_typer(metrics_app, name="metrics")
app.add_typer(people_app, name="people")
app.add_typer(risk_app, name="risk")
app.add_typer(track_app, name="track")
app.add_typer(fund_app, name="fund")


@dataclass
class State:
    db: Path
    config: Path
    debug: bool = False
    toml: dict[str, Any] = field(default_factory=dict)
    base: Settings = field(default_factory=Settings)
    lake: str | None = None
    ctx: Any = None  # the root typer.Context: the command run, and on-close hooks

    def settings(self, **flags: Any) -> Settings:
        """Every setting under flag > environment > ``ossmetrics.toml`` > default."""
        return self.base.with_flags(**flags)

    def setting(self, name: str, flag: Any = None) -> Any:
        """One setting under flag > environment > ``ossmetrics.toml`` > default."""
        return getattr(self.settings(**{name: flag}), name)

    def context(
        self,
        con: duckdb.DuckDBPyConnection,
        *,
        out: Path | None = None,
        privacy: PrivacyOptions | None = None,
        **flags: Any,
    ) -> Context:
        """The pipeline context a stage command runs its step with."""
        from ossmetrics.pipeline.core import Context
        from ossmetrics.privacy import PrivacyOptions

        st = self.settings(out=str(out) if out is not None else None, **flags)
        return Context(con, st, Path(st.out), privacy=privacy or PrivacyOptions())


_state = State(
    db=Path(config.SETTINGS["db"].default), config=Path(config.SETTINGS["config"].default)
)


def state() -> State:
    return _state


@app.callback()
def _root(
    ctx: typer.Context,
    db: Path | None = typer.Option(
        None,
        "--db",
        help="DuckDB store (default: $OSSMETRICS_DB, else ./ossmetrics.duckdb).",
        show_default=False,
    ),
    config_file: Path | None = typer.Option(
        None,
        "--config",
        help="Settings and tracked repositories (default: $OSSMETRICS_CONFIG, else ./ossmetrics.toml).",
        show_default=False,
    ),
    debug: bool = typer.Option(False, "--debug", help="Show full tracebacks for errors."),
    lake: str | None = typer.Option(
        None,
        "--lake",
        help="Read a Parquet lake (folder or s3://, gs://, https:// prefix) instead of --db "
        "(query, metrics, graph, score, report).",
        show_default=False,
    ),
) -> None:
    cfg_path = Path(config.resolve("config", config_file))
    toml = config.load_toml(cfg_path)
    _state.config = cfg_path
    _state.toml = toml
    _state.base = config.settings_from(toml, path=cfg_path)
    _state.db = Path(_state.setting("db", str(db) if db is not None else None))
    _state.debug = debug
    _state.lake = lake
    _state.ctx = ctx
    if lake:
        from ossmetrics.cli.lake import refuse_writers

        refuse_writers(str(ctx.invoked_subcommand or ""))


def out_option(what: str = "the HTML reports") -> Any:
    """The ``--out`` option of every command that writes a site (one wording, one default)."""
    return typer.Option(
        None,
        "--out",
        help=f"Folder for {what} (default: setting `out`, ./ossmetrics-report).",
        show_default=False,
    )


def open_store(read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A connection to the store named by --db / $OSSMETRICS_DB / ossmetrics.toml.

    A writable connection also (re)installs the metric macros, so any DuckDB client can query
    the metrics of whatever was just collected; that is a few-millisecond no-op when the
    query files did not change.
    """
    if _state.lake:
        from ossmetrics.cli.lake import open_lake_store

        return open_lake_store(_state.lake)
    con = connect(_state.db, read_only=read_only)
    if not read_only:
        from ossmetrics.metrics import install

        try:
            install(con)
        except BaseException:
            con.close()
            raise
    return con
