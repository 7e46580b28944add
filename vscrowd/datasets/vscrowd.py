"""A VSCrowd dataset root: videos, splits, frames, frame images and the heads table."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from ..clipwindow import ClipPolicy, check_clip_length, clip_window
from ..errors import DatasetError
from ..frameids import FrameResolver
from .annotations import Annotations, FrameAnnotation, iter_frame_annotations
from .cache import load_annotations
from .images import check_inside_images, scan_images
from .layout import IMAGE_EXT, annotation_files
from .namemap import read_name_map
from .naming import NAME_MAP_FILE
from .splits import ALL_SPLITS, video_table

__all__ = ["VSCrowd", "open_dataset"]

logger = logging.getLogger(__name__)


def _close_matches(name: str, options: Sequence[str], n: int = 3) -> str:
    import difflib

    close = difflib.get_close_matches(name, list(options), n=n, cutoff=0.5)
    return f"; did you mean {', '.join(close)}?" if close else ""


class VSCrowd:
    """A VSCrowd dataset root in the official layout.

    ``ROOT/annotations/<video>.txt`` and ``ROOT/videos/<video>/<FrameID>.jpg``.
    Parsed annotations are cached as Parquet (see :mod:`vscrowd.datasets.cache`).

    Args:
        root: Dataset root folder.
        split_files: Split list files (``train.txt``/``val.txt``/``test.txt``; the
            split is the file stem). ``"auto"`` uses those found in ``root``;
            ``None`` uses the video-name prefix (``train_*``/``test_*``).
        cache: Read/write the Parquet cache.
        cache_dir: Where the cache lives (default ``ROOT/.vscrowd-cache`` or the
            user cache folder when the root is read-only).
        strict: Make suspicious annotations (center outside box/image) errors.
        download: When ``root`` has no annotations yet, fetch VSCrowd from the Hugging
            Face mirror into it first (:func:`vscrowd.acquire.download.download`; needs the
            ``hub`` extra), like torchvision's ``download=True``.
        names: Other names of the videos (``{sensecrowd_name: vscrowd_name}``, from
            ``vscrowd map-names``), translated when split files and scene labels are
            read. Default: ``ROOT/names.csv`` when it exists (:mod:`vscrowd.datasets.naming`).
        scene_labels: A ``scene_label.txt`` (either naming); default
            ``ROOT/scene_label.txt`` when it exists.

    Attributes:
        root: The root folder.
        name_map: The name map in use (``{sensecrowd_name: vscrowd_name}``; empty: none).
        annotations: :class:`~vscrowd.datasets.annotations.Annotations` of the selected videos.
        videos: One row per video: ``video, split, n_frames, n_heads, width, height,
            has_frames`` and ``scene_labels`` when ``scene_label.txt`` exists.
        missing_images: ``(video, frame)`` pairs of annotated frames without image.

    Example:
        >>> import tempfile
        >>> from vscrowd.synth.generator import synthesize
        >>> root = synthesize(tempfile.mkdtemp() + "/d", videos=2, frames=3, size=(64, 48))
        >>> ds = VSCrowd(root)
        >>> ds.videos["video"].tolist(), len(ds.frames)
        (['train_001', 'test_001'], 6)
    """

    def __init__(
        self,
        root: str | Path,
        *,
        split_files: Sequence[str | Path] | Literal["auto"] | None = "auto",
        cache: bool = True,
        cache_dir: str | Path | None = None,
        strict: bool = False,
        download: bool = False,
        names: Mapping[str, str] | None = None,
        scene_labels: str | Path | None = None,
    ) -> None:
        self.root = Path(root)
        if download and not (self.root / "annotations").is_dir():
            from ..acquire.download import download as fetch  # the Hub source; see docs

            report = fetch(self.root).report
            if not report.complete:
                raise DatasetError(f"the downloaded copy in {self.root} does not verify:\n"
                                   + report.format())
        files = annotation_files(self.root)
        ann = load_annotations(self.root, files, strict=strict, cache=cache,
                               cache_dir=cache_dir)
        if names is None and (self.root / NAME_MAP_FILE).is_file():
            names = read_name_map(self.root / NAME_MAP_FILE)
        videos = video_table(self.root, [f.stem for f in files], ann.frames, split_files,
                             aliases=names or {}, labels_file=scene_labels)
        self.name_map: dict[str, str] = dict(names or {})
        scan = scan_images(self.root, ann, videos)
        check_inside_images(scan.annotations.heads, scan.videos, strict,
                            self.root / "annotations")
        self._set(self.root, strict, scan.annotations, scan.videos, scan.missing)

    def _set(self, root: Path, strict: bool, annotations: Annotations, videos: pd.DataFrame,
             missing_images: list[tuple[str, str]]) -> None:
        self.root, self.strict = root, strict
        self.annotations, self.videos = annotations, videos
        self.missing_images = missing_images

    @classmethod
    def _view(cls, parent: VSCrowd, annotations: Annotations, videos: pd.DataFrame,
              missing_images: list[tuple[str, str]]) -> VSCrowd:
        """A dataset over part of ``parent``'s tables (nothing is read again)."""
        view = cls.__new__(cls)
        view._set(parent.root, parent.strict, annotations, videos, missing_images)
        view.name_map = parent.name_map
        return view

    # ------------------------------------------------------------------ tables
    @property
    def heads(self) -> pd.DataFrame:
        """One row per head (see :data:`vscrowd.datasets.annotations.HEAD_COLUMNS`)."""
        return self.annotations.heads

    @property
    def frames(self) -> pd.DataFrame:
        """One row per frame: ``video, frame, frame_index, n_heads, split, width, height,
        has_image`` (the split of its video; width/height missing where the image does
        not exist). A registered dataset's table also has ``path`` and its labels."""
        return self.annotations.frames

    @property
    def is_video(self) -> bool:
        """True: frames of one video follow each other (clips and tracks apply); an
        image dataset's are unrelated images."""
        return True

    @property
    def splits(self) -> list[str]:
        """Split names present, in order of first appearance."""
        return list(dict.fromkeys(self.videos["split"]))

    def __len__(self) -> int:
        return len(self.frames)

    def __repr__(self) -> str:
        return (f"VSCrowd(root={str(self.root)!r}, videos={len(self.videos)}, "
                f"frames={len(self.frames)}, heads={len(self.heads)})")

    # ------------------------------------------------------------------ selection
    def select(
        self,
        *,
        split: str | Sequence[str] | None = None,
        videos: str | Sequence[str] | None = None,
        frames: slice | tuple[int, int] | None = None,
    ) -> VSCrowd:
        """A view restricted to splits, videos and a frame-index range ``[start, stop)``;
        ``split="all"`` (:data:`~vscrowd.datasets.splits.ALL_SPLITS`) keeps every split.

        Raises:
            DatasetError: An unknown split or video (names close matches).
        """
        vt = self.videos
        keep = np.ones(len(vt), bool)
        if split is not None and split != ALL_SPLITS:
            wanted = [split] if isinstance(split, str) else list(split)
            for s in wanted:
                if s not in self.splits:
                    raise DatasetError(f"expected a split in {self.splits}, got {s!r}")
            keep &= vt["split"].isin(wanted).to_numpy()
        if videos is not None:
            wanted = [videos] if isinstance(videos, str) else list(videos)
            known = set(vt["video"])
            for v in wanted:
                if v not in known:
                    raise DatasetError(f"unknown video {v!r}{_close_matches(v, vt['video'])}")
            keep &= vt["video"].isin(wanted).to_numpy()
        names = vt.loc[keep, "video"].tolist()
        h, fr = self.heads, self.frames
        hsel = h["video"].isin(names).to_numpy().copy()
        fsel = fr["video"].isin(names).to_numpy().copy()
        if frames is not None:
            start, stop = (frames.start, frames.stop) if isinstance(frames, slice) else frames
            start = 0 if start is None else start
            stop = np.iinfo(np.int32).max if stop is None else stop
            hi, fi = h["frame_index"].to_numpy(), fr["frame_index"].to_numpy()
            hsel &= (hi >= start) & (hi < stop)
            fsel &= (fi >= start) & (fi < stop)
        kept = set(names)
        # type(self): a subclass's view keeps its class (ImageDataset adds its name).
        return type(self)._view(self, Annotations(h[hsel].reset_index(drop=True),
                                                  fr[fsel].reset_index(drop=True)),
                                vt[keep].reset_index(drop=True),
                                [m for m in self.missing_images if m[0] in kept])

    # ------------------------------------------------------------------ frames
    def image_path(self, video: str, frame: str) -> Path:
        """Path of a frame image: ``ROOT/videos/<video>/<frame>.jpg``."""
        return self.root / "videos" / video / f"{frame}{IMAGE_EXT}"

    def iter_frames(self, video: str | None = None) -> Iterator[FrameAnnotation]:
        """Yield the frames in order (all videos, or one) as :class:`FrameAnnotation`."""
        fr = self.frames if video is None else self.frames[self.frames["video"] == video]
        if video is not None and fr.empty:
            raise DatasetError(f"unknown video {video!r}"
                               f"{_close_matches(video, self.videos['video'])}")
        yield from iter_frame_annotations(self.annotations, fr)

    def frame(self, video: str, frame: str | int) -> FrameAnnotation:
        """One frame's heads. ``frame`` is the FrameID string (an int matches by value).

        Raises:
            DatasetError: Unknown video or frame (lists close matches).
        """
        table = self.annotations.index.frames.get(video)
        if table is None:
            raise DatasetError(f"unknown video {video!r}"
                               f"{_close_matches(video, self.videos['video'].tolist())}")
        fid = str(frame) if str(frame) in table else self._resolve_frame(
            video, list(table), frame)
        return self.annotations.index.frame(video, fid)

    def _frames_of(self, video: str) -> pd.DataFrame:
        fr = self.frames[self.frames["video"] == video]
        if fr.empty:
            raise DatasetError(f"unknown video {video!r}"
                               f"{_close_matches(video, self.videos['video'].tolist())}")
        return fr

    @staticmethod
    def _resolve_frame(video: str, ids: list[str], frame: str | int) -> str:
        row = FrameResolver([video] * len(ids), ids).row(video, frame)
        if row is not None:
            return ids[row]
        raise DatasetError(f"video {video!r} has no frame {str(frame)!r}"
                           f"{_close_matches(str(frame), ids)}")

    def clip(
        self,
        video: str,
        frame: str | int,
        length: int = 3,
        stride: int = 1,
        policy: ClipPolicy = "replicate",
    ) -> list[str] | None:
        """FrameIDs of the ``length``-frame clip centred on ``frame``.

        Neighbours are ``stride`` lines apart. At the start/end of a video the
        missing neighbours are replicated from the nearest existing frame
        (``policy="replicate"``), or the clip is refused (``"skip"`` returns None).

        Raises:
            ConfigError: ``length`` even or < 1, or ``stride`` < 1.
        """
        check_clip_length(length)
        fr = self._frames_of(video).sort_values("frame_index")
        ids = fr["frame"].tolist()
        centre = ids.index(self._resolve_frame(video, ids, frame))
        window = clip_window(len(ids), centre, length, stride, policy)
        return None if window is None else [ids[p] for p in window]


def open_dataset(root: str | Path, **kwargs) -> VSCrowd:
    """Open a dataset root; keyword arguments as for :class:`VSCrowd`."""
    return VSCrowd(root, **kwargs)
