"""The one in-memory representation of SELD labels and predictions.

:class:`Events` is a table of frame-indexed activities: each row says that class ``cls`` (with track or source
id ``track``) is active in frame ``frame`` from unit direction ``xyz``, optionally at ``dist`` metres. Every
file format in :mod:`seld.formats` reads into it and writes from it; the metrics, the target encoders and the
decoders all speak it. Row order is kept as read, because the official scorers depend on it (the position of a
row within its frame identifies the instance in the DCASE2021+ segment metrics).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from seld.geometry import normalize, polar_to_unit, unit_to_polar

__all__ = ["Events"]


def _as(a, dtype, n: int, name: str) -> np.ndarray:
    arr = np.ascontiguousarray(np.asarray(a, dtype=dtype))
    if arr.shape[:1] != (n,):
        raise ValueError(f"Events.{name} has {arr.shape[:1]} rows, expected {n}")
    return arr


@dataclass(eq=False)
class Events:
    """Frame-indexed SELD events (see the module docstring).

    Attributes:
        frame: int64 [N], frame index (0-based) at resolution ``frame_len``.
        cls: int64 [N], class index.
        track: int64 [N], track / source / instance id (0 where a format has none).
        xyz: float64 [N, 3], direction as a unit vector (DCASE axes).
        dist: float64 [N] distance in metres, or ``None`` when the labels carry no distance.
        frame_len: seconds per frame (0.1 for DCASE2020+, 0.02 for DCASE2019).
        n_frames: number of frames of the recording when known (``None``: unknown, use the last event).
    """

    frame: np.ndarray
    cls: np.ndarray
    track: np.ndarray
    xyz: np.ndarray
    dist: np.ndarray | None = None
    frame_len: float = 0.1
    n_frames: int | None = None
    meta: dict = field(default_factory=dict)

    def __post_init__(self):
        n = len(np.asarray(self.frame))
        self.frame = _as(self.frame, np.int64, n, "frame")
        self.cls = _as(self.cls, np.int64, n, "cls")
        self.track = _as(self.track, np.int64, n, "track")
        self.xyz = _as(self.xyz, np.float64, n, "xyz").reshape(n, 3)
        if self.dist is not None:
            self.dist = _as(self.dist, np.float64, n, "dist")

    # ----------------------------------------------------------------------------------------------- builders
    @classmethod
    def empty(cls, frame_len: float = 0.1, n_frames: int | None = None, with_dist: bool = False) -> "Events":
        """A table with no rows."""
        z = np.zeros(0, np.int64)
        return cls(z, z, z, np.zeros((0, 3)), np.zeros(0) if with_dist else None, frame_len, n_frames)

    @classmethod
    def from_polar(cls, frame, cls_idx, track, azi_deg, ele_deg, dist=None, frame_len: float = 0.1,
                   n_frames: int | None = None) -> "Events":
        """Build from azimuth/elevation in degrees (the file convention)."""
        return cls(frame, cls_idx, track, polar_to_unit(azi_deg, ele_deg), dist, frame_len, n_frames)

    @classmethod
    def from_cartesian(cls, frame, cls_idx, track, xyz, dist=None, frame_len: float = 0.1,
                       n_frames: int | None = None) -> "Events":
        """Build from (x, y, z) of any length; directions are normalised, zero vectors stay zero."""
        return cls(frame, cls_idx, track, normalize(xyz), dist, frame_len, n_frames)

    @classmethod
    def concat(cls, parts: list["Events"]) -> "Events":
        """Stack tables with the same frame length (distance kept only if every part has it)."""
        if not parts:
            return cls.empty()
        fl = parts[0].frame_len
        if any(abs(p.frame_len - fl) > 1e-12 for p in parts):
            raise ValueError("cannot concatenate Events with different frame lengths")
        dist = np.concatenate([p.dist for p in parts]) if all(p.dist is not None for p in parts) else None
        known = [p.n_frames for p in parts if p.n_frames is not None]
        return cls(np.concatenate([p.frame for p in parts]), np.concatenate([p.cls for p in parts]),
                   np.concatenate([p.track for p in parts]), np.concatenate([p.xyz for p in parts]), dist, fl,
                   max(known) if len(known) == len(parts) else None)

    # --------------------------------------------------------------------------------------------- accessors
    def __len__(self) -> int:
        return len(self.frame)

    @property
    def has_dist(self) -> bool:
        return self.dist is not None

    def azi_ele(self) -> tuple[np.ndarray, np.ndarray]:
        """Azimuth and elevation in degrees."""
        return unit_to_polar(self.xyz)

    def last_frame(self) -> int:
        """Largest frame index present, -1 for an empty table."""
        return int(self.frame.max()) if len(self) else -1

    def num_frames(self) -> int:
        """Frames of the recording: ``n_frames`` when known, else one past the last event."""
        return self.n_frames if self.n_frames is not None else self.last_frame() + 1

    def select(self, mask) -> "Events":
        """Rows where ``mask`` (bool array or index array) holds; order kept."""
        return replace(self, frame=self.frame[mask], cls=self.cls[mask], track=self.track[mask],
                       xyz=self.xyz[mask], dist=None if self.dist is None else self.dist[mask])

    def sorted(self) -> "Events":
        """Rows ordered by (frame, class, track), stable, as DCASE files are written."""
        return self.select(np.lexsort((self.track, self.cls, self.frame)))

    def activity(self, num_classes: int, num_frames: int | None = None) -> np.ndarray:
        """Boolean [T, K] class activity (T = ``num_frames`` or :meth:`num_frames`); frames beyond T dropped."""
        t = self.num_frames() if num_frames is None else num_frames
        act = np.zeros((t, num_classes), dtype=bool)
        keep = self.frame < t
        act[self.frame[keep], self.cls[keep]] = True
        return act

    def to_frame_len(self, frame_len: float) -> "Events":
        """Resample to another frame resolution. Going coarser keeps the first row of each (new frame, class,
        track); going finer repeats each row over the frames it covers."""
        ratio = frame_len / self.frame_len
        if abs(ratio - round(ratio)) < 1e-9 and round(ratio) >= 1:
            r = int(round(ratio))
            new = replace(self, frame=self.frame // r, frame_len=frame_len,
                          n_frames=None if self.n_frames is None else -(-self.n_frames // r))
            key = np.stack([new.frame, new.cls, new.track], axis=1)
            _, first = np.unique(key, axis=0, return_index=True)
            return new.select(np.sort(first))
        inv = self.frame_len / frame_len
        if abs(inv - round(inv)) < 1e-9:
            r = int(round(inv))
            idx = np.repeat(np.arange(len(self)), r)
            out = self.select(idx)
            out.frame = self.frame[idx] * r + np.tile(np.arange(r), len(self))
            out.frame_len = frame_len
            out.n_frames = None if self.n_frames is None else self.n_frames * r
            return out
        raise ValueError(f"frame lengths {self.frame_len} and {frame_len} are not integer multiples")

    def equals(self, other: "Events", atol: float = 1e-9) -> bool:
        """Same rows in the same order (directions and distances within ``atol``)."""
        if len(self) != len(other) or self.has_dist != other.has_dist:
            return False
        same = (np.array_equal(self.frame, other.frame) and np.array_equal(self.cls, other.cls)
                and np.array_equal(self.track, other.track) and np.allclose(self.xyz, other.xyz, atol=atol))
        if same and self.has_dist:
            same = np.allclose(self.dist, other.dist, atol=atol)
        return bool(same)

    def __repr__(self) -> str:
        return (f"Events(rows={len(self)}, frames={self.num_frames()}, classes={np.unique(self.cls).size}, "
                f"frame_len={self.frame_len}, dist={'yes' if self.has_dist else 'no'})")
