"""seld.data.augment: the labels move with the signal, checked by reading directions back from the audio."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from augment_helpers import (N_FRAMES, feature_batch, events_equal, foa_plane_waves, intensity_direction,
                             mic_direction, mic_plane_waves, one_event_per_item, random_directions, wave_batch)
from seld.data.augment import (AugmentChain, Crop, FoaRotation, FreqShift, MicChannelSwap, MonoToFoa,
                               SpecAugment, TrackMix, WavMix, build_augmentation)
from seld.data.augment.mix import mix_items
from seld.data.augment.rotate import TETRAHEDRON
from seld.data.batch import LabelledBatch
from seld.errors import ConfigError
from seld.geometry import angular_distance, polar_to_unit, unit_to_polar

#: Largest read-back error of a transformed direction (degrees). FOA intensity of a plane wave is exact; the MIC
#: channel swaps are exact for the ideal tetrahedron, and the DCASE capsules at elevation 35 deg instead of 35.26
#: deg plus the delay fit leave up to about 0.6 deg (measured).
FOA_TOL_DEG = 0.01
MIC_TOL_DEG = 2.0
#: A direction on no mirror plane or rotation axis of the cube's symmetries.
GENERIC = polar_to_unit(27.0, 19.0)


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def labels_xyz(batch: LabelledBatch) -> np.ndarray:
    """The direction of each item's (single, static) event."""
    return np.stack([ev.xyz[0] for ev in batch.events])


# ------------------------------------------------------------------------------------------ rotation groups
def test_signed_permutation_groups_are_the_published_sets():
    rot48, rot16 = FoaRotation(48).matrices, FoaRotation(16).matrices
    for mats, n in ((rot48, 48), (rot16, 16)):
        assert len(mats) == n
        assert np.array_equal(mats[0], np.eye(3))
        assert len({m.tobytes() for m in mats}) == n
        assert np.allclose(np.einsum("vij,vkj->vik", mats, mats), np.eye(3))
    # the 16 are the ACS patterns: azimuth +-phi + k * 90 deg, elevation +-theta
    phi, theta = 23.0, 31.0
    got = {tuple(np.round(np.r_[unit_to_polar(m @ polar_to_unit(phi, theta))], 6) % 360) for m in rot16}
    want = {tuple(np.round([(s * phi + k * 90.0) % 360, (e * theta) % 360], 6))
            for s in (1, -1) for k in range(4) for e in (1, -1)}
    assert got == want


@pytest.mark.parametrize("variants", [8, 24])
def test_mic_swaps_map_the_tetrahedron_onto_itself(variants):
    swap = MicChannelSwap(variants)
    assert len(swap.matrices) == variants
    assert len({m.tobytes() for m in swap.matrices}) == variants
    for m, cmap in zip(swap.matrices, swap.channel_maps):
        assert sorted(cmap) == [0, 1, 2, 3]
        # output capsule j hears what input capsule cmap[j] heard: M c_cmap[j] = c_j
        assert np.allclose(TETRAHEDRON[cmap] @ m.T, TETRAHEDRON)
    if variants == 8:  # exactly the ACS patterns whose signs multiply to +1; the other 8 have no swap
        rot16 = FoaRotation(16).matrices
        inside = [any(np.array_equal(m, r) for m in swap.matrices) for r in rot16]
        assert sum(inside) == 8
        for r, ok in zip(rot16, inside):
            maps_onto = {tuple(v) for v in (TETRAHEDRON @ r.T).astype(int)} == {tuple(v) for v in TETRAHEDRON}
            assert maps_onto == ok


# ------------------------------------------------------------------------- the key test: read-back from audio
@pytest.mark.parametrize("variants", [16, 48])
def test_foa_rotation_direction_read_back_from_audio(variants):
    rot = FoaRotation(variants)
    dirs = random_directions(variants, seed=variants)
    batch = LabelledBatch(foa_plane_waves(dirs), one_event_per_item(dirs), [None] * variants, "foa")
    assert angular_distance(intensity_direction(batch.audio), dirs).max() < FOA_TOL_DEG
    out = rot.apply_variants(batch, np.arange(variants))           # every variant once
    expected = np.einsum("vij,vj->vi", rot.matrices, dirs)
    assert np.allclose(labels_xyz(out), expected)
    assert angular_distance(intensity_direction(out.audio), labels_xyz(out)).max() < FOA_TOL_DEG
    assert torch.equal(out.audio[:, 0], batch.audio[:, 0])          # W untouched
    # every variant but the identity moves a generic direction
    assert (angular_distance(rot.matrices[1:] @ GENERIC, GENERIC) > 5.0).all()


