"""Ray executor throughput with one and two workers on the same job (a local Ray instance).

Three speeches (the seed and two copies with numbered sentences) into five languages on tiny random
models, beam 2; each run into a fresh store. Prints segments/s per worker count and the speed-up.

    python benchmarks/bench_ray.py
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from conftest import EXAMPLE, training_sentences  # noqa: E402

from workbench import ingest  # noqa: E402
from workbench.distributed import ray_executor  # noqa: E402
from workbench.mt.registry import ModelMap, ModelSpec  # noqa: E402
from workbench.mt.synthetic import build_marian  # noqa: E402
from workbench.store import Store  # noqa: E402
from workbench.translate import Options, run_job  # noqa: E402


def main() -> None:
    import ray

    work = Path(tempfile.mkdtemp(prefix="bench-ray-"))
    model = build_marian(work / "en-x", training_sentences(), d_model=128, layers=3, heads=4, ffn=512,
                         target_tokens=[">>ara<<", ">>cmn_Hans<<"])  # fmt: skip
    tokens = {"zh": ">>cmn_Hans<<", "ar": ">>ara<<"}
    pairs = {
        ("en", t): ModelSpec(str(model), "marian", tokens.get(t)) for t in ("fr", "es", "ru", "zh", "ar")
    }
    model_map = ModelMap(pairs, use_defaults=False)
    lines = [p for p in EXAMPLE.read_text(encoding="utf-8").split("\n\n") if p.strip()]
    files = []
    for n in range(3):
        path = work / f"speech{n}.en.txt"
        path.write_text("\n\n".join(f"{line.strip()} ({n})" for line in lines), encoding="utf-8")
        files.append(path)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    rates = {}
    for workers in (1, 2):
        with Store(work / f"w{workers}.db") as store:
            ids = [ingest.ingest_file(store, f, "en").id for f in files]
            options = Options(beam=2, max_length=24, batch_size=8, threads=1)
            start = time.perf_counter()
            with ray_executor(options, workers=workers) as execute:
                stats = run_job(store, ids, ["fr", "es", "ru", "zh", "ar"], model_map, options, execute)
            seconds = time.perf_counter() - start
        done = sum(s.from_mt for s in stats)
        rates[workers] = done / seconds
        print(f"{workers} worker(s): {done} segments in {seconds:.1f} s, {rates[workers]:.1f} segments/s")
    ray.shutdown()
    print(f"speed-up with 2 workers: {rates[2] / rates[1]:.2f}× (a 2-core machine)")


if __name__ == "__main__":
    main()
