"""A NaN, an infinity or an impossible frame size in any dataset's files is an error
naming the file and the entry (it used to load, then crash eval and show or score
wrongly), and the tables refuse them for any reader that would let one through."""

from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.io import loadmat, savemat
from vscrowd.cli.main import app

import vscrowd
from vscrowd.datasets import dataset_info
from vscrowd.datasets.image_dataset import FrameColumns, ImageDataset
from vscrowd.datasets.values import MAX_SIDE, nonfinite_row, valid_side
from vscrowd.errors import AnnotationFormatError, DatasetError, VSCrowdWarning
from vscrowd.synth.sensecrowd import synthesize_sensecrowd

NAMES = ["nwpu", "jhu", "fdst", "qnrf", "dronecrowd", "mall"]


@pytest.fixture(scope="module")
def roots(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("values")
    out = {n: dataset_info(n).synth(base / n, seed=5) for n in NAMES}
    out["sensecrowd"] = synthesize_sensecrowd(base / "sensecrowd", videos=4, frames=3,
                                              seed=5, images=False)
    return out


def _copy(roots, name: str, tmp_path: Path) -> Path:
    return Path(shutil.copytree(roots[name], tmp_path / name))


def _first(root: Path, pattern: str) -> Path:
    return sorted(root.glob(pattern))[0]


def _nwpu_point(root: Path, value) -> Path:
    path = _first(root, "jsons/*.json")
    doc = json.loads(path.read_text())
    doc["points"][1] = value
    path.write_text(json.dumps(doc))
    return path


@pytest.mark.parametrize("value, reason", [
    ([None, 5], "expected a list of 2 numbers, got [None, 5]"),
    (["1e3", "5"], "expected a list of 2 numbers"),
    ([True, 5], "expected a list of 2 numbers"),
    ([float("nan"), 5], "expected finite numbers, got [nan, 5.0]"),  # json writes NaN
    ([1e308 * 10, 5], "expected finite numbers, got [inf, 5.0]"),  # ... and Infinity
])
def test_nwpu_point_that_is_not_a_finite_number(roots, tmp_path, value, reason):
    root = _copy(roots, "nwpu", tmp_path)
    path = _nwpu_point(root, value)
    with pytest.raises(AnnotationFormatError) as err:
        vscrowd.open(root, cache=False)
    assert err.value.path == path and err.value.field == "points[1]"
    assert reason in str(err.value)


def test_nwpu_number_past_float_range(roots, tmp_path):
    root = _copy(roots, "nwpu", tmp_path)
    path = _first(root, "jsons/*.json")
    path.write_text(path.read_text().replace('"points": [[', '"points": [[1e400, 3], [', 1))
    with pytest.raises(AnnotationFormatError, match=r"points\[0\]: expected finite"):
        vscrowd.open(root, cache=False)


def test_jhu_line_with_nan_names_its_line(roots, tmp_path):
    root = _copy(roots, "jhu", tmp_path)
    path = _first(root, "*/gt/*.txt")
    lines = path.read_text().splitlines()
    lines[1] = "nan 3 4 5 1 0"
    path.write_text("\n\n" + "\n".join(lines) + "\n")  # blank lines count: line 4
    with pytest.raises(AnnotationFormatError) as err:
        vscrowd.open(root, cache=False)
    assert err.value.path == path and err.value.line == 4


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "1e400"])
def test_fdst_region_with_a_non_finite_number(roots, tmp_path, literal):
    root = _copy(roots, "fdst", tmp_path)
    path = sorted(root.glob("*/*/*.json"))[2]
    text = path.read_text()
    at = text.index('"y": ', text.index('"regions"'))
    path.write_text(text[:at] + f'"y": {literal}, "was": ' + text[at + 5:])
    with pytest.raises(AnnotationFormatError) as err:
        vscrowd.open(root, cache=False)
    assert err.value.path == path
    assert err.value.field == "regions[0].shape_attributes"


def test_fdst_single_file_reader_checks_too(roots, tmp_path):
    from vscrowd.datasets.fdst import read_fdst_json

    root = _copy(roots, "fdst", tmp_path)
    path = _first(root, "*/*/*.json")
    doc = json.loads(path.read_text())
    next(iter(doc.values()))["regions"][1]["shape_attributes"]["width"] = float("inf")
    path.write_text(json.dumps(doc))
    with pytest.raises(AnnotationFormatError, match=r"regions\[1\]"):
        read_fdst_json(path)


def _mat_nan(path: Path, variable: str, row: int, col: int) -> None:
    arr = loadmat(path)[variable].astype(float)
    arr[row, col] = np.nan
    savemat(path, {variable: arr})


@pytest.mark.parametrize("name, pattern, variable", [
    ("qnrf", "*/*_ann.mat", "annPoints"),
    ("dronecrowd", "annotations/*.mat", "anno"),
])
def test_mat_matrix_with_nan_names_the_variable_and_row(roots, tmp_path, name, pattern,
                                                        variable):
    root = _copy(roots, name, tmp_path)
    path = _first(root, pattern)
    _mat_nan(path, variable, 1, 1 if name == "qnrf" else 2)
    with pytest.raises(AnnotationFormatError, match="in row 2") as err:
        vscrowd.open(root, cache=False)
    assert err.value.path == path and err.value.field == variable


