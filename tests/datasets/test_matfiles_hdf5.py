"""MATLAB v7.3 (HDF5) annotation files, written here as MATLAB writes them (a 512-byte
text header, then HDF5; matrices column-major, so an (n, k) matrix is stored (k, n);
an empty matrix is its dimensions with the ``MATLAB_empty`` attribute; a cell holds
object references into ``#refs#``; a struct is a group), read back equal to the same
data in a v5 file read by SciPy."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.io import savemat

import vscrowd
from vscrowd.datasets import dataset_info
from vscrowd.datasets.matfiles import (
    is_hdf5_mat,
    read_mat_array,
    read_mat_mask,
    read_mat_points,
)
from vscrowd.errors import AnnotationFormatError

h5py = pytest.importorskip("h5py")

_HEADER = (b"MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Thu Dec  3 10:00:00 2026 "
           b"HDF5 schema 1.00 .")


def _matrix(parent, name: str, value: np.ndarray):
    """A MATLAB matrix: stored transposed; empty as its dimensions + MATLAB_empty."""
    value = np.asarray(value)
    cls = "logical" if value.dtype == bool else "double"
    if value.size == 0:
        ds = parent.create_dataset(name, data=np.array(value.shape, np.uint64))
        ds.attrs["MATLAB_empty"] = np.uint8(1)
    else:
        ds = parent.create_dataset(name, data=value.astype(
            np.uint8 if cls == "logical" else np.float64).T)
    ds.attrs["MATLAB_class"] = np.bytes_(cls)
    return ds


def write_v73(path, variables: dict) -> None:
    """``variables``: name -> matrix, or ("struct", {field: matrix}), or
    ("cell of struct", {field: matrix}) (ShanghaiTech's ``image_info``)."""
    with h5py.File(path, "w", userblock_size=512) as f:
        for name, value in variables.items():
            if isinstance(value, tuple) and value[0] == "struct":
                group = f.create_group(name)
                group.attrs["MATLAB_class"] = np.bytes_("struct")
                for field, v in value[1].items():
                    _matrix(group, field, v)
            elif isinstance(value, tuple):  # a 1x1 cell holding a struct
                group = f.require_group("#refs#").create_group(f"{name}_0")
                group.attrs["MATLAB_class"] = np.bytes_("struct")
                for field, v in value[1].items():
                    _matrix(group, field, v)
                cell = f.create_dataset(name, (1, 1), dtype=h5py.ref_dtype)
                cell[0, 0] = group.ref
                cell.attrs["MATLAB_class"] = np.bytes_("cell")
            else:
                _matrix(f, name, value)
    with open(path, "r+b") as fh:
        fh.write(_HEADER.ljust(512, b" ")[:512])


def _points(n: int, k: int = 2) -> np.ndarray:
    rng = np.random.default_rng(n * 10 + k)
    return np.round(rng.uniform(0, 500, (n, k)), 3)


@pytest.mark.parametrize(("n", "k"), [(0, 2), (1, 2), (2, 2), (3, 2), (7, 2), (2, 3),
                                      (5, 3)])
def test_points_as_in_a_v5_file(tmp_path, n, k):
    pts = _points(n, k)
    write_v73(tmp_path / "a.mat", {"annPoints": pts})
    savemat(tmp_path / "b.mat", {"annPoints": pts})
    assert is_hdf5_mat(tmp_path / "a.mat") and not is_hdf5_mat(tmp_path / "b.mat")
    got = read_mat_points(tmp_path / "a.mat", "annPoints")
    np.testing.assert_array_equal(got, read_mat_points(tmp_path / "b.mat", "annPoints"))
    np.testing.assert_array_equal(got, pts[:, :2].reshape(-1, 2))


@pytest.mark.parametrize("n", [0, 2, 9])
def test_shanghaitech_image_info(tmp_path, n):
    pts = _points(n)
    write_v73(tmp_path / "GT_IMG_1.mat",
              {"image_info": ("cell of struct", {"location": pts, "number": np.array([[n]])})})
    np.testing.assert_array_equal(
        read_mat_points(tmp_path / "GT_IMG_1.mat", "image_info", nested=True),
        pts.reshape(-1, 2))


def test_matrix_and_masks(tmp_path):
    anno = np.column_stack([np.repeat([1, 2], 3), np.arange(6), _points(6, 4)])
    mask = np.random.default_rng(0).random((7, 5)) > 0.5
    write_v73(tmp_path / "a.mat", {"anno": anno, "roi": mask,
                                  "r": ("struct", {"mask": mask})})
    np.testing.assert_array_equal(read_mat_array(tmp_path / "a.mat", "anno", 6), anno)
    np.testing.assert_array_equal(read_mat_mask(tmp_path / "a.mat", "roi"), mask)
    np.testing.assert_array_equal(read_mat_mask(tmp_path / "a.mat", "r", "mask"), mask)
    write_v73(tmp_path / "e.mat", {"anno": np.empty((0, 6))})
    assert read_mat_array(tmp_path / "e.mat", "anno", 6).shape == (0, 6)


def test_missing_variable_and_wrong_shape_name_the_file(tmp_path):
    write_v73(tmp_path / "a.mat", {"other": _points(3)})
    with pytest.raises(AnnotationFormatError, match=r"a\.mat.*annPoints"):
        read_mat_points(tmp_path / "a.mat", "annPoints")
    write_v73(tmp_path / "b.mat", {"anno": _points(4, 5)})
    with pytest.raises(AnnotationFormatError, match=r"b\.mat.*\(n, 6\)"):
        read_mat_array(tmp_path / "b.mat", "anno", 6)


def test_a_ucf_qnrf_root_with_v73_files_reads_the_same(tmp_path):
    root = dataset_info("qnrf").synth(tmp_path / "qnrf", seed=1)
    before = vscrowd.open(root, cache=False).heads
    from scipy.io import loadmat

    for mat in sorted(root.glob("*/img_*_ann.mat"))[:3]:
        write_v73(mat, {"annPoints": loadmat(mat)["annPoints"]})
    after = vscrowd.open(root, cache=False).heads
    np.testing.assert_array_equal(after[["x", "y"]].to_numpy(), before[["x", "y"]].to_numpy())


def test_without_h5py_a_v73_file_is_a_clear_error(tmp_path, monkeypatch):
    write_v73(tmp_path / "a.mat", {"annPoints": _points(3)})
    monkeypatch.setattr("vscrowd.datasets.matfiles.optional_module", lambda name: None)
    with pytest.raises(AnnotationFormatError, match=r"a\.mat.*needs h5py \(pip install h5py\)"):
        read_mat_points(tmp_path / "a.mat", "annPoints")
