"""Shared test fixtures: paths to the real label files in tests/data (STARSS22, DCASE2019)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

DATA = Path(os.environ.get("SELD_TEST_DATA", Path(__file__).resolve().parent / "data"))


@pytest.fixture(scope="session")
def starss22_dir() -> Path:
    d = DATA / "starss22_metadata_dev"
    if not d.is_dir():
        pytest.skip(f"real STARSS22 labels not found at {d} (set SELD_TEST_DATA)")
    return d


@pytest.fixture(scope="session")
def dcase2019_dir() -> Path:
    d = DATA / "tau_sse2019_metadata_sample"
    if not d.is_dir():
        pytest.skip(f"real DCASE2019 labels not found at {d} (set SELD_TEST_DATA)")
    return d
