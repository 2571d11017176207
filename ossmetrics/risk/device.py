"""Where and how torch runs the risk model: the device, the CPU thread count, the seeds.

Shared by training, scoring and ``explain`` (each must resolve ``--device`` the same way, and
run on one CPU thread on a shared machine).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import torch

from ossmetrics.errors import DeviceUnavailable

__all__ = ["cpu_threads", "resolve_device", "seed_everything"]


def resolve_device(device: str = "auto") -> torch.device:
    """``auto`` picks CUDA when present; ``cuda`` without a GPU is an error, not a fallback."""
    d = (device or "auto").lower()
    if d == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if d == "cpu":
        return torch.device("cpu")
    if d.startswith("cuda"):
        if not torch.cuda.is_available():
            raise DeviceUnavailable(
                "--device cuda was asked for but no CUDA GPU is visible to PyTorch",
                "use --device cpu, or --device auto to fall back to the CPU",
            )
        return torch.device(d)
    raise DeviceUnavailable(f"unknown device '{device}'", "use auto, cpu or cuda")


@contextmanager
def cpu_threads(n: int = 1) -> Iterator[None]:
    """Run torch's CPU kernels on ``n`` threads inside the block, then restore the setting.

    The risk model's tensors are tiny (tens of nodes per snapshot): a second intra-op thread
    only adds OpenMP hand-offs, and on a shared 2-core machine a contended second thread made
    training 3x and one ``explain`` call up to 10x slower (0.4 s against 3-4 s, measured on the
    demo store). Results are the same either way.
    """
    before = torch.get_num_threads()
    if before != n:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        if torch.get_num_threads() != before:
            torch.set_num_threads(before)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
