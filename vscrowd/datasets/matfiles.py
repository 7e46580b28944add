"""MATLAB ``.mat`` annotation files: one variable read by path, with errors that name
the file and the variable.

Files up to MATLAB v7 are read by SciPy (``scipy.io.loadmat``, already a core
dependency). MATLAB v7.3 files are HDF5 and need h5py, which vscrowd does not install:
such a file without h5py is a clear error (``pip install h5py``), never a guess.
No file runs code: SciPy reads MATLAB data only (no MATLAB objects or functions).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .._files import open_regular, require_regular_file
from .._optional import optional_module
from ..errors import AnnotationFormatError
from .values import nonfinite_row

__all__ = ["is_hdf5_mat", "load_mat_variable", "load_mat_variables", "read_mat_array",
           "read_mat_mask", "read_mat_points", "read_struct_cells"]

_HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"


def is_hdf5_mat(path: Path) -> bool:
    """Whether ``path`` is a MATLAB v7.3 (HDF5) file: its HDF5 signature sits at byte
    512, after MATLAB's 512-byte text header. Not a regular file (a FIFO, a device): no,
    without blocking on it (the reader then names what it is)."""
    fd = open_regular(path)
    if fd is None:
        return False
    try:
        os.lseek(fd, 512, os.SEEK_SET)
        return os.read(fd, 8) == _HDF5_MAGIC
    finally:
        os.close(fd)


def read_mat_points(path: str | Path, variable: str, nested: bool = False,
                    loaded: Mapping[str, Any] | None = None) -> np.ndarray:
    """``(n, 2)`` float64 points stored in ``variable`` of a ``.mat`` file.

    Args:
        path: The file.
        variable: ``annPoints`` (UCF-QNRF, NWPU ``mats/``) or ``image_info``
            (ShanghaiTech: a 1x1 cell holding a struct with fields ``location``
            ``(n, 2)`` and ``number``).
        nested: Read ``variable{1}.location`` (ShanghaiTech) instead of the array.
        loaded: The file's variables from :func:`load_mat_variables` (not read again).

    Raises:
        AnnotationFormatError: unreadable file, variable missing, wrong shape (names
            the file and variable).
    """
    path = Path(path)
    if loaded is not None:
        value = loaded[variable]
    elif _hdf5(path):
        return _guarded(path, lambda: _read_hdf5(path, variable, nested))
    else:
        value = load_mat_variable(path, variable)
    if nested:
        value = _shanghaitech_location(value, path, variable)
    return _as_points(value, path, variable)


def read_mat_array(path: str | Path, variable: str, columns: int) -> np.ndarray:
    """``(n, columns)`` float64 numeric matrix stored in ``variable`` of a ``.mat`` file
    (DroneCrowd's ``anno``: rows ``frame id x1 y1 x2 y2``).

    Raises:
        AnnotationFormatError: unreadable file, variable missing, not an ``(n, columns)``
            numeric matrix (names the file and variable).
    """
    path = Path(path)
    if _hdf5(path):
        value = _guarded(path, lambda: _hdf5_variable(path, variable))
    else:
        value = load_mat_variable(path, variable)
    arr = np.asarray(value)
    if arr.size == 0:
        return np.empty((0, columns))
    if arr.ndim != 2 or arr.shape[1] != columns or arr.dtype.kind not in "iuf":
        raise AnnotationFormatError(f"expected an (n, {columns}) numeric matrix, got "
                                    f"{arr.dtype} {arr.shape}", path=path, field=variable)
    return _finite(arr.astype(np.float64), path, variable)


def read_struct_cells(path: str | Path, variable: str, field: str,
                      widths: tuple[int, ...] = (2,)) -> list[np.ndarray]:
    """``variable{k}.field`` for k = 1..n as ``(m, 2)`` float64 points: a 1 x n cell (or
    struct array) of structs holding a numeric matrix whose first two columns are
    ``x, y`` (Mall's ``frame{k}.loc``, n x 2; UCSD's ``frame{k}.loc``, n x 3).

    Args:
        widths: The column counts accepted (anything else is an error, never a guess).

    Raises:
        AnnotationFormatError: the variable missing, a cell without ``field``, or a
            matrix of another width (names the file and ``variable{k}.field``).
    """
    path = Path(path)
    cells = np.asarray(load_mat_variable(path, variable)).ravel()
    out = []
    for k, cell in enumerate(cells, start=1):
        where = f"{variable}{{{k}}}.{field}"
        try:  # loadmat: a cell holds a (1, 1) struct array; a struct array's element
            # is a record whose field is the matrix itself
            loc = np.asarray(cell[field] if isinstance(cell, np.void) else cell[field][0, 0])
        except (IndexError, KeyError, ValueError, TypeError):
            raise AnnotationFormatError(f"expected a struct with field {field!r}", path=path,
                                        field=where) from None
        if loc.size == 0:
            loc = np.empty((0, widths[0]))
        if loc.ndim != 2 or loc.shape[1] not in widths or loc.dtype.kind not in "iuf":
            want = " or ".join(f"(n, {w})" for w in widths)
            raise AnnotationFormatError(f"expected an {want} numeric array, got {loc.dtype} "
                                        f"{loc.shape}", path=path, field=where)
        out.append(_finite(loc[:, :2].astype(np.float64), path, where))
    return out


def read_mat_mask(path: str | Path, variable: str, field: str | None = None,
                  loaded: Mapping[str, Any] | None = None) -> np.ndarray:
    """A 2-D region-of-interest mask (bool, ``(height, width)``) stored in ``variable``
    (Venice's ``roi``) or in ``variable.field`` (UCSD's ``roi.mask``); ``loaded``: the
    file's variables from :func:`load_mat_variables` (not read again).

    Raises:
        AnnotationFormatError: the variable or field missing, or not a 2-D numeric or
            logical matrix (names the file and variable).
    """
    path = Path(path)
    where = variable if field is None else f"{variable}.{field}"
    if loaded is not None:
        value = loaded[variable]
    elif _hdf5(path):  # a struct
        # field is a dataset inside the struct's group
        value = _guarded(path, lambda: _hdf5_variable(path, where.replace(".", "/")))
        field = None
    else:
        value = load_mat_variable(path, variable)
    if field is not None:
        try:
            value = np.asarray(value)[field][0, 0] if np.asarray(value).dtype.names else None
        except (IndexError, KeyError, ValueError, TypeError):
            value = None
        if value is None:
            raise AnnotationFormatError(f"expected a struct with field {field!r}", path=path,
                                        field=where)
    arr = np.asarray(value)
    if arr.ndim != 2 or arr.dtype.kind not in "biuf":
        raise AnnotationFormatError(f"expected a 2-D mask, got {arr.dtype} {arr.shape}",
                                    path=path, field=where)
    return arr != 0


def _hdf5(path: Path) -> bool:
    try:
        return is_hdf5_mat(path)
    except OSError:  # missing or unreadable: loadmat reports it with the file named
        return False


def _guarded(path: Path, read):
    """``read()``, an h5py failure reported as the file's format error."""
    try:
        return read()
    except AnnotationFormatError:
        raise
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise AnnotationFormatError(f"not a readable MATLAB file ({exc})", path=path) from None


def _hdf5_variable(path: Path, variable: str, nested: bool = False) -> np.ndarray:
    """One variable of a MATLAB v7.3 (HDF5) file in MATLAB's orientation (an (n, k)
    matrix as (n, k); an empty one as (0, 0)); ``nested``: the variable is a cell
    holding a reference to a struct whose ``location`` is read (ShanghaiTech's
    ``image_info``)."""
    h5py = optional_module("h5py")
    if h5py is None:
        raise AnnotationFormatError("a MATLAB v7.3 (HDF5) file: reading it needs h5py "
                                    "(pip install h5py)", path=path, field=variable)
    with h5py.File(path, "r") as f:
        if variable not in f:
            raise AnnotationFormatError(f"expected MATLAB variable {variable!r}, not in "
                                        "the file", path=path, field=variable)
        node = f[variable]
        if nested:  # a cell holds references to the struct
            node = f[node[0, 0]]["location"]
        if node.attrs.get("MATLAB_empty", 0):  # an empty matrix is stored as its size
            return np.empty((0, 0))
        # HDF5 holds MATLAB's column-major (n, k) matrix as (k, n): transposed back here,
        # for every reader (deciding by shape misread an (n, 3) matrix as rows of x, y).
        return np.asarray(node).T


def load_mat_variable(path: Path, variable: str):
    """One variable of a MATLAB v4-v7 file as ``scipy.io.loadmat`` gives it (SciPy reads
    data only, never code).

    Raises:
        AnnotationFormatError: unreadable file or variable missing (names both).
    """
    return _loadmat(path, (variable,))[variable]


def load_mat_variables(path: str | Path, variables: Sequence[str]
                       ) -> Mapping[str, Any] | None:
    """Several variables of one ``.mat`` file in one read, for the ``loaded`` argument
    of the readers below (Venice's ``annotation`` and ``roi``); None for a MATLAB v7.3
    (HDF5) file, which the readers open themselves.

    Raises:
        AnnotationFormatError: unreadable file or a variable missing (names both).
    """
    path = Path(path)
    return None if _hdf5(path) else _loadmat(path, tuple(variables))


def _loadmat(path: Path, variables: tuple[str, ...]) -> dict[str, Any]:
    from scipy.io import loadmat
    from scipy.io.matlab import MatReadError

    # Checked first: loadmat would wait forever on a FIFO and read /dev/zero without end.
    require_regular_file(path, AnnotationFormatError, "MATLAB file")
    try:
        mat = loadmat(path, variable_names=list(variables))
    except (OSError, ValueError, TypeError, NotImplementedError, MatReadError) as exc:
        raise AnnotationFormatError(f"not a readable MATLAB file ({exc})", path=path) from None
    for variable in variables:
        if variable not in mat:
            raise AnnotationFormatError(f"expected MATLAB variable {variable!r}, not in "
                                        "the file", path=path, field=variable)
    return mat


def _shanghaitech_location(value, path: Path, variable: str) -> np.ndarray:
    """``image_info{1}.location``: loadmat gives a (1, 1) object array holding a (1, 1)
    struct array whose ``location`` field is an (n, 2) array."""
    try:
        info = value[0, 0]
        return np.asarray(info["location"][0, 0])
    except (IndexError, KeyError, ValueError, TypeError):
        raise AnnotationFormatError(f"expected {variable}{{1}}.location (ShanghaiTech), "
                                    f"got {type(value).__name__} {getattr(value, 'shape', '')}",
                                    path=path, field=variable) from None


def _as_points(value, path: Path, variable: str) -> np.ndarray:
    arr = np.asarray(value)
    if arr.size == 0:
        return np.empty((0, 2))
    if arr.ndim != 2 or arr.shape[1] < 2 or arr.dtype.kind not in "iuf":
        raise AnnotationFormatError(f"expected an (n, 2) numeric array, got {arr.dtype} "
                                    f"{arr.shape}", path=path, field=variable)
    return _finite(arr[:, :2].astype(np.float64), path, variable)


def _finite(arr: np.ndarray, path: Path, where: str) -> np.ndarray:
    """``arr``, or an error naming the first row with a NaN or an infinity (in MATLAB's
    1-based row numbering)."""
    row = nonfinite_row(arr)
    if row is not None:
        raise AnnotationFormatError(f"expected finite numbers, got {arr[row].tolist()} in "
                                    f"row {row + 1}", path=path, field=where)
    return arr


def _read_hdf5(path: Path, variable: str, nested: bool) -> np.ndarray:
    return _as_points(_hdf5_variable(path, variable, nested), path, variable)
