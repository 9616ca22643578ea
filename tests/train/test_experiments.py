"""Every experiment config composes, and runs one training and one validation step with a tiny variant of its
model on a tiny dataset in its corpus' layout, so that no recipe rots unseen (lightning-hydra-template's habit).
Fine-tuning experiments start from a tiny checkpoint, as `seld finetune` does."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from seld.models import create_model
from seld.models.checkpoints import save_checkpoint
from seld.formats import get_classes
from seld.task import TaskSpec
from seld.train import compose, train
from seld.train.cli import list_experiments

TESTS = Path(__file__).parents[1]
_spec = importlib.util.spec_from_file_location("corpus_builders", TESTS / "data" / "corpus_builders.py")
builders = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(builders)

EXPERIMENTS = list_experiments()
#: tiny variants' settings that the real models' recipes would not fit
TINY_KWARGS = {"seldnet": ["++model.kwargs.t_pool=[1,1,1]", "++model.kwargs.f_pool=[4,4,2]"]}
#: experiment settings that name classes of the real data (the tiny synth set has the tone classes)
TINY_SETTINGS = {"default_finetune": ["~method.class_boost", "+method.class_boost={bell: 2}"]}
#: experiments that continue another one's run (``seld finetune`` from its model)
STAGES = {"default_finetune": "default"}


def test_the_pseldnets_and_seldnet_recipes_are_all_there():
    expected = {"quick", "synth_accdoa", "synth_maccdoa", "synth_einv2", "synth_einv2_agg", "synth_seddoa_agg",
                "dcase2021/finetune_maccdoa_augmix1", "l3das22/finetune_maccdoa_augmix",
                "starss23/finetune_maccdoa_augmix1", "l3das22/finetune_maccdoa_ov1_adapterbit",
                "l3das22/finetune_maccdoa_ov1mono_adapterbit", "seldnet/ansim", "seldnet/cresim", "default",
                "default_finetune"}
    assert expected <= set(EXPERIMENTS)


@pytest.fixture(scope="module")
def corpora(tmp_path_factory, request):
    """One tiny dataset per corpus the experiments use, built on first use."""
    made = {}
    assets = TESTS / "assets"

    def get(name: str) -> Path:
        if name not in made:
            root = tmp_path_factory.mktemp(name)
            if name == "synth":
                root = request.getfixturevalue("tiny_dataset")
            elif name == "starss23":
                builders.build_starss(root, assets / "starss22_metadata_dev", distance=True)
            elif name == "dcase2021":
                builders.build_dcase2021(root, assets / "starss22_metadata_dev")
            elif name == "l3das22":
                builders.build_l3das22_pseldnets(root)
            elif name == "dcase2019":
                builders.build_dcase2019(root, assets / "tau_sse2019_metadata_sample")
            elif name == "seldnet":
                builders.build_seldnet(root, assets / "tau_sse2019_metadata_sample", ovs=(1,), splits=(1,))
            else:
                raise AssertionError(f"no tiny {name} dataset")
            made[name] = root
        return made[name]

    return get


@pytest.fixture(scope="module")
def pretrained(tmp_path_factory) -> Path:
    """A tiny PSELDNets-like checkpoint (HTS-AT, multi-ACCDOA, 13 classes, log-mel + IV task)."""
    model = create_model("test_htsat", method="maccdoa", num_classes=13, seed=0)
    task = TaskSpec(get_classes("starss23").names, method="maccdoa")
    return save_checkpoint(model, tmp_path_factory.mktemp("pre") / "pseld.ckpt", task=task)


def tiny_overrides(name: str, corpora, out: Path) -> list[str]:
    """Experiment ``name`` with a tiny variant of its model, one step of training and validation."""
    cfg = compose([f"experiment={name}"])
    corpus = cfg.data.corpus
    overrides = [f"experiment={name}", f"data.root={corpora(corpus)}", f"out_dir={out}",
                 f"model.name=test_{cfg.model.name}", *TINY_KWARGS.get(cfg.model.name, []),
                 "trainer.accelerator=cpu", "trainer.enable_progress_bar=false", "trainer.max_epochs=1",
                 "+trainer.limit_train_batches=1", "+trainer.limit_val_batches=1", "data.num_workers=0",
                 "data.batch_size=2", *TINY_SETTINGS.get(name, [])]
    if corpus in ("seldnet", "dcase2019"):
        overrides += ["data.train=train1", "data.valid=test1"]
    else:
        overrides += ["data.chunk_seconds=2.0"]
    if corpus == "synth":
        overrides += ["data.train=train", "data.valid=test"]
    return overrides


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("name", EXPERIMENTS)
def test_experiment_runs_a_training_and_a_validation_step(name, corpora, pretrained, tmp_path):
    cfg = compose([f"experiment={name}"])
    if cfg.data.corpus == "seldnet" and cfg.data.options.get("dataset") in ("cansim", "cresim"):
        pytest.skip("the tiny SELDnet set is FOA; the circular-array recipes differ only in the channel count")
    if name in STAGES:  # a recipe's later stage starts from a tiny run of the stage before it
        init = train(compose(tiny_overrides(STAGES[name], corpora, tmp_path / "first")))["model"]
    else:
        init = pretrained if "finetune" in name else None
    result = train(compose(tiny_overrides(name, corpora, tmp_path / "run")), init=init)
    assert result["epochs"] == 1 and Path(result["model"]).is_file()
