"""``download(root)``: the real data in one call -- fetch, assemble, verify.

Sources: the Hugging Face mirror the dataset's maintainer points to
(``HopLeeTop/VSCrowd``, a dataset repository; needs ``pip install 'vscrowd[hub]'``;
resumable and cached by ``huggingface_hub``, which honours ``HF_TOKEN`` /
``huggingface-cli login`` and ``HF_ENDPOINT``), or a folder of files downloaded by hand
(``source=Path``: OneDrive parts, a colleague's copy). Both end in
:func:`vscrowd.acquire.assemble.assemble` and :func:`vscrowd.acquire.verify.verify`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .._io import atomic_write_text
from .._optional import require_module
from ..datasets.registry import dataset_info
from ..errors import DatasetError
from .archive_entries import DEFAULT_MAX_RATIO
from .assemble import MANIFEST_NAME, AssemblyResult, Parts, assemble
from .verify import Reference, VerifyReport, verify

__all__ = ["DEFAULT_REPO", "DownloadResult", "download", "download_summary"]

DEFAULT_REPO = "HopLeeTop/VSCrowd"
# Which files of the repository each --parts needs. The repository's layout is not
# documented; these patterns select by name, and anything they miss is reported.
_PATTERNS: dict[str, list[str] | None] = {
    "annotations": ["*annot*", "*Annot*", "*label*", "*.txt", "*.md5", "*.sha256",
                    "*SUMS*"],
    "frames": None, "all": None}


@dataclass(frozen=True)
class DownloadResult:
    """Where the files came from, what assembly did and the final verification."""

    source: str
    revision: str | None
    assembly: AssemblyResult
    report: VerifyReport


def _fetch_hub(repo: str, revision: str | None, parts: Parts) -> tuple[Path, str]:
    hub = require_module("huggingface_hub", "downloading from the Hugging Face Hub", "hub")
    try:
        folder = Path(hub.snapshot_download(repo_id=repo, repo_type="dataset",
                                            revision=revision,
                                            allow_patterns=_PATTERNS[parts]))
    except Exception as exc:  # offline, 401/403 (gated), 404, timeouts: many types
        text = f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}" if str(exc) else \
            type(exc).__name__
        if any(k in text for k in ("401", "403", "Gated", "gated", "Unauthorized")):
            raise DatasetError(f"the Hugging Face repository {repo!r} needs access: accept "
                               "its terms on the Hub, then set HF_TOKEN (or run "
                               f"huggingface-cli login) ({text})") from exc
        if any(k in text for k in ("404", "NotFound", "not found")):
            raise DatasetError(f"no dataset repository {repo!r} (revision "
                               f"{revision or 'main'}) on the Hugging Face Hub ({text})"
                               ) from exc
        raise DatasetError(f"cannot reach the Hugging Face Hub ({text}); download the files "
                           "by hand and run: vscrowd download ROOT --from DIR") from exc
    # snapshot folders are named after the commit actually downloaded
    return folder, folder.name


def download(root: str | Path, *, source: str | Path = "hf", repo: str = DEFAULT_REPO,
             revision: str | None = None, parts: Parts = "all", force: bool = False,
             progress: Callable[[str, str], None] | None = None,
             reference: Reference = "auto", follow_links: bool = False,
             max_ratio: float = DEFAULT_MAX_RATIO, dataset: str | None = None
             ) -> DownloadResult:
    """Fetch (``source="hf"``) or take (``source=DIR``) the files, assemble them into
    ``root`` and verify the result (frames are not checked with ``parts="annotations"``)
    against ``reference`` (``auto``: the paper; a synth.json among the downloaded files
    is used only with ``reference="synth"``). ``follow_links`` and ``max_ratio``: see
    :func:`vscrowd.assemble.assemble` (the Hub's own cache links are always followed).
    ``dataset``: another registered dataset, from its archives as published
    (``source=DIR`` only: the Hub mirror is VSCrowd's), placed in its own layout and
    checked by :func:`~vscrowd.acquire.dataset_checks.verify_dataset`.

    Raises:
        DatasetError / OutputError: see :func:`vscrowd.acquire.assemble.assemble`; Hub errors
            say what to do (``HF_TOKEN``, ``--from``).
    """
    root = Path(root)
    if reference not in ("auto", "paper", "synth"):
        raise DatasetError(f"expected reference auto, paper or synth, got {reference!r}")
    other = dataset is not None and dataset != "vscrowd"
    if other and str(source) == "hf":
        info = dataset_info(dataset)
        raise DatasetError(f"{info.title} is not on the Hugging Face mirror (VSCrowd's); "
                           f"download its archives from {info.source} and run: vscrowd "
                           f"download ROOT --dataset {dataset} --from DIR")
    if str(source) == "hf":
        folder, rev = _fetch_hub(repo, revision, parts)
        where = f"hf:{repo}"
        follow_links = True  # huggingface_hub's snapshot files link into its blob store
    else:
        folder, rev, where = Path(source), None, str(source)
    result = assemble(folder, root, parts=parts, force=force, progress=progress,
                      follow_links=follow_links, max_ratio=max_ratio, dataset=dataset)
    if rev is not None:
        manifest = root / MANIFEST_NAME
        doc = json.loads(manifest.read_text(encoding="utf-8")) if manifest.is_file() else {}
        doc.update(source=where, revision=rev)
        atomic_write_text(manifest, json.dumps(doc, indent=1) + "\n")
    ref = "paper" if reference == "auto" else reference
    if other:
        from .dataset_checks import verify_dataset

        report = verify_dataset(root, dataset, reference=ref, images=parts != "annotations")
    else:
        report = verify(root, images=parts != "annotations", reference=ref)
    return DownloadResult(where, rev, result, report)


def download_summary(res: DownloadResult, verbose: bool = False) -> list[tuple[str, bool]]:
    """The lines the CLI prints about assembly, ``(text, to stderr)``: a summary that
    counts every entry not placed, then the entries themselves (the first 10, or all
    with ``verbose``), duplicates, archives with nothing usable and missing parts."""
    a = res.assembly
    left = len(a.unrecognised) + len(a.duplicates)
    if a.already_complete:
        head = (f"{a.root}: already assembled from {res.source} ({a.archives} archive(s)); "
                "nothing to do")
    else:
        head = (f"assembled {len(a.done_now)} archive(s) from {res.source}"
                + (f" (revision {res.revision})" if res.revision else "")
                + f": {a.placed} file(s) placed, {a.unchanged} already there, "
                f"{left} not placed" + (f", {a.not_wanted} left out by --parts"
                                        if a.not_wanted else ""))
    lines = [(head, False)]
    shown = a.unrecognised if verbose else a.unrecognised[:10]
    lines += [(f"warning: unrecognised, not placed: {odd}", True) for odd in shown]
    if len(a.unrecognised) > len(shown):
        lines.append((f"warning: ... and {len(a.unrecognised) - len(shown)} more "
                      "unrecognised (--verbose lists them)", True))
    dups = a.duplicates if verbose else a.duplicates[:3]
    lines += [(f"note: {d}", True) for d in dups]
    if len(a.duplicates) > len(dups):
        lines.append((f"note: ... and {len(a.duplicates) - len(dups)} more identical "
                      "copies (--verbose lists them)", True))
    lines += [(f"warning: nothing usable in {n}; not recorded as done", True)
              for n in a.not_done]
    lines += [(f"warning: named in a checksum file but not downloaded: {m}", True)
              for m in a.missing]
    return lines
