"""The risk GNN: one module, written the way PyTorch Geometric writes its models.

A snapshot is a small heterogeneous graph (``graphs.SnapshotGraph``): the project, its
contributors, the collaboration edges between them and the other projects they work on. The
model reads it in three steps:

1. encode the project's tabular features, each contributor and each neighbouring project;
2. ``num_layers`` rounds of message passing: contributors take the weighted mean of their
   collaborators (``collab`` edges) and of the other projects they carry (``work`` edges);
3. pool each project's contributors (mean, max, and a sum weighted by each person's share of
   the last year's commits: concentration) and join it with the project encoding — graph-level
   pooling over the project's own contributor graph plus the portfolio project node.

Neighbour aggregation is a sparse CSR matrix product (``torch.sparse_csr_tensor @ x``) by
default; ``aggr_impl="index_add"`` uses gather + ``index_add_`` instead (both are measured in
``benchmarks/bench_risk.py``). ``use_graph=False`` leaves only the tabular MLP, the ablation
that tells whether the graph adds anything.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import torch
from torch import Tensor, nn

# Both APIs are stable in practice on the versions we pin; their "beta" notices are noise for
# users of the CLI.
warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")
warnings.filterwarnings("ignore", message=r"index_reduce\(\) is in beta")

__all__ = ["RiskBatch", "RiskGNN", "mean_aggregate", "normalised_csr", "normalised_csr_pair"]


def _csr(rows: Tensor, cols: Tensor, vals: Tensor, n_rows: int, n_cols: int) -> Tensor:
    order = torch.argsort(rows * (n_cols + 1) + cols)
    rows, cols, vals = rows[order], cols[order], vals[order]
    crow = torch.zeros(n_rows + 1, dtype=torch.int64, device=rows.device)
    crow[1:] = torch.cumsum(torch.bincount(rows, minlength=n_rows), 0)
    return torch.sparse_csr_tensor(crow, cols, vals, size=(n_rows, n_cols), check_invariants=False)


def _row_normalised(index: Tensor, weight: Tensor, num_targets: int) -> Tensor:
    deg = weight.new_zeros(num_targets).index_add_(0, index[1], weight)
    return weight / deg.clamp(min=1e-9)[index[1]]


def normalised_csr(index: Tensor, weight: Tensor, num_targets: int, num_sources: int) -> Tensor:
    """Sparse CSR ``[num_targets, num_sources]`` of edges ``index[0] -> index[1]``; rows sum to 1."""
    w = _row_normalised(index, weight, num_targets)
    return _csr(index[1], index[0], w, num_targets, num_sources)


def normalised_csr_pair(
    index: Tensor, weight: Tensor, num_targets: int, num_sources: int
) -> tuple[Tensor, Tensor]:
    """``normalised_csr`` and its transpose (built once; the backward pass multiplies by it)."""
    w = _row_normalised(index, weight, num_targets)
    return (
        _csr(index[1], index[0], w, num_targets, num_sources),
        _csr(index[0], index[1], w, num_sources, num_targets),
    )


class _SparseMatmul(torch.autograd.Function):
    """``adj @ x`` whose backward uses a precomputed ``adj.T`` (no sort per step)."""

    @staticmethod
    def forward(ctx: Any, adj: Tensor, adj_t: Tensor, x: Tensor) -> Tensor:
        ctx.adj_t = adj_t
        return adj @ x

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[None, None, Tensor]:
        adj_t: Tensor = ctx.adj_t
        return None, None, adj_t @ grad


def sparse_matmul(adj: Tensor, adj_t: Tensor, x: Tensor) -> Tensor:
    """``adj @ x`` through :class:`_SparseMatmul` (PyTorch leaves ``Function.apply`` untyped)."""
    apply = cast(Callable[[Tensor, Tensor, Tensor], Tensor], _SparseMatmul.apply)
    return apply(adj, adj_t, x)


@dataclass
class RiskBatch:
    """Many snapshot graphs stacked into one (node offsets applied), on one device."""

    x_project: Tensor  # [B, F]
    x_contributor: Tensor  # [N, Fc]
    contributor_batch: Tensor  # [N] snapshot index of each contributor
    share: Tensor  # [N] share of the snapshot's last-year commits
    collab_index: Tensor  # [2, E] source -> target contributor
    collab_weight: Tensor  # [E]
    x_other: Tensor  # [M, Fo]
    work_index: Tensor  # [2, W] contributor -> other project
    work_weight: Tensor  # [W]
    collab_adj: Tensor | None = None  # sparse CSR [N, N], rows normalised (built by ``prepare``)
    collab_adj_t: Tensor | None = None  # its transpose, for the backward pass
    work_adj: Tensor | None = None  # sparse CSR [N, M]
    work_adj_t: Tensor | None = None

    def to(self, device: torch.device | str) -> RiskBatch:
        moved = {k: (v.to(device) if v is not None else None) for k, v in self.__dict__.items()}
        return RiskBatch(**moved)  # type: ignore[arg-type]

    def prepare(self) -> RiskBatch:
        """Build the row-normalised CSR adjacencies once, so every forward pass reuses them."""
        n = self.x_contributor.shape[0]
        m = self.x_other.shape[0]
        self.collab_adj, self.collab_adj_t = normalised_csr_pair(
            self.collab_index, self.collab_weight, n, n
        )
        self.work_adj, self.work_adj_t = normalised_csr_pair(
            self.work_index, self.work_weight, n, m
        )
        return self

    @property
    def num_graphs(self) -> int:
        return int(self.x_project.shape[0])


def mean_aggregate(
    src: Tensor,
    index: Tensor,
    weight: Tensor,
    num_targets: int,
    impl: str = "csr",
    adj: Tensor | None = None,
    adj_t: Tensor | None = None,
) -> Tensor:
    """Weighted mean of ``src[index[0]]`` into rows ``index[1]`` (empty rows stay 0)."""
    if index.shape[1] == 0:
        return src.new_zeros((num_targets, src.shape[1]))
    if impl == "csr":
        if adj is None or adj_t is None:
            adj, adj_t = normalised_csr_pair(index, weight, num_targets, src.shape[0])
        return sparse_matmul(adj, adj_t, src)
    tgt, srcs = index[1], index[0]
    deg = src.new_zeros(num_targets).index_add_(0, tgt, weight)
    w = weight / deg.clamp(min=1e-9)[tgt]
    return src.new_zeros((num_targets, src.shape[1])).index_add_(0, tgt, src[srcs] * w.unsqueeze(1))


class RiskGNN(nn.Module):
    r"""Sustainability-risk classifier over per-project heterogeneous graphs.

    Args:
        project_channels (int): number of project (tabular) features.
        contributor_channels (int): number of contributor node features.
        other_channels (int): number of features of a neighbouring project node.
        hidden_channels (int, optional): width of every hidden layer. (default: :obj:`32`)
        num_layers (int, optional): rounds of contributor message passing. (default: :obj:`2`)
        out_channels (int, optional): number of labels predicted (logits). (default: :obj:`2`)
        dropout (float, optional): dropout probability in the heads. (default: :obj:`0.1`)
        use_graph (bool, optional): use the contributor graph; :obj:`False` is the tabular-only
            ablation. (default: :obj:`True`)
        aggr_impl (str, optional): ``"csr"`` (sparse matrix product) or ``"index_add"``.
            (default: :obj:`"csr"`)
        linear_skip (bool, optional): add a linear map of the project features straight to the
            logits ("wide and deep"): with ~100 positive snapshots the deep part alone
            overfits, the linear part carries what logistic regression can. (default:
            :obj:`True`)
    """

    def __init__(
        self,
        project_channels: int,
        contributor_channels: int,
        other_channels: int,
        hidden_channels: int = 32,
        num_layers: int = 2,
        out_channels: int = 2,
        dropout: float = 0.1,
        use_graph: bool = True,
        aggr_impl: str = "csr",
        linear_skip: bool = True,
    ) -> None:
        super().__init__()
        self.project_channels = project_channels
        self.contributor_channels = contributor_channels
        self.other_channels = other_channels
        self.hidden_channels = hidden_channels
        self.num_layers = num_layers
        self.out_channels = out_channels
        self.dropout = dropout
        self.use_graph = use_graph
        self.aggr_impl = aggr_impl
        self.linear_skip = linear_skip
        h = hidden_channels
        self.skip = nn.Linear(project_channels, out_channels) if linear_skip else None
        self.project_encoder = nn.Sequential(nn.Linear(project_channels, h), nn.ReLU())
        self.contributor_encoder = nn.Linear(contributor_channels, h)
        self.other_encoder = nn.Linear(other_channels, h)
        self.self_lins = nn.ModuleList([nn.Linear(h, h) for _ in range(num_layers)])
        self.collab_lins = nn.ModuleList([nn.Linear(h, h, bias=False) for _ in range(num_layers)])
        self.work_lins = nn.ModuleList([nn.Linear(h, h, bias=False) for _ in range(num_layers)])
        pooled = 3 * h if use_graph else 0
        self.head = nn.Sequential(
            nn.Linear(h + pooled, h), nn.ReLU(), nn.Dropout(dropout), nn.Linear(h, out_channels)
        )
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for m in self.modules():
            if isinstance(m, nn.Linear):
                m.reset_parameters()

    def forward(self, batch: RiskBatch) -> Tensor:
        """Logits ``[num_graphs, out_channels]``."""
        hp = self.project_encoder(batch.x_project)
        wide = self.skip(batch.x_project) if self.skip is not None else 0.0
        if not self.use_graph:
            flat: Tensor = self.head(hp) + wide
            return flat
        b = batch.num_graphs
        n = batch.x_contributor.shape[0]
        hc = torch.relu(self.contributor_encoder(batch.x_contributor))
        ho = torch.relu(self.other_encoder(batch.x_other))
        # contributors also see their project: the tabular context enters every node
        hc = hc + hp[batch.contributor_batch] if n else hc
        for lin_self, lin_collab, lin_work in zip(
            self.self_lins, self.collab_lins, self.work_lins, strict=True
        ):
            m_collab = mean_aggregate(
                hc,
                batch.collab_index,
                batch.collab_weight,
                n,
                self.aggr_impl,
                batch.collab_adj,
                batch.collab_adj_t,
            )
            m_work = mean_aggregate(
                ho,
                batch.work_index,
                batch.work_weight,
                n,
                self.aggr_impl,
                batch.work_adj,
                batch.work_adj_t,
            )
            hc = torch.relu(lin_self(hc) + lin_collab(m_collab) + lin_work(m_work))
        idx = batch.contributor_batch
        counts = hc.new_zeros(b).index_add_(0, idx, hc.new_ones(n)).clamp(min=1).unsqueeze(1)
        mean = hc.new_zeros((b, hc.shape[1])).index_add_(0, idx, hc) / counts
        weighted = hc.new_zeros((b, hc.shape[1])).index_add_(0, idx, hc * batch.share.unsqueeze(1))
        mx = hc.new_zeros((b, hc.shape[1])).index_reduce_(0, idx, hc, "amax", include_self=False)
        logits: Tensor = self.head(torch.cat([hp, mean, weighted, mx], dim=1)) + wide
        return logits
