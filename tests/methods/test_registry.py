"""The method registry: names, options, heads, batching, and no heavy imports."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from seld.errors import ConfigError
from seld.methods import Method, get_method, list_methods

#: Methods understood by seld.models.create_model (the output contract).
MODEL_METHODS = {"seddoa", "accdoa", "maccdoa", "einv2", "agg1", "agg2"}


def test_every_name_builds_its_method_and_names_a_model_head():
    assert set(list_methods()) == MODEL_METHODS | {"agg"}
    for name in list_methods():
        method = get_method(name, **({"alpha": 0.5} if name == "agg" else {}))
        assert isinstance(method, Method) and method.name == name
        assert method.head in MODEL_METHODS
    assert get_method("agg", alpha=0.5).head == "einv2"


def test_options_are_passed_and_checked():
    assert get_method("accdoa", distance=True).distance
    assert get_method("einv2", beta=0.2).beta == 0.2
    assert get_method("seddoa", doa_weight=1000.0).doa_weight == 1000.0
    with pytest.raises(ConfigError, match="unknown method 'macdoa'.*maccdoa"):
        get_method("macdoa")
    with pytest.raises(ConfigError, match="beta"):
        get_method("accdoa", beta=0.5)
    with pytest.raises(ConfigError, match="alpha"):
        get_method("agg")
    with pytest.raises(ConfigError, match=r"\[0, 1\]"):
        get_method("einv2", beta=1.5)
    with pytest.raises(ConfigError, match=r"\[0, 1\]"):
        get_method("agg", alpha=-0.1)


def test_collate_stacks_tensors_and_dicts(make_events):
    ev = [make_events(s) for s in range(2)]
    acc, trk = get_method("accdoa"), get_method("einv2")
    assert acc.collate([acc.encode(e, 20, 5) for e in ev]).shape == (2, 20, 15)
    batch = trk.collate([trk.encode(e, 20, 5) for e in ev])
    assert batch["sed"].shape == (2, 20, 3, 5) and batch["doa"].shape == (2, 20, 3, 3)
    assert torch.equal(batch["sed"][1], trk.encode(ev[1], 20, 5)["sed"])
    with pytest.raises(ValueError):
        acc.collate([])


def test_loss_terms_hold_the_loss_and_its_parts(make_events):
    method = get_method("einv2")
    targets = method.collate([method.encode(make_events(0), 20, 5)])
    terms = method.loss_terms(method.oracle(targets), targets)
    assert set(terms) == {"loss", "sed", "doa"} and all(v.ndim == 0 for v in terms.values())
    assert set(get_method("agg", alpha=0.5).loss_terms(method.oracle(targets), targets)) == {"loss", "agg1", "agg2"}


def test_importing_the_methods_loads_neither_lightning_nor_the_models():
    code = "import sys, seld.methods; print(any(m.split('.')[0] == 'lightning' or m.startswith('seld.models') " \
           "for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_decoding_imports_without_torch():
    """The class-wise decoders serve the ONNX runner where torch is not installed."""
    import subprocess
    import sys

    code = ("import sys; sys.modules['torch'] = None; import numpy as np; from seld.decode import decode_maccdoa; "
            "ev = decode_maccdoa(np.full((1, 2, 9 * 2), 0.6), 0.5); print(len(ev[0]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert int(out) > 0
