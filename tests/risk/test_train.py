"""Training: seeded determinism, calibration, the model file and its format version."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import torch

from ossmetrics.errors import InsufficientHistory, ModelVersionMismatch
from ossmetrics.risk.dataset import RiskDataset
from ossmetrics.risk.features import FEATURES, sign_priors
from ossmetrics.risk.modelfile import FORMAT_VERSION, feature_set_version, load_model, save_model
from ossmetrics.risk.train import predict, train_model
from ossmetrics.risk.train_types import TrainConfig
from tests.risk.test_model import _graph


def _synthetic(n: int = 60, seed: int = 0) -> RiskDataset:
    """n snapshots of 12 repositories; dormant when the first feature is high."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, len(FEATURES)))
    rows = pd.DataFrame(x, columns=list(FEATURES))
    rows["repo"] = [f"o/r{i % 12}" for i in range(n)]
    rows["dormant"] = (x[:, 0] > 0.8).astype(float)
    rows["core_loss"] = np.where(np.arange(n) % 5 == 0, np.nan, (x[:, 1] > 0.5).astype(float))
    graphs = [_graph(2 + i % 3, [(0, 1)], i % 2, i) for i in range(n)]
    return RiskDataset(rows, graphs, "synthetic")


CFG = TrainConfig(hidden_channels=8, max_epochs=8, patience=5, seed=3, use_graph=True)
#: The whole network trained by Adam (the model shipped before the fourth round): every weight
#: depends on the seed, so this is where seeding shows.
ADAM = replace(CFG, linear_fit="adam", residual_graph=False, class_weight=True)


def _same_weights(a, b) -> None:
    for (ka, va), (kb, vb) in zip(
        a.model.state_dict().items(), b.model.state_dict().items(), strict=True
    ):
        assert ka == kb and torch.equal(va, vb)


def test_same_seed_same_model_and_probabilities() -> None:
    ds = _synthetic()
    a, b = train_model(ds, ADAM, device="cpu"), train_model(ds, ADAM, device="cpu")
    _same_weights(a, b)
    pa, pb = predict(a, ds), predict(b, ds)
    assert pa.shape == (60, 2) and np.array_equal(pa, pb)
    assert ((pa > 0) & (pa < 1)).all()
    c = train_model(ds, replace(ADAM, seed=4))
    assert not np.array_equal(predict(c, ds), pa)
    # the shipped setting is deterministic too
    d, e = train_model(ds, CFG, device="cpu"), train_model(ds, CFG, device="cpu")
    _same_weights(d, e)
    assert np.array_equal(predict(d, ds), predict(e, ds))


def test_shipped_setting_is_uncalibrated_adam_setting_platt_calibrated() -> None:
    """The exact linear path is fitted on the validation rows too, so it is not Platt-fitted on
    them (that would be in-sample): its calibration is the identity. The class-weighted Adam
    setting is calibrated on the validation split, which moves it off the identity."""
    ds = _synthetic(n=120, seed=2)
    assert TrainConfig().linear_fit == "exact" and not TrainConfig().class_weight
    assert train_model(ds, CFG).calibration == [(1.0, 0.0), (1.0, 0.0)]
    adam = train_model(ds, replace(ADAM, max_epochs=30))
    assert adam.calibration != [(1.0, 0.0), (1.0, 0.0)]
    # with class weights the exact path's output is not a probability: Platt is kept
    weighted = train_model(ds, replace(CFG, class_weight=True))
    assert weighted.calibration != [(1.0, 0.0), (1.0, 0.0)]


def test_too_few_labels_refused_with_the_shipped_model_named() -> None:
    with pytest.raises(InsufficientHistory) as e:
        train_model(_synthetic(10), CFG)
    assert "too few to train" in e.value.message and "shipped model" in e.value.one_line()


