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
import statistics
from pathlib import Path

import torch

from common import emit, environment, timed

from seld.features import create_frontend, list_frontends

CLIP_SECONDS = 10.0


def time_frontend(name: str, device: str, batch: int, repeats: int) -> dict:
    """Milliseconds per clip of one front end on one device (median and minimum over the repeats)."""
    frontend = create_frontend(name).to(device).eval()
    gen = torch.Generator().manual_seed(0)
    audio = torch.randn(batch, frontend.in_channels, int(CLIP_SECONDS * frontend.sample_rate), generator=gen)
    audio = (0.1 * audio).to(device)
    sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)
    with torch.inference_mode():
        shape = tuple(frontend(audio).shape)
        times = [t * 1000 / batch for t in timed(lambda: frontend(audio), repeats, sync)]
    return {"frontend": name, "device": device, "sample_rate": frontend.sample_rate,
            "features_shape": list(shape[1:]), "ms_per_clip_median": round(statistics.median(times), 3),
            "ms_per_clip_min": round(min(times), 3)}


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
    emit({**environment(threads=args.threads), "clip_seconds": CLIP_SECONDS, "batch": args.batch,
          "repeats": args.repeats, "results": results}, args.out)


if __name__ == "__main__":
    main()
