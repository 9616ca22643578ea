"""Reference weights and outputs computed by the original implementations (PSELDNets, the DCASE2023/2024 task 3
baselines), stored as numbers in tests/models/assets; assets/README.md says which commit, configuration, seeds
and input produced them.

Each ``.npz`` holds a JSON ``manifest`` and arrays ``a0, a1, ...``. A case of the manifest maps the keys of the
original module's ``state_dict()`` and the names of its outputs to array names (equal tensors are stored once).
Floating weights were rounded to float16-representable values before the reference was run and are stored as
float16, so reading them back as float32 gives the original's weights exactly; outputs are float32.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

ASSETS = Path(__file__).resolve().parent / "assets"
PSELDNETS = ASSETS / "pseldnets_reference.npz"
DCASE = ASSETS / "dcase_baselines.npz"
FULL_SIZE_LAYOUTS = ASSETS / "pseldnets_full_size_layouts.json.gz"


@dataclass
class Case:
    """One reference: the original model's state dict, its outputs on :func:`formula_input` (``info["input"]``)
    and what the manifest says about it."""

    name: str
    state: dict[str, torch.Tensor]
    outputs: dict[str, torch.Tensor]
    info: dict = field(default_factory=dict)

    def input(self) -> torch.Tensor:
        return formula_input(self.info["input"])


def _tensor(array: np.ndarray) -> torch.Tensor:
    t = torch.from_numpy(np.array(array))
    return t.float() if t.is_floating_point() else t


@lru_cache(maxsize=None)
def _load(path: Path) -> tuple[dict, dict[str, np.ndarray]]:
    with np.load(path, allow_pickle=False) as z:
        manifest = json.loads(str(z["manifest"]))
        arrays = {k: z[k] for k in z.files if k != "manifest"}
    return manifest, arrays


def case_names(path: Path) -> list[str]:
    return list(_load(path)[0]["cases"])


def load_case(path: Path, name: str) -> Case:
    manifest, arrays = _load(path)
    entry = manifest["cases"][name]
    info = {k: v for k, v in entry.items() if k not in ("state", "outputs")}
    return Case(name, {k: _tensor(arrays[a]) for k, a in entry["state"].items()},
                {k: _tensor(arrays[a]) for k, a in entry["outputs"].items()}, info)


def manifest(path: Path) -> dict:
    return _load(path)[0]


def formula_input(shape) -> torch.Tensor:
    """The input the references were computed on, exact in float32 on every machine: flat row-major index ``i``
    -> ``(((i * 2654435761) mod 2**32) >> 20) - 2048) / 1024``, values k / 1024 in [-2, 2)."""
    n = int(np.prod(shape))
    i = np.arange(n, dtype=np.int64)
    h = ((i * 2654435761) % (1 << 32)) >> 20
    return torch.from_numpy(((h - 2048).astype(np.float32) / np.float32(1024)).reshape(tuple(shape)))


def full_size_layouts() -> dict[str, dict[str, tuple[int, ...]]]:
    """Key -> shape of PSELDNets' full-size models (K = 170, and an AdapterBit mACCDOA-HTSAT with K = 13)."""
    with gzip.open(FULL_SIZE_LAYOUTS, "rt", encoding="utf-8") as f:
        data = json.load(f)
    return {name: {k: tuple(s) for k, s in keys.items()} for name, keys in data.items()}
