"""The committed feature file's path: export, load, evaluate and train from it, with no store.

A tiny feature file is generated here (the synthetic data set of ``test_evaluate_card``), so the
test checks the path, not the corpus; ``corpus/features.parquet`` itself is checked for its
size and for holding no people.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from ossmetrics.errors import RiskError, UsageError
from ossmetrics.risk.dataset import FEATURE_FILE_SOURCE
from ossmetrics.risk.evaluate import GNN, LOEO, MLP
from ossmetrics.risk.feature_file import ID_COLUMNS, export_features, load_features
from ossmetrics.risk.features import FEATURES
from ossmetrics.risk.modelfile import feature_set_version, load_model, save_model
from ossmetrics.risk.train import train_model
from ossmetrics.risk.train_types import TrainConfig
from tests.conftest import REPO_ROOT
from tests.risk.test_evaluate_card import _data

PERSONAL = ("person", "email", "name", "login", "identity", "key_people")


@pytest.fixture(scope="module")
def tiny_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    ds = _data(24, 6)  # enough rows that every inner fold of the 0-100 rule check has positives
    ds.rows["top1_person"] = 7  # a person id the store's rows carry: must not be exported
    path = tmp_path_factory.mktemp("ff") / "features.parquet"
    size = export_features(ds, path)
    assert size == path.stat().st_size > 0
    return path, ds


def test_export_keeps_features_and_labels_and_no_person(tiny_file) -> None:
    path, ds = tiny_file
    cols = pq.read_schema(path).names
    assert cols[: len(ID_COLUMNS)] == list(ID_COLUMNS)
    assert set(FEATURES) <= set(cols)
    assert "top1_person" not in cols and "repo_id" not in cols
    assert not [c for c in cols if any(w in c for w in PERSONAL)]
    back = load_features(path)
    assert back.key_source == FEATURE_FILE_SOURCE
    assert len(back) == len(ds) and len(back.graphs) == len(ds)
    assert back.rows["repo"].tolist() == ds.rows["repo"].tolist()  # the data set's row order
    # features round to float32, which is what training reads anyway
    want = ds.rows[list(FEATURES)].to_numpy(np.float32)
    assert np.array_equal(back.rows[list(FEATURES)].to_numpy(np.float32), want)
    assert np.array_equal(
        back.rows["dormant"].to_numpy(float), ds.rows["dormant"].to_numpy(float), equal_nan=True
    )


def test_training_from_the_file_gives_the_model_trained_on_its_rows(tiny_file, tmp_path) -> None:
    path, ds = tiny_file
    cfg = TrainConfig()
    a = save_model(train_model(load_features(path), cfg, device="cpu"), tmp_path / "a.pt")
    # the same rows with float32 features, straight from memory (what a store would give)
    rows = ds.rows.copy()
    rows[list(FEATURES)] = rows[list(FEATURES)].to_numpy(np.float32).astype(float)
    mem = load_features(path)
    mem.rows = rows
    b = save_model(train_model(mem, cfg, device="cpu"), tmp_path / "b.pt")
    assert a == b
    assert load_model(tmp_path / "a.pt").version == a


def test_evaluate_from_the_file_via_the_cli(cli, tiny_file, tmp_path) -> None:
    path, _ = tiny_file
    card = tmp_path / "card.md"
    r = cli(
        "risk", "evaluate", "--features", str(path), "--folds", "2", "--bootstrap", "50",
        "--card", str(card), "--device", "cpu",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    text = card.read_text()
    assert f"feature file {path.name}" in text
    assert "leave-one-ecosystem-out" in text
    assert MLP in text and f"| {GNN} |" not in text  # no graph in a file: no GNN row
    assert "no contributor graph to train the GNN on" in text  # so no graph decision either
    assert LOEO in r.stdout or "leave-one-ecosystem-out" in r.stdout


def test_train_from_the_file_via_the_cli(cli, tiny_file, tmp_path) -> None:
    path, _ = tiny_file
    out = tmp_path / "m.pt"
    r = cli("train", "--features", str(path), "--output", str(out), "--device", "cpu")
    assert r.returncode == 0, r.stderr
    assert load_model(out).version in r.stdout
    r = cli("train", "--features", str(path), "--graph", "--output", str(out), "--device", "cpu")
    assert r.returncode != 0 and "--graph cannot train from --features" in r.stderr
    assert "Traceback" not in r.stderr


def test_another_feature_set_is_refused_with_both_versions(tiny_file, tmp_path) -> None:
    path, _ = tiny_file
    table = pq.read_table(path)
    old = table.drop_columns([FEATURES[-1]]).replace_schema_metadata(
        {b"ossmetrics.feature_set": b"33 features, set 108b9db1"}
    )
    bad = tmp_path / "old.parquet"
    pq.write_table(old, bad)
    with pytest.raises(RiskError) as exc:
        load_features(bad)
    msg = exc.value.one_line()
    assert "33 features, set 108b9db1" in msg and feature_set_version(FEATURES) in msg
    with pytest.raises(UsageError, match="does not exist"):
        load_features(tmp_path / "nope.parquet")
    (tmp_path / "junk.parquet").write_text("not parquet")
    with pytest.raises(UsageError, match="cannot be read"):
        load_features(tmp_path / "junk.parquet")


def test_the_committed_feature_file_is_small_and_holds_no_people() -> None:
    path = REPO_ROOT / "corpus" / "features.parquet"
    assert path.stat().st_size < 5_000_000
    ds = load_features(path)  # refused if it is not this version's feature set
    cols = list(ds.rows.columns)
    assert not [c for c in cols if any(w in c for w in PERSONAL)]
    text = " ".join(str(x) for x in ds.rows.select_dtypes(exclude="number").to_numpy().ravel())
    assert "@" not in text
    assert not ds.rows["repo"].str.lower().str.startswith("apache/").any()
