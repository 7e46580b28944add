"""``export_model``: a training checkpoint -> a shareable model folder.

The folder (``model.safetensors``, ``config.json``, ``README.md``) holds no pickle, so
whoever receives it loads it with :func:`vscrowd.models.from_pretrained` without
running code from it.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Any, Literal

from .._files import require_regular_file
from .._version import __version__
from ..errors import CheckpointError
from ..models.pretrained import save_pretrained
from ..models.state import load_state_strict
from .building import build_model_from_config, model_options
from .checkpoint import load_checkpoint
from .config import TrainConfig

__all__ = ["export_model", "find_checkpoint"]

# The paper's GNANet row of Table II (VSCrowd test, mAP / mAR), quoted as printed.
_PAPER_GNANET = {5: (0.480, 0.641), 20: (0.747, 0.867), 40: (0.782, 0.890)}


def find_checkpoint(path: str | Path) -> Path:
    """``path`` itself if it is a file; in a run folder ``best.pt`` (written at each
    validation that improves mAP@σ=20), else ``last.pt`` (written at every epoch end,
    at ``--checkpoint-every`` steps, at the step budget and on Ctrl-C).

    Raises:
        CheckpointError: Nothing to load at ``path``.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        return require_regular_file(path, CheckpointError, "checkpoint")
    if path.is_dir():
        for name in ("best.pt", "last.pt"):
            if (path / name).is_file():
                return path / name
        raise CheckpointError(f"no checkpoint in run folder {path} (expected best.pt or "
                              "last.pt)")
    raise CheckpointError(f"no checkpoint at {path}")


def _validation(history: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The latest validated epoch's metrics in ``history`` (None if never validated)."""
    rows = [r for r in history if isinstance(r, dict) and "mAP@20" in r]
    return dict(rows[-1]) if rows else None


def export_model(source: str | Path, out: str | Path,
                 dtype: Literal["fp32", "bf16"] = "fp32") -> Path:
    """Write the model of a checkpoint (or a run folder's best/last) to ``out``.

    ``config.json`` records the registered model name and options, the vscrowd version,
    the training data, splits and preset, the resolved training config and the
    validation metrics of the exported checkpoint; ``README.md`` is a model card.
    """
    ckpt_path = find_checkpoint(source)
    ckpt = load_checkpoint(ckpt_path)
    cfg = TrainConfig.from_dict(ckpt["config"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # weights come from the checkpoint
        model = build_model_from_config(cfg.override(**{"model.backbone_weights": None}))
    load_state_strict(model, ckpt["model"], ckpt_path)
    validation = _validation(ckpt.get("history") or [])
    training = {"data_root": cfg.data.root, "train_split": cfg.data.train_split,
                "val_split": cfg.data.val_split, "checkpoint": ckpt_path.name,
                "steps": ckpt.get("step"), "epochs": ckpt.get("epoch"),
                "preset": getattr(cfg, "preset", None),
                "selected_by": ("highest mAP@σ=20 on the validation split"
                                if ckpt_path.name == "best.pt" else "final weights")}
    extra = {"training": training, "validation": validation, "train_config": cfg.to_dict()}
    card = _model_card(cfg, training, validation, dtype)
    # The GNA backend is where the model runs, not what it is: the loader picks its own.
    options = {k: v for k, v in model_options(cfg).items() if k != "backend"}
    return save_pretrained(model, out, name=cfg.model.name, options=options,
                           extra=extra, card=card, dtype=dtype)


def _md(value: Any) -> str:
    """``value`` as text safe inside a markdown line: control characters (a newline
    would start a heading or a list) become spaces, markdown punctuation is escaped
    and backticks cannot close a code span.

    >>> print(_md("data\\n# injected `x`"))
    data \\# injected \\`x\\`
    """
    text = re.sub(r"[\x00-\x1f\x7f\u2028\u2029]", " ", str(value))
    return re.sub(r"([\\`*_{}\[\]()<>#+!|~-])", r"\\\1", text)


def _model_card(cfg: TrainConfig, training: dict[str, Any], validation: dict[str, Any] | None,
                dtype: str) -> str:
    lines = [
        f"# {_md(cfg.model.name)} (vscrowd {__version__})", "",
        f"A {_md(cfg.model.name)} crowd-localization model exported by `vscrowd export` "
        f"(weights in {dtype}, safetensors).", "",
        "```python", "from vscrowd.models import from_pretrained",
        "model = from_pretrained(\"PATH_OR_REPO_ID\")", "```", "",
        "## Training", "",
        f"- data: {_md(training['data_root'])}, split {_md(training['train_split'])}",
        f"- checkpoint: {_md(training['checkpoint'])} after {_md(training['steps'])} steps "
        f"({_md(training['epochs'])} epochs); selected by: {training['selected_by']}",
        f"- preset: {_md(training['preset'])}; width {_md(cfg.model.width)}, clip length "
        f"{_md(cfg.clip_length)}", "",
        "## Results", "",
        "| σ | mAP (this model) | mAR (this model) | mAP (paper, GNANet) | mAR (paper) |",
        "|---|---|---|---|---|",
    ]
    for sigma, (p_map, p_mar) in _PAPER_GNANET.items():
        mine = [validation.get(f"{k}@{sigma}") if validation else None for k in ("mAP", "mAR")]
        cells = ["n/a" if v is None else f"{v:.3f}" for v in mine]
        lines.append(f"| {sigma} | {cells[0]} | {cells[1]} | {p_map:.3f} | {p_mar:.3f} |")
    where = (f"on split {_md(training['val_split'])} at epoch "
             f"{_md(validation.get('epoch'))}"
             if validation else "not validated")
    lines += ["", f"This model's numbers: {where}. The paper's: Table II, VSCrowd test set "
              "(Li et al., TIP 2022). Numbers on synthetic data are not comparable to the "
              "paper's.", ""]
    return "\n".join(lines + _post_card(cfg))


def _post_card(cfg: TrainConfig) -> list[str]:
    """How the probability map becomes points and counts, and how that was chosen."""
    p = cfg.post
    chosen = p.chosen_on or ("not chosen: the default (the run had no validation set)")
    return [
        "## Post-processing", "",
        "Peaks are local maxima of the probability map, thresholded on their own "
        f"probability, with non-maximum suppression at {p.nms_radius:g} output pixels "
        "(`vscrowd.models.find_peaks`).", "",
        f"- score floor: {p.score_floor:g} (fixed low: predictions keep low-score points "
        "so that σ-AP sees the whole precision-recall curve)",
        f"- count threshold: {p.count_threshold:g} (points counted for MAE/RMSE)",
        f"- NMS radius and count threshold chosen by: {chosen}", "",
        "Both are stored in `config.json` (`train_config.post`); `vscrowd predict "
        "--score-floor/--threshold` override them.", ""]

