"""Random reference/prediction datasets for the cross-checks against the official scorers.

Each generator is a pure function of (seed, sizes): the same numbers come back on any machine, so the golden
values in ``golden_official.json`` (computed by the official scorers on these exact inputs, see
``oracle_golden.py``) can be compared with :func:`seld.metrics.score` on inputs rebuilt here. The cases are
made to hit the scorers' corner cases: several instances of a class in one frame (Hungarian matching), rows of
a frame in random order, moving sources, misses, time shifts, large angle and distance errors, false alarms
(also after the last reference frame), a last reference frame that is a multiple of 10, classes never present.

Values are written to CSV with ``repr`` so that the official code parses exactly the doubles used here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from seld.formats.events import Events

DCASE2019_CLASSES = ("knock", "drawer", "clearthroat", "phone", "keysDrop", "speech", "keyboard", "pageturn",
                     "cough", "doorslam", "laughter")


@dataclass
class FrameFile:
    """One file of a 100 ms frame-list case. Reference: integer degrees and distance in cm; prediction:
    Cartesian vectors of any length and distance in metres."""

    name: str
    ref: np.ndarray  # [N, 6] frame, class, track, azi, ele, dist_cm (integers)
    pred: np.ndarray  # [M, 7] frame, class, track, x, y, z, dist_m

    def ref_events(self, with_dist: bool = True) -> Events:
        r = self.ref
        return Events.from_polar(r[:, 0], r[:, 1], r[:, 2], r[:, 3], r[:, 4],
                                 r[:, 5] / 100.0 if with_dist else None)

    def pred_events(self, with_dist: bool = True) -> Events:
        p = self.pred
        return Events.from_cartesian(p[:, 0].astype(np.int64), p[:, 1].astype(np.int64),
                                     p[:, 2].astype(np.int64), p[:, 3:6], p[:, 6] if with_dist else None)


def _unit(azi_deg, ele_deg):
    a, e = np.deg2rad(azi_deg), np.deg2rad(ele_deg)
    return np.stack([np.cos(e) * np.cos(a), np.cos(e) * np.sin(a), np.sin(e)], axis=-1)


def _shuffle_within_frames(rng, rows: np.ndarray) -> np.ndarray:
    rows = rows[rng.permutation(len(rows))]
    return rows[np.argsort(rows[:, 0], kind="stable")]


def frame_case(seed: int, n_files: int = 3, num_classes: int = 13, frames=(200, 420)) -> list[FrameFile]:
    """A dataset of ``n_files`` 100 ms frame-list files with predictions."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n_files):
        n = int(rng.integers(*frames))
        present = rng.choice(num_classes, size=int(rng.integers(3, num_classes)), replace=False)
        events = []  # (class, track, start, stop, azi0, ele0, azi speed, dist_cm)
        tracks: dict[int, int] = {}
        for _ in range(int(rng.integers(10, 18))):
            c = int(rng.choice(present))
            start = int(rng.integers(0, n - 5))
            stop = min(start + int(rng.integers(3, 70)), n)
            tracks[c] = tracks.get(c, -1) + 1
            events.append((c, tracks[c], start, stop, int(rng.integers(-180, 180)), int(rng.integers(-45, 46)),
                           int(rng.choice([0, 0, 1, -2, 3])), int(rng.integers(50, 500))))
        # the last reference frame: a multiple of 10 in even files, not in odd ones
        last = max(e[3] for e in events) - 1
        want = last - last % 10 + 10 if i % 2 == 0 else (last if last % 10 else last + 3)
        c = int(rng.choice(present))
        tracks[c] = tracks.get(c, -1) + 1
        events.append((c, tracks[c], want - 4, want + 1, 30, 10, 0, 200))
        ref_rows = []
        for c, tr, start, stop, azi0, ele0, speed, d in events:
            for f in range(start, stop):
                azi = (azi0 + speed * (f - start) + 180) % 360 - 180
                ref_rows.append((f, c, tr, azi, ele0, d))
        ref = _shuffle_within_frames(rng, np.array(ref_rows, dtype=np.int64))

        pred_rows = []
        for c, tr, start, stop, azi0, ele0, speed, d in events:
            if rng.random() < 0.15:
                continue  # missed
            shift = int(rng.integers(-3, 4))
            p_start, p_stop = start + shift + int(rng.integers(0, 3)), stop + shift - int(rng.integers(0, 3))
            sigma = float(rng.choice([2.0, 6.0, 15.0, 45.0]))
            scale = float(rng.uniform(0.3, 1.0))
            d_scale = float(rng.choice([1.0, 0.8, 1.3, 2.7, 0.4]))
            pc = c if rng.random() > 0.05 else int(rng.integers(num_classes))
            for f in range(max(p_start, 0), p_stop):
                azi = azi0 + speed * (f - start)
                u = _unit(azi, ele0) + rng.normal(0, np.deg2rad(sigma) / np.sqrt(2), 3)
                pred_rows.append((f, pc, 0, *(scale * u / np.linalg.norm(u)),
                                  max(d / 100 * d_scale + rng.normal(0, 0.1), 0.05)))
        for _ in range(int(rng.integers(3, 7))):  # false alarms, some after the last reference frame
            c = int(rng.integers(num_classes))
            start = int(rng.integers(0, n + 20))
            u = _unit(rng.uniform(-180, 180), rng.uniform(-60, 60))
            for f in range(start, start + int(rng.integers(2, 25))):
                pred_rows.append((f, c, 1, *u, float(rng.uniform(0.5, 5))))
        pred = _shuffle_within_frames(rng, np.array(pred_rows, dtype=np.float64))
        out.append(FrameFile(f"fold4_room{i + 1}_mix{i + 1:03d}", ref, pred))
    return out


