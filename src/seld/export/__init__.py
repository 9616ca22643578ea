"""Export a trained SELD system (front end + network) to ONNX, and run it without torch.

- :func:`export_onnx` (``seld export CKPT model.onnx``; needs torch, onnx and onnxscript): one graph from
  audio ``[B, C, N]`` to the network's output, dynamic in batch and samples, the task description in the
  file's metadata.
- :func:`onnx_system` (needs numpy and onnxruntime only): an object with ``task``, ``forward(audio)`` and
  ``decode(output, thresholds)``, like :class:`seld.system.SeldSystem`.

Importing this package does not import torch.
"""

from seld.export.runtime import OnnxSystem, onnx_system

__all__ = ["export_onnx", "onnx_system", "OnnxSystem"]


def export_onnx(*args, **kwargs):
    """See :func:`seld.export.onnx_export.export_onnx` (imported on use: it needs torch)."""
    from seld.export.onnx_export import export_onnx as _export

    return _export(*args, **kwargs)
