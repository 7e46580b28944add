"""``VideoDataset``: a video dataset read in its own format (FDST, Venice, DroneCrowd)
with the interface of :class:`~vscrowd.VSCrowd`.

Unlike :class:`~vscrowd.datasets.image_dataset.ImageDataset`, ``video`` is the real
sequence (FDST's video folder, Venice's scene, DroneCrowd's sequence number) and
``frame`` the frame's own id within it, so clips, tracks and per-video statistics mean
what they mean on VSCrowd. Frames keep their path (``frames["path"]``) and per-frame
labels as columns, as in an image dataset; heads carry track IDs where the dataset has
them (``head_id``; -1 otherwise) and zero-size boxes where it has no boxes.
"""

from __future__ import annotations

from .image_dataset import ImageDataset

__all__ = ["VideoDataset"]


class VideoDataset(ImageDataset):
    """A video dataset root read by its registered reader (records carry ``video``)."""

    @property
    def is_video(self) -> bool:
        """True: a video's frames are consecutive frames of one sequence."""
        return True

    def __repr__(self) -> str:
        return (f"VideoDataset(name={self.name!r}, root={str(self.root)!r}, "
                f"videos={len(self.videos)}, frames={len(self.frames)}, "
                f"heads={len(self.heads)})")
