"""The DataModule: corpora read, checked and indexed once; loaders that only read audio.

Training order comes from :class:`EpochSampler`: a permutation seeded by (run seed, epoch), cut into one
equal shard per rank (the last items repeated to even the shards), so that the order is the same after a
resume and on any number of processes. Validation chunks are sharded the same way without shuffling; the
module gathers and de-duplicates them before scoring.
"""

from __future__ import annotations

import functools
import logging
import math

import lightning as L
import numpy as np
import torch
from torch.utils.data import DataLoader, Sampler

from seld.data.corpus import Corpus, load_corpus
from seld.data.dataset import SeldDataset, collate, prepare
from seld.errors import ConfigError
from seld.formats import Events
from seld.task import TaskSpec

__all__ = ["SeldDataModule", "EpochSampler", "read_corpus"]

log = logging.getLogger(__name__)


class EpochSampler(Sampler[int]):
    """Indices of one rank's shard of an epoch (see the module docstring); ``set_epoch`` is called by
    Lightning before each epoch."""

    def __init__(self, n: int, shuffle: bool, seed: int = 0, rank: int = 0, world: int = 1):
        self.n, self.shuffle, self.seed, self.rank, self.world = n, shuffle, seed, rank, world
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return math.ceil(self.n / self.world)

    def __iter__(self):
        if self.shuffle:
            order = np.random.default_rng([self.seed, self.epoch]).permutation(self.n)
        else:
            order = np.arange(self.n)
        total = len(self) * self.world
        if total > self.n:
            order = np.concatenate([order, order[: total - self.n]])
        return iter(order[self.rank::self.world].tolist())


def _split_args(spec) -> dict:
    """A split spec of the config: a split/fold name, a list of folds, or ``{split, rooms, ids}``."""
    if spec is None or isinstance(spec, (str, list, tuple)):
        return {"split": spec}
    spec = dict(spec)
    unknown = set(spec) - {"split", "rooms", "ids"}
    if unknown:
        raise ConfigError(f"data split: unknown key(s) {', '.join(sorted(unknown))} (use split, rooms, ids)")
    return spec


class SeldDataModule(L.LightningDataModule):
    """Train and validation data of a task from a ``data`` config (``corpus``, ``root``, ``array``, ``train``,
    ``valid``, ``batch_size``, ``num_workers``, ``valid_hop``, ``cache_dir``, ``options``)."""

    def __init__(self, cfg: dict, task: TaskSpec, seed: int = 0, corpus: Corpus | None = None):
        super().__init__()
        self.cfg, self.task, self.seed = dict(cfg), task, int(seed)
        self._corpus = corpus
        self.train_set: SeldDataset | None = None
        self.valid_set: SeldDataset | None = None
        self._references: dict[str, Events] | None = None

    @property
    def corpus(self) -> Corpus:
        if self._corpus is None:
            self._corpus = read_corpus(self.cfg)
        return self._corpus

    def setup(self, stage: str | None = None) -> None:
        if self.train_set is not None:
            return
        cache = self.cfg.get("cache_dir")
        train = prepare(self.corpus.select(**_split_args(self.cfg.get("train", "train"))), self.task, cache)
        self.train_set = SeldDataset(train, self.task, "train", self.cfg.get("hop_seconds"))
        if self.cfg.get("valid") is not None:
            valid = prepare(self.corpus.select(**_split_args(self.cfg["valid"])), self.task, cache)
            self.valid_set = SeldDataset(valid, self.task, "test")
        log.info("train: %d recordings (%.2f h), %d chunks; valid: %s", len(train.corpus), train.hours,
                 len(self.train_set), "none" if self.valid_set is None else f"{len(self.valid_set)} chunks")

    def _rank_world(self) -> tuple[int, int]:
        trainer = self.trainer
        return (trainer.global_rank, trainer.world_size) if trainer is not None else (0, 1)

    def _loader(self, ds: SeldDataset, shuffle: bool) -> DataLoader:
        rank, world = self._rank_world()
        workers = int(self.cfg.get("num_workers", 0))
        return DataLoader(ds, batch_size=int(self.cfg.get("batch_size", 8)),
                          sampler=EpochSampler(len(ds), shuffle, self.seed, rank, world),
                          num_workers=workers, collate_fn=functools.partial(collate, array=self.task.array),
                          persistent_workers=workers > 0, pin_memory=torch.cuda.is_available(),
                          drop_last=False)

    def transfer_batch_to_device(self, batch, device, dataloader_idx):
        """Only the audio moves; events stay NumPy tables on the host."""
        lb, where = batch
        return lb.replace(audio=lb.audio.to(device, non_blocking=True)), where

    def train_dataloader(self) -> DataLoader:
        return self._loader(self.train_set, shuffle=True)

    def val_dataloader(self):
        return [] if self.valid_set is None else self._loader(self.valid_set, shuffle=False)

    # the references the module scores against
    def valid_ids(self) -> list[str]:
        return [r.id for r in self.valid_set.prepared.corpus.recordings]

    def valid_references(self) -> dict[str, Events]:
        """Whole-recording labels of the validation set (from the label store, not the files again; built at
        the first validation and kept)."""
        if self._references is None:
            prepared, hop = self.valid_set.prepared, self.task.label_hop
            self._references = {}
            for r, rec in enumerate(prepared.corpus.recordings):
                ev = prepared.labels.events(r)
                ev.n_frames = -(-int(prepared.lengths[r]) // hop)
                self._references[rec.id] = ev.select(ev.frame < ev.n_frames)
        return self._references


def read_corpus(cfg: dict) -> Corpus:
    """The corpus named in a ``data`` config (``corpus``, ``root``, ``array``, reader ``options``)."""
    root = cfg.get("root")
    if root in (None, "", "???"):
        raise ConfigError("no dataset folder: give data.root=DIR (make a synthetic one with `seld synth --bank BANK "
                          "--out DIR --preset quick`)")
    return load_corpus(cfg.get("corpus", "synth"), root, array=cfg.get("array", "foa"), **dict(cfg.get("options") or {}))
