"""Shared test fixtures: paths to the real label files in tests/assets (STARSS22, DCASE2019)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Under pytest-xdist every worker is a process of its own: one math thread each avoids oversubscribing the cores.
if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("MKL_NUM_THREADS", "1")

ASSETS = Path(os.environ.get("SELD_TEST_ASSETS", Path(__file__).resolve().parent / "assets"))


@pytest.fixture(scope="session")
def starss22_dir() -> Path:
    d = ASSETS / "starss22_metadata_dev"
    if not d.is_dir():
        pytest.skip(f"real STARSS22 labels not found at {d} (set SELD_TEST_ASSETS)")
    return d


@pytest.fixture(scope="session")
def dcase2019_dir() -> Path:
    d = ASSETS / "tau_sse2019_metadata_sample"
    if not d.is_dir():
        pytest.skip(f"real DCASE2019 labels not found at {d} (set SELD_TEST_ASSETS)")
    return d
