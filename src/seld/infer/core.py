"""Offline inference: a recording of any length through a network trained on fixed-length chunks.

The recording (at the task's sample rate, in its channel convention) is cut into windows of ``chunk`` seconds
(default: the task's training chunk) that start every ``hop`` seconds; the last window runs past the end and is
padded with zeros. Each window gives ``chunk / label_frame`` output frames; where windows overlap, the network
outputs of the same label frame are averaged *before* decoding (so thresholds apply to the averaged activity),
and the frames past the recording's end are dropped. A recording of N samples has ``ceil(N / label_hop)`` label
frames.

Offline inference holds the whole recording in memory (float32: about 1.4 GB per hour of 4-channel 24 kHz audio,
more before resampling from a higher rate); :mod:`seld.infer.stream` gives the same events with bounded memory.

Digital silence gives no events: a label frame whose samples are all exactly zero (on every channel) has no
events, whatever the network outputs there (a network fed nothing but zeros, or the zero padding of a window,
may still output activity). Quiet but non-zero audio (a noise floor) is left to the network.

The default hop is the task's ``window_hop`` when it has one (set by ``seld calibrate --hop``), else half a
chunk for the class-wise methods (``accdoa``, ``maccdoa``, ``seddoa``); for the
track-wise ones (``einv2``, ``agg*``) it is the whole chunk, because an event may sit on different tracks in two
windows and averaging tracks would mix events (an explicit ``hop`` is obeyed all the same).
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from seld.errors import ConfigError, InputError
from seld.formats.events import Events
from seld.infer.audio import prepare_audio, read_audio
from seld.infer.models import Runner, as_runner
from seld.infer.tta import make_tta
from seld.task import TaskSpec

__all__ = ["WindowPlan", "make_plan", "sounding_frames", "drop_silent", "OutputAccumulator", "WindowRunner",
           "network_output", "decode_output",
           "infer_array", "infer_file", "load_thresholds", "model_thresholds", "recording_output", "TRACKWISE"]

logger = logging.getLogger(__name__)

#: methods whose outputs are track-wise (default hop = chunk)
TRACKWISE = ("einv2", "agg", "agg1", "agg2")


def _frames(seconds: float, label_frame: float, what: str) -> int:
    n = seconds / label_frame
    if not math.isfinite(n) or n < 1 - 1e-9 or abs(n - round(n)) > 1e-6:
        raise ConfigError(f"{what} {seconds:g} s must be a positive whole number of label frames "
                          f"({label_frame:g} s)")
    return int(round(n))


@dataclass(frozen=True)
class WindowPlan:
    """Where the windows of a recording start. All sizes in samples at the task's rate."""

    window: int
    hop: int
    label_hop: int

    @property
    def window_frames(self) -> int:
        return self.window // self.label_hop

    @property
    def hop_frames(self) -> int:
        return self.hop // self.label_hop

    def n_frames(self, n_samples: int) -> int:
        """Label frames of a recording of ``n_samples``."""
        return -(-n_samples // self.label_hop)

    def n_windows(self, n_samples: int) -> int:
        """Windows that cover ``n_samples`` (the last one padded)."""
        return 1 + max(0, -(-(n_samples - self.window) // self.hop))


def make_plan(task: TaskSpec, chunk: float | None = None, hop: float | None = None) -> WindowPlan:
    """The window plan of ``task`` with ``chunk`` / ``hop`` seconds (module docstring for the defaults)."""
    lf = task.label_frame
    label_hop = task.label_hop
    if abs(label_hop - lf * task.sample_rate) > 1e-6:
        raise ConfigError(f"the task's label frame ({lf:g} s) is not a whole number of samples at "
                          f"{task.sample_rate} Hz")
    window_frames = _frames(task.chunk_seconds if chunk is None else chunk, lf, "--chunk")
    if hop is None and task.window_hop is not None:
        hop = min(task.window_hop, window_frames * lf)     # a shorter --chunk than trained: at most a window
    if hop is None:
        hop_frames = window_frames if task.method in TRACKWISE else max(1, window_frames // 2)
    else:
        hop_frames = _frames(hop, lf, "--hop")
    if hop_frames > window_frames:
        raise ConfigError(f"--hop {hop_frames * lf:g} s is longer than the window ({window_frames * lf:g} s): "
                          f"frames between windows would get no output")
    return WindowPlan(window_frames * label_hop, hop_frames * label_hop, label_hop)


def _frames_of(output) -> int:
    first = next(iter(output.values())) if isinstance(output, dict) else output
    return first.shape[0]


class OutputAccumulator:
    """Sums of window outputs per label frame and how many windows gave each; frames leave in order.

    Holds only the frames between the first not yet taken and the end of the last window added.
    """

    def __init__(self):
        self.base = 0            # global label frame of sums[0]
        self.sums = None         # array [F, ...] or dict of them (float64)
        self.counts = np.zeros(0, np.int64)

    def _grow(self, end: int, like) -> None:
        extra = end - self.base - len(self.counts)
        if extra <= 0:
            return
        def pad(a, ref):
            return np.concatenate([a, np.zeros((extra, *ref.shape[1:]), np.float64)])
        if self.sums is None:
            self.sums = ({k: np.zeros((0, *v.shape[1:])) for k, v in like.items()} if isinstance(like, dict)
                         else np.zeros((0, *like.shape[1:])))
        self.sums = ({k: pad(v, like[k]) for k, v in self.sums.items()} if isinstance(like, dict)
                     else pad(self.sums, like))
        self.counts = np.concatenate([self.counts, np.zeros(extra, np.int64)])

    def add(self, frame: int, output) -> None:
        """Add one window's output ``[T, ...]`` (array or dict) whose first frame is global frame ``frame``."""
        t = _frames_of(output)
        if frame < self.base:
            raise ValueError(f"window at frame {frame} comes after frames up to {self.base} were taken")
        self._grow(frame + t, output)
        s = slice(frame - self.base, frame - self.base + t)
        if isinstance(output, dict):
            for k, v in output.items():
                self.sums[k][s] += v
        else:
            self.sums[s] += output
        self.counts[s] += 1

    def take(self, end: int):
        """Averaged output of frames ``[base, end)`` (float32), removed from the accumulator."""
        n = end - self.base
        if n <= 0 or self.sums is None:
            return None
        if (self.counts[:n] == 0).any():
            raise ValueError("a frame without any window output was taken")
        def avg(a):
            return (a[:n] / self.counts[:n].reshape(-1, *[1] * (a.ndim - 1))).astype(np.float32)
        if isinstance(self.sums, dict):
            out = {k: avg(v) for k, v in self.sums.items()}
            self.sums = {k: v[n:] for k, v in self.sums.items()}
        else:
            out = avg(self.sums)
            self.sums = self.sums[n:]
        self.counts = self.counts[n:]
        self.base = end
        return out


class WindowRunner:
    """Runs windows ``[B, C, window]`` through a runner (with test-time augmentation) and checks the output
    length; ``batch_size`` bounds the network inputs per call (each window counts once per TTA transform)."""

    def __init__(self, runner: Runner, plan: WindowPlan, tta: str | None = None, batch_size: int = 8):
        if batch_size < 1:
            raise ConfigError(f"batch size must be at least 1, got {batch_size}")
        self.runner, self.plan = runner, plan
        self.tta = make_tta(tta, runner.task)
        per = self.tta.num_variants if self.tta is not None else 1
        self.windows_per_call = max(1, batch_size // per)

    def __call__(self, windows: np.ndarray) -> list:
        """Per window its output ``[T, ...]`` (array or dict)."""
        outs = []
        for i in range(0, len(windows), self.windows_per_call):
            part = windows[i:i + self.windows_per_call]
            x = self.tta.expand(part) if self.tta is not None else part
            y = self.runner.forward(x)
            if self.tta is not None:
                y = self.tta.merge(y, len(part))
            got = (next(iter(y.values())) if isinstance(y, dict) else y).shape[1]
            if got != self.plan.window_frames:
                task = self.runner.task
                seconds = self.plan.window / task.sample_rate
                fix = (f"this model needs --chunk {task.chunk_seconds:g} (its training chunk)"
                       if abs(seconds - task.chunk_seconds) > 1e-9 else
                       "the network does not match its task description's label frame; re-export the model")
                raise ConfigError(f"the network gives {got} frames for a {seconds:g} s window, not "
                                  f"{self.plan.window_frames}; {fix}")
            for b in range(len(part)):
                outs.append({k: v[b] for k, v in y.items()} if isinstance(y, dict) else y[b])
        return outs


def network_output(model, audio: np.ndarray, *, chunk: float | None = None, hop: float | None = None,
                   tta: str | None = None, batch_size: int = 8, device: str = "cpu"):
    """The network output of a whole recording ``[C, N]`` (already at the task's rate and channel convention),
    windows averaged: ``[T, ...]`` numpy (a dict for two-branch methods), ``T = ceil(N / label_hop)``."""
    runner = as_runner(model, device)
    plan = make_plan(runner.task, chunk, hop)
    run = WindowRunner(runner, plan, tta, batch_size)
    n = audio.shape[1]
    acc = OutputAccumulator()
    starts = [k * plan.hop for k in range(plan.n_windows(n))]
    group = max(1, run.windows_per_call)
    for i in range(0, len(starts), group):
        batch = np.zeros((len(starts[i:i + group]), audio.shape[0], plan.window), np.float32)
        for b, s in enumerate(starts[i:i + group]):
            piece = audio[:, s:s + plan.window]
            batch[b, :, :piece.shape[1]] = piece
        for s, out in zip(starts[i:i + group], run(batch)):
            acc.add(s // plan.label_hop, out)
    return acc.take(plan.n_frames(n))


def sounding_frames(audio: np.ndarray, label_hop: int, first_sample: int = 0) -> tuple[int, np.ndarray]:
    """Which label frames hold a non-zero sample: ``(first frame, bool [F])`` for audio ``[C, n]`` whose first
    sample is global sample ``first_sample``."""
    n = audio.shape[1]
    if n == 0:
        return first_sample // label_hop, np.zeros(0, bool)
    nonzero = (audio != 0).any(axis=0)
    first = first_sample // label_hop
    frames = (first_sample + np.arange(n)) // label_hop - first
    return first, np.bincount(frames, weights=nonzero, minlength=int(frames[-1]) + 1) > 0


def drop_silent(events: Events, sounding: np.ndarray, first_frame: int = 0) -> Events:
    """``events`` without the rows of frames where ``sounding`` (frames from ``first_frame``) is false."""
    idx = events.frame - first_frame
    inside = (idx >= 0) & (idx < len(sounding))
    keep = np.zeros(len(events), bool)
    keep[inside] = sounding[idx[inside]]
    keep |= ~inside & (idx >= len(sounding))
    return events if keep.all() else events.select(keep)


def model_thresholds(task) -> float | np.ndarray:
    """The thresholds a model decodes with when none are given: its task's tuned ones, else 0.5."""
    return 0.5 if task.thresholds is None else np.asarray(task.thresholds, np.float64)


def decode_output(runner: Runner, output, thresholds=None, first_frame: int = 0) -> Events:
    """Events of an averaged output ``[T, ...]`` whose first frame is global frame ``first_frame``
    (``thresholds=None``: :func:`model_thresholds`)."""
    if thresholds is None:
        thresholds = model_thresholds(runner.task)
    batch = {k: v[None] for k, v in output.items()} if isinstance(output, dict) else output[None]
    events = runner.decode(batch, thresholds)[0]
    if first_frame:
        events.frame = events.frame + first_frame
        events.n_frames = None if events.n_frames is None else events.n_frames + first_frame
    return events


def load_thresholds(spec, classes) -> float | np.ndarray:
    """Detection thresholds from ``--threshold``: a number, or a file of per-class values.

    The file is JSON (``{"class name": value, ...}`` naming every class, or a list of one value per class) or
    text: one value per line in class order, or ``name,value`` (also ``name value`` / ``name: value``) lines
    naming every class. Values lie in (0, 1]; ``#`` starts a comment.
    """
    classes = list(classes)
    if isinstance(spec, (int, float)) or (isinstance(spec, str) and _is_number(spec)):
        value = float(spec)
        _check_threshold(value, "--threshold")
        return value
    path = Path(spec)
    from seld.userio import read_user_text

    text = read_user_text(path, "threshold file")
    values: dict[str, float] | list[float]
    stripped = text.strip()
    if stripped.startswith(("{", "[")):
        try:
            data = json.loads(stripped)
        except json.JSONDecodeError as err:
            raise InputError(path, f"invalid JSON ({err.msg} at line {err.lineno})") from None
        values = data
    else:
        rows = [line.split("#", 1)[0].strip() for line in text.splitlines()]
        rows = [r for r in rows if r]
        if rows and all(_is_number(r) for r in rows):
            values = [float(r) for r in rows]
        else:
            values = {}
            for r in rows:
                name, sep, val = _split_pair(r)
                if not sep or not _is_number(val):
                    raise InputError(path, f"cannot read {r!r}", "write one 'class name,value' per line")
                values[name] = float(val)
    if isinstance(values, list):
        if len(values) != len(classes):
            raise InputError(path, f"{len(values)} thresholds for {len(classes)} classes",
                             f"give one value per class, in the model's order: {', '.join(classes)}")
        thr = np.array(values, np.float64)
    elif isinstance(values, dict):
        unknown = sorted(set(values) - set(classes))
        missing = [c for c in classes if c not in values]
        if unknown or missing:
            raise InputError(path, ("unknown class(es) " + ", ".join(unknown) if unknown else "")
                             + ("; " if unknown and missing else "")
                             + ("no threshold for " + ", ".join(missing) if missing else ""),
                             f"name every class of the model: {', '.join(classes)}")
        thr = np.array([float(values[c]) for c in classes], np.float64)
    else:
        raise InputError(path, "expected a mapping of class names to thresholds or a list of thresholds")
    for c, v in zip(classes, thr):
        _check_threshold(v, f"{path}: threshold of {c}")
    return thr


def _split_pair(row: str) -> tuple[str, str, str]:
    for sep in (",", ":", "\t"):
        if sep in row:
            name, _, val = row.rpartition(sep)
            return name.strip(), sep, val.strip()
    name, _, val = row.rpartition(" ")
    return name.strip(), " " if name else "", val.strip()


def _is_number(text) -> bool:
    try:
        float(text)
    except (TypeError, ValueError):
        return False
    return True


def _check_threshold(value: float, what: str) -> None:
    if not math.isfinite(value) or not 0 < value <= 1:
        raise ConfigError(f"{what} {value:g} must lie in (0, 1]")


def recording_output(runner: Runner, audio: np.ndarray, sample_rate: int, *, chunk: float | None = None,
                     hop: float | None = None, tta: str | None = None, channels: str | None = None,
                     batch_size: int = 8, where: str | Path | None = None):
    """The averaged network output of a recording (before decoding), which label frames sound at all, and the
    notes of the conversions done: ``(output, sounding, notes)`` (arguments: :func:`infer_array`)."""
    prepared = prepare_audio(audio, sample_rate, runner.task, channels=channels, where=where)
    output = network_output(runner, prepared.audio, chunk=chunk, hop=hop, tta=tta, batch_size=batch_size)
    _, sounding = sounding_frames(prepared.audio, runner.task.label_hop)
    return output, sounding, prepared.notes


def infer_array(model, audio: np.ndarray, sample_rate: int, *, thresholds=None, chunk: float | None = None,
                hop: float | None = None, tta: str | None = None, channels: str | None = None, batch_size: int = 8,
                device: str = "cpu", where: str | Path | None = None) -> Events:
    """SELD events of a recording ``audio`` ``[C, N]`` at ``sample_rate`` Hz.

    Args:
        model: a :class:`~seld.system.SeldSystem`, a runner (:mod:`seld.infer.models`) or a model name/path.
        thresholds: detection threshold, one value or one per class (``None``: the model's,
            :func:`model_thresholds`).
        chunk, hop: window length and hop in seconds (default: the task's chunk, half of it).
        tta: ``"acs"`` for the ACS test-time augmentation (:mod:`seld.infer.tta`).
        channels: the FOA convention of ``audio`` (``acn-sn3d`` by default, or ``fuma``).
        batch_size: network inputs per forward call.
        where: names the recording in error messages.

    Returns:
        :class:`Events` at the task's label frame with ``n_frames`` set; ``meta`` holds ``duration`` (seconds),
        ``sample_rate`` (of the input), ``notes`` (conversions done) and ``path`` when given.
    """
    runner = as_runner(model, device)
    output, sounding, notes = recording_output(runner, audio, sample_rate, chunk=chunk, hop=hop, tta=tta,
                                               channels=channels, batch_size=batch_size, where=where)
    events = drop_silent(decode_output(runner, output, thresholds), sounding)
    events.meta = {"duration": audio.shape[1] / sample_rate, "sample_rate": int(sample_rate),
                   "notes": notes, **({"path": str(where)} if where is not None else {})}
    return events


def infer_file(model, path: str | Path, **options) -> Events:
    """SELD events of an audio file (any length, sample rate and, for FOA, ``channels`` convention); the
    options are those of :func:`infer_array`."""
    audio, rate = read_audio(path)
    return infer_array(model, audio, rate, where=path, **options)
