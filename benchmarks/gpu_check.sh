#!/usr/bin/env bash
# The engine harness on a CUDA machine, in under 5 minutes: half precision for torch, int8_float16 for
# CTranslate2, large length-sorted batches. Prints the table and writes gpu_check.json.
#     bash benchmarks/gpu_check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
python - <<'PY'
import torch
assert torch.cuda.is_available(), "no CUDA device: this check is for a GPU machine"
print(torch.cuda.get_device_name(0))
PY
timeout 290 python benchmarks/bench_mt_engines.py --device cuda --sentences 512 --tokens 40 \
    --batches 32,128 --threads 1 --repeat 1 --json gpu_check.json
