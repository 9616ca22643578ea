"""Streaming inference: a long file or standard input, block by block, with bounded memory and latency.

:class:`StreamInference` takes blocks of audio as they come (:meth:`~StreamInference.push`) and returns the
events of every label frame that no later audio can change. It runs exactly the windows that offline inference
(:func:`seld.infer.infer_array`) runs, on the same samples (the resampler gives the same samples block by block,
:class:`~seld.infer.audio.StreamResampler`), and averages and decodes them the same way, so **the streamed events
equal the offline events of the same recording**. The one edge rule: the end of the stream is known only when it
comes, so the last windows (which run past the end and are zero-padded, as offline) run in
:meth:`~StreamInference.finish`, and the frames they cover, up to one window plus one hop before the end, are
written then.

Latency: a label frame is decided once the last window that covers it has run, i.e. when the audio up to
``floor(f / hop) * hop + chunk`` has arrived; so an event is written between ``chunk - hop`` and ``chunk`` seconds
of audio after it happened, plus one read block and the compute time. Memory: one window of audio, the
outputs of one window plus one hop of frames, and one read block, whatever the length of the stream.

Standard input (``-``) carries either a WAV stream (recognised by its ``RIFF`` header; PCM 8/16/24/32-bit or
32/64-bit float, as ``sox ... -t wav -`` or ``ffmpeg ... -f wav -`` write it, with the data size unknown), or
raw little-endian float32 samples, interleaved, at ``raw_rate`` Hz with ``raw_channels`` channels (default: the
model's).
"""

from __future__ import annotations

import logging
import math
import struct
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import numpy as np
import soundfile as sf

from seld.errors import ConfigError, InputError
from seld.formats.events import Events
from seld.infer.audio import StreamResampler, channel_plan, check_finite, check_wav_length, convert_foa
from seld.infer.core import OutputAccumulator, WindowRunner, decode_output, drop_silent, make_plan, sounding_frames
from seld.infer.models import as_runner

__all__ = ["StreamInference", "open_source", "stream", "AudioSource"]

logger = logging.getLogger(__name__)


