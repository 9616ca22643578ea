"""Speed of every output method of ``seld.methods``: target encoding, loss forward + backward and decoding,
printed as one JSON object.

For each method (``get_method(name)`` with its default options; ``agg`` with ``alpha=0.5``) and class count
(13: STARSS23; 170: PSELDNets' pre-training classes), a batch of B items of T label frames of random events (up
to 3 sources per frame, sometimes two of one class) is encoded item by item and collated; the loss is computed
on a network output near the oracle (the target's perfect output plus noise) and back-propagated; the noisy
output is decoded to events with the default threshold. Encoding and decoding run on the CPU (as in a data
loader and a metric loop); the loss step runs on ``--device``. Times are the median and the minimum of
``--repeats`` runs after one warm-up, in milliseconds per batch. On a small shared machine ``--threads 1``
gives the steadiest figures.

    python benchmarks/methods_speed.py                          # B 32, T 100, K 13 and 170
    python benchmarks/methods_speed.py --methods maccdoa einv2 --repeats 10 --out results/methods_speed.json
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

import numpy as np
import torch

from common import emit, environment, timed

from seld.formats.events import Events
from seld.methods import get_method, list_methods

#: options of the methods that have no default for them
OPTIONS = {"agg": {"alpha": 0.5}}


def random_events(rng: np.random.Generator, num_frames: int, num_classes: int) -> Events:
    """Events of one item: 0 to 3 sources per frame, random classes (repeats allowed), tracks 0-2."""
    n = rng.integers(0, 4, num_frames)
    frame = np.repeat(np.arange(num_frames), n)
    cls = rng.integers(0, num_classes, frame.size)
    track = np.concatenate([np.arange(k) for k in n]) if frame.size else np.zeros(0, np.int64)
    return Events.from_cartesian(frame, cls, track, rng.normal(size=(frame.size, 3)))


def _ms(step, repeats: int, sync=lambda: None) -> dict:
    times = [t * 1000 for t in timed(step, repeats, sync)]
    return {"median": round(statistics.median(times), 3), "min": round(min(times), 3)}


def time_method(name: str, batch: int, num_frames: int, num_classes: int, repeats: int, device: str) -> dict:
    """Milliseconds per batch of the three steps of one method."""
    method = get_method(name, **OPTIONS.get(name, {}))
    rng = np.random.default_rng(0)
    events = [random_events(rng, num_frames, num_classes) for _ in range(batch)]
    cuda = device.startswith("cuda")

    def sync():
        if cuda:
            torch.cuda.synchronize()

    def encode():
        return method.collate([method.encode(ev, num_frames, num_classes) for ev in events])

    targets = encode()
    gen = torch.Generator().manual_seed(0)

    def noisy(t: torch.Tensor) -> torch.Tensor:
        return (t + 0.3 * torch.randn(t.shape, generator=gen)).to(device)

    oracle = method.oracle(targets)
    output = {k: noisy(v) for k, v in oracle.items()} if isinstance(oracle, dict) else noisy(oracle)
    targets_dev = {k: v.to(device) for k, v in targets.items()} if isinstance(targets, dict) else targets.to(device)
    leaves = list(output.values()) if isinstance(output, dict) else [output]
    for leaf in leaves:
        leaf.requires_grad_(True)

    def loss_step():
        for leaf in leaves:
            leaf.grad = None
        method.loss(output, targets_dev).backward()

    detached = {k: v.detach().cpu() for k, v in output.items()} if isinstance(output, dict) else output.detach().cpu()
    shape = {k: list(v.shape) for k, v in detached.items()} if isinstance(detached, dict) else list(detached.shape)
    return {"method": name, "num_classes": num_classes, "output_shape": shape,
            "encode_ms": _ms(encode, repeats),
            "loss_forward_backward_ms": _ms(loss_step, repeats, sync),
            "decode_ms": _ms(lambda: method.decode(detached), repeats)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--methods", nargs="+", default=list_methods(), choices=list_methods())
    parser.add_argument("--num-classes", nargs="+", type=int, default=[13, 170])
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--frames", type=int, default=100, help="label frames per item (100 ms each)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--device", default="cpu", help="device of the loss step")
    parser.add_argument("--out", type=Path, default=None, help="also write the JSON here (atomically)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    results = [time_method(name, args.batch, args.frames, k, args.repeats, args.device)
               for k in args.num_classes for name in args.methods]
    emit({**environment(threads=args.threads, device=args.device), "batch": args.batch, "frames": args.frames,
          "repeats": args.repeats, "results": results}, args.out)


if __name__ == "__main__":
    main()
