"""Write our models' weights in foreign checkpoint layouts, for the importer tests.

Written from the key tables of the PSELDNets report (shared/reference/pseldnets.md, section 4), independently of
the importer's rename tables: each function takes one of our models and returns its weights as the source code
(PSELDNets Lightning, AudioSet PANNs CNN14 / HTS-AT / PaSST) would have saved them.
"""

from __future__ import annotations

import math

import torch

# Our Conformer sub-module -> position inside sooftware's ConformerBlock.sequential (documented layout).
_SOOFTWARE = {
    "ff1.norm": "0.module.sequential.0", "ff1.fc1": "0.module.sequential.1", "ff1.fc2": "0.module.sequential.4",
    "mhsa.norm": "1.module.layer_norm", "mhsa.q": "1.module.attention.query_proj",
    "mhsa.k": "1.module.attention.key_proj", "mhsa.v": "1.module.attention.value_proj",
    "mhsa.pos": "1.module.attention.pos_proj", "mhsa.out": "1.module.attention.out_proj",
    "conv.norm": "2.module.sequential.0", "conv.pw1": "2.module.sequential.2.conv",
    "conv.dw": "2.module.sequential.4.conv", "conv.bn": "2.module.sequential.5",
    "conv.pw2": "2.module.sequential.7.conv",
    "ff2.norm": "3.module.sequential.0", "ff2.fc1": "3.module.sequential.1", "ff2.fc2": "3.module.sequential.4",
}


def all_tensors(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    """State dict plus the buffers PSELDNets saves and we do not persist (relative_position_index, attn_mask)."""
    out = dict(module.state_dict())
    out.update({k: v for k, v in module.named_buffers()
                if k not in out and k.endswith(("relative_position_index", "attn_mask"))})
    return out


def sinusoid_table(length: int, dim: int) -> torch.Tensor:
    pe = torch.zeros(length, dim)
    for i in range(0, dim, 2):
        freq = math.exp(-math.log(10000.0) * i / dim)
        pe[:, i] = torch.sin(torch.arange(length) * freq)
        pe[:, i + 1] = torch.cos(torch.arange(length) * freq)
    return pe[None]


def _conformer_key(rest: str) -> str:
    # rest = "<layer>.<sub>.<leaf...>"
    layer, sub_a, sub_b, *leaf = rest.split(".")
    if sub_a in ("mhsa",) and sub_b in ("u_bias", "v_bias"):
        return f"decoder.decoder.layers.{layer}.sequential.1.module.attention.{sub_b}"
    if sub_a == "norm":
        return f"decoder.decoder.layers.{layer}.sequential.4.{sub_b}"
    return f"decoder.decoder.layers.{layer}.sequential.{_SOOFTWARE[f'{sub_a}.{sub_b}']}." + ".".join(leaf)


def pseldnets_key(key: str) -> str:
    """Our key -> the key the PSELDNets module would have (before the Lightning ``net.`` prefix)."""
    for ours, theirs in (("encoder.sed.", "sed_encoder."), ("encoder.doa.", "doa_encoder."),
                         ("encoder.stitch.", "stitch1."), ("head.proj.conv.", "tscam_conv."),
                         ("head.sed.conv.", "sed_tscam_conv."), ("head.doa.conv.", "doa_tscam_conv."),
                         ("head.proj.fc.", "fc."), ("encoder.out_norm.", "encoder.head.0.")):
        if key.startswith(ours):
            return theirs + key[len(ours):]
    parts = key.split(".")
    if parts[:2] == ["encoder", "blocks"] and parts[3] in ("conv1", "conv2", "bn1", "bn2"):  # CNN14, not PaSST
        return f"convs.conv_block{int(parts[2]) + 1}." + ".".join(parts[3:])
    if key.startswith("encoder.conformer."):
        return _conformer_key(key[len("encoder.conformer."):])
    return key


def pseldnets_checkpoint(model: torch.nn.Module, compiled: bool = True) -> dict:
    """The Lightning checkpoint PSELDNets would save for ``model``: ``{"state_dict": {"net._orig_mod." + key}}``
    with the feature extractor's buffers and, for the Conformer, the 10000-row sinusoidal table."""
    prefix = "net._orig_mod." if compiled else "net."
    device = next(model.parameters()).device
    state = {prefix + pseldnets_key(k): v for k, v in all_tensors(model).items()}
    conformer_layers = {k.split(".")[2] for k in model.state_dict() if k.startswith("encoder.conformer.")}
    for layer in conformer_layers:
        dim = model.encoder.num_features
        pe = sinusoid_table(10000, dim) if device.type != "meta" else torch.empty(1, 10000, dim, device="meta")
        state[f"{prefix}decoder.decoder.layers.{layer}.sequential.1.module.positional_encoding.pe"] = pe
    state["af_extractor.stft_extractor.window"] = torch.hann_window(1024, device=device)
    state["af_extractor.mel_scale.fb"] = torch.zeros(513, 64, device=device)
    return {"state_dict": state, "epoch": 7, "global_step": 1000}


def bn0_state(n_freq: int, gen: torch.Generator) -> dict[str, torch.Tensor]:
    """An AudioSet model's input BatchNorm with non-trivial statistics."""
    return {"bn0.weight": torch.rand(n_freq, generator=gen) + 0.5,
            "bn0.bias": torch.randn(n_freq, generator=gen),
            "bn0.running_mean": torch.randn(n_freq, generator=gen),
            "bn0.running_var": torch.rand(n_freq, generator=gen) + 0.5,
            "bn0.num_batches_tracked": torch.tensor(12)}
