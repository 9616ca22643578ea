"""Inference speed of a small CRNN and of HTS-AT on CPU, PyTorch against ONNX Runtime, printed as JSON.

For each model (random weights of the registered size, mACCDOA, 13 classes, PSELDNets' log-mel + IV front end at
24 kHz) and each thread count: the real-time factor (compute seconds per second of audio; below 1 is faster than
real time) of one 10-s clip (batch 1) through the front end alone, the network alone and both, in PyTorch
(``torch.inference_mode``) and in ONNX Runtime (the file ``seld export`` writes; the network alone from a second
export of the network, to time it apart); the resident memory of the process (loaded, peak);
and the streaming latency of :class:`seld.infer.stream.StreamInference` fed 0.1-s blocks (compute time per
block, and the audio delay of its window plan). Every configuration runs in its own process. glibc's malloc is
told not to return memory between calls (DESIGN.md), as in the other benchmarks.

    python benchmarks/infer_speed.py                                  # crnn and htsat, 1 and 2 threads
    python benchmarks/infer_speed.py --models htsat --threads 2 --repeats 5 --out results/infer.json
    python benchmarks/infer_speed.py --models default --threads 1     # the built-in default model's weights

A built-in model name (``default``) times the shipped checkpoint with its own task; it also reports the
real-time factor with the decoding to events included (``with_decoding``).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import emit, environment, timed

DEFAULT_MODELS = ("crnn", "htsat")
CLIP_SECONDS = 10.0
STREAM_SECONDS = 30.0
BLOCK_SECONDS = 0.1
NUM_CLASSES = 13
MALLOC_ENV = {"MALLOC_MMAP_THRESHOLD_": "1000000000", "MALLOC_TRIM_THRESHOLD_": "1000000000"}


def _rss_mib() -> float:
    """Peak resident set of this process image in MiB: VmHWM (reset at exec, unlike ru_maxrss, which a worker
    inherits from the parent that started it), else ru_maxrss."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def _task(name: str):
    from seld.task import TaskSpec

    return TaskSpec(classes=tuple(f"class{i}" for i in range(NUM_CLASSES)), chunk_seconds=CLIP_SECONDS,
                    method="maccdoa")


def prepare(name: str, folder: Path) -> dict:
    """Write the checkpoint, its ONNX export (front end + network) and an ONNX file of the network alone."""
    import torch

    from seld.export import export_onnx
    from seld.models import create_model, save_checkpoint
    from seld.system import load_system

    from seld.infer.models import BUILTIN_MODELS, resolve_model

    torch.manual_seed(0)
    if name in BUILTIN_MODELS:
        ckpt = resolve_model(name)
    else:
        ckpt = save_checkpoint(create_model(name, method="maccdoa", num_classes=NUM_CLASSES),
                               folder / f"{name}.ckpt", task=_task(name))
    start = time.perf_counter()
    report = export_onnx(ckpt, folder / f"{name}.onnx")
    export_s = time.perf_counter() - start
    system = load_system(ckpt)
    n = int(CLIP_SECONDS * system.task.sample_rate)
    feats = system.frontend(torch.zeros(1, 4, n))
    net_path = folder / f"{name}.net.onnx"
    with torch.no_grad():
        program = torch.onnx.export(system.model, (feats,), input_names=["features"], output_names=["output"],
                                    dynamic_shapes={"x": {0: torch.export.Dim("batch", min=1, max=64)}},
                                    opset_version=18, dynamo=True, verbose=False)
    program.save(str(net_path))
    return {"checkpoint": str(ckpt), "onnx": str(report.path), "onnx_network": str(net_path),
            "export_s": round(export_s, 1), "onnx_max_abs_diff": report.max_abs_diff,
            "onnx_fixed_length": report.min_samples == report.max_samples}


