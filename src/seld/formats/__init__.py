"""Label and prediction files of every SELD dataset and DCASE year, read into and written from one table.

The in-memory representation is :class:`Events` (frame-indexed activities with unit-vector directions and an
optional distance in metres). Class lists are in :mod:`seld.formats.classes`.
"""

from seld.formats.classes import CLASS_LISTS, ClassList, get_classes
from seld.formats.events import Events

__all__ = ["Events", "ClassList", "CLASS_LISTS", "get_classes"]