@pytest.mark.parametrize("fmt", ["mic-open", "mic"])
@pytest.mark.parametrize("variants", [8, 24])
def test_mic_swap_direction_read_back_from_delays(variants, fmt):
    swap = MicChannelSwap(variants)
    dirs = random_directions(variants, seed=7 + variants)
    audio = mic_plane_waves(dirs, fmt, f_max=600.0)
    batch = LabelledBatch(audio, one_event_per_item(dirs), [None] * variants, "mic")
    assert angular_distance(mic_direction(audio, 100.0, 500.0), dirs).max() < MIC_TOL_DEG
    out = swap.apply_variants(batch, np.arange(variants))
    assert np.allclose(labels_xyz(out), np.einsum("vij,vj->vi", swap.matrices, dirs))
    err = angular_distance(mic_direction(out.audio, 100.0, 500.0), labels_xyz(out))
    assert err.max() < MIC_TOL_DEG
    assert (angular_distance(swap.matrices[1:] @ GENERIC, GENERIC) > 5.0).all()
    drawn = swap.__class__(variants, p=1.0)(batch, gen(variants))          # the random path, same geometry
    assert angular_distance(mic_direction(drawn.audio, 100.0, 500.0), labels_xyz(drawn)).max() < MIC_TOL_DEG
    assert (angular_distance(labels_xyz(drawn), dirs) > 1e-6).sum() >= variants // 2


def test_rotation_per_item_probability_and_seed():
    dirs = random_directions(32, seed=3)
    batch = LabelledBatch(foa_plane_waves(dirs), one_event_per_item(dirs), [None] * 32, "foa")
    same = FoaRotation(48, p=0.0)(batch, gen(1))
    assert torch.equal(same.audio, batch.audio)
    assert all(events_equal(a, b) for a, b in zip(same.events, batch.events))
    a = FoaRotation(48, p=0.8)(batch, gen(5))
    b = FoaRotation(48, p=0.8)(batch, gen(5))
    c = FoaRotation(48, p=0.8)(batch, gen(6))
    assert torch.equal(a.audio, b.audio) and all(events_equal(x, y) for x, y in zip(a.events, b.events))
    assert not torch.equal(a.audio, c.audio)
    moved = angular_distance(labels_xyz(a), dirs) > 1e-6
    assert 0 < moved.sum() < 32                                     # some items kept (p = 0.8)
    assert angular_distance(intensity_direction(a.audio), labels_xyz(a)).max() < FOA_TOL_DEG
    assert torch.equal(batch.audio, foa_plane_waves(dirs))         # input untouched


def test_rotation_moves_every_row_and_keeps_the_rest():
    batch = wave_batch([2, 3, 1, 0], seed=4)
    out = FoaRotation(48).apply_variants(batch, [5, 17, 40, 3])
    for v, a, b in zip([5, 17, 40, 3], batch.events, out.events):
        m = FoaRotation(48).matrices[v]
        assert np.allclose(b.xyz, a.xyz @ m.T)
        assert np.array_equal(a.frame, b.frame) and np.array_equal(a.cls, b.cls) and a.n_frames == b.n_frames


def test_spatial_augmentations_refuse_the_other_format():
    foa = wave_batch([1, 1], array="foa")
    mic = wave_batch([1, 1], array="mic")
    with pytest.raises(ConfigError, match="mic_swap"):
        FoaRotation()(mic, gen())
    with pytest.raises(ConfigError, match="rotate"):
        MicChannelSwap()(foa, gen())
    with pytest.raises(ConfigError):
        FoaRotation(variants=24)
    with pytest.raises(ConfigError):
        MicChannelSwap(variants=16)


