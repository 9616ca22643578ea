"""SELD networks: backbones (SELDnet, DCASE CRNN, CNN14-Conformer, HTS-AT, PaSST), one head per output method,
AdapterBit / LoRA adaptation, and checkpoints (ours, PSELDNets, AudioSet, DCASE 2023/2024 baselines).

``create_model("htsat", method="maccdoa", num_classes=13)`` builds a network that maps features
``[B, C, T, F]`` to the method's output at ``T // 10`` label frames (see :mod:`seld.models.heads`).
"""

from seld.models import backbones  # noqa: F401  (registers the variants)
from seld.models.adapters import apply_adaptation, trainable_report
from seld.models.checkpoints import (import_audioset, import_dcase_baseline, import_pseldnets, load_checkpoint,
                                    save_checkpoint)
from seld.models.heads import METHODS, TRACKWISE_METHODS
from seld.models.registry import (count_parameters, create_model, get_model_entry, list_methods, list_models,
                                  register_model)
from seld.models.wrappers import SeldModel

__all__ = ["create_model", "list_models", "list_methods", "register_model", "get_model_entry", "count_parameters",
           "SeldModel", "METHODS", "TRACKWISE_METHODS", "save_checkpoint", "load_checkpoint", "import_pseldnets",
           "import_audioset", "import_dcase_baseline", "apply_adaptation", "trainable_report"]
