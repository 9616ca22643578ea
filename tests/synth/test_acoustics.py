"""Room acoustics measured on rendered responses: decay times against the aim, decay shape, DC, the late
tail's level and coherence, and the direct path's direction.

Measurements follow ISO 3382 (:mod:`seld.synth.acoustics`): octave-band Schroeder curves, T30 from the -5 to
-35 dB slope. Tolerances:
- T30 within 15 % of the room's aim (the issue's requirement), median over positions: single positions
  scatter by about 10 % (the tail is random, and a close source's direct sound moves the fit range).
- decay curves straight: ISO 3382-2's non-linearity xi = 1000 (1 - r^2) of the fit at most 10 permille on the
  spatially averaged curve (ISO 3382 averages positions too); single positions in rooms of 0.2 s, whose whole
  fit range lies among distinct early reflections, reach 50 permille.
- the energy envelope (50 ms windows) never rises more than 2 dB above its running minimum: the statistical
  spread of octave-band noise energy in 50 ms windows, averaged over positions, is about 1 dB.
- tail level: rendered band energy within 2 dB of the decay model in 20 ms windows (averaged over positions);
  a tail joined to the image sources at the wrong level, or mis-scaled, is off by more.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import scipy.signal

from seld.geometry import angular_distance, normalize
from seld.synth.acoustics import decay_time, energy_decay_db, measure_response
from seld.synth.arrays import get_format
from seld.synth.filters import BANDS, RESPONSE_HIGHPASS, highpass, octave_filter
from seld.synth.noise import diffuse_coherence
from seld.synth.presets import get_preset
from seld.synth.rooms import WALLS, Room, sample_room
from seld.synth.srir import simulate_responses
from seld.synth.tail import late_tail
from seld.synth.trajectories import PositionRanges, PositionSet, make_positions

FS = 24000
TESTED = (2, 3, 4, 5)          # the 500 Hz, 1, 2 and 4 kHz bands


def drawn_room(preset: str, size, rt60: float, seed: int = 1) -> Room:
    ranges = get_preset(preset).rooms
    return sample_room(np.random.default_rng(seed), replace(ranges, size_min=size, size_max=size, rt60=(rt60, rt60)))


def positions_in(room: Room, count: int, dist: tuple[float, float], seed: int = 2) -> PositionSet:
    """``count`` static positions at ``dist`` metres (shrunk to fit the room), 0.5 m from the walls."""
    top = min(dist[1], 0.45 * min(room.size[:2]))
    return make_positions(np.random.default_rng(seed), room,
                          PositionRanges(n_static=count, n_paths=0, dist=(min(dist[0], 0.7 * top), top),
                                         ele=(-20.0, 30.0), wall_margin=0.5))


def band_energy(x: np.ndarray, band: int, window: int) -> np.ndarray:
    """Energy of ``x`` in octave band ``band`` summed over consecutive windows of ``window`` samples."""
    y = octave_filter(x, BANDS[band], FS) ** 2
    k = len(y) // window
    return y[:k * window].reshape(k, window).sum(axis=1)


# ------------------------------------------------------------------------------------------------ the model
def test_decay_model_matches_the_energy_of_pyroomacoustics_images():
    """The model's specular power equals the energy of pyroomacoustics' image sources arriving per 20 ms,
    per band, in a room with different materials on every axis (no scattering, no air)."""
    import pyroomacoustics as pra

    alpha = np.array([[0.02, 0.03, 0.05, 0.06, 0.08, 0.1, 0.1], [0.1, 0.2, 0.4, 0.5, 0.5, 0.6, 0.6],
                      [0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3], [0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05],
                      [0.02, 0.04, 0.1, 0.3, 0.5, 0.6, 0.6], [0.2, 0.5, 0.8, 0.9, 0.9, 0.9, 0.9]])
    size, mic, src = (7.0, 5.5, 3.1), np.array([3.1, 2.4, 1.4]), np.array([5.2, 1.1, 1.7])
    room = Room(size, tuple(tuple(a) for a in alpha), tuple(mic), air_absorption=False, max_order=40)
    sim = pra.ShoeBox(list(size), fs=FS, max_order=40, air_absorption=False,
                      materials={w: pra.Material({"coeffs": list(a), "center_freqs": list(BANDS)})
                                 for w, a in zip(WALLS, alpha)})
    sim.add_microphone(mic)
    sim.add_source(src)
    sim.image_source_model()
    images = sim.sources[0]
    dist = np.linalg.norm(images.images.T - mic, axis=1)
    energy = images.damping[:len(BANDS)].T ** 2 / dist[:, None] ** 2              # [K, B]
    complete = 36.0 / np.sqrt(np.sum(1 / np.asarray(size) ** 2)) / room.c        # order 40 complete to here
    edges = np.arange(0.03, complete, 0.02)
    per_window = np.stack([np.histogram(dist / room.c, edges, weights=energy[:, b])[0] for b in range(len(BANDS))], 1)
    spec, diffuse = room.decay_model().power(edges)
    model = np.stack([np.diff(-room.decay_model().schroeder(edges)[:, b]) for b in range(len(BANDS))], 1)
    assert np.all(diffuse == 0)                                                  # no scattering: all specular
    assert len(edges) > 8
    err = 10 * np.log10(per_window / model)
    assert np.abs(err).max() < 1.5, np.round(err, 2)
    assert abs(np.mean(err)) < 0.5


def test_band_absorption_and_air_match_pyroomacoustics():
    """Per octave band, the energy of our responses equals that of pyroomacoustics' multi-band RIR of the same
    room (frequency-dependent walls, air absorption with our coefficients, image sources only), in early and
    late windows; both high-passed by our filter."""
    import pyroomacoustics as pra

    alpha = [[0.02, 0.05, 0.1, 0.3, 0.6, 0.7, 0.7]] * 2 + [[0.3, 0.2, 0.1, 0.05, 0.05, 0.05, 0.05]] * 2 + \
            [[0.1, 0.1, 0.2, 0.2, 0.4, 0.4, 0.4]] * 2
    room = Room((6.0, 4.5, 3.0), tuple(tuple(a) for a in alpha), (2.7, 2.1, 1.3), max_order=12, ir_len=0.25,
                humidity=40.0)
    src = np.array([4.6, 3.2, 1.6])
    ours = simulate_responses(room, PositionSet((src - np.asarray(room.array))[None]), [get_format("omni")], FS,
                              exact_until=None)["omni"][0, 0].astype(np.float64)
    sim = pra.ShoeBox(list(room.size), fs=FS, max_order=room.max_order, air_absorption=True,
                      materials={w: pra.Material({"coeffs": a, "center_freqs": list(BANDS)})
                                 for w, a in zip(WALLS, alpha)})
    sim.set_air_absorption(list(room.air_bands()))
    sim.c = room.c
    sim.add_source(src)
    sim.add_microphone(np.asarray(room.array))
    pra.constants.set("rir_hpf_enable", False)
    try:
        sim.compute_rir()
    finally:
        pra.constants.set("rir_hpf_enable", True)
    theirs = np.zeros(len(ours))
    m = min(len(ours), len(sim.rir[0][0]) - 40)
    theirs[:m] = sim.rir[0][0][40:40 + m]
    theirs = highpass(theirs, FS, *RESPONSE_HIGHPASS)
    spans = [(0.0, 0.02), (0.02, 0.06), (0.06, 0.15)]
    for band in (1, 2, 3, 4, 5):
        a, b = octave_filter(ours, BANDS[band], FS) ** 2, octave_filter(theirs, BANDS[band], FS) ** 2
        for lo, hi in spans:
            sl = slice(int(lo * FS), int(hi * FS))
            diff = 10 * np.log10(a[sl].sum() / b[sl].sum())
            assert abs(diff) < 1.0, (BANDS[band], lo, hi, diff)


# -------------------------------------------------------------------------------- rooms of every preset
ROOMS = {
    # (size, aimed RT60) spanning each preset's sizes and RT60 range (the largest rooms cannot be made as dry
    # as the shortest RT60 with realistic materials; sample_room redraws their size)
    "quick": [((4.0, 3.5, 2.6), 0.35), ((6.0, 5.0, 3.0), 0.2)],
    "starss": [((4.0, 4.0, 2.5), 1.0), ((12.0, 10.0, 4.5), 0.4), ((8.0, 7.0, 3.5), 0.6)],
    "seldnet": [((5.0, 5.0, 3.0), 0.6), ((10.0, 8.0, 4.0), 0.25)],
    "pseld": [((4.0, 4.0, 3.0), 2.0), ((20.0, 20.0, 10.0), 0.8), ((12.0, 12.0, 6.5), 1.2)],
}


@pytest.mark.parametrize("preset", list(ROOMS))
def test_measured_t30_meets_the_aim_with_straight_decays_and_no_dc(preset):
    dist = get_preset(preset).positions.dist
    for k, (size, rt60) in enumerate(ROOMS[preset]):
        room = drawn_room(preset, size, rt60, seed=k)
        assert room.rt60 == pytest.approx(rt60, rel=0.02)
        pos = positions_in(room, 4, ((dist[0] + dist[1]) / 2, dist[1]), seed=k)
        omni = simulate_responses(room, pos, [get_format("omni")], FS)["omni"][:, 0].astype(np.float64)
        t30 = np.array([measure_response(x, FS)["t30"] for x in omni])
        ratio = np.median(t30, axis=0)[list(TESTED)] / np.asarray(room.t30)[list(TESTED)]
        assert np.all(np.abs(ratio - 1) < 0.15), (preset, size, rt60, np.round(ratio, 3))

        t = np.arange(omni.shape[1]) / FS
        for band in TESTED:
            # straight: the non-linearity of the fit to the spatially averaged decay curve
            filtered = octave_filter(omni, BANDS[band], FS) ** 2
            curve = np.mean(np.cumsum(filtered[:, ::-1], axis=1)[:, ::-1] / filtered.sum(1, keepdims=True), axis=0)
            db = 10 * np.log10(curve)
            sel = slice(int(np.argmax(db <= -5)), int(np.argmax(db <= -35)) + 1)
            xi = 1000 * (1 - np.corrcoef(t[sel], db[sel])[0, 1] ** 2)
            assert xi < 10, (preset, size, rt60, BANDS[band], xi)
            # monotonic: the energy in 50 ms windows after the direct sound never climbs back
            start = int(np.max(np.argmax(np.abs(omni), axis=1))) + int(0.02 * FS)
            env = 10 * np.log10(np.mean([band_energy(x[start:], band, int(0.05 * FS)) for x in omni], axis=0))
            env = env[env > env[0] - 45]
            assert np.max(env - np.minimum.accumulate(env)) < 2.0, (preset, size, rt60, BANDS[band])

        spectrum = np.abs(np.fft.rfft(omni, 4 * omni.shape[1], axis=1)) ** 2
        freqs = np.fft.rfftfreq(4 * omni.shape[1], 1 / FS)
        low = spectrum[:, freqs < 20].sum(1) / spectrum.sum(1)
        assert np.all(low < 0.01), low


def test_the_tail_continues_the_image_sources_at_the_models_level():
    """Band energy per 20 ms of responses (image sources, then the tail from the horizon on) against the decay
    model's power, from 30 ms (the continuum of images) to 40 dB down: no step at the horizon, no offset."""
    room = drawn_room("starss", (7.0, 6.0, 3.2), 0.7)
    pos = positions_in(room, 6, (2.0, 3.5))
    omni = simulate_responses(room, pos, [get_format("omni")], FS)["omni"][:, 0].astype(np.float64)
    window = int(0.02 * FS)
    for band in (3, 4):
        rendered = np.mean([band_energy(x, band, window) for x in omni], axis=0)
        edges = np.arange(len(rendered) + 1) * window / FS
        expected = np.diff(-room.decay_model().schroeder(edges)[:, band])
        # an octave band holds its share of the bandwidth of a flat impulse (pyroomacoustics' amplitude units)
        expected *= (BANDS[band] * np.sqrt(2) - BANDS[band] / np.sqrt(2)) / (FS / 2)
        level = 10 * np.log10(expected / expected[1])
        keep = (edges[:-1] >= 0.03) & (level > -40)
        err = 10 * np.log10(rendered[keep] / expected[keep])
        assert keep.sum() > 10 and np.abs(err).max() < 2.0, (BANDS[band], np.round(err, 1))
        around = (edges[:-1][keep] > room.horizon() - 0.05) & (edges[:-1][keep] < room.horizon() + 0.05)
        assert around.sum() >= 4 and abs(np.mean(err[around])) < 1.0


