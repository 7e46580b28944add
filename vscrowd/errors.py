"""Exception types raised by vscrowd.

Every error caused by user input derives from :class:`VSCrowdError`, so callers
(and the CLI, which prints one line and exits 2) can tell bad input apart from
internal bugs.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "AnnotationFormatError",
    "CheckpointError",
    "ConfigError",
    "DatasetError",
    "LocatedError",
    "MissingDependencyError",
    "MissingImagesWarning",
    "OutputError",
    "PredictionFormatError",
    "VSCrowdError",
    "VSCrowdWarning",
]


class VSCrowdError(Exception):
    """Base class of all errors caused by input the user can fix."""


def _where(path: str | Path | None, line: int | None, field: str | None) -> str:
    parts = []
    if path is not None:
        parts.append(str(path))
    if line is not None:
        parts.append(f"line {line}")
    if field is not None:
        parts.append(field)
    return ", ".join(parts)


class LocatedError(VSCrowdError):
    """An error that points at a file, a line and a field."""

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.path = None if path is None else Path(path)
        self.line = line
        self.field = field
        self.reason = message = _shortened(message)
        where = _where(path, line, field)
        super().__init__(f"{where}: {message}" if where else message)


#: The longest message a located error keeps whole: it quotes what it found in a file,
#: and one line of a file can be megabytes (the CLI prints the message on one line).
MAX_MESSAGE = 400


def _shortened(message: str) -> str:
    """``message``, or its first and last part around a note of how much was left out;
    at most :data:`MAX_MESSAGE` characters either way (so shortening twice changes
    nothing)."""
    if len(message) <= MAX_MESSAGE:
        return message
    tail = message[-60:]
    note = " ... [{:,} characters left out] ... "
    # The note's own length depends on the count: sized for the largest it can be.
    head = message[:MAX_MESSAGE - len(tail) - len(note.format(len(message)))]
    return f"{head}{note.format(len(message) - len(head) - len(tail))}{tail}"


class AnnotationFormatError(LocatedError):
    """A ground-truth annotation file that cannot be read as the official format."""


class PredictionFormatError(LocatedError):
    """A prediction file that does not follow docs/prediction-format.md."""


class DatasetError(VSCrowdError):
    """A dataset root, split, video or frame that does not exist or is inconsistent."""


class OutputError(VSCrowdError):
    """An output path that cannot be written (or would overwrite foreign files)."""


class ConfigError(VSCrowdError):
    """An invalid option value or configuration file."""


class CheckpointError(VSCrowdError):
    """A checkpoint that is corrupt, truncated or belongs to another model."""


class MissingDependencyError(VSCrowdError):
    """An optional dependency (e.g. torch) that the requested feature needs."""


class VSCrowdWarning(UserWarning):
    """Suspicious but usable input (e.g. a head center outside its box)."""


class MissingImagesWarning(VSCrowdWarning):
    """Annotated images (or frames) that are not on disk; the annotations are read
    anyway (an annotations-only copy, a partial download). Filter it by this class."""
