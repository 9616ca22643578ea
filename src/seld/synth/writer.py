"""The on-disk layout of a synthetic dataset (DCASE style) and its manifest.

::

    OUT/manifest.json             generation config, seed, bank, package versions
    OUT/<format>/<name>.wav|flac  one folder per format (foa/, mic/, ...), 4-channel 16-bit audio
    OUT/metadata/<name>.csv       labels, DCASE2024 columns frame,class,source,azi,ele,dist_cm
    OUT/plans/<name>.json         the scene plan (clips, gains, positions, room, noise) that made the files

A scene's label file is written last, so its presence marks the scene as finished: a re-run skips it after a
cheap check of what it skips (the plan reads, every audio file's header gives the plan's length, rate and the
data is all there, the labels read); a scene that fails the check is rendered again.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import json
import logging
import platform
from pathlib import Path

import numpy as np

from seld import __version__
from seld.errors import ConfigError, SeldError
from seld.formats import Events, read_labels, write_labels
from seld.synth.files import ensure_dir, read_json, write_audio, write_json
from seld.synth.scenes import ScenePlan

__all__ = ["DatasetWriter", "package_versions", "audio_problem"]

log = logging.getLogger(__name__)


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
        """Whether scene ``name`` is finished and intact (see the module docstring). A damaged scene is logged
        and its label file removed, so that it counts as unfinished until it has been rendered again."""
        label = self.label_path(name)
        if not label.is_file():
            return False
        problem = self._problem(name)
        if problem is None:
            return True
        log.warning("%s: %s; the scene is rendered again", name, problem)
        label.unlink(missing_ok=True)
        return False

    def _problem(self, name: str) -> str | None:
        try:
            plan = read_json(self.plan_path(name))
            n, fs = int(plan["n_samples"]), int(plan["fs"])
        except (SeldError, KeyError, TypeError, ValueError) as err:
            return f"its plan {self.plan_path(name)} is missing or damaged ({err})"
        for fmt in self.formats:
            problem = audio_problem(self.audio_path(fmt, name), n, fs)
            if problem is not None:
                return problem
        try:
            read_labels(self.label_path(name), fmt=self.label_format)
        except SeldError as err:
            return f"its label file is damaged ({err})"
        return None

    def write_manifest(self, manifest: dict, current=None) -> None:
        """Write ``manifest.json``; an existing one must describe the same generation (same config and seed),
        otherwise the folder belongs to another dataset and nothing is written. ``current`` maps an existing
        generation to the form this version writes (settings added since it was made take their defaults), so
        that a dataset made before a setting existed resumes."""
        path = self.root / "manifest.json"
        if path.is_file():
            old = read_json(path)
            old_gen = old.get("generation") if isinstance(old, dict) else None
            if current is not None and old_gen is not None:
                with contextlib.suppress(SeldError, KeyError, TypeError, ValueError):  # then shown as it is
                    old_gen = current(old_gen)
            if old_gen != manifest["generation"]:
                diff = _differences(old_gen, manifest["generation"])
                shown = "; ".join(f"{key}: {a} there, {b} now" for key, a, b in diff[:3])
                more = f" (and {len(diff) - 3} more)" if len(diff) > 3 else ""
                raise ConfigError(f"{self.root} already holds a dataset made with other settings ({shown}{more}; "
                                  f"see {path}); use a new --out folder, or the same options and seed to resume it")
            return
        write_json(path, manifest)

    def write_scene(self, plan: ScenePlan, audio: dict[str, np.ndarray], events: Events) -> None:
        for fmt in self.formats:
            write_audio(self.audio_path(fmt, plan.name), audio[fmt], plan.fs, self.audio)
        write_json(self.plan_path(plan.name), plan.to_dict())
        label = self.label_path(plan.name)
        ensure_dir(label.parent)
        write_labels(label, events, fmt=self.label_format)


def _short(value) -> str:
    text = json.dumps(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _differences(old, new, key: str = "") -> list[tuple[str, str, str]]:
    """(dotted key, old value, new value) of every leaf where two JSON values differ."""
    if isinstance(old, dict) and isinstance(new, dict):
        out = []
        for k in list(old) + [k for k in new if k not in old]:
            sub = f"{key}.{k}" if key else str(k)
            if k not in new:
                out.append((sub, _short(old[k]), "absent"))
            elif k not in old:
                out.append((sub, "absent", _short(new[k])))
            else:
                out += _differences(old[k], new[k], sub)
        return out
    if old == new:
        return []
    return [(key or "the manifest", _short(old), _short(new))]


def audio_problem(path: Path, n_samples: int, fs: int) -> str | None:
    """What is wrong with a finished audio file (cheaply: its header, and reading its last sample), or ``None``.

    A WAV cut short reports fewer frames than the plan; a FLAC keeps its length in the header, so its last
    sample is decoded."""
    import soundfile as sf

    try:
        info = sf.info(str(path))
        if info.frames != n_samples or info.samplerate != fs:
            return f"{path} holds {info.frames} samples at {info.samplerate} Hz, the plan {n_samples} at {fs} Hz"
        expected = None
        if info.format == "WAV" and info.subtype == "PCM_16":
            expected = n_samples * info.channels * 2
        if expected is not None and path.stat().st_size < expected:
            return f"{path} is shorter ({path.stat().st_size} bytes) than its {expected} bytes of samples"
        if n_samples:
            with sf.SoundFile(str(path)) as f:
                f.seek(n_samples - 1)
                if len(f.read(1)) != 1:
                    return f"{path} ends before its last sample"
    except (RuntimeError, OSError, ValueError, TypeError) as err:   # soundfile's errors derive from these
        return f"{path} cannot be read ({type(err).__name__}: {err})"
    return None
