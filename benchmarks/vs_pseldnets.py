"""seld's PSELDNets-size networks against PSELDNets' own code, side by side, printed as JSON.

Builds each full-size multi-ACCDOA network (HTS-AT, PaSST, CNN14-Conformer) with PSELDNets' code from a checkout
you provide (https://github.com/Jinbo-Hu/PSELDNets; measured at adb5e39), gives its batch norms non-trivial
statistics, imports its weights with ``seld.models.import_pseldnets``, checks that both give the same outputs, then
times forwards of both in alternation (eval mode, inference mode, batch of 10-s clips, 7 x 1001 x 64 features).
Alternating in one process puts both under the same machine load; the median ratio is the speed-up. Each network
is measured in a fresh Python process of its own (as a user runs one model), since glibc's malloc adapts to the
allocations it has seen and an earlier model changes the figures of the next; ``--in-process`` measures them one
after another in this process instead.

Only PSELDNets' model code is imported: its logger helper (``utils.utilities.get_pylogger``, which pulls in the
training tools) is replaced by a stand-in written to a temporary folder. glibc's malloc settings change the
reference's figures most (it allocates large temporaries); run once as is and once with
``MALLOC_MMAP_THRESHOLD_=1000000000 MALLOC_TRIM_THRESHOLD_=1000000000`` set to see both.

    python benchmarks/vs_pseldnets.py --reference ~/src/PSELDNets --threads 2 --repeats 6
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from types import SimpleNamespace

from common import emit, environment, timed

MODELS = ("htsat", "passt", "cnn14_conformer")
NUM_CLASSES = 13
STAND_IN = "import logging\n\n\ndef get_pylogger(name=__name__):\n    return logging.getLogger(name)\n"


def reference_model(name: str):
    """PSELDNets' full-size multi-ACCDOA network ``name`` built by its own code (its configs' sizes)."""
    from models import multi_accdoa

    conformer = name == "cnn14_conformer"
    cfg = SimpleNamespace(data=SimpleNamespace(n_mels=64, sample_rate=24000, hoplen=240), adapt={},
                          model=SimpleNamespace(decoder="conformer" if conformer else None,
                                                num_decoder_layers=1 if conformer else 2))
    common = dict(in_channels=7, audioset_pretrain=False, pretrained_path=None)
    if name == "htsat":
        return multi_accdoa.HTSAT(cfg, NUM_CLASSES, spec_size=256, patch_size=4, patch_stride=[4, 4], embed_dim=96,
                                  depths=[2, 2, 6, 2], num_heads=[4, 8, 16, 32], window_size=8, mlp_ratio=4,
                                  qkv_bias=True, drop_rate=0.0, attn_drop_rate=0.0, drop_path_rate=0.1, ape=False,
                                  patch_norm=True, norm_before_mlp="ln", **common)
    if name == "passt":
        return multi_accdoa.PASST(cfg, NUM_CLASSES, u_patchout=0, s_patchout_t=0, s_patchout_f=0, img_size=[64, 1001],
                                  patch_size=16, stride=10, embed_dim=768, depth=7, num_heads=12, mlp_ratio=4,
                                  qkv_bias=True, representation_size=None, distilled=True, drop_rate=0.0,
                                  drop_path_rate=0.0, norm_layer=None, act_layer=None, **common)
    return multi_accdoa.CRNN(cfg, NUM_CLASSES, encoder="CNN12", num_features=[64, 128, 256, 512, 1024, 2048], **common)


def compare(name: str, batch: int, repeats: int, workdir: Path) -> dict:
    import torch

    from seld.models import import_pseldnets

    torch.manual_seed(0)
    ref = reference_model(name).eval()
    with torch.no_grad():  # batch norms with the statistics of a trained network, not the identity
        for key, buf in ref.named_buffers():
            if key.endswith("running_var"):
                buf.uniform_(0.5, 1.5)
            elif key.endswith("running_mean"):
                buf.normal_(0.0, 0.5)
    path = workdir / f"{name}.ckpt"
    torch.save({"state_dict": {"net." + k: v for k, v in ref.state_dict().items()}}, path)
    ours = import_pseldnets(path, method="maccdoa")[0].eval()
    x = torch.randn(batch, 7, 1001, 64, generator=torch.Generator().manual_seed(1))

    def forward(model):
        with torch.inference_mode():
            out = model(x.clone())  # the reference changes its input in place
        return out["multi_accdoa"] if isinstance(out, dict) else out

    diff = float((forward(ref) - forward(ours)).abs().max())
    ref_s, ours_s = [], []
    for _ in range(repeats):
        ref_s += timed(lambda: forward(ref), 1)
        ours_s += timed(lambda: forward(ours), 1)
    return {"max_abs_diff": diff, "equal_to_1e-5": diff <= 1e-5,
            "reference_s": statistics.median(ref_s), "seld_s": statistics.median(ours_s),
            "speedup": statistics.median(r / o for r, o in zip(ref_s, ours_s)),
            "ratios": [round(r / o, 3) for r, o in zip(ref_s, ours_s)]}


def isolated(name: str, args: argparse.Namespace) -> dict:
    """``compare(name)`` run by this script in a fresh Python process."""
    command = [sys.executable, __file__, "--reference", str(args.reference), "--models", name, "--threads",
               str(args.threads), "--batch", str(args.batch), "--repeats", str(args.repeats)]
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True)
    if done.returncode:
        sys.exit(done.returncode)  # the child has printed its error
    return json.loads(done.stdout)["models"][name]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reference", type=Path, required=True, help="a PSELDNets checkout (the folder with src/)")
    parser.add_argument("--models", nargs="+", choices=MODELS, default=list(MODELS))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=4, help="10-s clips per forward")
    parser.add_argument("--repeats", type=int, default=6, help="timed forwards of each network")
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    parser.add_argument("--in-process", action="store_true",
                        help="measure the networks one after another in this process, not each in a fresh one")
    args = parser.parse_args()
    src = args.reference / "src"
    if not (src / "models" / "multi_accdoa.py").is_file():
        parser.error(f"{args.reference}: no src/models/multi_accdoa.py; give the root of a PSELDNets checkout")
    import torch

    torch.set_num_threads(args.threads)
    malloc = {k: v for k, v in os.environ.items() if k.startswith("MALLOC_")}
    env = environment(threads=args.threads, batch=args.batch, repeats=args.repeats, malloc=malloc,
                      fresh_process_per_model=not args.in_process)
    if not args.in_process and len(args.models) > 1:
        emit({"environment": env, "models": {name: isolated(name, args) for name in args.models}}, args.out)
        return
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "utils").mkdir()
        (Path(tmp) / "utils" / "__init__.py").write_text("")
        (Path(tmp) / "utils" / "utilities.py").write_text(STAND_IN)
        sys.path[:0] = [tmp, str(src)]
        try:
            with contextlib.redirect_stdout(sys.stderr):  # the reference prints shapes as it runs
                results = {name: compare(name, args.batch, args.repeats, Path(tmp)) for name in args.models}
        except ImportError as err:
            parser.error(f"{src}: PSELDNets' model code does not import ({err}); install what it imports "
                         "(its requirements.txt) or check out the tested commit adb5e39")
    emit({"environment": env, "models": results}, args.out)


if __name__ == "__main__":
    main()
