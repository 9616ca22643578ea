"""Regenerate ``golden_seldnet.json``: seld-net's (JSTSP 2018) metric functions on the cases of metric_cases.py.

Not a test. seld-net scores label matrices, not files: the cases are turned here into its matrices (SED
[frames, C] of 0/1; DOA [frames, 3C] as x..., y..., z..., zero for inactive classes as with its default
``xyz_def_zero``; files concatenated) and its ``evaluation_metrics.py`` runs unchanged in a Python with
numpy < 1.24 and scikit-learn (for ``confusion_matrix``); IPython is replaced by an empty stand-in::

    git clone https://github.com/sharathadavanne/seld-net /tmp/oracle_src/seld-net
    python3 -m venv /tmp/oracle && /tmp/oracle/bin/pip install numpy==1.23.5 scipy "scikit-learn<1.3"
    .venv/bin/python tests/metrics/oracle_seldnet.py --official /tmp/oracle_src --python /tmp/oracle/bin/python

The driver reports ``compute_sed_scores`` (ER, F), and from ``compute_doa_scores_regr_xyz`` the DOA error over
predicted-active classes as seld.py turns it into an angle (``2 arcsin(d / 2)``), ``avg_accuracy`` as the frame
recall, the SELD mean of those four and ``good_frame_cnt / frames``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import metric_cases as mc  # noqa: E402

GOLDEN = Path(__file__).resolve().parent / "golden_seldnet.json"
HOP_512 = 512 / 2 / 44100  # SELDnet's default nfft 512 at 44.1 kHz: 172 frames per 1 s block

#: The cross-checked cases: generator seed, number of files, frames per file, frame length.
CASES = [
    {"id": "seldnet_s81", "seed": 81, "n_files": 3, "n_frames": [516], "frame_len": HOP_512},
    {"id": "seldnet_s82", "seed": 82, "n_files": 1, "n_frames": [600], "frame_len": HOP_512},
    {"id": "seldnet_s83", "seed": 83, "n_files": 4, "n_frames": [150, 100], "frame_len": 0.02},
    {"id": "seldnet_s84", "seed": 84, "n_files": 2, "n_frames": [60], "frame_len": 0.1},
]


def build_case(case: dict) -> list[mc.SeldnetFile]:
    """The files of a case (from metric_cases.py)."""
    return mc.seldnet_case(case["seed"], case["n_files"], tuple(case["n_frames"]), case["frame_len"])


def to_matrices(files: list[mc.SeldnetFile], num_classes: int = 11, seed: int = 0):
    """seld-net's inputs: (pred DOA, ref DOA, pred SED, ref SED) of the concatenated files. Predicted DOAs of
    classes the prediction does not detect are random (seld-net's network outputs something there)."""
    rng = np.random.default_rng(seed)
    mats = []
    for f in files:
        C = num_classes
        sed_r, sed_p = np.zeros((f.n_frames, C), int), np.zeros((f.n_frames, C), int)
        doa_r, doa_p = np.zeros((f.n_frames, 3 * C)), rng.uniform(-1, 1, (f.n_frames, 3 * C))
        for rows, sed, doa in ((f.ref, sed_r, doa_r), (f.pred, sed_p, doa_p)):
            t, c = rows[:, 0].astype(int), rows[:, 1].astype(int)
            sed[t, c] = 1
            for axis in range(3):
                doa[t, axis * C + c] = rows[:, 2 + axis]
        mats.append((doa_p, doa_r, sed_p, sed_r))
    return [np.concatenate(m) for m in zip(*mats)]


DRIVER = r'''
import json, sys, types
import numpy as np
sys.modules["IPython"] = types.ModuleType("IPython")
sys.modules["IPython"].embed = lambda *a, **k: None
sys.path.insert(0, sys.argv[1])
import evaluation_metrics as em
data = np.load(sys.argv[2])
nb_frames_1s = int(sys.argv[3])
er, f1 = em.compute_sed_scores(data["sed_p"], data["sed_r"], nb_frames_1s)
doa, _ = em.compute_doa_scores_regr_xyz(data["doa_p"], data["doa_r"], data["sed_p"], data["sed_r"])
avg_accuracy, doa_gt, doa_pred, _, _, good = doa
le = 2 * np.arcsin(doa_pred / 2) * 180 / np.pi
out = dict(ER=float(er), F=float(f1), LE=float(le), LR=float(avg_accuracy),
           SELD=float(np.mean([er, 1 - f1, le / 180, 1 - avg_accuracy])),
           good_frame_ratio=float(good) / data["sed_r"].shape[0])
print(json.dumps(out))
'''


def run_official(official: Path, python: str, files: list[mc.SeldnetFile], frame_len: float) -> dict:
    """Run seld-net's metric functions on a case; its numbers as a dict."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "case.npz"
        doa_p, doa_r, sed_p, sed_r = to_matrices(files)
        np.savez(path, doa_p=doa_p, doa_r=doa_r, sed_p=sed_p, sed_r=sed_r)
        proc = subprocess.run([python, "-c", DRIVER, str(official / "seld-net"), str(path),
                               str(int(1 / frame_len))], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"seld-net scorer failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--official", type=Path, required=True, help="folder holding seld-net")
    parser.add_argument("--python", required=True, help="interpreter with numpy<1.24 and scikit-learn")
    args = parser.parse_args()
    golden = {}
    for case in CASES:
        golden[case["id"]] = {"case": case, "official": run_official(args.official, args.python,
                                                                     build_case(case), case["frame_len"])}
        print(case["id"], json.dumps(golden[case["id"]]["official"]), file=sys.stderr)
    GOLDEN.write_text(json.dumps(golden, indent=1) + "\n")


if __name__ == "__main__":
    main()
