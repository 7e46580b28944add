"""A catalogue of bad inputs and faults, tried through the CLI as a user would.

Every case runs in a fresh copy of a small synthetic dataset and asserts the promise of
docs/getting-started.md: the documented exit status (2 for bad input); exactly one
``error:`` line on stderr naming the file (and line or field where there is one); no
traceback; every input byte-identical afterwards; an output that existed before is
unchanged. Cases that are *valid* despite looking odd (a UTF-8 BOM, CRLF line ends)
assert success instead.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner
from vscrowd.cli.main import app

from vscrowd import synthesize

pytestmark = pytest.mark.filterwarnings("ignore:VGG16 backbone is randomly")


@dataclass(frozen=True)
class Case:
    """``setup(root, tmp) -> argv`` prepares the fault and returns the command line."""

    name: str
    setup: Callable[[Path, Path], list[str]]
    code: int = 2
    says: tuple[str, ...] = ()  # substrings the error line must contain
    # Paths it may write: relative to the output folder on success; on failure, new paths
    # (relative to the case folder) that a run which had started may leave.
    outputs: tuple[str, ...] = field(default=())


# ------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("catalogue") / "data"
    synthesize(root, videos=4, frames=4, size=(96, 64), seed=5)
    preds = {"format": "vscrowd-predictions", "version": 1, "predictions": []}
    for ann in sorted((root / "annotations").glob("test_*.txt")):
        for line in ann.read_text().splitlines():
            tok = line.split()
            vals = [float(v) for v in tok[1:]]
            pts = [[vals[i + 5], vals[i + 6], 0.9] for i in range(0, len(vals), 7)]
            preds["predictions"].append({"video": ann.stem, "frame": tok[0], "points": pts})
    (root.parent / "preds.json").write_text(json.dumps(preds))
    return root.parent


def _snapshot(folder: Path) -> dict[str, str]:
    out = {}
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder).as_posix()
        if ".vscrowd-cache" in rel.split("/"):
            continue  # the tool's own cache may be (re)written
        if p.is_symlink():
            out[rel] = "link:" + os.readlink(p)
        elif p.is_file():
            out[rel] = hashlib.sha1(p.read_bytes()).hexdigest()
        elif p.is_dir():
            out[rel] = "dir"
    return out


# ------------------------------------------------------------------ helpers for cases
def _ann(root: Path, video: str = "test_001") -> Path:
    return root / "data" / "annotations" / f"{video}.txt"


def _edit_ann(fn: Callable[[bytes], bytes], video: str = "test_001"):
    def setup(root: Path, tmp: Path) -> list[str]:
        p = _ann(root, video)
        p.write_bytes(fn(p.read_bytes()))
        return ["eval", str(root / "preds.json"), "--data", str(root / "data")]
    return setup


def _line(n: int, fn: Callable[[list[bytes]], list[bytes]]):
    """Edit the tokens of line n (1-based) of test_001.txt."""
    def edit(data: bytes) -> bytes:
        lines = data.split(b"\n")
        lines[n - 1] = b" ".join(fn(lines[n - 1].split()))
        return b"\n".join(lines)
    return edit


def _set_token(n: int, k: int, value: bytes):
    def fn(toks: list[bytes]) -> list[bytes]:
        toks[k] = value
        return toks
    return _line(n, fn)


def _preds(doc, name: str = "p.json", raw: bytes | None = None, cmd: str = "eval"):
    def setup(root: Path, tmp: Path) -> list[str]:
        p = root / name
        if raw is not None:
            p.write_bytes(raw)
        else:
            p.write_text(json.dumps(doc) if not isinstance(doc, str) else doc)
        return ["eval", str(p), "--data", str(root / "data")]
    return setup


def _good_records(root: Path) -> list[dict]:
    return json.loads((root / "preds.json").read_text())["predictions"]


def _mutate_record(fn: Callable[[list[dict]], None], name: str = "p.json"):
    def setup(root: Path, tmp: Path) -> list[str]:
        recs = _good_records(root)
        fn(recs)
        p = root / name
        p.write_text(json.dumps({"format": "vscrowd-predictions", "version": 1,
                                 "predictions": recs}))
        return ["eval", str(p), "--data", str(root / "data")]
    return setup


def _point(value, idx: int = 0):
    def fn(recs):
        for r in recs:
            if r["points"]:
                r["points"][0][idx] = value
                return
    return fn


def _jsonl(lines: list[str], name: str = "p.jsonl"):
    def setup(root: Path, tmp: Path) -> list[str]:
        (root / name).write_text("\n".join(lines) + "\n")
        return ["eval", str(root / name), "--data", str(root / "data")]
    return setup


def _good_jsonl(root: Path) -> list[str]:
    return [json.dumps(r) for r in _good_records(root)]


def _jsonl_edit(fn: Callable[[list[str]], list[str]], raw: bool = False):
    def setup(root: Path, tmp: Path) -> list[str]:
        lines = fn(_good_jsonl(root))
        p = root / "p.jsonl"
        p.write_bytes(b"\n".join(x if isinstance(x, bytes) else x.encode() for x in lines))
        return ["eval", str(p), "--data", str(root / "data")]
    return setup


def _txt(fn: Callable[[dict[str, list[str]]], dict[str, bytes]]):
    def setup(root: Path, tmp: Path) -> list[str]:
        folder = root / "txt"
        folder.mkdir()
        per_video: dict[str, list[str]] = {}
        for r in _good_records(root):
            vals = " ".join(f"{v:g}" for p in r["points"] for v in p)
            per_video.setdefault(r["video"], []).append(f"{r['frame']} {vals}".strip())
        for video, data in fn(per_video).items():
            (folder / f"{video}.txt").write_bytes(data)
        return ["eval", str(folder), "--data", str(root / "data")]
    return setup


def _txt_line(video: str, n: int, text: bytes):
    def fn(per_video):
        out = {v: "\n".join(lines).encode() for v, lines in per_video.items()}
        lines = out[video].split(b"\n")
        lines[n - 1] = text
        out[video] = b"\n".join(lines)
        return out
    return fn


def _cmd(*args: str, pre: Callable[[Path, Path], None] | None = None):
    """A command line with {root}, {data}, {tmp} placeholders."""
    def setup(root: Path, tmp: Path) -> list[str]:
        if pre:
            pre(root, tmp)
        return [a.format(root=root, data=root / "data", tmp=tmp) for a in args]
    return setup


def _write(rel: str, data: bytes | str):
    def pre(root: Path, tmp: Path) -> None:
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data.encode() if isinstance(data, str) else data)
    return pre


def _both(*pres):
    def pre(root, tmp):
        for p in pres:
            p(root, tmp)
    return pre


EVAL = ("eval", "{root}/preds.json", "--data", "{data}")
TRAIN = ("train", "--data", "{data}", "--out", "{root}/run", "--max-steps", "1",
         "--batch-size", "2", "--crop", "32x48", "--width", "0.0625", "--workers", "0",
         "--device", "cpu", "--val-every", "0")


# ------------------------------------------------------------------ the catalogue
ANNOTATION_CASES = [
    Case("ann-empty-file", _edit_ann(lambda d: b""), says=("test_001.txt", "empty")),
    Case("ann-only-blank-lines", _edit_ann(lambda d: b"\n\n  \n"), says=("test_001.txt",)),
    Case("ann-bom-is-accepted", _edit_ann(lambda d: b"\xef\xbb\xbf" + d), code=0),
    Case("ann-crlf-is-accepted", _edit_ann(lambda d: d.replace(b"\n", b"\r\n")), code=0),
    Case("ann-tabs-are-accepted", _edit_ann(lambda d: d.replace(b" ", b"\t")), code=0),
    Case("ann-latin1-frameid", _edit_ann(_set_token(2, 0, b"00\xe902")),
         says=("test_001.txt", "line 2", "UTF-8")),
    Case("ann-binary-garbage", _edit_ann(lambda d: bytes(range(256)) * 4),
         says=("test_001.txt",)),
    Case("ann-nul-bytes", _edit_ann(lambda d: d.replace(b" ", b"\x00", 3)),
         says=("test_001.txt", "line 1")),
    Case("ann-missing-token", _edit_ann(_line(1, lambda t: t[:-1])),
         says=("test_001.txt", "line 1", "7 values per head")),
    Case("ann-extra-token", _edit_ann(_line(2, lambda t: [*t, b"1"])),
         says=("test_001.txt", "line 2")),
    Case("ann-word-token", _edit_ann(_set_token(1, 3, b"abc")),
         says=("test_001.txt", "line 1", "token 4", "'abc'")),
    Case("ann-nan", _edit_ann(_set_token(1, 2, b"nan")),
         says=("test_001.txt", "line 1", "finite")),
    Case("ann-inf", _edit_ann(_set_token(2, 4, b"inf")), says=("test_001.txt", "line 2")),
    Case("ann-overflow", _edit_ann(_set_token(2, 4, b"1e400")),
         says=("test_001.txt", "line 2")),
    Case("ann-underscore-number", _edit_ann(_set_token(2, 3, b"1_0")),
         says=("test_001.txt", "line 2", "'1_0'")),
    Case("ann-unicode-digit", _edit_ann(_set_token(1, 3, "١٢".encode())),
         says=("test_001.txt", "line 1", "token 4")),
    Case("ann-comma-decimal", _edit_ann(_set_token(1, 2, b"12,5")),
         says=("test_001.txt", "line 1")),
    Case("ann-float-headid", _edit_ann(_set_token(1, 1, b"1.5")),
         says=("test_001.txt", "line 1", "HeadID")),
    Case("ann-inverted-x", _edit_ann(_set_token(1, 4, b"-5")),
         says=("test_001.txt", "line 1", "x2 < x1")),
    Case("ann-inverted-y", _edit_ann(_set_token(1, 5, b"-5")),
         says=("test_001.txt", "line 1", "y2 < y1")),
    Case("ann-duplicate-headid", _edit_ann(_line(1, lambda t: [*t, *t[1:8]])),
         says=("test_001.txt", "line 1", "twice")),
    Case("ann-duplicate-frameid", _edit_ann(_set_token(2, 0, b"0001")),
         says=("test_001.txt", "line 2", "already used")),
    Case("ann-no-annotations-folder", _cmd(*EVAL, pre=lambda r, t: shutil.rmtree(
        r / "data" / "annotations")), says=("annotations",)),
    Case("ann-annotations-is-a-file", _cmd(*EVAL, pre=lambda r, t: (
        shutil.rmtree(r / "data" / "annotations"),
        (r / "data" / "annotations").write_text("x"))), says=("annotations",)),
    Case("ann-empty-annotations-folder", _cmd(*EVAL, pre=lambda r, t: [
        p.unlink() for p in (r / "data" / "annotations").glob("*.txt")]),
        says=("annotations",)),
    Case("ann-dangling-symlink", _cmd(*EVAL, pre=lambda r, t: os.symlink(
        r / "nowhere.txt", r / "data" / "annotations" / "test_009.txt")),
        says=("test_009.txt",)),
    Case("ann-looping-symlink", _cmd(*EVAL, pre=lambda r, t: (
        os.symlink(r / "data" / "annotations" / "b.txt", r / "data" / "annotations" / "a.txt"),
        os.symlink(r / "data" / "annotations" / "a.txt",
                   r / "data" / "annotations" / "b.txt"))), says=("a.txt",)),
    Case("ann-folder-named-txt", _cmd(*EVAL, pre=lambda r, t: (
        r / "data" / "annotations" / "test_009.txt").mkdir()), says=("test_009.txt",)),
    Case("ann-dangling-symlink-no-cache", _cmd(*EVAL, "--no-cache", pre=lambda r, t: os.symlink(
        r / "nowhere.txt", r / "data" / "annotations" / "test_009.txt")),
        says=("test_009.txt",)),
    Case("ann-bad-file-stats", _cmd("stats", "{data}", pre=lambda r, t: _ann(r).write_text(
        "0001 1 2 3")), says=("test_001.txt", "line 1")),
    Case("ann-bad-file-plot", _cmd("plot", "{data}", "--out", "{tmp}/figs",
                                   pre=lambda r, t: _ann(r).write_text("0001 1 2 3")),
         says=("test_001.txt",)),
    Case("ann-bad-file-convert", _cmd("convert", "{data}", "--to", "coco", "{tmp}/c.json",
                                      pre=lambda r, t: _ann(r).write_text("0001 x")),
         says=("test_001.txt",)),
    Case("ann-bad-file-show", _cmd("show", "{data}", "--video", "test_001", "--frame", "0001",
                                   "--out", "{tmp}/o.png",
                                   pre=lambda r, t: _ann(r).write_text("0001 x")),
         says=("test_001.txt",)),
]

SPLIT_CASES = [
    Case("split-file-missing", _cmd(*EVAL, "--split-file", "{root}/nope.txt"),
         says=("nope.txt",)),
    Case("split-file-empty", _cmd(*EVAL, "--split-file", "{root}/test.txt",
                                  pre=_write("test.txt", "")), says=("test.txt",)),
    Case("split-file-latin1", _cmd(*EVAL, "--split-file", "{root}/test.txt",
                                   pre=_write("test.txt", b"test_001\ntest_\xe9\n")),
         says=("test.txt", "line 2", "UTF-8")),
    Case("split-file-unknown-video", _cmd(*EVAL, "--split-file", "{root}/test.txt",
                                          pre=_write("test.txt", "test_001\ntest_404\n")),
         says=("test_404",)),
    Case("split-file-bom-accepted", _cmd(*EVAL, "--split-file", "{root}/test.txt",
                                         pre=_write("test.txt", b"\xef\xbb\xbftest_001\n")),
         code=0),
    Case("split-file-is-folder", _cmd(*EVAL, "--split-file", "{root}",), says=(),),
    Case("split-auto-latin1", _cmd(*EVAL, pre=_write("data/test.txt", b"test_\xe9\n")),
         says=("test.txt", "UTF-8")),
    Case("scene-labels-latin1", _cmd(*EVAL, pre=_write("data/scene_label.txt",
                                                       b"test_001 1 0\ntest_\xe9 1 1\n")),
         says=("scene_label.txt", "line 2", "UTF-8")),
    Case("scene-labels-not-int", _cmd(*EVAL, pre=_write("data/scene_label.txt",
                                                        "test_001 1 x\n")),
         says=("scene_label.txt", "line 1")),
    Case("unknown-split", _cmd(*EVAL, "--split", "validation"), says=("validation",)),
]

PRED_JSON_CASES = [
    Case("pj-missing-file", _cmd("eval", "{root}/none.json", "--data", "{data}"),
         says=("none.json",)),
    Case("pj-empty-file", _preds(None, raw=b""), says=("p.json",)),
    Case("pj-truncated", _preds(None, raw=b'{"format": "vscrowd-predictions", "predic'),
         says=("p.json", "line 1")),
    Case("pj-not-json", _preds("hello"), says=("p.json",)),
    Case("pj-latin1", _preds(None, raw=b'{"method": "caf\xe9", "predictions": []}'),
         says=("p.json", "UTF-8")),
    Case("pj-bom-accepted", _mutate_record(lambda r: None), code=0),
    Case("pj-number-top", _preds(3), says=("p.json", "JSON object")),
    Case("pj-string-top", _preds('"x"'), says=("p.json",)),
    Case("pj-wrong-format", _preds({"format": "coco", "predictions": []}),
         says=("p.json", "format")),
    Case("pj-wrong-version", _preds({"format": "vscrowd-predictions", "version": 7,
                                     "predictions": []}), says=("p.json", "version")),
    Case("pj-predictions-not-list", _preds({"predictions": {"a": 1}}),
         says=("p.json", "predictions")),
    Case("pj-no-predictions-key", _preds({"format": "vscrowd-predictions"}),
         says=("p.json", "predictions")),
    Case("pj-empty-list", _preds({"predictions": []}), says=("p.json", "empty")),
    Case("pj-record-not-object", _preds({"predictions": [3]}),
         says=("p.json", "predictions[0]")),
    Case("pj-record-no-video", _mutate_record(lambda r: r[1].pop("video")),
         says=("p.json", "predictions[1]", "video")),
    Case("pj-record-no-frame", _mutate_record(lambda r: r[2].pop("frame")),
         says=("p.json", "predictions[2]", "frame")),
    Case("pj-frame-bool", _mutate_record(lambda r: r[0].update(frame=True)),
         says=("p.json", "predictions[0]")),
    Case("pj-frame-float", _mutate_record(lambda r: r[0].update(frame=1.5)),
         says=("p.json", "predictions[0]")),
    Case("pj-frame-list", _mutate_record(lambda r: r[0].update(frame=[1])),
         says=("p.json", "predictions[0]")),
    Case("pj-video-number", _mutate_record(lambda r: r[0].update(video=7)),
         says=("p.json", "predictions[0]", "video")),
    Case("pj-points-not-list", _mutate_record(lambda r: r[0].update(points="1 2")),
         says=("p.json", "predictions[0]", "points")),
    Case("pj-point-one-value", _mutate_record(lambda r: r[0]["points"].append([1])),
         says=("p.json", "predictions[0]")),
    Case("pj-point-four-values-not-int", _mutate_record(
        lambda r: r[0]["points"].append([1, 2, 0.5, 0.5])), says=("p.json", "predictions[0]")),
    Case("pj-point-five-values", _mutate_record(
        lambda r: r[0]["points"].append([1, 2, 0.5, 1, 1])), says=("p.json", "predictions[0]")),
    Case("pj-string-coordinate", _mutate_record(_point("10.5")),
         says=("p.json", "points[0]")),
    Case("pj-string-score", _mutate_record(_point("0.9", 2)), says=("p.json", "points[0]")),
    Case("pj-bool-coordinate", _mutate_record(_point(True)), says=("p.json", "points[0]")),
    Case("pj-bool-score", _mutate_record(_point(False, 2)), says=("p.json", "points[0]")),
    Case("pj-null-coordinate", _mutate_record(_point(None)), says=("p.json", "points[0]")),
    Case("pj-nested-coordinate", _mutate_record(_point([1, 2])), says=("p.json", "points[0]")),
    Case("pj-nan-literal", _preds(None, raw=b'{"predictions": [{"video": "test_001", '
                                            b'"frame": "0001", "points": [[NaN, 1, 1]]}]}'),
         says=("p.json", "finite")),
    Case("pj-infinity-literal", _preds(None, raw=b'{"predictions": [{"video": "test_001", '
                                                 b'"frame": "0001", "points": [[Infinity, 1]]}]}'),
         says=("p.json",)),
    Case("pj-overflow-float", _preds(None, raw=b'{"predictions": [{"video": "test_001", '
                                               b'"frame": "0001", "points": [[1e400, 1]]}]}'),
         says=("p.json",)),
    Case("pj-huge-int", _preds(None, raw=b'{"predictions": [{"video": "test_001", "frame": '
                                         b'"0001", "points": [[' + b"9" * 400 + b', 1]]}]}'),
         says=("p.json",)),
    Case("pj-coordinate-1e308", _mutate_record(_point(1e308)), says=("p.json", "points[0]")),
    Case("pj-deeply-nested", _preds(None, raw=b"[" * 100_000 + b"]" * 100_000),
         says=("p.json",)),
    Case("pj-unknown-frame", _mutate_record(lambda r: r[0].update(frame="0999")),
         says=("p.json", "0999")),
    Case("pj-unknown-video", _mutate_record(lambda r: r[0].update(video="test_404")),
         says=("p.json", "test_404")),
    Case("pj-duplicate-record", _mutate_record(lambda r: r.append(dict(r[0]))),
         says=("p.json", "duplicate")),
    Case("pj-same-frame-two-spellings", _mutate_record(
        lambda r: r.append({**r[0], "frame": str(int(r[0]["frame"]))})),
         says=("p.json", "two records")),
    Case("pj-is-a-folder-without-txt", _cmd("eval", "{tmp}", "--data", "{data}"),
         says=("no per-video",)),
    Case("pj-bare-list-accepted", lambda r, t: (
        (r / "b.json").write_text(json.dumps(_good_records(r))),
        ["eval", str(r / "b.json"), "--data", str(r / "data")])[1], code=0),
]

PRED_JSONL_CASES = [
    Case("pl-bad-json-line", _jsonl_edit(lambda ls: [ls[0], "{oops", *ls[1:]]),
         says=("p.jsonl", "line 2")),
    Case("pl-latin1-line", _jsonl_edit(lambda ls: [ls[0], ls[1], b'{"x": "\xe9"}']),
         says=("p.jsonl", "line 3", "UTF-8")),
    Case("pl-record-not-object", _jsonl_edit(lambda ls: [ls[0], "[1, 2]", *ls[1:]]),
         says=("p.jsonl", "line 2")),
    Case("pl-string-coordinate", _jsonl_edit(lambda ls: [ls[0], ls[1].replace(
        "[[", '[["1", ', 1) if "[[" in ls[1] else ls[1], *ls[2:]]), says=("p.jsonl", "line 2")),
    Case("pl-duplicate", _jsonl_edit(lambda ls: [*ls, ls[0]]), says=("p.jsonl", "line ")),
    Case("pl-no-video", _jsonl_edit(lambda ls: [*ls[:3], '{"frame": "0001", "points": []}']),
         says=("p.jsonl", "line 4", "video")),
    Case("pl-bad-header", _jsonl_edit(lambda ls: ['{"format": "other", "version": 1}', *ls]),
         says=("p.jsonl", "format")),
    Case("pl-header-accepted", _jsonl_edit(
        lambda ls: ['{"format": "vscrowd-predictions", "version": 1}', *ls]), code=0),
    Case("pl-blank-lines-accepted", _jsonl_edit(lambda ls: ["", *ls, "", ""]), code=0),
    Case("pl-empty", _jsonl([]), says=("p.jsonl", "empty")),
    Case("pl-bom-accepted", _jsonl_edit(lambda ls: [b"\xef\xbb\xbf" + ls[0].encode(), *ls[1:]]),
         code=0),
    Case("pl-deeply-nested", _jsonl_edit(lambda ls: ["[" * 50_000 + "]" * 50_000, *ls]),
         says=("p.jsonl", "line 1")),
]

PRED_TXT_CASES = [
    Case("pt-accepted", _txt(lambda pv: {v: "\n".join(ls).encode() for v, ls in pv.items()}),
         code=0),
    Case("pt-empty-folder", _txt(lambda pv: {}), says=("txt", "no per-video")),
    Case("pt-not-triples", _txt(_txt_line("test_001", 1, b"0001 1 2")),
         says=("test_001.txt", "line 1", "triples")),
    Case("pt-word", _txt(_txt_line("test_001", 2, b"0002 1 2 x")),
         says=("test_001.txt", "line 2")),
    Case("pt-nan", _txt(_txt_line("test_001", 2, b"0002 1 nan 0.5")),
         says=("test_001.txt", "line 2", "finite")),
    Case("pt-latin1", _txt(_txt_line("test_001", 3, b"00\xe93 1 2 0.5")),
         says=("test_001.txt", "line 3", "UTF-8")),
    Case("pt-duplicate-frame", _txt(_txt_line("test_001", 2, b"0001 1 2 0.5")),
         says=("test_001.txt", "line 2", "duplicate")),
    Case("pt-unknown-video", _txt(lambda pv: {"test_404": b"0001 1 2 0.5"}),
         says=("test_404",)),
    Case("pt-crlf-accepted", _txt(lambda pv: {v: "\r\n".join(ls).encode()
                                              for v, ls in pv.items()}), code=0),
    Case("pt-overflow", _txt(_txt_line("test_001", 1, b"0001 1e400 2 0.5")),
         says=("test_001.txt", "line 1")),
]

ARG_CASES = [
    *[Case(f"eval-sigma-{v}", _cmd(*EVAL, "--sigma", v), says=("sigma",))
      for v in ("0", "-1", "inf", "nan", "1e400")],
    Case("eval-sigma-word", _cmd(*EVAL, "--sigma", "big"), says=("sigma",)),
    Case("eval-metric-unknown", _cmd(*EVAL, "--metric", "f1"), says=("metric",)),
    *[Case(f"eval-count-threshold-{v}", _cmd(*EVAL, "--count-threshold", v),
           says=("count",)) for v in ("nan", "inf")],
    Case("eval-bootstrap-negative", _cmd(*EVAL, "--bootstrap", "-1"), says=("bootstrap",)),
    Case("eval-json-to-folder", _cmd(*EVAL, "--json", "{tmp}"), says=("is a folder",)),
    Case("eval-json-parent-is-file", _cmd(*EVAL, "--json", "{root}/preds.json/x.json"),
         says=("preds.json",)),
    Case("eval-plot-dir-is-file", _cmd(*EVAL, "--plot-dir", "{root}/preds.json"),
         says=("preds.json",)),
    Case("eval-data-missing", _cmd("eval", "{root}/preds.json", "--data", "{tmp}/nope"),
         says=("nope",)),
    Case("eval-data-is-file", _cmd("eval", "{root}/preds.json", "--data", "{root}/preds.json"),
         says=("preds.json",)),
    Case("eval-format-unknown", _cmd(*EVAL, "--format", "xml"), says=("format",)),
    Case("eval-json-ok", _cmd(*EVAL, "--json", "{tmp}/out.json"), code=0,
         outputs=("out.json",)),
    Case("stats-json-to-folder", _cmd("stats", "{data}", "--json", "{tmp}"),
         says=("is a folder",)),
    Case("stats-split-unknown", _cmd("stats", "{data}", "--split", "dev"), says=("dev",)),
    Case("plot-out-is-file", _cmd("plot", "{data}", "--out", "{root}/preds.json"),
         says=("preds.json",)),
    Case("plot-unknown-video", _cmd("plot", "{data}", "--out", "{tmp}/f", "--video", "x"),
         says=("'x'",)),
    Case("show-unknown-video", _cmd("show", "{data}", "--video", "test_404", "--frame",
                                    "0001", "--out", "{tmp}/o.png"), says=("test_404",)),
    Case("show-unknown-frame", _cmd("show", "{data}", "--video", "test_001", "--frame",
                                    "0404", "--out", "{tmp}/o.png"), says=("0404",)),
    Case("show-bad-extension", _cmd("show", "{data}", "--video", "test_001", "--frame",
                                    "0001", "--out", "{tmp}/o.xyz"), says=("o.xyz",)),
    Case("show-out-is-folder", _cmd("show", "{data}", "--video", "test_001", "--frame",
                                    "0001", "--out", "{tmp}"), says=("is a folder",)),
    Case("show-no-frame-for-png", _cmd("show", "{data}", "--video", "test_001", "--out",
                                       "{tmp}/o.png"), says=("--frame",)),
    Case("show-bad-preds", _cmd("show", "{data}", "--video", "test_001", "--frame", "0001",
                                "--preds", "{root}/p.json", "--out", "{tmp}/o.png",
                                pre=_write("p.json", "{")), says=("p.json",)),
    Case("show-sigma-zero", _cmd("show", "{data}", "--video", "test_001", "--frame", "0001",
                                 "--preds", "{root}/preds.json", "--sigma", "0", "--out",
                                 "{tmp}/o.png"), says=("sigma",)),
    Case("show-missing-image", _cmd("show", "{data}", "--video", "test_001", "--frame", "0001",
                                    "--out", "{tmp}/o.png", pre=lambda r, t: (
                                        r / "data/videos/test_001/0001.jpg").unlink()),
         says=("0001",)),
    Case("show-corrupt-image", _cmd("show", "{data}", "--video", "test_001", "--frame",
                                    "0001", "--out", "{tmp}/o.png",
                                    pre=_write("data/videos/test_001/0001.jpg", b"notjpeg")),
         says=("0001.jpg",)),
    Case("convert-out-is-folder-coco", _cmd("convert", "{data}", "--to", "coco", "{tmp}"),
         says=("is a folder",)),
    Case("convert-out-is-file-yolo", _cmd("convert", "{data}", "--to", "yolo",
                                          "{root}/preds.json"), says=("preds.json",)),
    Case("convert-unknown-format", _cmd("convert", "{data}", "--to", "voc", "{tmp}/x"),
         says=("voc",)),
    Case("convert-no-images-coco", _cmd("convert", "{data}", "--to", "coco", "{tmp}/c.json",
                                        pre=lambda r, t: shutil.rmtree(r / "data/videos")),
         code=0, outputs=("c.json",)),
    Case("convert-no-images-yolo", _cmd("convert", "{data}", "--to", "yolo", "{tmp}/y",
                                        pre=lambda r, t: shutil.rmtree(r / "data/videos")),
         says=("image size",)),
    Case("convert-unreadable-first-jpeg", _cmd(
        "convert", "{data}", "--to", "coco", "{tmp}/c.json",
        pre=_write("data/videos/test_001/0001.jpg", b"junk")), code=0, outputs=("c.json",)),
    Case("synth-not-empty", _cmd("synth", "{data}"), says=("not empty",)),
    Case("synth-overwrite-foreign", _cmd("synth", "{data}", "--overwrite",
                                         pre=lambda r, t: (r / "data/synth.json").unlink()),
         says=("not listed in", "refusing")),
    Case("synth-manifest-escapes", _cmd("synth", "{data}", "--overwrite", pre=lambda r, t: (
        r / "data/synth.json").write_text(json.dumps({"generator": "vscrowd.synth",
                                                      "files": ["../preds.json"]}))),
         says=("synth.json", "../preds.json")),
    Case("synth-manifest-absolute", _cmd("synth", "{data}", "--overwrite", pre=lambda r, t: (
        r / "data/synth.json").write_text(json.dumps({"generator": "vscrowd.synth",
                                                      "files": [str(r / "preds.json")]}))),
         says=("synth.json",)),
    Case("synth-manifest-not-json", _cmd("synth", "{data}", "--overwrite",
                                         pre=_write("data/synth.json", "{")),
         says=("synth.json",)),
    *[Case(f"synth-{flag}-{v}", _cmd("synth", "{tmp}/s", f"--{flag}", v), says=(word,))
      for flag, v, word in (("videos", "0", "video"), ("videos", "-3", "video"),
                            ("frames", "0", "frame"), ("train-fraction", "1.5", "fraction"),
                            ("density", "-1", "density"), ("density", "nan", "density"))],
    *[Case(f"synth-size-{v}", _cmd("synth", "{tmp}/s", "--size", v), says=("size",))
      for v in ("big", "0x10", "10x-4", "1e9x10")],
    Case("synth-out-is-file", _cmd("synth", "{root}/preds.json"), says=("preds.json",)),
]

TRAIN_CASES = [
    Case("train-crop-bad", _cmd(*TRAIN[:-2], "--crop", "30x48"), says=("crop",)),
    Case("train-crop-word", _cmd(*TRAIN, "--crop", "big"), says=("crop",)),
    Case("train-clip-even", _cmd(*TRAIN, "--clip-length", "2"), says=("clip_length",)),
    Case("train-batch-zero", _cmd(*TRAIN, "--batch-size", "0"), says=("batch_size",)),
    *[Case(f"train-lr-{v}", _cmd(*TRAIN, "--lr", v), says=("lr",))
      for v in ("nan", "inf", "0", "-1")],
    Case("train-workers-negative", _cmd(*TRAIN, "--workers", "-1"), says=("workers",)),
    Case("train-model-unknown", _cmd(*TRAIN, "--model", "yolo"), says=("yolo", "gnanet")),
    Case("train-preset-unknown", _cmd(*TRAIN, "--preset", "fast"), says=("paper",)),
    Case("train-config-missing", _cmd(*TRAIN, "--config", "{root}/c.yaml"), says=("c.yaml",)),
    Case("train-config-bad-json", _cmd(*TRAIN, "--config", "{root}/c.json",
                                       pre=_write("c.json", "{")), says=("c.json", "line 1")),
    Case("train-config-bad-yaml", _cmd(*TRAIN, "--config", "{root}/c.yaml",
                                       pre=_write("c.yaml", "a: [")), says=("c.yaml",)),
    Case("train-config-list", _cmd(*TRAIN, "--config", "{root}/c.json",
                                   pre=_write("c.json", "[1]")), says=("c.json", "mapping")),
    Case("train-config-unknown-key", _cmd(*TRAIN, "--config", "{root}/c.json",
                                          pre=_write("c.json", '{"epoch": 3}')),
         says=("c.json", "epoch")),
    Case("train-config-wrong-type", _cmd(*TRAIN, "--config", "{root}/c.json",
                                         pre=_write("c.json", '{"epochs": "3"}')),
         says=("c.json", "epochs")),
    Case("train-config-wrong-nested", _cmd(*TRAIN, "--config", "{root}/c.json",
                                           pre=_write("c.json", '{"optim": {"lr": [1]}}')),
         says=("c.json", "optim.lr")),
    Case("train-config-latin1", _cmd(*TRAIN, "--config", "{root}/c.json",
                                     pre=_write("c.json", b'{"seed": 1, "x": "\xe9"}')),
         says=("c.json", "UTF-8")),
    Case("train-select-on-test", _cmd(*TRAIN, "--val-split", "test"), says=("test",)),
    Case("train-val-split-unknown", _cmd(*TRAIN[:-2], "--val-split", "dev"), says=("dev",)),
    Case("train-worker-error-one-line", _cmd(*TRAIN[:-4], "--workers", "1", "--device", "cpu",
                                             "--val-every", "0", pre=lambda r, t: [
                                                 p.unlink() for p in
                                                 (r / "data/videos").rglob("*.jpg")]),
         says=("frame image",), outputs=("root/run", "root/run/config.json")),
    Case("train-resume-nothing", _cmd(*TRAIN, "--resume"), says=("last.pt",)),
    Case("train-resume-garbage", _cmd(*TRAIN, "--resume", pre=_write("run/last.pt", "junk")),
         says=("last.pt",)),
    Case("train-data-missing", _cmd("train", "--data", "{tmp}/none", "--out", "{root}/run"),
         says=("none",)),
    Case("train-into-existing-run-bad-data", _cmd(
        "train", "--data", "{tmp}/none", "--out", "{root}/run",
        pre=_write("run/config.json", '{"keep": "me"}')), says=("none",)),
    Case("predict-missing", _cmd("predict", "{root}/none.pt", "--data", "{data}", "--out",
                                 "{tmp}/p.json"), says=("none.pt",)),
    Case("predict-garbage", _cmd("predict", "{root}/x.pt", "--data", "{data}", "--out",
                                 "{tmp}/p.json", pre=_write("x.pt", "junk")), says=("x.pt",)),
    Case("predict-empty-run-dir", _cmd("predict", "{root}/run", "--data", "{data}", "--out",
                                       "{tmp}/p.json", pre=lambda r, t: (r / "run").mkdir()),
         says=("run",)),
    Case("predict-cuda-without-gpu", _cmd("predict", "{root}/x.pt", "--data", "{data}",
                                          "--out", "{tmp}/p.json", "--device", "cuda"),
         says=("CUDA",)),
    Case("predict-bad-export-config", _cmd("predict", "{root}/m", "--data", "{data}", "--out",
                                           "{tmp}/p.json", pre=_both(
                                               _write("m/model.safetensors", b"\0" * 16),
                                               _write("m/config.json", "{"))),
         says=("config.json",)),
    Case("export-missing", _cmd("export", "{root}/none.pt", "--out", "{tmp}/m"),
         says=("none.pt",)),
    Case("export-dtype-bad", _cmd("export", "{root}/none.pt", "--out", "{tmp}/m", "--dtype",
                                  "fp8"), says=("dtype",)),
]

CACHE_CASES = [
    Case("cache-corrupt-entry-reparsed", _cmd(*EVAL, pre=lambda r, t: _corrupt_cache(r)),
         code=0),
]

CASES = (ANNOTATION_CASES + SPLIT_CASES + PRED_JSON_CASES + PRED_JSONL_CASES + PRED_TXT_CASES
         + ARG_CASES + TRAIN_CASES + CACHE_CASES)


def _corrupt_cache(root: Path) -> None:
    CliRunner().invoke(app, ["stats", str(root / "data")])  # creates the cache entry
    for f in (root / "data" / ".vscrowd-cache").rglob("heads.parquet"):
        f.write_bytes(f.read_bytes()[:40])


def test_catalogue_is_large_and_names_are_unique():
    assert len(CASES) >= 150
    assert len({c.name for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input(case: Case, base: Path, tmp_path: Path):
    root = tmp_path / "root"
    shutil.copytree(base, root, symlinks=True)
    out = tmp_path / "out"
    out.mkdir()
    argv = case.setup(root, out)
    before = _snapshot(tmp_path)
    res = CliRunner().invoke(app, argv)
    after = _snapshot(tmp_path)
    stderr = res.stderr
    assert "Traceback" not in res.output, res.output
    assert res.exit_code == case.code, (res.exit_code, res.output)
    if case.code == 0:
        new = set(after) - set(before)
        assert {k for k in new if not k.startswith("out/")} <= {f"root/{o}" for o in ()}, new
        assert all(before[k] == after[k] for k in before if not k.startswith("out/")), \
            "an input changed"
        for o in case.outputs:
            assert (out / o).exists()
        return
    errors = [ln for ln in stderr.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1, stderr
    others = [ln for ln in stderr.splitlines()
              if ln.strip() and not ln.startswith(("error:", "warning:", "Usage:", "Try "))]
    assert others == [], stderr
    for s in case.says:
        assert s in errors[0], (s, errors[0])
    for allowed in case.outputs:
        after.pop(allowed, None)
    assert after == before, "a failed command changed files: " + str(
        sorted(set(after) ^ set(before)) or [k for k in before if before[k] != after.get(k)])
