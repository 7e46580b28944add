"""The evaluator's tuning constants, in one place, each with the measurement that chose
it. None of them changes a number the evaluator prints: they decide how the work is cut
up and how many threads share it (the tests run every path; benchmarks/eval_speed.py
prints the times).

Measured with ``python benchmarks/eval_speed.py`` on the 2-core AMD EPYC machine (the
test-split-shaped workload: 13,600 frames, σ = 5/20/40 + counting, and 10x of it).
"""

from __future__ import annotations

__all__ = ["BACKGROUND_SORT", "BLOCK_POINTS", "CURVE_CHUNK", "DEFAULT_THREADS",
           "DENSE_CELLS", "JSON_CHUNK", "PAIR_BLOCK"]

#: Threads of one evaluation (``evaluate(threads=...)``, ``vscrowd eval --threads``).
#: NumPy's sorts, gathers and sums release the GIL, so on 2 cores two threads overlap
#: the block-wise matching, the pooled score sort and the PR curves; the figures of
#: docs/metrics.md "Speed" were measured with 2, and ``benchmarks/eval_speed.py`` prints
#: the ``threads=1`` time beside the default's. 1 runs everything on the calling thread
#: (no pool is created).
DEFAULT_THREADS = 2

#: Points (predictions + ground truth) per block of whole frames in the σ matching: a
#: block's arrays stay in cache, so the time grows linearly with the split size (the
#: 10x workload took 10.2x the 1x time with 2^17, 13x with one block).
BLOCK_POINTS = 1 << 17

#: Predictions from which the pooled score sort runs beside the matching (below it, one
#: sort gives the in-frame ranks and the pooled order together, which is cheaper).
BACKGROUND_SORT = 1 << 17

#: Predictions per chunk of a long PR curve: its arrays stay in the caches.
CURVE_CHUNK = 1 << 16

#: The grid search's cell-start table is used up to this many cells (16 MB; a block of
#: the σ matching needs about 2M cells), and up to 8 cells per point; binary search
#: beyond (~40% slower per block).
DENSE_CELLS = 1 << 22

#: Records per chunk when the fast JSON path decodes points (the garbage collector is
#: paused meanwhile; 2048 keeps the chunk's tuples in cache).
JSON_CHUNK = 2048

#: Candidates per block of the grid search's distance test (candidates.candidate_pairs):
#: measured on benchmarks/dense_eval_speed.py's 100 px search (14 M candidates).
PAIR_BLOCK = 1 << 16
