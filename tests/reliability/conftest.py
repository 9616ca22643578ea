"""Fixtures of the reliability tests: a tiny sound bank, and a runner of the real `seld` entry point that returns
(exit status, stdout, stderr)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from seld.cli import main
from seld.synth.bank import BankSettings, build_bank, sources_from_dir


def write_tones(root: Path, classes=("female_speech", "clapping", "bell"), per_class: int = 2, fs: int = 24000,
                seconds: float = 0.6) -> Path:
    """Tones with a little noise, one sub-folder per class."""
    rng = np.random.default_rng(0)
    for c, name in enumerate(classes):
        (root / name).mkdir(parents=True, exist_ok=True)
        for k in range(per_class):
            t = np.arange(int(seconds * fs)) / fs
            x = 0.2 * np.sin(2 * np.pi * (220.0 * (c + 1) + 50 * k) * t) + 0.02 * rng.standard_normal(len(t))
            sf.write(root / name / f"take{k}.wav", x, fs)
    return root


@pytest.fixture(scope="session")
def small_bank(tmp_path_factory) -> Path:
    """A 3-class STARSS23 bank with 2 clips per class (one of them in the test split)."""
    root = tmp_path_factory.mktemp("reliability_bank")
    class_list, sources = sources_from_dir(write_tones(root / "src"), "starss23")
    build_bank(sources, class_list, root / "bank", BankSettings(test_fraction=0.5), base=root / "src")
    return root / "bank"


@pytest.fixture
def run_seld(capsys):
    """``run_seld(*args) -> (code, out, err)`` through :func:`seld.cli.main` (user errors: code 2, one line)."""

    def run(*args):
        with pytest.raises(SystemExit) as exit_info:
            main([str(a) for a in args])
        out = capsys.readouterr()
        return exit_info.value.code, out.out, out.err

    return run
