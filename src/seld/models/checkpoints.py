"""Checkpoints: our own format, and importers for PSELDNets, AudioSet (PANNs CNN14, HTS-AT, PaSST) and DCASE
2023/2024 baseline weights.

Our checkpoint is a ``torch.save`` dict ``{"format": "seld-model", "version": 1, "config": ...,
"classes": [...] | None, "task": {...} | None, "state_dict": ..., "metadata": {...}, "checksum": "..."}``:
``checksum`` is a SHA-256 of the header and of every tensor's name, dtype, shape and bytes, written at save time
and verified at load time, so that a damaged file is refused rather than run. ``config`` holds the
arguments of :func:`seld.models.create_model`, so :func:`load_checkpoint` rebuilds the network from the file
alone, and ``task`` the :class:`seld.task.TaskSpec` (audio format, front end, classes, output method) that
rebuilds the front end and the decoder (:func:`seld.system.load_system`). Importers write a task too. Files are
read with ``torch.load(weights_only=True)``; a foreign file that needs arbitrary unpickling is refused unless the
caller trusts it (``allow_pickle=True``). Every file is checked before use: the CRC-32 of each record of a zip
checkpoint (torch does not check them), ``state_dict`` / ``model`` entries that are mappings of names to
tensors, and no NaN in any floating-point tensor.

Importers rename the source keys into ours (the tables live next to each backbone), inflate one-channel first
layers to the input channels (``W.repeat(1, C, 1, 1) / C``), copy AudioSet's input BatchNorm ``bn0`` into every
channel of our input normalisation, and fit PaSST's positional embeddings. Every weight of the target model must
be covered except the parts that are new by design (the head, and the Conformer/cross-stitch units for AudioSet
weights); anything else missing, unexpected or of the wrong shape raises :class:`~seld.errors.FormatError`.

The DCASE baselines' multi-ACCDOA output, ``[track, axis, class]`` flattened (3 x 3 x K, or 3 x 4 x K with the
2024 distances), already is our layout, so their output layer is copied without permutation.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import torch
from torch import Tensor, nn

from seld import __version__
from seld.errors import ConfigError, FormatError, InputError
from seld.models.backbones import cnn14_conformer, crnn, htsat, passt
from seld.models.heads import TRACKWISE_METHODS
from seld.models.registry import create_model, get_model_entry
from seld.task import TaskSpec
from seld.userio import atomic_path, os_error, read_user_text

__all__ = ["save_checkpoint", "load_checkpoint", "Checkpoint", "ImportReport", "import_weights", "import_pseldnets",
           "convert_pseldnets_state", "import_audioset", "import_dcase_baseline", "convert_dcase_state",
           "inflate_channels", "read_torch_file", "resolve_classes", "imported_task", "AUDIOSET_SOURCES", "DCASE_SOURCES"]

FORMAT = "seld-model"
VERSION = 1

#: AudioSet checkpoint kind -> the backbone it initialises.
AUDIOSET_SOURCES = {"panns": "cnn14_conformer", "htsat": "htsat", "passt": "passt"}

#: ``--from`` name of a DCASE task 3 baseline -> its year.
DCASE_SOURCES = {"dcase2023": 2023, "dcase2024": 2024}
#: Frequency pooling of the baselines' three convolution blocks (``f_pool_size``).
_DCASE_F_POOL = (4, 4, 2)

_FAMILY_MODULES = {"htsat": htsat, "passt": passt, "cnn14_conformer": cnn14_conformer}


@dataclass
class Checkpoint:
    """What a seld checkpoint holds besides the weights."""

    config: dict
    classes: list[str] | None
    metadata: dict
    task: TaskSpec | None = None


@dataclass
class ImportReport:
    """Outcome of an import: tensors loaded, keys left at their initialisation, source keys not used."""

    source: str
    loaded: int
    reinitialised: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)

    def summary(self) -> str:
        lines = [f"{self.source}: loaded {self.loaded} tensors"]
        if self.reinitialised:
            lines.append(f"newly initialised: {_abbrev(self.reinitialised)}")
        if self.ignored:
            lines.append(f"ignored from the source: {_abbrev(self.ignored)}")
        return "; ".join(lines)


def _abbrev(keys: list[str], n: int = 6) -> str:
    """Keys grouped by pattern (indices as ``*``) with counts: ``encoder.layers.*.blocks.*.attn_mask (5)``."""
    counts: dict[str, int] = {}
    for key in keys:
        pattern = re.sub(r"(?<=\.)\d+(?=\.|$)", "*", key)
        counts[pattern] = counts.get(pattern, 0) + 1
    items = [f"{p} ({c})" if c > 1 else p for p, c in counts.items()]
    return ", ".join(items[:n]) + (f" and {len(items) - n} more" if len(items) > n else "")


# --- our format ------------------------------------------------------------------------------------------------

def save_checkpoint(model: nn.Module, path: str | Path, classes=None, metadata: dict | None = None,
                    task: TaskSpec | None = None) -> Path:
    """Write ``model`` (built by :func:`create_model`, possibly ``torch.compile``-d) with its config, class list
    and task description, atomically. ``classes`` defaults to the task's."""
    model = getattr(model, "_orig_mod", model)  # unwrap torch.compile, whose keys carry "_orig_mod."
    config = getattr(model, "config", None)
    if not config:
        raise ConfigError("the model has no config: build it with seld.models.create_model")
    if classes is None and task is not None:
        classes = task.classes
    names = None if classes is None else [str(c) for c in classes]
    if names is not None and len(names) != model.num_classes:
        raise ConfigError(f"{len(names)} class names given for a model with {model.num_classes} classes")
    if task is not None and list(task.classes) != names:
        raise ConfigError("the class list differs from the task description's")
    path = Path(path)
    payload = {"format": FORMAT, "version": VERSION, "config": config, "classes": names,
               "task": None if task is None else task.to_dict(),
               "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
               "metadata": {"seld_version": __version__, **(metadata or {})}}
    payload["checksum"] = checkpoint_checksum(payload)
    with atomic_path(path) as tmp:   # the plain-open() file mode; unwritable places name the path
        torch.save(payload, tmp)
    return path