def test_model_file_round_trip_and_version_check(tmp_path) -> None:
    ds = _synthetic()
    tm = train_model(ds, CFG)
    path = tmp_path / "m.pt"
    version = save_model(tm, path)
    assert version.startswith((f"gnn-f{FORMAT_VERSION}-", f"tab-f{FORMAT_VERSION}-"))
    lm = load_model(path)
    assert lm.version == version and lm.calibration == tm.calibration
    assert np.allclose(predict(lm, ds), predict(tm, ds))
    payload = torch.load(path, weights_only=True)
    payload["format_version"] = "0"
    old = tmp_path / "old.pt"
    torch.save(payload, old)
    with pytest.raises(ModelVersionMismatch) as e:
        load_model(old)
    assert e.value.file_version.startswith("0 (") and e.value.code_version.startswith(
        FORMAT_VERSION
    )
    assert "format 0" in e.value.message and f"format {FORMAT_VERSION}" in e.value.message
    # same format, another feature set: refused, both sets named
    payload["format_version"] = FORMAT_VERSION
    payload["features"] = list(FEATURES)[:-1]
    torch.save(payload, old)
    with pytest.raises(ModelVersionMismatch) as e:
        load_model(old)
    n = len(FEATURES)
    assert (
        f"{n - 1} features, set {feature_set_version(list(FEATURES)[:-1])[-8:]}" in e.value.message
    )
    assert f"this ossmetrics reads format {FORMAT_VERSION} ({n} features, set" in e.value.message


def test_shipped_model_loads() -> None:
    lm = load_model()
    assert (
        lm.version.startswith((f"gnn-f{FORMAT_VERSION}-", f"tab-f{FORMAT_VERSION}-"))
        and lm.n_train > 1000
    )


def test_residual_graph_keeps_the_warmed_up_linear_path_fixed() -> None:
    """With ``residual_graph`` the linear path is fitted first and then frozen: training for 1 or
    8 epochs leaves it identical while the graph part moves; without the option it moves too.
    (Synthetic seed 2: one whose validation loss improves after epoch 0, so the kept state moves.)"""
    ds = _synthetic(seed=2)
    cfg = dict(
        hidden_channels=8,
        patience=50,
        seed=3,
        linear_warmup=40,
        residual_graph=True,
        linear_fit="adam",
        class_weight=True,
    )
    short = train_model(ds, TrainConfig(max_epochs=1, use_graph=True, **cfg))
    long = train_model(ds, TrainConfig(max_epochs=8, use_graph=True, **cfg))
    assert torch.equal(short.model.skip.weight, long.model.skip.weight)
    assert not torch.equal(short.model.head[0].weight, long.model.head[0].weight)
    assert all(q.requires_grad for q in long.model.parameters())
    free = dict(cfg, residual_graph=False)
    a = train_model(ds, TrainConfig(max_epochs=1, use_graph=True, **free))
    b = train_model(ds, TrainConfig(max_epochs=8, use_graph=True, **free))
    assert not torch.equal(a.model.skip.weight, b.model.skip.weight)


def test_exact_logistic_matches_scikit_learn() -> None:
    """Same objective as LogisticRegression(C=0.5) on standardised data: same coefficients."""
    from sklearn.linear_model import LogisticRegression

    from ossmetrics.risk.linear_fit import exact_logistic

    rng = np.random.default_rng(7)
    x = rng.normal(size=(300, 5))
    logit = 1.5 * x[:, 0] - 2.0 * x[:, 1] + 0.3 * x[:, 4] - 0.5
    y = (rng.random(300) < 1 / (1 + np.exp(-logit))).astype(float)
    ref = LogisticRegression(C=0.5, tol=1e-10, max_iter=10_000).fit(x, y)
    w, b = exact_logistic(
        torch.as_tensor(x, dtype=torch.float32),
        torch.as_tensor(y, dtype=torch.float32),
        torch.ones(300),
        c=0.5,
    )
    assert np.allclose(w.numpy(), ref.coef_[0], atol=1e-4)
    assert abs(float(b[0]) - float(ref.intercept_[0])) < 1e-4
    # masked rows do not count: fitting on half the rows equals fitting those rows alone
    half = torch.zeros(300)
    half[:150] = 1
    wm, _ = exact_logistic(
        torch.as_tensor(x, dtype=torch.float32), torch.as_tensor(y, dtype=torch.float32), half
    )
    ref_half = LogisticRegression(C=1.0, tol=1e-10, max_iter=10_000).fit(x[:150], y[:150])
    assert np.allclose(wm.numpy(), ref_half.coef_[0], atol=1e-4)


