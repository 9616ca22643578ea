"""read_range: the samples libsndfile gives as float32, whatever the file's encoding, with the chunk padding."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from seld.data.audio import read_range


@pytest.mark.parametrize("suffix, subtype", [(".wav", "PCM_16"), (".flac", "PCM_16"), (".wav", "PCM_24"),
                                             (".flac", "PCM_24"), (".wav", "FLOAT")])
def test_samples_equal_libsndfile_float_reads_with_zero_padding(tmp_path, suffix, subtype):
    rng = np.random.default_rng(0)
    audio = np.clip(rng.standard_normal((1000, 4)) * 0.4, -1, 1)
    audio[:4] = [[-1.0, 1.0, 0.0, -0.5]] * 4  # the ends of the 16-bit scale
    path = tmp_path / f"x{suffix}"
    sf.write(path, audio, 24000, subtype=subtype)
    ref = sf.read(path, dtype="float32", always_2d=True)[0].T
    # inside; overlapping the start; overlapping the end; fewer channels than the file
    for start, length, channels in [(100, 300, 4), (-50, 200, 4), (900, 250, 4), (0, 1000, 3)]:
        got = read_range(path, start, length, channels)
        want = np.zeros((channels, length), np.float32)
        lo, hi = max(start, 0), min(start + length, 1000)
        want[:, lo - start: hi - start] = ref[:channels, lo:hi]
        assert got.dtype == np.float32
        np.testing.assert_array_equal(got, want)
