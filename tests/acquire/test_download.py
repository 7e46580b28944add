"""``vscrowd download``: assembly of downloaded archives (no network: the Hub is a fake),
and the SenseCrowd name map."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tarfile
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from vscrowd.cli.main import app

from vscrowd import DatasetError, OutputError, synthesize
from vscrowd.acquire.assemble import assemble
from vscrowd.acquire.download import download


@pytest.fixture(scope="module")
def original(tmp_path_factory) -> Path:
    return synthesize(tmp_path_factory.mktemp("dl") / "data", videos=4, frames=4,
                      size=(96, 64), seed=21)


def _files(root: Path, sub: str) -> list[Path]:
    return sorted(p for p in (root / sub).rglob("*") if p.is_file())


def _zip(path: Path, root: Path, files: list[Path], prefix: str) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for f in files:
            zf.write(f, f"{prefix}/{f.relative_to(root).as_posix()}")
    return path


def _tar(path: Path, root: Path, files: list[Path], prefix: str) -> Path:
    with tarfile.open(path, "w:gz") as tf:
        for f in files:
            tf.add(f, f"{prefix}/{f.relative_to(root).as_posix()}")
    return path


def _split(path: Path, parts: int) -> list[Path]:
    data = path.read_bytes()
    size = -(-len(data) // parts)
    out = []
    for i in range(parts):
        p = path.with_name(f"{path.name}.{i + 1:03d}")
        p.write_bytes(data[i * size:(i + 1) * size])
        out.append(p)
    path.unlink()
    return out


@pytest.fixture
def source(original, tmp_path) -> Path:
    """Annotations as a zip, train frames as a tar.gz in a nested folder, test frames as a
    byte-split zip in three parts, and an md5 file for the parts."""
    src = tmp_path / "downloads"
    (src / "nested" / "deeper").mkdir(parents=True)
    _zip(src / "annotations.zip", original,
         [*_files(original, "annotations"), original / "synth.json"], "VSCrowd")
    frames = _files(original, "videos")
    _tar(src / "nested" / "deeper" / "train_frames.tar.gz", original,
         [f for f in frames if "/train_" in f.as_posix()], "VSCrowd-frames")
    parts = _split(_zip(src / "test_frames.zip", original,
                        [f for f in frames if "/test_" in f.as_posix()], "x"), 3)
    (src / "MD5SUMS").write_text("".join(
        f"{hashlib.md5(p.read_bytes()).hexdigest()}  {p.name}\n" for p in parts))
    return src


def _same_annotations(a: Path, b: Path) -> bool:
    return all((b / "annotations" / f.name).read_bytes() == f.read_bytes()
               for f in _files(a, "annotations"))


def test_download_from_folder_assembles_a_verified_copy(original, source, tmp_path):
    root = tmp_path / "root"
    res = CliRunner().invoke(app, ["download", str(root), "--from", str(source),
                                   "--reference", "synth"])
    assert res.exit_code == 0, res.output
    assert "complete" in res.stdout and _same_annotations(original, root)
    assert len(_files(root, "videos")) == len(_files(original, "videos"))
    again = CliRunner().invoke(app, ["download", str(root), "--from", str(source),
                                     "--reference", "synth"])
    assert again.exit_code == 0 and "nothing to do" in again.stdout
    assert not (root / ".vscrowd-staging").exists()


def test_annotations_only(original, source, tmp_path):
    res = download(tmp_path / "root", source=source, parts="annotations", reference="synth")
    assert res.report.complete and not (tmp_path / "root" / "videos").exists()
    assert _same_annotations(original, tmp_path / "root")


def test_interrupted_assembly_resumes_to_the_same_result(original, source, tmp_path,
                                                         monkeypatch):
    import vscrowd.acquire.assemble as asm

    real, calls = os.replace, []

    def flaky(a, b):
        calls.append(b)
        if len(calls) == 7:
            raise KeyboardInterrupt
        return real(a, b)

    monkeypatch.setattr(asm.os, "replace", flaky)
    with pytest.raises(KeyboardInterrupt):
        assemble(source, tmp_path / "root")
    monkeypatch.setattr(asm.os, "replace", real)
    res = download(tmp_path / "root", source=source, reference="synth")
    assert res.report.complete and _same_annotations(original, tmp_path / "root")
    clean = download(tmp_path / "clean", source=source, reference="synth")
    assert [p.relative_to(tmp_path / "clean") for p in _files(tmp_path / "clean", "videos")] \
        == [p.relative_to(tmp_path / "root") for p in _files(tmp_path / "root", "videos")]
    assert clean.report.complete


def _nothing_placed(root: Path) -> bool:
    return not (root / "annotations").exists() and not (root / "videos").exists()


def test_traversal_and_links_are_refused(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    with zipfile.ZipFile(src / "evil.zip", "w") as zf:
        zf.writestr("ok/annotations/test_001.txt", "0001 1 0 0 4 4 2 2\n")
        zf.writestr("../../escape.txt", "x")
    with pytest.raises(DatasetError, match=r"evil.zip: refusing entry '\.\./\.\./escape.txt'"):
        assemble(src, tmp_path / "root")
    assert _nothing_placed(tmp_path / "root") and not (tmp_path / "escape.txt").exists()
    (src / "evil.zip").unlink()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        link = tarfile.TarInfo("annotations/test_001.txt")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tf.addfile(link)
    (src / "link.tar").write_bytes(buf.getvalue())
    with pytest.raises(DatasetError, match=r"link.tar: refusing entry .* \(a link"):
        assemble(src, tmp_path / "root")
    assert _nothing_placed(tmp_path / "root")


def test_existing_different_file_needs_force(original, source, tmp_path):
    root = tmp_path / "root"
    (root / "annotations").mkdir(parents=True)
    mine = root / "annotations" / "test_001.txt"
    mine.write_text("0001 9 0 0 4 4 2 2\n")
    with pytest.raises(OutputError, match="exists with other content.*--force"):
        assemble(source, root)
    assert mine.read_text() == "0001 9 0 0 4 4 2 2\n"
    assert sorted(p.name for p in (root / "annotations").iterdir()) == ["test_001.txt"]
    assemble(source, root, force=True)
    assert _same_annotations(original, root)


def test_missing_part_checksum_mismatch_and_corruption(source, tmp_path):
    part2 = source / "test_frames.zip.002"
    data = part2.read_bytes()
    part2.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
    with pytest.raises(DatasetError, match="test_frames.zip.002: md5 checksum mismatch"):
        assemble(source, tmp_path / "a")
    assert not (tmp_path / "a").exists()
    part2.unlink()
    with pytest.raises(DatasetError, match="missing part\\(s\\) 002"):
        assemble(source, tmp_path / "b")
    (source / "MD5SUMS").unlink()
    (source / "test_frames.zip.001").unlink()
    (source / "test_frames.zip.003").unlink()
    (source / "annotations.zip").write_bytes(b"PK\x03\x04 broken")
    with pytest.raises(DatasetError, match="annotations.zip: corrupt"):
        assemble(source, tmp_path / "c")
    assert _nothing_placed(tmp_path / "c")


def test_disk_space_is_checked_before_writing(source, tmp_path, monkeypatch):
    import vscrowd.acquire.assemble as asm

    monkeypatch.setattr(asm.shutil, "disk_usage",
                        lambda p: shutil._ntuple_diskusage(10, 10, 100))
    with pytest.raises(OutputError, match="needs .* GiB, 0.00 GiB free"):
        assemble(source, tmp_path / "root")
    assert _nothing_placed(tmp_path / "root")


def test_unrecognised_files_are_listed_and_7z_refused(source, tmp_path):
    (source / "readme.pdf").write_bytes(b"%PDF-1.4")
    res = CliRunner().invoke(app, ["download", str(tmp_path / "r"), "--from", str(source),
                                   "--reference", "synth"])
    assert res.exit_code == 0 and "unrecognised, not placed" in res.stderr
    assert "readme.pdf" in res.stderr
    (source / "frames.7z").write_bytes(b"7z\xbc\xaf\x27\x1c rest")
    res = CliRunner().invoke(app, ["download", str(tmp_path / "s"), "--from", str(source)])
    assert res.exit_code == 2 and "7z x" in res.stderr


def test_hub_source_is_one_call_to_snapshot_download(original, source, tmp_path,
                                                     monkeypatch):
    import huggingface_hub

    calls = []

    def fake(**kwargs):
        calls.append(kwargs)
        snap = tmp_path / "hub" / "snapshots" / "0123abc"
        shutil.copytree(source, snap, dirs_exist_ok=True)
        return str(snap)

    monkeypatch.setattr(huggingface_hub, "snapshot_download", fake)
    res = download(tmp_path / "root", revision="v1", reference="synth")
    assert calls == [{"repo_id": "HopLeeTop/VSCrowd", "repo_type": "dataset",
                      "revision": "v1", "allow_patterns": None}]
    assert res.report.complete and res.revision == "0123abc"
    manifest = json.loads((tmp_path / "root" / ".vscrowd-download.json").read_text())
    assert manifest["revision"] == "0123abc" and manifest["source"] == "hf:HopLeeTop/VSCrowd"


@pytest.mark.parametrize(("message", "says"), [
    ("401 Client Error: Unauthorized", "HF_TOKEN"),
    ("Connection refused (offline)", "--from DIR"),
    ("404 Client Error: Repository Not Found", "no dataset repository"),
])
def test_hub_errors_say_what_to_do(tmp_path, monkeypatch, message, says):
    import huggingface_hub

    def fail(**kwargs):
        raise OSError(message)

    monkeypatch.setattr(huggingface_hub, "snapshot_download", fail)
    res = CliRunner().invoke(app, ["download", str(tmp_path / "r")])
    assert res.exit_code == 2 and says in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


# ------------------------------------------------------------------ name map
@pytest.fixture
def pair(tmp_path) -> tuple[Path, Path, dict]:
    r = CliRunner()
    args = ["--videos", "8", "--frames", "5", "--size", "160x96", "--seed", "7"]
    assert r.invoke(app, ["synth", str(tmp_path / "v"), *args, "--no-images"]).exit_code == 0
    res = r.invoke(app, ["synth", str(tmp_path / "s"), *args, "--flavour", "sensecrowd"])
    assert res.exit_code == 0, res.output
    truth = json.loads((tmp_path / "s" / "synth.json").read_text())["sensecrowd_names"]
    return tmp_path / "v", tmp_path / "s", truth


def test_map_names_recovers_the_shuffled_names(pair, tmp_path):
    v, s, truth = pair
    labels = sorted((s / "label_list_all").glob("*.txt"))
    labels[0].unlink()  # one video missing from the SenseCrowd copy
    lines = labels[1].read_text().splitlines()  # one perturbed: a head dropped, others moved
    toks = lines[0].split()
    head = toks[3:]
    moved = [f"{float(x) + 0.3:g}" if i % 7 < 6 else x for i, x in enumerate(head[7:])]
    lines[0] = " ".join(toks[:3] + moved)
    labels[1].write_text("\n".join(lines) + "\n")
    res = CliRunner().invoke(app, ["map-names", str(v), str(s), "--out", str(tmp_path / "m.csv")])
    assert res.exit_code == 0, res.output
    rows = (tmp_path / "m.csv").read_text().splitlines()
    assert rows[0] == "vscrowd_video,sensecrowd_video,frames,heads,match_quality"
    got = {r.split(",")[1]: r.split(",")[0] for r in rows[1:]}
    expected = {sname: vname for vname, sname in truth.items() if sname != labels[0].stem}
    assert got == expected


@pytest.mark.filterwarnings("ignore:8 video")
def test_names_translate_predictions_for_eval(pair, tmp_path):
    v, s, truth = pair
    r = CliRunner()
    assert r.invoke(app, ["map-names", str(v), str(s), "--out",
                          str(tmp_path / "m.csv")]).exit_code == 0
    from vscrowd import VSCrowd

    ds = VSCrowd(v)
    records = [{"video": truth[fa.video], "frame": fa.frame,
                "points": [[x, y, 0.9] for x, y in fa.xy.tolist()]}
               for fa in ds.select(split="test").iter_frames()]
    (tmp_path / "p.json").write_text(json.dumps({"predictions": records}))
    plain = r.invoke(app, ["eval", str(tmp_path / "p.json"), "--data", str(v)])
    assert plain.exit_code == 2  # SenseCrowd names are unknown to the VSCrowd root
    res = r.invoke(app, ["eval", str(tmp_path / "p.json"), "--data", str(v), "--names",
                         str(tmp_path / "m.csv"), "--json", "-"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["localization"][0]["mAR"] == pytest.approx(1.0)


def test_map_names_refuses_when_few_match(pair, tmp_path):
    v, s, _ = pair
    other = tmp_path / "other"
    CliRunner().invoke(app, ["synth", str(other), "--videos", "8", "--frames", "5", "--size",
                             "160x96", "--seed", "99", "--no-images"])
    res = CliRunner().invoke(app, ["map-names", str(other), str(s), "--out",
                                   str(tmp_path / "m.csv")])
    assert res.exit_code == 1 and not (tmp_path / "m.csv").exists()
