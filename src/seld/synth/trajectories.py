"""Where sources can be in a room: a fixed set of positions (scattered points and trajectories) per room.

Every scene of a room draws its sources from the same :class:`PositionSet`, so the room's responses are
computed once for these positions and then reused (:mod:`seld.synth.srir`). Trajectories are arcs around the
array (constant distance and elevation) and straight lines, sampled finely enough that consecutive points
are at most ``step_deg`` apart as seen from the array; a moving source walks along one of them at a constant
speed, turning back at its ends, and uses the nearest point in each 100 ms frame.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field

import numpy as np

from seld.errors import ConfigError
from seld.geometry import angular_distance, normalize, polar_to_unit
from seld.synth.rooms import Room

__all__ = ["PositionRanges", "PositionSet", "make_positions", "sample_motion"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PositionRanges:
    """How a room's positions are laid out.

    Attributes:
        n_static: scattered points (used by static sources, as are all trajectory points).
        n_paths: trajectories (0 disables moving sources).
        dist: (min, max) distance from the array centre (metres).
        ele: (min, max) elevation seen from the array (degrees).
        wall_margin: minimum distance to every wall (metres).
        step_deg: largest angle between consecutive trajectory points, seen from the array.
        arc_deg: (min, max) angular extent of arc trajectories (degrees of azimuth).
        line_fraction: share of trajectories that are straight lines rather than arcs.
        layout: ``"scatter"`` (static points uniform in direction and distance) or ``"grid"`` (static points
            drawn from a grid as seen from the array: azimuths and elevations every ``grid_step_deg``, distances
            every ``grid_dist_step`` metres, like the measured grids of TAU-SRIR DB and SELDnet's simulations,
            so that static labels take grid values).
        grid_step_deg: angular step of the grid (degrees).
        grid_dist_step: radial step of the grid (metres), from ``dist[0]``.
    """

    n_static: int = 48
    n_paths: int = 6
    dist: tuple[float, float] = (1.0, 4.0)
    ele: tuple[float, float] = (-40.0, 50.0)
    wall_margin: float = 0.5
    step_deg: float = 3.0
    arc_deg: tuple[float, float] = (45.0, 270.0)
    line_fraction: float = 0.3
    layout: str = "scatter"
    grid_step_deg: float = 10.0
    grid_dist_step: float = 1.0

    def __post_init__(self):
        if self.layout not in ("scatter", "grid"):
            raise ConfigError(f"position layout must be 'scatter' or 'grid', got {self.layout!r}")
        if self.grid_step_deg <= 0 or self.grid_dist_step <= 0:
            raise ConfigError("grid steps must be positive")

    def to_dict(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, d: dict) -> "PositionRanges":
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in d.items()})


@dataclass
class PositionSet:
    """Source positions relative to the array centre and the trajectories through them.

    Attributes:
        xyz: float64 [P, 3] positions minus the array centre (metres).
        paths: index arrays into ``xyz``, each an ordered trajectory.
    """

    xyz: np.ndarray
    paths: list[np.ndarray] = field(default_factory=list)

    def __post_init__(self):
        self.xyz = np.asarray(self.xyz, dtype=np.float64).reshape(-1, 3)
        self.paths = [np.asarray(p, dtype=np.int64) for p in self.paths]

    def __len__(self) -> int:
        return len(self.xyz)

    @property
    def dirs(self) -> np.ndarray:
        return normalize(self.xyz)

    @property
    def dist(self) -> np.ndarray:
        return np.sqrt(np.sum(self.xyz**2, axis=1))

    def path_lengths(self, path: int) -> np.ndarray:
        """Cumulative distance (metres) along trajectory ``path`` at each of its points."""
        pts = self.xyz[self.paths[path]]
        return np.concatenate([[0.0], np.cumsum(np.sqrt(np.sum(np.diff(pts, axis=0) ** 2, axis=1)))])

    def to_dict(self) -> dict:
        return {"xyz": np.round(self.xyz, 4).tolist(), "paths": [p.tolist() for p in self.paths]}

    @classmethod
    def from_dict(cls, d: dict) -> "PositionSet":
        return cls(np.asarray(d["xyz"], dtype=np.float64), [np.asarray(p) for p in d["paths"]])


def _inside(room: Room, rel: np.ndarray, margin: float) -> np.ndarray:
    return room.contains(np.asarray(rel) + np.asarray(room.array)[None, :], margin)


def _elevations(rng: np.random.Generator, ranges: PositionRanges, n: int | None = None) -> np.ndarray:
    """Elevations (degrees) uniform on the sphere's band between ``ranges.ele``."""
    lo, hi = np.sin(np.deg2rad(ranges.ele))
    return np.rad2deg(np.arcsin(rng.uniform(lo, hi, n)))


def _draw_points(rng: np.random.Generator, room: Room, ranges: PositionRanges, n: int) -> np.ndarray:
    """``n`` points uniform in direction (within the elevation band) and distance, inside the room."""
    out: list[np.ndarray] = []
    for _ in range(200):
        m = max(4 * n, 64)
        azi = rng.uniform(-180.0, 180.0, m)
        ele = _elevations(rng, ranges, m)
        dist = rng.uniform(ranges.dist[0], ranges.dist[1], m)
        pts = polar_to_unit(azi, ele) * dist[:, None]
        out.extend(pts[_inside(room, pts, ranges.wall_margin)])
        if len(out) >= n:
            return np.asarray(out[:n])
    raise ConfigError(f"the room {room.size} with the array at {room.array} has almost no space for sources "
                      f"{ranges.dist[0]}-{ranges.dist[1]} m from the array and {ranges.wall_margin} m from the "
                      "walls; use larger rooms or a smaller source distance range")