# ------------------------------------------------------------------------------------------------- mixing
def _check_mixture(before: LabelledBatch, after: LabelledBatch, key: str, allowed_partners) -> int:
    """Every item is unchanged or lam * itself + (1 - lam) * a partner, with the union of events and
    activities lam / 1 - lam. Returns the number of mixed items."""
    x0, x1 = getattr(before, key), getattr(after, key)
    mixed = 0
    for i in range(len(before)):
        if torch.equal(x0[i], x1[i]) and events_equal(before.events[i], after.events[i]):
            assert after.activity[i] is None
            continue
        mixed += 1
        ev_i = before.events[i]
        lam = float(after.activity[i][0]) if len(ev_i) else None
        found = False
        for j in allowed_partners(i):
            ev_j = before.events[j]
            if len(after.events[i]) != len(ev_i) + len(ev_j):
                continue
            lam_j = lam if lam is not None else 1.0 - float(after.activity[i][0])
            if torch.allclose(x1[i], lam_j * x0[i] + (1 - lam_j) * x0[j], atol=1e-5):
                found = True
                act = np.r_[np.full(len(ev_i), lam_j), np.full(len(ev_j), 1 - lam_j)]
                assert np.allclose(after.activity[i], act)
                ev = after.events[i]
                n = len(ev_i)
                assert np.array_equal(ev.frame, np.r_[ev_i.frame, ev_j.frame])
                assert np.array_equal(ev.cls, np.r_[ev_i.cls, ev_j.cls])
                assert np.allclose(ev.xyz, np.r_[ev_i.xyz, ev_j.xyz])
                if n and len(ev_j):   # partner's tracks moved past the item's
                    assert ev.track[n:].min() > ev.track[:n].max()
                break
        assert found, f"item {i} is not a mixture with an allowed partner"
    return mixed


def test_wavmix_mixes_one_source_items_with_union_labels():
    poly = [1, 1, 1, 0, 2, 2, 1, 3, 1, 2]
    batch = wave_batch(poly, seed=2)
    p = np.asarray(poly)
    n_mixed = []
    for seed in range(8):
        out = WavMix(p=1.0)(batch, gen(seed))
        # only one-source items change; partners are one-source or two-source items
        allowed = lambda i: [j for j in range(len(poly)) if j != i and p[j] <= 2]  # noqa: E731
        n_mixed.append(_check_mixture(batch, out, "audio", allowed))
        for i in np.flatnonzero(p > 1):
            assert torch.equal(out.audio[i], batch.audio[i])
        assert out.polyphony().max() <= 3
    assert max(n_mixed) >= 4                                   # every seed mixes (p = 1), many items
    assert WavMix(p=0.0)(batch, gen(0)).audio is batch.audio


def test_trackmix_mixes_features_of_one_source_items():
    poly = [1, 1, 0, 2, 1, 1, 3, 1]
    batch = feature_batch(poly, seed=3)
    p = np.asarray(poly)
    out = TrackMix()(batch, gen(4))
    mixed = _check_mixture(batch, out, "features", lambda i: [j for j in range(len(poly)) if j != i and p[j] <= 1])
    assert mixed >= 3
    assert out.polyphony().max() == max(2, p.max())


def test_mix_items_is_exact_and_multiplies_soft_activity():
    batch = feature_batch([1, 1, 1], seed=5, soft=True)
    out = mix_items(batch, [0, 1, 2], [1, 1, 0], [0.3, 0.5, 0.9], "features")
    x = batch.features
    assert torch.allclose(out.features[0], 0.3 * x[0] + 0.7 * x[1])
    assert torch.equal(out.features[1], x[1])                  # own partner: unchanged
    assert torch.allclose(out.features[2], 0.9 * x[2] + 0.1 * x[0])
    a0, a1 = batch.activity[0], batch.activity[1]
    assert np.allclose(out.activity[0], np.r_[0.3 * a0, 0.7 * a1])
    assert out.events[0].n_frames == batch.events[0].n_frames


def test_mixing_lambdas_follow_beta():
    batch = wave_batch([1] * 40, seed=6)
    lams = []
    for seed in range(40):
        out = WavMix(alpha=0.5, p=1.0)(batch, gen(seed))
        lams += [a[0] for a in out.activity if a is not None and len(a)]
    lams = np.asarray(lams)
    # Beta(0.5, 0.5) is the arcsine law: a quarter of the mass below sin^2(pi/8) = 0.146
    assert len(lams) > 400
    assert abs(np.mean(lams < 0.1464466) - 0.25) < 0.05 and abs(np.mean(lams) - 0.5) < 0.05


