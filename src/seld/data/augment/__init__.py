"""Seedable training augmentations whose labels are transformed with the signal (:mod:`seld.data.batch`).

Waveform augmentations run before the front end, feature augmentations after it; every random draw comes from
the ``torch.Generator`` passed in. Families: spatial rotations/reflections (:mod:`.rotate`), mixing with soft
labels (:mod:`.mix`), masking and shifting of features (:mod:`.spec`), mono-clip spatialisation (:mod:`.mono`),
and the chains and PSELDNets presets that combine them (:mod:`.chain`).
"""

from seld.data.augment.base import Augmentation
from seld.data.augment.chain import AUGMENTATIONS, PRESETS, AugmentChain, build_augmentation, create_augmentation
from seld.data.augment.mix import TrackMix, WavMix
from seld.data.augment.mono import MonoToFoa
from seld.data.augment.rotate import FoaRotation, MicChannelSwap
from seld.data.augment.spec import Crop, FreqShift, SpecAugment

__all__ = ["Augmentation", "AugmentChain", "build_augmentation", "create_augmentation", "AUGMENTATIONS", "PRESETS",
           "FoaRotation", "MicChannelSwap", "WavMix", "TrackMix", "SpecAugment", "Crop", "FreqShift", "MonoToFoa"]