class StreamInference:
    """Block-wise inference (module docstring) on audio at ``sample_rate`` Hz with ``input_channels`` channels.

    The other arguments are those of :func:`seld.infer.infer_array`. :meth:`push` and :meth:`finish` return
    :class:`Events` with global frame indices; their concatenation is the recording's events.
    """

    def __init__(self, model, sample_rate: int, input_channels: int, *, thresholds=None, chunk: float | None = None,
                 hop: float | None = None, tta: str | None = None, channels: str | None = None, batch_size: int = 1,
                 device: str = "cpu", where: str | Path | None = None):
        self.runner = as_runner(model, device)
        self.task = task = self.runner.task
        self.where = where
        self.sample_rate = int(sample_rate)
        if self.sample_rate <= 0:
            raise InputError(where, f"sample rate {sample_rate!r} is not a positive whole number of Hz")
        self.used, self.convention = channel_plan(task, int(input_channels), channels, where)
        self.plan = make_plan(task, chunk, hop)
        self.windows = WindowRunner(self.runner, self.plan, tta, batch_size)
        self.thresholds = thresholds
        self.resampler = (StreamResampler(self.sample_rate, task.sample_rate, self.used)
                          if self.sample_rate != task.sample_rate else None)
        if self.resampler is not None:
            logger.warning("%s: resampled from %d Hz to the model's %d Hz", where or "stream", self.sample_rate,
                           task.sample_rate)
        self.buf = np.zeros((self.used, 0), np.float32)
        self.buf_start = 0        # task-rate sample index of buf[:, 0]
        self.n = 0                # task-rate samples received
        self.n_in = 0             # input samples received
        self.next_window = 0
        self.acc = OutputAccumulator()
        self.sounding = np.zeros(0, bool)   # frames from acc.base holding a non-zero sample
        self.finished = False

    @property
    def decided_frames(self) -> int:
        """Label frames whose events have been returned."""
        return self.acc.base

    def _convert(self, block: np.ndarray) -> np.ndarray:
        block = np.asarray(block, np.float32)
        if block.ndim != 2 or block.shape[0] < self.used:
            raise InputError(self.where, f"a block of shape {block.shape}; expected [{self.used} channels, samples]")
        block = block[:self.used]
        check_finite(block, self.where, offset=self.n_in)
        self.n_in += block.shape[1]
        if self.convention is not None and self.convention != self.task.channel_convention:
            block = convert_foa(block, self.convention, self.task.channel_convention)
        if self.resampler is not None:
            block = self.resampler.push(block)
        return block

    def _run(self, count: int, end: int) -> Events:
        """Run the next ``count`` windows (zero-padded past sample ``end``), return the events now decided."""
        plan = self.plan
        starts = [(self.next_window + i) * plan.hop for i in range(count)]
        if starts:
            batch = np.zeros((count, self.used, plan.window), np.float32)
            for b, s in enumerate(starts):
                piece = self.buf[:, s - self.buf_start: min(s + plan.window, end) - self.buf_start]
                batch[b, :, :piece.shape[1]] = piece
            for s, out in zip(starts, self.windows(batch)):
                self.acc.add(s // plan.label_hop, out)
            self.next_window += count
            keep = self.next_window * plan.hop
            if keep > self.buf_start:
                self.buf = self.buf[:, keep - self.buf_start:]
                self.buf_start = keep
        return self._decide(self.plan.n_frames(self.n) if self.finished else self.next_window * plan.hop_frames)

    def _decide(self, end: int) -> Events:
        first = self.acc.base
        output = self.acc.take(end)
        if output is None:
            return Events.empty(self.task.label_frame, n_frames=max(end, first), with_dist=self.task.distance)
        events = decode_output(self.runner, output, self.thresholds, first_frame=first)
        events = drop_silent(events, self.sounding[:end - first], first)
        self.sounding = self.sounding[end - first:]
        return events

    def _append(self, block: np.ndarray) -> None:
        if block.shape[1]:
            f0, mask = sounding_frames(block, self.plan.label_hop, self.n)
            lo = f0 - self.acc.base
            if lo + len(mask) > len(self.sounding):
                self.sounding = np.concatenate([self.sounding, np.zeros(lo + len(mask) - len(self.sounding), bool)])
            self.sounding[lo:lo + len(mask)] |= mask
            self.buf = np.concatenate([self.buf, block], axis=1)
            self.n += block.shape[1]

    def push(self, block: np.ndarray) -> Events:
        """Feed ``[C, n]`` samples (the input's channels, rate and convention); the events decided by them."""
        if self.finished:
            raise ValueError("push after finish")
        self._append(self._convert(block))
        plan = self.plan
        ready = 0
        while (self.next_window + ready) * plan.hop + plan.window <= self.n:
            ready += 1
        return self._run(ready, self.n)

    def finish(self) -> Events:
        """End of the stream: run the last (zero-padded) windows and return the remaining events."""
        if self.finished:
            raise ValueError("finish called twice")
        if self.resampler is not None:
            self._append(self.resampler.finish())
        self.finished = True
        min_samples = math.ceil(self.task.label_frame * self.sample_rate - 1e-9)
        if self.n_in < min_samples:
            raise InputError(self.where, f"{self.n_in / self.sample_rate:.4g} s of audio ({self.n_in} samples), "
                                         f"shorter than one label frame ({self.task.label_frame:g} s)",
                             f"give at least {min_samples} samples at {self.sample_rate} Hz")
        total = self.plan.n_windows(self.n)
        return self._run(total - self.next_window, self.n)


# ---------------------------------------------------------------------------------------------- sources

class AudioSource:
    """Blocks of a file or a byte stream: ``sample_rate``, ``channels`` and an iterator of float32 ``[C, n]``."""

    def __init__(self, name: str, sample_rate: int, channels: int, blocks: Iterator[np.ndarray]):
        self.name, self.sample_rate, self.channels, self.blocks = name, sample_rate, channels, blocks


def _file_blocks(path: Path, frames: int) -> Iterator[np.ndarray]:
    try:
        with sf.SoundFile(str(path)) as f:
            while True:
                data = f.read(frames, dtype="float32", always_2d=True)
                if not len(data):
                    return
                yield np.ascontiguousarray(data.T)
    except (RuntimeError, sf.LibsndfileError) as err:
        raise InputError(path, f"cannot read the audio ({str(err).splitlines()[0]})",
                         "the file may be truncated; export it again") from None


_WAV_FORMATS = {1: "pcm", 3: "float"}
_EXTENSIBLE = 0xFFFE


def _read_exact(stream: BinaryIO, n: int) -> bytes:
    out = b""
    while len(out) < n:
        part = stream.read(n - len(out))
        if not part:
            break
        out += part
    return out


def _wav_stream(stream: BinaryIO, name: str, head: bytes) -> tuple[int, int, np.dtype, int, int | None]:
    """Parse a WAV header from a non-seekable stream whose first 12 bytes are ``head``; returns rate, channels,
    sample dtype, bytes per sample and the declared data size (``None``: unknown)."""
    if head[8:12] != b"WAVE":
        raise InputError(name, "a RIFF stream that is not WAVE audio", "send WAV or raw float32 samples")
    fmt = None
    while True:
        chunk = _read_exact(stream, 8)
        if len(chunk) < 8:
            raise InputError(name, "the WAV header ends before its audio data", "send a complete WAV stream")
        cid, length = chunk[:4], struct.unpack("<I", chunk[4:])[0]
        if cid == b"fmt ":
            body = _read_exact(stream, length + (length & 1))
            tag, channels, rate, _, _, bits = struct.unpack("<HHIIHH", body[:16])
            if tag == _EXTENSIBLE and len(body) >= 26:
                tag = struct.unpack("<H", body[24:26])[0]
            fmt = (_WAV_FORMATS.get(tag), channels, rate, bits)
        elif cid == b"data":
            if fmt is None:
                raise InputError(name, "the WAV stream has no 'fmt ' chunk before its data")
            kind, channels, rate, bits = fmt
            dtypes = {("pcm", 8): "u1", ("pcm", 16): "<i2", ("pcm", 24): "i3", ("pcm", 32): "<i4",
                      ("float", 32): "<f4", ("float", 64): "<f8"}
            if (kind, bits) not in dtypes or channels < 1 or rate < 1:
                raise InputError(name, f"unsupported WAV stream ({kind or 'unknown format'}, {bits}-bit, "
                                       f"{channels} channels, {rate} Hz)",
                                 "send 8/16/24/32-bit PCM or 32/64-bit float WAV, or raw float32")
            declared = None if length in (0, 0xFFFFFFFF) else length
            return rate, channels, dtypes[(kind, bits)], bits // 8, declared
        else:
            _read_exact(stream, length + (length & 1))


def _decode_samples(raw: bytes, dtype: str, width: int, channels: int) -> np.ndarray:
    if dtype == "i3":
        b = np.frombuffer(raw, np.uint8).reshape(-1, 3).astype(np.int32)
        x = (b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16))
        x = np.where(x >= 1 << 23, x - (1 << 24), x).astype(np.float32) / float(1 << 23)
    elif dtype == "u1":
        x = (np.frombuffer(raw, np.uint8).astype(np.float32) - 128.0) / 128.0
    else:
        x = np.frombuffer(raw, np.dtype(dtype)).astype(np.float32)
        if dtype == "<i2":
            x /= 32768.0
        elif dtype == "<i4":
            x /= float(1 << 31)
    return np.ascontiguousarray(x.reshape(-1, channels).T)


