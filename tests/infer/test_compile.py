"""``seld infer --compile``: the network through ``torch.compile`` gives the eager outputs; ONNX models refuse it."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from conftest import make_system, noise_foa, run_seld

from seld.errors import ConfigError
from seld.infer import TorchRunner, load_model


@pytest.mark.skipif(shutil.which("g++") is None and shutil.which("c++") is None,
                    reason="torch.compile on a CPU needs a C++ compiler")
def test_compiled_network_gives_the_eager_outputs():
    system = make_system()
    audio = np.stack([noise_foa(2.0, seed=s) for s in range(2)])
    eager = TorchRunner(system).forward(audio)
    compiled = TorchRunner(system, compile=True)
    assert compiled.forward(audio) == pytest.approx(eager, abs=1e-5)
    assert compiled.forward(audio[:1]) == pytest.approx(eager[:1], abs=1e-5)     # another batch size
    assert compiled.system.model is system.model             # the caller's network is left as it was


def test_onnx_models_refuse_compile(tmp_path, capsys):
    fake = tmp_path / "model.onnx"
    fake.write_bytes(b"not read")
    with pytest.raises(ConfigError, match="--compile applies to PyTorch checkpoints"):
        load_model(fake, compile=True)
    code, _, err = run_seld(["infer", str(tmp_path / "x.wav"), "--model", str(fake), "--compile"], capsys)
    assert code == 2 and "drop --compile" in err
