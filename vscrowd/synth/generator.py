"""A seeded synthetic VSCrowd look-alike in the official layout.

The real videos cannot be downloaded on test machines, so demo, tests and benchmarks
run on this stand-in. What it models, and why:

* **Static cameras**: one textured background per video; test videos use a palette
  and texture scale never used in train (the real split separates scenes).
* **People as tracks**: each person has a stable HeadID, enters at an image border
  (or is present at the start), walks with a smoothly varying velocity and leaves;
  about 4% of people per 3-frame block are fully hidden (neither drawn nor annotated)
  and re-appear with the same ID -- so track IDs give inflow, outflow and re-entries
  for the tracking and video-counting metrics.
* **Perspective**: head diameter grows with image y (about 3 px at the horizon to
  40 px near the camera at 1080p), so head sizes are long-tailed as in VSCrowd.
* **Hard cases that make temporal context useful**: per frame, a few heads are
  occluded, motion-blurred or darkened (low contrast) while they are clear in the
  neighbouring frames; some frames get global noise or a brightness change. Every
  hard case is listed in ``OUT/synth_hard_cases.csv``.
* **Determinism**: the same arguments give byte-identical annotation files and
  identical JPEG bytes (one random stream per video, derived from the seed).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np

from .._io import atomic_write_bytes, atomic_write_text
from .._text import read_text
from ..errors import ConfigError, OutputError
from .people import People, concat, head_size, hidden_people, spawn, step

__all__ = ["MANIFEST", "SynthConfig", "synthesize", "video_names"]

logger = logging.getLogger(__name__)
MANIFEST = "synth.json"
_HARD_CASES = "synth_hard_cases.csv"
_HARD_KINDS = ("occluded", "blurred", "dark")


@dataclass(frozen=True)
class SynthConfig:
    """Parameters of :func:`synthesize` (see there)."""

    videos: int = 6  # number of videos in total
    frames: int = 12  # frames per video
    size: tuple[int, int] = (480, 270)  # (width, height) in pixels
    seed: int = 0  # master seed; each video draws from its own derived stream
    train_fraction: float = 0.75  # share of videos named train_*
    density: float = 1.0  # multiplies the number of people per video
    images: bool = True  # False writes annotations only (fast, for benchmarks)
    p_occluded: float = 0.06  # per head and frame
    p_blurred: float = 0.05
    p_dark: float = 0.06
    p_frame_noise: float = 0.12  # per frame: global noise or brightness change
    jpeg_quality: int = 90

    def validate(self) -> None:
        """Raise :class:`ConfigError` with an "expected X, got Y" message."""
        w, h = self.size
        if self.videos < 1:
            raise ConfigError(f"expected at least 1 video, got {self.videos}")
        if self.frames < 1:
            raise ConfigError(f"expected at least 1 frame per video, got {self.frames}")
        if not (32 <= w <= 8192 and 32 <= h <= 8192):
            raise ConfigError(f"expected a size between 32x32 and 8192x8192, got {w}x{h}")
        if not 0.0 <= self.train_fraction <= 1.0:
            raise ConfigError(f"expected train fraction in [0, 1], got {self.train_fraction}")
        if self.frames > 9999:
            raise ConfigError(f"expected at most 9999 frames (4-digit FrameIDs), got "
                              f"{self.frames}")
        if not 0 < self.density < float("inf"):
            raise ConfigError(f"expected a finite density > 0, got {self.density}")


def video_names(cfg: SynthConfig) -> list[str]:
    """The video names a config writes: ``train_001...`` then ``test_001...``."""
    n_train = int(round(cfg.videos * cfg.train_fraction))
    if cfg.videos >= 2 and 0 < cfg.train_fraction < 1:
        n_train = min(max(n_train, 1), cfg.videos - 1)  # both splits present
    n_test = cfg.videos - n_train
    return ([f"train_{i:03d}" for i in range(1, n_train + 1)]
            + [f"test_{i:03d}" for i in range(1, n_test + 1)])


def _background(rng: np.random.Generator, w: int, h: int, test: bool) -> np.ndarray:
    """A static textured scene; test scenes draw from a disjoint palette and scale."""
    hue = rng.uniform(95, 160) if test else rng.uniform(0, 80)
    scale = rng.uniform(4, 8) if test else rng.uniform(10, 24)
    gw, gh = max(2, int(w / (w / scale))), max(2, int(h / (w / scale)))
    low = rng.uniform(0, 1, (gh, gw, 1)).astype(np.float32)
    low = cv2.resize(low, (w, h), interpolation=cv2.INTER_CUBIC)[..., None]
    ramp = np.linspace(0.7, 1.15, h, dtype=np.float32)[:, None, None]  # floor gets closer
    hsv = np.empty((h, w, 3), np.float32)
    hsv[..., 0] = hue / 2
    hsv[..., 1] = 60 + 50 * low[..., 0]
    hsv[..., 2] = np.clip((110 + 70 * low[..., 0]) * ramp[..., 0], 0, 255)
    img = cv2.cvtColor(hsv.astype(np.uint8), cv2.COLOR_HSV2BGR)
    for _ in range(int(rng.integers(3, 9))):  # static structures: walls, benches, signs
        x0, y0 = int(rng.integers(0, w)), int(rng.integers(0, h))
        bw, bh = int(rng.integers(w // 20, w // 4)), int(rng.integers(h // 30, h // 5))
        col = tuple(int(c) for c in rng.integers(40, 220, 3))
        cv2.rectangle(img, (x0, y0), (x0 + bw, y0 + bh), col, -1)
    noise = rng.normal(0, 6, img.shape).astype(np.float32)
    return np.clip(img.astype(np.float32) + noise, 0, 255).astype(np.uint8)


def _draw_person(img, cx, cy, s, hair, cloth, low_contrast, bg_col):
    sh = 16  # fixed-point shift: sub-pixel accurate drawing
    if low_contrast:
        hair = np.clip(bg_col.astype(int) - 18, 0, 255)
        cloth = np.clip(bg_col.astype(int) + 14, 0, 255)
    cw, chh = 1.1 * s, 0.75 * s
    cv2.ellipse(img, (int(cx * sh), int((cy + 1.05 * s) * sh)),
                (max(1, int(cw * sh)), max(1, int(chh * sh))), 0, 180, 360,
                tuple(int(c) for c in cloth), -1, cv2.LINE_AA, 4)
    cv2.circle(img, (int(cx * sh), int(cy * sh)), max(1, int(0.5 * s * sh)),
               tuple(int(c) for c in hair), -1, cv2.LINE_AA, 4)


def _render_frame(bg, people, rng, cfg, w, h, hidden=None):
    img = bg.copy()
    n = len(people.ids)
    hard = np.full(n, -1, np.int8)
    u = rng.uniform(0, 1, n)
    hard[u < cfg.p_occluded] = 0
    hard[(u >= cfg.p_occluded) & (u < cfg.p_occluded + cfg.p_blurred)] = 1
    lo = cfg.p_occluded + cfg.p_blurred
    hard[(u >= lo) & (u < lo + cfg.p_dark)] = 2
    order = np.argsort(people.y, kind="stable")  # far first: near people occlude them
    s_all = head_size(people.y, h)
    for i in order:
        if hidden is not None and hidden[i]:
            continue
        cx, cy, s = people.x[i], people.y[i], s_all[i]
        bx, by = int(np.clip(cx, 0, w - 1)), int(np.clip(cy, 0, h - 1))
        _draw_person(img, cx, cy, s, people.hair[i], people.cloth[i], hard[i] == 2,
                     bg[by, bx])
        if hard[i] == 0:  # occluder: a pole/sign covering most of the head
            ox = int(cx - 0.8 * s + rng.uniform(0, 0.6) * s)
            col = tuple(int(c) for c in rng.integers(60, 200, 3))
            cv2.rectangle(img, (ox, int(cy - s)), (ox + max(2, int(0.9 * s)), int(cy + s)),
                          col, -1)
        elif hard[i] == 1:  # motion blur along the walking direction
            r = max(2, int(1.2 * s))
            x0, y0 = max(0, int(cx) - 2 * r), max(0, int(cy) - 2 * r)
            x1, y1 = min(w, int(cx) + 2 * r), min(h, int(cy) + 2 * r)
            if x1 - x0 > 2 and y1 - y0 > 2:
                k = np.zeros((2 * r + 1, 2 * r + 1), np.float32)
                k[r, :] = 1.0 / (2 * r + 1)
                img[y0:y1, x0:x1] = cv2.filter2D(img[y0:y1, x0:x1], -1, k)
    if rng.uniform() < cfg.p_frame_noise:
        if rng.uniform() < 0.5:
            img = np.clip(img.astype(np.int16) + int(rng.integers(-45, 46)), 0, 255)
        else:
            img = np.clip(img + rng.normal(0, 12, img.shape), 0, 255)
        img = img.astype(np.uint8)
    return img, hard


def _fmt(v: float) -> str:
    return f"{v:.2f}".rstrip("0").rstrip(".")


def _annotation_line(fid: str, people: People, w: int, h: int,
                     hidden: np.ndarray | None = None) -> tuple[str, np.ndarray]:
    s = head_size(people.y, h)
    keep = (people.x >= 0) & (people.x < w) & (people.y >= 0) & (people.y < h)
    if hidden is not None:
        keep &= ~hidden
    x, y, s, ids = people.x[keep], people.y[keep], s[keep], people.ids[keep]
    x1 = np.clip(x - 1.1 * s, 0, w)
    y1 = np.clip(y - 0.6 * s, 0, h)
    x2 = np.clip(x + 1.1 * s, 0, w)
    y2 = np.clip(y + 1.5 * s, 0, h)
    parts = [fid]
    for row in zip(ids, x1, y1, x2, y2, x, y):
        parts.append(str(int(row[0])))
        parts.extend(_fmt(round(float(v), 2)) for v in row[1:])
    return " ".join(parts), keep


def _synth_video(name: str, index: int, cfg: SynthConfig, out: Path) -> tuple[list[str], list]:
    w, h = cfg.size
    test = name.startswith("test_")
    rng = np.random.default_rng(np.random.SeedSequence([cfg.seed, index]))
    # Rendering draws from a stream of its own, so the annotations are the same with
    # and without images (and in the SenseCrowd flavour).
    render_rng = np.random.default_rng(np.random.SeedSequence([cfg.seed, index, 1]))
    bg = _background(render_rng, w, h, test)
    # Crowd level: a few to a few hundred people; test denser on average.
    area_scale = (w * h) / (480 * 270)
    median = (45.0 if test else 25.0) * cfg.density * min(area_scale, 4.0)
    target = float(np.clip(rng.lognormal(np.log(median), 0.7), 3, 400))
    people = spawn(rng, int(round(target)), w, h, 1, at_border=False)
    next_id = len(people.ids) + 1
    lines, written, hard_rows = [], [], []
    vdir = out / "videos" / name
    for f in range(cfg.frames):
        fid = f"{f + 1:04d}"
        if f > 0:
            people = step(people, rng, w, h)
            births = int(rng.poisson(max(0.0, target - len(people.ids)) * 0.35 + 0.3))
            if births:
                people = concat(people, spawn(rng, births, w, h, next_id, at_border=True))
                next_id += births
        hidden = hidden_people(people.ids, f, cfg.seed + 7919 * index) if f > 0 else None
        line, keep = _annotation_line(fid, people, w, h, hidden)
        lines.append(line)
        if cfg.images:
            img, hard = _render_frame(bg, people, render_rng, cfg, w, h, hidden)
            ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, cfg.jpeg_quality])
            if not ok:  # pragma: no cover - OpenCV always encodes uint8 BGR
                raise OutputError(f"JPEG encoding failed for {name}/{fid}")
            path = vdir / f"{fid}.jpg"
            atomic_write_bytes(path, buf.tobytes())
            written.append(path)
            for i in np.flatnonzero((hard >= 0) & keep):
                hard_rows.append(f"{name},{fid},{int(people.ids[i])},{_HARD_KINDS[hard[i]]}")
    ann = out / "annotations" / f"{name}.txt"
    atomic_write_text(ann, "\n".join(lines) + "\n")
    written.append(ann)
    return [str(p.relative_to(out)) for p in written], hard_rows


def _planned_files(cfg: SynthConfig) -> list[str]:
    """Every file a run of ``cfg`` writes (relative to OUT)."""
    files = []
    for name in video_names(cfg):
        if cfg.images:
            files += [f"videos/{name}/{f:04d}.jpg" for f in range(1, cfg.frames + 1)]
        files.append(f"annotations/{name}.txt")
    return files + ([_HARD_CASES] if cfg.images else []) + [MANIFEST]


def _previous_files(out: Path) -> list[str]:
    """The files listed in OUT's manifest (none without one), each checked to lie
    inside OUT."""
    manifest = out / MANIFEST
    if not manifest.exists():
        return []
    try:
        doc = json.loads(read_text(manifest, OutputError, "synth manifest"))
    except ValueError as exc:
        raise OutputError(f"{manifest}: not valid JSON ({exc}); refusing to trust it") from exc
    files = doc.get("files") if isinstance(doc, dict) else None
    if doc.get("generator") != "vscrowd.synth" or not isinstance(files, list) or not all(
            isinstance(f, str) for f in files):
        raise OutputError(f"{manifest}: expected a vscrowd.synth manifest with a list of "
                          "files; refusing to trust it")
    root = out.resolve()
    for f in files:
        target = (out / f).resolve()
        if Path(f).is_absolute() or ".." in Path(f).parts or root not in target.parents:
            raise OutputError(f"{manifest} lists {f!r}, which is outside {out}; refusing "
                              "to replace or remove it")
    return files


def _check_out(out: Path, overwrite: bool, cfg: SynthConfig) -> list[str]:
    """Refuse a non-empty OUT unless overwrite; returns files a previous run wrote. Never
    replaces a file that the previous run's manifest does not list."""
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out} exists and is not a folder")
    previous: list[str] = []
    if out.is_dir() and any(out.iterdir()):
        if not overwrite:
            raise OutputError(f"{out} exists and is not empty; pass --overwrite to replace "
                              "the files a previous `vscrowd synth` wrote there")
        previous = _previous_files(out)
        known = set(previous) | {MANIFEST}
        foreign = [f for f in _planned_files(cfg) if f not in known and (out / f).exists()]
        if foreign:
            raise OutputError(f"{out / foreign[0]} exists but is not listed in "
                              f"{out / MANIFEST} (not written by `vscrowd synth`; "
                              f"{len(foreign)} such file(s)); refusing to replace it")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create {out}: {exc.strerror}") from exc
    if not os.access(out, os.W_OK):
        raise OutputError(f"{out} is not writable")
    return previous


