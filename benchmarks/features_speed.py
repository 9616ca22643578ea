"""Speed of every front end of ``seld.features``: milliseconds per 10 s clip, printed as one JSON object.

Each front end (``list_frontends()``, built with ``create_frontend(name)`` at its published settings) turns a
batch of random 4-channel 10 s clips at its own sample rate into features, without autograd, on the CPU and,
when ``torch.cuda.is_available()``, on the GPU (synchronised around each run). The median and the minimum of
``--repeats`` timed runs after one warm-up are reported, divided by the batch size.

    python benchmarks/features_speed.py                        # batch 8, 3 repeats, all CPU threads
    python benchmarks/features_speed.py --batch 32 --threads 1 --out results/features_speed.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import time
from pathlib import Path

import torch

from seld.features import create_frontend, list_frontends

CLIP_SECONDS = 10.0


def time_frontend(name: str, device: str, batch: int, repeats: int) -> dict:
    """Milliseconds per clip of one front end on one device (median and minimum over the repeats)."""
    frontend = create_frontend(name).to(device).eval()
    gen = torch.Generator().manual_seed(0)
    audio = torch.randn(batch, frontend.in_channels, int(CLIP_SECONDS * frontend.sample_rate), generator=gen)
    audio = (0.1 * audio).to(device)
    cuda = device.startswith("cuda")
    times = []
    with torch.inference_mode():
        shape = tuple(frontend(audio).shape)  # warm-up (kernels, caches, windows)
        for _ in range(repeats):
            if cuda:
                torch.cuda.synchronize()
            start = time.perf_counter()
            frontend(audio)
            if cuda:
                torch.cuda.synchronize()
            times.append((time.perf_counter() - start) * 1000 / batch)
    return {"frontend": name, "device": device, "sample_rate": frontend.sample_rate,
            "features_shape": list(shape[1:]), "ms_per_clip_median": round(statistics.median(times), 3),
            "ms_per_clip_min": round(min(times), 3)}


def environment(threads: int) -> dict:
    """Commit, machine and library versions the figures belong to."""
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                            cwd=Path(__file__).resolve().parent).stdout.strip() or None
    info = {"commit": commit, "python": platform.python_version(), "torch": torch.__version__,
            "platform": platform.platform(), "processor": platform.processor() or platform.machine(),
            "cpu_count": os.cpu_count(), "threads": threads}
    if torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(0)
    return info


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frontends", nargs="+", default=list_frontends(), choices=list_frontends())
    parser.add_argument("--batch", type=int, default=8, help="clips per call")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--no-cuda", action="store_true", help="CPU only even when a GPU is there")
    parser.add_argument("--out", type=Path, default=None, help="also write the JSON here (atomically)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() and not args.no_cuda else [])
    results = [time_frontend(name, device, args.batch, args.repeats)
               for device in devices for name in args.frontends]
    text = json.dumps({**environment(args.threads), "clip_seconds": CLIP_SECONDS, "batch": args.batch,
                       "repeats": args.repeats, "results": results}, indent=1)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        tmp = args.out.with_name(args.out.name + ".tmp")
        tmp.write_text(text + "\n")
        os.replace(tmp, args.out)


if __name__ == "__main__":
    main()
