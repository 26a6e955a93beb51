"""Errors of the import layer: a file that cannot be imported at all, and one value that is unusable."""

from __future__ import annotations

import os


class ImportFileError(Exception):
    """The file as a whole cannot be imported (missing, empty, wrong type, bad header).

    The message is always one line so the CLI can print it as is and exit 2.
    """

    def __init__(self, path: str | os.PathLike[str], message: str) -> None:
        self.path = os.fspath(path)
        self.message = " ".join(message.split())
        super().__init__(f"{self.path}: {self.message}")


class FieldError(ValueError):
    """One or more values of a row are unusable; the text is the bad row's reason."""
