"""Training speed: the bare model step against the full `seld train` pipeline, and the data index's memory.

For each model, clips per second of
- ``bare``: forward + loss + backward + optimiser step on one batch of features already in memory;
- ``frontend_and_model``: the same with the front end computed from audio already in memory (the part of the
  pipeline that runs on the training device; on a CPU it is not free);
- ``pipeline``: Lightning's training loop on a dataset on disk: loader workers reading audio chunks, the front end
  on the training device, targets encoded from the events, the same step (timed between batches after a warm-up,
  validation off). ``pipeline / bare`` is the share of the model's rate the pipeline keeps (target >= 0.9);
  ``pipeline / frontend_and_model`` shows whether data loading is hidden.
Then the chunk index and the label store of a synthetic 1-minute ov3 corpus (labels in every frame, the worst
case), per hour of audio: the index stays in memory, the labels are memory-mapped from the cache.

The dataset is written once into a temporary folder (noise audio, random labels: speed does not depend on them).

    python benchmarks/train_speed.py                                  # crnn and htsat, CPU
    python benchmarks/train_speed.py --models crnn --batch 16 --device cuda --out results/train_speed.json
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

from common import emit, environment, timed

MALLOC_ENV = {"MALLOC_MMAP_THRESHOLD_": "1000000000", "MALLOC_TRIM_THRESHOLD_": "1000000000"}


def make_dataset(root: Path, files: int, seconds: float, ov: int = 3, seed: int = 0) -> Path:
    """A `seld synth`-layout folder: FOA noise and labels with ``ov`` events in every frame."""
    from seld.formats import Events, get_classes, write_labels

    rng = np.random.default_rng(seed)
    (root / "foa").mkdir(parents=True, exist_ok=True)
    (root / "metadata").mkdir(exist_ok=True)
    (root / "manifest.json").write_text(json.dumps({"layout": {"classes": list(get_classes("starss23").names),
                                                               "sample_rate": 24000}}))
    frames = int(seconds * 10)
    for i in range(files):
        name = f"fold1_room1_mix{i:03d}"
        sf.write(root / "foa" / f"{name}.wav", (rng.standard_normal((int(seconds * 24000), 4)) * 1000).astype(np.int16),
                 24000, subtype="PCM_16")
        frame = np.repeat(np.arange(frames), ov)
        ev = Events.from_polar(frame, rng.integers(0, 13, frame.size), np.tile(np.arange(ov), frames),
                               rng.uniform(-180, 180, frame.size), rng.uniform(-60, 60, frame.size),
                               rng.uniform(1, 4, frame.size), n_frames=frames)
        write_labels(root / "metadata" / f"{name}.csv", ev)
    return root


def index_memory(root: Path, chunk: float) -> dict:
    """Bytes per hour of audio of the chunk index (in memory) and of the label store (memory-mapped)."""
    from seld.data.corpus import load_corpus
    from seld.data.dataset import SeldDataset, prepare
    from seld.task import TaskSpec

    corpus = load_corpus("synth", root)
    task = TaskSpec(corpus.classes, chunk_seconds=chunk)
    start = time.perf_counter()
    prepared = prepare(corpus, task, cache_dir=root / "cache")
    first = time.perf_counter() - start
    start = time.perf_counter()
    prepared = prepare(corpus, task, cache_dir=root / "cache")
    cached = time.perf_counter() - start
    ds = SeldDataset(prepared, task)
    hours = prepared.hours
    in_memory = ds.index.nbytes + prepared.labels.offsets.nbytes + prepared.lengths.nbytes
    return {"hours": round(hours, 3), "recordings": len(corpus), "label_rows": int(prepared.labels.offsets[-1]),
            "index_bytes_per_hour_in_memory": round(in_memory / hours),
            "label_store_bytes_per_hour_mmap": round(prepared.labels.nbytes / hours),
            "index_MiB_for_1000_h": round(in_memory / hours * 1000 / 2**20, 2),
            "label_store_MiB_for_1000_h_on_disk": round(prepared.labels.nbytes / hours * 1000 / 2**20, 1),
            "prepare_s_first": round(first, 3), "prepare_s_cached": round(cached, 3)}


def bare_rates(model_name: str, batch: int, chunk: float, repeats: int, device: str) -> tuple[float, float]:
    """Clips per second of the model step alone (features and targets already on the device), and of the front
    end + model step (audio already on the device)."""
    import torch

    from seld.formats import Events
    from seld.methods import get_method
    from seld.models import create_model
    from seld.formats import get_classes
    from seld.task import TaskSpec

    task = TaskSpec(get_classes("starss23").names, chunk_seconds=chunk)
    frontend = task.make_frontend().to(device)
    audio = torch.randn(batch, 4, task.chunk_samples, device=device)
    with torch.no_grad():
        feats = frontend(audio)
    method = get_method("maccdoa")
    model = create_model(model_name, method="maccdoa", num_classes=13, in_channels=feats.shape[1],
                         n_freq=feats.shape[3]).to(device).train()
    t = task.chunk_label_frames
    ev = Events.from_polar(np.arange(t), np.zeros(t, int), np.zeros(t, int), np.zeros(t), np.zeros(t), n_frames=t)
    target = method.collate([method.encode(ev, t, 13)] * batch).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)

    def step(with_frontend: bool):
        opt.zero_grad()
        if with_frontend:
            with torch.no_grad():
                x = frontend(audio)
        method.loss(model(x if with_frontend else feats), target).backward()
        opt.step()

    sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)
    rates = [batch / float(np.median(timed(lambda: step(f), repeats, sync))) for f in (False, True)]
    return rates[0], rates[1]


def pipeline_rate(model_name: str, root: Path, batch: int, chunk: float, steps: int, workers: int,
                  device: str, augment: str) -> float:
    """Clips per second of `seld train`'s loop (loader, front end, targets, step), validation off."""
    import lightning as L

    from seld.train import build_run, compose

    cfg = compose([f"model={model_name}", "optimizer=adam", f"data.root={root}",
                   f"data.batch_size={batch}", f"data.chunk_seconds={chunk}", f"data.num_workers={workers}",
                   "data.train=fold1", "data.valid=null", f"augment={augment}", "trainer.enable_progress_bar=false",
                   f"trainer.accelerator={'gpu' if device.startswith('cuda') else 'cpu'}",
                   f"out_dir={root / 'run'}", "trainer.max_epochs=1", f"+trainer.limit_train_batches={steps}"])
    stamps: list[float] = []

    class Clock(L.Callback):
        def on_train_batch_end(self, *args):
            stamps.append(time.perf_counter())

    module, datamodule, trainer = build_run(cfg)
    trainer.callbacks.append(Clock())
    trainer.fit(module, datamodule=datamodule)
    warm = 2
    return batch * (len(stamps) - 1 - warm) / (stamps[-1] - stamps[warm])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["crnn", "htsat"])
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--chunk", type=float, default=10.0, help="seconds per training chunk")
    parser.add_argument("--steps", type=int, default=12, help="pipeline steps timed (after 2 warm-up steps)")
    parser.add_argument("--repeats", type=int, default=5, help="bare steps timed")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--augment", default="none", help="augment group of the pipeline run (none, augmix, ...)")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    for key, value in MALLOC_ENV.items():
        if os.environ.get(key) != value:        # glibc reads these at start-up: re-run with them
            os.environ.update(MALLOC_ENV)
            os.execv(os.sys.executable, [os.sys.executable, *os.sys.argv])
    import torch

    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        root = make_dataset(Path(tmp) / "data", files=max(4, args.batch * (args.steps + 3) // 6 + 1), seconds=60.0)
        memory = index_memory(make_dataset(Path(tmp) / "index", files=60, seconds=60.0), args.chunk)
        models = {}
        for name in args.models:
            bare, with_frontend = bare_rates(name, args.batch, args.chunk, args.repeats, args.device)
            full = pipeline_rate(name, root, args.batch, args.chunk, args.steps + 3, args.workers, args.device,
                                 args.augment)
            models[name] = {"bare_clips_per_s": round(bare, 3), "frontend_and_model_clips_per_s": round(with_frontend, 3),
                            "pipeline_clips_per_s": round(full, 3), "pipeline_share_of_bare": round(full / bare, 3),
                            "pipeline_share_of_frontend_and_model": round(full / with_frontend, 3)}
    emit({"environment": environment(device=args.device, threads=args.threads, workers=args.workers,
                                     batch=args.batch, chunk_s=args.chunk, augment=args.augment),
          "models": models, "index_memory": memory}, args.out)


if __name__ == "__main__":
    main()