#: fields of our checkpoint covered by :func:`checkpoint_checksum` besides the tensors
_CHECKED_FIELDS = ("format", "version", "config", "classes", "task", "metadata")


def checkpoint_checksum(payload: dict) -> str:
    """SHA-256 (hex) of a checkpoint's header fields (as sorted JSON) and of every tensor of its ``state_dict``
    (name, dtype, shape and bytes, in name order)."""
    h = hashlib.sha256()
    header = {k: payload.get(k) for k in _CHECKED_FIELDS}
    h.update(json.dumps(header, sort_keys=True, default=str).encode())
    for name in sorted(payload["state_dict"]):
        t = payload["state_dict"][name]
        h.update(f"\0{name}\0{t.dtype}\0{tuple(t.shape)}\0".encode())
        data = t.detach().cpu().reshape(-1).contiguous()
        if data.numel():
            h.update(data.view(torch.uint8).numpy().tobytes())
    return h.hexdigest()


def _check_zip_records(path: Path) -> None:
    """Verify the CRC-32 of every record of a zip-format torch file (torch itself does not); records written
    without a CRC (``torch.serialization.set_crc32_options(False)``, CRC field 0) cannot be checked."""
    try:
        with zipfile.ZipFile(path) as z:
            for info in z.infolist():
                if info.CRC == 0 and info.file_size:
                    continue
                with z.open(info) as f:
                    while f.read(1 << 22):
                        pass
    except zipfile.BadZipFile as err:   # also raised for a CRC mismatch
        raise FormatError(path, None, f"the checkpoint is damaged ({err})",
                          "copy or download the file again") from None
    except (OSError, EOFError, ValueError, NotImplementedError, RuntimeError) as err:
        raise FormatError(path, None, f"the checkpoint is damaged ({type(err).__name__}: {err})",
                          "copy or download the file again") from None


def _check_tensors(path: Path, obj: dict) -> None:
    """``state_dict`` / ``model`` entries (or the dict itself, when it maps names to tensors) must map names to
    tensors without NaN."""
    containers = [(k, obj[k]) for k in ("state_dict", "model") if k in obj]
    if not containers and obj and all(isinstance(v, Tensor) for v in obj.values()):
        containers = [("the file", obj)]
    for key, state in containers:
        if key == "model" and not isinstance(state, dict):
            continue   # a pickled module (trusted files only) is not a state dict
        if not isinstance(state, dict):
            raise FormatError(path, None, f"{key!r} is a {type(state).__name__}, expected a mapping of names to "
                                          "tensors", "is it a model checkpoint?")
        for name, value in state.items():
            if not isinstance(name, str) or not isinstance(value, Tensor):
                raise FormatError(path, None, f"{key!r} holds {name!r}: {type(value).__name__}, expected "
                                              "names mapped to tensors", "is it a model checkpoint?")
            if value.is_floating_point() and bool(torch.isnan(value).any()):
                raise FormatError(path, None, f"tensor {name} holds NaN values",
                                  "the weights are broken (a diverged training run?); use another checkpoint")


