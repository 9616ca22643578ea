"""Regenerate ``golden_official.json``: the official scorers' numbers on the random cases of metric_cases.py.

Not a test. Needs the official repositories cloned side by side and a Python with numpy < 1.24 (the official
code uses ``np.float``)::

    git clone https://github.com/sharathadavanne/seld-dcase2019 /tmp/oracle_src/seld-dcase2019   # ... 2020-2023
    git clone https://github.com/partha2409/DCASE2024_seld_baseline /tmp/oracle_src/DCASE2024_seld_baseline
    git clone https://github.com/Jinbo-Hu/PSELDNets /tmp/oracle_src/PSELDNets
    git clone https://github.com/l3das/L3DAS22 /tmp/oracle_src/L3DAS22
    python3 -m venv /tmp/oracle && /tmp/oracle/bin/pip install numpy==1.23.5 scipy
    .venv/bin/python tests/metrics/oracle_golden.py --official /tmp/oracle_src --python /tmp/oracle/bin/python

The official code runs unchanged in a subprocess; its unrelated heavy imports (librosa, IPython, torch, ...)
are replaced by empty stand-ins, and for 2019/2020 (scripts, not functions) the driver repeats the script's
loop. :func:`run_official` is also used by benchmarks/metrics_speed.py.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import metric_cases as mc  # noqa: E402

GOLDEN = Path(__file__).resolve().parent / "golden_official.json"

#: The cross-checked cases: metric, generator seed and size, averaging, jackknife.
CASES = [
    {"id": "dcase2019_s11", "metric": "dcase2019", "seed": 11, "n_files": 3},
    {"id": "dcase2019_s12", "metric": "dcase2019", "seed": 12, "n_files": 2},
    {"id": "dcase2020_s21", "metric": "dcase2020", "seed": 21, "n_files": 4, "num_classes": 14},
    {"id": "dcase2021_s31", "metric": "dcase2021", "seed": 31, "n_files": 4, "num_classes": 12},
    {"id": "dcase2022_macro_s41", "metric": "dcase2022", "seed": 41, "n_files": 4, "average": "macro",
     "jackknife": True},
    {"id": "dcase2022_micro_s41", "metric": "dcase2022", "seed": 41, "n_files": 4, "average": "micro"},
    {"id": "dcase2022_pseldnets_s42", "metric": "dcase2022", "seed": 42, "n_files": 3,
     "average": "macro-pseldnets"},
    {"id": "dcase2023_macro_s51", "metric": "dcase2023", "seed": 51, "n_files": 5, "average": "macro",
     "jackknife": True},
    {"id": "dcase2023_micro_s52", "metric": "dcase2023", "seed": 52, "n_files": 3, "average": "micro"},
    {"id": "dcase2024_macro_s61", "metric": "dcase2024", "seed": 61, "n_files": 4, "average": "macro",
     "jackknife": True},
    {"id": "dcase2024_micro_s62", "metric": "dcase2024", "seed": 62, "n_files": 3, "average": "micro"},
    {"id": "l3das22_s71", "metric": "l3das22", "seed": 71, "n_files": 4},
]

_REF_COLS = {"dcase2020": "polar", "dcase2021": "polar", "dcase2022": "polar", "dcase2023": "polar-dist",
             "dcase2024": "polar-dist"}
_PRED_COLS = {"dcase2020": "cartesian", "dcase2021": "cartesian", "dcase2022": "cartesian",
              "dcase2023": "cartesian-dist", "dcase2024": "cartesian-dist"}


def build_case(case: dict):
    """The files of a case (from metric_cases.py)."""
    if case["metric"] == "dcase2019":
        return mc.dcase2019_case(case["seed"], case["n_files"])
    if case["metric"] == "l3das22":
        return mc.l3das_case(case["seed"], case["n_files"])
    return mc.frame_case(case["seed"], case["n_files"], case.get("num_classes", 13))


def write_case(case: dict, files, ref_dir: Path, pred_dir: Path) -> None:
    """Write a case's CSV files (references one folder deeper, as the 2021+ scorers expect ``ref/<split>/``)."""
    metric = case["metric"]
    if metric == "dcase2019":
        mc.write_dcase2019_case(files, ref_dir, pred_dir)
    elif metric == "l3das22":
        mc.write_l3das_case(files, ref_dir, pred_dir)
    else:
        mc.write_frame_case(files, ref_dir / "dev-test", pred_dir, _REF_COLS[metric], _PRED_COLS[metric])