# ------------------------------------------------------------------------------------ masking and shifting
def test_specaugment_time_masks_remove_exactly_the_masked_frames_events():
    batch = feature_batch([2, 1, 3, 1, 0, 2, 1, 1], seed=7, soft=True, t_frames=200)   # 20 label frames
    aug = SpecAugment(time_masks=4, time_width=40, freq_masks=2, freq_width=8)
    seen_masked = 0
    for seed in range(6):
        out = aug(batch, gen(seed))
        x = out.features
        for i, (ev0, ev1) in enumerate(zip(batch.events, out.events)):
            frame_zero = (x[i].reshape(x.shape[1], 20, 10, x.shape[3]) == 0).all(dim=(0, 2, 3)).numpy()
            seen_masked += frame_zero.sum()
            keep = ~frame_zero[ev0.frame]
            assert events_equal(ev1, ev0.select(keep))
            if batch.activity[i] is not None:
                assert np.array_equal(out.activity[i], batch.activity[i][keep])
            # outside masked frames: each channel has at most 2 masks of < 8 bins, the same in every frame
            rest = x[i][:, np.repeat(~frame_zero, 10)]
            zero_bins = (rest == 0).all(dim=1)                               # [C, F]
            assert torch.equal((rest == 0).any(dim=1), zero_bins)
            assert int(zero_bins.sum(dim=1).max()) <= 2 * 7
            assert torch.equal(rest[rest != 0], batch.features[i][:, np.repeat(~frame_zero, 10)][rest != 0])
    assert seen_masked > 0


def test_crop_zeroes_rectangles_and_keeps_labels():
    batch = feature_batch([1, 2, 0, 1], seed=8, soft=True)
    out = Crop(masks=4, time_width=8, freq_width=4)(batch, gen(2))
    zero = out.features == 0
    assert 0 < int(zero.sum(dim=(2, 3)).max()) <= 4 * 7 * 3
    assert torch.equal(out.features[~zero], batch.features[~zero])
    assert all(events_equal(a, b) for a, b in zip(out.events, batch.events))
    assert all(a is b or np.array_equal(a, b) for a, b in zip(out.activity, batch.activity))
    # channels of one item get their own rectangles
    assert not torch.equal(zero[:, 0], zero[:, 1])


@pytest.mark.parametrize("direction", [None, "up", "down"])
def test_freqshift_matches_reflect_padding(direction):
    batch = feature_batch([1, 0, 2, 1, 1, 1, 1, 1, 1, 1], seed=9)
    aug = FreqShift(max_shift=15, direction=direction, p=0.5)
    out = aug(batch, gen(11))
    f = batch.features.shape[-1]
    shifted = 0
    for i in range(len(batch)):
        x, y = batch.features[i], out.features[i]
        assert events_equal(out.events[i], batch.events[i])
        if torch.equal(x, y):
            continue
        shifted += 1
        candidates = []
        for s in range(1, 15):
            if direction in (None, "up"):
                candidates.append(F.pad(x, (s, 0), mode="reflect")[..., :f])
            if direction in (None, "down"):
                candidates.append(F.pad(x, (0, s), mode="reflect")[..., s:])
        assert any(torch.equal(y, c) for c in candidates)
    assert 0 < shifted < len(batch)


# --------------------------------------------------------------------------------------------- chains
def test_augmix_chain_triples_and_keeps_the_first_third():
    dirs = random_directions(6, seed=12)
    chain = build_augmentation("pseldnets_augmix")
    assert chain.augmix and [a.name for a in chain.wave] == ["rotate", "wavmix"]
    batch = LabelledBatch(foa_plane_waves(dirs, n=2400), one_event_per_item(dirs), [None] * 6, "foa")
    wave = chain.apply_wave(batch, gen(3))
    assert len(wave) == 18 and wave.audio.shape == (18, 4, 2400)
    feats = torch.rand((18, 7, 50, 64), generator=gen(1)) + 0.5
    feat_batch = wave.replace(features=feats)
    out = chain.apply_features(feat_batch, gen(4))
    assert len(out) == 18
    assert torch.equal(out.features[:6], feats[:6])
    assert all(events_equal(a, b) for a, b in zip(out.events[:6], wave.events[:6]))
    assert not torch.equal(out.features[6:], feats[6:])
    # the copies carry their own labels: rotating them did not touch the originals' events
    assert all(events_equal(a, b) for a, b in zip(batch.events, one_event_per_item(dirs)))


