"""Backbones, one file per architecture; importing this package registers their variants."""

from seld.models.backbones.base import Backbone
from seld.models.backbones.cnn14_conformer import CNN14Conformer
from seld.models.backbones.crnn import CRNN
from seld.models.backbones.htsat import HTSAT
from seld.models.backbones.passt import PaSST
from seld.models.backbones.seldnet import SELDnet

__all__ = ["Backbone", "SELDnet", "CRNN", "CNN14Conformer", "HTSAT", "PaSST"]
