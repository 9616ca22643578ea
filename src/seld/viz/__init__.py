"""Pictures of SELD results: a PNG summary of a recording and a self-contained HTML page to explore it.

* :func:`plot_recording`: spectrogram, per-class activity and azimuth/elevation tracks (reference beside the
  prediction), the file's scores in the title.
* :func:`write_report`: an HTML page with the audio, an event timeline and direction maps following a time cursor.
* :func:`events_to_segments`: the activity spans (one bar of a timeline each) of an :class:`~seld.formats.Events`.
"""

from seld.viz.plot import plot_recording
from seld.viz.report import write_report
from seld.viz.segments import Span, events_to_segments

__all__ = ["plot_recording", "write_report", "events_to_segments", "Span"]
