"""Directions and angles in the DCASE convention (numpy only).

Azimuth is counter-clockwise from the front (+x), +90 degrees is the left (+y); elevation is up (+z). Inside
`seld` a direction is a unit vector (x, y, z); degrees appear only at file boundaries.
"""

from __future__ import annotations

import numpy as np

__all__ = ["polar_to_unit", "unit_to_polar", "angular_distance", "normalize"]


def polar_to_unit(azi_deg, ele_deg) -> np.ndarray:
    """Unit vectors [..., 3] from azimuth and elevation in degrees."""
    azi, ele = np.broadcast_arrays(np.deg2rad(np.asarray(azi_deg, dtype=np.float64)),
                                   np.deg2rad(np.asarray(ele_deg, dtype=np.float64)))
    cos_e = np.cos(ele)
    return np.stack([cos_e * np.cos(azi), cos_e * np.sin(azi), np.sin(ele)], axis=-1)


def unit_to_polar(xyz) -> tuple[np.ndarray, np.ndarray]:
    """Azimuth and elevation in degrees from vectors [..., 3] (any length; the sign of tiny components is kept,
    so a round trip of azimuth -180 gives -180 and of 180 gives 180)."""
    xyz = np.asarray(xyz, dtype=np.float64)
    x, y, z = xyz[..., 0], xyz[..., 1], xyz[..., 2]
    azi = np.rad2deg(np.arctan2(y, x))
    ele = np.rad2deg(np.arctan2(z, np.hypot(x, y)))
    return azi, ele


def normalize(xyz, eps: float = 0.0) -> np.ndarray:
    """Scale vectors [..., 3] to unit length; zero vectors stay zero."""
    xyz = np.asarray(xyz, dtype=np.float64)
    norm = np.sqrt(np.sum(xyz**2, axis=-1, keepdims=True) + eps)
    return np.divide(xyz, norm, out=np.zeros_like(xyz), where=norm > 0)


def angular_distance(a, b) -> np.ndarray:
    """Great-circle angle in degrees between unit vectors a [..., 3] and b [..., 3] (broadcasting)."""
    dot = np.sum(np.asarray(a, dtype=np.float64) * np.asarray(b, dtype=np.float64), axis=-1)
    return np.rad2deg(np.arccos(np.clip(dot, -1.0, 1.0)))
