"""Shared fixtures: paths to the bundled example and to ../shared reference data."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
EXAMPLE = ROOT / "examples" / "unoct-2019-09-26.en.txt"


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "store" / "workbench.db"


def shared(*parts: str) -> Path:
    """A file of ../shared; its absence is a broken checkout, so fail loudly rather than skip."""
    path = SHARED.joinpath(*parts)
    assert path.exists(), f"reference data missing: {path} (clone with ../shared beside it)"
    return path