# Runs inside the oracle interpreter: argv = official root, metric, ref dir, pred dir, JSON options.
DRIVER = r'''
import contextlib, io, json, os, sys, types
import numpy as np

root, metric, ref_dir, pred_dir, opts = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], json.loads(sys.argv[5])
for name in ["IPython", "sklearn", "sklearn.externals", "joblib", "librosa", "librosa.filters", "matplotlib",
             "matplotlib.pyplot", "PIL", "cv2", "cls_vid_features", "torch", "jiwer", "pandas", "transformers",
             "pystoi", "soundfile"]:
    m = types.ModuleType(name)
    sys.modules[name] = m
sys.modules["IPython"].embed = lambda *a, **k: None
sys.modules["sklearn"].preprocessing = None
sys.modules["sklearn.externals"].joblib = None
sys.modules["librosa"].filters = sys.modules["librosa.filters"]
sys.modules["librosa.filters"].mel = lambda sr=None, n_fft=None, n_mels=None, **k: np.zeros((n_mels, n_fft // 2 + 1))
sys.modules["matplotlib"].pyplot = sys.modules["matplotlib.pyplot"]
sys.modules["matplotlib.pyplot"].switch_backend = lambda *a: None
sys.modules["cls_vid_features"].VideoFeatures = None
sys.modules["PIL"].Image = None
class _Pretrained:
    @staticmethod
    def from_pretrained(*a, **k):
        return None
sys.modules["transformers"].Wav2Vec2ForMaskedLM = _Pretrained
sys.modules["transformers"].Wav2Vec2Tokenizer = _Pretrained
sys.modules["transformers"].logging = types.SimpleNamespace(set_verbosity_error=lambda: None)
sys.modules["pystoi"].stoi = None

def f(x):
    return None if x is None or np.isnan(x) else float(x)

out = {}
quiet = contextlib.redirect_stdout(io.StringIO())
if metric == "dcase2019":
    sys.path.insert(0, os.path.join(root, "seld-dcase2019"))
    from metrics import evaluation_metrics as em
    import cls_feature_class
    feat = cls_feature_class.FeatureClass()
    ev = em.SELDMetrics(nb_frames_1s=feat.nb_frames_1s(), data_gen=feat)
    for name in sorted(os.listdir(pred_dir)):
        pred_labels = em.output_format_dict_to_classification_labels(
            em.load_output_format_file(os.path.join(pred_dir, name)), feat)
        gt_labels = feat.get_clas_labels_for_file(feat.read_desc_file(os.path.join(ref_dir, name)))
        ev.update_sed_scores(pred_labels.max(2), gt_labels.max(2))
        ev.update_doa_scores(pred_labels, gt_labels)
    er, fs = ev.compute_sed_scores()
    doa, fr = ev.compute_doa_scores()
    out = dict(ER=f(er), F=f(fs), LE=f(doa), LR=f(fr), SELD=f(em.compute_seld_metric([er, fs], [doa, fr])))
elif metric == "dcase2020":
    sys.path.insert(0, os.path.join(root, "seld-dcase2020"))
    from metrics import SELD_evaluation_metrics as sm
    import cls_feature_class, parameter
    with quiet:
        params = parameter.get_params()
    feat = cls_feature_class.FeatureClass(params)
    ev = sm.SELDMetrics(nb_classes=feat.get_nb_classes(), doa_threshold=params["lad_doa_thresh"])
    split = os.path.join(ref_dir, os.listdir(ref_dir)[0])
    for name in sorted(os.listdir(pred_dir)):
        pred = feat.load_output_format_file(os.path.join(pred_dir, name))
        pred = feat.convert_output_format_cartesian_to_polar(pred)
        gt = feat.load_output_format_file(os.path.join(split, name))
        n = feat.get_nb_frames()
        ev.update_seld_scores(feat.segment_labels(pred, n), feat.segment_labels(gt, n))
    er, fs, de, de_f = ev.compute_seld_scores()
    out = dict(ER=f(er), F=f(fs), LE=f(de), LR=f(de_f), SELD=f(sm.early_stopping_metric([er, fs], [de, de_f])))
elif metric == "dcase2021":
    sys.path.insert(0, os.path.join(root, "seld-dcase2021"))
    import cls_compute_seld_results, parameter
    with quiet:
        params = parameter.get_params()
        res = cls_compute_seld_results.ComputeSELDResults(params, ref_files_folder=ref_dir).get_SELD_Results(pred_dir)
    out = dict(zip(["ER", "F", "LE", "LR", "SELD"], map(f, res)))
elif metric in ("dcase2022", "dcase2023", "dcase2024") and opts.get("average") != "macro-pseldnets":
    repo = {"dcase2022": "seld-dcase2022", "dcase2023": "seld-dcase2023",
            "dcase2024": "DCASE2024_seld_baseline"}[metric]
    sys.path.insert(0, os.path.join(root, repo))
    import cls_compute_seld_results, parameters
    with quiet:
        params = parameters.get_params()
    params["unique_classes"] = 13
    params["average"] = opts["average"]
    if metric == "dcase2024":
        params.update(segment_based_metrics=False, evaluate_distance=True, lad_doa_thresh=20,
                      lad_dist_thresh=float("inf"), lad_reldist_thresh=1.0)
    names = ["ER", "F", "LE", "DE", "RDE", "LR", "SELD"] if metric == "dcase2024" else ["ER", "F", "LE", "LR", "SELD"]
    with quiet:
        scorer = cls_compute_seld_results.ComputeSELDResults(params, ref_files_folder=ref_dir)
        *values, classwise = scorer.get_SELD_Results(pred_dir)
    out = {k: f(v) for k, v in zip(names, values)}
    if len(classwise):
        out["classwise"] = [[f(x) for x in row] for row in np.asarray(classwise)]
    if opts.get("jackknife", False):
        # the official jackknife run returns the values of its LAST leave-one-out subset (the loop variables
        # overwrite the global ones); the intervals are computed from the true global values
        with quiet:
            *values, (classwise, class_ci) = scorer.get_SELD_Results(pred_dir, is_jackknife=True)
        out["ci"] = {k: [f(v[1][0]), f(v[1][1])] for k, v in zip(names, values)}
        out["jackknife_returned"] = {k: f(v[0]) for k, v in zip(names, values)}
        out["left_out_last"] = os.listdir(pred_dir)[-1]
        if len(classwise):
            out["classwise_ci"] = np.asarray(class_ci).tolist()
elif metric in ("dcase2022", "dcase2023"):  # PSELDNets' macro variant on the same segments
    sys.path.insert(0, os.path.join(root, "seld-dcase2022"))
    import cls_feature_class, parameters
    sys.path.insert(0, os.path.join(root, "PSELDNets", "src", "utils"))
    import SELD_metrics as ps
    with quiet:
        params = parameters.get_params()
    feat = cls_feature_class.FeatureClass(params)
    ev = ps.SELDMetrics(nb_classes=13, doa_threshold=20)
    split = os.path.join(ref_dir, os.listdir(ref_dir)[0])
    strip = lambda d: {k: [[v[0]] + v[2:] for v in rows] for k, rows in d.items()}  # PSELDNets: no track
    for name in sorted(os.listdir(pred_dir)):
        gt = feat.load_output_format_file(os.path.join(split, name))
        nb = max(list(gt.keys()))
        pred = feat.convert_output_format_cartesian_to_polar(feat.load_output_format_file(os.path.join(pred_dir, name)))
        ev.update_seld_scores(feat.segment_labels(strip(pred), nb), feat.segment_labels(strip(gt), nb))
    res, classwise = ev.compute_seld_scores(average="macro")
    out = dict(ER=f(res["ER"]), F=f(res["F"]), LE=f(res["LE"]), LR=f(res["LR"]), SELD=f(res["SELD_scr"]))
elif metric == "l3das22":
    sys.path.insert(0, os.path.join(root, "L3DAS22"))
    import metrics as l3
    TP = FP = FN = 0
    for name in sorted(os.listdir(pred_dir)):
        load = lambda d: np.loadtxt(os.path.join(d, name), delimiter=",", ndmin=2)
        tp, fp, fn, _ = l3.location_sensitive_detection(load(pred_dir), load(ref_dir), 300, 2.0)
        TP, FP, FN = TP + tp, FP + fp, FN + fn
    eps = sys.float_info.epsilon
    p, r = TP / (TP + FP + eps), TP / (TP + FN + eps)
    out = dict(F=2 * ((p * r) / (p + r + eps)), precision=p, recall=r, TP=TP, FP=FP, FN=FN)
print(json.dumps(out))
'''


