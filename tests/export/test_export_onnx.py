"""seld export: ONNX Runtime gives PyTorch's outputs (front end + network), the file describes its task, and an
exported model runs and decodes with torch blocked from import."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch

pytest.importorskip("onnxruntime")
pytest.importorskip("onnxscript")
onnx = pytest.importorskip("onnx")

from click.testing import CliRunner  # noqa: E402

from seld.errors import FormatError, InputError  # noqa: E402
from seld.export import export_onnx, onnx_system  # noqa: E402
from seld.models import create_model, save_checkpoint  # noqa: E402
from seld.system import load_system  # noqa: E402
from seld.task import TaskSpec  # noqa: E402

#: ONNX Runtime against PyTorch (float32 kernels in another order; measured: under 1e-6)
ATOL = 1e-4
CLASSES = ("alarm", "bell", "speech")


def write_checkpoint(path: Path, name: str, method: str, chunk: float = 2.0, **options) -> Path:
    torch.manual_seed(0)
    task = TaskSpec(classes=CLASSES, chunk_seconds=chunk, method=method, method_options=options)
    model = create_model(name, method=method, num_classes=len(CLASSES), **options)
    with torch.no_grad():  # outputs away from the trivial zero of an untrained head
        for p in model.parameters():
            if p.ndim == 1 and p.abs().max() == 0:
                p.normal_(0, 0.1)
    return save_checkpoint(model, path, task=task)


def audio(batch: int, samples: int, seed: int = 1) -> np.ndarray:
    return (0.1 * np.random.default_rng(seed).standard_normal((batch, 4, samples))).astype(np.float32)


def torch_output(system, x: np.ndarray):
    with torch.no_grad():
        out = system(torch.from_numpy(x))
    return {k: v.numpy() for k, v in out.items()} if isinstance(out, dict) else out.numpy()


@pytest.fixture(scope="module")
def htsat(tmp_path_factory):
    """A tiny HTS-AT mACCDOA system and its export (dynamic batch and samples)."""
    d = tmp_path_factory.mktemp("htsat")
    ckpt = write_checkpoint(d / "m.ckpt", "test_htsat", "maccdoa")
    report = export_onnx(ckpt, d / "m.onnx")
    return ckpt, report


def test_onnx_runtime_gives_pytorch_outputs_for_any_batch_and_length(htsat):
    ckpt, report = htsat
    assert report.max_abs_diff is not None and report.max_abs_diff < ATOL
    system, runner = load_system(ckpt), onnx_system(report.path)
    assert (report.min_samples, report.max_samples) == (2400, 61439)  # one label frame .. the 512-frame canvas
    for batch, n in [(1, 48000), (3, 30000), (2, report.min_samples), (1, report.max_samples)]:
        expected = torch_output(system, audio(batch, n, seed=n))
        got = runner(audio(batch, n, seed=n))
        assert got.shape == expected.shape == (batch, n // 2400, 27)
        assert np.abs(got - expected).max() < ATOL
        assert expected.std() > 0.05


def test_the_file_holds_the_task_description(htsat):
    ckpt, report = htsat
    meta = {p.key: p.value for p in onnx.load(str(report.path)).metadata_props}
    assert json.loads(meta["seld.task"]) == load_system(ckpt).task.to_dict()
    runner = onnx_system(report.path)
    assert runner.task == load_system(ckpt).task
    assert runner.output_names == ["output"] and not runner.fixed_length


def test_longer_audio_runs_in_windows_of_the_longest_input(htsat):
    ckpt, report = htsat
    runner, system = onnx_system(report.path), load_system(ckpt)
    window = report.max_samples // 2400 * 2400  # 25 label frames
    x = audio(1, 2 * window + 12000, seed=5)  # two full windows and 5 label frames
    out = runner(x)
    assert out.shape[1] == 2 * (window // 2400) + 12000 // 2400
    first = torch_output(system, x[..., :window])
    assert np.abs(out[:, : window // 2400] - first).max() < ATOL


def test_bad_input_and_foreign_files_are_clear_errors(htsat, tmp_path):
    runner = onnx_system(htsat[1].path)
    with pytest.raises(InputError, match="4 channels"):
        runner(np.zeros((1, 2, 48000), np.float32))
    with pytest.raises(InputError, match="at least 2400"):
        runner(np.zeros((1, 4, 1000), np.float32))
    bad = audio(1, 48000)
    bad[0, 0, 7] = np.nan
    with pytest.raises(InputError, match="NaN"):
        runner(bad)
    model = onnx.load(str(htsat[1].path))
    del model.metadata_props[:]
    onnx.save_model(model, str(tmp_path / "bare.onnx"))
    with pytest.raises(FormatError, match="no seld task description"):
        onnx_system(tmp_path / "bare.onnx")
    (tmp_path / "junk.onnx").write_bytes(b"not a model")
    with pytest.raises(FormatError, match="cannot load"):
        onnx_system(tmp_path / "junk.onnx")


@pytest.mark.parametrize("name,method", [("test_passt", "accdoa"), ("test_htsat", "einv2"),
                                         ("test_cnn14_conformer", "maccdoa"), ("crnn", "maccdoa")])
def test_other_backbones_and_methods_export(tmp_path, name, method):
    ckpt = write_checkpoint(tmp_path / "m.ckpt", name, method)
    report = export_onnx(ckpt, tmp_path / "m.onnx")
    assert report.max_abs_diff < ATOL
    runner, system = onnx_system(report.path), load_system(ckpt)
    assert runner.output_names == (["sed", "doa"] if method == "einv2" else ["output"])
    # recurrent (crnn) and CNN14-Conformer graphs take the 2-s chunk only; the others any length in range
    assert runner.fixed_length == (name in ("crnn", "test_cnn14_conformer"))
    n = 48000 if runner.fixed_length else 36000
    x = audio(2, n, seed=3)
    got, expected = runner(x), torch_output(system, x)
    for key in runner.output_names:
        g = got[key] if isinstance(got, dict) else got
        e = expected[key] if isinstance(expected, dict) else expected
        assert g.shape == e.shape and np.abs(g - e).max() < ATOL
    if runner.fixed_length:  # a shorter clip is zero-padded to the graph's length and its frames kept
        short = runner(x[..., :30000])
        assert (short if not isinstance(short, dict) else short["sed"]).shape[1] == 30000 // 2400
    events = runner.decode(got, 0.3)
    assert len(events) == 2


def test_seld_export_command(tmp_path):
    from seld.cli import cli

    ckpt = write_checkpoint(tmp_path / "m.ckpt", "test_htsat", "accdoa")
    result = CliRunner().invoke(cli, ["export", str(ckpt), str(tmp_path / "out.onnx")])
    assert result.exit_code == 0, result.output
    assert "largest difference" in result.output and (tmp_path / "out.onnx").is_file()
    assert onnx_system(tmp_path / "out.onnx").task.method == "accdoa"


def test_onnx_inference_and_decoding_run_with_torch_blocked(htsat, tmp_path):
    """The ONNX path of `seld infer`: load, run and decode with `import torch` failing."""
    ckpt, report = htsat
    x = audio(2, 36000, seed=9)
    np.save(tmp_path / "x.npy", x)
    system = load_system(ckpt)
    out = torch_output(system, x)
    expected = system.decode(torch.from_numpy(out), 0.3)
    script = textwrap.dedent(f"""
        import sys
        sys.modules["torch"] = None  # any import of torch now fails
        import json
        import numpy as np
        from seld.export import onnx_system
        runner = onnx_system({str(report.path)!r})
        out = runner(np.load({str(tmp_path / "x.npy")!r}))
        events = runner.decode(out, 0.3)
        assert "torch" not in [m for m in sys.modules if sys.modules[m] is not None and m.split(".")[0] == "torch"]
        print(json.dumps([{{"frame": e.frame.tolist(), "cls": e.cls.tolist(), "track": e.track.tolist(),
                           "xyz": e.xyz.tolist()}} for e in events]))
        """)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert sum(len(e.frame) for e in expected) > 0
    for g, e in zip(got, expected):
        assert g["frame"] == e.frame.tolist() and g["cls"] == e.cls.tolist() and g["track"] == e.track.tolist()
        np.testing.assert_allclose(np.asarray(g["xyz"]).reshape(-1, 3), e.xyz, atol=1e-3)


def test_seld_infer_runs_the_onnx_model_like_the_checkpoint(htsat, tmp_path):
    """`seld infer --model model.onnx`: the same windows, merging and decoding as the checkpoint it came from."""
    import soundfile as sf

    from seld.infer import infer_file

    ckpt, report = htsat
    wav = tmp_path / "rec.wav"
    sf.write(wav, audio(1, 24000 * 5, seed=4)[0].T, 24000)
    expected = infer_file(str(ckpt), wav, thresholds=0.3)
    got = infer_file(str(report.path), wav, thresholds=0.3)
    assert len(expected) > 0
    np.testing.assert_array_equal(got.frame, expected.frame)
    np.testing.assert_array_equal(got.cls, expected.cls)
    np.testing.assert_allclose(got.xyz, expected.xyz, atol=1e-4)
