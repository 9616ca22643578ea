"""SELD output methods: training targets from `Events`, losses, and decoders back to `Events`.

Each method (:class:`Method`) pairs with a model head of ``seld.models`` (same name):

- ``accdoa``: class-wise activity-coupled DOA vectors, MSE, top-3 + threshold decoding (optional distance);
- ``maccdoa``: multi-ACCDOA (3 tracks) with the ADPIT loss and the 15 degree merge of duplicates (optional
  distance, DCASE2024 style);
- ``einv2``: track-wise SED + DOA with the tPIT loss;
- ``agg1``, ``agg2``, ``agg``: PSELDNets' aggregated losses on track-wise outputs;
- ``seddoa``: SELDnet's SED + masked DOA regression branches.

Plain torch + numpy; nothing here imports Lightning or the models.
"""

from seld.methods.accdoa import ACCDOA
from seld.methods.agg import AGG, AGG1, AGG2
from seld.methods.base import Method
from seld.methods.einv2 import EINV2
from seld.methods.maccdoa import MultiACCDOA
from seld.methods.registry import get_method, list_methods
from seld.methods.seddoa import SEDDOA

__all__ = ["Method", "get_method", "list_methods", "ACCDOA", "MultiACCDOA", "EINV2", "AGG", "AGG1", "AGG2",
           "SEDDOA"]
