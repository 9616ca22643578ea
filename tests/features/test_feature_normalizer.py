"""FeatureNormalizer against numpy statistics over the whole data set, and its file round trip."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from seld.errors import InputError
from seld.features import FeatureNormalizer


def batches(seed: int, sizes: list[int], c: int = 3, f: int = 5) -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    scale = torch.arange(1, c * f + 1, dtype=torch.float32).reshape(1, c, 1, f)
    return [torch.randn(b, c, t, f, generator=g) * scale + 10 for b, t in zip(sizes, [7, 11, 3, 9])]


def test_statistics_equal_numpy_over_all_frames():
    data = batches(0, [2, 1, 4, 3])
    norm = FeatureNormalizer.fit(data, 3, 5)
    frames = np.concatenate([d.numpy().transpose(1, 0, 2, 3).reshape(3, -1, 5) for d in data], axis=1)
    np.testing.assert_allclose(norm.mean.numpy(), frames.mean(axis=1), rtol=1e-6)
    np.testing.assert_allclose(norm.std.numpy(), frames.std(axis=1), rtol=1e-6)  # population std, as sklearn
    assert norm.count.item() == frames.shape[1]
    out = torch.cat([norm(d).transpose(0, 1).reshape(3, -1, 5) for d in data], dim=1)
    torch.testing.assert_close(out.mean(dim=1), torch.zeros(3, 5), atol=1e-5, rtol=0)
    torch.testing.assert_close(out.std(dim=1, unbiased=False), torch.ones(3, 5), atol=1e-5, rtol=0)


def test_batch_order_does_not_matter_and_per_channel():
    data = batches(1, [2, 1, 4, 3])
    a = FeatureNormalizer.fit(data, 3, 5)
    b = FeatureNormalizer.fit(list(reversed(data)), 3, 5)
    torch.testing.assert_close(a.mean, b.mean)
    torch.testing.assert_close(a.std, b.std)
    per_ch = FeatureNormalizer.fit(data, 3)
    flat = torch.cat([d.transpose(0, 1).reshape(3, -1) for d in data], dim=1).double()
    torch.testing.assert_close(per_ch.mean[:, 0], flat.mean(dim=1).float())
    assert per_ch(torch.zeros(1, 3, 2, 17)).shape == (1, 3, 2, 17)  # any number of bins


def test_constant_feature_gets_unit_std():
    norm = FeatureNormalizer.fit([torch.full((2, 1, 4, 2), 3.0)], 1, 2)
    assert torch.equal(norm.std, torch.ones(1, 2))
    assert torch.equal(norm(torch.full((1, 1, 1, 2), 3.0)), torch.zeros(1, 1, 1, 2))


def test_save_load_round_trip(tmp_path):
    norm = FeatureNormalizer.fit(batches(2, [3]), 3, 5)
    path = norm.save(tmp_path / "stats" / "foa_logmel_iv.npz")
    assert [p.name for p in path.parent.iterdir()] == ["foa_logmel_iv.npz"]  # no temporary file left
    back = FeatureNormalizer.load(path)
    torch.testing.assert_close(back.mean, norm.mean)
    torch.testing.assert_close(back.std, norm.std)
    x = batches(3, [1])[0]
    torch.testing.assert_close(back(x), norm(x))
    per_ch = FeatureNormalizer.load(FeatureNormalizer.fit(batches(2, [3]), 3).save(tmp_path / "c.npz"))
    assert not per_ch.per_bin


def test_user_errors(tmp_path):
    with pytest.raises(InputError, match="not found"):
        FeatureNormalizer.load(tmp_path / "missing.npz")
    (tmp_path / "junk.npz").write_text("not a zip")
    with pytest.raises(InputError, match="junk.npz"):
        FeatureNormalizer.load(tmp_path / "junk.npz")
    np.savez(tmp_path / "other.npz", mean=np.zeros((3, 5)))
    with pytest.raises(InputError, match="missing"):
        FeatureNormalizer.load(tmp_path / "other.npz")
    norm = FeatureNormalizer(3, 5)
    with pytest.raises(InputError, match="nothing to normalise"):
        norm.finalize()
    with pytest.raises(InputError, match="do not fit"):
        norm.update(torch.zeros(1, 4, 2, 5))
    bad = torch.zeros(1, 3, 2, 5)
    bad[0, 0, 0, 0] = float("nan")
    with pytest.raises(InputError, match="NaN"):
        norm.update(bad)