def _fmt(v) -> str:
    return repr(int(v)) if float(v).is_integer() and abs(v) < 1e15 else repr(float(v))


def write_frame_case(files: list[FrameFile], ref_dir: Path, pred_dir: Path, ref_cols: str, pred_cols: str
                     ) -> None:
    """Write a case: ``ref_cols`` ``polar`` (5 columns) or ``polar-dist`` (6, cm); ``pred_cols`` ``cartesian``
    (6 columns) or ``cartesian-dist`` (7, m)."""
    ref_dir.mkdir(parents=True, exist_ok=True)
    pred_dir.mkdir(parents=True, exist_ok=True)
    for f in files:
        ref = f.ref if ref_cols == "polar-dist" else f.ref[:, :5]
        pred = f.pred if pred_cols == "cartesian-dist" else f.pred[:, :6]
        (ref_dir / f"{f.name}.csv").write_text("".join(",".join(map(str, r)) + "\n" for r in ref.tolist()))
        lines = [",".join([str(int(r[0])), str(int(r[1])), str(int(r[2]))] + [repr(x) for x in r[3:]])
                 for r in pred.tolist()]
        (pred_dir / f"{f.name}.csv").write_text("".join(line + "\n" for line in lines))


@dataclass
class Dcase2019File:
    """One DCASE2019 file: an event list (seconds, grid degrees) and an integer 20 ms prediction list."""

    name: str
    events: list[tuple[str, float, float, int, int, int]]  # class, start, end, ele, azi, dist
    pred: np.ndarray  # [M, 4] frame, class, azi, ele (integers)

    def ref_events(self) -> Events:
        """Frames as the official reader makes them: floor(start * 50) ... ceil(end * 50), 3000 frames."""
        rows = []
        for name, start, end, ele, azi, _ in self.events:
            first, last = int(np.floor(start * 50.0)), min(int(np.ceil(end * 50.0)), 2999)
            for f in range(first, last + 1):
                rows.append((f, DCASE2019_CLASSES.index(name), azi, ele))
        r = np.array(rows, dtype=np.int64)
        return Events.from_polar(r[:, 0], r[:, 1], np.zeros(len(r)), r[:, 2], r[:, 3], frame_len=0.02,
                                 n_frames=3000)

    def pred_events(self) -> Events:
        p = self.pred
        return Events.from_polar(p[:, 0], p[:, 1], np.zeros(len(p)), p[:, 2], p[:, 3], frame_len=0.02)


