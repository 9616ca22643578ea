"""Methods by name: ``get_method("maccdoa", distance=True)``; the names match ``seld.models.create_model``."""

from __future__ import annotations

import inspect

from seld.errors import ConfigError
from seld.methods.accdoa import ACCDOA
from seld.methods.agg import AGG, AGG1, AGG2
from seld.methods.base import Method
from seld.methods.einv2 import EINV2
from seld.methods.maccdoa import MultiACCDOA
from seld.methods.seddoa import SEDDOA

__all__ = ["get_method", "list_methods"]

_METHODS: dict[str, type[Method]] = {cls.name: cls for cls in (ACCDOA, MultiACCDOA, EINV2, AGG1, AGG2, AGG, SEDDOA)}


def list_methods() -> list[str]:
    """Names accepted by :func:`get_method`."""
    return list(_METHODS)


def get_method(name: str, **options) -> Method:
    """The method called ``name``, built with ``options`` (e.g. ``distance=True``, ``beta=0.5``, ``alpha=0.5``)."""
    if name not in _METHODS:
        raise ConfigError(f"unknown method {name!r}; choose one of {', '.join(_METHODS)}")
    cls = _METHODS[name]
    try:
        inspect.signature(cls).bind(**options)
    except TypeError as err:
        params = ", ".join(inspect.signature(cls).parameters) or "none"
        raise ConfigError(f"method {name!r} does not take the options {sorted(options)} ({err}); "
                          f"its options: {params}") from None
    return cls(**options)
