"""The description of a SELD task, shared by the data pipeline, the training module and every checkpoint.

A network's weights are useless without knowing how to feed it and how to read its output: the sample rate and
microphone format of the audio, the front end that turns audio into features, the label frame, the classes,
and the output method. :class:`TaskSpec` holds exactly that, is written into every checkpoint (ours, and the
ones ``seld import`` converts), and rebuilds the front end (:meth:`TaskSpec.make_frontend`) and the
target/loss/decoder (:meth:`TaskSpec.make_method`) from plain values. Light to import: torch-based parts are
built on demand.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields

from seld.errors import ConfigError

__all__ = ["TaskSpec", "ARRAYS", "CHANNEL_CONVENTIONS"]

#: microphone formats and their channel count (``None``: any)
ARRAYS: dict[str, int | None] = {"foa": 4, "mic": 4, "array": None}
#: channel conventions per array format (the first is the default)
CHANNEL_CONVENTIONS: dict[str, tuple[str, ...]] = {"foa": ("acn-sn3d", "fuma"), "mic": ("dcase-tetra",),
                                                   "array": ("as-recorded",)}


@dataclass(frozen=True)
class TaskSpec:
    """How audio enters a SELD system and what comes out of it.

    Attributes:
        classes: class names, in output order.
        sample_rate: Hz of the audio the front end expects.
        array: ``foa`` (first-order Ambisonics), ``mic`` (DCASE tetrahedral array) or ``array`` (any other).
        channels: audio channels the front end takes.
        channel_convention: ``acn-sn3d`` (W, Y, Z, X) or ``fuma`` for FOA, ``dcase-tetra`` for MIC (``None``: the
            array's first, the DCASE one).
        frontend: registered front end name (:func:`seld.features.create_frontend`).
        frontend_options: overrides of the front end's preset (``sample_rate`` is always this task's).
        label_frame: seconds per label frame (0.1 for DCASE2020+).
        method: output method (:func:`seld.methods.get_method`), e.g. ``maccdoa``.
        method_options: its options, e.g. ``{"distance": True}``.
        chunk_seconds: length of the audio chunks the network was trained on (inference windows).
        window_hop: seconds between the starts of inference windows, whose outputs are averaged where they
            overlap; ``None``: half a chunk for class-wise methods, a whole chunk for track-wise ones. ``seld
            calibrate --hop`` sets it together with the thresholds, so that inference decodes as it was tuned.
        thresholds: detection threshold of each class, tuned on labelled recordings (``seld calibrate``);
            ``None``: 0.5 for every class. Inference uses them unless it is given thresholds.
    """

    classes: tuple[str, ...]
    sample_rate: int = 24000
    array: str = "foa"
    channels: int = 4
    channel_convention: str | None = None
    frontend: str = "logmel_iv"
    frontend_options: dict = field(default_factory=dict)
    label_frame: float = 0.1
    method: str = "maccdoa"
    method_options: dict = field(default_factory=dict)
    chunk_seconds: float = 10.0
    thresholds: tuple[float, ...] | None = None
    window_hop: float | None = None

    def __post_init__(self):
        object.__setattr__(self, "classes", tuple(str(c) for c in self.classes))
        object.__setattr__(self, "frontend_options", dict(self.frontend_options or {}))
        object.__setattr__(self, "method_options", dict(self.method_options or {}))
        if not self.classes:
            raise ConfigError("a task needs at least one class")
        if len(set(self.classes)) != len(self.classes):
            raise ConfigError(f"class names repeat: {', '.join(self.classes)}")
        if self.array not in ARRAYS:
            raise ConfigError(f"unknown array format {self.array!r}; choose one of {', '.join(ARRAYS)}")
        expected = ARRAYS[self.array]
        if not isinstance(self.channels, int) or self.channels < 1 or (expected and self.channels != expected):
            raise ConfigError(f"{self.array} audio has {expected or 'at least 1'} channels, not {self.channels!r}")
        if self.channel_convention is None:
            object.__setattr__(self, "channel_convention", CHANNEL_CONVENTIONS[self.array][0])
        if self.channel_convention not in CHANNEL_CONVENTIONS[self.array]:
            raise ConfigError(f"unknown channel convention {self.channel_convention!r} for {self.array}; choose "
                              f"{' or '.join(CHANNEL_CONVENTIONS[self.array])}")
        for name in ("sample_rate", "label_frame", "chunk_seconds"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
                raise ConfigError(f"task {name} must be a positive number, not {value!r}")
        if self.window_hop is not None:
            hop = self.window_hop
            ok = isinstance(hop, (int, float)) and math.isfinite(hop) and 0 < hop <= self.chunk_seconds
            if not ok or abs(hop / self.label_frame - round(hop / self.label_frame)) > 1e-6:
                raise ConfigError(f"task window_hop must be a whole number of label frames ({self.label_frame:g} s) "
                                  f"in (0, chunk_seconds = {self.chunk_seconds:g}] seconds, not {hop!r}")
        if self.thresholds is not None:
            try:
                thr = tuple(float(t) for t in self.thresholds)
            except (TypeError, ValueError):
                raise ConfigError(f"task thresholds must be numbers, not {self.thresholds!r}") from None
            if len(thr) != len(self.classes) or not all(0 < t <= 1 for t in thr):
                raise ConfigError(f"task thresholds: need one value in (0, 1] per class ({len(self.classes)}), "
                                  f"got {list(thr)}")
            object.__setattr__(self, "thresholds", thr)
        if "sample_rate" in self.frontend_options:
            raise ConfigError("set the sample rate of the task, not of its front end (frontend_options)")

    # ------------------------------------------------------------------------------------------------ derived
    @property
    def num_classes(self) -> int:
        return len(self.classes)

    @property
    def chunk_samples(self) -> int:
        """Audio samples per training chunk."""
        return int(round(self.chunk_seconds * self.sample_rate))

    @property
    def chunk_label_frames(self) -> int:
        """Label frames per training chunk."""
        return int(round(self.chunk_seconds / self.label_frame))

    @property
    def label_hop(self) -> int:
        """Audio samples per label frame."""
        return int(round(self.label_frame * self.sample_rate))

    @property
    def distance(self) -> bool:
        """Whether the method also predicts a distance per event."""
        return bool(self.method_options.get("distance", False))

    # ------------------------------------------------------------------------------------------------ builders
    def make_frontend(self):
        """The front end (a torch module ``[B, C, N] -> [B, C', T, F]``)."""
        from seld.features import create_frontend

        return create_frontend(self.frontend, sample_rate=self.sample_rate, **self.frontend_options)

    def make_method(self):
        """Targets, loss and decoder of the output method."""
        from seld.methods import get_method

        method = get_method(self.method, **self.method_options)
        method.frame_len = self.label_frame
        return method

    def replace(self, **changes) -> "TaskSpec":
        """A copy with some fields changed (validated again)."""
        return TaskSpec(**{**self.to_dict(), **changes})

    # ---------------------------------------------------------------------------------------------- plain I/O
    def to_dict(self) -> dict:
        """Plain values only (lists, dicts, numbers, strings): safe in ``torch.load(weights_only=True)``, JSON
        and YAML."""
        out = asdict(self)
        out["classes"] = list(self.classes)
        if self.thresholds is not None:
            out["thresholds"] = list(self.thresholds)
        return out

    @classmethod
    def from_dict(cls, data, where: str = "task description") -> "TaskSpec":
        """Rebuild from :meth:`to_dict`; unknown or missing keys raise :class:`~seld.errors.ConfigError` naming
        ``where``."""
        if not isinstance(data, dict):
            raise ConfigError(f"{where}: expected a mapping, found {type(data).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"{where}: unknown key(s) {', '.join(map(str, unknown))}; known: {', '.join(sorted(known))}")
        if "classes" not in data:
            raise ConfigError(f"{where}: no class list (key 'classes')")
        try:
            return cls(**data)
        except ConfigError as err:
            raise ConfigError(f"{where}: {err}") from None
        except (TypeError, ValueError) as err:
            raise ConfigError(f"{where}: {err}") from None

    def describe(self) -> str:
        """One line for logs and model cards."""
        opts = "".join(f", {k}={v}" for k, v in self.method_options.items())
        return (f"{self.array.upper()} {self.channels} ch ({self.channel_convention}) at {self.sample_rate} Hz -> "
                f"{self.frontend} -> {self.method}{opts}, {self.num_classes} classes, {self.label_frame * 1000:g} ms "
                f"frames, {self.chunk_seconds:g} s chunks" + (f" every {self.window_hop:g} s" if self.window_hop else "") +
                (", tuned thresholds" if self.thresholds else ""))
