"""Fixtures of the funding tests: the hand-written SBOMs, a store holding them, the fake
deps.dev + ecosyste.ms server, and a guard that fails any connection beyond 127.0.0.1."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fund.fake_services import FakePackage, FakeServices

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(autouse=True)
def only_localhost(monkeypatch: pytest.MonkeyPatch) -> None:
    """No request may leave 127.0.0.1: any other address raises inside the code under test."""
    real = socket.socket.connect

    def connect(self: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else address
        if self.family in (socket.AF_INET, socket.AF_INET6) and host not in ("127.0.0.1", "::1"):
            raise AssertionError(f"connection to {host} attempted; tests stay on 127.0.0.1")
        return real(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)


def fixture_packages() -> list[FakePackage]:
    """Usage data for every package of the fixture SBOMs (hand-written, documented shapes)."""
    return [
        FakePackage("pkg:npm/a", "1.0.0", repo="alib/a", provenance="SLSA_ATTESTATION",
                    dependents=500, direct_dependents=50, dependent_packages=40, downloads=90000,
                    funding_links=["https://opencollective.com/alib"]),
        FakePackage("pkg:npm/%40scope/core", "2.0.0", repo="scope/core", dependents=1000,
                    direct_dependents=100, dependent_packages=80, downloads=None,
                    dependent_repos=700, critical=True,
                    rankings={"downloads": 1.5, "dependent_packages_count": 0.8, "average": 1.1}),
        FakePackage("pkg:npm/c", "3.0.0", repo="clib/c", dependents=5000, direct_dependents=900,
                    dependent_packages=850, downloads=2_000_000),
        FakePackage("pkg:npm/d", "1.1.0", repo="dlib/d", in_ecosystems=False),
        FakePackage("pkg:pypi/e-lib", "0.4.0", repo="elib/e", dependents=None,
                    direct_dependents=None, dependent_packages=3, downloads=400),
    ]  # fmt: skip


@pytest.fixture
def services() -> Iterator[FakeServices]:
    with FakeServices(fixture_packages(), page_size=2) as s:
        yield s
