"""Decoding network outputs into events, in NumPy only: the class-wise decoders (ACCDOA, multi-ACCDOA) and the
pieces every decoder shares (per-class thresholds, one `Events` table per batch item).

:mod:`seld.methods` (targets, losses: torch) decodes through these, and so does the ONNX runner, which must work
where torch is not installed; nothing here imports torch. The track-wise methods (``einv2``, ``agg*``,
``seddoa``) decode in :mod:`seld.methods`.
"""

from __future__ import annotations

import numpy as np

from seld.errors import ConfigError
from seld.formats.events import Events
from seld.geometry import angular_distance, normalize

__all__ = ["NUMPY_DECODERS", "decode_accdoa", "decode_maccdoa", "class_thresholds", "build_events"]


def class_thresholds(thresholds, num_classes: int) -> np.ndarray:
    """A detection threshold per class [K] from one global value or a per-class sequence."""
    thr = np.asarray(thresholds, dtype=np.float64)
    if thr.ndim == 0:
        thr = np.full(num_classes, float(thr))
    if thr.shape != (num_classes,) or not np.isfinite(thr).all():
        raise ConfigError(f"thresholds must be one number or {num_classes} finite numbers (one per class), "
                          f"got shape {thr.shape}")
    return thr


def build_events(batch_size: int, num_frames: int, item, frame, cls, track, xyz, dist=None,
                 frame_len: float = 0.1) -> list[Events]:
    """One `Events` per batch item from decoded rows (directions normalised), ordered by frame, class, track."""
    order = np.lexsort((track, cls, frame, item))
    item, frame, cls, track, xyz = item[order], frame[order], cls[order], track[order], xyz[order]
    dist = None if dist is None else dist[order]
    bounds = np.searchsorted(item, np.arange(batch_size + 1))
    return [Events.from_cartesian(frame[s], cls[s], track[s], xyz[s], None if dist is None else dist[s],
                                  frame_len=frame_len, n_frames=num_frames)
            for s in (slice(bounds[b], bounds[b + 1]) for b in range(batch_size))]


def decode_accdoa(output, thresholds=0.5, *, distance: bool = False, top_k: int | None = 3,
                  frame_len: float = 0.1) -> list[Events]:
    """ACCDOA ``[B, T, 3K]`` (``[B, T, 4K]`` with distance): per frame the ``top_k`` classes of largest vector
    norm (None: all) above the threshold, direction = the vector."""
    y = np.asarray(output, dtype=np.float64)
    blocks_n = 4 if distance else 3
    if y.ndim != 3 or y.shape[-1] % blocks_n:
        raise ValueError(f"accdoa output must be [B, T, {blocks_n}K], got {y.shape}")
    nb, nt = y.shape[:2]
    k = y.shape[-1] // blocks_n
    blocks = y.reshape(nb, nt, blocks_n, k)
    vec = blocks[:, :, :3].transpose(0, 1, 3, 2)  # [B, T, K, 3]
    norm = np.linalg.norm(vec, axis=-1)
    active = norm > class_thresholds(thresholds, k)
    if top_k is not None and top_k < k:
        if top_k < 1:
            raise ConfigError(f"top_k must be at least 1 (or None for no limit), got {top_k}")
        top = np.argsort(-norm, axis=-1, kind="stable")[..., :top_k]
        in_top = np.zeros_like(active)
        np.put_along_axis(in_top, top, True, axis=-1)
        active &= in_top
    b, t, c = np.nonzero(active)
    dist = np.maximum(blocks[b, t, 3, c], 0.0) if distance else None
    return build_events(nb, nt, b, t, c, np.zeros_like(c), vec[b, t, c], dist, frame_len)


def decode_maccdoa(output, thresholds=0.5, *, distance: bool = False, unify_deg: float = 15.0,
                   frame_len: float = 0.1) -> list[Events]:
    """Multi-ACCDOA ``[B, T, 9K]`` (``[B, T, 12K]`` with distance): active tracks (norm above threshold);
    same-class tracks closer than ``unify_deg`` degrees merged by averaging (a pair when it is the only similar
    pair, all three when two or more pairs are similar); a merged event takes its smallest track index."""
    if unify_deg < 0:
        raise ConfigError(f"unify_deg must be >= 0 degrees, got {unify_deg}")
    y = np.asarray(output, dtype=np.float64)
    width = 4 if distance else 3
    if y.ndim != 3 or y.shape[-1] % (3 * width):
        raise ValueError(f"maccdoa output must be [B, T, {3 * width}K], got {y.shape}")
    nb, nt = y.shape[:2]
    k = y.shape[-1] // (3 * width)
    blocks = y.reshape(nb, nt, 3, width, k)
    vec = blocks[:, :, :, :3].transpose(0, 1, 2, 4, 3)  # [B, T, track, K, 3]
    dist = np.maximum(blocks[:, :, :, 3], 0.0) if distance else np.zeros(vec.shape[:-1])
    active = np.linalg.norm(vec, axis=-1) > class_thresholds(thresholds, k)  # [B, T, track, K]
    unit = normalize(vec, eps=1e-10)
    pairs = ((0, 1), (1, 2), (2, 0))
    similar = [active[:, :, i] & active[:, :, j] & (angular_distance(unit[:, :, i], unit[:, :, j]) < unify_deg)
               for i, j in pairs]
    n_similar = sum(s.astype(int) for s in similar)
    groups = [(i,) for i in range(3)] + [tuple(sorted(p)) for p in pairs] + [(0, 1, 2)]
    emit = [active[:, :, i] & ~np.logical_or.reduce([s for s, p in zip(similar, pairs) if i in p])
            for i in range(3)]
    emit += [s & (n_similar == 1) for s in similar]
    emit += [n_similar >= 2]
    parts = []
    for tracks, mask in zip(groups, emit):
        b, t, c = np.nonzero(mask)
        parts.append((b, t, c, np.full(len(b), tracks[0]),
                      np.mean([vec[b, t, i, c] for i in tracks], axis=0),
                      np.mean([dist[b, t, i, c] for i in tracks], axis=0)))
    b, t, c, track, xyz, d = (np.concatenate(x) for x in zip(*parts))
    return build_events(nb, nt, b, t, c, track, xyz.reshape(-1, 3), d if distance else None, frame_len)


#: method name -> numpy decoder ``(output, thresholds, distance=..., frame_len=...)``
NUMPY_DECODERS = {"accdoa": decode_accdoa, "maccdoa": decode_maccdoa}
