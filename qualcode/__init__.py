"""qualcode: a terminal toolkit for qualitative research on French interviews and fieldnotes."""

__version__ = "0.1.0"
