"""The on-disk layout of a synthetic dataset (DCASE style) and its manifest.

::

    OUT/manifest.json             generation config, seed, bank, package versions
    OUT/<format>/<name>.wav|flac  one folder per format (foa/, mic/, ...), 4-channel 16-bit audio
    OUT/metadata/<name>.csv       labels, DCASE2024 columns frame,class,source,azi,ele,dist_cm
    OUT/plans/<name>.json         the scene plan (clips, gains, positions, room, noise) that made the files

A scene's label file is written last, so its presence marks the scene as finished: a re-run skips it.
"""

from __future__ import annotations

import importlib.metadata
import platform
from pathlib import Path

import numpy as np

from seld import __version__
from seld.errors import ConfigError
from seld.formats import Events, write_labels
from seld.synth.files import ensure_dir, read_json, write_audio, write_json
from seld.synth.scenes import ScenePlan

__all__ = ["DatasetWriter", "package_versions"]


def package_versions() -> dict[str, str]:
    """Versions of the packages the audio depends on."""
    out = {"seld": __version__, "python": platform.python_version()}
    for pkg in ("numpy", "scipy", "pyroomacoustics", "soundfile"):
        try:
            out[pkg] = importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            out[pkg] = "missing"
    return out


class DatasetWriter:
    """Writes scenes into ``root`` (see the module docstring)."""

    def __init__(self, root: str | Path, formats: list[str], audio: str = "wav", label_format: str = "dcase2024"):
        self.root = ensure_dir(root)
        self.formats, self.audio, self.label_format = list(formats), audio, label_format

    def audio_path(self, fmt: str, name: str) -> Path:
        return self.root / fmt / f"{name}.{self.audio}"

    def label_path(self, name: str) -> Path:
        return self.root / "metadata" / f"{name}.csv"

    def plan_path(self, name: str) -> Path:
        return self.root / "plans" / f"{name}.json"

    def is_done(self, name: str) -> bool:
        return self.label_path(name).is_file() and all(self.audio_path(f, name).is_file() for f in self.formats)

    def write_manifest(self, manifest: dict) -> None:
        """Write ``manifest.json``; an existing one must describe the same generation (same config and seed),
        otherwise the folder belongs to another dataset and nothing is written."""
        path = self.root / "manifest.json"
        if path.is_file():
            old = read_json(path)
            if old.get("generation") != manifest["generation"]:
                raise ConfigError(f"{self.root} already holds a dataset made with other settings (see {path}); "
                                  "use a new --out folder, or the same options and seed to resume it")
            return
        write_json(path, manifest)

    def write_scene(self, plan: ScenePlan, audio: dict[str, np.ndarray], events: Events) -> None:
        for fmt in self.formats:
            write_audio(self.audio_path(fmt, plan.name), audio[fmt], plan.fs, self.audio)
        write_json(self.plan_path(plan.name), plan.to_dict())
        label = self.label_path(plan.name)
        ensure_dir(label.parent)
        write_labels(label, events, fmt=self.label_format)