def test_chain_without_augs_is_identity_and_presets_build():
    batch = wave_batch([1, 2])
    none = build_augmentation("none")
    assert not none and none.apply_wave(batch, gen()) is batch
    one = build_augmentation("pseldnets_augmix1")
    assert [a.name for a in one.feature] == ["specaug", "crop", "freqshift"] and one.wave[0].variants == 16
    plain = build_augmentation("pseldnets_augment")
    assert not plain.augmix and [a.name for a in plain.feature] == ["specaug", "crop", "freqshift", "trackmix"]
    cfg = build_augmentation({"augmix": True, "wave": [{"name": "rotate", "variants": 48, "p": 0.8}],
                              "feature": ["specaug", {"name": "freqshift", "p": 0.3}]})
    assert cfg.augmix and cfg.wave[0].p == 0.8 and cfg.feature[1].p == 0.3
    listed = build_augmentation([{"name": "mic_swap"}, "crop"])
    assert [a.name for a in listed.wave] == ["mic_swap"] and [a.name for a in listed.feature] == ["crop"]
    over = build_augmentation({"preset": "pseldnets_augmix", "augmix": False})
    assert not over.augmix and len(over.feature) == 4
    for bad in ("augmix2", {"wave": ["spin"]}, {"wave": ["crop"]}, {"colour": 1}, {"wave": [{"p": 1}]},
                {"feature": [{"name": "crop", "bogus": 3}]}):
        with pytest.raises(ConfigError):
            build_augmentation(bad)


def test_build_adapts_to_the_array_and_mono_training():
    mic = build_augmentation("pseldnets_augmix1", array="mic")
    assert isinstance(mic.wave[0], MicChannelSwap) and mic.wave[0].variants == 8 and mic.wave[0].p == 0.8
    assert build_augmentation("pseldnets_augmix", array="mic").wave[0].variants == 24
    assert isinstance(build_augmentation(["mic_swap"], array="foa").wave[0], FoaRotation)
    assert isinstance(build_augmentation("pseldnets_augmix", array="foa").wave[0], FoaRotation)
    with pytest.raises(ConfigError, match="circular8"):
        build_augmentation("pseldnets_augmix", array="circular8")
    mono = build_augmentation(None, array="foa", mono=True)
    assert [a.name for a in mono.wave] == ["mono_to_foa"] and not mono.feature and not mono.augmix
    mono_aug = build_augmentation({"name": "pseldnets_augmix1", "augmix": False}, array="mic", mono=True)
    assert [a.name for a in mono_aug.wave] == ["mono_to_foa", "rotate"] and not mono_aug.augmix
    with pytest.raises(ConfigError, match="not both"):
        build_augmentation({"name": "none", "preset": "none"})


def test_build_from_hydra_containers():
    omegaconf = pytest.importorskip("omegaconf")
    cfg = omegaconf.OmegaConf.create({"augmix": True, "wave": [{"name": "rotate", "variants": 16, "p": 0.5}],
                                      "feature": ["specaug", {"name": "crop", "masks": 2}]})
    chain = build_augmentation(cfg)
    assert chain.augmix and chain.wave[0].variants == 16 and chain.wave[0].p == 0.5 and chain.feature[1].masks == 2
    listed = build_augmentation(omegaconf.OmegaConf.create(["rotate", "freqshift"]))
    assert [a.name for a in listed.wave] == ["rotate"] and [a.name for a in listed.feature] == ["freqshift"]


def test_feature_subsets_are_uniform_non_empty_and_shuffled():
    chain = AugmentChain(feature=[SpecAugment(), Crop(), FreqShift()])
    g = gen(0)
    seen = {}
    for _ in range(2100):
        names = tuple(a.name for a in chain.draw_features(g))
        assert names and len(set(names)) == len(names)
        seen[names] = seen.get(names, 0) + 1
    orders = [p for k in (1, 2, 3) for c in itertools.combinations(["specaug", "crop", "freqshift"], k)
              for p in itertools.permutations(c)]
    assert set(seen) == set(orders)
    by_subset = {}
    for names, n in seen.items():
        by_subset[frozenset(names)] = by_subset.get(frozenset(names), 0) + n
    assert len(by_subset) == 7 and min(by_subset.values()) > 200      # uniform: 300 each expected