def dcase2019_case(seed: int, n_files: int = 3) -> list[Dcase2019File]:
    """A DCASE2019-style dataset: overlapping events on the 10-degree grid; predictions with time shifts,
    angle errors (off the grid, outside the grid range: clipping and floor quantisation), misses, false alarms
    and frames beyond 3000."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n_files):
        events = []
        for _ in range(int(rng.integers(12, 22))):
            start = round(float(rng.uniform(0, 58.5)), 11)
            end = round(start + float(rng.uniform(0.2, 3.0)), 11)
            events.append((str(rng.choice(DCASE2019_CLASSES)), start, min(end, 59.99), int(rng.integers(-4, 5)) * 10,
                           int(rng.integers(-18, 18)) * 10, int(rng.integers(1, 3))))
        events.append((str(rng.choice(DCASE2019_CLASSES)), 59.5, 60.0, 0, 0, 1))  # runs to the last frame
        rows = []
        for name, start, end, ele, azi, _ in events:
            if rng.random() < 0.1:
                continue
            c = DCASE2019_CLASSES.index(name) if rng.random() > 0.05 else int(rng.integers(11))
            first = int(start * 50) + int(rng.integers(-6, 7))
            last = int(end * 50) + int(rng.integers(-6, 7))
            p_azi = (azi + int(rng.choice([0, 0, 3, -7, 14, -25, 60])) + 180) % 360 - 180
            p_ele = ele + int(rng.choice([0, 0, 5, -5, 12, -30]))
            for f in range(max(first, 0), last + 8):
                rows.append((f, c, p_azi, p_ele))
        for _ in range(int(rng.integers(3, 8))):
            f0 = int(rng.integers(0, 3005))
            c, azi, ele = int(rng.integers(11)), int(rng.integers(-180, 181)), int(rng.integers(-60, 61))
            rows.extend((f, c, azi, ele) for f in range(f0, f0 + int(rng.integers(3, 60))))
        pred = np.array(rows, dtype=np.int64)
        out.append(Dcase2019File(f"split1_ir0_ov2_{i + 1}", events, pred[np.argsort(pred[:, 0], kind="stable")]))
    return out


def write_dcase2019_case(files: list[Dcase2019File], ref_dir: Path, pred_dir: Path) -> None:
    ref_dir.mkdir(parents=True, exist_ok=True)
    pred_dir.mkdir(parents=True, exist_ok=True)
    for f in files:
        lines = ["sound_event_recording,start_time,end_time,ele,azi,dist"]
        lines += [f"{n},{s!r},{e!r},{el},{az},{d}" for n, s, e, el, az, d in f.events]
        (ref_dir / f"{f.name}.csv").write_text("\n".join(lines) + "\n")
        (pred_dir / f"{f.name}.csv").write_text("".join(",".join(map(str, r)) + "\n" for r in f.pred.tolist()))


@dataclass
class L3dasFile:
    """One L3DAS file as the official metric takes it: rows frame, class, x, y, z (metres)."""

    name: str
    ref: np.ndarray
    pred: np.ndarray

    @staticmethod
    def _events(rows: np.ndarray) -> Events:
        return Events.from_cartesian(rows[:, 0].astype(np.int64), rows[:, 1].astype(np.int64),
                                     np.zeros(len(rows)), rows[:, 2:5], np.linalg.norm(rows[:, 2:5], axis=1))

    def ref_events(self) -> Events:
        return self._events(self.ref)

    def pred_events(self) -> Events:
        return self._events(self.pred)


def l3das_case(seed: int, n_files: int = 3, n_frames: int = 300, num_classes: int = 14) -> list[L3dasFile]:
    """L3DAS22-style files (30 s, 100 ms frames, up to 3 overlapping events, positions within 2 m)."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n_files):
        ref_rows, pred_rows = [], []
        for _ in range(int(rng.integers(8, 16))):
            c = int(rng.integers(num_classes))
            start = int(rng.integers(0, n_frames - 3))
            stop = min(start + int(rng.integers(3, 40)), n_frames)
            pos = np.round(rng.uniform(-2, 2, 3), 2)
            pos[np.abs(pos) < 0.05] = 0.3  # keep away from the origin
            ref_rows += [(f, c, *pos) for f in range(start, stop)]
            if rng.random() < 0.15:
                continue
            err = rng.normal(0, float(rng.choice([0.3, 1.0, 2.5])), 3)
            shift = int(rng.integers(-2, 3))
            pc = c if rng.random() > 0.1 else int(rng.integers(num_classes))
            pred_rows += [(f, pc, *(pos + err)) for f in range(max(start + shift, 0), min(stop + shift, n_frames))]
        for _ in range(int(rng.integers(2, 6))):
            c, f0 = int(rng.integers(num_classes)), int(rng.integers(0, n_frames - 2))
            pos = rng.uniform(-2, 2, 3)
            pred_rows += [(f, c, *pos) for f in range(f0, min(f0 + int(rng.integers(2, 20)), n_frames))]
        ref = np.array(ref_rows, dtype=np.float64)
        pred = np.array(pred_rows, dtype=np.float64)
        out.append(L3dasFile(f"split4_ov2_{i + 1}", _shuffle_within_frames(rng, ref),
                             _shuffle_within_frames(rng, pred)))
    return out


