#!/usr/bin/env bash
# One prepared device run for the GPU figures and checks of docs/model.md ("Figures"):
# the compiled Triton GNA kernel's tests (no interpreter), the CUDA resume tests, and the
# GNANet benchmark per backend with the end-to-end training figure, and the sweep of the
# kernel's launch configurations (benchmarks/gna_kernel_sweep.py). Everything it prints
# is also written under ${OUT:-gpu-out}. Needs a CUDA build of torch with triton (CUDA
# builds bring it) and vscrowd installed (pip install -e '.[torch,dev]').
# Run: OUT=/path bash benchmarks/gpu_check.sh   (about 10 minutes on one H100/H200)
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-gpu-out}
mkdir -p "$OUT"
PY=${PYTHON:-python}
unset TRITON_INTERPRET  # the compiled kernel, not the CPU interpreter
{
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
  $PY -c "import torch, triton; print('torch', torch.__version__, 'cuda', torch.version.cuda, 'triton', triton.__version__)"
} 2>&1 | tee "$OUT/device.txt"
timeout 300 $PY -m pytest -q -p no:cacheprovider tests/models/test_gna_triton.py \
  tests/models/test_gna_numerics.py tests/models/test_gna_chunks.py \
  tests/train/test_trainer.py 2>&1 | tee "$OUT/tests.txt"
# The kernel's launch configurations (block size, warps, stages): pick the default.
timeout 600 $PY benchmarks/gna_kernel_sweep.py 2>&1 | tee "$OUT/gna_kernel_sweep.txt"
timeout 900 $PY benchmarks/gnanet_speed.py --device cuda --e2e 2>&1 | tee "$OUT/gnanet_speed.txt"
