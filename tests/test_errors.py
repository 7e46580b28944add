"""Located errors: file, line and field before the message; a message quoting a huge
value (one line of a file can be megabytes) is shortened around a note of what was left
out, so the CLI's one error line stays readable."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from vscrowd.cli.main import app

from vscrowd.errors import MAX_MESSAGE, AnnotationFormatError, PredictionFormatError


def test_where_then_the_message():
    err = AnnotationFormatError("expected 6 numbers", path="gt/1.txt", line=3, field="x")
    assert str(err) == "gt/1.txt, line 3, x: expected 6 numbers"
    assert (err.reason, err.line, err.field) == ("expected 6 numbers", 3, "x")


def test_a_message_at_the_limit_is_whole():
    msg = "m" * MAX_MESSAGE
    assert PredictionFormatError(msg).reason == msg


def test_a_long_message_keeps_its_start_and_end():
    msg = "got '" + "x" * 500_000 + "' (the end)"
    err = PredictionFormatError(msg, path="p.jsonl", line=1)
    assert len(err.reason) < MAX_MESSAGE + 60
    assert err.reason.startswith("got 'xxx") and err.reason.endswith("xxx' (the end)")
    head = err.reason.split(" ... [")[0]
    left_out = len(msg) - len(head) - 60
    assert f" ... [{left_out:,} characters left out] ... " in err.reason
    assert str(err) == f"p.jsonl, line 1: {err.reason}"


@pytest.mark.parametrize("n", [MAX_MESSAGE + 1, 10_000, 10**7])
def test_shortening_stays_within_the_limit_and_twice_changes_nothing(n):
    once = PredictionFormatError("y" * n).reason
    assert len(once) <= MAX_MESSAGE
    assert PredictionFormatError(once).reason == once


def test_the_cli_prints_a_short_line(tmp_path):
    root = tmp_path / "nwpu"
    (root / "jsons").mkdir(parents=True)
    (root / "train.txt").write_text("x" * 500_000 + "\n")
    res = CliRunner().invoke(app, ["stats", str(root), "--dataset", "nwpu"])
    assert res.exit_code == 2
    assert len(res.stderr) < 600 and "characters left out" in res.stderr
