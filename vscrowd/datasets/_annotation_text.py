"""The fast text parser behind :func:`vscrowd.datasets.annotations.parse_annotations`.

Token counts per line come from a byte mask (or, for single-spaced lines, from
``bytes.count``), and all numbers of a file are converted in one C++ pass by Arrow's
CSV reader (one number per line). Only when that fast path sees something wrong does a
per-token pass run, to name the exact line and token.
"""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .._text import decode_utf8, refuse_utf16, strip_bom
from ..errors import AnnotationFormatError, VSCrowdWarning

HEAD_FIELDS = ("HeadID", "x1", "y1", "x2", "y2", "p1", "p2")
VALUES_PER_HEAD = len(HEAD_FIELDS)
_WHITESPACE = np.zeros(256, dtype=bool)
_WHITESPACE[[ord(c) for c in " \t\n\r\v\f"]] = True


def unix_line_ends(data: bytes) -> bytes:
    """``data`` with Windows (``\\r\\n``) and old Mac (``\\r``) line ends as ``\\n``."""
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    return data


def plain_ascii(data: bytes) -> bytes | None:
    """``data`` without its byte-order mark and with ``\\n`` line ends, if it is ASCII
    and holds no byte that ``str.splitlines()`` also breaks lines at (such files take
    the token-by-token readers, which split as Python's ``str`` does); else None."""
    body = strip_bom(data)
    if not body.isascii() or any(b in body for b in _OTHER_BREAKS):
        return None
    return unix_line_ends(body)


def _split_lines(data: bytes) -> tuple[list[bytes], list[int], list[bytes]]:
    """FrameID tokens, 1-based line numbers and the rest of each non-blank line."""
    data = unix_line_ends(data)
    frame_ids: list[bytes] = []
    line_nos: list[int] = []
    rests: list[bytes] = []
    for no, line in enumerate(data.split(b"\n"), start=1):
        parts = line.split(None, 1)
        if not parts:
            continue
        frame_ids.append(parts[0])
        line_nos.append(no)
        rests.append(parts[1] if len(parts) == 2 else b"")
    return frame_ids, line_nos, rests


def _token_counts(body: bytes, n_lines: int, rests: list[bytes] | None = None) -> np.ndarray:
    """Number of whitespace-separated tokens on each ``\\n``-separated line of ``body``."""
    if not body:
        return np.zeros(n_lines, np.int64)
    if rests is not None and b"  " not in body and b"\t" not in body and b" \n" not in body \
            and not body.endswith(b" ") and b"\x0b" not in body and b"\x0c" not in body:
        # Single-spaced lines (the norm): count separators at C speed per line.
        return np.array([r.count(b" ") + 1 if r else 0 for r in rests], np.int64)
    arr = np.frombuffer(body, dtype=np.uint8)
    ws = _WHITESPACE[arr]
    starts = ~ws
    starts[1:] &= ws[:-1]
    line_of_byte = np.cumsum(arr == 10)
    return np.bincount(line_of_byte[starts], minlength=n_lines)


def _frame_id(token: bytes, line: int, path) -> str:
    if token.isascii():
        return token.decode("ascii")
    return decode_utf8(token, path or "<annotations>", AnnotationFormatError, first_line=line)


def fail(path, line, msg, field=None):
    raise AnnotationFormatError(msg, path=path or "<annotations>", line=line, field=field)


# The numbers Arrow's CSV reader accepts (Python's float() accepts more: "1_0", non-ASCII
# digits), so that the token reported is the one the fast path rejected.
_NUMBER = re.compile(rb"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|[+-]?(?i:nan|inf|infinity)")


def _slow_locate_bad_token(rests: list[bytes], line_nos: list[int], path) -> None:
    """Find and report the first token that is not a number (only runs on error)."""
    for rest, no in zip(rests, line_nos):
        for pos, tok in enumerate(rest.split(), start=2):
            if not _NUMBER.fullmatch(tok):
                head, col = divmod(pos - 2, VALUES_PER_HEAD)
                fail(path, no, f"expected a number, got {tok.decode(errors='replace')!r}",
                      field=f"token {pos} ({HEAD_FIELDS[col]}, head {head + 1})")
    fail(path, None, "could not parse the numbers of this file")  # pragma: no cover


