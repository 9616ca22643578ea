"""Which network runs: built-in model names, checkpoint paths, and the runner that feeds it numpy audio.

``--model`` takes a built-in NAME (:data:`BUILTIN_MODELS`, files shipped inside the package) or a path. The
loader is chosen by the file's suffix in one place, :data:`LOADERS`: ``.ckpt`` / ``.pt`` / ``.pth`` (and any
other suffix) are seld checkpoints read by :func:`seld.system.load_system`; ``.onnx`` files written by
``seld export`` run on ONNX Runtime (:func:`seld.export.onnx_system`), without torch.

Inference code talks to a *runner* (:class:`Runner`): ``task`` (the :class:`~seld.task.TaskSpec`),
``forward(audio [B, C, N] float32 numpy) -> network output as numpy`` (an array, or a dict of arrays for the
two-branch methods) and ``decode(output, thresholds) -> list[Events]``. :class:`TorchRunner` wraps a
:class:`~seld.system.SeldSystem`; an ONNX runner only has to provide the same three members, so the window,
test-time augmentation, streaming and output code stays the same.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Callable, Protocol

import numpy as np

from seld.errors import ConfigError, InputError
from seld.task import TaskSpec

__all__ = ["BUILTIN_MODELS", "LOADERS", "Runner", "TorchRunner", "resolve_model", "load_model", "as_runner",
           "model_card"]

logger = logging.getLogger(__name__)

#: Built-in model name -> checkpoint file inside the ``seld`` package (relative to ``src/seld``); its model card is
#: the file beside it with the suffix ``.md``.
BUILTIN_MODELS: dict[str, str] = {"default": "pretrained/default.ckpt"}

#: Suffixes that mark a path even when the file does not exist (so that a typo is "file not found", not
#: "unknown model name").
_PATH_SUFFIXES = (".ckpt", ".pt", ".pth", ".onnx")


class Runner(Protocol):
    """What inference needs of a network (see the module docstring)."""

    task: TaskSpec

    def forward(self, audio: np.ndarray) -> np.ndarray | dict[str, np.ndarray]:
        ...

    def decode(self, output, thresholds=0.5) -> list:
        ...


class TorchRunner:
    """A :class:`~seld.system.SeldSystem` in evaluation mode on ``device``, fed numpy and returning numpy.

    Args:
        system: the front end + network + decoder.
        device: ``cpu``, ``cuda`` or ``cuda:N``.
        compile: run the network through ``torch.compile`` (the front end stays eager). The first call of each
            input shape compiles (20-40 s for HTS-AT or PaSST on a 2-core CPU, where a C++ compiler is needed).
            Measured there (batch 4 x 10 s, 2 threads) it was slower than the eager network, whose linear layers
            already run on oneDNN: HTS-AT 0.46 s against 0.41 s, PaSST 2.16 s against 1.60 s; it may pay on a GPU.
    """

    def __init__(self, system, device: str = "cpu", compile: bool = False):
        import torch

        if device.startswith("cuda") and not torch.cuda.is_available():
            raise ConfigError(f"--device {device}: this torch has no CUDA device; use --device cpu")
        try:
            self.device = torch.device(device)
        except RuntimeError as err:
            raise ConfigError(f"unknown device {device!r} ({err}); use cpu or cuda") from None
        self.system = system.to(self.device).eval()
        self.task: TaskSpec = system.task
        self._network = torch.compile(system.model) if compile else system.model

    def forward(self, audio: np.ndarray):
        import torch

        with torch.inference_mode():
            audio = torch.from_numpy(np.ascontiguousarray(audio, dtype=np.float32)).to(self.device)
            out = self._network(self.system.features(audio))
        if isinstance(out, dict):
            return {k: v.float().cpu().numpy() for k, v in out.items()}
        return out.float().cpu().numpy()

    def decode(self, output, thresholds=0.5) -> list:
        import torch

        if isinstance(output, dict):
            output = {k: torch.from_numpy(np.asarray(v)) for k, v in output.items()}
        else:
            output = torch.from_numpy(np.asarray(output))
        return self.system.decode(output, thresholds)


def _load_checkpoint(path: Path, device: str, compile: bool = False) -> TorchRunner:
    from seld.system import load_system

    return TorchRunner(load_system(path), device, compile=compile)


def _load_onnx(path: Path, device: str, compile: bool = False):
    if compile:
        raise ConfigError(f"{path}: --compile applies to PyTorch checkpoints; ONNX Runtime optimises the graph "
                          "itself, drop --compile")
    from seld.export import onnx_system     # ONNX Runtime only: no torch on this path

    return onnx_system(path, device)


#: File suffix -> loader ``(path, device, compile=False) -> Runner``; suffixes not listed are read as seld
#: checkpoints.
LOADERS: dict[str, Callable[..., Runner]] = {".onnx": _load_onnx}


def resolve_model(spec: str | Path) -> Path:
    """The file behind ``--model``: an existing path, or a built-in name. Unknown names and missing paths are
    errors that say what to give instead."""
    text = str(spec)
    path = Path(text).expanduser()
    if path.is_file():
        return path
    if path.exists():
        raise InputError(path, "is a folder, not a model file", "give a checkpoint file (.ckpt)")
    if text in BUILTIN_MODELS:
        builtin = _builtin_file(text)
        if not builtin.is_file():
            raise InputError(builtin, f"the file of the built-in model {text!r} is missing",
                             "reinstall seld, or give a checkpoint path")
        return builtin
    if path.suffix.lower() in _PATH_SUFFIXES or "/" in text or "\\" in text:
        raise InputError(path, "model file not found", "check the path")
    names = ", ".join(sorted(BUILTIN_MODELS)) or "none yet"
    raise ConfigError(f"unknown model {text!r}; built-in models: {names}; or give a checkpoint path")


def _builtin_file(name: str) -> Path:
    import seld

    return Path(seld.__file__).resolve().parent / BUILTIN_MODELS[name]


def model_card(name: str) -> str:
    """The model card (Markdown) of the built-in model ``name``."""
    if name not in BUILTIN_MODELS:
        raise ConfigError(f"no built-in model {name!r}; built-in models: {', '.join(sorted(BUILTIN_MODELS)) or 'none'}")
    path = _builtin_file(name).with_suffix(".md")
    if not path.is_file():
        raise InputError(path, f"the model card of the built-in model {name!r} is missing", "reinstall seld")
    return path.read_text(encoding="utf-8")


def load_model(spec: str | Path, device: str = "cpu", compile: bool = False) -> Runner:
    """The runner of ``--model`` (a built-in name or a path), its loader chosen by the file suffix;
    ``compile``: see :class:`TorchRunner`."""
    path = resolve_model(spec)
    loader = LOADERS.get(path.suffix.lower(), _load_checkpoint)
    runner = loader(path, device, compile=compile)
    logger.info("model %s: %s", path, runner.task.describe())
    return runner


def as_runner(model, device: str = "cpu") -> Runner:
    """A runner from what a caller holds: a runner, a :class:`~seld.system.SeldSystem`, or a model name/path."""
    if isinstance(model, (str, Path)):
        return load_model(model, device)
    if hasattr(model, "forward") and hasattr(model, "decode") and hasattr(model, "task"):
        try:
            from torch import nn
        except ImportError:  # pragma: no cover - the ONNX path without torch
            return model
        if isinstance(model, nn.Module):
            return TorchRunner(model, device)
        return model
    raise ConfigError(f"cannot run {type(model).__name__}: give a SeldSystem, a runner or a model path")
