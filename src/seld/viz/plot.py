"""A PNG summary of one recording, in the spirit of SELDnet's figure (Adavanne et al., JSTSP 2018, fig. 4).

From top to bottom: the spectrogram of the first (omni) channel; one activity row per class that occurs; the
azimuth and the elevation of every active event over time, coloured by class (and its distance when the events
carry one). With a reference, the lower panels come in two columns, reference on the left and prediction on the
right, on the same axes; the file's DCASE scores go into the title. Drawn with matplotlib's Agg canvas directly
(no pyplot, no display, no global state), written atomically.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path

import numpy as np

from seld.formats.events import Events
from seld.userio import atomic_path
from seld.viz._inputs import first_channel
from seld.viz.segments import class_colors, classes_present, duration_s, events_to_segments

log = logging.getLogger(__name__)

__all__ = ["plot_recording", "format_scores"]

#: The spectrogram is computed on at most this many STFT frames (the hop grows for long recordings).
MAX_SPEC_FRAMES = 2400
#: Dynamic range of the spectrogram image, dB below its maximum.
SPEC_RANGE_DB = 80.0
_WIDTH_IN = 12.0
_DPI = 100


def format_scores(scores: dict | None) -> str:
    """``"ER 0.32 · F 0.71 · LE 18.3° · ..."``: numbers with 3 significant digits, angle errors with a degree sign."""
    if not scores:
        return ""
    parts = []
    for k, v in scores.items():
        if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool):
            v = float(v)
            if math.isnan(v):
                text = "nan"
            elif str(k).upper().startswith("LE"):
                text = f"{v:.1f}°"
            else:
                text = f"{v:.3g}"
        else:
            text = str(v)
        parts.append(f"{k} {text}")
    return " · ".join(parts)


def _spectrogram(x: np.ndarray, sample_rate: int) -> tuple[np.ndarray, float]:
    """Log-magnitude STFT [F, T] in dB (Hann window of about 40 ms) and the hop in seconds."""
    n_fft = 1 << max(6, math.ceil(math.log2(0.04 * sample_rate)))
    if len(x) < n_fft:
        x = np.pad(x, (0, n_fft - len(x)))
    hop = max(n_fft // 4, math.ceil((len(x) - n_fft) / MAX_SPEC_FRAMES))
    frames = np.lib.stride_tricks.sliding_window_view(x, n_fft)[::hop]
    mag = np.abs(np.fft.rfft(frames * np.hanning(n_fft), axis=1)).T
    return 20.0 * np.log10(mag + 1e-10), hop / float(sample_rate)


def _activity(ax, table: Events, rows: dict[int, int], colors: list[str]) -> None:
    for span in events_to_segments(table):
        ax.broken_barh([(span.start, span.end - span.start)], (rows[span.cls] - 0.38, 0.76),
                       facecolors=colors[span.cls], edgecolors="none")


def _scatter(ax, table: Events, values: np.ndarray, colors: list[str]) -> None:
    if len(table):
        t = (table.frame + 0.5) * float(table.frame_len)
        ax.scatter(t, values, s=7, c=[colors[c] for c in table.cls], linewidths=0, rasterized=True)


def plot_recording(path_png, audio: np.ndarray, sample_rate: int, pred: Events, classes: list[str],
                   ref: Events | None = None, title: str = "", scores: dict | None = None) -> Path:
    """Write a PNG summary of one recording and its predicted (and reference) events; returns the path.

    Args:
        path_png: file to write (folders are created; written through a temporary file and a rename).
        audio: [C, N] samples; the spectrogram shows channel 0 (W of FOA).
        sample_rate: Hz.
        pred: predicted events; ``classes[pred.cls]`` names them.
        classes: class names by index.
        ref: reference events, drawn beside the prediction on the same axes when given.
        title: first title line (e.g. the file name).
        scores: the file's DCASE scores (``{"ER": 0.3, "F": 0.7, "LE": 18.0, "LR": 0.8, "SELD": 0.28}``), shown
            in the title.
    """
    # Imported here: matplotlib costs a few tenths of a second and only plotting needs it.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    x, _, sample_rate = first_channel(audio, sample_rate, pred, classes, ref)
    names = [str(c) for c in classes]
    colors = class_colors(len(names))
    present = classes_present(pred, ref)
    rows = {c: i for i, c in enumerate(present)}
    tables = [("Reference", ref), ("Prediction", pred)] if ref is not None else [("Prediction", pred)]
    has_dist = any(t.has_dist for _, t in tables)
    dur = duration_s(len(x), sample_rate, pred, ref)
    # one distance scale for both columns
    dist_top = max([1.0] + [1.05 * float(t.dist.max()) for _, t in tables if t.has_dist and len(t)])

    heights = [2.2, max(1.0, 0.28 * len(present) + 0.5), 1.7, 1.4] + ([1.2] if has_dist else [])
    fig = Figure(figsize=(_WIDTH_IN, sum(heights) + 1.9), dpi=_DPI)
    FigureCanvasAgg(fig)
    grid = fig.add_gridspec(len(heights), len(tables), height_ratios=heights, hspace=0.32, wspace=0.08,
                            left=0.13, right=0.98, top=1 - 1.0 / (sum(heights) + 1.9),
                            bottom=0.9 / (sum(heights) + 1.9))

    spec, hop_s = _spectrogram(x, sample_rate)
    ax = fig.add_subplot(grid[0, :])
    top = float(spec.max())
    ax.imshow(spec, origin="lower", aspect="auto", cmap="magma", vmin=top - SPEC_RANGE_DB, vmax=top,
              extent=(0.0, spec.shape[1] * hop_s, 0.0, sample_rate / 2000.0), interpolation="nearest")
    ax.set_xlim(0.0, dur)
    ax.set_ylabel("kHz")
    ax.set_title(f"spectrogram, channel 0 ({sample_rate} Hz)", fontsize=9, loc="left")
    spec_ax = ax

    for col, (label, table) in enumerate(tables):
        axes = [fig.add_subplot(grid[r, col], sharex=spec_ax) for r in range(1, len(heights))]
        act, azi_ax, ele_ax = axes[:3]
        act.set_title(label, fontsize=10, fontweight="bold")
        _activity(act, table, rows, colors)
        act.set_ylim(max(len(present), 1) - 0.5, -0.5)
        act.set_yticks(range(len(present)))
        act.set_yticklabels([names[c] for c in present] if col == 0 else [], fontsize=8)
        if col == 0:
            for tick, c in zip(act.get_yticklabels(), present):
                tick.set_color(colors[c])
        if not present:
            act.set_yticks([])
            act.text(0.5, 0.5, "no events", transform=act.transAxes, ha="center", va="center", color="0.4")
        act.grid(axis="x", alpha=0.3)
        azi, ele = table.azi_ele()
        _scatter(azi_ax, table, azi, colors)
        azi_ax.set_ylim(-180, 180)
        azi_ax.set_yticks([-180, -90, 0, 90, 180])
        _scatter(ele_ax, table, ele, colors)
        ele_ax.set_ylim(-90, 90)
        ele_ax.set_yticks([-90, -45, 0, 45, 90])
        if has_dist:
            d_ax = axes[3]
            if table.has_dist:
                _scatter(d_ax, table, table.dist, colors)
            else:
                d_ax.text(0.5, 0.5, "no distance", transform=d_ax.transAxes, ha="center", va="center",
                          color="0.4")
            d_ax.set_ylim(0.0, dist_top)
        if col == 0:
            azi_ax.set_ylabel("azimuth (°)")
            ele_ax.set_ylabel("elevation (°)")
            if has_dist:
                axes[3].set_ylabel("distance (m)")
        else:
            for a in axes[1:]:
                a.tick_params(labelleft=False)
        for a in axes:
            a.grid(alpha=0.3)
            a.set_xlim(0.0, dur)
            if a is not axes[-1]:
                a.tick_params(labelbottom=False)
        axes[-1].set_xlabel("time (s)")

    if present:
        handles = [Patch(color=colors[c], label=names[c]) for c in present]
        fig.legend(handles=handles, loc="lower center", ncol=min(len(handles), 7), fontsize=8, frameon=False,
                   bbox_to_anchor=(0.5, 0.0))
    lines = [t for t in (title, format_scores(scores)) if t]
    if lines:
        fig.suptitle("\n".join(lines), fontsize=11)

    with atomic_path(path_png) as tmp:
        fig.savefig(tmp, format="png", dpi=_DPI)
    log.debug("wrote %s", path_png)
    return Path(path_png)

