"""Recordings as a model wants them: read and checked, channel convention converted, resampled.

* :func:`read_audio` reads a whole file as float32 ``[C, N]``; an unreadable, empty or truncated file is an
  :class:`~seld.errors.InputError` naming it. A WAV whose ``data`` chunk is shorter than its header says
  (an interrupted copy) is refused: libsndfile would silently read the part that is there.
* :func:`prepare_audio` checks a recording against a task: the channel count (a mono or stereo file for an FOA
  model is refused with the fix), NaN/Inf samples, a length of at least one label frame; converts the FOA
  channel convention (:func:`convert_foa`) and the sample rate (:func:`resample`, a polyphase filter, with a
  logged note).
* :class:`StreamResampler` gives, block by block, exactly the samples that :func:`resample` gives for the whole
  signal.

FOA channel conventions: ``acn-sn3d`` (ambiX: W, Y, Z, X, SN3D; what the DCASE datasets and most ambisonic
microphones' converters write) and ``fuma`` (Furse-Malham: W, X, Y, Z with W at -3 dB). At first order the
dipoles are the same in both; only the order and the gain of W differ: ACN/SN3D (W, Y, Z, X) = (sqrt(2) W_fuma,
Y_fuma, Z_fuma, X_fuma). A higher-order ambiX file ((n+1)^2 channels, ACN order) holds the first-order signals
in its first four channels, which are used (with a note).
"""

from __future__ import annotations

import logging
import math
import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf

from seld.errors import ConfigError, InputError
from seld.task import TaskSpec

__all__ = ["INPUT_CONVENTIONS", "read_audio", "check_wav_length", "convert_foa", "prepare_audio", "resample",
           "resample_ratio", "PreparedAudio", "StreamResampler", "check_finite", "channel_plan"]

logger = logging.getLogger(__name__)

#: channel conventions ``--channels`` accepts for FOA input (the first is the default)
INPUT_CONVENTIONS = ("acn-sn3d", "fuma")

_SQRT2 = math.sqrt(2.0)


# ------------------------------------------------------------------------------------------------ reading

