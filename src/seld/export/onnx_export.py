"""Export a SELD system (front end + network) to ONNX with torch's exporter (``torch.onnx.export(dynamo=True)``,
which needs ``onnxscript``).

One graph maps audio ``[B, C, N]`` (float32) to the network's output, dynamic in the batch and the samples: the
STFT becomes ONNX's ``STFT`` operator (opset >= 17), so the front end runs inside the graph and gives the
PyTorch front end's features. Networks with a longest input (HTS-AT's canvas, PaSST's time embedding) take at
most that many samples per call; :class:`seld.export.OnnxSystem` cuts longer audio into windows. The task
description and those limits go into the file's ``metadata_props``.

Recurrent layers (the GRUs of the DCASE CRNN and SELDnet) are unrolled over time by torch's exporter, so such
networks are exported for one fixed input length, the task's training chunk; so are networks whose length
arithmetic ``torch.export`` cannot prove for every length (measured: CNN14-Conformer, whose pooled length is
repeated back to the frame rate). :class:`seld.export.OnnxSystem` feeds a fixed-length graph windows of exactly
that length (the last one zero-padded, its extra frames dropped).

While exporting, the models run their plain PyTorch operators (no oneDNN shortcuts; see
:mod:`seld.models.layers`).
"""

from __future__ import annotations

import json
import logging
import re
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from seld import __version__
from seld.errors import ConfigError
from seld.userio import atomic_path

__all__ = ["export_onnx", "ExportReport", "input_range"]

log = logging.getLogger(__name__)


@dataclass
class ExportReport:
    """What :func:`export_onnx` wrote: the file, the input lengths its graph takes (samples; ``max_samples``
    None: any), its outputs, and the largest difference between ONNX Runtime and PyTorch on a check input
    (None when not checked)."""

    path: Path
    min_samples: int
    max_samples: int | None
    outputs: list[str]
    max_abs_diff: float | None
    seconds: float


