"""A 100,000-segment document goes through ingest, export and the review interface within memory."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import ROOT

pytestmark = pytest.mark.slow
MEMORY_BUDGET_MB = 2048


def test_a_hundred_thousand_segments(tmp_path):
    out = tmp_path / "large.json"
    run = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_large.py"), "--segments", "100000",
         "--json", str(out)],
        capture_output=True, text=True, timeout=900, env={**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"},
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    figures = json.loads(out.read_text())
    assert figures["segments"] == 100_000 and figures["tmx_units"] == 100_000
    assert set(figures["page_s"]) == {"1", "500", "1000"}  # first, middle and last page through the API
    assert figures["peak_rss_mb"] < MEMORY_BUDGET_MB
    print(f"\n100,000 segments: {figures}")
