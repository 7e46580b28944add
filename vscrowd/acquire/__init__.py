"""Getting a dataset onto disk and checking it: downloads, assembly from the published
archives, verification against the published counts. Names load on first use.
"""

from .._lazy import lazy_exports

_EXPORTS = {
    "Archive": ".archives",
    "ArchiveMember": ".archives",
    "AssemblyResult": ".assemble",
    "Check": ".verify",
    "DEFAULT_REPO": ".download",
    "DownloadResult": ".download",
    "MANIFEST_NAME": ".assemble",
    "PAPER": ".verify",
    "Parts": ".assemble",
    "VerifyReport": ".verify",
    "assemble": ".assemble",
    "download": ".download",
    "find_archives": ".archives",
    "read_checksums": ".archives",
    "verify": ".verify",
    "verify_checksums": ".archives",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = [
    "Archive",
    "ArchiveMember",
    "AssemblyResult",
    "Check",
    "DEFAULT_REPO",
    "DownloadResult",
    "MANIFEST_NAME",
    "PAPER",
    "Parts",
    "VerifyReport",
    "assemble",
    "download",
    "find_archives",
    "read_checksums",
    "verify",
    "verify_checksums",
]
