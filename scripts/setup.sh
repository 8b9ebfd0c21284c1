#!/usr/bin/env bash
# A fresh machine ready to run workbench and its tests: the README's first command and .ci/run call it.
#
# - Debian packages, when run as root where apt-get exists: Chromium and a CJK font for the browser
#   tests of the review interface (they fail, not skip, without /usr/bin/chromium), and OmegaT, the
#   CAT tool CI has load the exported TMX. Elsewhere it says what to install and goes on.
# - A virtual environment in .venv: PyTorch first (so that nothing later pulls another build of it;
#   TORCH_INDEX=https://download.pytorch.org/whl/cpu picks the CPU build where the package index
#   would serve the CUDA one), then workbench in editable mode with the development extras (pytest,
#   ruff, Playwright, Ray, CTranslate2, translate-toolkit, hypothesis).
#
# Running it again is safe: apt and pip skip what is there.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(chromium fonts-wqy-microhei omegat)
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${PACKAGES[@]}" >/dev/null
elif [ ! -x /usr/bin/chromium ]; then
    echo "setup: not root (or no apt-get): install ${PACKAGES[*]} for the browser tests and CI" >&2
fi

python3 -m venv .venv
. .venv/bin/activate
pip install --quiet --upgrade pip
pip install --quiet torch==2.13.0 ${TORCH_INDEX:+--index-url "$TORCH_INDEX"}
pip install --quiet -e '.[dev]'
echo "setup: done; activate with '. .venv/bin/activate'" >&2
