"""Commands: train, score, risk evaluate|explain."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import typer

from ossmetrics.cli._app import app, console, err_console, open_store, risk_app, state
from ossmetrics.errors import BadParameter

DEVICE_HELP = (
    "auto (CUDA when present, else CPU), cpu, or cuda (an error without a GPU). "
    "Default: the `device` setting ($OSSMETRICS_DEVICE, ossmetrics.toml), else auto."
)


def _date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise BadParameter(f"{option} '{value}' is not a date", "give it as YYYY-MM-DD") from None


def _device(flag: str | None) -> str:
    """The device under flag > environment > ossmetrics.toml > auto, checked before any work."""
    from ossmetrics.risk.device import resolve_device

    device = str(state().setting("device", flag))
    resolve_device(device)
    return device


@app.command("train")
def train_cmd(
    device: str | None = typer.Option(None, "--device", help=DEVICE_HELP, show_default=False),
    output: Path = typer.Option(
        Path("risk_model.pt"), "--output", help="Where to write the trained model file."
    ),
    seed: int = typer.Option(0, "--seed", help="Random seed (same seed, same model)."),
    graph: bool = typer.Option(
        False,
        "--graph/--no-graph",
        help="Train the graph neural network instead of the shipped tabular network "
        "(the graph did not earn its place on held-out ecosystems: docs/model-card.md).",
    ),
    features: Path | None = typer.Option(
        None,
        "--features",
        help="Train from a feature file (`risk export-features`, e.g. corpus/features.parquet) "
        "instead of the store; the tabular network only.",
    ),
) -> None:
    """Train the risk model on the store's own history (snapshots, labels; graph with --graph)."""
    from ossmetrics.risk.pipeline import train_from_file, train_from_store

    dev = _device(device)
    if features is not None:
        if graph:
            raise BadParameter(
                "--graph cannot train from --features",
                "a feature file holds no contributor graph: train the GNN from a store",
            )
        s = train_from_file(features, output=output, device=dev, seed=seed)
    else:
        con = open_store(read_only=True)
        try:
            s = train_from_store(con, output=output, device=dev, seed=seed, use_graph=graph)
        finally:
            con.close()
    from ossmetrics.risk.modelfile import model_name

    part = "graph" if s.use_graph else "non-linear"
    kept = (
        "no non-linear correction (off without the graph): the model is its sign-bounded"
        " logistic regression"
        if not s.use_graph and s.best_epoch < 0
        else f"no {part} correction kept: the network is its logistic regression"
        if s.best_epoch < 0
        else f"{part} correction kept at epoch {s.best_epoch}"
    )
    console.print(f"model: {model_name(s.use_graph)}", markup=False)
    console.print(
        f"trained {s.model_version} on {s.n_snapshots} snapshots of {s.n_repos} repositories "
        f"({s.n_dormant} dormant; key people from {s.key_source}) on {s.device}: "
        f"data {s.dataset_seconds:.0f} s, training {s.train_seconds:.0f} s ({kept}) "
        f"-> {s.path}"
    )
    console.print(f"score with it: ossmetrics score --model {s.path}")


@app.command("score")
def score_cmd(
    at: str | None = typer.Option(
        None, "--at", help="Score as of this date (YYYY-MM-DD; default: the store's data end)."
    ),
    device: str | None = typer.Option(None, "--device", help=DEVICE_HELP, show_default=False),
    model: Path | None = typer.Option(
        None, "--model", help="Model file from `ossmetrics train` (default: the shipped model)."
    ),
    what_if: int = typer.Option(
        3,
        "--what-if",
        min=0,
        help="Also store the what-if 'if the key person left' of the N riskiest projects "
        "(seconds each; the report shows them; 0 for none).",
    ),
) -> None:
    """Score every project in the store, write risk_scores and the what-ifs the report shows."""
    from ossmetrics.pipeline.steps import score_risk

    as_of = _date(at, "--at")
    dev = _device(device)
    con = open_store()
    try:
        ctx = state().context(con, device=dev)
        ctx.what_if = what_if
        df = score_risk(ctx, as_of=as_of, model_path=str(model) if model else None)
    finally:
        con.close()
    df = df.sort_values("risk", ascending=False)
    console.print(
        f"scored {len(df)} projects as of {df.attrs.get('as_of')} with {df['model_version'].iloc[0]} "
        f"in {df.attrs.get('seconds', 0):.1f} s"
    )
    console.print(f"model: {df.attrs.get('model_name', '')}", markup=False)
    console.print(f"{'risk':>5}  {'p_dormant':>9}  {'p_core_loss':>11}  repo")
    for r in df.itertuples():
        console.print(f"{r.risk:5.0f}  {r.p_dormant:9.2f}  {r.p_core_loss:11.2f}  {r.repo}")


