"""The LightningModule: one :class:`~seld.system.SeldSystem` trained with its method's loss.

A training step runs, on the training device: waveform augmentations, the front end (no gradient), feature
augmentations, then the targets of the output method are encoded from the (augmented) events, and the loss is
taken. Validation decodes each chunk, puts the chunks of a recording back together and scores the whole set
with the DCASE metric of the dataset (gathered from every rank first, so that several processes give exactly
the single-process numbers).

Reproducibility: every random draw of a step (augmentations) comes from a generator seeded by (run seed, rank,
global step), and so is the global torch generator (dropout) before each step, so a run resumed from an
epoch-end checkpoint ends with the weights of an uninterrupted run.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Mapping

import lightning as L
import numpy as np
import torch

from seld import __version__
from seld.data.batch import LabelledBatch
from seld.errors import ConfigError
from seld.formats import Events
from seld.models.checkpoints import FORMAT, TRAINING_KEY, VERSION
from seld.system import SeldSystem

__all__ = ["SeldLitModule", "mixed_seed", "balanced_class_weights"]

log = logging.getLogger(__name__)

#: name of the system attribute in the module (its weights' prefix in Lightning checkpoints)
_PREFIX = "system.model."


def mixed_seed(*parts: int) -> int:
    """A 63-bit seed from integers (NumPy's SeedSequence mixing), stable across machines."""
    return int(np.random.SeedSequence([int(p) & 0xFFFFFFFF for p in parts]).generate_state(2, np.uint64)[0] >> 1)


class SeldLitModule(L.LightningModule):
    """Training, validation and checkpointing of a :class:`SeldSystem`.

    Args:
        system: front end + network + method of the task.
        optimizer: ``{"name": "adamw"|"adam"|"sgd", "lr": ..., "weight_decay": ..., "scheduler": {"name":
            "step", "step_size": ..., "gamma": ...} | {"name": "none"}}``.
        augment: an augmentation chain (``apply_wave`` / ``apply_features``) or ``None``.
        metric, average: DCASE metric of validation (``dcase2024`` is used when the task predicts distance).
        threshold: activity threshold(s) of the decoder in validation.
        seed: run seed.
        metadata: extra facts written into every checkpoint (experiment name, data, ...).
        class_weights: per-class loss weights: ``None``, ``"balanced"`` (from the training labels, see
            :func:`balanced_class_weights`) or one number per class.
        class_boost: ``{class name: factor}`` multiplying those classes' weights (of ``class_weights``, or 1).
    """

    def __init__(self, system: SeldSystem, optimizer: dict, augment=None, metric: str = "dcase2023",
                 average: str = "macro", threshold=0.5, seed: int = 0, metadata: dict | None = None,
                 class_weights=None, class_boost: dict | None = None):
        super().__init__()
        for key, value in (("class_weights", class_weights), ("class_boost", class_boost)):
            if value is not None and not system.method.supports_class_weights:
                raise ConfigError(f"method.{key}: the {system.method.name} loss has no per-class terms to "
                                  "weight (ACCDOA and multi-ACCDOA have); remove the setting")
        self.class_boost = _class_factors(class_boost, system.task.classes)
        if class_weights is not None and class_weights != "balanced":    # checked now, not after the data is read
            k = system.task.num_classes
            try:
                class_weights = np.asarray(class_weights, np.float64)
            except (TypeError, ValueError):
                class_weights = np.zeros(0)
            if class_weights.shape != (k,) or not np.all(np.isfinite(class_weights)) or np.any(class_weights < 0):
                raise ConfigError(f"method.class_weights must be 'balanced' or {k} non-negative numbers")
        self.class_weights = class_weights
        self.system = system
        self.optimizer_cfg = dict(optimizer)
        self.augment = augment
        self.metric = "dcase2024" if system.task.distance else metric
        self.average = average
        self.threshold = threshold
        self.seed = int(seed)
        self.metadata = dict(metadata or {})
        self._valid_parts: list[tuple[int, int, Events]] = []

    @property
    def task(self):
        return self.system.task

    def setup(self, stage: str) -> None:
        """Set the method's class weights (the datamodule is set up first, so its training labels are there)."""
        weights = self.class_weights
        if (weights is None and self.class_boost is None) or stage != "fit":
            return
        if weights is None:
            weights = np.ones(self.task.num_classes)
        elif isinstance(weights, str):    # "balanced"
            counts = self.trainer.datamodule.train_set.prepared.labels.class_frames(self.task.num_classes)
            weights = balanced_class_weights(counts)
            log.info("class weights (balanced over active frames %s): %s", counts.tolist(),
                     np.round(weights, 3).tolist())
        if self.class_boost is not None:
            weights = weights * self.class_boost
            log.info("class weights after method.class_boost: %s", np.round(weights, 3).tolist())
        self.system.method.class_weights = torch.as_tensor(weights, dtype=torch.float32)

    # ------------------------------------------------------------------------------------------------- steps
    def _targets(self, lb: LabelledBatch):
        method, t, k = self.system.method, self.task.chunk_label_frames, self.task.num_classes
        target = method.collate([method.encode(ev, t, k, activity=act) for ev, act in zip(lb.events, lb.activity)])
        if isinstance(target, dict):
            return {key: v.to(self.device) for key, v in target.items()}
        return target.to(self.device)

    def _features(self, audio: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            return self.system.features(audio)

    def training_step(self, batch, batch_idx):
        lb, _ = batch
        torch.manual_seed(mixed_seed(self.seed, 1, self.global_rank, self.global_step))    # dropout, drop path
        gen = torch.Generator().manual_seed(mixed_seed(self.seed, 2, self.global_rank, self.global_step))
        if self.augment is not None:
            lb = self.augment.apply_wave(lb, gen)
        lb = lb.replace(features=self._features(lb.audio), audio=None)
        if self.augment is not None:
            lb = self.augment.apply_features(lb, gen)
        terms = self.system.method.loss_terms(self.system.model(lb.features), self._targets(lb))
        self.log_dict({f"train/{k}": v.detach() for k, v in terms.items()}, prog_bar=False, on_step=True,
                      on_epoch=True, batch_size=len(lb))
        self.log("loss", terms["loss"].detach(), prog_bar=True, logger=False, batch_size=len(lb))
        return terms["loss"]

    # ---------------------------------------------------------------------------------------------- validation
    def on_validation_epoch_start(self) -> None:
        self._valid_parts = []

    def validation_step(self, batch, batch_idx):
        lb, where = batch
        out = self.system.model(self._features(lb.audio))
        terms = self.system.method.loss_terms(out, self._targets(lb))
        self.log("val/loss", terms["loss"], sync_dist=True, batch_size=len(lb))
        decoded = self.system.decode(out, self.threshold)
        for (rec, frame), ev in zip(where.tolist(), decoded):
            self._valid_parts.append((rec, frame, ev))

    def on_validation_epoch_end(self) -> None:
        parts = self._valid_parts
        if self.trainer.world_size > 1:
            gathered = [None] * self.trainer.world_size
            torch.distributed.all_gather_object(gathered, parts)
            parts = [p for rank_parts in gathered for p in rank_parts]
        dm = self.trainer.datamodule
        if dm is None or not parts:
            return
        result = score_chunks(parts, dm.valid_references(), dm.valid_ids(), self.metric, self.average,
                              self.task.num_classes)
        values = {k: v for k, v in result.overall().items() if v is not None and np.isfinite(v)}
        # every rank holds every value: logged without a further reduction
        self.log_dict({f"val/{k}": float(v) for k, v in values.items()}, prog_bar=False)
        # the F-score of every class, to see which classes the network has not learned yet
        per_class_f = result.per_class.get("F", ())
        self.log_dict({f"val/F/{name}": float(f) for name, f in zip(self.task.classes, per_class_f)
                       if np.isfinite(f)}, prog_bar=False)
        if "SELD" in values:
            self.log("SELD", float(values["SELD"]), prog_bar=True, logger=False)

    # ------------------------------------------------------------------------------------------- optimisation
    def configure_optimizers(self):
        params = [p for p in self.system.model.parameters() if p.requires_grad]
        return make_optimizer(params, self.optimizer_cfg, self.trainer.max_epochs)

    # -------------------------------------------------------------------------------------------- checkpoints
    def on_save_checkpoint(self, checkpoint: dict) -> None:
        """Our header beside Lightning's state: ``load_checkpoint`` and ``seld infer`` read any checkpoint of a
        run (see :func:`seld.models.checkpoints.training_checkpoint_view`)."""
        compiled = hasattr(self.system.model, "_orig_mod")       # torch.compile keeps the network under _orig_mod
        model = getattr(self.system.model, "_orig_mod", self.system.model)
        checkpoint[TRAINING_KEY] = {
            "format": FORMAT, "version": VERSION, "config": model.config, "classes": list(self.task.classes),
            "task": self.task.to_dict(), "prefix": _PREFIX + ("_orig_mod." if compiled else ""),
            "metadata": {"seld_version": __version__, "epoch": int(self.current_epoch),
                         "global_step": int(self.global_step), **self.metadata}}


_OPTIMIZERS = {"adamw": torch.optim.AdamW, "adam": torch.optim.Adam, "sgd": torch.optim.SGD}


def make_optimizer(params, cfg: dict, max_epochs: int | None):
    """The optimiser (and epoch scheduler) of an ``optimizer`` config (see :class:`SeldLitModule`); a wrong
    name or option is a :class:`~seld.errors.ConfigError` naming the choices."""
    cfg = dict(cfg)
    name = cfg.pop("name", "adamw")
    sched = dict(cfg.pop("scheduler", None) or {"name": "none"})
    kind = sched.pop("name", "none")
    if name not in _OPTIMIZERS:
        raise ConfigError(f"unknown optimizer.name {name!r}; choose {', '.join(_OPTIMIZERS)}")
    try:
        opt = _OPTIMIZERS[name](params, **cfg)
        if kind == "none":
            return opt
        if kind == "step":
            scheduler = torch.optim.lr_scheduler.StepLR(opt, **sched)
        elif kind == "cosine":
            scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(1, max_epochs or 1), **sched)
        else:
            raise ConfigError(f"unknown optimizer.scheduler.name {kind!r}; choose none, step or cosine")
    except (TypeError, ValueError) as err:
        raise ConfigError(f"optimizer {name} / scheduler {kind}: {err}") from None
    return {"optimizer": opt, "lr_scheduler": {"scheduler": scheduler, "interval": "epoch"}}


def _class_factors(boost: Mapping | None, classes) -> np.ndarray | None:
    """``{class name: factor}`` as one factor per class of ``classes`` (1 for the others); checked now, so that a
    misspelt class fails before any data is read."""
    if boost is None:
        return None
    if not isinstance(boost, Mapping):
        raise ConfigError(f"method.class_boost must map class names to factors, got {boost!r}")
    try:
        factors = {str(name): float(value) for name, value in boost.items()}
    except (TypeError, ValueError):
        factors = {"": np.nan}
    if not all(np.isfinite(v) and v >= 0 for v in factors.values()):
        raise ConfigError(f"method.class_boost: factors must be non-negative numbers, got {dict(boost)}")
    names = list(classes)
    unknown = sorted(set(factors) - set(names))
    if unknown:
        raise ConfigError(f"method.class_boost: no class {', '.join(unknown)} in this task; its classes are "
                          f"{', '.join(names)}")
    return np.array([factors.get(name, 1.0) for name in names])


def balanced_class_weights(frames: np.ndarray) -> np.ndarray:
    """Loss weights from active frames per class: proportional to ``1 / sqrt(frames)`` (a class with none
    counts as having one), scaled to mean 1. So a class active in a quarter as many frames as another weighs
    twice as much: the rare short events (knock, door) are not left to a network that does well enough by
    never predicting them, without the noisy gradients of full inverse-frequency weights."""
    w = 1.0 / np.sqrt(np.maximum(np.asarray(frames, np.float64), 1.0))
    return w / w.mean()


def score_chunks(parts, references: dict[str, Events], ids: list[str], metric: str, average: str,
                 num_classes: int):
    """Score decoded chunks ``(recording number, first label frame, Events)`` against whole-recording
    references: chunks are shifted into place, frames past a recording's end (padding) dropped, duplicates
    (a distributed sampler pads its shards) counted once."""
    from seld.metrics import score

    seen, per_rec = set(), defaultdict(list)
    for rec, frame, ev in parts:
        if (rec, frame) in seen:
            continue
        seen.add((rec, frame))
        per_rec[rec].append((frame, ev))
    preds = {}
    for rec, rid in enumerate(ids):
        ref = references[rid]
        chunks = []
        for frame, ev in sorted(per_rec.get(rec, []), key=lambda p: p[0]):
            shifted = ev.select(slice(None))
            shifted.frame = ev.frame + frame
            chunks.append(shifted)
        pred = Events.concat(chunks) if chunks else Events.empty(frame_len=ref.frame_len)
        pred.n_frames = ref.n_frames
        preds[rid] = pred.select(pred.frame < ref.n_frames)
    return score(references, preds, metric, average=average if metric in ("dcase2022", "dcase2023") else None,
                 classes=num_classes)