def test_the_tail_is_one_diffuse_field_with_each_formats_coherence():
    """The tail over FOA, the rigid-sphere MIC and the open tetrahedron: FOA's first-order channels carry a
    third of W's power each and are uncorrelated (diffuse SN3D field), the capsules' coherence follows the
    rigid-sphere (MIC) and free-field (open array) diffuse models, and W is the omni channel."""
    room = Room((9.0, 7.0, 4.0), (0.03,) * 6, (4.4, 3.3, 1.6), ir_len=4.0, scattering=0.5, ism_until=0.05,
                air_absorption=False)
    formats = [get_format(f) for f in ("foa", "mic", "mic-open", "omni")]
    tail = late_tail(room, formats, FS, int(4.0 * FS), 0.01, np.random.default_rng(0))
    foa, mic, mic_open, omni = tail[:4], tail[4:8], tail[8:12], tail[12]
    np.testing.assert_allclose(omni, foa[0], atol=1e-4 * np.abs(foa[0]).max())
    late = slice(int(0.2 * FS), None)
    power = np.mean(foa[:, late].astype(np.float64) ** 2, axis=1)
    np.testing.assert_allclose(power[1:] / power[0], 1 / 3, rtol=0.1)
    corr = np.corrcoef(foa[:, late])
    assert np.abs(corr[np.triu_indices(4, 1)]).max() < 0.06
    for fmt, sig in ((formats[1], mic), (formats[2], mic_open)):
        freqs, coh = scipy.signal.coherence(sig[0, late], sig[2, late], fs=FS, nperseg=512)
        model = diffuse_coherence([fmt], freqs, room.c)
        expected = np.abs(model[:, 0, 2]) ** 2 / (model[:, 0, 0].real * model[:, 2, 2].real)
        band = (freqs > 150) & (freqs < 10000)
        assert np.abs(coh[band] - expected[band]).max() < 0.15, fmt.name
    # and it decays: 20 dB less energy per second than the previous second, give or take
    energy = np.mean(foa[0].astype(np.float64).reshape(4, -1) ** 2, axis=1)
    assert np.all(np.diff(10 * np.log10(energy)) < -3)


