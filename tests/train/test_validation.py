"""Validation scores whole recordings put back together from decoded chunks: the references' own events, cut
into chunks (overlapping padding included, some duplicated as a distributed sampler pads its shards), score as
a perfect system; a chunk lost is a recording's events missed."""

from __future__ import annotations

import numpy as np
import pytest

from seld.formats import Events
from seld.train.module import score_chunks


def _recording(seed: int, frames: int) -> Events:
    rng = np.random.default_rng(seed)
    frame = np.sort(rng.integers(0, frames, 40))
    return Events.from_polar(frame, rng.integers(0, 3, 40), np.zeros(40, int), rng.uniform(-180, 180, 40),
                             rng.uniform(-60, 60, 40), n_frames=frames)


def _chunks(ref: Events, rec: int, chunk: int) -> list:
    parts = []
    for start in range(0, ref.n_frames, chunk):          # the last chunk runs past the end (padding)
        ev = ref.select((ref.frame >= start) & (ref.frame < start + chunk))
        ev.frame = ev.frame - start
        ev.n_frames = chunk
        parts.append((rec, start, ev))
    return parts


def test_reassembled_reference_chunks_score_as_a_perfect_system():
    refs = {"a": _recording(0, 95), "b": _recording(1, 60)}
    parts = _chunks(refs["a"], 0, 20) + _chunks(refs["b"], 1, 20)
    parts += parts[:3]                                     # duplicates, as a padded shard gives
    # an event decoded in the padding past a recording's end must not count
    parts.append((1, 60, Events.from_polar([2], [0], [0], [0.0], [0.0], n_frames=20)))
    result = score_chunks(parts, refs, ["a", "b"], "dcase2023", "macro", 3)
    assert result.ER == pytest.approx(0.0) and result.F == pytest.approx(1.0) and result.LE == pytest.approx(0.0, abs=1e-6)


def test_a_lost_chunk_is_missed_events():
    refs = {"a": _recording(0, 95)}
    parts = _chunks(refs["a"], 0, 20)[1:]
    result = score_chunks(parts, refs, ["a"], "dcase2023", "macro", 3)
    assert result.ER > 0 and result.F < 1