@risk_app.command("evaluate")
def evaluate_cmd(
    folds: int = typer.Option(5, "--folds", min=2, help="Repository-disjoint folds."),
    device: str | None = typer.Option(None, "--device", help=DEVICE_HELP, show_default=False),
    card: Path = typer.Option(
        Path("docs/model-card.md"), "--card", help="Where to write the model card."
    ),
    bootstrap: int = typer.Option(1000, "--bootstrap", min=50, help="Bootstrap resamples."),
    features: Path | None = typer.Option(
        None,
        "--features",
        help="Evaluate from a feature file (`risk export-features`, e.g. "
        "corpus/features.parquet) instead of the store: every method but the GNN.",
    ),
) -> None:
    """Backtest the GNN and the baselines; print the table, write the model card."""
    from ossmetrics.risk.pipeline import evaluate_file, evaluate_store

    dev = _device(device)

    def say(m: str) -> None:
        err_console.print(m, markup=False)

    if features is not None:
        rep = evaluate_file(
            features, folds=folds, device=dev, card_path=card, n_boot=bootstrap, progress=say
        )
    else:
        con = open_store(read_only=True)
        try:
            rep = evaluate_store(
                con, folds=folds, device=dev, card_path=card, n_boot=bootstrap, progress=say
            )
        finally:
            con.close()
    console.print(rep.markdown(), markup=False)
    if rep.loeo_refused:
        err_console.print(f"leave-one-ecosystem-out refused: {rep.loeo_refused}", markup=False)
    console.print(f"\nmodel card written to {card} ({rep.seconds:.0f} s)")


@risk_app.command("export-features")
def export_features_cmd(
    output: Path = typer.Option(
        Path("corpus/features.parquet"), "--output", help="Where to write the feature file."
    ),
) -> None:
    """Write the store's labelled snapshots (features and labels, no people) to one Parquet
    file, from which `train --features` and `risk evaluate --features` work without a store."""
    from ossmetrics.risk.dataset import build_dataset
    from ossmetrics.risk.feature_file import export_features

    con = open_store(read_only=True)
    try:
        ds = build_dataset(con)
    finally:
        con.close()
    size = export_features(ds, output)
    console.print(
        f"wrote {len(ds):,} labelled snapshots of {ds.rows['repo'].nunique():,} repositories "
        f"to {output} ({size / 1e6:.1f} MB)"
    )


@risk_app.command("explain")
def explain_cmd(
    repo: str = typer.Argument(..., help="OWNER/REPO"),
    without: str | None = typer.Option(
        None, "--without", help="Rescore as if this person (id, login, name or email) left."
    ),
    at: str | None = typer.Option(None, "--at", help="Date to explain (default: data end)."),
    model: Path | None = typer.Option(None, "--model", help="Model file (default: shipped)."),
    people: int = typer.Option(
        3,
        "--people",
        min=0,
        help="Rescore without each of this many most active contributors (about 1 s each).",
    ),
) -> None:
    """Top drivers of a project's risk, the people it leans on, and what-if a person left."""
    from ossmetrics.risk import explain

    as_of = _date(at, "--at")
    con = open_store(read_only=True)
    try:
        ex = explain(
            con,
            repo,
            without=without,
            as_of=as_of,
            model_path=str(model) if model else None,
            people=people,
        )
    finally:
        con.close()
    for line in ex.lines():
        console.print(line, markup=False)