def _grid_points(rng: np.random.Generator, room: Room, ranges: PositionRanges, n: int) -> np.ndarray:
    """``n`` distinct points of the room's grid (see :class:`PositionRanges`), drawn without replacement; all of
    them when the room holds fewer."""
    step = ranges.grid_step_deg
    azi = np.arange(-180.0, 180.0, step)
    ele = np.arange(np.ceil(ranges.ele[0] / step) * step, ranges.ele[1] + 1e-9, step)
    dist = np.arange(ranges.dist[0], ranges.dist[1] + 1e-9, ranges.grid_dist_step)
    a, e, d = (g.ravel() for g in np.meshgrid(azi, ele, dist, indexing="ij"))
    pts = polar_to_unit(a, e) * d[:, None]
    pts = pts[_inside(room, pts, ranges.wall_margin)]
    if len(pts) == 0:
        raise ConfigError(f"no grid point of the room {room.size} lies {ranges.wall_margin} m from the walls at "
                          f"{ranges.dist[0]}-{ranges.dist[1]} m from the array; use larger rooms or another range")
    if len(pts) < n:
        log.warning("room %s holds only %d grid points (%d asked)", room.size, len(pts), n)
    return pts[np.sort(rng.choice(len(pts), min(n, len(pts)), replace=False))]


def _arc(rng: np.random.Generator, room: Room, ranges: PositionRanges) -> np.ndarray | None:
    dist = rng.uniform(*ranges.dist)
    ele = float(_elevations(rng, ranges))
    extent = rng.uniform(*ranges.arc_deg)
    step = ranges.step_deg / max(np.cos(np.deg2rad(ele)), 0.2)     # azimuth step giving step_deg on the arc
    n = max(int(np.ceil(extent / step)) + 1, 3)
    azi = rng.uniform(-180.0, 180.0) + rng.choice([-1.0, 1.0]) * np.linspace(0.0, extent, n)
    pts = polar_to_unit(azi, np.full(n, ele)) * dist
    ok = _inside(room, pts, ranges.wall_margin)
    # the longest run of consecutive points inside the room
    best, start = (0, 0), None
    for i, inside in enumerate(np.append(ok, False)):
        if inside and start is None:
            start = i
        elif not inside and start is not None:
            best = max(best, (i - start, start))
            start = None
    length, first = best
    return pts[first:first + length] if length >= 3 else None


def _line(rng: np.random.Generator, room: Room, ranges: PositionRanges) -> np.ndarray | None:
    a, b = _draw_points(rng, room, ranges, 2)
    # subdivide until consecutive points are step_deg apart (and never more than 0.25 m)
    n = 2
    while n < 2000:
        t = np.linspace(0.0, 1.0, n)[:, None]
        pts = a[None, :] * (1 - t) + b[None, :] * t
        gaps = angular_distance(normalize(pts[:-1]), normalize(pts[1:]))
        if gaps.max() <= ranges.step_deg and np.linalg.norm(b - a) / (n - 1) <= 0.25:
            break
        n = int(n * 1.5) + 1
    dist = np.sqrt(np.sum(pts**2, axis=1))
    if dist.min() < ranges.dist[0] or len(pts) < 3:
        return None
    return pts


def make_positions(rng: np.random.Generator, room: Room, ranges: PositionRanges) -> PositionSet:
    """The positions of a room: ``n_static`` scattered points, then ``n_paths`` trajectories."""
    if ranges.dist[0] <= 0 or ranges.dist[1] < ranges.dist[0]:
        raise ConfigError(f"source distance range must satisfy 0 < min <= max, got {ranges.dist}")
    draw = _grid_points if ranges.layout == "grid" else _draw_points
    parts = [draw(rng, room, ranges, ranges.n_static)] if ranges.n_static > 0 else []
    count = len(parts[0]) if parts else 0
    paths = []
    for _ in range(ranges.n_paths):
        for _attempt in range(50):
            make = _line if rng.uniform() < ranges.line_fraction else _arc
            pts = make(rng, room, ranges)
            if pts is not None:
                break
        else:
            log.warning("room %s: found no room for a trajectory; it has %d of %d", room.size, len(paths),
                        ranges.n_paths)
            break
        parts.append(pts)
        paths.append(np.arange(count, count + len(pts)))
        count += len(pts)
    if count == 0:
        raise ConfigError("the position layout has no points; set n_static or n_paths above 0")
    return PositionSet(np.concatenate(parts), paths)


def sample_motion(rng: np.random.Generator, positions: PositionSet, times: np.ndarray,
                  speed: tuple[float, float]) -> np.ndarray:
    """Position indices [T] of a source moving along a random trajectory, sampled at ``times`` (seconds
    from its start): constant speed drawn from ``speed`` (m/s), random start point and heading, turning back
    at the ends of the trajectory."""
    path = int(rng.integers(len(positions.paths)))
    cum = positions.path_lengths(path)
    total = cum[-1]
    v = rng.uniform(*speed) * rng.choice([-1.0, 1.0])
    s = rng.uniform(0.0, total) + v * np.asarray(times, dtype=np.float64)
    s = np.abs(np.mod(s + total, 2 * total) - total) if total > 0 else np.zeros_like(s)   # turn back at ends
    nearest = np.clip(np.searchsorted(cum, s), 1, len(cum) - 1)
    nearest -= (s - cum[nearest - 1]) < (cum[nearest] - s)
    return positions.paths[path][nearest]