def check_wav_length(path: str | Path) -> None:
    """Refuse a WAV file whose ``data`` chunk holds fewer bytes than its header declares (a truncated copy).

    Streaming writers that do not know the length in advance declare 0 or 0xFFFFFFFF bytes; those are accepted.
    Files that are not RIFF/WAVE are left to libsndfile.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            head = f.read(12)
            if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
                return
            pos = 12
            while pos + 8 <= size:
                f.seek(pos)
                chunk = f.read(8)
                if len(chunk) < 8:
                    return
                cid, length = chunk[:4], struct.unpack("<I", chunk[4:])[0]
                if cid == b"data":
                    have = size - pos - 8
                    if length not in (0, 0xFFFFFFFF) and have < length:
                        raise InputError(path, f"truncated WAV file: its header declares {length} bytes of audio, "
                                               f"the file holds {have}", "copy or export the file again")
                    return
                pos += 8 + length + (length & 1)
    except OSError as err:
        raise InputError(path, f"cannot read the file ({err.strerror or err})", "check the path and permissions") \
            from None


def read_audio(path: str | Path) -> tuple[np.ndarray, int]:
    """The samples of ``path`` as float32 ``[C, N]`` and its sample rate."""
    path = Path(path)
    if path.is_dir():
        raise InputError(path, "is a folder, expected an audio file")
    if not path.exists():
        raise InputError(path, "file not found", "check the path")
    check_wav_length(path)
    try:
        data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    except (RuntimeError, sf.LibsndfileError, OSError) as err:
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise InputError(path, f"cannot read the audio ({reason})",
                         "is it a complete WAV/FLAC file? export it again") from None
    return np.ascontiguousarray(data.T), int(rate)


def check_finite(audio: np.ndarray, where: str | Path | None, offset: int = 0) -> None:
    """Refuse NaN or infinite samples, naming the first one (``offset``: index of ``audio``'s first sample)."""
    bad = ~np.isfinite(audio)
    if bad.any():
        ch, n = np.nonzero(bad)
        first = int(np.argmin(n))
        raise InputError(where, f"has {int(bad.sum())} NaN or infinite samples (the first at sample "
                                f"{int(n[first]) + offset}, channel {int(ch[first]) + 1})",
                         "repair or re-export the recording")


# ------------------------------------------------------------------------------------------------ channels

def convert_foa(audio: np.ndarray, src: str, dst: str) -> np.ndarray:
    """First-order ambisonics ``[4, N]`` from convention ``src`` to ``dst`` (``acn-sn3d`` or ``fuma``)."""
    for name in (src, dst):
        if name not in INPUT_CONVENTIONS:
            raise ConfigError(f"unknown FOA channel convention {name!r}; choose {' or '.join(INPUT_CONVENTIONS)}")
    if src == dst:
        return audio
    if src == "fuma":   # W, X, Y, Z -> W, Y, Z, X
        w, x, y, z = audio
        return np.stack([w * _SQRT2, y, z, x]).astype(audio.dtype, copy=False)
    w, y, z, x = audio   # acn-sn3d -> fuma
    return np.stack([w / _SQRT2, x, y, z]).astype(audio.dtype, copy=False)


def channel_plan(task: TaskSpec, channels: int, convention: str | None, where: str | Path | None
                 ) -> tuple[int, str | None]:
    """How many leading channels of a ``channels``-channel input to use, and the input's FOA convention
    (``None`` for MIC and custom arrays). Refuses a channel count that does not fit the task, with the fix."""
    if task.array == "foa":
        convention = convention or INPUT_CONVENTIONS[0]
        if convention not in INPUT_CONVENTIONS:
            raise ConfigError(f"--channels {convention}: FOA input is {' or '.join(INPUT_CONVENTIONS)}")
        if channels == 4:
            return 4, convention
        order = math.isqrt(channels) - 1
        if channels > 4 and (order + 1) ** 2 == channels and convention == "acn-sn3d":
            logger.warning("%s: %d channels read as order-%d ambiX (ACN/SN3D); using its first-order channels 1-4",
                           where, channels, order)
            return 4, convention
        what = {1: "a mono file", 2: "a stereo file"}.get(channels, f"{channels} channels")
        raise InputError(where, f"{what}, but the model takes 4-channel first-order ambisonics (FOA B-format, "
                                f"{'ambiX W, Y, Z, X' if convention == 'acn-sn3d' else 'FuMa W, X, Y, Z'})",
                         "give a 4-channel FOA recording (or an ambiX higher-order one); a mono or stereo "
                         "recording has no direction information for this model")
    if convention is not None and convention != task.channel_convention:
        raise ConfigError(f"--channels {convention} is for FOA input; this model takes {task.array.upper()} "
                          f"audio ({task.channel_convention})")
    if channels != task.channels:
        raise InputError(where, f"{channels} channel(s), but the model takes {task.channels} "
                                f"({task.array.upper()}, {task.channel_convention})",
                         f"give a {task.channels}-channel recording of the model's microphone array")
    return channels, None


# ------------------------------------------------------------------------------------------------ sample rate

def resample_ratio(src_rate: int, dst_rate: int) -> tuple[int, int]:
    """The reduced ``(up, down)`` factors from ``src_rate`` to ``dst_rate``."""
    if src_rate <= 0 or dst_rate <= 0:
        raise ConfigError(f"sample rates must be positive, got {src_rate} and {dst_rate}")
    g = math.gcd(int(src_rate), int(dst_rate))
    return int(dst_rate) // g, int(src_rate) // g


def resample(audio: np.ndarray, src_rate: int, dst_rate: int) -> np.ndarray:
    """``[C, N]`` float32 from ``src_rate`` to ``dst_rate`` with :func:`scipy.signal.resample_poly` (its default
    Kaiser-windowed FIR); ``ceil(N * dst / src)`` samples."""
    if src_rate == dst_rate:
        return audio
    from scipy.signal import resample_poly

    up, down = resample_ratio(src_rate, dst_rate)
    return resample_poly(audio, up, down, axis=-1).astype(np.float32)


class StreamResampler:
    """Block-wise :func:`resample`: the concatenated outputs of :meth:`push` and :meth:`finish` equal
    ``resample(whole signal)`` sample for sample.

    An output sample depends on the inputs within the FIR's half length around it; the resampler keeps those
    (about ``10 * max(up, down) / up`` input samples) and filters the kept part again with each block, cut at a
    multiple of ``down`` input samples so that the filter phases line up with the whole signal's.
    """

    def __init__(self, src_rate: int, dst_rate: int, channels: int):
        self.up, self.down = resample_ratio(src_rate, dst_rate)
        self.half = 10 * max(self.up, self.down)      # scipy's default FIR half length (upsampled samples)
        self.buf = np.zeros((channels, 0), np.float32)
        self.start = 0         # input index of buf[:, 0] (a multiple of down)
        self.done = 0          # output samples given so far

    def _out_start(self) -> int:
        return self.start * self.up // self.down

    def _filter(self) -> np.ndarray:
        from scipy.signal import resample_poly

        return resample_poly(self.buf, self.up, self.down, axis=-1).astype(np.float32)

    def push(self, block: np.ndarray) -> np.ndarray:
        """Resampled samples that ``block`` (``[C, n]``) completes; may be empty."""
        self.buf = np.concatenate([self.buf, np.asarray(block, np.float32)], axis=1)
        end_in = self.start + self.buf.shape[1]
        # output m is final when its filter support, centred on m * down (upsampled), ends before the input end
        safe = ((end_in - 1) * self.up - self.half) // self.down - 1
        if safe <= self.done:
            return np.zeros((self.buf.shape[0], 0), np.float32)
        out = self._filter()[:, self.done - self._out_start(): safe - self._out_start()]
        self.done = safe
        # keep the inputs that outputs from `done` on still need, from a multiple of `down`
        need = max((self.done * self.down - self.half) // self.up - 1, self.start)
        keep = need - need % self.down
        if keep > self.start:
            self.buf = self.buf[:, keep - self.start:]
            self.start = keep
        return out

    def finish(self) -> np.ndarray:
        """The remaining samples once the input has ended."""
        if self.buf.shape[1] == 0:
            return np.zeros((self.buf.shape[0], 0), np.float32)
        out = self._filter()[:, self.done - self._out_start():]
        self.done += out.shape[1]
        self.buf = self.buf[:, :0]
        return out


# ------------------------------------------------------------------------------------------------ all together

@dataclass
class PreparedAudio:
    """A recording ready for a task: ``audio`` float32 ``[C, N]`` at the task's rate, plus what was done."""

    audio: np.ndarray
    source_rate: int
    notes: list[str] = field(default_factory=list)


def prepare_audio(audio: np.ndarray, sample_rate: int, task: TaskSpec, *, channels: str | None = None,
                  where: str | Path | None = None) -> PreparedAudio:
    """Check and convert a recording ``[C, N]`` for ``task`` (module docstring). ``channels``: the input's FOA
    convention (default ambiX ACN/SN3D); ``where`` names the recording in messages."""
    audio = np.asarray(audio)
    if audio.ndim != 2:
        raise InputError(where, f"audio of shape {audio.shape}; expected [channels, samples]")
    if not isinstance(sample_rate, (int, np.integer)) or sample_rate <= 0:
        raise InputError(where, f"sample rate {sample_rate!r} is not a positive whole number of Hz")
    used, convention = channel_plan(task, audio.shape[0], channels, where)
    audio = np.ascontiguousarray(audio[:used], dtype=np.float32)
    notes = []
    min_samples = math.ceil(task.label_frame * sample_rate)
    if audio.shape[1] < min_samples:
        raise InputError(where, f"{audio.shape[1] / sample_rate:.4g} s of audio ({audio.shape[1]} samples), shorter "
                                f"than one label frame ({task.label_frame:g} s)",
                         f"give at least {min_samples} samples at {sample_rate} Hz")
    check_finite(audio, where)
    if convention is not None and convention != task.channel_convention:
        audio = convert_foa(audio, convention, task.channel_convention)
        notes.append(f"channels converted from {convention} to {task.channel_convention}")
    if sample_rate != task.sample_rate:
        audio = resample(audio, int(sample_rate), task.sample_rate)
        notes.append(f"resampled from {sample_rate} Hz to {task.sample_rate} Hz (polyphase filter)")
        logger.warning("%s: resampled from %d Hz to the model's %d Hz", where or "audio", sample_rate,
                       task.sample_rate)
    return PreparedAudio(audio, int(sample_rate), notes)
