"""Registry of named model configurations and the ``create_model`` factory (the timm pattern).

Each backbone file registers small variant functions with :func:`register_model`; a variant only sets
hyper-parameters (``htsat`` = the PSELDNets HTS-AT, ``test_htsat`` = a tiny one for tests).
``create_model(name, method=..., num_classes=..., in_channels=...)`` looks the name up, drops ``None``
overrides (so "not set" means "variant default"), builds the model with a seeded, local random generator state
and records the arguments in ``model.config`` so that a checkpoint can rebuild it.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import Callable

import torch
from torch import nn

from seld.errors import ConfigError

__all__ = ["register_model", "create_model", "list_models", "list_methods", "get_model_entry", "count_parameters",
           "ModelEntry"]


@dataclass(frozen=True)
class ModelEntry:
    """A registered variant: its builder, the module defining it and a one-line description."""

    name: str
    fn: Callable[..., nn.Module]
    module: str
    description: str


_REGISTRY: dict[str, ModelEntry] = {}


def register_model(fn: Callable[..., nn.Module]) -> Callable[..., nn.Module]:
    """Decorator registering ``fn`` under its function name."""
    name = fn.__name__
    if name in _REGISTRY:
        raise ValueError(f"model {name!r} is registered twice")
    doc = (fn.__doc__ or "").strip().splitlines()
    _REGISTRY[name] = ModelEntry(name, fn, fn.__module__, doc[0] if doc else "")
    return fn


def _load_builtin() -> None:
    import seld.models.backbones  # noqa: F401  (registers the built-in variants)


def list_models(pattern: str = "*") -> list[str]:
    """Names of the registered variants matching a shell-style ``pattern``, sorted."""
    _load_builtin()
    return sorted(n for n in _REGISTRY if fnmatch.fnmatch(n, pattern))


def list_methods() -> tuple[str, ...]:
    """The output methods every backbone supports."""
    from seld.models.heads import METHODS

    return METHODS


def get_model_entry(name: str) -> ModelEntry:
    """The registry entry of ``name``; a :class:`~seld.errors.ConfigError` lists the known names otherwise."""
    _load_builtin()
    if name not in _REGISTRY:
        raise ConfigError(f"unknown model {name!r}; registered models: {', '.join(sorted(_REGISTRY))}")
    return _REGISTRY[name]


def create_model(name: str, method: str = "maccdoa", num_classes: int = 13, in_channels: int | None = None, *,
                 seed: int = 0, adapter: str | dict | None = None, **kwargs) -> nn.Module:
    """Build the registered model ``name`` with the output ``method`` for ``num_classes`` classes.

    ``in_channels`` (and any other keyword left ``None``) falls back to the variant's default; other keywords
    override model options (``n_freq``, ``distance``, ``two_branch``, ``frames_per_label``, ``pack_short``, ...)
    or backbone hyper-parameters. ``adapter`` adds AdapterBit or LoRA and freezes the rest (see
    :func:`seld.models.adapters.apply_adaptation`). Weights are initialised from ``seed`` without touching the
    global random state. Build inside ``with torch.device("meta"):`` to count parameters without allocating.
    """
    entry = get_model_entry(name)
    kwargs = {k: v for k, v in kwargs.items() if v is not None}
    if in_channels is not None:
        kwargs["in_channels"] = in_channels
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = entry.fn(method=method, num_classes=num_classes, **kwargs)
        if adapter is not None:
            from seld.models.adapters import apply_adaptation

            adapter = apply_adaptation(model, adapter)
    config = {"name": name, "method": method, "num_classes": num_classes, "in_channels": model.in_channels,
              **{k: _plain(v) for k, v in kwargs.items() if k != "in_channels"}}
    if adapter is not None:
        config["adapter"] = adapter
    model.config = config
    return model


def count_parameters(name: str, method: str = "maccdoa", num_classes: int = 13, **kwargs) -> int:
    """Number of parameters of ``create_model(name, method, num_classes, **kwargs)``, built on the meta device
    (nothing is allocated, so even the 180 M-parameter CNN14-Conformer counts in milliseconds)."""
    with torch.device("meta"):
        model = create_model(name, method=method, num_classes=num_classes, **kwargs)
    return sum(p.numel() for p in model.parameters())


def _plain(value):
    """Tuples become lists so that configs compare equal after a JSON or checkpoint round trip."""
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value
