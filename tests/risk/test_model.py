"""The GNN on tiny hand-built graphs: shapes, aggregation, determinism, CPU and CUDA paths."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ossmetrics.errors import DeviceUnavailable
from ossmetrics.risk.batching import Normaliser, collate
from ossmetrics.risk.device import resolve_device
from ossmetrics.risk.graphs import SnapshotGraph
from ossmetrics.risk.model import RiskGNN, mean_aggregate

FP, FC, FO = 27, 10, 5


def _graph(n: int, edges: list[tuple[int, int]], others: int, seed: int) -> SnapshotGraph:
    rng = np.random.default_rng(seed)
    ci = np.array(
        [
            [a for a, b in edges] + [b for a, b in edges],
            [b for a, b in edges] + [a for a, b in edges],
        ],
        dtype=np.int64,
    ).reshape(2, -1)
    wi = np.array([[0] * others, list(range(others))], dtype=np.int64).reshape(2, -1)
    return SnapshotGraph(
        np.arange(n, dtype=np.int64) + 100 * seed,
        rng.random((n, FC)).astype(np.float32),
        ci,
        np.ones(ci.shape[1], np.float32),
        np.arange(others, dtype=np.int64),
        rng.random((others, FO)).astype(np.float32),
        wi,
        np.ones((others, 2), np.float32),
    )


def _norm() -> Normaliser:
    z = lambda k: np.zeros(k, np.float32)  # noqa: E731
    o = lambda k: np.ones(k, np.float32)  # noqa: E731
    return Normaliser(z(FP), o(FP), z(FC), o(FC), z(FO), o(FO))


def _batch(device: str = "cpu"):
    graphs = [_graph(3, [(0, 1), (1, 2)], 1, 1), _graph(2, [], 0, 2), _graph(0, [], 0, 3)]
    x = np.random.default_rng(0).random((3, FP)).astype(np.float32)
    return collate(x, graphs, _norm(), device)


def test_weighted_mean_by_hand() -> None:
    src = torch.tensor([[1.0], [3.0], [10.0]])
    index = torch.tensor([[0, 1, 2], [2, 2, 0]])  # 0->2, 1->2, 2->0
    w = torch.tensor([1.0, 3.0, 2.0])
    for impl in ("csr", "index_add"):
        out = mean_aggregate(src, index, w, 3, impl)
        assert out[:, 0].tolist() == pytest.approx([10.0, 0.0, (1 * 1 + 3 * 3) / 4])


def test_shapes_and_offsets() -> None:
    b = _batch()
    assert b.x_contributor.shape == (5, FC) and b.contributor_batch.tolist() == [0, 0, 0, 1, 1]
    assert b.collab_index.shape == (2, 4) and b.work_index.tolist() == [[0], [0]]
    model = RiskGNN(FP, FC, FO, hidden_channels=8)
    out = model(b)
    assert out.shape == (3, 2) and torch.isfinite(out).all()
    assert RiskGNN(FP, FC, FO, hidden_channels=8, use_graph=False)(b).shape == (3, 2)


def test_csr_and_index_add_agree_forward_and_backward() -> None:
    b = _batch()
    torch.manual_seed(0)
    m1 = RiskGNN(FP, FC, FO, hidden_channels=8, aggr_impl="csr").eval()
    m2 = RiskGNN(FP, FC, FO, hidden_channels=8, aggr_impl="index_add").eval()
    m2.load_state_dict(m1.state_dict())
    o1, o2 = m1(b), m2(b)
    assert torch.allclose(o1, o2, atol=1e-6)
    o1.sum().backward()
    o2.sum().backward()
    for p1, p2 in zip(m1.parameters(), m2.parameters(), strict=True):
        assert torch.allclose(p1.grad, p2.grad, atol=1e-5)


def test_seed_makes_the_model_deterministic_and_reset_changes_it() -> None:
    torch.manual_seed(7)
    a = RiskGNN(FP, FC, FO, hidden_channels=8)
    torch.manual_seed(7)
    b = RiskGNN(FP, FC, FO, hidden_channels=8)
    for pa, pb in zip(a.parameters(), b.parameters(), strict=True):
        assert torch.equal(pa, pb)
    before = a.head[0].weight.clone()
    a.reset_parameters()
    assert not torch.equal(before, a.head[0].weight)


def test_removing_a_person_drops_their_edges() -> None:
    g = _graph(3, [(0, 1), (1, 2)], 1, 1)
    h = g.without(int(g.person_ids[1]))
    assert h.person_ids.tolist() == [100, 102] and h.collab_index.shape == (2, 0)
    assert h.work_index.tolist() == [[0], [0]]


def test_device_resolution_on_cpu_only() -> None:
    assert resolve_device("cpu").type == "cpu"
    if not torch.cuda.is_available():
        assert resolve_device("auto").type == "cpu"
        with pytest.raises(DeviceUnavailable, match="no CUDA GPU"):
            resolve_device("cuda")
    with pytest.raises(DeviceUnavailable):
        resolve_device("tpu")


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_path_matches_cpu() -> None:
    torch.manual_seed(0)
    m = RiskGNN(FP, FC, FO, hidden_channels=8).eval()
    cpu = m(_batch("cpu"))
    gpu = m.to("cuda")(_batch("cuda")).cpu()
    assert torch.allclose(cpu, gpu, atol=1e-4)