def input_range(system) -> tuple[int, int | None]:
    """Fewest and most audio samples one call of ``system`` takes: at least one label frame, at most the
    network's longest input (None: no limit)."""
    frontend, model = system.frontend, system.model
    fpl = model.frames_per_label
    lo = max(system.task.label_hop, frontend.n_fft // 2 + 1)
    while frontend.n_frames(lo) < fpl:
        lo += 1
    limit = model.encoder.max_frames
    if limit is None:
        return lo, None
    hi = max(lo, limit * frontend.hop_length + frontend.n_fft)
    while frontend.n_frames(hi) > limit:
        hi -= 1
    if hi < lo:
        raise ConfigError(f"the network takes at most {limit} frames, fewer than one label frame")
    return lo, hi


def _recurrent(module: torch.nn.Module) -> bool:
    return any(isinstance(m, torch.nn.RNNBase) for m in module.modules())


_GUARD_LO = re.compile(r"generated guard (\d+) <= L\['flat_args'\]\[0\]\.size\(\)\[2\]")
_GUARD_HI = re.compile(r"L\['flat_args'\]\[0\]\.size\(\)\[2\] <= (\d+)")


def _export(system, audio, names, lo, hi, opset):
    """``torch.onnx.export`` with a dynamic batch and, unless ``lo == hi``, dynamic samples in ``[lo, hi]``;
    when the exporter finds the graph needs a narrower range (e.g. enough frames for every pooling step), the
    range it names is taken. Returns the program and the range."""
    for _ in range(4):
        if lo == hi:
            dims = {0: torch.export.Dim("batch", min=1, max=4096)}
        else:
            samples = torch.export.Dim("samples", min=lo, max=hi) if hi else torch.export.Dim("samples", min=lo)
            dims = {0: torch.export.Dim("batch", min=1, max=4096), 2: samples}
        try:
            with torch.no_grad():
                program = torch.onnx.export(system, (audio,), input_names=["audio"], output_names=names,
                                            dynamic_shapes={"audio": dims}, opset_version=opset, dynamo=True,
                                            verbose=False)
            return program, lo, hi
        except ImportError as err:
            raise ConfigError(f"ONNX export needs onnx and onnxscript ({err}): pip install 'seld[onnx]'") from None
        except Exception as err:  # torch.export raises several types; only a narrower input range is retried
            text = str(err)
            m_lo, m_hi = _GUARD_LO.search(text), _GUARD_HI.search(text)
            new_lo = max(lo, int(m_lo.group(1))) if m_lo else lo
            new_hi = int(m_hi.group(1)) if m_hi else hi
            if hi is not None and new_hi is not None:
                new_hi = min(hi, new_hi)
            if (new_lo, new_hi) == (lo, hi) or (new_hi is not None and new_hi < new_lo):
                raise
            log.info("export: input range narrowed to %s..%s samples", new_lo, new_hi)
            lo, hi = new_lo, new_hi
    raise ConfigError("torch.export kept narrowing the input range; the model cannot be exported")


def _names(out) -> list[str]:
    return list(out) if isinstance(out, dict) else ["output"]


def _flat(out) -> list[np.ndarray]:
    return [v.numpy() for v in out.values()] if isinstance(out, dict) else [out.numpy()]


def export_onnx(source, out: str | Path, *, opset: int = 18, verify: bool = True, seed: int = 0) -> ExportReport:
    """Write ``source`` (a seld checkpoint path or a :class:`~seld.system.SeldSystem`) to ``out`` as ONNX.

    ``verify`` runs the file in ONNX Runtime on seeded noise (batch 2, the longest input, up to one training
    chunk) and reports the largest difference from PyTorch.
    """
    from seld.system import SeldSystem, load_system

    start = time.perf_counter()
    system = source if isinstance(source, SeldSystem) else load_system(source)
    system = system.cpu().eval()
    if getattr(system.model, "pack_short", False):
        raise ConfigError("models that pack short clips (pack_short) cannot be exported; rebuild it without")
    task = system.task
    lo, hi = input_range(system)
    n = min(task.chunk_samples, hi) if hi is not None else task.chunk_samples
    if _recurrent(system.model):  # unrolled over time by the exporter: one fixed length
        lo = hi = n = max(n, lo)
    gen = torch.Generator().manual_seed(seed)
    audio = 0.1 * torch.randn(2, task.channels, n, generator=gen)
    with torch.no_grad():
        reference = system(audio)
    names = _names(reference)
    out = Path(out)
    try:
        program, lo, hi = _export(system, audio, names, lo, hi, opset)
    except ConfigError:
        raise
    except Exception as err:  # torch.export cannot express the graph for every length: one length then
        if lo == hi:
            raise
        log.warning("%s: no graph for dynamic lengths (%s); exporting for %d samples only", out,
                    str(err).strip().splitlines()[-1][:200], n)
        program, lo, hi = _export(system, audio, names, n, n, opset)
    import onnx

    model = program.model_proto
    meta = {"seld.task": json.dumps(task.to_dict()), "seld.outputs": json.dumps(names),
            "seld.min_samples": str(lo), "seld.max_samples": "none" if hi is None else str(hi),
            "seld.version": __version__}
    del model.metadata_props[:]
    for key, value in meta.items():
        model.metadata_props.add(key=key, value=value)
    model.producer_name = "seld"
    with atomic_path(out) as tmp:
        onnx.save_model(model, str(tmp))
    diff = None
    if verify:
        from seld.export.runtime import onnx_system

        got = onnx_system(out).forward(audio.numpy())
        got = [got[k] for k in names] if isinstance(got, dict) else [got]
        diff = max(float(np.abs(a - b).max()) for a, b in zip(got, _flat(reference)))
        log.info("%s: ONNX Runtime vs PyTorch, largest difference %.3g", out, diff)
    return ExportReport(out, lo, hi, names, diff, time.perf_counter() - start)
