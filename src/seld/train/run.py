"""A training run from a composed config: the task, the network, the data, the trainer; resume and export.

``train(cfg)`` is what ``seld train experiment=NAME key=value ...`` runs and ``finetune(ckpt, cfg)`` what
``seld finetune CKPT ...`` runs. A run lives in ``out_dir``: ``config.yaml`` (the composed config),
``checkpoints/last.ckpt`` and ``checkpoints/best.ckpt`` (Lightning checkpoints that :func:`seld.load_system`
also reads), ``model.ckpt`` (the best network alone, our format), ``logs/version_N/`` (CSV) and ``tb/version_N/``
(TensorBoard; a resumed run adds a version).
Running the same command again resumes from ``last.ckpt``, also in a moved folder; a folder holding a run with
other settings is refused with the settings that differ.
"""

from __future__ import annotations

import logging
from pathlib import Path

import torch
from omegaconf import DictConfig, OmegaConf

from seld.errors import ConfigError
from seld.models import apply_adaptation, create_model
from seld.models.checkpoints import load_checkpoint, save_checkpoint
from seld.system import SeldSystem
from seld.task import TaskSpec
from seld.userio import atomic_path

__all__ = ["compose", "build_task", "build_run", "train", "finetune", "CONFIG_MODULE"]

log = logging.getLogger(__name__)

CONFIG_MODULE = "seld.configs"
#: settings that may change when a run is resumed
_RESUMABLE = {"out_dir", "trainer.max_epochs", "data.num_workers", "trainer.enable_progress_bar", "trainer.devices",
              "trainer.num_nodes", "trainer.accelerator", "trainer.strategy"}


