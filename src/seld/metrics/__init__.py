"""SELD metrics of SELDnet (2018), the DCASE challenges (2019-2024) and L3DAS, computed as the official scorers
do, vectorised.

Public API::

    from seld.metrics import score
    result = score(refs, preds, "dcase2023")          # dicts file name -> seld.formats.Events
    result.F, result.LE, result.per_class["F"], result.to_dict()

Scorers (``metric=``), each in its own module with its quirks documented:

=============  ===========================================================  =======================
name           what                                                          module
=============  ===========================================================  =======================
dcase2019      ER/F on 1 s blocks, class-agnostic DOA error, frame recall    :mod:`.dcase2019`
dcase2020      ER/F (20 deg), LE, LR (an F1) on 1 s segments                  :mod:`.segment`
dcase2021      multi-instance segment metric, micro                          :mod:`.segment`
dcase2022/23   multi-instance segment metric, spatial FP, macro (or micro)   :mod:`.segment`
dcase2024      100 ms frames, DOA + relative distance thresholds, DE, RDE    :mod:`.frame`
l3das22        location-sensitive detection F (positions within 2 m)         :mod:`.l3das`
seldnet        ER/F on 1 s blocks, DOA error (mean chord), frame recall      :mod:`.seldnet`
=============  ===========================================================  =======================

By default every number equals the official scorer's, quirks included: to rounding (LE to 1e-13 degrees; ER, F
and LR bit for bit) on the random cases of tests/metrics/test_official_golden.py, and within 5e-4 degrees and 2e-5
where reference files hold duplicate rows (tied matchings, see :mod:`.matching`). Not reproduced: asked for
intervals, the official scorer returns the values of its last leave-one-out subset; here the global values are
returned (:mod:`.jackknife`). ``fix_quirks=True`` corrects the quirks that have a clear correct form.
``jackknife=True`` adds leave-one-file-out 95 % confidence intervals. Nothing here imports torch, and SciPy only
for the t-quantile of the confidence intervals (the Hungarian matching is done here, SciPy's tie-breaking
included).
"""

from seld.metrics.result import OVERALL_KEYS, SeldResult
from seld.metrics.score import AVERAGES, METRICS, default_classes, score

__all__ = ["score", "default_classes", "SeldResult", "METRICS", "AVERAGES", "OVERALL_KEYS"]