def test_mall_cell_with_inf(roots, tmp_path):
    root = _copy(roots, "mall", tmp_path)
    mat = loadmat(root / "mall_gt.mat")
    loc = mat["frame"][0, 1]["loc"][0, 0].astype(float)
    loc[0, 0] = np.inf
    mat["frame"][0, 1]["loc"][0, 0] = loc
    savemat(root / "mall_gt.mat", {k: v for k, v in mat.items() if not k.startswith("__")})
    with pytest.raises(AnnotationFormatError) as err:
        vscrowd.open(root, cache=False)
    assert err.value.field == "frame{2}.loc" and "row 1" in str(err.value)


@pytest.mark.parametrize("size", ["3000000000 270", "0 270", "480 99999999999999999999"])
def test_sensecrowd_frame_size_out_of_range(roots, tmp_path, size):
    root = _copy(roots, "sensecrowd", tmp_path)
    path = _first(root, "label_list_all/*.txt")
    lines = path.read_text().splitlines()
    name = lines[1].split()[0]
    lines[1] = " ".join([name, size, *lines[1].split()[3:]])
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(AnnotationFormatError) as err:
        vscrowd.open(root, cache=False)
    assert err.value.path == path and err.value.line == 2
    assert err.value.field == "tokens 2-3"


def test_cli_names_the_file_in_one_line(roots, tmp_path):
    root = _copy(roots, "nwpu", tmp_path)
    path = _nwpu_point(root, [float("nan"), 5])
    res = CliRunner().invoke(app, ["stats", str(root), "--no-cache"])
    assert res.exit_code == 2, res.output
    assert str(path) in res.output and "points[1]" in res.output
    assert "Traceback" not in res.output and len(res.output.strip().splitlines()) == 1


def _columns(xy: np.ndarray, size=(64, 48)) -> FrameColumns:
    n = len(xy)
    return FrameColumns(["train", "train"], ["a", "b"], ["a.jpg", "b.jpg"],
                        np.array([1, n - 1], np.int64), xy, np.column_stack([xy, xy]),
                        [size, size])


