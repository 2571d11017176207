"""Saving and loading trained risk models, with a format version that is checked.

A model file is a ``torch.save`` of plain tensors, numbers and strings (loaded with
``weights_only=True``, so opening a file cannot run code). ``FORMAT_VERSION`` changes whenever
the features, the graph or the module change meaning; a file of another format is refused with
both versions named (``ModelVersionMismatch``) rather than silently giving wrong scores.
``model_version`` identifies one trained model (format + a hash of its weights) and is stored
with every score.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import torch

from ossmetrics.errors import ModelVersionMismatch, RiskError
from ossmetrics.resources import package_data
from ossmetrics.risk.batching import Normaliser
from ossmetrics.risk.features import FEATURES, OTHER_PROJECT_FEATURES
from ossmetrics.risk.graphs import CONTRIBUTOR_FEATURES
from ossmetrics.risk.model import RiskGNN
from ossmetrics.risk.train_types import TrainConfig, TrainedModel

__all__ = [
    "FORMAT_VERSION",
    "feature_set_version",
    "load_model",
    "model_kind",
    "model_name",
    "model_version",
    "save_model",
    "shipped_model_path",
]

FORMAT_VERSION = "3"


def feature_set_version(features: list[str] | tuple[str, ...]) -> str:
    """A short name of a project-feature list (its count and a hash of the names in order), so
    a model trained on another feature set is refused with both sets named."""
    h = hashlib.sha256("\x1f".join(features).encode()).hexdigest()[:8]
    return f"{len(features)} features, set {h}"


def shipped_model_path() -> Path:
    return package_data("models", "risk_gnn.pt")


def model_version(tm: TrainedModel) -> str:
    h = hashlib.sha256()
    for k, v in sorted(tm.model.state_dict().items()):
        h.update(k.encode())
        h.update(v.detach().cpu().numpy().tobytes())
    return f"{model_kind(tm.model.use_graph)}-f{FORMAT_VERSION}-{h.hexdigest()[:10]}"


def model_kind(use_graph: bool) -> str:
    """The prefix of a model version: ``gnn`` with the graph, ``tab`` (tabular) without."""
    return "gnn" if use_graph else "tab"


def model_name(use_graph: bool) -> str:
    """What to call the model in the CLI and the card (truthfully: no graph, no "GNN")."""
    return (
        "graph neural network (contributor graph + portfolio)"
        if use_graph
        else "tabular network (no graph): a sign-bounded logistic regression of the project features"
    )


def save_model(tm: TrainedModel, path: str | os.PathLike[str]) -> str:
    """Write ``tm`` to ``path``; returns its model version."""
    m = tm.model
    version = model_version(tm)
    payload: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "model_version": version,
        "args": {
            "project_channels": m.project_channels,
            "contributor_channels": m.contributor_channels,
            "other_channels": m.other_channels,
            "hidden_channels": m.hidden_channels,
            "num_layers": m.num_layers,
            "out_channels": m.out_channels,
            "dropout": m.dropout,
            "use_graph": m.use_graph,
            "linear_skip": m.linear_skip,
        },
        "state_dict": {k: v.detach().cpu() for k, v in m.state_dict().items()},
        "normaliser": tm.norm.to_dict(),
        "calibration": [list(c) for c in tm.calibration],
        "features": list(FEATURES),
        "contributor_features": list(CONTRIBUTOR_FEATURES),
        "other_features": list(OTHER_PROJECT_FEATURES),
        "meta": {
            k: (str(v) if not isinstance(v, int | float | str) else v)
            for k, v in tm.describe().items()
        },
        "key_source": tm.key_source,
    }
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_suffix(p.suffix + ".tmp")
    torch.save(payload, tmp)
    tmp.replace(p)
    return version


class LoadedModel(TrainedModel):
    """A ``TrainedModel`` read from a file; ``version`` is its stored model version."""

    version: str = ""
    path: str = ""


def load_model(path: str | os.PathLike[str] | None = None) -> LoadedModel:
    """Read a model file (the shipped one when ``path`` is None), checking its format."""
    p = Path(path) if path else shipped_model_path()
    if not p.exists():
        raise RiskError(
            f"model file {p} does not exist",
            "train one with `ossmetrics train --output PATH`, or omit --model for the shipped model",
        )
    try:
        payload = torch.load(p, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise RiskError(
            f"model file {p} cannot be read ({type(exc).__name__})",
            "give a file written by `ossmetrics train`",
        ) from None
    if not isinstance(payload, dict) or "format_version" not in payload:
        raise ModelVersionMismatch(str(p), "unknown", FORMAT_VERSION)
    fv = str(payload["format_version"])
    file_feats = payload.get("features")
    if fv != FORMAT_VERSION or file_feats != list(FEATURES):
        theirs = (
            feature_set_version(list(file_feats))
            if isinstance(file_feats, list)
            else "unknown features"
        )
        raise ModelVersionMismatch(
            str(p), f"{fv} ({theirs})", f"{FORMAT_VERSION} ({feature_set_version(FEATURES)})"
        )
    try:
        model = RiskGNN(**payload["args"])
        model.load_state_dict(payload["state_dict"])
    except (TypeError, RuntimeError, KeyError):
        raise RiskError(
            f"model file {p} says format {fv} but its weights do not fit this model",
            "retrain with `ossmetrics train`, or omit --model for the shipped model",
        ) from None
    model.eval()
    meta = payload.get("meta", {})
    lm = LoadedModel(
        model=model,
        norm=Normaliser.from_dict(payload["normaliser"]),
        calibration=[(float(a), float(b)) for a, b in payload["calibration"]],
        config=TrainConfig(use_graph=bool(payload["args"].get("use_graph", True))),
        key_source=str(payload.get("key_source", "")),
        n_train=int(meta.get("n_train", 0)),
        best_epoch=int(meta.get("best_epoch", 0)),
        seconds=float(meta.get("seconds", 0.0)),
        trained_on=str(meta.get("trained_on", "")),
    )
    lm.version = str(payload["model_version"])
    lm.path = str(p)
    return lm