def test_sign_bounds_stop_a_wrong_sign_and_leave_the_rest_exact() -> None:
    """A bounded weight whose data want the other sign sits at exactly 0, and the other
    weights are then the unbounded regression *without that column* (the KKT optimum); a
    bound the data agree with changes nothing."""
    from sklearn.linear_model import LogisticRegression

    from ossmetrics.risk.linear_fit import exact_logistic

    rng = np.random.default_rng(11)
    x = rng.normal(size=(400, 4))
    logit = 1.2 * x[:, 0] - 0.8 * x[:, 1] + 0.5 * x[:, 2] + 0.2
    y = (rng.random(400) < 1 / (1 + np.exp(-logit))).astype(float)
    xt, yt = torch.as_tensor(x, dtype=torch.float32), torch.as_tensor(y, dtype=torch.float32)
    one = torch.ones(400)
    free, fb = exact_logistic(xt, yt, one)
    assert float(free[0]) > 0.8  # the data say +
    # column 0 bounded to <= 0: pinned at 0, the rest = regression on columns 1..3
    w, b = exact_logistic(xt, yt, one, signs=[-1, 0, 0, 0])
    assert float(w[0]) == 0.0
    ref = LogisticRegression(C=1.0, tol=1e-10, max_iter=10_000).fit(x[:, 1:], y)
    assert np.allclose(w[1:].numpy(), ref.coef_[0], atol=1e-4)
    assert abs(float(b[0]) - float(ref.intercept_[0])) < 1e-4
    # bounds that agree with the data (0 >= 0, 1 <= 0, 2 >= 0) leave the optimum where it was
    w2, b2 = exact_logistic(xt, yt, one, signs=[1, -1, 1, 0])
    assert torch.allclose(w2, free, atol=1e-5) and torch.allclose(b2, fb, atol=1e-5)


def test_sign_priors_name_real_features_and_bind_the_shipped_model() -> None:
    from ossmetrics.risk.features import SIGN_PRIORS

    assert set(SIGN_PRIORS) <= set(FEATURES)
    assert all(s in (-1, 0, 1) for pair in SIGN_PRIORS.values() for s in pair)
    skip = load_model(None).model.skip
    assert skip is not None
    w = skip.weight.detach().numpy()
    for j in range(2):
        s = np.array(sign_priors(j))
        assert (w[j][s < 0] <= 0).all() and (w[j][s > 0] >= 0).all()


def test_exact_linear_path_uses_every_row_and_starts_as_logistic_regression() -> None:
    """``linear_fit="exact"``: the linear path is the logistic regression of *all* rows (the
    early-stopping split included), frozen; with ``residual_graph`` and no epoch that lowers
    the validation loss the network stays exactly that regression."""
    from ossmetrics.risk.batching import collate, fit_normaliser
    from ossmetrics.risk.linear_fit import exact_logistic
    from ossmetrics.risk.train import _targets

    ds = _synthetic(n=120, seed=2)
    cfg = replace(
        CFG, max_epochs=6, patience=50, linear_fit="exact", residual_graph=True, class_weight=False
    )
    tm = train_model(ds, cfg)
    norm = fit_normaliser(ds)
    batch = collate(ds.rows[list(FEATURES)].to_numpy(np.float32), ds.graphs, norm, "cpu")
    y, m = (torch.as_tensor(a) for a in _targets(ds))
    for j in range(2):
        w, b = exact_logistic(batch.x_project, y[:, j], m[:, j], signs=sign_priors(j))
        assert torch.allclose(tm.model.skip.weight[j], w, atol=1e-6)
        assert torch.allclose(tm.model.skip.bias[j], b[0], atol=1e-6)
    if tm.best_epoch == -1:  # nothing beat the regression: the deep output is still zero
        assert torch.count_nonzero(tm.model.head[-1].weight) == 0
    none = train_model(ds, replace(cfg, max_epochs=0))
    assert none.best_epoch == -1 and torch.count_nonzero(none.model.head[-1].weight) == 0
    with pytest.raises(ValueError, match="linear_fit must be"):
        train_model(ds, TrainConfig(linear_fit="sgd"))