def compose(overrides: list[str] | None = None, config_name: str = "train") -> DictConfig:
    """The config of ``seld train`` composed from ``overrides`` (``experiment=quick data.root=...``)."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_module
    from hydra.core.global_hydra import GlobalHydra
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    GlobalHydra.instance().clear()
    try:
        with initialize_config_module(CONFIG_MODULE, version_base="1.3"):
            return hydra_compose(config_name, overrides=list(overrides or []))
    except (HydraException, OmegaConfBaseException) as err:
        raise ConfigError(f"config: {str(err).splitlines()[0]} (list the experiments with `seld train --list`)") from None


def _plain(node):
    return OmegaConf.to_container(node, resolve=True) if isinstance(node, DictConfig) or OmegaConf.is_list(node) \
        else node


def build_task(cfg: DictConfig, corpus) -> TaskSpec:
    """The task of a run: the corpus' audio and classes, the data config's front end and chunks, the method."""
    data = cfg.data
    return TaskSpec(classes=corpus.classes, sample_rate=corpus.sample_rate, array=corpus.array,
                    channels=corpus.channels, frontend=data.frontend,
                    frontend_options=_plain(data.get("frontend_options")) or {},
                    label_frame=float(data.get("label_frame", 0.1)), method=cfg.method.name,
                    method_options=_plain(cfg.method.get("options")) or {},
                    chunk_seconds=float(data.chunk_seconds))


def _feature_shape(task: TaskSpec) -> tuple[int, int, int]:
    """Channels, bins and frames per label frame of the task's features (a short silent clip through the front
    end)."""
    frontend = task.make_frontend()
    if task.label_hop % frontend.hop_length:
        raise ConfigError(f"the label frame ({task.label_hop} samples) is not a whole number of {task.frontend} "
                          f"hops ({frontend.hop_length} samples)")
    with torch.no_grad():
        feats = frontend(torch.zeros(1, task.channels, task.label_hop * 2))
    return int(feats.shape[1]), int(feats.shape[3]), task.label_hop // frontend.hop_length


def _build_model(cfg: DictConfig, task: TaskSpec, init: str | Path | None):
    """A new network for ``task``, or the one of checkpoint ``init`` with a new class head where the classes
    differ; then the adaptation of ``cfg.adapt``."""
    in_channels, n_freq, per_label = _feature_shape(task)
    head = task.make_method().head
    adapter = cfg.adapt.get("adapter", "none")
    if init is None:
        kwargs = {"frames_per_label": per_label, **(_plain(cfg.model.get("kwargs")) or {})}
        if task.distance:
            kwargs["distance"] = True
        return create_model(cfg.model.name, method=head, num_classes=task.num_classes, in_channels=in_channels,
                            n_freq=n_freq, seed=int(cfg.seed), adapter=None if adapter == "none" else _plain(adapter),
                            **kwargs)
    model, info = load_checkpoint(init)
    if (model.in_channels, model.n_freq, model.frames_per_label) != (in_channels, n_freq, per_label):
        trained = f" ({info.task.frontend})" if info.task else ""
        raise ConfigError(f"{init}: the network takes {model.in_channels} x {model.n_freq} features at "
                          f"{model.frames_per_label} frames per label{trained}, the experiment's front end "
                          f"{task.frontend} gives {in_channels} x {n_freq} at {per_label}; set data.frontend to the "
                          "one the checkpoint was trained with")
    if model.method != head:
        raise ConfigError(f"{init}: the network has a {model.method} head, the experiment trains {task.method}; "
                          f"use method={model.method}")
    if bool(getattr(model, "distance", False)) != task.distance:
        has = "does not predict" if task.distance else "predicts"
        raise ConfigError(f"{init}: the network {has} distance; set method.options.distance="
                          f"{str(not task.distance).lower()} to match it")
    if info.classes != list(task.classes):
        model.reset_head(task.num_classes, seed=int(cfg.seed))
        log.info("new %d-class head (the checkpoint had %d classes)", task.num_classes, len(info.classes or []))
    if adapter != "none":
        if model.config.get("adapter"):
            raise ConfigError(f"{init}: the network already has adapters ({model.config['adapter']['type']})")
        spec = apply_adaptation(model, _plain(adapter))
        if spec is not None:
            model.config["adapter"] = spec
    return model


def build_run(cfg: DictConfig, init: str | Path | None = None):
    """The LightningModule, DataModule and Trainer of a composed config (``init``: checkpoint to start from)."""
    import lightning as L
    from lightning.pytorch import callbacks as cb
    from lightning.pytorch import loggers

    from seld.train.datamodule import SeldDataModule, read_corpus
    from lightning.fabric.utilities.exceptions import MisconfigurationException

    from seld.train.module import SeldLitModule, make_optimizer

    corpus = read_corpus(cfg.data)
    task = build_task(cfg, corpus)
    system = SeldSystem(task, _build_model(cfg, task, init))
    if cfg.get("compile"):
        system.model = torch.compile(system.model)
    augment = _build_augment(cfg, task)
    out = Path(cfg.out_dir)
    metadata = {"experiment": cfg.get("name"), "corpus": corpus.name, "data_root": str(corpus.root),
                "init": None if init is None else str(init)}
    module = SeldLitModule(system, _plain(cfg.optimizer), augment, metric=cfg.data.get("metric", "dcase2023"),
                           average=cfg.data.get("average", "macro"), threshold=_plain(cfg.method.threshold),
                           seed=int(cfg.seed), metadata=metadata,
                           class_weights=_plain(cfg.method.get("class_weights")),
                           class_boost=_plain(cfg.method.get("class_boost")))
    datamodule = SeldDataModule(_plain(cfg.data), task, seed=int(cfg.seed), corpus=corpus)
    validate = cfg.data.get("valid") is not None
    # best.ckpt by validation score; last.ckpt after every epoch (Lightning's save_last only refreshes it when
    # best.ckpt changes, so that a run killed after epochs without progress would resume before them). last.ckpt
    # is ranked by the step count, so the newest epoch wins, and its callback's state key never equals best's
    # (two unmonitored ModelCheckpoints would clash when there is no validation split)
    callbacks = [_RunCheckpoint(dirpath=out / "checkpoints", filename="best", monitor="val/SELD" if validate
                                else None, mode="min", save_top_k=1, enable_version_counter=False),
                 _RunCheckpoint(dirpath=out / "checkpoints", filename="last", monitor="step", mode="max",
                                save_top_k=1, enable_version_counter=False)]
    patience = cfg.get("early_stopping")
    if patience and validate:
        callbacks.append(cb.EarlyStopping(monitor="val/SELD", mode="min", patience=int(patience)))
    make_optimizer([p for p in system.model.parameters() if p.requires_grad], _plain(cfg.optimizer),
                   cfg.trainer.get("max_epochs"))      # a wrong optimizer setting fails here, before any data is read
    trainer_cfg = _plain(cfg.trainer)
    if trainer_cfg.get("enable_progress_bar", True):
        callbacks.append(cb.RichProgressBar(leave=True))
    try:
        trainer = L.Trainer(**trainer_cfg, default_root_dir=str(out), callbacks=callbacks, enable_model_summary=False,
                            use_distributed_sampler=False, plugins=[AtomicCheckpointIO()],
                            logger=[loggers.CSVLogger(str(out), name="logs"),
                                    loggers.TensorBoardLogger(str(out), name="tb")])
    except (TypeError, ValueError, MisconfigurationException) as err:
        raise ConfigError(f"trainer: {str(err).splitlines()[0]} (the trainer group holds lightning.Trainer "
                          "arguments)") from None
    return module, datamodule, trainer


def _RunCheckpoint(**kwargs):
    """Lightning's ModelCheckpoint, but a run resumed in another folder (a moved run, or ``last.ckpt`` copied
    from another machine) keeps its best epoch and score: the paths in the callback state are taken to name
    files of this run's own ``checkpoints/`` folder, and a best epoch missing from it is refused at once."""
    from lightning.pytorch.callbacks import ModelCheckpoint

    class _Rebased(ModelCheckpoint):
        @property
        def state_key(self):
            # Lightning files a callback's state under its class name: keep ModelCheckpoint's, or a run
            # checkpointed by plain Lightning (or an older seld) would resume with its last epoch as the best
            return super().state_key.replace(type(self).__qualname__, ModelCheckpoint.__qualname__, 1)

        def load_state_dict(self, state_dict):
            old = state_dict.get("dirpath")
            if old and old != self.dirpath:
                def here(path):
                    return str(Path(self.dirpath) / Path(path).name) if path else path

                state_dict = dict(state_dict, dirpath=self.dirpath, best_model_path=here(state_dict["best_model_path"]),
                                  kth_best_model_path=here(state_dict.get("kth_best_model_path", "")),
                                  last_model_path=here(state_dict.get("last_model_path", "")),
                                  best_k_models={here(k): v for k, v in state_dict.get("best_k_models", {}).items()})
            best = state_dict["best_model_path"]
            if best and not Path(best).is_file():
                raise ConfigError(f"{best} is missing: the checkpoint being resumed names it as the run's best epoch; "
                                  f"put that best.ckpt beside last.ckpt in {self.dirpath}, or start the run afresh "
                                  "in an empty out_dir")
            super().load_state_dict(state_dict)

    return _Rebased(**kwargs)


