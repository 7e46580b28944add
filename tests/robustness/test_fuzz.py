"""Mutated valid files: the readers either succeed or raise vscrowd's own error types."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vscrowd import VSCrowdError
from vscrowd.datasets.annotations import parse_annotations
from vscrowd.eval import read_predictions

pytestmark = pytest.mark.filterwarnings("ignore::vscrowd.VSCrowdWarning")
VALID_ANN = (b"0001 1 10 20 30 50 20 30 2 40 40 60 70 50 50\n"
             b"0002\n"
             b"0003 7 1.5 2.5 9 9 5 5\n")
VALID_PREDS = {"format": "vscrowd-predictions", "version": 1, "predictions": [
    {"video": "test_001", "frame": "0001", "points": [[10.5, 20, 0.9], [3, 4]]},
    {"video": "test_001", "frame": 2, "points": []}]}
FUZZ = settings(max_examples=300, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


@st.composite
def mutated(draw, data: bytes) -> bytes:
    """Byte flips, insertions of tricky tokens, deletions and truncations."""
    out = bytearray(data)
    tokens = [b"nan", b"inf", b"-", b"1e400", b"\xef\xbb\xbf", b"\xff", b"\x00", b"\r",
              b"\t", b" ", b"\n", b"\"", b"[", b"]", b"{", b"}", b",", b"true", b"null",
              b"9" * 40, b"-0", b"1.", b".5", b"0x1F", b"\xe9"]
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        pos = draw(st.integers(0, max(len(out) - 1, 0)))
        if kind == "flip" and out:
            out[pos] = draw(st.integers(0, 255))
        elif kind == "insert":
            out[pos:pos] = draw(st.sampled_from(tokens))
        elif kind == "delete" and out:
            del out[pos:pos + draw(st.integers(1, 8))]
        else:
            del out[pos:]
    return bytes(out)


@FUZZ
@given(mutated(VALID_ANN))
def test_annotation_parser_raises_only_vscrowd_errors(data):
    with contextlib.suppress(VSCrowdError):
        parse_annotations(data, video="test_001")


@pytest.mark.parametrize("suffix", [".json", ".jsonl"])
def test_prediction_readers_raise_only_vscrowd_errors(tmp_path, suffix):
    text = (json.dumps(VALID_PREDS) if suffix == ".json" else
            "\n".join(json.dumps(r) for r in VALID_PREDS["predictions"]))

    @FUZZ
    @given(mutated(text.encode()))
    def check(data):
        p = tmp_path / f"p{suffix}"
        p.write_bytes(data)
        with contextlib.suppress(VSCrowdError):
            read_predictions(p)

    check()


def test_txt_prediction_reader_raises_only_vscrowd_errors(tmp_path):
    folder = tmp_path / "txt"
    folder.mkdir()

    @FUZZ
    @given(mutated(b"0001 10 20 0.9 3 4 0.5\n0002\n0003 1 2 1\n"))
    def check(data):
        (folder / "test_001.txt").write_bytes(data)
        with contextlib.suppress(VSCrowdError):
            read_predictions(folder)

    check()