def test_tables_refuse_what_a_reader_let_through(tmp_path):
    xy = np.array([[1.0, 2.0], [3.0, 4.0], [np.inf, 5.0]])
    with pytest.raises(DatasetError, match=r"b\.jpg: head 2 .* not a finite number"):
        ImageDataset.from_columns(tmp_path, _columns(xy), name="t")
    ok = np.array([[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(DatasetError, match=r"a\.jpg: the frame size 2147483648 x 48"):
        ImageDataset.from_columns(tmp_path, _columns(ok, (MAX_SIDE + 1, 48)), name="t")
    ds = ImageDataset.from_columns(tmp_path, _columns(ok), name="t")
    assert len(ds.heads) == 2


@given(arrays(np.float64, st.tuples(st.integers(0, 6), st.integers(1, 4)),
              elements=st.floats(allow_nan=True, allow_infinity=True)))
def test_nonfinite_row_is_the_first_row_with_nan_or_inf(values):
    expected = next((i for i, row in enumerate(values.tolist())
                     if any(v != v or v in (float("inf"), -float("inf")) for v in row)), None)
    assert nonfinite_row(values) == expected


def test_valid_side():
    assert [valid_side(s) for s in (0, 1, MAX_SIDE, MAX_SIDE + 1, -3)] == \
        [False, True, True, False, False]


def test_nwpu_image_listed_twice_names_both_lines(roots, tmp_path):
    # It was read twice: verify crashed (a non-unique index) and eval scored it as two
    # frames, one of them without predictions.
    root = _copy(roots, "nwpu", tmp_path)
    first = (root / "val.txt").read_text().split()[0]
    with (root / "val.txt").open("a") as fh:
        fh.write(f"{first} 1 0\n")
    n = len((root / "val.txt").read_text().splitlines())
    with pytest.raises(AnnotationFormatError, match="listed twice .first on line 1 of "
                                                    "val.txt") as err:
        vscrowd.open(root, cache=False)
    assert err.value.path == root / "val.txt" and err.value.line == n
    train_id = (root / "train.txt").read_text().split()[0]
    (root / "val.txt").write_text(f"{train_id} 1 0\n")  # in both lists
    with pytest.raises(AnnotationFormatError, match="of train.txt"):
        vscrowd.open(root, cache=False)


def test_jhu_image_labelled_twice(roots, tmp_path):
    root = _copy(roots, "jhu", tmp_path)
    labels = _first(root, "*/image_labels.txt")
    lines = labels.read_text().splitlines()
    labels.write_text("\n".join([*lines, lines[0]]) + "\n")
    with pytest.raises(AnnotationFormatError, match="listed twice") as err:
        vscrowd.open(root, cache=False)
    assert err.value.path == labels and err.value.line == len(lines) + 1


@pytest.mark.parametrize("row, what", [
    ("5 6 -3 4 1 0", "a negative box width or height"),
    ("5 6 3 -4 1 0", "a negative box width or height"),
    ("5 6 3 4 4 0", "an occlusion other than 1, 2 or 3"),
    ("5 6 3 4 1.5 0", "an occlusion other than 1, 2 or 3"),
    ("5 6 3 4 1 2", "a blur other than 0 or 1"),
])
def test_jhu_head_values_outside_the_readme_are_warned_once(roots, tmp_path, row, what):
    # (They were taken without a word: an inverted box, occlusion 4, blur 2.)
    root = _copy(roots, "jhu", tmp_path)
    gt = max((root / "train" / "gt").glob("*.txt"), key=lambda p: p.stat().st_size)
    lines = gt.read_text().splitlines()
    gt.write_text("\n".join(["", lines[0], row, *lines[2:]]) + "\n")  # blank lines count
    with pytest.warns(VSCrowdWarning) as caught:
        ds = vscrowd.open(root, cache=False)
    got = [str(w.message) for w in caught if "JHU-Crowd++ head" in str(w.message)]
    assert got == [f"1 JHU-Crowd++ head(s) with {what} (first: {gt}, line 3: "
                   f"{[float(v) for v in row.split()]}); kept, occlusion and blur as whole "
                   "numbers"]
    assert len(ds.heads) == len(vscrowd.open(roots["jhu"]).heads)  # kept


def test_jhu_as_written_gives_no_such_warning(roots):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        vscrowd.open(roots["jhu"], cache=False)
    assert not [w for w in caught if "JHU-Crowd++ head" in str(w.message)]


@pytest.mark.parametrize("key, value", [("width", -3), ("height", -0.5)])
def test_fdst_region_of_negative_size_is_warned_once(roots, tmp_path, key, value):
    root = _copy(roots, "fdst", tmp_path)
    paths = sorted(root.glob("*/*/*.json"))
    for path in (paths[5], paths[7]):
        doc = json.loads(path.read_text())
        rect = next(iter(doc.values()))["regions"][1]["shape_attributes"]
        rect[key] = value
        path.write_text(json.dumps(doc))
    first = json.loads(paths[5].read_text())
    rect = next(iter(first.values()))["regions"][1]["shape_attributes"]
    with pytest.warns(VSCrowdWarning) as caught:
        ds = vscrowd.open(root, cache=False)
    got = [str(w.message) for w in caught if "FDST region" in str(w.message)]
    assert got == [f"2 FDST region(s) with a negative width or height (first: {paths[5]}, "
                   f"regions[1].shape_attributes: x {rect['x']:g}, y {rect['y']:g}, width "
                   f"{rect['width']:g}, height {rect['height']:g}); kept"]
    assert len(ds.heads) == len(vscrowd.open(roots["fdst"]).heads)


def test_nwpu_split_list_labels_are_illumination_and_density_level(roots):
    ds = vscrowd.open(roots["nwpu"], cache=False)
    fr = ds.frames.set_index("frame")
    for split in ("train", "val"):
        for line in (roots["nwpu"] / f"{split}.txt").read_text().splitlines():
            image, illumination, level = line.split()
            assert fr.loc[image, "illumination"] == int(illumination)
            assert fr.loc[image, "density_level"] == int(level)
    assert "list_label_1" not in ds.frames


@pytest.mark.parametrize("labels", ["1 x", "1.5 2", "-1 2", "1 \u0663"])
def test_nwpu_split_list_label_that_is_not_a_whole_number(roots, tmp_path, labels):
    root = _copy(roots, "nwpu", tmp_path)
    lines = (root / "val.txt").read_text().splitlines()
    lines[1] = f"{lines[1].split()[0]} {labels}"
    (root / "val.txt").write_text("\n".join(lines) + "\n")
    with pytest.raises(AnnotationFormatError, match="expected the illumination and density "
                                                    "level as whole numbers") as err:
        vscrowd.open(root, cache=False)
    assert err.value.path == root / "val.txt" and err.value.line == 2


def test_fdst_region_whose_corner_overflows_names_its_file(roots, tmp_path):
    # Finite numbers msgspec takes, whose sum x + width is an infinity: the video's
    # check on the fast path finds the file and the region.
    root = _copy(roots, "fdst", tmp_path)
    path = sorted(root.glob("train_data/2/*.json"))[2]
    doc = json.loads(path.read_text())
    rect = next(iter(doc.values()))["regions"][1]["shape_attributes"]
    rect["x"] = rect["width"] = 1.5e308
    path.write_text(json.dumps(doc))
    with pytest.raises(AnnotationFormatError) as err:
        vscrowd.open(root, cache=False)
    assert (err.value.path, err.value.field) == (path, "regions[1].shape_attributes")
