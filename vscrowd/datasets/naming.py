"""Video names in either naming: VSCrowd's (``train_001``, ``test_042``) or SenseCrowd's
(``0817_1_cut_01_rot``, ``IMG_4696_cut_03``), as split lists and scene labels carry them.

A name map (``{sensecrowd_name: vscrowd_name}``, written by ``vscrowd map-names``; read
from ``--names`` or from :data:`NAME_MAP_FILE` in the dataset root) translates them.
:func:`translate_list` and :func:`translate_labels` accept names in either naming and
say what went wrong when a name matches nothing -- the first few such names and the
likely cause (the other naming without a map).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping, Sequence

from ..errors import DatasetError, VSCrowdWarning

__all__ = ["NAME_MAP_FILE", "looks_vscrowd", "naming_of", "translate_labels",
           "translate_list"]

#: A name map in the dataset root that every command reads when no ``--names`` is given.
NAME_MAP_FILE = "names.csv"

_VSCROWD = re.compile(r"^(train|test)_\d+$")


def looks_vscrowd(name: str) -> bool:
    """``train_001`` / ``test_042`` (the official names).

    >>> looks_vscrowd("test_001"), looks_vscrowd("0817_1_cut_01_rot")
    (True, False)
    """
    return bool(_VSCROWD.match(name))


def naming_of(names: Sequence[str]) -> str:
    """``"VSCrowd"``, ``"SenseCrowd"`` or ``"mixed"`` naming of a list of names."""
    kinds = {looks_vscrowd(n) for n in names}
    return "mixed" if len(kinds) > 1 else ("VSCrowd" if kinds == {True} else "SenseCrowd")


def _cause(unknown: Sequence[str], known: Sequence[str], names: Mapping[str, str] | None
           ) -> str:
    """The likely reason why ``unknown`` names are not among ``known`` ones."""
    theirs, ours = naming_of(unknown), naming_of(list(known)[:50])
    if theirs != ours and theirs != "mixed" and not names:
        return (f"they are {theirs} names and the videos have {ours} names: give the name "
                f"map (--names MAP, or put the CSV of `vscrowd map-names` at ROOT/"
                f"{NAME_MAP_FILE})")
    if names:
        return "the name map does not name them either (a map of another copy?)"
    return "a list of another dataset or copy?"


def translate_list(listed: Sequence[str], known: Sequence[str],
                   names: Mapping[str, str] | None, *, what: str) -> list[str]:
    """``listed`` in the names of ``known`` (each translated through ``names`` where it
    is not already known).

    Raises:
        DatasetError: Names that match nothing; the message names the first few, how
            many there are, and the likely cause.
    """
    known_set = set(known)
    out = [v if v in known_set or not names else names.get(v, v) for v in listed]
    unknown = [a for a, b in zip(listed, out) if b not in known_set]
    if unknown:
        raise DatasetError(f"{what} lists {len(unknown)} video(s) not in the annotations, "
                           f"e.g. {', '.join(unknown[:5])}; {_cause(unknown, known, names)}")
    return out


def translate_labels(labels: Mapping[str, tuple[int, ...]], known: Sequence[str],
                     names: Mapping[str, str] | None, *, what: str
                     ) -> dict[str, tuple[int, ...]]:
    """Scene labels keyed by the names of ``known`` (labels of other videos dropped).

    A label file that matches none of ``known`` is a :class:`VSCrowdWarning` naming the
    likely cause, never a silent ``{}``.
    """
    known_set = set(known)
    out: dict[str, tuple[int, ...]] = {}
    for v, lab in labels.items():
        key = v if v in known_set or not names else names.get(v, v)
        if key in known_set:
            out[key] = lab
    if labels and known_set and not out:
        warnings.warn(f"{what}: none of its {len(labels)} video names matches the "
                      f"{len(known_set)} evaluated videos (e.g. {next(iter(labels))}); "
                      f"{_cause(list(labels), known, names)}; no breakdowns",
                      VSCrowdWarning, stacklevel=2)
    return out
