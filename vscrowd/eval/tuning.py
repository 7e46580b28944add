"""The evaluator's tuning constants, in one place, each with the measurement that chose
it. None of them changes a number the evaluator prints: they decide how the work is cut
up and how many threads share it (the tests run every path; benchmarks/eval_speed.py
prints the times).

Measured with ``python benchmarks/eval_speed.py`` on the 2-core AMD EPYC machine (the
test-split-shaped workload: 13,600 frames, σ = 5/20/40 + counting, and 10x of it).
"""

from __future__ import annotations

__all__ = ["BACKGROUND_SORT", "BLOCK_POINTS", "CELL_SPLIT", "CURVE_CHUNK", "DEFAULT_THREADS",
           "DENSE_CELLS", "JSON_CHUNK", "PAIR_BLOCK"]

#: Threads of one evaluation (``evaluate(threads=...)``, ``vscrowd eval --threads``).
#: NumPy's sorts, gathers and sums release the GIL, so on 2 cores two threads overlap
#: the block-wise matching, the pooled score sort and the PR curves; the figures of
#: docs/metrics.md "Speed" were measured with 2, and ``benchmarks/eval_speed.py`` prints
#: the ``threads=1`` time beside the default's. 1 runs everything on the calling thread
#: (no pool is created).
DEFAULT_THREADS = 2

#: Points (predictions + ground truth) per block of whole frames in the σ matching, the
#: distance AP and the Idrees curve (Context.frame_blocks): a block's arrays stay in
#: cache, so the time grows linearly with the split size (the 10x workload took 10.2x
#: the 1x time with 2^17, 13x with one block); at NWPU density (dense_eval_speed.py) the
#: Idrees curve took 1.2-1.9 s in 4 blocks, 1.9-2.8 s in 2 and 2.0-2.4 s in one.
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
#: on benchmarks/dense_eval_speed.py's 100 px search (14 M candidates, 5.3 M pairs),
#: 4 runs each on the idle 2-core machine, 2026-12-03: 2^14 0.28-0.87 s, 2^16 0.22-0.29 s,
#: 2^18 0.29-0.31 s, 2^20 0.30-0.67 s; all at once (before) 0.44 s warm, 3.5 s on fresh
#: memory (each 100 MB temporary faulted in).
PAIR_BLOCK = 1 << 16

#: Grid cells per search radius in the candidate search (k): a prediction's candidates
#: are the (2k + 1)^2 cells around it, an area of ((2k + 1) / k)^2 r^2 -- 9 r^2 at k = 1,
#: 6.25 r^2 at k = 2 -- for a disc of 3.14 r^2. On dense_eval_speed.py's 100 px search
#: in its 4 blocks (5.3 M pairs), 3 runs each on the 2-core machine, 2026-12-03:
#: k = 1 0.44-0.91 s, k = 2 0.37-0.76 s, k = 3 0.33-0.41 s; at 47 px (1.3 M) all 0.09-0.12.
CELL_SPLIT = 2