def test_whole_chain_is_reproducible_from_the_seed():
    def run(seed):
        chain = build_augmentation("pseldnets_augmix")
        batch = wave_batch([1, 1, 2, 1, 0, 1], seed=13)
        wave = chain.apply_wave(batch, gen(seed))
        feats = wave.audio.reshape(len(wave), 4, 48, 50).abs() + 0.1     # stand-in front end: [B, 4, 48, 50]
        return chain.apply_features(wave.replace(features=feats[:, :, :40]), gen(seed + 1))

    torch_state, numpy_state = torch.get_rng_state(), np.random.get_state()
    a = run(21)
    assert torch.equal(torch.get_rng_state(), torch_state)                 # global random state untouched
    assert all(np.array_equal(x, y) for x, y in zip(np.random.get_state(), numpy_state))
    torch.manual_seed(12345)
    np.random.seed(54321)
    b, c = run(21), run(22)                                                 # and not used
    assert torch.equal(a.features, b.features) and torch.equal(a.audio, b.audio)
    assert all(events_equal(x, y) for x, y in zip(a.events, b.events))
    assert all((x is None and y is None) or np.array_equal(x, y) for x, y in zip(a.activity, b.activity))
    assert not torch.equal(a.features, c.features)


def test_augmix_features_need_the_tripled_batch():
    chain = build_augmentation("pseldnets_augmix1")
    with pytest.raises(ConfigError, match="multiple of 3"):
        chain.apply_features(feature_batch([1, 1]), gen())
    with pytest.raises(ConfigError, match="before the front end"):
        FoaRotation()(feature_batch([1]), gen())


# ------------------------------------------------------------------------------------------ mono -> FOA
@pytest.mark.parametrize("directions", ["grid", "sphere"])
def test_mono_to_foa_direction_equals_new_label(directions):
    dirs = random_directions(12, seed=14)
    poly = [1, 0, 1, 1] * 3
    batch = wave_batch(poly, seed=15)
    batch = batch.replace(audio=foa_plane_waves(dirs, n=2400))
    out = MonoToFoa(directions)(batch, gen(16))
    assert out.array == "foa"
    assert torch.equal(out.audio[:, 0], batch.audio[:, 0])
    new = intensity_direction(out.audio)
    for i, ev in enumerate(out.events):
        assert np.array_equal(ev.frame, batch.events[i].frame)
        if len(ev):
            assert angular_distance(ev.xyz, new[i]).max() < FOA_TOL_DEG
    if directions == "grid":
        azi, ele = unit_to_polar(new)
        assert np.allclose(azi, np.round(azi), atol=1e-3) and np.allclose(ele, np.round(ele), atol=1e-3)
        assert (ele < 90).all()
    again = MonoToFoa(directions)(batch, gen(16))
    assert torch.equal(again.audio, out.audio)


def test_mono_to_foa_from_one_channel_and_refuses_polyphony():
    mono = LabelledBatch(torch.randn(3, 1, 2400, generator=gen(1)),
                         one_event_per_item(random_directions(3, 1)), [None] * 3, array="omni")
    out = MonoToFoa()(mono, gen(2))
    assert out.audio.shape == (3, 4, 2400) and out.array == "foa"
    assert angular_distance(intensity_direction(out.audio), labels_xyz(out)).max() < FOA_TOL_DEG
    with pytest.raises(ConfigError, match="item 1 has 2 simultaneous events"):
        MonoToFoa()(wave_batch([1, 2, 1]), gen())


def test_label_frames_follow_events_n_frames():
    batch = feature_batch([1, 1])
    assert all(ev.n_frames == N_FRAMES for ev in batch.events)
    broken = batch.replace(events=[ev.select(np.arange(len(ev))) for ev in batch.events])
    broken.events[0].n_frames = None
    with pytest.raises(ConfigError, match="n_frames"):
        SpecAugment()(broken, gen())