def _byte_blocks(stream: BinaryIO, name: str, dtype: str, width: int, channels: int, frames: int,
                 limit: int | None, first: bytes = b"") -> Iterator[np.ndarray]:
    """Blocks of about ``frames`` sample frames from ``stream`` (after the bytes ``first``), up to ``limit``
    bytes when the WAV header declared its data size."""
    frame_bytes = width * channels
    pending = first
    remaining = None if limit is None else max(0, limit - len(first))
    while True:
        want = frames * frame_bytes - len(pending)
        if remaining is not None:
            want = min(want, remaining)
        part = stream.read(want) if want > 0 else b""
        part = part or b""
        if remaining is not None:
            remaining -= len(part)
        data = pending + part
        usable = len(data) - len(data) % frame_bytes
        if usable:
            yield _decode_samples(data[:usable], dtype, width, channels)
        pending = data[usable:]
        if not part:
            if pending:
                logger.warning("%s: the stream ends inside a sample frame; %d bytes ignored", name, len(pending))
            return


def open_source(source, *, block_seconds: float = 0.1, raw_rate: int | None = None,
                raw_channels: int | None = None) -> AudioSource:
    """A file path, ``"-"`` (standard input) or a binary stream as blocks of about ``block_seconds``.

    Byte streams carry WAV (recognised by ``RIFF``) or raw little-endian float32 at ``raw_rate`` Hz with
    ``raw_channels`` channels (both required for raw input).
    """
    if not block_seconds > 0:
        raise ConfigError(f"--block must be a positive number of seconds, got {block_seconds}")
    if isinstance(source, (str, Path)) and str(source) != "-":
        path = Path(source)
        if not path.is_file():
            raise InputError(path, "is a folder, expected an audio file" if path.is_dir() else "file not found",
                             None if path.is_dir() else "check the path")
        check_wav_length(path)
        try:
            info = sf.info(str(path))
        except (RuntimeError, sf.LibsndfileError) as err:
            raise InputError(path, f"cannot read the audio header ({str(err).splitlines()[0]})",
                             "is it a WAV/FLAC file? export it again") from None
        frames = max(1, int(round(block_seconds * info.samplerate)))
        return AudioSource(str(path), int(info.samplerate), int(info.channels), _file_blocks(path, frames))
    stream = sys.stdin.buffer if str(source) == "-" else source
    name = "<stdin>" if str(source) == "-" else getattr(source, "name", "<stream>")
    head = _read_exact(stream, 12)
    if head[:4] == b"RIFF":
        rate, channels, dtype, width, declared = _wav_stream(stream, name, head)
        frames = max(1, int(round(block_seconds * rate)))
        return AudioSource(name, rate, channels, _byte_blocks(stream, name, dtype, width, channels, frames, declared))
    if raw_rate is None or raw_channels is None:
        raise ConfigError(f"{name}: raw float32 input needs its sample rate and channel count "
                          f"(--raw-rate, --raw-channels), or send a WAV stream")
    if raw_rate < 1 or raw_channels < 1:
        raise ConfigError(f"raw input needs a positive rate and channel count, got {raw_rate} Hz, {raw_channels}")
    frames = max(1, int(round(block_seconds * raw_rate)))
    return AudioSource(name, int(raw_rate), int(raw_channels),
                       _byte_blocks(stream, name, "<f4", 4, int(raw_channels), frames, None, first=head))


def stream(model, source, *, block_seconds: float = 0.1, raw_rate: int | None = None,
           raw_channels: int | None = None, **options) -> Iterator[Events]:
    """Events of ``source`` (a path, ``"-"`` or a binary stream; :func:`open_source`) as they are decided: one
    :class:`Events` per block read (often empty) and a last one at the end. ``options`` are those of
    :class:`StreamInference` (thresholds, chunk, hop, tta, channels, device)."""
    runner = as_runner(model, options.pop("device", "cpu"))
    task = runner.task
    src = open_source(source, block_seconds=block_seconds,
                      raw_rate=task.sample_rate if raw_rate is None else raw_rate,
                      raw_channels=task.channels if raw_channels is None else raw_channels)
    engine = StreamInference(runner, src.sample_rate, src.channels, where=src.name, **options)
    for block in src.blocks:
        yield engine.push(block)
    yield engine.finish()
