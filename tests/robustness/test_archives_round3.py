"""Hostile and careless archives, round 3 (issue 31, items 1-5, 10 and the archive cases
of 11): nothing skipped in silence, nothing unbounded. Every archive is built here."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import tarfile
import time
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from vscrowd.cli.main import app

from vscrowd import DatasetError, OutputError, synthesize
from vscrowd.acquire.assemble import assemble
from vscrowd.acquire.verify import verify

ANN = b"0001 1 0 0 4 4 2 2\n0002 1 0 0 4 4 2 2\n"


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    return synthesize(tmp_path_factory.mktemp("r3") / "data", videos=3, frames=3,
                      size=(64, 48), seed=4)


def _tar_bytes(entries: dict[str, bytes], fmt=tarfile.PAX_FORMAT, mode="w") -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode, format=fmt) as tf:
        for name, blob in entries.items():
            info = tarfile.TarInfo(name)
            info.size = len(blob)
            tf.addfile(info, io.BytesIO(blob))
    return buf.getvalue()


def _zip(path: Path, entries: list[tuple[str, bytes]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as zf:
        for name, blob in entries:
            zf.writestr(zipfile.ZipInfo(name), blob)
    return path


def _cli(*argv: str):
    res = CliRunner().invoke(app, [str(a) for a in argv])
    assert "Traceback" not in res.output, res.output
    return res


def _one_error(res, *says: str) -> str:
    assert res.exit_code == 2, res.output
    errors = [ln for ln in res.stderr.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1, res.stderr
    for s in says:
        assert s in errors[0], (s, errors[0])
    return errors[0]


# ------------------------------------------------------------------ 1. names
def test_tar_of_dot_assembles_into_a_root_that_verifies(data, tmp_path):
    src = tmp_path / "S"
    src.mkdir()
    if shutil.which("tar"):
        subprocess.run(["tar", "-C", str(data), "-czf", str(src / "frames.tgz"), "."],
                       check=True)
    else:  # the same entry names: ./annotations/..., ./videos/...
        with tarfile.open(src / "frames.tgz", "w:gz") as tf:
            tf.add(data, arcname=".")
    with tarfile.open(src / "frames.tgz") as tf:
        assert any(n.startswith("./annotations/") for n in tf.getnames())
    root = tmp_path / "R"
    res = _cli("download", root, "--from", src, "--reference", "synth")
    assert res.exit_code == 0, res.output
    assert verify(root, reference="synth").complete
    assert sorted(p.name for p in (root / "annotations").iterdir()) == sorted(
        p.name for p in (data / "annotations").iterdir())


def test_windows_zip_assembles_into_a_root_that_verifies(data, tmp_path):
    entries = [(str(p.relative_to(data)).replace("/", "\\") + ("\\" if p.is_dir() else ""),
                b"" if p.is_dir() else p.read_bytes()) for p in sorted(data.rglob("*"))]
    _zip(tmp_path / "S" / "win.zip", entries)
    assert any(name.endswith("\\") for name, _ in entries)  # folder entries, as Windows writes
    res = _cli("download", tmp_path / "R", "--from", tmp_path / "S", "--reference", "synth")
    assert res.exit_code == 0, res.output
    assert verify(tmp_path / "R", reference="synth").complete
    assert "annotations\\" not in res.stderr and "videos\\" not in res.stderr  # no folders


@pytest.mark.parametrize(("entry", "placed"), [
    ("./VSCrowd/annotations/test_001.txt", "annotations/test_001.txt"),
    ("VSCrowd\\annotations\\test_001.txt", "annotations/test_001.txt"),
    ("VSCrowd//annotations///test_001.txt", "annotations/test_001.txt"),
    ("VSCrowd/./annotations/./test_001.txt", "annotations/test_001.txt"),
    ("VSCrowd/annotations/cafe\u0301.txt", "annotations/caf\u00e9.txt"),  # NFD -> NFC
])
def test_every_spelling_of_a_name_is_placed(tmp_path, entry, placed):
    (tmp_path / "S").mkdir()
    (tmp_path / "S" / "a.tar").write_bytes(_tar_bytes({entry: ANN}))
    res = assemble(tmp_path / "S", tmp_path / "R")
    assert res.placed == 1 and (tmp_path / "R" / placed).read_bytes() == ANN


def test_unplaced_entries_are_counted_listed_and_the_archive_not_recorded(tmp_path):
    (tmp_path / "S").mkdir()
    (tmp_path / "S" / "odd.tar").write_bytes(_tar_bytes({"x/readme.pdf": b"%PDF",
                                                         "x/notes.md": b"#"}))
    _zip(tmp_path / "S" / "ann.zip", [("a/annotations/test_001.txt", ANN)])
    res = _cli("download", tmp_path / "R", "--from", tmp_path / "S", "--parts",
               "annotations", "--verbose")
    assert "2 not placed" in res.stdout, res.output
    assert "readme.pdf" in res.stderr and "notes.md" in res.stderr
    again = _cli("download", tmp_path / "R", "--from", tmp_path / "S", "--parts",
                 "annotations")
    assert "nothing to do" not in again.stdout and "readme.pdf" in again.stderr


# ------------------------------------------------------------------ 2. collisions
def test_two_members_of_one_name_with_other_content_are_an_error(tmp_path):
    (tmp_path / "S").mkdir()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        for blob in (ANN, ANN.replace(b"0002", b"0003")):
            info = tarfile.TarInfo("annotations/test_001.txt")
            info.size = len(blob)
            tf.addfile(info, io.BytesIO(blob))
    (tmp_path / "S" / "dup.tar").write_bytes(buf.getvalue())
    with pytest.raises(DatasetError, match="'annotations/test_001.txt' and "
                                           "'annotations/test_001.txt' both belong at"):
        assemble(tmp_path / "S", tmp_path / "R")
    assert not (tmp_path / "R" / "annotations").exists()


def test_identical_duplicates_are_placed_once_with_a_note(tmp_path):
    (tmp_path / "S").mkdir()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        for _ in range(2):
            info = tarfile.TarInfo("annotations/test_001.txt")
            info.size = len(ANN)
            tf.addfile(info, io.BytesIO(ANN))
    (tmp_path / "S" / "dup.tar").write_bytes(buf.getvalue())
    res = assemble(tmp_path / "S", tmp_path / "R")
    assert res.placed == 1 and len(res.duplicates) == 1
    assert (tmp_path / "R" / "annotations" / "test_001.txt").read_bytes() == ANN


def test_two_paths_to_one_frame_are_an_error_naming_both(tmp_path):
    _zip(tmp_path / "S" / "f.zip", [("a/train_001/0001.jpg", b"\xff\xd8one"),
                                    ("b/train_001/0001.jpg", b"\xff\xd8two")])
    res = _cli("download", tmp_path / "R", "--from", tmp_path / "S")
    _one_error(res, "a/train_001/0001.jpg", "b/train_001/0001.jpg",
               "videos/train_001/0001.jpg")


def test_collision_across_archives_is_an_error_even_with_force(tmp_path):
    _zip(tmp_path / "S" / "a.zip", [("annotations/test_001.txt", ANN)])
    _zip(tmp_path / "S" / "b.zip", [("annotations/test_001.txt", ANN + b"0003 1 0 0 4 4 2 2\n")])
    with pytest.raises(DatasetError, match=r"a.zip: .* and b.zip: .* both belong at "):
        assemble(tmp_path / "S", tmp_path / "R", force=True)


# ------------------------------------------------------------------ 3. links
def test_links_out_of_the_folder_are_refused_unless_asked(tmp_path):
    outside = tmp_path / "secret"
    outside.write_bytes(b"\xff\xd8 not yours")
    (tmp_path / "S" / "train_001").mkdir(parents=True)
    (tmp_path / "S" / "train_001" / "0001.jpg").symlink_to(outside)
    res = _cli("download", tmp_path / "R", "--from", tmp_path / "S")
    _one_error(res, "0001.jpg", "outside", "--follow-links")
    assert not (tmp_path / "R" / "videos").exists()
    res = assemble(tmp_path / "S", tmp_path / "R2", follow_links=True)
    assert (tmp_path / "R2" / "videos" / "train_001" / "0001.jpg").read_bytes() == \
        outside.read_bytes()


# ------------------------------------------------------------------ 4. unreported parts
def test_a_part_named_in_sha256sums_but_absent_is_reported(tmp_path):
    _zip(tmp_path / "S" / "a.zip", [("annotations/test_001.txt", ANN)])
    digest = hashlib.sha256((tmp_path / "S" / "a.zip").read_bytes()).hexdigest()
    (tmp_path / "S" / "SHA256SUMS").write_text(f"{digest}  a.zip\n{'0' * 64}  b.zip\n")
    with pytest.raises(DatasetError, match="b.zip: named in SHA256SUMS but not in"):
        assemble(tmp_path / "S", tmp_path / "R")
    res = assemble(tmp_path / "S", tmp_path / "R2", parts="annotations")
    assert res.missing == ("b.zip",)


@pytest.mark.parametrize("compress", ["", "gz"])
def test_the_second_half_of_a_concatenated_tar_is_reported(tmp_path, compress):
    import gzip

    one = _tar_bytes({"annotations/test_001.txt": ANN})
    two = _tar_bytes({"annotations/test_002.txt": ANN})
    blob = one + two if not compress else gzip.compress(one) + gzip.compress(two)
    (tmp_path / "S").mkdir()
    (tmp_path / "S" / "cat.tar").write_bytes(blob)
    with pytest.raises(DatasetError, match="after the tar's end-of-archive marker"):
        assemble(tmp_path / "S", tmp_path / "R")


# ------------------------------------------------------------------ 5 and 10. sizes
@pytest.mark.parametrize(("fmt", "compress"), [(tarfile.PAX_FORMAT, ""),
                                               (tarfile.PAX_FORMAT, "gz"),
                                               (tarfile.GNU_FORMAT, "")])
def test_a_size_past_the_end_is_refused_at_once(tmp_path, fmt, compress):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tf:
        info = tarfile.TarInfo("VSCrowd/annotations/test_001.txt")
        info.size = 10**18
        tf.addfile(info)  # the header only: 2.5 KB claiming 10^18 bytes
    blob = buf.getvalue()
    if compress:
        import gzip
        blob = gzip.compress(blob)
    (tmp_path / "S").mkdir()
    (tmp_path / "S" / "huge.tar").write_bytes(blob)
    start = time.perf_counter()
    res = _cli("download", tmp_path / "R", "--from", tmp_path / "S")
    assert time.perf_counter() - start < 5
    _one_error(res, "huge.tar", "1,000,000,000,000,000,000")


def test_a_zip_bomb_is_refused_before_extraction(tmp_path):
    path = tmp_path / "S" / "bomb.zip"
    path.parent.mkdir()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf, \
            zf.open("VSCrowd/annotations/test_001.txt", "w", force_zip64=True) as fh:
        for _ in range(100):
            fh.write(bytes(2**20))  # 100 MiB of zeros: a ~100 KB zip, ratio ~1000
    with pytest.raises(DatasetError, match="bomb.zip: declares .* bytes .* --max-ratio"):
        assemble(tmp_path / "S", tmp_path / "R")
    assert not (tmp_path / "R" / "annotations").exists()
    res = assemble(tmp_path / "S", tmp_path / "R", max_ratio=5000, parts="frames")
    assert res.not_wanted == 1  # allowed when asked for (and then left out by --parts)


# ------------------------------------------------------------------ 11. one clear line
def test_file_then_folder_entries_are_one_clear_line(tmp_path):
    (tmp_path / "S").mkdir()
    (tmp_path / "S" / "x.tar").write_bytes(_tar_bytes({
        "annotations/test_001.txt": ANN, "annotations/test_001.txt/0001.jpg": b"\xff\xd8"}))
    res = _cli("download", tmp_path / "R", "--from", tmp_path / "S")
    assert res.exit_code in (0, 1, 2) and "internal error" not in res.output, res.output


def test_a_300_character_entry_name_is_one_clear_line(tmp_path):
    _zip(tmp_path / "S" / "long.zip", [(f"train_001/{'a' * 300}.jpg", b"\xff\xd8")])
    _one_error(_cli("download", tmp_path / "R", "--from", tmp_path / "S"), "long.zip",
               "304 bytes")


def test_root_being_a_file_is_one_clear_line(tmp_path):
    _zip(tmp_path / "S" / "a.zip", [("annotations/test_001.txt", ANN)])
    (tmp_path / "R").write_text("mine")
    _one_error(_cli("download", tmp_path / "R", "--from", tmp_path / "S"), "not a folder")
    assert (tmp_path / "R").read_text() == "mine"


def test_a_non_utf8_sha256sums_is_one_clear_line(tmp_path):
    _zip(tmp_path / "S" / "a.zip", [("annotations/test_001.txt", ANN)])
    (tmp_path / "S" / "SHA256SUMS").write_bytes(b"\xff\xfe  a.zip\n")
    _one_error(_cli("download", tmp_path / "R", "--from", tmp_path / "S"), "SHA256SUMS",
               "UTF-8")


def test_a_fifo_in_the_download_folder_is_refused(tmp_path):
    (tmp_path / "S").mkdir()
    os.mkfifo(tmp_path / "S" / "frames.zip")
    with pytest.raises(DatasetError, match="frames.zip: .*FIFO"):
        assemble(tmp_path / "S", tmp_path / "R")


def test_the_annotation_check_streams_and_names_the_line(tmp_path):
    from vscrowd.datasets.annotation_check import check_annotations_streaming

    lines = [f"{i:04d} 1 0 0 4 4 2 2\n".encode() for i in range(1, 400)]
    path = tmp_path / "test_001.txt"
    path.write_bytes(b"".join(lines[:300]) + b"0301 1 0 0 4 x 2 2\n" + b"".join(lines[301:]))
    with pytest.raises(Exception, match="line 301") as info:
        check_annotations_streaming(path, video="test_001", block=997)
    assert "test_001.txt" in str(info.value)
    path.write_bytes(b"".join(lines) + lines[0])
    with pytest.raises(Exception, match="FrameID '0001' already used"):
        check_annotations_streaming(path, video="test_001", block=997)
    path.write_bytes(b"".join(lines))
    assert check_annotations_streaming(path, video="test_001", block=997) == 399


def test_existing_output_error_types_still_hold(tmp_path):
    _zip(tmp_path / "S" / "a.zip", [("annotations/test_001.txt", ANN)])
    (tmp_path / "R" / "annotations").mkdir(parents=True)
    (tmp_path / "R" / "annotations" / "test_001.txt").write_bytes(b"0009 1 0 0 4 4 2 2\n")
    with pytest.raises(OutputError, match="--force"):
        assemble(tmp_path / "S", tmp_path / "R")


def test_a_bad_annotation_entry_is_named_as_the_archive_spells_it(tmp_path):
    _zip(tmp_path / "S" / "a.zip", [("VSCrowd\\annotations\\test_001.txt",
                                     ANN + b"0003 1 0 0 4 x 2 2\n")])
    with pytest.raises(DatasetError, match=r"a.zip: 'VSCrowd\\\\annotations\\\\test_001.txt' "
                                           r"is not a valid annotation file \(line 3"):
        assemble(tmp_path / "S", tmp_path / "R")
