"""Run an exported ONNX model with ONNX Runtime, without torch: :func:`onnx_system`.

The file is self-describing: its ``metadata_props`` hold the task description (``seld.task``, JSON of
:meth:`seld.task.TaskSpec.to_dict`), the names of the network's outputs and the range of input lengths the
graph takes. :class:`OnnxSystem` has the calling surface of :class:`seld.system.SeldSystem` for inference
(``task``, ``forward(audio) -> outputs``, ``decode(outputs, thresholds) -> Events``) on numpy arrays, so that
``seld infer --model model.onnx`` runs the same window, augmentation and output code. Nothing here imports
torch; ACCDOA and multi-ACCDOA outputs are decoded by :mod:`seld.decode` (numpy), the track-wise
methods through :mod:`seld.methods` (which needs torch).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from seld.errors import ConfigError, FormatError, InputError
from seld.decode import NUMPY_DECODERS
from seld.task import TaskSpec

__all__ = ["OnnxSystem", "onnx_system", "METADATA_KEYS"]

#: metadata_props keys written by :func:`seld.export.export_onnx`
METADATA_KEYS = ("seld.task", "seld.outputs", "seld.min_samples", "seld.max_samples", "seld.version")


def _session(path: Path, device: str, threads: int | None):
    try:
        import onnxruntime as ort
    except ImportError:
        raise ConfigError("running ONNX models needs onnxruntime: pip install 'seld[onnx]' "
                          "(or pip install onnxruntime)") from None
    options = ort.SessionOptions()
    if threads:
        options.intra_op_num_threads = int(threads)
        options.inter_op_num_threads = 1
    providers = ["CPUExecutionProvider"]
    if device.startswith("cuda"):
        if "CUDAExecutionProvider" not in ort.get_available_providers():
            raise ConfigError(f"--device {device}: this onnxruntime has no CUDA provider; use --device cpu or "
                              f"install onnxruntime-gpu")
        providers.insert(0, "CUDAExecutionProvider")
    elif device != "cpu":
        raise ConfigError(f"unknown device {device!r}; use cpu or cuda")
    try:
        return ort.InferenceSession(str(path), options, providers=providers)
    except Exception as err:  # onnxruntime raises its own exception types (InvalidProtobuf, Fail, ...)
        raise FormatError(path, None, f"ONNX Runtime cannot load the model: {str(err).splitlines()[0]}",
                          "export it again with `seld export`") from None


class OnnxSystem:
    """An exported SELD system (front end + network) in ONNX Runtime; numpy in, numpy out.

    Args:
        path: the ``.onnx`` file written by :func:`seld.export.export_onnx` / ``seld export``.
        device: ``cpu`` or ``cuda`` (needs onnxruntime-gpu).
        threads: ONNX Runtime's intra-op threads (None: its default, all cores).
    """

    def __init__(self, path: str | Path, device: str = "cpu", threads: int | None = None):
        self.path = Path(path)
        if not self.path.is_file():
            raise InputError(self.path, "ONNX model file not found", "check the path")
        self.session = _session(self.path, device, threads)
        meta = self.session.get_modelmeta().custom_metadata_map
        if "seld.task" not in meta:
            raise FormatError(self.path, None, "the ONNX file has no seld task description (metadata seld.task)",
                              "export the model with `seld export`")
        try:
            self.task = TaskSpec.from_dict(json.loads(meta["seld.task"]), where=f"{self.path}: task description")
            self.output_names = list(json.loads(meta["seld.outputs"]))
            self.min_samples = int(meta["seld.min_samples"])
            self.max_samples = None if meta["seld.max_samples"] == "none" else int(meta["seld.max_samples"])
        except (KeyError, ValueError, ConfigError) as err:
            raise FormatError(self.path, None, f"damaged seld metadata: {err}", "export the model again") from None
        self.input_name = self.session.get_inputs()[0].name
        self.metadata = dict(meta)

    @property
    def fixed_length(self) -> bool:
        """Whether the graph takes one input length only (networks with recurrent layers)."""
        return self.max_samples is not None and self.min_samples == self.max_samples

    # ----------------------------------------------------------------------------------------------- running
    def _window(self, audio: np.ndarray):
        """One call; a fixed-length graph gets the window zero-padded and its output cut to the window's frames."""
        n = audio.shape[-1]
        if not self.fixed_length or n == self.max_samples:
            return self._run(audio)
        padded = np.zeros(audio.shape[:2] + (self.max_samples,), np.float32)
        padded[..., :n] = audio
        out = self._run(padded)
        frames = n // self.task.label_hop
        return {k: v[:, :frames] for k, v in out.items()} if isinstance(out, dict) else out[:, :frames]

    def _run(self, audio: np.ndarray):
        outs = self.session.run(self.output_names, {self.input_name: audio})
        if self.output_names == ["output"]:
            return outs[0]
        return dict(zip(self.output_names, outs))

    def forward(self, audio: np.ndarray):
        """Network output for audio ``[B, C, N]`` (float32): an array, or a dict of arrays (``sed``, ``doa``).

        Audio longer than the graph takes (the network's longest input) is cut into windows of whole label frames
        whose outputs are joined in time; each window's front end then pads its edges, where the PyTorch system
        sees the neighbouring audio (``seld infer`` windows the audio anyway). A fixed-length graph (recurrent
        networks) gets every window padded with zeros to its length and its output cut to the window.
        """
        audio = np.ascontiguousarray(audio, dtype=np.float32)
        if audio.ndim != 3 or audio.shape[1] != self.task.channels:
            raise InputError(None, f"audio of shape {audio.shape} does not fit the task "
                                   f"({self.task.channels} channels as [batch, channels, samples])")
        n = audio.shape[-1]
        if n < (self.task.label_hop if self.fixed_length else self.min_samples):
            raise InputError(None, f"audio has {n} samples, the model needs at least {self.min_samples} "
                                   f"(one label frame)", "pad the clip or pass a longer one")
        if not np.isfinite(audio).all():
            raise InputError(None, "audio contains NaN or infinite samples", "check the file")
        if self.max_samples is None or (n <= self.max_samples and not self.fixed_length):
            return self._run(audio)
        hop = self.task.label_hop
        window = self.max_samples // hop * hop
        pieces = [self._window(audio[..., s:s + window]) for s in range(0, n, window)
                  if n - s >= self.min_samples or (self.fixed_length and n - s >= hop)]
        if isinstance(pieces[0], dict):
            return {k: np.concatenate([p[k] for p in pieces], axis=1) for k in pieces[0]}
        return np.concatenate(pieces, axis=1)

    __call__ = forward

    def decode(self, output, thresholds=0.5) -> list:
        """Events of each batch item (:class:`seld.formats.Events`), at the task's label frame."""
        decoder = NUMPY_DECODERS.get(self.task.method)
        options = dict(self.task.method_options)
        if decoder is not None and set(options) <= {"distance"}:
            return decoder(output, thresholds, distance=bool(options.get("distance", False)),
                           frame_len=self.task.label_frame)
        try:
            import torch
        except ImportError:
            raise ConfigError(f"decoding {self.task.method} outputs needs torch (seld.methods); only "
                              f"{', '.join(NUMPY_DECODERS)} decode without it") from None
        method = self.task.make_method()
        if isinstance(output, dict):
            output = {k: torch.from_numpy(np.asarray(v)) for k, v in output.items()}
        else:
            output = torch.from_numpy(np.asarray(output))
        return method.decode(output, thresholds, frame_len=self.task.label_frame)

    def __repr__(self) -> str:
        return f"OnnxSystem({os.fspath(self.path)!r}, method={self.task.method}, classes={self.task.num_classes})"


def onnx_system(path: str | Path, device: str = "cpu", threads: int | None = None) -> OnnxSystem:
    """Load an ONNX model written by ``seld export`` (see :class:`OnnxSystem`); torch is not needed."""
    return OnnxSystem(path, device, threads)
