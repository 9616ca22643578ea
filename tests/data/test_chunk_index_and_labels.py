"""The chunk index (PSELDNets' padding rules), the label store (every label file parsed once, cached, sliced
per chunk) and the checks that run before training, on real STARSS22 label files with short noise audio."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

import seld.data.labels
from seld.data.corpus import load_corpus
from seld.data.dataset import SeldDataset, prepare
from seld.data.index import chunk_starts
from seld.errors import ConfigError, InputError
from seld.formats import Events, get_classes, read_labels
from seld.task import TaskSpec

ASSETS = Path(__file__).parents[1] / "assets" / "starss22_metadata_dev" / "dev-train-sony"
RATE = 1000          # a low audio rate keeps real-length files small; the label hop is 100 samples
FILES = ("fold3_room21_mix001", "fold3_room21_mix002", "fold3_room22_mix004")


@pytest.mark.parametrize("n,mode,expected", [
    (500, "train", [0]),                              # shorter than a chunk: one padded chunk
    (3000, "train", [0, 1000, 2000]),                 # exact multiple
    (3600, "train", [0, 1000, 2000, 3000]),           # 600 left >= half a chunk: padded
    (3300, "train", [0, 1000, 2000, 2300]),           # 300 left: the last chunk ends at the end of the file
    (3350, "train", [0, 1000, 2000, 2300]),           # ... aligned down to the label hop (100)
    (3300, "test", [0, 1000, 2000, 3000]),            # test: always padded, every frame once
])
def test_chunk_rules(n, mode, expected):
    assert chunk_starts(n, 1000, 1000, mode, align=100) == expected


def test_overlapping_test_chunks_reach_the_end_once():
    assert chunk_starts(2500, 1000, 500, "test", align=100) == [0, 500, 1000, 1500]
    with pytest.raises(ConfigError, match="multiples of the label hop"):
        chunk_starts(2500, 1000, 250, "train", align=100)


def _corpus_dir(root: Path, names=FILES, length_pad: int = 0) -> Path:
    """A `seld synth`-style folder holding real STARSS22 label files and noise audio just long enough."""
    (root / "foa").mkdir(parents=True)
    (root / "metadata").mkdir()
    rng = np.random.default_rng(0)
    for name in names:
        shutil.copy(ASSETS / f"{name}.csv", root / "metadata" / f"{name}.csv")
        frames = read_labels(ASSETS / f"{name}.csv").last_frame() + 1
        sf.write(root / "foa" / f"{name}.wav", 0.1 * rng.standard_normal((frames * 100 + length_pad, 4)), RATE,
                 subtype="PCM_16")
    return root


def _task(**kw) -> TaskSpec:
    return TaskSpec(get_classes("starss23").names, sample_rate=RATE, **kw)


def _corpus(root: Path):
    return load_corpus("synth", root, classes="starss23", sample_rate=RATE)


def test_chunks_carry_exactly_the_events_of_their_frames(tmp_path: Path):
    corpus = _corpus(_corpus_dir(tmp_path / "d", length_pad=37))
    task = _task(chunk_seconds=10.0)
    prepared = prepare(corpus, task)
    ds = SeldDataset(prepared, task, mode="test")
    assert len(ds) == sum(-(-int(n) // 10000) for n in prepared.lengths)
    for r, rec in enumerate(corpus.recordings):
        ref = read_labels(rec.labels)
        items = [ds[i] for i in range(len(ds)) if ds.index.rec[i] == r]
        parts = []
        for it in items:
            assert it["audio"].shape == (4, 10000) and it["events"].n_frames == 100
            ev = it["events"]
            assert (0 <= ev.frame).all() and (ev.frame < 100).all()
            ev.frame = ev.frame + it["frame"]
            parts.append(ev)
        joined = Events.concat(parts)
        order = np.argsort(ref.frame, kind="stable")        # in-file order kept inside a frame
        assert np.array_equal(joined.frame, ref.frame[order]) and np.array_equal(joined.cls, ref.cls[order])
        np.testing.assert_allclose(joined.xyz, ref.xyz[order], atol=1e-6)
        # the audio of a chunk is the file's samples at that place, zeros past the end
        data, _ = sf.read(rec.audio, dtype="float32")
        last = items[-1]
        start = last["frame"] * 100
        tail = data[start:].T
        np.testing.assert_array_equal(last["audio"][:, :tail.shape[1]].numpy(), tail)
        assert not last["audio"][:, tail.shape[1]:].any()


def test_labels_are_parsed_once_and_cached(tmp_path: Path, monkeypatch):
    root = _corpus_dir(tmp_path / "d")
    task = _task(chunk_seconds=5.0)
    first = prepare(_corpus(root), task)
    monkeypatch.setattr(seld.data.labels, "read_labels", lambda *a, **k: pytest.fail("label file parsed again"))
    again = prepare(_corpus(root), task)
    assert np.array_equal(first.labels.frame, again.labels.frame) and isinstance(again.labels.frame, np.memmap)
    # a changed label file is noticed (size and modification time are in the cache key)
    monkeypatch.undo()
    path = root / "metadata" / f"{FILES[0]}.csv"
    path.write_text("".join(path.read_text().splitlines(keepends=True)[:10]))
    changed = prepare(_corpus(root), task)
    assert changed.labels.offsets[1] == 10


def test_empty_label_files_are_valid(tmp_path: Path):
    root = _corpus_dir(tmp_path / "d", names=FILES[:1])
    (root / "metadata" / "fold3_room21_mix009.csv").write_text("")
    sf.write(root / "foa" / "fold3_room21_mix009.wav", np.zeros((2500, 4)), RATE)
    prepared = prepare(_corpus(root), _task(chunk_seconds=1.0))
    assert prepared.labels.last_frame(1) == -1
    ds = SeldDataset(prepared, _task(chunk_seconds=1.0))
    assert len(ds[len(ds) - 1]["events"]) == 0


def test_every_problem_is_reported_before_training(tmp_path: Path):
    root = _corpus_dir(tmp_path / "d")
    sf.write(root / "foa" / f"{FILES[0]}.wav", np.zeros((9000, 4)), RATE)          # labels run to frame 856
    sf.write(root / "foa" / f"{FILES[1]}.wav", np.zeros((90000, 2)), RATE)         # two channels
    sf.write(root / "foa" / f"{FILES[2]}.wav", np.zeros((90000, 4)), 2 * RATE)     # another rate
    with pytest.raises(InputError) as err:
        prepare(_corpus(root), _task())
    text = str(err.value)
    assert "labels past the end" in text and FILES[0] in text
    assert "not 4 channels" in text and FILES[1] in text
    assert "sample rate" in text and FILES[2] in text


def test_unknown_class_and_unpaired_files(tmp_path: Path):
    root = _corpus_dir(tmp_path / "d", names=FILES[:1])
    with (root / "metadata" / f"{FILES[0]}.csv").open("a") as f:
        f.write("857,13,0,10,10\n")
    with pytest.raises(Exception, match="13") as err:
        prepare(_corpus(root), _task())
    assert FILES[0] in str(err.value)
    (root / "metadata" / "fold3_room21_mix077.csv").write_text("")
    (root / "foa" / "fold3_room21_mix078.wav").write_bytes(b"")
    with pytest.raises(InputError, match="without labels.*without audio") as err:
        _corpus(root)
    assert "mix077" in str(err.value) and "mix078" in str(err.value)


def test_task_and_corpus_must_agree(tmp_path: Path):
    corpus = _corpus(_corpus_dir(tmp_path / "d", names=FILES[:1]))
    with pytest.raises(ConfigError, match="24000 Hz"):
        prepare(corpus, TaskSpec(get_classes("starss23").names))
    with pytest.raises(ConfigError, match="classes"):
        prepare(corpus, TaskSpec(("a", "b"), sample_rate=RATE))
