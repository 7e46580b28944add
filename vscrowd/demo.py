"""``make demo``: the whole story on the embedded synthetic data."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ._optional import installed
from .datasets.vscrowd import VSCrowd
from .eval import evaluate, write_predictions
from .eval.results import format_tracking
from .methods.baselines import background_blobs
from .methods.tracker import track_points
from .synth.generator import synthesize
from .viz import stats
from .viz.show import write_overlay

__all__ = ["run_demo"]


def run_demo(out: str | Path, echo: Callable[[str], None] = print, steps: int = 400) -> dict:
    """Synthesize -> stats -> predict -> evaluate -> overlay, echoing each step."""
    out = Path(out)
    data = out / "data"
    echo(f"== 1. synthesize a VSCrowd look-alike -> {data}")
    synthesize(data, videos=6, frames=12, size=(480, 270), seed=0, overwrite=True)
    ds = VSCrowd(data)
    echo(repr(ds))
    echo("\n== 2. dataset summary (paper's Table I)")
    echo(stats.format_table(stats.summary(ds)))
    test = ds.select(split="test")
    results = {}
    echo("\n== 3. training-free baseline (background subtraction + blob peaks) on test")
    preds = background_blobs(test)
    write_predictions(preds, out / "preds_background.json")
    res = evaluate(ds, preds, split="test")
    echo(str(res))
    results["background"] = res
    shown, name = preds, "preds_background.json"
    if installed("torch"):
        from .train.demo import train_demo

        results["gnanet-demo"], shown = train_demo(ds, out, echo, steps=steps)
        name = "preds_gnanet.json"
    else:
        echo("\n(torch not installed: skipping training; pip install 'vscrowd[torch]')")
    echo("\n== 6. link the predictions into tracks (baseline tracker) and score them as "
         "tracks: tracking (HOTA/MOTA/IDF1) and video individual counting")
    tracks = track_points(shown, test)
    write_predictions(tracks, out / "tracks.json")
    res = evaluate(ds, tracks, split="test", metrics=["track"])
    echo("\n".join(format_tracking(res.tracking, res.video_counting)).strip("\n"))
    results["tracks"] = res
    video = test.videos["video"].iloc[0]
    frame = next(test.iter_frames(video)).frame
    ov = write_overlay(ds, video, frame, out / "overlay.png", shown, sigma=20)
    echo(f"\n== overlay of {video}/{frame} ({name}): TP {ov.tp}, FP {ov.fp}, "
         f"missed {ov.missed} -> {out / 'overlay.png'}")
    return results
