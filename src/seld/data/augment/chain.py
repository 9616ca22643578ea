"""Augmentation chains: which augmentations run on waveforms and on features, and PSELDNets' "AugMix" scheme.

A training step calls :meth:`AugmentChain.apply_wave` on the loaded batch, runs the front end, then calls
:meth:`AugmentChain.apply_features`, then encodes the targets from the batch's events and activity.

Without ``augmix`` the waveform augmentations run in their listed order on the batch; on features, one random
non-empty subset of the feature augmentations (uniform over the 2^n - 1 subsets) runs in a random order
(PSELDNets' ``augment_data``), or all of them in their listed order with ``feature_subset=False``.

With ``augmix`` (PSELDNets' chain scheme from Hu et al., DCASE 2022; not Hendrycks' AugMix, there is no
consistency loss): ``apply_wave`` first triples the batch to [original | copy 1 | copy 2] (events and activity
copied) and runs the waveform augmentations on all three thirds; ``apply_features`` leaves the first third as it
is and gives the second and the third each their own random subset of the feature augmentations in random order.

Presets (:data:`PRESETS`, PSELDNets' ``configs/augment``):

- ``pseldnets_augment``: rotate (48 variants, p 0.8), wavmix | specaug, crop, freqshift, trackmix; no augmix.
- ``pseldnets_augmix``: the same with augmix (PSELDNets' pre-training and L3DAS22 fine-tuning).
- ``pseldnets_augmix1``: rotate (16 variants, p 0.8) | specaug, crop, freqshift; augmix (DCASE2021, STARSS23).
- ``none``: nothing.

A configuration is a preset name, an :class:`AugmentChain`, a list of augmentations (split by domain, no augmix),
or a mapping ``{"preset" (or "name"): NAME (optional), "augmix": bool, "wave": [...], "feature": [...],
"feature_subset": bool}`` (keys given override the preset's), where each augmentation is a name, a mapping
``{"name": NAME, **kwargs}`` or an :class:`~seld.data.augment.base.Augmentation`. Mappings and lists may be
Hydra/OmegaConf containers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import torch

from seld.data.augment.base import Augmentation, concat, copy_events, permutation, randint, take
from seld.data.augment.mix import TrackMix, WavMix
from seld.data.augment.mono import MonoToFoa
from seld.data.augment.rotate import FoaRotation, MicChannelSwap
from seld.data.augment.spec import Crop, FreqShift, SpecAugment
from seld.data.batch import LabelledBatch
from seld.errors import ConfigError

__all__ = ["AugmentChain", "build_augmentation", "create_augmentation", "AUGMENTATIONS", "PRESETS"]

#: Augmentations by configuration name.
AUGMENTATIONS: dict[str, type[Augmentation]] = {
    cls.name: cls for cls in (FoaRotation, MicChannelSwap, WavMix, TrackMix, SpecAugment, Crop, FreqShift, MonoToFoa)
}

#: Named chains (PSELDNets' augmentation presets).
PRESETS: dict[str, dict] = {
    "none": {"augmix": False, "wave": [], "feature": []},
    "pseldnets_augment": {"augmix": False,
                          "wave": [{"name": "rotate", "variants": 48, "p": 0.8}, {"name": "wavmix"}],
                          "feature": ["specaug", "crop", "freqshift", "trackmix"]},
    "pseldnets_augmix": {"augmix": True,
                         "wave": [{"name": "rotate", "variants": 48, "p": 0.8}, {"name": "wavmix"}],
                         "feature": ["specaug", "crop", "freqshift", "trackmix"]},
    "pseldnets_augmix1": {"augmix": True,
                          "wave": [{"name": "rotate", "variants": 16, "p": 0.8}],
                          "feature": ["specaug", "crop", "freqshift"]},
}


def create_augmentation(spec) -> Augmentation:
    """One augmentation from a name, a mapping ``{"name": NAME, **kwargs}`` or an instance."""
    if isinstance(spec, Augmentation):
        return spec
    if isinstance(spec, str):
        name, kwargs = spec, {}
    elif isinstance(spec, Mapping):
        kwargs = {str(k): v for k, v in spec.items()}
        name = kwargs.pop("name", None)
        if name is None:
            raise ConfigError(f"an augmentation entry needs a 'name' ({', '.join(AUGMENTATIONS)}), got {dict(spec)}")
    else:
        raise ConfigError(f"an augmentation is a name, a mapping with 'name' or an Augmentation, got {spec!r}")
    cls = AUGMENTATIONS.get(str(name))
    if cls is None:
        raise ConfigError(f"unknown augmentation {name!r}; use one of {', '.join(AUGMENTATIONS)}")
    try:
        return cls(**kwargs)
    except TypeError as err:
        raise ConfigError(f"augmentation {name!r}: {err}") from None


class AugmentChain:
    """Waveform and feature augmentations of a training step (module docstring).

    Attributes:
        wave: waveform augmentations, run in order.
        feature: feature augmentations (a random non-empty subset in random order, or all in order).
        augmix: PSELDNets' tripled-batch scheme.
        feature_subset: draw a random subset of ``feature`` (True) or run all of them in order (False).
    """

    def __init__(self, wave: Sequence[Augmentation] = (), feature: Sequence[Augmentation] = (),
                 augmix: bool = False, feature_subset: bool = True):
        self.wave = [create_augmentation(a) for a in wave]
        self.feature = [create_augmentation(a) for a in feature]
        for aug, where in [(a, "wave") for a in self.wave] + [(a, "feature") for a in self.feature]:
            if aug.domain != where:
                raise ConfigError(f"{aug.name} is a {aug.domain} augmentation but is listed under '{where}'")
        self.augmix = bool(augmix)
        self.feature_subset = bool(feature_subset)

    @property
    def multiplier(self) -> int:
        """How many items the network sees per loaded item (3 with augmix)."""
        return 3 if self.augmix else 1

    def __bool__(self) -> bool:
        return bool(self.wave or self.feature or self.augmix)

    def apply_wave(self, batch: LabelledBatch, generator: torch.Generator) -> LabelledBatch:
        """Triple the batch (augmix) and run the waveform augmentations on all of it."""
        if self.augmix:
            copies = [batch.replace(events=[copy_events(e) for e in batch.events],
                                    activity=[None if a is None else np.array(a, np.float64)
                                              for a in batch.activity]) for _ in range(2)]
            batch = concat([batch] + copies)
        for aug in self.wave:
            batch = aug(batch, generator)
        return batch

    def apply_features(self, batch: LabelledBatch, generator: torch.Generator) -> LabelledBatch:
        """Run the feature augmentations: on the second and third thirds (augmix) or on the whole batch."""
        if not self.feature:
            return batch
        if not self.augmix:
            return self._run_features(batch, generator)
        n = len(batch)
        if n % 3:
            raise ConfigError(f"augmix expects the tripled batch of apply_wave, but the batch has {n} items "
                              f"(not a multiple of 3)")
        third = n // 3
        parts = [take(batch, slice(0, third))]
        for k in (1, 2):
            parts.append(self._run_features(take(batch, slice(k * third, (k + 1) * third)), generator))
        return concat(parts)

    def draw_features(self, generator: torch.Generator) -> list[Augmentation]:
        """The feature augmentations of one run: a uniform non-empty subset in random order, or all."""
        if not self.feature_subset:
            return list(self.feature)
        m = len(self.feature)
        code = int(randint(generator, 1, 2**m, 1)[0])
        picked = [a for i, a in enumerate(self.feature) if code >> i & 1]
        return [picked[i] for i in permutation(generator, len(picked))]

    def _run_features(self, batch: LabelledBatch, generator: torch.Generator) -> LabelledBatch:
        for aug in self.draw_features(generator):
            batch = aug(batch, generator)
        return batch

    def __repr__(self) -> str:
        return (f"AugmentChain(wave={self.wave!r}, feature={self.feature!r}, augmix={self.augmix}, "
                f"feature_subset={self.feature_subset})")


_CHAIN_KEYS = {"preset", "name", "augmix", "wave", "feature", "feature_subset"}

#: MIC channel-swap group that corresponds to each FOA rotation group (see seld.data.augment.rotate).
_MIC_VARIANTS = {16: 8, 48: 24}


def _as_list(value, key: str) -> list:
    if value is None:
        return []
    if isinstance(value, (str, Mapping, Augmentation)) or not isinstance(value, Sequence):
        raise ConfigError(f"augmentation '{key}' must be a list of augmentations, got {value!r}")
    return list(value)


def _for_array(aug: Augmentation, array: str | None) -> Augmentation:
    """The spatial augmentation that fits the array format (FOA rotation <-> MIC channel swap)."""
    if array is None:
        return aug
    if isinstance(aug, FoaRotation) and array == "mic":
        return MicChannelSwap(variants=_MIC_VARIANTS[aug.variants], p=aug.p)
    if isinstance(aug, MicChannelSwap) and array == "foa":
        return FoaRotation(variants={v: k for k, v in _MIC_VARIANTS.items()}[aug.variants], p=aug.p)
    if isinstance(aug, (FoaRotation, MicChannelSwap)) and array not in ("foa", "mic"):
        raise ConfigError(f"{aug.name} needs FOA or the DCASE tetrahedral MIC array, but the data are {array!r}; "
                          f"remove the spatial augmentation from the augmentation config")
    return aug


def build_augmentation(spec=None, *, array: str | None = None, mono: bool = False) -> AugmentChain:
    """An :class:`AugmentChain` from a preset name, a list, a mapping or a chain (module docstring).

    Args:
        spec: the configuration (``None``: no augmentation).
        array: the array format of the training audio (``foa``, ``mic``, ...). With ``mic``, an FOA ``rotate``
            of 16 / 48 variants becomes the MIC channel swap of 8 / 24 variants (the same symmetries restricted
            to those the tetrahedron has), so the PSELDNets presets serve both formats; a spatial augmentation
            on any other format is a ConfigError. ``None``: no adaptation (the augmentations check the batch).
        mono: PSELDNets' mono-clip training: a :class:`MonoToFoa` runs first on the waveforms (channel 0 of
            each item re-encoded as FOA from a random direction), so the rest of the chain sees FOA.
    """
    chain = _build(spec)
    if array is not None:
        wave_array = "foa" if mono else array
        chain.wave = [_for_array(a, wave_array) for a in chain.wave]
    if mono and not any(isinstance(a, MonoToFoa) for a in chain.wave):
        chain.wave = [MonoToFoa()] + chain.wave
    return chain


def _build(spec) -> AugmentChain:
    if spec is None:
        return AugmentChain()
    if isinstance(spec, AugmentChain):
        return AugmentChain(spec.wave, spec.feature, spec.augmix, spec.feature_subset)
    if isinstance(spec, str):
        if spec not in PRESETS:
            raise ConfigError(f"unknown augmentation preset {spec!r}; use one of {', '.join(PRESETS)}, or a "
                              f"mapping with 'wave' and 'feature' lists")
        return _build(PRESETS[spec])
    if isinstance(spec, Augmentation):
        spec = [spec]
    if isinstance(spec, Mapping):
        cfg = {str(k): v for k, v in spec.items()}
        unknown = set(cfg) - _CHAIN_KEYS
        if unknown:
            raise ConfigError(f"unknown augmentation option(s) {sorted(unknown)}; use {sorted(_CHAIN_KEYS)}")
        if "preset" in cfg and "name" in cfg:
            raise ConfigError("give the augmentation preset as 'preset' or as 'name', not both")
        preset = cfg.pop("preset", cfg.pop("name", None))
        if preset is not None and preset not in PRESETS:
            raise ConfigError(f"unknown augmentation preset {preset!r}; use one of {', '.join(PRESETS)}")
        base = dict(PRESETS[preset]) if preset is not None else {}
        base.update(cfg)
        return AugmentChain(_as_list(base.get("wave"), "wave"), _as_list(base.get("feature"), "feature"),
                            bool(base.get("augmix", False)), bool(base.get("feature_subset", True)))
    if isinstance(spec, Sequence):
        augs = [create_augmentation(a) for a in spec]
        return AugmentChain([a for a in augs if a.domain == "wave"], [a for a in augs if a.domain == "feature"])
    raise ConfigError(f"an augmentation configuration is a preset name, a list or a mapping, got {spec!r}")