def run_official(official: Path, python: str, metric: str, ref_dir: Path, pred_dir: Path, **opts) -> dict:
    """Run the official scorer of ``metric`` on a reference and a prediction folder; its numbers as a dict."""
    proc = subprocess.run([python, "-c", DRIVER, str(official), metric, str(ref_dir), str(pred_dir),
                           json.dumps(opts)], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"official {metric} scorer failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--official", type=Path, required=True, help="folder holding the official repositories")
    parser.add_argument("--python", required=True, help="interpreter with numpy<1.24 and scipy")
    args = parser.parse_args()
    golden = {}
    for case in CASES:
        with tempfile.TemporaryDirectory() as tmp:
            ref_dir, pred_dir = Path(tmp) / "ref", Path(tmp) / "pred"
            write_case(case, build_case(case), ref_dir, pred_dir)
            opts = {k: case[k] for k in ("average", "jackknife") if k in case}
            golden[case["id"]] = {"case": case, "official": run_official(args.official, args.python,
                                                                         case["metric"], ref_dir, pred_dir, **opts)}
        print(case["id"], json.dumps(golden[case["id"]]["official"])[:150], file=sys.stderr)
    GOLDEN.write_text(json.dumps(golden, indent=1) + "\n")


if __name__ == "__main__":
    main()
