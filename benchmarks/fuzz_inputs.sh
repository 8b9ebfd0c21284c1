#!/usr/bin/env bash
# A long fuzz run of every input reader (ingest, glossaries, TMX, XLIFF, model map): fresh random
# inputs each time. EXAMPLES per reader (default 5000).
#     bash benchmarks/fuzz_inputs.sh [EXAMPLES]
set -euo pipefail
cd "$(dirname "$0")/.."
WORKBENCH_FUZZ_EXAMPLES="${1:-5000}" python -m pytest -q tests/test_fuzz.py -p no:cacheprovider