def synthesize(
    out: str | Path,
    *,
    videos: int = 6,
    frames: int = 12,
    size: tuple[int, int] = (480, 270),
    seed: int = 0,
    train_fraction: float = 0.75,
    overwrite: bool = False,
    progress: Callable[[str], None] | None = None,
    **options,
) -> Path:
    """Write a synthetic VSCrowd dataset to ``out`` in the official layout.

    Args:
        out: Output root; must be missing or empty unless ``overwrite``.
        videos: Number of videos (named ``train_001...`` then ``test_001...``).
        frames: Frames per video (FrameIDs ``0001...``).
        size: ``(width, height)`` of the frames.
        seed: Master seed; same arguments -> byte-identical output.
        train_fraction: Share of videos in the train split.
        overwrite: Allow a non-empty ``out``. Files this function wrote in an earlier
            run and does not write again are removed; nothing else is touched.
        progress: Called with each finished video's name.
        **options: Further :class:`SynthConfig` fields (``density``, ``images``, ...).

    Returns:
        ``out`` as a Path.

    Raises:
        ConfigError: Invalid sizes or counts.
        OutputError: ``out`` not empty (without ``overwrite``) or not writable.

    Example:
        >>> import tempfile
        >>> root = synthesize(tempfile.mkdtemp() + "/d", videos=2, frames=2, size=(64, 48))
        >>> sorted(p.name for p in (root / "annotations").iterdir())
        ['test_001.txt', 'train_001.txt']
    """
    try:
        cfg = SynthConfig(videos=videos, frames=frames, size=tuple(size), seed=seed,
                          train_fraction=train_fraction, **options)
    except TypeError as exc:
        raise ConfigError(str(exc)) from exc
    cfg.validate()
    out = Path(out)
    previous = _check_out(out, overwrite, cfg)
    # The manifest first lists everything this run may write (and what the previous run
    # wrote), so an interrupted run still leaves a manifest that covers every file.
    planned = sorted(set(previous) | set(_planned_files(cfg)))
    _write_manifest(out, cfg, planned)
    files: list[str] = []
    hard_rows = ["video,frame,head_id,kind"]
    for i, name in enumerate(video_names(cfg)):
        written, rows = _synth_video(name, i, cfg, out)
        files += written
        hard_rows += rows
        if progress:
            progress(name)
    if cfg.images:
        atomic_write_text(out / _HARD_CASES, "\n".join(hard_rows) + "\n")
        files.append(_HARD_CASES)
    for stale in sorted(set(previous) - set(files) - {MANIFEST}):
        p = out / stale
        if p.is_file():  # written by an earlier synth run (listed in its manifest)
            p.unlink()
    _write_manifest(out, cfg, files)
    return out


def _write_manifest(out: Path, cfg: SynthConfig, files: list[str]) -> None:
    manifest = {"generator": "vscrowd.synth", "config": asdict(cfg), "files": files}
    atomic_write_text(out / MANIFEST, json.dumps(manifest, indent=1) + "\n")