def read_torch_file(path: str | Path, allow_pickle: bool = False) -> dict:
    """``torch.load`` a file on CPU, refusing arbitrary pickled objects unless ``allow_pickle``, damaged files
    (zip record CRCs), state dicts that are not names mapped to tensors, and NaN weights."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "no such checkpoint file" if not path.exists() else "is not a file")
    try:
        size = path.stat().st_size
        if zipfile.is_zipfile(path):
            _check_zip_records(path)
    except OSError as err:
        raise os_error(path, err) from None
    if size == 0:
        raise FormatError(path, None, "empty file (0 bytes)", "is it a PyTorch checkpoint?")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=not allow_pickle)
    except Exception as err:  # noqa: BLE001 - torch raises UnpicklingError, RuntimeError, EOFError... for bad files
        text = str(err).strip()
        hint = ("it holds objects besides tensors; load it only if you trust its origin (allow_pickle / "
                "--trust-pickle)" if "weights_only" in text or "Unsupported global" in text
                else "is it a PyTorch checkpoint?")
        first = text.splitlines()[0] if text else "no details"
        raise InputError(path, f"cannot read the checkpoint ({type(err).__name__}: {first})", hint) from None
    if not isinstance(obj, dict):
        raise FormatError(path, None, f"expected a dict, found {type(obj).__name__}")
    _check_tensors(path, obj)
    return obj


#: key under which `seld train` stores our header inside a Lightning checkpoint
TRAINING_KEY = "seld"


def training_checkpoint_view(raw: dict) -> dict:
    """A Lightning checkpoint written by ``seld train`` (optimiser and loop state for resuming, plus our header
    under :data:`TRAINING_KEY` naming the prefix of the network's weights) seen as our format; other dicts
    unchanged."""
    header = raw.get(TRAINING_KEY)
    if not isinstance(header, dict) or not isinstance(raw.get("state_dict"), dict):
        return raw
    prefix = str(header.get("prefix", ""))
    state = {k[len(prefix):]: v for k, v in raw["state_dict"].items() if k.startswith(prefix)}
    return {**{k: v for k, v in header.items() if k != "prefix"}, "state_dict": state}


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> tuple[nn.Module, Checkpoint]:
    """Rebuild the model stored in a seld checkpoint (or a ``seld train`` checkpoint) and load its weights
    (strictly)."""
    path = Path(path)
    raw = training_checkpoint_view(read_torch_file(path))
    if raw.get("format") != FORMAT or "config" not in raw or "state_dict" not in raw:
        raise FormatError(path, None, "not a seld model checkpoint",
                          "convert foreign weights with `seld import` first")
    version = raw.get("version", 0)
    if not isinstance(version, int) or isinstance(version, bool):
        raise FormatError(path, None, f"checkpoint version {version!r} is not a number", "re-save the model")
    if version > VERSION:
        raise FormatError(path, None, f"checkpoint version {raw['version']} is newer than this seld ({VERSION})",
                          "upgrade seld")
    if not isinstance(raw["config"], dict):
        raise FormatError(path, None, "the model config is not a mapping", "re-save the model with this seld")
    config = dict(raw["config"])
    try:
        model = create_model(config.pop("name", None), **config)
    except (ConfigError, TypeError, ValueError, KeyError, AttributeError, RuntimeError) as err:
        raise FormatError(path, None, f"cannot rebuild the model from its config: {err}",
                          "was it written by a newer seld?") from None
    _load_checked(model, raw["state_dict"], path, allowed_missing=lambda k: False)
    # after the structural checks, whose messages say more about a hand-edited file than a checksum would
    if "checksum" in raw and raw["checksum"] != checkpoint_checksum(raw):
        raise FormatError(path, None, "the checkpoint is damaged: its checksum does not match its content",
                          "copy the file again, or use another checkpoint")
    task = raw.get("task")
    if task is not None:
        try:
            task = TaskSpec.from_dict(task, where=f"{path}: task description")
        except ConfigError as err:
            raise FormatError(path, None, str(err), "re-save the model with this seld") from None
    info = Checkpoint(config=dict(raw["config"]), classes=raw.get("classes"), metadata=raw.get("metadata", {}),
                      task=task)
    return model.to(map_location), info


def _load_checked(model: nn.Module, state: dict[str, Tensor], path: Path,
                  allowed_missing: Callable[[str], bool]) -> list[str]:
    """Load ``state`` into ``model``; every other key of the model must be ``allowed_missing``. Returns the
    model keys left untouched."""
    own = model.state_dict()
    unexpected = sorted(k for k in state if k not in own)
    mismatched = sorted(f"{k} {tuple(state[k].shape)} vs {tuple(own[k].shape)}" for k in state
                        if k in own and state[k].shape != own[k].shape)
    untouched = [k for k in own if k not in state]
    missing = [k for k in untouched if not allowed_missing(k)]
    problems = []
    for label, keys in (("missing", missing), ("unexpected", unexpected), ("wrong shape", mismatched)):
        if keys:
            problems.append(f"{len(keys)} {label} ({', '.join(keys[:4])}{', ...' if len(keys) > 4 else ''})")
    if problems:
        raise FormatError(path, None, "weights do not fit the model: " + "; ".join(problems),
                          "check the backbone, method, class count and input channels")
    model.load_state_dict(state, strict=False)
    return untouched


def inflate_channels(weight: Tensor, channels: int) -> Tensor:
    """Adapt a first-layer weight ``[out, c, ...]`` to ``channels`` inputs: a one-channel weight is repeated
    and divided by ``channels`` (so identical input channels give the one-channel output)."""
    have = weight.shape[1]
    if have == channels:
        return weight
    if have != 1:
        raise ConfigError(f"cannot adapt a first layer with {have} input channels to {channels}")
    return weight.repeat(1, channels, *([1] * (weight.ndim - 2))) / channels


# --- PSELDNets -------------------------------------------------------------------------------------------------

def _strip_lightning(state: dict[str, Tensor]) -> tuple[dict[str, Tensor], list[str]]:
    out, ignored = {}, []
    for key, value in state.items():
        if key.startswith("af_extractor."):
            ignored.append(key)
            continue
        key = key[len("net."):] if key.startswith("net.") else key
        key = key[len("_orig_mod."):] if key.startswith("_orig_mod.") else key
        out[key] = value
    return out, ignored


def _detect_family(state: dict[str, Tensor], path: Path) -> tuple[str, bool]:
    keys = set(state)
    if any(k.startswith("sed_encoder.layers.") for k in keys):
        return "htsat", True
    if any(k.startswith("encoder.layers.") for k in keys):
        return "htsat", False
    if any(k.startswith("encoder.blocks.") for k in keys):
        return "passt", False
    if any(k.startswith("convs.conv_block") for k in keys):
        return "cnn14_conformer", False
    if any(k.startswith(("sed_encoder.blocks.", "sed_convs.")) for k in keys):
        raise FormatError(path, None, "PSELDNets EINV2-PaSST / EINV2-CRNN checkpoints (per-track decoders) are not "
                                      "supported; only EINV2-HTSAT was published")
    raise FormatError(path, None, "not a PSELDNets checkpoint (no HTS-AT, PaSST or CNN14-Conformer weights found)")


def _rename(state: dict[str, Tensor], renames, drops) -> tuple[dict[str, Tensor], list[str]]:
    out, dropped = {}, []
    for key, value in state.items():
        if any(re.search(p, key) for p in drops):
            dropped.append(key)
            continue
        for pattern, repl in renames:
            new, n = re.subn(pattern, repl, key, count=1)
            if n:
                key = new
                break
        out[key] = value
    return out, dropped


def _pseldnets_head(state: dict[str, Tensor], method: str | None, num_classes: int | None,
                    path: Path) -> tuple[str, int]:
    if "head.sed.conv.weight" in state:
        k = state["head.sed.conv.weight"].shape[0] // 3
        method = method or "einv2"
        if method not in TRACKWISE_METHODS:
            raise ConfigError(f"{path}: a track-wise (EINV2/SEDDOA) checkpoint imports as einv2, agg1 or agg2, "
                              f"not {method!r}")
        return method, k
    weight = state.get("head.proj.conv.weight", state.get("head.proj.fc.weight"))
    if weight is None:
        raise FormatError(path, None, "no output layer (tscam_conv / fc) found")
    out = weight.shape[0]
    per_class = {"accdoa": 3, "maccdoa": 9}
    if method is None and num_classes is not None:
        method = next((m for m, n in per_class.items() if out == n * num_classes), None)
        if method is None:
            raise ConfigError(f"{path}: an output of {out} units fits neither ACCDOA nor mACCDOA with "
                              f"{num_classes} classes")
    if method is None:
        if out % 9 == 0:
            raise ConfigError(f"{path}: {out} outputs can be ACCDOA ({out // 3} classes) or mACCDOA "
                              f"({out // 9} classes); give the method or the number of classes")
        method = "accdoa"
    if method not in per_class or out % per_class[method]:
        raise ConfigError(f"{path}: an output of {out} units does not fit method {method!r}")
    return method, out // per_class[method]


def _detect_adaptation(state: dict[str, Tensor]) -> dict | None:
    """AdapterBit / LoRA fine-tunes carry their extra weights; rebuild the same structure (scale as published)."""
    fc1 = next((v for k, v in state.items() if k.endswith(".adapter.fc1.weight")), None)
    if fc1 is not None:
        scale = "learnable" if any(k.endswith(".adapter.scale") for k in state) else 0.1
        return {"type": "adapterbit", "ratio": fc1.shape[0] / fc1.shape[1], "scale": scale}
    lora = next((v for k, v in state.items() if k.endswith(".lora_A")), None)
    if lora is not None:
        return {"type": "lora", "r": lora.shape[0],
                "conv": any(k.endswith("patch_embed.proj.lora_A.weight") for k in state)}
    return None


def convert_pseldnets_state(state: dict[str, Tensor], path: str | Path = "<state dict>"
                            ) -> tuple[dict[str, Tensor], str, bool, list[str]]:
    """Rename a PSELDNets state dict (``state_dict`` of the Lightning checkpoint) into our keys.

    Returns the renamed dict, the backbone family, whether it is the two-branch EINV2 layout, and the source
    keys dropped (front-end buffers ``af_extractor.*`` and buffers we recompute). Pure: no model is built.
    """
    path = Path(path)
    state, ignored = _strip_lightning(state)
    family, two_branch = _detect_family(state, path)
    module = _FAMILY_MODULES[family]
    state, dropped = _rename(state, module.PSELDNETS_RENAMES, module.PSELDNETS_DROP)
    return state, family, two_branch, ignored + dropped


def import_pseldnets(path: str | Path, *, method: str | None = None, num_classes: int | None = None,
                     backbone: str | None = None, allow_pickle: bool = False) -> tuple[nn.Module, ImportReport]:
    """Load a PSELDNets Lightning checkpoint (keys under ``net.`` / ``net._orig_mod.``) into our model.

    The backbone family, two-branch layout, class count, input channels and bins are read from the weights, and
    AdapterBit / LoRA fine-tunes are rebuilt with their adapters. An output size that fits both ACCDOA and
    mACCDOA (1530 = 3 x 510 = 9 x 170) needs ``method`` or ``num_classes``. ``backbone`` picks a registered
    variant of the detected family (default: the PSELDNets size). SEDDOA-HTSAT (one encoder, track-wise heads)
    imports as a single-branch model; track-wise checkpoints import as ``einv2`` unless ``method`` says
    ``agg1`` or ``agg2`` (same network, other loss).
    """
    path = Path(path)
    raw = read_torch_file(path, allow_pickle)
    state, family, two_branch, ignored = convert_pseldnets_state(raw.get("state_dict", raw), path)
    backbone = backbone or family
    if get_model_entry(backbone).module != _FAMILY_MODULES[family].__name__:
        raise ConfigError(f"{path}: the checkpoint holds a {family} model, not a {backbone!r} one")
    method, k = _pseldnets_head(state, method, num_classes, path)
    scalars = [key for key in state if re.fullmatch(r"scalar\.\d+\.weight", key)]
    if not scalars:
        raise FormatError(path, None, "no input normalisation (scalar.*) found")
    kwargs = {"in_channels": len(scalars), "n_freq": state["scalar.0.weight"].shape[0]}
    if method in TRACKWISE_METHODS:
        kwargs["two_branch"] = two_branch
        if two_branch:
            kwargs["sed_in_channels"] = state[f"encoder.sed.{htsat.HTSAT.first_conv}"].shape[1]
    model = create_model(backbone, method=method, num_classes=k, adapter=_detect_adaptation(state), **kwargs)
    _load_checked(model, state, path, allowed_missing=lambda key: False)
    report = ImportReport(f"PSELDNets {family} {method} (K={k})", loaded=len(state), ignored=ignored)
    return model, report


# --- AudioSet --------------------------------------------------------------------------------------------------

def _branches(model: nn.Module) -> list[tuple[str, nn.Module]]:
    enc = model.encoder
    if getattr(model, "two_branch", False):
        return [("encoder.sed.", enc.sed), ("encoder.doa.", enc.doa)]
    return [("encoder.", enc)]


def import_audioset(path: str | Path, source: str, *, method: str = "maccdoa", num_classes: int = 13,
                    backbone: str | None = None, allow_pickle: bool = False, **model_kwargs) -> tuple[nn.Module,
                                                                                                      ImportReport]:
    """Initialise a new model's encoder from AudioSet weights: ``source`` is ``panns`` (``Cnn14_mAP=0.431.pth``),
    ``htsat`` (``HTSAT-fullset-imagenet-768d-32000hz.ckpt``) or ``passt`` (``passt-l-kd-ap.47.ckpt``).

    The head (and, for PANNs, the Conformer; for two-branch models, the cross-stitch units) stays newly
    initialised; ``model_kwargs`` go to :func:`create_model`.
    """
    path = Path(path)
    if source not in AUDIOSET_SOURCES:
        raise ConfigError(f"unknown AudioSet source {source!r}; choose {', '.join(AUDIOSET_SOURCES)}")
    family = AUDIOSET_SOURCES[source]
    backbone = backbone or family
    module = _FAMILY_MODULES[family]
    if get_model_entry(backbone).module != module.__name__:
        raise ConfigError(f"{source} weights initialise a {family} backbone, not {backbone!r}")
    raw = read_torch_file(path, allow_pickle)
    model = create_model(backbone, method=method, num_classes=num_classes, **model_kwargs)

    bn0: dict[str, Tensor] = {}
    if source == "panns":
        state = raw.get("model", raw)
        branch_state, bn0, ignored = cnn14_conformer.checkpoint_filter_panns(state, len(_branches(model)[0][1].blocks))
    elif source == "htsat":
        state = {k[len("sed_model."):] if k.startswith("sed_model.") else k: v
                 for k, v in raw.get("state_dict", raw).items()}
        branch_state, bn0, ignored = htsat.checkpoint_filter_audioset(state)
    else:
        branch_state, ignored = passt.checkpoint_filter_audioset(raw.get("state_dict", raw), _branches(model)[0][1])
    if not branch_state:
        raise FormatError(path, None, f"no {family} encoder weights found; is this a {source} checkpoint?")

    new_state: dict[str, Tensor] = {}
    for prefix, enc in _branches(model):
        first = enc.first_conv
        for key, value in branch_state.items():
            if key == first:
                value = inflate_channels(value, enc.get_parameter(first).shape[1])
            new_state[prefix + key] = value
    if bn0:
        for c in range(model.in_channels):
            for key, value in bn0.items():
                new_state[f"scalar.{c}.{key}"] = value

    fresh = ("head.", "encoder.stitch.") + (("encoder.conformer.", "encoder.sed.conformer.",
                                             "encoder.doa.conformer.") if source == "panns" else ())
    fresh += () if bn0 else ("scalar.",)
    untouched = _load_checked(model, new_state, path, allowed_missing=lambda key: key.startswith(fresh))
    report = ImportReport(f"AudioSet {source} -> {backbone} {method} (K={num_classes})", loaded=len(new_state),
                          reinitialised=untouched, ignored=ignored)
    return model, report


# --- DCASE 2023 / 2024 baselines -------------------------------------------------------------------------------

def convert_dcase_state(state: dict[str, Tensor], path: str | Path = "<state dict>") -> dict[str, Tensor]:
    """Rename the ``state_dict`` of the DCASE 2023/2024 baseline ``SeldModel`` into the keys of ``crnn_dcase``.

    Keys of other layouts are kept unchanged, so that loading reports them as unexpected.
    """
    path = Path(path)
    if "conv_block_list.0.conv.weight" not in state or not any(k.startswith("fnn_list.") for k in state):
        raise FormatError(path, None, "not a DCASE baseline state dict (no conv_block_list.0.conv.weight or "
                                      f"fnn_list.* among {_abbrev(sorted(state), 4)})",
                          "give the file written by the baseline's train_seldnet.py (its model.state_dict())")
    if any(k.startswith(("visual_embed_to_d_model.", "transformer_decoder.")) for k in state):
        raise FormatError(path, None, "the audio-visual DCASE2024 baseline (visual_embed_to_d_model, "
                                      "transformer_decoder) is not supported", "import an audio-only model")
    fnn = sorted({int(m[1]) for k in state if (m := re.match(r"fnn_list\.(\d+)\.", k))})
    renames = [(rf"^fnn_list\.{fnn[-1]}\.", "head.proj.fc."), (r"^fnn_list\.(\d+)\.", r"head.proj.fnn.\1."),
               *crnn.DCASE_BASELINE_RENAMES]
    return _rename(state, renames, ())[0]


def _dcase_head(out: int, distance: bool, method: str | None, num_classes: int | None,
                path: Path) -> tuple[str, int]:
    """Method and class count of an output layer of ``out`` units (3 or 9 per class, 4 or 12 with distance)."""
    per_class = {"accdoa": 4, "maccdoa": 12} if distance else {"accdoa": 3, "maccdoa": 9}
    if method is None and num_classes is not None:
        method = next((m for m, n in per_class.items() if out == n * num_classes), None)
        if method is None:
            raise ConfigError(f"{path}: an output of {out} units fits neither ACCDOA nor multi-ACCDOA with "
                              f"{num_classes} classes")
    method = method or "maccdoa"
    if method not in per_class or out % per_class[method]:
        raise ConfigError(f"{path}: an output of {out} units does not fit method {method!r} "
                          f"({', '.join(f'{m}: {n} per class' for m, n in per_class.items())}); is it a "
                          f"{'2023' if distance else '2024'} baseline file?")
    return method, out // per_class[method]


def import_dcase_baseline(path: str | Path, year: int = 2023, *, method: str | None = None,
                          num_classes: int | None = None, backbone: str | None = None, allow_pickle: bool = False,
                          **model_kwargs) -> tuple[nn.Module, ImportReport]:
    """Load the weights of the official DCASE ``year`` task 3 baseline (``seldnet_model.SeldModel`` saved with
    ``torch.save(model.state_dict())``, e.g. ``3_1_dev_split0_multiaccdoa_foa_model.h5``) into ``crnn_dcase``.

    Input channels (7 FOA log-mel + IV, 10 MIC log-mel + GCC), bins, layer sizes and classes are read from the
    weights; the model eats the baseline's already-normalised 20 ms features and gives one output per 100 ms.
    2023 weights give tanh-ed ACCDOA vectors; 2024 weights a distance per vector and linear outputs, as that
    baseline was trained. ``method`` (default multi-ACCDOA, the published models) or ``num_classes`` tells
    single-ACCDOA files apart; ``model_kwargs`` (e.g. ``mhsa_heads``, which the weights do not show) go to
    :func:`create_model`.
    """
    path = Path(path)
    if year not in DCASE_SOURCES.values():
        raise ConfigError(f"no DCASE baseline importer for {year}; choose "
                          f"{' or '.join(map(str, DCASE_SOURCES.values()))}")
    backbone = backbone or "crnn_dcase"
    if get_model_entry(backbone).module != crnn.__name__:
        raise ConfigError(f"DCASE baseline weights fit a CRNN variant (crnn_dcase), not {backbone!r}")
    raw = read_torch_file(path, allow_pickle)
    state = convert_dcase_state(raw.get("state_dict", raw), path)
    needed = ("encoder.convs.0.0.weight", "encoder.gru.weight_ih_l0", "encoder.gru.weight_hh_l0",
              "head.proj.fc.weight")
    absent = [k for k in needed if k not in state]
    if absent:
        raise FormatError(path, None, f"incomplete DCASE baseline state dict: no {', '.join(absent)} after renaming")
    filters, in_channels = state["encoder.convs.0.0.weight"].shape[:2]
    distance = year >= 2024
    method, k = _dcase_head(state["head.proj.fc.weight"].shape[0], distance, method, num_classes, path)
    n_fnn = sum(1 for key in state if re.fullmatch(r"head\.proj\.fnn\.\d+\.weight", key))
    bins_per_step = state["encoder.gru.weight_ih_l0"].shape[1] // filters  # GRU input = filters x pooled bins
    arch = {"in_channels": in_channels, "conv_filters": filters,
            "n_freq": bins_per_step * math.prod(model_kwargs.get("f_pool", _DCASE_F_POOL)),
            "rnn_size": state["encoder.gru.weight_hh_l0"].shape[1],
            "rnn_layers": sum(1 for key in state if re.fullmatch(r"encoder\.gru\.weight_ih_l\d+", key)),
            "mhsa_layers": sum(1 for key in state if re.fullmatch(r"encoder\.mhsa\.\d+\.in_proj_weight", key)),
            "fnn_size": tuple(state[f"head.proj.fnn.{i}.weight"].shape[0] for i in range(n_fnn))}
    model = create_model(backbone, method=method, num_classes=k, distance=distance, doa_tanh=not distance,
                         **{**arch, **model_kwargs})
    _load_checked(model, state, path, allowed_missing=lambda key: False)
    report = ImportReport(f"DCASE{year} baseline {method} (K={k}, {in_channels} input channels)", loaded=len(state))
    return model, report


# --- one call for the CLI --------------------------------------------------------------------------------------

def resolve_classes(spec) -> list[str] | None:
    """A class list from a built-in name or count (see :func:`seld.formats.get_classes`), a list of names, or
    a text file with one name per line (tab-separated lines, like PSELDNets' ``cls_indices_train.tsv``, give
    the third column)."""
    if spec is None:
        return None
    if isinstance(spec, (list, tuple)):
        return [str(s) for s in spec]
    path = Path(str(spec))
    if path.is_file() or (not str(spec).strip().isdigit() and any(c in str(spec) for c in "/\\.")):
        text = read_user_text(path, "class list file (one class name per line)")
        names, lines = [], []
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                cols = line.split("\t")
                name = (cols[2] if len(cols) >= 3 else cols[0]).strip()
                if not name or not name.isprintable():
                    raise FormatError(path, number, f"{name!r} is not a class name",
                                      "one class name per line (or index, id, name tab-separated)")
                names.append(name)
                lines.append(number)
        if not names:
            raise InputError(path, "the class file is empty", "write one class name per line")
        seen: dict[str, int] = {}
        for name, number in zip(names, lines):
            if name in seen:
                raise FormatError(path, number, f"class {name!r} is listed twice (first on line {seen[name]})",
                                  "list each class once")
            seen[name] = number
        return names
    from seld.formats import get_classes

    return list(get_classes(spec))


def import_weights(src: str | Path, out: str | Path, source: str, *, backbone: str | None = None,
                   method: str | None = None, num_classes: int | None = None, classes=None, target_classes=None,
                   in_channels: int | None = None, allow_pickle: bool = False,
                   sample_rate: int = 24000) -> tuple[nn.Module, ImportReport]:
    """Convert PSELDNets (``source="pseldnets"``), AudioSet (``panns``, ``htsat``, ``passt``) or DCASE baseline
    (``dcase2023``, ``dcase2024``) weights into a seld checkpoint at ``out``. ``classes`` names the model's
    classes; ``target_classes`` re-initialises the head for another class list (transfer learning) and is stored
    instead. The checkpoint carries the task description of :func:`imported_task` (``sample_rate``: 32000 for
    L3DAS22 fine-tunes)."""
    if num_classes is not None and (isinstance(num_classes, bool) or not isinstance(num_classes, int)
                                    or not 1 <= num_classes <= 100000):
        raise ConfigError(f"the number of classes must be an integer from 1 to 100000, got {num_classes!r}")
    if in_channels is not None and (isinstance(in_channels, bool) or not isinstance(in_channels, int)
                                    or not 1 <= in_channels <= 1024):
        raise ConfigError(f"the input channels must be an integer from 1 to 1024, got {in_channels!r}")
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, int) or not 1000 <= sample_rate <= 384000:
        raise ConfigError(f"the sample rate must be an integer from 1000 to 384000 Hz, got {sample_rate!r}")
    names = resolve_classes(classes)
    if names is not None:
        if num_classes is not None and num_classes != len(names):
            raise ConfigError(f"num_classes {num_classes} disagrees with the {len(names)} names of --classes")
        num_classes = len(names)
    if source == "pseldnets":
        if in_channels is not None:
            raise ConfigError("the input channels of a PSELDNets checkpoint are read from its weights")
        model, report = import_pseldnets(src, method=method, num_classes=num_classes, backbone=backbone,
                                         allow_pickle=allow_pickle)
    elif source in DCASE_SOURCES:
        if in_channels is not None:
            raise ConfigError("the input channels of a DCASE baseline checkpoint are read from its weights")
        model, report = import_dcase_baseline(src, DCASE_SOURCES[source], method=method, num_classes=num_classes,
                                              backbone=backbone, allow_pickle=allow_pickle)
    else:
        if num_classes is None:
            raise ConfigError("AudioSet weights carry no SELD head: give the classes or their number")
        model, report = import_audioset(src, source, method=method or "maccdoa", num_classes=num_classes,
                                        backbone=backbone, in_channels=in_channels, allow_pickle=allow_pickle)
    if names is not None and len(names) != model.num_classes:
        raise ConfigError(f"the checkpoint has {model.num_classes} classes but {len(names)} names were given")
    target = resolve_classes(target_classes)
    if target is not None:
        model.reset_head(len(target))
        names = target
        report.reinitialised = sorted({*report.reinitialised, *(f"head.{k}" for k in model.head.state_dict())})
    task = imported_task(model, source, names, sample_rate)
    save_checkpoint(model, out, task=task, metadata={"imported_from": source, "source_file": Path(src).name})
    return model, report


#: (source family, input channels, bins) -> (array, front end) of the published systems
_FRONTENDS = {("pseldnets", 7, 64): ("foa", "logmel_iv"), ("pseldnets", 4, 64): ("foa", "logmel"),
              ("dcase", 7, 64): ("foa", "logmel_iv_dcase"), ("dcase", 10, 64): ("mic", "logmel_gcc"),
              ("dcase", 7, 382): ("mic", "salsa_lite")}


def imported_task(model: nn.Module, source: str, classes: list[str] | None, sample_rate: int = 24000) -> TaskSpec:
    """The task description of imported weights: the front end their authors trained with (read from the input
    channels and bins), 10 s chunks for PSELDNets and AudioSet, 5 s for the DCASE baselines. Without ``classes``
    the classes are named by number (``class0`` ...)."""
    family = "dcase" if source in DCASE_SOURCES else "pseldnets"
    key = (family, model.in_channels, model.n_freq)
    if key not in _FRONTENDS:
        raise ConfigError(f"cannot tell the front end of a {source} model with {model.in_channels} input channels x "
                          f"{model.n_freq} bins; known inputs: "
                          + ", ".join(f"{c} x {f} ({fe})" for (fam, c, f), (_, fe) in _FRONTENDS.items() if fam == family))
    array, frontend = _FRONTENDS[key]
    if classes is None:
        from seld.formats import get_classes

        classes = list(get_classes(model.num_classes))
    options = {"distance": True} if getattr(model, "distance", False) else {}
    return TaskSpec(classes=classes, sample_rate=int(sample_rate), array=array, frontend=frontend,
                    method=model.method, method_options=options, chunk_seconds=5.0 if family == "dcase" else 10.0)
