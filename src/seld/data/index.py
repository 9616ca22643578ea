"""The chunk index: which ``[start, start + chunk)`` sample ranges of which recordings make the items.

Rules (PSELDNets' ``preproc``): chunks every ``hop`` samples while a whole chunk fits. Then, in ``train`` mode,
the rest of the file becomes one more chunk, zero-padded at the end if at least half a chunk of audio
remains, otherwise shifted back to end at the end of the file (so no audio is lost and no chunk is mostly
padding); in ``test`` mode the rest is always a padded chunk, so every frame is predicted exactly once when
``hop == chunk``. A recording shorter than a chunk is one padded chunk. Starts are multiples of the label hop,
so that label frames and audio stay aligned. Two small arrays (recording, start): 12 bytes per chunk.
"""

from __future__ import annotations

import numpy as np

from seld.errors import ConfigError

__all__ = ["ChunkIndex", "chunk_starts"]


def chunk_starts(n: int, chunk: int, hop: int, mode: str = "train", align: int = 1) -> list[int]:
    """Start samples of the chunks of a recording of ``n`` samples (see the module docstring)."""
    if mode not in ("train", "test"):
        raise ConfigError(f"chunk mode must be 'train' or 'test', not {mode!r}")
    if chunk <= 0 or hop <= 0 or chunk % align or hop % align:
        raise ConfigError(f"chunk ({chunk}) and hop ({hop}) must be positive multiples of the label hop ({align} "
                          "samples)")
    if n <= chunk:
        return [0]
    starts = list(range(0, n - chunk + 1, hop))
    covered = starts[-1] + chunk
    if covered >= n:
        return starts
    nxt = starts[-1] + hop
    if mode == "test":
        while nxt < n:
            starts.append(nxt)
            if nxt + chunk >= n:
                break
            nxt += hop
        return starts
    if n - nxt >= chunk // 2:
        starts.append(nxt)
    else:
        shifted = (n - chunk) // align * align
        if shifted > starts[-1]:
            starts.append(shifted)
    return starts


class ChunkIndex:
    """Chunks of a corpus: ``rec[i]`` (recording number) and ``start[i]`` (first sample) of item ``i``."""

    def __init__(self, rec: np.ndarray, start: np.ndarray, chunk: int):
        self.rec = np.asarray(rec, np.int32)
        self.start = np.asarray(start, np.int64)
        self.chunk = int(chunk)

    @classmethod
    def build(cls, lengths, chunk: int, hop: int, mode: str = "train", align: int = 1) -> "ChunkIndex":
        """The index of recordings of ``lengths`` samples."""
        recs, starts = [], []
        for r, n in enumerate(lengths):
            s = chunk_starts(int(n), chunk, hop, mode, align)
            recs.append(np.full(len(s), r, np.int32))
            starts.append(np.asarray(s, np.int64))
        if not recs:
            return cls(np.zeros(0, np.int32), np.zeros(0, np.int64), chunk)
        return cls(np.concatenate(recs), np.concatenate(starts), chunk)

    def __len__(self) -> int:
        return len(self.rec)

    @property
    def nbytes(self) -> int:
        return self.rec.nbytes + self.start.nbytes
