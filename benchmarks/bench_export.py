"""TMX export speed: 10,000 segments in six languages, against a bare lxml writer of the same data.

The store is filled directly (one transaction) with one document of N segments, each translated into
the five other languages and approved. The workbench export (store queries, flags, comments, XML
1.0 clean-up, the TMX tree, writing) is timed against a baseline that writes the same units with lxml
from lists already in memory, in the same process.

    python benchmarks/bench_export.py [--segments 10000] [--pairs]

Prints both times, their ratio and whether the target (under 5 s) is met.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
import time
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from workbench import tmx  # noqa: E402
from workbench.model import Document, Paragraph, Segment  # noqa: E402
from workbench.store import Store, now  # noqa: E402

TARGETS = ("ar", "zh", "fr", "ru", "es")
SAMPLE = {
    "en": "The Conference underscored the need to enhance cooperation in practical and operational areas.",
    "ar": "وشدد المؤتمر على ضرورة تعزيز التعاون في المجالات العملية والتشغيلية.",
    "zh": "会议强调需要在实际和业务领域加强合作。",
    "fr": "La Conférence a souligné la nécessité de renforcer la coopération dans les domaines pratiques.",
    "ru": "Конференция подчеркнула необходимость укрепления сотрудничества в практических областях.",
    "es": "La Conferencia subrayó la necesidad de mejorar la cooperación en las esferas prácticas.",
}


def fill(store: Store, count: int) -> int:
    text = "\n\n".join(f"{SAMPLE['en']} ({i})" for i in range(count))
    paragraphs, offset = [], 0
    for i in range(count):
        sentence = f"{SAMPLE['en']} ({i})"
        segment = Segment(i, i, offset, offset + len(sentence), sentence, offset, offset + len(sentence))
        paragraphs.append(
            Paragraph(i, offset, offset + len(sentence), offset, offset + len(sentence), [segment])
        )
        offset += len(sentence) + 2
    doc_id = store.add_document(
        Document("bench.txt", "en", text, paragraphs, hashlib.sha256(text.encode()).hexdigest())
    )
    stamp = now()
    with store.transaction() as db:
        ids = [
            r[0] for r in db.execute("SELECT id FROM segments WHERE document_id = ? ORDER BY idx", (doc_id,))
        ]
        db.executemany(
            "INSERT INTO translations (segment_id, lang, text, origin, status, engine, version, updated_by,"
            " updated_at) VALUES (?, ?, ?, 'mt', 'approved', 'bench', 1, 'reviewer', ?)",
            [(sid, lang, f"{SAMPLE[lang]} ({i})", stamp) for i, sid in enumerate(ids) for lang in TARGETS],
        )
    return doc_id


def baseline(count: int, out: Path) -> None:
    """The least a TMX writer must do: the same units, from memory, with lxml."""
    root = etree.Element("tmx", {"version": "1.4"})
    etree.SubElement(root, "header", {a: "x" for a in tmx.REQUIRED_HEADER})
    body = etree.SubElement(root, "body")
    lang_attr = "{http://www.w3.org/XML/1998/namespace}lang"
    for i in range(count):
        tu = etree.SubElement(body, "tu")
        for lang in ("en", *TARGETS):
            tuv = etree.SubElement(tu, "tuv", {lang_attr: lang})
            etree.SubElement(tuv, "seg").text = f"{SAMPLE[lang]} ({i})"
    etree.ElementTree(root).write(str(out), xml_declaration=True, encoding="UTF-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segments", type=int, default=10_000)
    parser.add_argument("--pairs", action="store_true", help="also time the five per-pair files")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-export-"))
    with Store(work / "bench.db") as store:
        doc_id = fill(store, args.segments)
        start = time.perf_counter()
        baseline(args.segments, work / "baseline.tmx")
        base = time.perf_counter() - start
        start = time.perf_counter()
        paths, warnings, units = tmx.export(
            store, [doc_id], work / "out.tmx", status="approved", pairs=args.pairs
        )
        ours = time.perf_counter() - start
    assert units == args.segments and not warnings
    print(f"baseline lxml writer      {base:6.2f} s")
    print(f"workbench export          {ours:6.2f} s   ({len(paths)} file(s), {units} units × 6 languages)")
    print(f"ratio workbench / baseline: {ours / base:.2f}")
    print(f"target under 5 s: {'met' if ours < 5 else 'NOT met'}")


if __name__ == "__main__":
    main()
