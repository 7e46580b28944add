"""The ``vscrowd`` command-line app (installed as ``vscrowd.cli``)."""
