"""Label and prediction files of every SELD dataset and DCASE year, read into and written from one table.

The in-memory representation is :class:`Events` (frame-indexed activities with unit-vector directions and an
optional distance in metres). Event lists with onsets/offsets (DCASE2019, SELDnet, L3DAS) are
:class:`Segments`. Class lists are in :mod:`seld.formats.classes`.
"""

from seld.formats.classes import CLASS_LISTS, ClassList, get_classes
from seld.formats.events import Events
from seld.formats.frames import LAYOUTS, read_frame_file, write_frame_file
from seld.formats.io import (LABEL_FORMAT_NAMES, PREDICTION_FORMAT_NAMES, read_labels, read_predictions,
                             write_labels, write_predictions)
from seld.formats.segments import Segments, read_segments, write_segments

__all__ = ["Events", "Segments", "ClassList", "CLASS_LISTS", "get_classes", "LAYOUTS", "LABEL_FORMAT_NAMES",
           "PREDICTION_FORMAT_NAMES", "read_labels", "read_predictions", "write_labels", "write_predictions",
           "read_frame_file", "write_frame_file", "read_segments", "write_segments"]
