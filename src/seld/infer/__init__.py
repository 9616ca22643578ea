"""Run a trained SELD model on recordings: sliding windows, any sample rate and FOA convention, test-time
augmentation, streaming, and DCASE CSV / JSON outputs (plots and HTML pages through :mod:`seld.viz`).

Python API (``seld infer`` on the command line only wraps it)::

    from seld.infer import load_model, infer_file, infer_array, stream
    model = load_model("run/model.ckpt")                 # or a SeldSystem
    events = infer_file(model, "rec.wav", tta="acs")      # seld.formats.Events at the model's label frame
    events = infer_array(model, audio, 48000, channels="fuma")
    for decided in stream(model, "long.wav"):             # or "-" for standard input
        ...

* :mod:`.models`: ``--model`` names and paths, the loader chosen by suffix (``.onnx`` hook), the runner.
* :mod:`.audio`: reading, checks, FuMa/ambiX, resampling (also block-wise).
* :mod:`.core`: the window plan, averaging of overlapping window outputs, decoding, thresholds.
* :mod:`.tta`: the ACS test-time augmentation.
* :mod:`.stream`: block-wise inference equal to the offline one; standard input as WAV or raw float32.
* :mod:`.outputs`: CSV formats, JSON, scoring against label files.
* :mod:`.batch`: files, folders and globs with all outputs (what the CLI runs).
"""

from seld.infer.audio import convert_foa, prepare_audio, read_audio, resample
from seld.infer.batch import expand_inputs, infer_paths, stream_paths
from seld.infer.core import (OutputAccumulator, WindowPlan, infer_array, infer_file, load_thresholds, make_plan,
                             network_output)
from seld.infer.models import BUILTIN_MODELS, LOADERS, TorchRunner, as_runner, load_model, resolve_model
from seld.infer.outputs import CSV_FORMATS, events_to_json, score_events, write_csv, write_json
from seld.infer.stream import StreamInference, open_source, stream
from seld.infer.tta import AcsTTA, make_tta

__all__ = ["infer_file", "infer_array", "network_output", "stream", "StreamInference", "open_source", "load_model",
           "resolve_model", "as_runner", "TorchRunner", "BUILTIN_MODELS", "LOADERS", "make_plan", "WindowPlan",
           "OutputAccumulator", "load_thresholds", "AcsTTA", "make_tta", "read_audio", "prepare_audio", "convert_foa",
           "resample", "CSV_FORMATS", "write_csv", "write_json", "events_to_json", "score_events", "expand_inputs",
           "infer_paths", "stream_paths"]
