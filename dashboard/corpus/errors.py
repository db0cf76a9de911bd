"""Corpus floor: the error every way into the data raises when the paths given cannot make a corpus — in a module
of its own, so that the Procfile's launcher and the command line can catch it without importing pandas."""


class CorpusError(Exception):
    """The paths given cannot make a corpus at all (nothing there, or no valid record)."""
