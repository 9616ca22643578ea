"""The numpy decoders of the ONNX path give the same events as seld.methods' decoders."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from seld.export.decode import decode_accdoa, decode_maccdoa
from seld.methods import get_method


def same_events(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        for field in ("frame", "cls", "track"):
            np.testing.assert_array_equal(getattr(x, field), getattr(y, field))
        np.testing.assert_allclose(x.xyz, y.xyz, atol=1e-12)
        assert (x.dist is None) == (y.dist is None)
        if x.dist is not None:
            np.testing.assert_allclose(x.dist, y.dist, atol=1e-12)
        assert (x.n_frames, x.frame_len) == (y.n_frames, y.frame_len)


@pytest.mark.parametrize("distance", [False, True])
@pytest.mark.parametrize("thresholds", [0.5, [0.3, 0.5, 0.7, 0.4, 0.6]])
def test_accdoa(distance, thresholds):
    rng = np.random.default_rng(1)
    k = 5
    out = rng.uniform(-1, 1, (3, 20, (4 if distance else 3) * k)).astype(np.float32)
    expected = get_method("accdoa", distance=distance).decode(torch.from_numpy(out), thresholds)
    same_events(decode_accdoa(out, thresholds, distance=distance), expected)
    assert sum(len(e.frame) for e in expected) > 20


@pytest.mark.parametrize("distance", [False, True])
def test_maccdoa_merges_similar_tracks_as_the_method_does(distance):
    rng = np.random.default_rng(2)
    k, width = 4, 4 if distance else 3
    out = rng.uniform(-1, 1, (2, 30, 3, width, k))
    # make some tracks of one class point the same way (pairs and triples to merge)
    out[:, ::3, 1, :3] = out[:, ::3, 0, :3] * 1.01
    out[:, ::5, 2, :3] = out[:, ::5, 0, :3] * 0.99
    out = out.reshape(2, 30, 3 * width * k).astype(np.float32)
    expected = get_method("maccdoa", distance=distance).decode(torch.from_numpy(out), 0.5)
    same_events(decode_maccdoa(out, 0.5, distance=distance), expected)
    assert sum(len(e.frame) for e in expected) > 50