def test_foa_direct_path_comes_from_the_label_in_reverberant_rooms():
    """The active intensity of the FOA response within 0.5 ms of the direct sound points at the position,
    within 2 degrees, in drawn rooms with their reflections and tail."""
    for k, (preset, size, rt60) in enumerate([("starss", (6.0, 5.0, 3.0), 0.8), ("pseld", (9.0, 8.0, 4.0), 1.5)]):
        room = drawn_room(preset, size, rt60, seed=k)
        pos = positions_in(room, 8, (1.0, 4.0), seed=10 + k)
        foa = simulate_responses(room, pos, [get_format("foa")], FS)["foa"].astype(np.float64)
        for i, rel in enumerate(pos.xyz):
            n0 = int(round(np.linalg.norm(rel) / room.c * FS))
            w, y, z, x = foa[i][:, n0 - 12:n0 + 13]
            doa = normalize(np.array([np.dot(w, x), np.dot(w, y), np.dot(w, z)]))
            assert angular_distance(doa, normalize(rel)) < 2.0, (preset, i)


def test_measure_response_reads_a_known_decay():
    """An exponentially decaying noise with T60 = 0.6 s after a direct impulse 6 dB above the reverberation:
    T30, T20 and EDT read 0.6 s (within the estimate's noise), and the DRR the level set."""
    rng = np.random.default_rng(0)
    n = int(1.2 * FS)
    t = np.arange(n) / FS
    tail = rng.standard_normal(n) * 10 ** (-3 * t / 0.6)
    tail[:80] = 0.0                                    # starts after the 2.5 ms direct window
    direct = np.sqrt(4 * np.sum(tail**2))
    x = tail.copy()
    x[10] = direct
    m = measure_response(x, FS)
    np.testing.assert_allclose(np.asarray(m["t30"])[list(TESTED)], 0.6, rtol=0.05)
    np.testing.assert_allclose(np.asarray(m["t20"])[list(TESTED)], 0.6, rtol=0.08)   # a shorter, noisier fit
    assert m["drr_db"] == pytest.approx(6.0, abs=0.1)
    assert decay_time(t, energy_decay_db(x), -35.0, -5.0) == pytest.approx(0.6, rel=0.05)
    assert np.isnan(decay_time(t[:100], energy_decay_db(x)[:100], -35.0, -5.0))     # never gets 35 dB down
