"""Print the tables of the default model's card (src/seld/pretrained/default.md) from a recipe run, as Markdown.

    python recipes/default_model/card_tables.py WORK > tables.md

Reads WORK/bank/bank.json (clips per class and source packages with their licences) and the score files that
run.sh writes (WORK/scores-synth.json, WORK/scores-replay.json; also WORK/scores-<set>-dcase2024.json for a
model that predicts distance, and WORK/scores-<set>-tta.json when the sets were scored with ``--tta acs``).
The prose of the card (training, limits) is written by hand around them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

SETS = {"synth": "Synthetic test fold: one-minute ov1-ov3 scenes in the test rooms, bank test clips",
        "replay": "STARSS22 replay: the real fold-4 label files rendered with bank test clips in rooms drawn with "
                  "another seed"}


def bank_tables(bank: dict) -> str:
    rows = bank["offline"]["classes"]
    lines = ["| class | real | hits | generated | minutes real / generated | train / test clips |",
             "|---|---|---|---|---|---|"]
    lines += [f"| {r['class']} | {r['real']} | {r['hits']} | {r['generated']} | {r['minutes_real']:.1f} / "
              f"{r['minutes_generated']:.1f} | {r['train']} / {r['test']} |" for r in rows]
    clips = sum(r["train"] + r["test"] for r in rows)
    licences = ", ".join(f"{p} ({lic})" for p, lic in sorted(bank["offline"]["packages"].items()))
    return f"Bank of {clips} clips.\n\n" + "\n".join(lines) + f"\n\nSources: {licences}."


def _num(value, fmt: str) -> str:
    """A score, or n/a where the metric leaves it undefined (LE of a class never matched under DCASE2024)."""
    return "n/a" if value is None else format(value, fmt)


def overall(s: dict) -> str:
    dist = f", DE {_num(s['DE'], '.2f')} m, RDE {_num(s['RDE'], '.3f')}" if "RDE" in s else ""
    return (f"ER {_num(s['ER'], '.3f')}, F {_num(s['F'], '.3f')}, LE {_num(s['LE'], '.1f')} deg, "
            f"LR {_num(s['LR'], '.3f')}{dist}, **SELD {_num(s['SELD'], '.3f')}**")


def score_table(path: Path, title: str) -> str:
    s = json.loads(path.read_text())["scores"]
    keys = [("F", ".3f"), ("LE", ".1f"), ("LR", ".3f")] + ([("DE", ".2f"), ("RDE", ".3f")] if "RDE" in s else [])
    keys.append(("SELD", ".3f"))
    metric = f", {s['metric']}" if "metric" in s else ""
    lines = [f"**{title}** ({s['files']} files{metric}): {overall(s)}", "",
             "| class | " + " | ".join(k for k, _ in keys) + " |", "|---" * (len(keys) + 1) + "|"]
    lines += [f"| {c} | " + " | ".join(_num(v[k], fmt) for k, fmt in keys) + " |" for c, v in s["per_class"].items()]
    return "\n".join(lines)


def main(work: Path) -> None:
    parts = [bank_tables(json.loads((work / "bank" / "bank.json").read_text()))]
    parts += [score_table(path, title) for name, title in SETS.items()
              for path in [work / f"scores-{name}.json", work / f"scores-{name}-dcase2024.json"] if path.is_file()]
    tta = [f"{name}: {overall(json.loads(p.read_text())['scores'])}" for name in SETS
           if (p := work / f"scores-{name}-tta.json").is_file()]
    if tta:
        parts.append("With `--tta acs`: " + "; ".join(tta))
    print("\n\n".join(parts))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(Path(sys.argv[1]))
