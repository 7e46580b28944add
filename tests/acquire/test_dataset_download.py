"""``vscrowd download ROOT --dataset NAME --from DIR``: another registered dataset's
archives as published (wrapper folders, several archives, a part of ShanghaiTech) are
placed in its own layout and verified; what is not the dataset's is listed."""

from __future__ import annotations

import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from vscrowd.cli.main import app

import vscrowd
from vscrowd import DatasetError
from vscrowd.acquire.download import download
from vscrowd.datasets import dataset_info, dataset_names


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def _same_heads(a: Path, b: Path, name: str) -> None:
    one, two = vscrowd.open(a, name, cache=False), vscrowd.open(b, name, cache=False)
    cols = ["video", "frame", "x", "y", "x1", "y1", "x2", "y2", "head_id"]
    assert one.heads[cols].astype(str).equals(two.heads[cols].astype(str))
    assert len(one.frames) == len(two.frames) > 0


def _synth(name: str, out: Path) -> Path:
    """A registered dataset's synthetic copy (SenseCrowd's writer is vscrowd.synth's:
    the same videos as a synthetic VSCrowd, for map-names)."""
    if name == "sensecrowd":
        from vscrowd.synth.sensecrowd import synthesize_sensecrowd

        return synthesize_sensecrowd(out, videos=6, frames=3, size=(160, 96), seed=3)
    return dataset_info(name).synth(out, seed=3)


def _archives(name: str, root: Path, out: Path) -> Path:
    """The synthetic root as two archives under a wrapper folder (images in a zip, the
    rest in a tar.gz), as the datasets publish theirs."""
    out.mkdir()
    images = [f for f in _files(root) if f.suffix in (".jpg", ".png")]
    rest = [f for f in _files(root) if f not in images]
    with zipfile.ZipFile(out / f"{name}_images.zip", "w") as zf:
        for f in images:
            zf.write(f, f"{name.upper()}_release/{f.relative_to(root).as_posix()}")
    with tarfile.open(out / f"{name}_annotations.tar.gz", "w:gz") as tf:
        for f in rest:
            tf.add(f, f"{name.upper()}_release/{f.relative_to(root).as_posix()}")
    return out


@pytest.mark.parametrize("name", [n for n in dataset_names()
                                  if n not in ("vscrowd", "shanghaitech_a", "shanghaitech_b")])
def test_archives_assemble_into_the_layout(tmp_path, name):
    src = _synth(name, tmp_path / "orig")
    folder = _archives(name, src, tmp_path / "dl")
    res = download(tmp_path / "root", source=folder, dataset=name, reference="synth")
    assert res.report.complete, res.report.format()
    assert res.assembly.placed == len(_files(src)) and not res.assembly.unrecognised
    _same_heads(src, tmp_path / "root", name)
    again = download(tmp_path / "root", source=folder, dataset=name, reference="synth")
    assert again.assembly.already_complete  # a second run does nothing


def test_shanghaitech_part_from_the_two_part_archive(tmp_path):
    base = tmp_path / "ShanghaiTech"
    a = dataset_info("shanghaitech_a").synth(base / "part_A", seed=1)
    dataset_info("shanghaitech_b").synth(base / "part_B", seed=2)
    (tmp_path / "dl").mkdir()
    with zipfile.ZipFile(tmp_path / "dl" / "ShanghaiTech.zip", "w") as zf:
        for f in _files(base):
            zf.write(f, f.relative_to(tmp_path).as_posix())
    res = download(tmp_path / "A", source=tmp_path / "dl", dataset="shanghaitech_a",
                   reference="synth")
    assert res.report.complete, res.report.format()
    n_b = len(_files(base / "part_B"))
    assert len(res.assembly.unrecognised) == n_b  # part B: listed, not placed
    assert all("part_B" in u for u in res.assembly.unrecognised)
    _same_heads(a, tmp_path / "A", "shanghaitech_a")


def test_annotations_only_then_frames(tmp_path):
    src = dataset_info("qnrf").synth(tmp_path / "orig", seed=4)
    folder = _archives("qnrf", src, tmp_path / "dl")
    res = download(tmp_path / "root", source=folder, dataset="qnrf", parts="annotations",
                   reference="synth")
    assert res.report.complete and not list((tmp_path / "root").rglob("*.jpg"))
    assert "images present" not in {c.name for c in res.report.checks}
    res = download(tmp_path / "root", source=folder, dataset="qnrf", reference="synth")
    assert res.report.complete and len(list((tmp_path / "root").rglob("*.jpg"))) == 6


def test_broken_annotation_is_a_located_error(tmp_path):
    src = dataset_info("ucsd").synth(tmp_path / "orig", seed=4)
    (src / "vidf-cvpr" / "vidf1_33_003_frame_full.mat").write_bytes(b"not a mat file")
    folder = _archives("ucsd", src, tmp_path / "dl")
    res = CliRunner().invoke(app, ["download", str(tmp_path / "root"), "--dataset", "ucsd",
                                   "--from", str(folder)])
    assert res.exit_code == 2 and "vidf1_33_003_frame_full.mat" in res.output, res.output
    assert "Traceback" not in res.output


def test_cli_and_the_hub_is_vscrowds(tmp_path):
    src = dataset_info("venice").synth(tmp_path / "orig", seed=4)
    folder = _archives("venice", src, tmp_path / "dl")
    res = CliRunner().invoke(app, ["download", str(tmp_path / "root"), "--dataset", "venice",
                                   "--from", str(folder), "--reference", "synth"])
    assert res.exit_code == 0 and "complete" in res.output, res.output
    assert np.array_equal(vscrowd.open(tmp_path / "root").heads[["x", "y"]].to_numpy(),
                          vscrowd.open(src).heads[["x", "y"]].to_numpy())
    with pytest.raises(DatasetError, match="--dataset venice --from DIR"):
        download(tmp_path / "x", dataset="venice")
    res = CliRunner().invoke(app, ["download", str(tmp_path / "x"), "--dataset", "nosuch",
                                   "--from", str(folder)])
    assert res.exit_code == 2 and "nosuch" in res.output
