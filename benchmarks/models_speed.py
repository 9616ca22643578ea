"""Speed and memory of each backbone at the PSELDNets sizes, per 10 s clip (batch 1), printed as JSON.

For every model: forward time (inference: eval mode, no autograd), forward+backward time (train mode, sum of the
outputs as the loss), and the peak memory each adds on top of the built model. Each model is measured in its
own subprocess, so that the peak resident memory (CPU) belongs to that model alone; on a GPU the CUDA allocator's
peak is reported instead. glibc's malloc is told not to return memory to the kernel between steps (DESIGN.md:
this halves CPU time on this VM); pass ``--no-malloc-tuning`` to measure without it.

    python benchmarks/models_speed.py                       # all five backbones, mACCDOA, 13 classes, CPU
    python benchmarks/models_speed.py --models htsat passt --device cuda --repeats 5 --out results/speed.json
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
from pathlib import Path

from common import emit, environment, timed

DEFAULT_MODELS = ("seldnet", "crnn", "cnn14_conformer", "htsat", "passt")
CLIP_FRAMES = 1001  # 10 s at 100 frames per second, as PSELDNets feeds its models
MALLOC_ENV = {"MALLOC_MMAP_THRESHOLD_": "1000000000", "MALLOC_TRIM_THRESHOLD_": "1000000000"}


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def measure(name: str, method: str, num_classes: int, device: str, repeats: int, threads: int) -> dict:
    """Time one model in this process (the worker side)."""
    import torch

    from seld.models import create_model

    torch.set_num_threads(threads)
    model = create_model(name, method=method, num_classes=num_classes).to(device)
    params = sum(p.numel() for p in model.parameters())
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(1, model.in_channels, CLIP_FRAMES, model.n_freq, generator=gen).to(device)
    cuda = device.startswith("cuda")

    def sync():
        if cuda:
            torch.cuda.synchronize()

    def total(out):
        return sum(v.sum() for v in out.values()) if isinstance(out, dict) else out.sum()

    def forward():
        with torch.inference_mode():
            model(x)

    def forward_backward():
        model.zero_grad(set_to_none=True)
        total(model(x)).backward()

    base = torch.cuda.memory_allocated() if cuda else _rss_mib()
    model.eval()
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    fwd = timed(forward, repeats, sync)
    fwd_peak = (torch.cuda.max_memory_allocated() - base) / 2**20 if cuda else _rss_mib() - base
    model.train()
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    fb = timed(forward_backward, repeats, sync)
    fb_peak = (torch.cuda.max_memory_allocated() - base) / 2**20 if cuda else _rss_mib() - base
    return {
        "model": name, "method": method, "num_classes": num_classes, "parameters": params,
        "input": [1, model.in_channels, CLIP_FRAMES, model.n_freq],
        # median and minimum: on a shared machine the minimum is the least disturbed run
        "forward_s": statistics.median(fwd), "forward_s_min": min(fwd), "forward_s_all": fwd,
        "forward_backward_s": statistics.median(fb), "forward_backward_s_min": min(fb), "forward_backward_s_all": fb,
        # CPU: growth of the process' peak resident set over the built model (a high-water mark, so the
        # forward+backward figure includes the forward one); CUDA: allocator peak over the weights.
        "forward_peak_mib": round(fwd_peak, 1), "forward_backward_peak_mib": round(fb_peak, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", default=list(DEFAULT_MODELS))
    parser.add_argument("--method", default="maccdoa")
    parser.add_argument("--num-classes", type=int, default=13)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--no-malloc-tuning", action="store_true")
    parser.add_argument("--out", type=Path, default=None, help="also write the JSON here (atomically)")
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker:
        print(json.dumps(measure(args.worker, args.method, args.num_classes, args.device, args.repeats,
                                 args.threads)))
        return

    env = dict(os.environ)
    if not args.no_malloc_tuning:
        env.update(MALLOC_ENV)
    results = []
    for name in args.models:
        cmd = [sys.executable, __file__, "--worker", name, "--method", args.method, "--num-classes",
               str(args.num_classes), "--device", args.device, "--repeats", str(args.repeats), "--threads",
               str(args.threads)]
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
        if proc.returncode:
            results.append({"model": name, "error": proc.stderr.strip().splitlines()[-1:]})
        else:
            results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    import torch  # noqa: F401  (environment() reports its version)

    report = {"benchmark": "models_speed", "clip_seconds": 10, "batch": 1, "repeats": args.repeats,
              "environment": environment(device=args.device, threads=args.threads,
                                         malloc_tuning=not args.no_malloc_tuning),
              "results": results}
    emit(report, args.out, indent=2)


if __name__ == "__main__":
    main()