def measure(backend: str, files: dict, threads: int, repeats: int) -> dict:
    """Time one model with one backend in this process (the worker side)."""
    import numpy as np

    from seld.system import load_system

    rng = np.random.default_rng(0)
    task = load_system(files["checkpoint"]).task
    audio = (0.1 * rng.standard_normal((1, 4, int(CLIP_SECONDS * task.sample_rate)))).astype(np.float32)
    stream_audio = (0.1 * rng.standard_normal((4, int(STREAM_SECONDS * task.sample_rate)))).astype(np.float32)
    if backend == "torch":
        import torch

        torch.set_num_threads(threads)
        system = load_system(files["checkpoint"]).eval()
        x = torch.from_numpy(audio)
        with torch.inference_mode():
            feats = system.frontend(x)

        def frontend():
            with torch.inference_mode():
                system.frontend(x)

        def network():
            with torch.inference_mode():
                system.model(feats)

        def both():
            with torch.inference_mode():
                system(x)

        def full():
            with torch.inference_mode():
                system.decode(system(x))

        runner = system
    else:
        import onnxruntime as ort

        from seld.export import onnx_system

        runner = onnx_system(files["onnx"], threads=threads)
        options = ort.SessionOptions()
        options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
        net = ort.InferenceSession(files["onnx_network"], options, providers=["CPUExecutionProvider"])
        import torch  # only to compute the network's input once, outside the timings

        with torch.inference_mode():
            feats = load_system(files["checkpoint"]).frontend(torch.from_numpy(audio)).numpy()

        def network():
            net.run(None, {"features": feats})

        def both():
            runner(audio)

        full = None

        frontend = None
    base = _rss_mib()
    t_net = timed(network, repeats)
    t_both = timed(both, repeats)
    t_front = timed(frontend, repeats) if frontend is not None else None
    t_full = timed(full, repeats) if full is not None else None
    peak = _rss_mib()

    from seld.infer.stream import StreamInference

    stream = StreamInference(runner, task.sample_rate, 4, device="cpu")
    block = int(BLOCK_SECONDS * task.sample_rate)
    per_block = []
    for start in range(0, stream_audio.shape[1], block):
        t0 = time.perf_counter()
        stream.push(stream_audio[:, start:start + block])
        per_block.append(time.perf_counter() - t0)
    stream.finish()
    plan = stream.plan
    med = statistics.median
    rtf = {"network": med(t_net) / CLIP_SECONDS, "front_end_and_network": med(t_both) / CLIP_SECONDS}
    if t_full is not None:
        rtf["with_decoding"] = med(t_full) / CLIP_SECONDS
    if t_front is not None:
        rtf["front_end"] = med(t_front) / CLIP_SECONDS
    else:  # ONNX: one graph; the front end's share is the difference
        rtf["front_end"] = max(0.0, med(t_both) - med(t_net)) / CLIP_SECONDS
    return {
        "backend": backend, "threads": threads,
        "rtf": {k: round(v, 4) for k, v in rtf.items()},
        "seconds_per_clip": {"network": [round(t, 4) for t in t_net],
                             "front_end_and_network": [round(t, 4) for t in t_both],
                             **({"front_end": [round(t, 4) for t in t_front]} if t_front else {})},
        # peak resident set of the process (a high-water mark: loading included) and at the start of the timings
        "peak_rss_mib": round(peak, 1), "loaded_rss_mib": round(base, 1),
        "stream": {"block_s": BLOCK_SECONDS, "window_s": plan.window / task.sample_rate,
                   "hop_s": plan.hop / task.sample_rate,
                   # an event is written between window - hop and window seconds of audio after it happened
                   "audio_latency_s": [(plan.window - plan.hop) / task.sample_rate, plan.window / task.sample_rate],
                   "compute_per_block_median_s": round(med(per_block), 4),
                   "compute_per_block_max_s": round(max(per_block), 4),
                   "real_time_factor": round(sum(per_block) / STREAM_SECONDS, 4)},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", default=list(DEFAULT_MODELS))
    parser.add_argument("--threads", nargs="+", type=int, default=[1, 2])
    parser.add_argument("--backends", nargs="+", default=["torch", "onnxruntime"], choices=["torch", "onnxruntime"])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-malloc-tuning", action="store_true")
    parser.add_argument("--out", type=Path, default=None, help="also write the JSON here (atomically)")
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker:
        backend, files = json.loads(args.worker)
        print(json.dumps(measure(backend, files, args.threads[0], args.repeats)))
        return

    env = dict(os.environ)
    if not args.no_malloc_tuning:
        env.update(MALLOC_ENV)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.models:
            files = prepare(name, Path(tmp))
            entry = {"model": name, "export_s": files["export_s"], "onnx_max_abs_diff": files["onnx_max_abs_diff"],
                     "onnx_fixed_length": files["onnx_fixed_length"], "runs": []}
            for threads in args.threads:
                for backend in args.backends:
                    cmd = [sys.executable, __file__, "--worker", json.dumps([backend, files]), "--threads",
                           str(threads), "--repeats", str(args.repeats)]
                    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
                    if proc.returncode:
                        entry["runs"].append({"backend": backend, "threads": threads,
                                              "error": proc.stderr.strip().splitlines()[-1:]})
                    else:
                        entry["runs"].append(json.loads(proc.stdout.strip().splitlines()[-1]))
            results.append(entry)
    import onnxruntime
    import torch  # noqa: F401  (environment() reports its version)

    report = {"benchmark": "infer_speed", "clip_seconds": CLIP_SECONDS, "batch": 1, "repeats": args.repeats,
              "method": "maccdoa", "num_classes": NUM_CLASSES,
              "environment": environment(onnxruntime=onnxruntime.__version__,
                                         malloc_tuning=not args.no_malloc_tuning),
              "results": results}
    emit(report, args.out, indent=2)


if __name__ == "__main__":
    main()