def write_l3das_case(files: list[L3dasFile], ref_dir: Path, pred_dir: Path) -> None:
    """Rows ``frame,class,x,y,z`` for both sides (the official metric reads these arrays)."""
    for d, side in ((ref_dir, "ref"), (pred_dir, "pred")):
        d.mkdir(parents=True, exist_ok=True)
        for f in files:
            rows = getattr(f, side)
            text = "".join(f"{int(r[0])},{int(r[1])},{r[2]!r},{r[3]!r},{r[4]!r}\n" for r in rows.tolist())
            (d / f"{f.name}.csv").write_text(text)


@dataclass
class SeldnetFile:
    """One file of a SELDnet case: rows ``frame, class, x, y, z`` (one per class and frame) at ``frame_len``."""

    name: str
    ref: np.ndarray
    pred: np.ndarray
    n_frames: int
    frame_len: float

    def _events(self, rows: np.ndarray) -> Events:
        return Events(rows[:, 0].astype(np.int64), rows[:, 1].astype(np.int64), np.zeros(len(rows), np.int64),
                      rows[:, 2:5], None, self.frame_len, self.n_frames)

    def ref_events(self) -> Events:
        return self._events(self.ref)

    def pred_events(self) -> Events:
        return self._events(self.pred)


def _one_per_class_frame(rows: np.ndarray, num_classes: int) -> np.ndarray:
    """Keep the first row of every (frame, class), rows sorted by frame."""
    _, first = np.unique(rows[:, 0].astype(np.int64) * num_classes + rows[:, 1].astype(np.int64),
                         return_index=True)
    return rows[np.sort(first)]


def seldnet_case(seed: int, n_files: int, n_frames: tuple[int, ...], frame_len: float, num_classes: int = 11
                 ) -> list[SeldnetFile]:
    """Files at SELDnet's STFT-hop frames: static and moving events up to 3 at once, predictions with misses,
    time shifts, small and large direction errors and false alarms (some in classes never in the reference)."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n_files):
        n = n_frames[i % len(n_frames)]
        ref = []
        for _ in range(int(rng.integers(4, 12))):
            start, length = int(rng.integers(0, n - 5)), int(rng.integers(5, n // 3))
            frames = np.arange(start, min(start + length, n))
            azi = rng.uniform(-180, 180) + rng.choice([0.0, rng.uniform(-2, 2)]) * np.arange(frames.size)
            xyz = _unit(azi, np.full(frames.size, rng.uniform(-60, 60)))
            ref.append(np.column_stack([frames, np.full(frames.size, rng.integers(0, num_classes - 2)), xyz]))
        ref = _one_per_class_frame(np.concatenate(ref)[np.argsort(np.concatenate(ref)[:, 0], kind="stable")],
                                   num_classes)
        keep = rng.random(len(ref)) > 0.15
        pred = ref[keep].copy()
        pred[:, 0] = np.clip(pred[:, 0] + rng.choice([0, 0, 0, 1, -2], len(pred)), 0, n - 1)
        noise = rng.normal(0, np.where(rng.random(len(pred)) < 0.05, 2.0, 0.15)[:, None], (len(pred), 3))
        pred[:, 2:5] = pred[:, 2:5] + noise
        n_fa = int(rng.integers(3, 25))
        fa = np.column_stack([rng.integers(0, n, n_fa), rng.integers(0, num_classes, n_fa),
                              rng.normal(size=(n_fa, 3))])
        pred = np.concatenate([pred, fa])
        pred[:, 2:5] /= np.linalg.norm(pred[:, 2:5], axis=1, keepdims=True)
        pred = _one_per_class_frame(pred[np.argsort(pred[:, 0], kind="stable")], num_classes)
        out.append(SeldnetFile(f"file{i}", ref, pred, n, frame_len))
    return out