@dataclass(frozen=True)
class Parsed:
    """One file's parse result as plain arrays (assembled into tables later)."""

    video: str
    frames: list[str]
    heads_per_line: np.ndarray  # (L,) int64
    table: np.ndarray  # (N, 7) float64: HeadID x1 y1 x2 y2 p1 p2


def _parse_floats(body: bytes) -> np.ndarray | None:
    """All whitespace-separated numbers of ``body``, or None if any token is bad."""
    # One number per line lets Arrow's C++ CSV reader do the float conversion.
    return float_table(body.replace(b" ", b"\n").replace(b"\t", b"\n"), 1)


def float_table(body: bytes, width: int) -> np.ndarray | None:
    """``(rows, width)`` float64 of ``body``: ``width`` numbers per line separated by
    single spaces (blank lines skipped), converted by Arrow's C++ CSV reader (correctly
    rounded, as ``float()``); None if a field is not a number, is empty or a line has
    another count."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    names = [f"v{k}" for k in range(width)]
    # Megabytes of numbers (a dataset's files at once) are converted in blocks on
    # Arrow's threads, in half the time on two cores; small inputs skip the thread pool.
    threads = len(body) > 1 << 20
    try:
        table = pacsv.read_csv(
            io.BytesIO(body),
            read_options=pacsv.ReadOptions(column_names=names, use_threads=threads),
            # (a comma in a one-number line: a second column, so not a number)
            parse_options=pacsv.ParseOptions(delimiter=" " if width > 1 else ",",
                                             quote_char=False),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.float64()), null_values=[],
                strings_can_be_null=False),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    if width == 1:
        return table.column(0).to_numpy()
    return np.column_stack([col.to_numpy() for col in table.columns])


#: Bytes that str.splitlines() also breaks lines at: such files take the slow path.
#: Looked for one by one (``in``: memchr, ~10 GB/s): a regular expression's character
#: class took 60 ms over SenseCrowd's 8.5 MB benchmark files, the five scans 0.8 ms.
_OTHER_BREAKS = (b"\x0b", b"\x0c", b"\x1c", b"\x1d", b"\x1e")


def number_rows(data: bytes, width: int) -> np.ndarray | None:
    """``(n, width)`` float64 of a plain numeric table (``width`` numbers on every
    non-blank line, ASCII), or None for anything else: the caller's per-line reader then
    names the line. The fast path of the other text formats (JHU-Crowd++ ``gt``)."""
    return number_rows_many([data], width)[0]


def number_rows_many(datas: Sequence[bytes], width: int) -> list[np.ndarray | None]:
    """:func:`number_rows` of each file, the numbers of all the plain ones converted in
    one call (Arrow's reader costs about a millisecond per call whatever the size).

    Files in the published form (see :func:`_strict_body`) go straight to Arrow as
    ``width``-column lines, without the per-byte token count; any other file, or all of
    them if Arrow refuses a field (an empty one: two spaces), take the general check."""
    strict = [_strict_body(d, width) for d in datas]
    out = _strict_rows(strict, width)
    rest = [i for i, got in enumerate(out) if got is None]
    if rest:
        for i, got in zip(rest, _general_rows([datas[i] for i in rest], width)):
            out[i] = got
    return out


#: The bytes a number is written with (digits, sign, point, exponent).
_NUMBER_CHARS = b"0123456789+-.eE"


def _strict_body(data: bytes, width: int) -> tuple[bytes, int] | None:
    """``data`` (ending in a line end) and its line count, if it holds nothing but lines
    of ``width`` fields of number bytes separated by single spaces, else None. One
    ``translate`` checks it: the bytes left when the number bytes are deleted must be
    ``width - 1`` spaces and a ``\n`` per line (a BOM, ``\r``, a tab, a letter, a blank
    line or another count leave something else). Empty fields are Arrow's to refuse."""
    body = data if not data or data.endswith(b"\n") else data + b"\n"
    lines = body.count(b"\n")
    if body.translate(None, _NUMBER_CHARS) != (b" " * (width - 1) + b"\n") * lines:
        return None
    return body, lines


def _strict_rows(strict: list[tuple[bytes, int] | None], width: int
                 ) -> list[np.ndarray | None]:
    """The ``(lines, width)`` rows of each strict body in one Arrow call (None where not
    strict, and everywhere if Arrow refuses a field)."""
    out: list[np.ndarray | None] = [None] * len(strict)
    ok = [i for i, s in enumerate(strict) if s is not None]
    counts = [strict[i][1] for i in ok]
    values = np.empty((0, width))
    if sum(counts):
        values = float_table(b"".join(strict[i][0] for i in ok), width)
        if values is None or len(values) != sum(counts):
            return out
    for i, start, n in zip(ok, np.cumsum([0, *counts]).tolist(), counts):
        out[i] = values[start:start + n]
    return out


def _general_rows(datas: Sequence[bytes], width: int) -> list[np.ndarray | None]:
    """:func:`number_rows_many` for files of any form: tokens counted per line."""
    plain = [_plain_body(d, width) for d in datas]
    ok = [i for i, p in enumerate(plain) if p is not None]
    out: list[np.ndarray | None] = [None] * len(datas)
    counts = np.array([plain[i][1] for i in ok], np.int64)
    if not counts.sum():
        for i in ok:
            out[i] = np.empty((0, width))
        return out
    values = _parse_floats(b"\n".join(plain[i][0] for i in ok))
    if values is None or len(values) != counts.sum():
        if len(datas) > 1:  # one bad token: find its file, the others stay fast
            return [_general_rows([d], width)[0] for d in datas]
        return out
    for i, part in zip(ok, np.split(values, np.cumsum(counts)[:-1])):
        out[i] = part.reshape(-1, width)
    return out


def _plain_body(data: bytes, width: int) -> tuple[bytes, int] | None:
    """The body (BOM dropped, ``\n`` line ends) and its number count, if every non-blank
    line holds ``width`` tokens of ASCII text; else None."""
    body = plain_ascii(data)
    if body is None:
        return None
    counts = _token_counts(body, body.count(b"\n") + 1)
    if np.any((counts != 0) & (counts != width)):
        return None
    return body, int(counts.sum())


def parse(data: bytes, *, video: str, path, strict: bool) -> Parsed:
    """Validate and convert one file; see :func:`parse_annotations`."""
    refuse_utf16(data, path or "<annotations>", AnnotationFormatError)
    frame_ids, line_nos, rests = _split_lines(strip_bom(data))
    if not frame_ids:
        fail(path, None, "annotation file is empty (expected one line per frame)")
    table, heads_per_line = head_table(rests, line_nos, path)
    return checked(frame_ids, line_nos, table, heads_per_line, video=video, path=path,
                   strict=strict)


def checked(frame_ids: list[bytes], line_nos: list[int], table: np.ndarray,
            heads_per_line: np.ndarray, *, video: str, path, strict: bool) -> Parsed:
    """The checks of :func:`parse` on converted lines: FrameID tokens and their line
    numbers, the ``(H, 7)`` head values in the official order and heads per line."""
    line_of_head = np.repeat(np.arange(len(heads_per_line)), heads_per_line)
    where = _locator(line_of_head, line_nos)
    _check_heads(table, line_of_head, where, path)
    frame_strs = [_frame_id(f, no, path) for f, no in zip(frame_ids, line_nos)]
    if len(set(frame_strs)) != len(frame_strs):
        seen: dict[str, int] = {}
        for s, no in zip(frame_strs, line_nos):
            if s in seen:
                fail(path, no, f"FrameID {s!r} already used on line {seen[s]}",
                     field="FrameID")
            seen[s] = no
    x1, y1, x2, y2, px, py = (table[:, k] for k in range(1, 7))
    outside = (px < x1) | (px > x2) | (py < y1) | (py > y2)
    n_out = int(outside.sum())
    if n_out:
        no, _ = where(int(np.flatnonzero(outside)[0]), 5)
        msg = (f"{n_out} head center(s) lie outside their head-shoulder box "
               f"(first on line {no})")
        if strict:
            fail(path, no, msg, field="p1 p2")
        warnings.warn(f"{path or video}: {msg}", VSCrowdWarning, stacklevel=3)
    return Parsed(video, frame_strs, heads_per_line, table)


def head_table(rests: list[bytes], line_nos: list[int], path
                ) -> tuple[np.ndarray, np.ndarray]:
    """``(H, 7)`` float64 head values and heads per line, or a located error."""
    body = b"\n".join(rests)
    counts = _token_counts(body, len(rests), rests)
    bad = np.flatnonzero(counts % VALUES_PER_HEAD)
    if bad.size:
        i = int(bad[0])
        k = int(counts[i])
        first = (k // VALUES_PER_HEAD) * VALUES_PER_HEAD + 2
        fail(path, line_nos[i],
             f"expected {VALUES_PER_HEAD} values per head (HeadID x1 y1 x2 y2 p1 p2) after "
             f"the FrameID, got {k} values; the incomplete head starts at token {first}",
             field="head fields")
    total = int(counts.sum())
    values = np.empty(0, np.float64)
    if total:
        values = _parse_floats(body)
        if values is None or values.size != total:
            _slow_locate_bad_token(rests, line_nos, path)
    return values.reshape(-1, VALUES_PER_HEAD), counts // VALUES_PER_HEAD


def _locator(line_of_head: np.ndarray, line_nos: list[int]):
    """``where(head, column) -> (line, "token k (field, head j)")`` for error messages."""

    def where(head: int, col: int) -> tuple[int, str]:
        i = int(line_of_head[head])
        within = head - int(np.searchsorted(line_of_head, i))
        pos = 2 + within * VALUES_PER_HEAD + col
        return line_nos[i], f"token {pos} ({HEAD_FIELDS[col]}, head {within + 1})"

    return where


def _check_heads(table: np.ndarray, line_of_head: np.ndarray, where, path) -> None:
    """Finite values, integer HeadIDs, boxes not inverted, no HeadID twice in a frame."""
    finite = np.isfinite(table)
    if not finite.all():
        h, c = np.argwhere(~finite)[0]
        no, field = where(int(h), int(c))
        fail(path, no, f"expected a finite number, got {table[h, c]}", field=field)
    ids = table[:, 0]
    nonint = ids != np.round(ids)
    if nonint.any():
        h = int(np.flatnonzero(nonint)[0])
        no, field = where(h, 0)
        fail(path, no, f"expected an integer HeadID, got {ids[h]}", field=field)
    x1, y1, x2, y2 = (table[:, k] for k in range(1, 5))
    for lo, hi, name, col in ((x1, x2, "x2 < x1", 3), (y1, y2, "y2 < y1", 4)):
        inverted = hi < lo
        if inverted.any():
            h = int(np.flatnonzero(inverted)[0])
            no, field = where(h, col)
            fail(path, no, f"box has {name} ({hi[h]} < {lo[h]}); expected left <= right "
                 "and top <= bottom", field=field)
    head_ids = ids.astype(np.int64)
    if head_ids.size:
        order = np.lexsort((head_ids, line_of_head))
        dup = (np.diff(line_of_head[order]) == 0) & (np.diff(head_ids[order]) == 0)
        if dup.any():
            h = int(order[np.flatnonzero(dup)[0] + 1])
            no, field = where(h, 0)
            fail(path, no, f"HeadID {head_ids[h]} appears twice in this frame", field=field)