def test_graph_correction_is_kept_where_the_graph_carries_the_signal() -> None:
    """The shipped setting starts as a logistic regression of the project features and keeps a
    graph correction only if it lowers the validation loss. Where the label lives in the graph
    (a value of the other project a contributor works on) and not in the project features,
    early stopping must keep one, and it must rank unseen repositories far better than the
    regression it started from (which sees only noise)."""
    from ossmetrics.risk.evaluate import _auc

    rng = np.random.default_rng(11)
    # 80 repositories of 12 snapshots: with 40 noise features (33 until issue 19's third round)
    # 40 repositories let the deep part overfit the noise before the graph signal (best epoch 3)
    n = 960
    # the graph's values first, so the draw does not shift when the feature list grows
    values = rng.normal(size=n)
    rows = pd.DataFrame(rng.normal(size=(n, len(FEATURES))), columns=list(FEATURES))
    rows["repo"] = [f"o/r{i % 80}" for i in range(n)]
    graphs, y = [], np.zeros(n)
    for i in range(n):
        g = _graph(3, [(0, 1), (1, 2)], 1, i)  # contributor 0 also works on one other project
        v = values[i]
        g.x_other[0, 0] = v
        y[i] = float(v > 0.8)
        graphs.append(g)
    rows["dormant"] = y
    rows["core_loss"] = y
    ds = RiskDataset(rows, graphs, "synthetic")
    held_out = np.array([int(r[3:]) >= 60 for r in rows["repo"]])
    train, test = ds.subset(~held_out), ds.subset(held_out)
    start = train_model(train, TrainConfig(max_epochs=0, use_graph=True))
    tm = train_model(train, TrainConfig(max_epochs=300, use_graph=True))
    assert start.best_epoch == -1 and tm.best_epoch >= 0
    y_test = test.rows["dormant"].to_numpy()
    auc_start = _auc(y_test, predict(start, test)[:, 0])
    auc_graph = _auc(y_test, predict(tm, test)[:, 0])
    assert auc_start < 0.7 and auc_graph > max(0.9, auc_start + 0.25), (auc_start, auc_graph)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_training_and_scoring_match_the_cpu(tmp_path) -> None:
    """`train --device cuda` and `score --device cuda`: the exact linear path is solved on the
    CPU either way, so it is the same to float precision; inference of one model on CUDA equals
    the CPU's; a model trained on CUDA is saved and read back on a machine without one."""
    from datetime import date

    from ossmetrics.risk.score import score_dataset

    ds = _synthetic(n=120, seed=2)
    ds.rows["repo_id"] = ds.rows["repo"].str.slice(3).astype(int)
    ds.rows["as_of"] = date(2024, 1, 1)
    cpu = train_model(ds, CFG, device="cpu")
    gpu = train_model(ds, CFG, device="cuda")
    assert cpu.model.skip is not None and gpu.model.skip is not None
    assert torch.allclose(cpu.model.skip.weight, gpu.model.skip.weight.cpu(), atol=1e-5)
    # one model, two devices: the same probabilities
    assert np.allclose(predict(cpu, ds, device="cpu"), predict(cpu, ds, device="cuda"), atol=1e-4)
    p = predict(gpu, ds, device="cuda")
    assert p.shape == (120, 2) and ((p > 0) & (p < 1)).all()
    path = tmp_path / "cuda.pt"
    save_model(gpu, path)
    lm = load_model(path)
    assert next(lm.model.parameters()).device.type == "cpu"
    assert np.allclose(predict(lm, ds, device="cpu"), p, atol=1e-4)
    on_cpu = score_dataset(lm, ds, device="cpu")
    on_gpu = score_dataset(lm, ds, device="cuda")
    assert np.allclose(on_cpu["p_dormant"], on_gpu["p_dormant"], atol=1e-4)
    assert np.allclose(on_cpu["risk"], on_gpu["risk"], atol=0.05)


def test_no_graph_model_is_its_sign_bounded_regression_unless_a_correction_is_asked_for() -> None:
    """Without the graph the shipped setting trains no non-linear correction (issue 19, second
    round: it was bounded by no sign prior and carried the what-ifs that lowered the risk), so
    its probabilities are exactly the sigmoid of its sign-bounded linear path;
    ``tabular_correction=True`` brings back the early-stopped correction (epochs are run and
    scored on the validation repositories)."""
    ds = _synthetic(n=200, seed=5)
    shipped = train_model(ds, TrainConfig(use_graph=False, seed=1))
    assert shipped.best_epoch == -1 and shipped.history == []
    assert torch.count_nonzero(shipped.model.head[-1].weight) == 0
    keep = shipped.norm.p_keep
    assert keep is not None
    xn = (ds.rows[list(FEATURES)].to_numpy(np.float32) - shipped.norm.p_mean) / shipped.norm.p_std
    w = shipped.model.skip.weight.detach().numpy()
    lin = (xn * keep) @ w.T + shipped.model.skip.bias.detach().numpy()
    np.testing.assert_allclose(predict(shipped, ds), 1 / (1 + np.exp(-lin)), atol=1e-5)
    # the bounds hold: no dormant weight has the sign its prior forbids
    signs = np.array(sign_priors(0))
    assert not np.any(w[0] * signs < 0)
    corrected = train_model(ds, TrainConfig(use_graph=False, seed=1, tabular_correction=True))
    assert len(corrected.history) > 0
