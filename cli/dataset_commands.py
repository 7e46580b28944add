"""``vscrowd datasets``: the registered datasets and their published facts."""

from __future__ import annotations

import click

from .common import emit


@click.command("datasets")
@click.option("--json", "json_out", default=None, help="Write JSON to a file or '-'.")
def datasets_cmd(json_out):
    """List the registered datasets (vscrowd.open reads each in its own format)."""
    import json

    from vscrowd.datasets.registry import registered

    infos = registered()
    rows = [("name", "dataset", "kind", "images", "heads", "splits", "paper tables")]
    rows += [(i.name, i.title, i.kind, f"{i.images:,}", f"{i.heads:,}",
              " / ".join(f"{k} {v:,}" for k, v in i.splits.items()), i.paper_tables)
             for i in infos]
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    table = "\n".join("  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip() for r in rows)
    table += "\n(splits of VSCrowd count videos; sources and licences: --json, docs/datasets.md)"
    emit(table, json.dumps([i.to_dict() for i in infos], indent=2) + "\n", json_out)


COMMANDS = [datasets_cmd]
