"""One reader per corpus; importing this package registers them all (see :mod:`seld.data.corpus`)."""

from seld.data.corpora import synth  # noqa: F401
