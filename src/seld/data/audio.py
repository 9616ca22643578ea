"""Audio files as the data pipeline sees them: header checks and reads by sample range (never whole files)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

from seld.errors import InputError

__all__ = ["AUDIO_SUFFIXES", "AudioInfo", "audio_info", "audio_channels", "read_range"]

#: file suffixes read as audio (anything libsndfile reads)
AUDIO_SUFFIXES = (".wav", ".flac", ".ogg")


class AudioInfo:
    """Sample rate, channels and length of an audio file (from its header)."""

    __slots__ = ("path", "sample_rate", "channels", "frames")

    def __init__(self, path: Path, sample_rate: int, channels: int, frames: int):
        self.path, self.sample_rate, self.channels, self.frames = path, sample_rate, channels, frames


def audio_info(path: str | Path) -> AudioInfo:
    """The header of ``path``; an unreadable file is an :class:`~seld.errors.InputError` naming it."""
    path = Path(path)
    try:
        info = sf.info(str(path))
    except (RuntimeError, sf.LibsndfileError, OSError) as err:
        raise InputError(path, f"cannot read the audio header ({str(err).splitlines()[0]})",
                         "is it a WAV/FLAC file? re-create or remove it") from None
    return AudioInfo(path, int(info.samplerate), int(info.channels), int(info.frames))


def audio_channels(path: str | Path) -> int:
    return audio_info(path).channels


def read_range(path: str | Path, start: int, length: int, channels: int) -> np.ndarray:
    """Samples ``[start, start + length)`` of ``path`` as float32 ``[channels, length]``; the parts before 0 or
    past the end of the file are zeros (the chunk padding)."""
    out = np.zeros((channels, length), dtype=np.float32)
    lo = max(start, 0)
    try:
        with sf.SoundFile(str(path)) as f:
            hi = min(start + length, f.frames)
            if hi > lo:
                f.seek(lo)
                # libsndfile's float of a 16-bit sample is sample / 32768: 16-bit files (what `seld synth` writes)
                # are read as int16 and scaled here, the same values in a third of the time (the loader's main cost)
                pcm16 = f.subtype == "PCM_16"
                data = f.read(hi - lo, dtype="int16" if pcm16 else "float32", always_2d=True)
                np.multiply(data.T[:channels], np.float32(1 / 32768 if pcm16 else 1),
                            out=out[:, lo - start: lo - start + data.shape[0]])
    except (RuntimeError, sf.LibsndfileError, OSError) as err:
        raise InputError(path, f"cannot read samples {lo}-{start + length} ({str(err).splitlines()[0]})",
                         "the file may be truncated; re-create it") from None
    return out