def AtomicCheckpointIO():
    """Lightning's checkpoint writer, but through a temporary file and a rename: a run killed while saving
    keeps its previous ``last.ckpt`` whole."""
    from lightning.pytorch.plugins.io import TorchCheckpointIO

    class _Atomic(TorchCheckpointIO):
        def save_checkpoint(self, checkpoint, path, storage_options=None):
            with atomic_path(path) as tmp:
                super().save_checkpoint(checkpoint, tmp, storage_options)

    return _Atomic()


def _build_augment(cfg: DictConfig, task: TaskSpec):
    """The augmentation chain of ``cfg.augment`` (and ``cfg.adapt.mono``), or ``None`` when it does nothing."""
    from seld.data.augment import build_augmentation

    chain = build_augmentation(_plain(cfg.get("augment")), array=task.array, mono=bool(cfg.adapt.get("mono", False)))
    return chain if chain.wave or chain.feature or chain.augmix else None


def _check_resume(cfg: DictConfig, out: Path) -> None:
    """Write ``config.yaml``, or check that an existing one describes the same run."""
    path = out / "config.yaml"
    new = OmegaConf.to_container(cfg, resolve=True)
    if path.is_file():
        old = _flat(OmegaConf.to_container(OmegaConf.load(path), resolve=True))
        new = _flat(new)
        diffs = [k for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k) and k not in _RESUMABLE]
        if diffs:
            shown = "; ".join(f"{k}: {old.get(k)!r} -> {new.get(k)!r}" for k in diffs[:4])
            raise ConfigError(f"{out} holds a run with other settings ({shown}); give another out_dir=..., or the "
                              "same settings to resume it")
        return
    from seld.formats.table import write_text_atomic

    write_text_atomic(path, OmegaConf.to_yaml(cfg, resolve=True))


def _flat(d: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(_flat(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def train(cfg: DictConfig, init: str | Path | None = None) -> dict:
    """Run (or resume) the training of ``cfg``; returns the paths written and the best validation score."""
    import lightning as L

    L.seed_everything(int(cfg.seed), workers=True, verbose=False)
    out = Path(cfg.out_dir)
    module, datamodule, trainer = build_run(cfg, init)
    _check_resume(cfg, out)
    last = out / "checkpoints" / "last.ckpt"
    trainer.fit(module, datamodule=datamodule, ckpt_path=str(last) if last.is_file() else None)
    result = {"out_dir": str(out), "last": str(last), "epochs": int(trainer.current_epoch)}
    if trainer.global_rank != 0:
        return result
    best = trainer.checkpoint_callback.best_model_path or str(last)
    model, info = load_checkpoint(best)
    save_checkpoint(model, out / "model.ckpt", task=info.task, metadata=info.metadata)
    score = trainer.checkpoint_callback.best_model_score
    result.update(best=best, model=str(out / "model.ckpt"), best_SELD=None if score is None else float(score))
    return result


def finetune(checkpoint: str | Path, cfg: DictConfig) -> dict:
    """Train ``cfg`` starting from the network in ``checkpoint`` (ours or imported)."""
    return train(cfg, init=checkpoint)
