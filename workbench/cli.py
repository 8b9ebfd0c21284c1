"""The ``workbench`` command: a thin shell over the library (no logic of its own).

Exit codes: 0 success, 1 partial failure (a job finished with some segments failed), 2 bad input or
usage (the one-line message says what to do), 130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from . import __version__, ingest, langs
from .errors import InputError, UsageError, WorkbenchError
from .mt.base import BACKENDS
from .mt.registry import ModelMapError
from .segment import Segmenter
from .store import DEFAULT_PATH, Store

EXIT_OK, EXIT_PARTIAL, EXIT_BAD_INPUT = 0, 1, 2

MARKS = {"present": "✓", "forced": "⚠", "missing": "✗", "suggested": "?", "forbidden": "✗"}


def _lang(value: str) -> str:
    try:
        return langs.normalize(value)
    except langs.UnknownLanguageError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def cmd_ingest(args: argparse.Namespace) -> int:
    document = ingest.load(args.file, args.lang)  # read fully before the store is opened
    with Store(args.store) as store:
        created = ingest.store_document(store, document)
    if not created:
        print(f"{document.id}\talready stored\t{document.name}\t{document.lang}")
        return EXIT_OK
    print(
        f"{document.id}\t{document.name}\t{document.lang}\t{len(document.paragraphs)} paragraphs"
        f"\t{len(document.segments)} segments"
    )
    return EXIT_OK


def cmd_segment(args: argparse.Namespace) -> int:
    if args.file:
        raw = ingest.read_text(args.file)
        name, markdown = str(args.file), Path(args.file).suffix.lower() == ".md"
    else:
        raw = ingest.prepare_text(ingest.decode(sys.stdin.buffer.read(), "<stdin>"))
        name, markdown = "<stdin>", False
    document = ingest.build_document(raw, name=name, lang=args.lang, markdown=markdown, origin=name)
    out = sys.stdout
    segmenter = Segmenter(document.lang) if args.explain else None
    for number, paragraph in enumerate(document.paragraphs):
        if number:
            out.write("\n")
        for segment in paragraph.segments:
            out.write(segment.text + "\n")
        if segmenter:
            text = document.text[paragraph.start : paragraph.end]
            for decision in segmenter.explain(text)[1]:
                verdict = "split" if decision.split else "keep "
                out.write(f"  {verdict} ¶{number + 1} @{decision.position}  {decision.context(text)}\n")
                out.write(f"        by {decision.rule}  {decision.pattern}\n")
    return EXIT_OK


def cmd_show(args: argparse.Namespace) -> int:
    with Store(args.store, create=False) as store:
        document = store.document(args.doc)
        by_segment: dict[int, list] = {}
        flags: dict[tuple[int, str], list] = {}
        for t in store.translations(document.id, args.lang):  # type: ignore[arg-type]
            by_segment.setdefault(t.segment_id, []).append(t)
            flags[(t.segment_id, t.lang)] = store.flags(t.id)  # type: ignore[arg-type]
    print(
        f"document {document.id}: {document.name} ({document.lang}), "
        f"{len(document.paragraphs)} paragraphs, {len(document.segments)} segments"
    )
    for segment in document.segments:
        print(f"[{segment.index}] ¶{segment.paragraph} {segment.text}")
        for t in by_segment.get(segment.id, []):  # type: ignore[arg-type]
            print(f"    {t.lang} [{t.status.value}, {t.origin.value}, v{t.version}] {t.text}")
            for flag in flags[(t.segment_id, t.lang)]:
                if flag.severity != "info":
                    print(f"        {MARKS.get(flag.mark or '', '!')} {flag.code}: {flag.message}")
    return EXIT_OK


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (with a pointer to --help) and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _model_map(args: argparse.Namespace):
    from .mt import registry

    if not args.model_map:
        return registry.default_map(args.engine)
    model_map = registry.load_map(args.model_map, args.engine)
    if args.engine in registry.MULTILINGUAL_DEFAULTS:  # say which wins rather than ignore either
        engine = f"--engine {args.engine}"
        mine = model_map.multilingual
        if mine and mine.model != registry.MULTILINGUAL_DEFAULTS[args.engine]:
            wins = f"its [multilingual] {mine.model} serves the others; {engine} is unused"
        else:
            wins = f"{engine} serves the others"
        if model_map.pairs or wins.endswith("unused"):
            pairs = ", ".join(f"{s}-{t}" for s, t in model_map.pairs) or "none"
            print(
                f"workbench: note: the model map {args.model_map} wins over {engine} for the pairs it "
                f"lists ({pairs}); {wins}",
                file=sys.stderr,
            )
    return model_map


def _documents(store: Store, refs: list[str], lang: str | None) -> list[int]:
    """Stored document ids for FILE_OR_DOC arguments, ingesting files not stored yet."""
    ids = []
    for ref in refs:
        path = Path(ref)
        if path.is_file() or path.suffix.lower() in ingest.SUPPORTED:
            ids.append(ingest.ingest_file(store, path, lang).id)
        else:
            ids.append(store.resolve_document(ref))
    return ids


def _terminology(args: argparse.Namespace):
    """The glossaries the command line names (plus the shipped ones unless --no-default-glossaries)."""
    from .glossary import Policy, load_all
    from .termmatch import Terminology

    try:
        policy = Policy.named(args.enforce)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    return Terminology(load_all(args.glossary, defaults=not args.no_default_glossaries), policy)


def cmd_translate(args: argparse.Namespace) -> int:
    import logging
    import time

    from tqdm import tqdm

    from .translate import Options, check_routes, run_job, translate_documents

    targets = langs.parse_list(args.to)
    if not targets:
        raise UsageError("--to names no language")
    model_map = _model_map(args)
    terminology = _terminology(args)
    options = Options(
        beam=args.beam,
        batch_size=args.batch_size,
        max_length=args.max_length,
        device=args.device,
        threads=args.threads,
        cache_dir=args.cache_dir,
        force=args.force,
        keep_models=args.keep_models,
        backend=args.backend,
        compute_type=args.compute_type,
    )
    log_path = args.log or args.store.parent / "logs" / time.strftime("translate-%Y%m%d-%H%M%S.log")
    log_path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(log_path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logger = logging.getLogger("workbench")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    bars: list = []

    def progress(label: str, total: int):
        if args.quiet:
            return lambda n: None
        if sys.stderr.isatty():
            bar = tqdm(total=total, desc=label, unit="seg", file=sys.stderr, leave=True)
        else:  # a file or a pipe: progress bars would print nothing readable until the end
            bar = _ProgressLines(label, total)
        bars.append(bar)
        return bar.update

    from .mt import hub

    with Store(args.store) as store:
        doc_ids = _documents(store, args.inputs, args.lang)
        steps = check_routes(store, doc_ids, targets, model_map)  # a missing model fails before any work
        try:
            # each Hub model's commit fixed for the job (fetched first if need be): the job log and
            # every translation record it
            hub.pin(
                model_map, steps, args.cache_dir, announce=lambda m: print(f"workbench: {m}", file=sys.stderr)
            )
            if args.executor == "ray":
                from .distributed import ray_executor

                cluster = {
                    "address": args.address,
                    "workers": args.workers,
                    "gpus_per_worker": args.gpus_per_worker,
                }
                with ray_executor(options, **cluster) as execute:
                    stats = run_job(
                        store, doc_ids, targets, model_map, options, execute, progress, terminology
                    )
            else:
                stats = translate_documents(
                    store, doc_ids, targets, model_map, options, progress, terminology=terminology
                )
        finally:
            for bar in bars:
                bar.close()
            logger.removeHandler(handler)
    columns = ("segments", "done", "TM", "MT", "failed", "other", "seconds", "tok/s", "first")
    print(f"{'lang':5} " + " ".join(f"{c:>8}" for c in columns))
    for st in stats:
        first = f"{st.first_segment_s:8.1f}" if st.first_segment_s is not None else f"{'-':>8}"
        print(
            f"{st.lang:5} {st.segments:8} {st.done_before:8} {st.from_tm:8} {st.from_mt:8} "
            f"{st.failed:8} {st.elsewhere:8} {st.seconds:8.1f} {st.tokens_per_s:8.1f} {first}"
        )
    total = sum(st.seconds for st in stats)
    first_s = next((st.first_segment_s for st in stats if st.first_segment_s is not None), None)
    first_text = (
        "nothing to translate" if first_s is None else f"first translated segment after {first_s:.1f} s"
    )
    print(f"total {total:.1f} s; {first_text}", file=sys.stderr)
    print(f"log: {log_path}", file=sys.stderr)
    return EXIT_PARTIAL if any(st.failed for st in stats) else EXIT_OK


class _ProgressLines:
    """Progress as plain lines, for a standard error that is a file or a pipe: one at the start,
    then at most one every ``every`` seconds, and one at the end."""

    def __init__(self, label: str, total: int, every: float = 10.0):
        import time

        self.label, self.total, self.done, self.every = label, total, 0, every
        self._clock = time.monotonic
        self._last = self._clock()
        if total:  # a document already translated has nothing to report
            self._print()

    def _print(self) -> None:
        print(f"workbench: {self.label}: {self.done}/{self.total} segments", file=sys.stderr, flush=True)

    def update(self, n: int) -> None:
        self.done += n
        if self.done >= self.total or self._clock() - self._last >= self.every:
            self._last = self._clock()
            self._print()

    def close(self) -> None:
        pass


def _ready(spec, cache_dir: str | None, backend: str) -> bool:
    """Weights and tokenizer in the cache (and with ctranslate2, the converted model too)."""
    from .mt import hub
    from .mt.registry import cached

    if not cached(spec, cache_dir):
        return False
    if backend != "ctranslate2":
        return True
    from .mt.fast import conversion_path

    found = hub.ready(spec, cache_dir)
    folder = found.folder if found else Path(spec.model).expanduser()
    return (conversion_path(str(folder), "int8", cache_dir) / "model.bin").exists()


def cmd_models_list(args: argparse.Namespace) -> int:
    model_map = _model_map(args)
    print(f"# model map: {model_map.source}")
    for src in langs.CODES:
        for tgt in langs.CODES:
            if src == tgt:
                continue
            try:
                steps = model_map.route(src, tgt)
            except ModelMapError:
                print(f"{src}-{tgt}	(no model)")
                continue
            route = " + ".join(
                f"{s.spec.model}{' ' + s.spec.target_token if s.spec.target_token else ''}"
                f" [{'cached' if _ready(s.spec, args.cache_dir, args.backend) else 'not cached'}]"
                for s in steps
            )
            print(f"{src}-{tgt}	{'pivot: ' if len(steps) > 1 else ''}{route}")
    return EXIT_OK


def cmd_models_pull(args: argparse.Namespace) -> int:
    """Per model: the pairs it serves, the commit, what was fetched, how large, and where it is."""
    from .mt import hub

    model_map = _model_map(args)
    pairs = args.pairs or [f"{s}-{t}" for s in langs.CODES for t in langs.CODES if s != t]
    specs: dict = {}
    for pair in pairs:
        src, _, tgt = pair.partition("-")
        for step in model_map.route(src, tgt):
            specs.setdefault(step.spec, []).append(f"{step.src}-{step.tgt}")
    if any(hub.is_hub_id(s.model) for s in specs):
        if hub.offline():
            raise UsageError("HF_HUB_OFFLINE is set: 'models pull' needs network (unset it)")
        if not hub.reachable():
            raise UsageError(
                f"the Hugging Face Hub ({hub.endpoint()}) cannot be reached: 'models pull' needs network"
            )
    for spec, served in specs.items():
        if not hub.is_hub_id(spec.model):
            folder, what = Path(spec.model).expanduser(), "local folder"
        else:
            found = hub.fetch(
                spec, args.cache_dir, announce=lambda m: print(f"workbench: {m}", file=sys.stderr)
            )
            folder = found.folder
            what = f"{found.label}\t{found.weights} + tokenizer and configs, {hub.size_text(found.fetched)}"
        if args.backend == "ctranslate2":
            from .mt.fast import converted

            converted(str(folder), "int8", args.cache_dir)
        print(f"{','.join(dict.fromkeys(served))}\t{what}\t{folder}")
    return EXIT_OK


def cmd_models_smoke(args: argparse.Namespace) -> int:
    from .mt import hub
    from .mt.synthetic import build_smoke

    folder = hub.base_dir(args.cache_dir) / "workbench" / "smoke"
    model_map = build_smoke(folder)
    print(model_map)
    print(
        "workbench: tiny models with RANDOM weights: their translations are gibberish. Only the pipeline,\n"
        "the enforced glossary terms and the interface are real. Try:\n"
        f"  workbench translate examples/unoct-2019-09-26.en.txt --to all --model-map {model_map}",
        file=sys.stderr,
    )
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    from .review import recheck

    terminology = _terminology(args)
    with Store(args.store, create=False) as store:
        document = store.document(args.doc)
        targets = [args.lang] if args.lang else sorted({t.lang for t in store.translations(document.id)})  # type: ignore[arg-type]
        counts: dict[str, int] = {}
        for lang in targets:
            for (code, mark), n in recheck(store, document.id, lang, terminology).items():  # type: ignore[arg-type]
                counts[f"{lang} {code} {mark}"] = n
    for key in sorted(counts):
        print(f"{key}\t{counts[key]}")
    return EXIT_OK


def cmd_glossary_list(args: argparse.Namespace) -> int:
    terminology = _terminology(args)
    shown = [args.lang] if args.lang else list(langs.CODES)
    for glossary in terminology.glossaries:
        print(f"# {glossary.name}: {len(glossary.concepts)} concepts ({glossary.path})")
        for concept in glossary.concepts:
            cells = []
            for lang in shown:
                entry = concept.entries.get(lang)
                if entry and not (args.suggested and terminology.policy.enforced(entry)):
                    rule = "enforced" if terminology.policy.enforced(entry) else "suggested"
                    cells.append(f"{lang}:{(entry.full or entry.abbr)[0]} [{entry.confidence}, {rule}]")
                    cells += [s for s in concept.sources if args.lang and s.startswith(f"{lang}:")]
            if cells:
                english = concept.entries.get("en")
                context = (
                    [f"en:{(english.full or english.abbr)[0]}"]
                    if english and args.lang not in (None, "en")
                    else []
                )
                print("\t".join([concept.id, *context, *cells]))
    return EXIT_OK


def cmd_glossary_match(args: argparse.Namespace) -> int:
    terminology = _terminology(args)
    text = args.text if args.text != "-" else sys.stdin.read()
    lang = args.lang or ingest.detect_language(text)
    if lang is None:
        raise UsageError("cannot tell the language of the text; give --lang")
    targets = langs.parse_list(args.to, exclude=lang) if args.to else []
    # expectations of the whole text, so that context counts (Mr./Ms. before a title)
    expected = {(tgt, e.match.start): e for tgt in targets for e in terminology.expectations(text, lang, tgt)}
    for match in terminology.find(text, lang):
        print(f"{match.start}-{match.end}\t{match.kind}\t{match.concept.id}\t{match.text}")
        for tgt in targets:
            if e := expected.get((tgt, match.start)):
                print(f"\t{tgt}\t{'enforced' if e.enforced else 'suggested'}\t{' | '.join(e.forms[:4])}")
    return EXIT_OK


def cmd_glossary_build_un(args: argparse.Namespace) -> int:
    from . import tbx
    from .glossary import build_un

    glossary = build_un(args.table, args.variants, args.name)
    tbx.write([glossary], args.out)
    print(f"{args.out}: {len(glossary.concepts)} concepts")
    return EXIT_OK


def cmd_glossary_stats(args: argparse.Namespace) -> int:
    from dataclasses import astuple, fields

    from .glossary import LangStats, stats

    terminology = _terminology(args)
    print("\t".join(f.name for f in fields(LangStats)))
    for glossary in terminology.glossaries:
        for row in stats(glossary, terminology.policy):
            print("\t".join(str(v) for v in astuple(row)))
    return EXIT_OK


def cmd_glossary_export(args: argparse.Namespace) -> int:
    from . import tbx

    terminology = _terminology(args)
    tbx.write(terminology.glossaries, args.out)
    print(f"{args.out}: {sum(len(g.concepts) for g in terminology.glossaries)} concepts")
    return EXIT_OK


def cmd_evaluate(args: argparse.Namespace) -> int:
    from .evaluate import evaluate_files

    if args.src and not args.src_lang:
        raise UsageError("--src needs --src-lang")
    scores = evaluate_files(args.ref, args.hyp, args.lang, _terminology(args), args.src, args.src_lang)
    print(f"BLEU\t{scores.bleu:.2f}\t{scores.bleu_signature}")
    print(f"chrF2\t{scores.chrf:.2f}")
    print(f"TER\t{scores.ter:.2f}")
    if scores.terms:
        print(f"terms\t{scores.terms}")
        print(f"term exact-match accuracy\t{scores.term_exact:.4f}")
        print(f"term accuracy (inflected forms)\t{scores.term_lenient:.4f}")
    else:
        print("terms\t0 (no glossary term in the segments)")
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from . import tbx, tmx, xliff

    if not (args.tmx or args.xliff or args.tbx):
        raise UsageError("say what to export: --tmx FILE, --xliff FOLDER or --tbx FILE")
    with Store(args.store, create=False) as store:
        doc_ids = [store.resolve_document(ref) for ref in args.docs]
        if args.tmx:
            paths, warnings, units = tmx.export(
                store, doc_ids, args.tmx, status=args.status, pairs=args.pairs
            )
            for warning in warnings:
                print(f"workbench: warning: {warning}", file=sys.stderr)
            for path in paths:
                print(f"{path}\t{'six-language' if path == args.tmx else 'pair'}")
            print(f"{units} units ({args.status})", file=sys.stderr)
        if args.xliff:
            targets = langs.parse_list(args.to) if args.to else None
            for doc_id in doc_ids:
                document = store.document(doc_id)
                langs_present = sorted({t.lang for t in store.translations(doc_id)} - {document.lang})
                for tgt in targets or langs_present:
                    if tgt == document.lang:
                        continue
                    out = args.xliff / f"{Path(document.name).stem}.{document.lang}-{tgt}.xlf"
                    units, warnings = xliff.export(store, doc_id, tgt, out, args.xliff_version)
                    for warning in warnings:
                        print(f"workbench: warning: {warning}", file=sys.stderr)
                    print(f"{out}\t{units} units")
    if args.tbx:
        terminology = _terminology(args)
        tbx.write(terminology.glossaries, args.tbx)
        print(f"{args.tbx}\t{sum(len(g.concepts) for g in terminology.glossaries)} concepts")
    return EXIT_OK


def cmd_tm_import(args: argparse.Namespace) -> int:
    from . import tm

    with Store(args.store) as store:
        for path in args.files:
            result = tm.import_tmx(store, path, args.name)
            state = "already imported" if result.already else f"{result.variants} segments"
            skipped = f", {result.skipped} in other languages skipped" if result.skipped else ""
            print(f"{path}\tmemory {result.memory_id}\t{result.units} units\t{state}{skipped}")
    return EXIT_OK


def cmd_tm_list(args: argparse.Namespace) -> int:

    with Store(args.store, create=False) as store:
        for memory_id, name, at, units in store.memories():
            print(f"{memory_id}\t{name}\t{at}\t{units} units")
    return EXIT_OK


def cmd_tm_search(args: argparse.Namespace) -> int:
    from . import tm

    text = args.text
    src = args.lang or ingest.detect_language(text)
    if src is None:
        raise UsageError("cannot tell the language of the text; give --lang")
    targets = langs.parse_list(args.to, exclude=src) if args.to else [c for c in langs.CODES if c != src]
    with Store(args.store, create=False) as store:
        for tgt in targets:
            for match in tm.fuzzy(store, text, src, tgt, limit=args.limit, minimum=args.min):
                print(f"{match.score:5.1f}%\t{tgt}\t{match.source}\t{match.target}\t{match.origin}")
    return EXIT_OK


def cmd_xliff_import(args: argparse.Namespace) -> int:
    from . import xliff

    terminology = _terminology(args)
    conflicts = 0
    with Store(args.store, create=False) as store:
        for path in args.files:
            report = xliff.import_file(store, path, args.who, terminology)
            print(
                f"{path}\t{report.updated} edited\t{report.restated} status changed"
                f"\t{report.unchanged} unchanged\t{len(report.conflicts)} conflicts"
            )
            for conflict in report.conflicts:
                print(f"workbench: conflict: {conflict}", file=sys.stderr)
            conflicts += len(report.conflicts)
    return EXIT_PARTIAL if conflicts else EXIT_OK


def _any_lang(value: str) -> str:
    """A UN language's short code, or any other code as given (the public alignment test sets)."""
    try:
        return langs.normalize(value)
    except langs.UnknownLanguageError:
        if not value.replace("-", "").isalpha():
            raise argparse.ArgumentTypeError(f"'{value}' is not a language code") from None
        return value.lower()


def _sentences(path: Path) -> tuple[list[str], list[int]]:
    """A one-sentence-per-line file: the sentences, and where paragraphs start (after blank lines)."""
    text = ingest.prepare_text(ingest.decode(Path(path).read_bytes(), path))
    sentences, starts, fresh = [], [], True
    for line in text.splitlines():
        if not line.strip():
            fresh = True
            continue
        if fresh:
            starts.append(len(sentences))
            fresh = False
        sentences.append(line.strip())
    if not sentences:
        raise InputError(path, "no sentences")
    return sentences, starts


def _segmented(path: Path, lang: str | None) -> tuple[list[str], list[int], str]:
    from .alignjob import breaks

    if lang is not None and lang not in langs.CODES:
        raise InputError(
            path, f"the workbench segments only the six UN languages; use --presegmented for {lang}"
        )
    document = ingest.load(path, lang)
    return [s.text for s in document.segments], breaks(document), document.lang


def cmd_align(args: argparse.Namespace) -> int:
    from .align import align

    if args.mt and args.no_mt:
        raise UsageError("--mt and --no-mt contradict each other")
    targets = args.lang or []
    if targets and len(targets) not in (1, len(args.translations)):
        raise UsageError(f"{len(targets)} --lang options for {len(args.translations)} translations")
    if args.beads:
        if len(args.translations) != 1:
            raise UsageError("--beads aligns one translation")
        tgt_lang = targets[0] if targets else None
        if args.presegmented:
            if not args.source_lang or not tgt_lang:
                raise UsageError("--presegmented needs --source-lang and --lang")
            src, src_breaks = _sentences(args.source)
            tgt, tgt_breaks = _sentences(args.translations[0])
            src_lang = args.source_lang
        else:
            src, src_breaks, src_lang = _segmented(args.source, args.source_lang)
            tgt, tgt_breaks, tgt_lang = _segmented(args.translations[0], tgt_lang)
        src_mt = None
        if args.source_mt:
            src_mt, _ = _sentences(args.source_mt)
            if len(src_mt) != len(src):
                raise InputError(args.source_mt, f"{len(src_mt)} lines for {len(src)} source sentences")
        elif args.mt:
            from .translate import Options, translate_texts

            src_mt = translate_texts(src, src_lang, tgt_lang, _model_map(args), Options())
        known = src_lang in langs.CODES and tgt_lang in langs.CODES
        terminology = _terminology(args) if known else None
        beads = align(
            src, tgt, src_lang, tgt_lang, src_mt=src_mt, src_breaks=src_breaks, tgt_breaks=tgt_breaks,
            terminology=terminology,
        )  # fmt: skip
        sys.stdout.write("".join(b.vecalign() + "\n" for b in beads))
        return EXIT_OK

    from .alignjob import align_documents, check_translation
    from .translate import Options

    terminology = _terminology(args)
    with Store(args.store) as store:
        source_id = _documents(store, [str(args.source)], args.source_lang)[0]
        source_lang = store.document(source_id).lang
        translation_ids = []
        for n, ref in enumerate(args.translations):
            lang = targets[n] if len(targets) > 1 else (targets[0] if targets else None)
            if Path(ref).is_file() or Path(ref).suffix.lower() in ingest.SUPPORTED:
                translation = ingest.load(ref, lang)  # a file is read and checked before it is stored
            else:
                translation = store.document(store.resolve_document(str(ref)))
            check_translation(translation, source_lang, lang)
            if translation.id is None:
                ingest.store_document(store, translation)
            translation_ids.append(translation.id)
        results = align_documents(
            store, source_id, translation_ids, use_mt=True if args.mt else (False if args.no_mt else None),
            model_map=_model_map(args) if args.mt else None, options=Options(), terminology=terminology,
        )  # fmt: skip
    columns = ("beads", "stored", "kept", "low-conf", "merged", "no-transl", "extra", "disagree")
    print(f"{'lang':5} {'mt':>3} " + " ".join(f"{c:>9}" for c in columns))
    for r in results:
        values = (
            len(r.beads),
            r.stored,
            r.kept,
            r.low_confidence,
            r.merged,
            r.untranslated,
            r.extra,
            r.disagreements,
        )
        print(f"{r.lang:5} {'yes' if r.mt else 'no':>3} " + " ".join(f"{v:9}" for v in values))
        for note in r.notes:
            print(f"workbench: {r.lang}: {note}", file=sys.stderr)
    return EXIT_OK


LOOPBACK = ("127.0.0.1", "localhost", "::1")


def cmd_serve(args: argparse.Namespace) -> int:
    import logging

    from . import users

    if args.host not in LOOPBACK and not args.auth and not args.insecure:
        raise UsageError(
            f"refusing to listen on {args.host} without --auth FILE (anyone on the network could edit); "
            "add --insecure to do it anyway"
        )
    accounts = users.load(args.auth) if args.auth else None
    from ui.app import Context, launch  # the app is a shell over the library; loaded only here

    handler = logging.StreamHandler(sys.stderr)  # logins (failed ones above all) and jobs, timestamped
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.getLogger("workbench").addHandler(handler)
    logging.getLogger("workbench").setLevel(logging.INFO)

    ctx = Context(args.store, _terminology(args), model_map=_model_map(args) if args.model_map else None)
    print(f"workbench: serving {args.store} on http://{args.host}:{args.port}", file=sys.stderr)
    launch(ctx, host=args.host, port=args.port, auth=accounts)
    return EXIT_OK


def cmd_users_add(args: argparse.Namespace) -> int:
    import getpass

    from . import users

    password = (
        sys.stdin.readline().rstrip("\n")
        if args.password_stdin
        else getpass.getpass(f"password for {args.name}: ")
    )
    users.add(args.file, args.name, password)
    print(f"{args.file}: {args.name} added")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="workbench", description="UN translation and alignment workbench")
    parser.add_argument("--version", action="version", version=f"workbench {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def commands(name: str, help: str) -> argparse._SubParsersAction:
        """A command with subcommands (``workbench tm import``)."""
        return sub.add_parser(name, help=help).add_subparsers(
            dest=f"{name}_command", required=True, parser_class=_Parser
        )

    def with_store(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--store", type=Path, default=DEFAULT_PATH, help=f"SQLite store (default: {DEFAULT_PATH})"
        )

    p = sub.add_parser("ingest", help="store a speech (.txt, .md, .docx) as paragraphs and segments")
    p.add_argument("file", type=Path)
    p.add_argument("--lang", type=_lang, help="language of the speech (default: detected)")
    with_store(p)
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("segment", help="print one segment per line, a blank line between paragraphs")
    p.add_argument("file", type=Path, nargs="?", help="input file (default: standard input)")
    p.add_argument("--lang", type=_lang, help="language (default: detected)")
    p.add_argument(
        "--explain",
        action="store_true",
        help="after each paragraph, every break kept or refused and the rule (file:line) that decided it",
    )
    p.set_defaults(func=cmd_segment)

    p = sub.add_parser("show", help="list a stored document's segments and translations")
    p.add_argument("doc", help="document id or name")
    p.add_argument("--lang", type=_lang, help="only this target language")
    with_store(p)
    p.set_defaults(func=cmd_show)

    def with_models(p: argparse.ArgumentParser) -> None:
        p.add_argument("--model-map", type=Path, help="TOML file mapping pairs to models (see README)")
        p.add_argument(
            "--engine",
            choices=("marian", "m2m100", "nllb"),
            help="marian: OPUS-MT per pair (default); m2m100/nllb: one model for all",
        )
        p.add_argument(
            "--cache-dir",
            help="Hugging Face downloads and the workbench's converted models "
            "(default: HF_HOME's cache and ~/.cache/workbench)",
        )

    def with_glossaries(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--glossary", action="append", type=Path, default=[], help="a TBX/CSV/TSV glossary (repeatable)"
        )
        p.add_argument(
            "--no-default-glossaries", action="store_true", help="do not load the shipped glossaries/*.tbx"
        )
        p.add_argument(
            "--enforce",
            default="verified",
            choices=("verified", "high", "all", "none"),
            help="which ratings MT must follow (verified: reviewed, high, medium, unrated)",
        )

    p = sub.add_parser("translate", help="translate speeches into other UN languages (a resumable job)")
    p.add_argument("inputs", nargs="+", metavar="FILE_OR_DOC", help="files to ingest, or stored documents")
    p.add_argument("--to", required=True, help="target languages: fr,es,ru,zh,ar or all")
    p.add_argument("--lang", type=_lang, help="source language of the files (default: detected)")
    with_models(p)
    p.add_argument("--beam", type=int, default=4)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--max-length", type=int, default=256, help="maximum target tokens per segment")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    p.add_argument("--threads", type=int, help="CPU threads for the model")
    p.add_argument(
        "--force", action="store_true", help="redo machine translations (reviewed and approved work is kept)"
    )
    p.add_argument("--keep-models", action="store_true", help="keep every model loaded for the job")
    p.add_argument(
        "--backend", choices=tuple(BACKENDS), default="torch",
        help="ctranslate2: the fast CPU path (segments with enforced terms still get the constrained search)",
    )  # fmt: skip
    p.add_argument(
        "--compute-type",
        help="CTranslate2 compute type (int8, float32, int8_float16…; default int8, on CUDA int8_float16)",
    )
    p.add_argument(
        "--executor", choices=("local", "ray"), default="local", help="ray: spread the job over a cluster"
    )
    p.add_argument("--address", help="Ray cluster: auto, or HOST:PORT (default: start a local one)")
    p.add_argument("--workers", type=int, default=2, help="Ray actors, each keeping its models loaded")
    p.add_argument("--gpus-per-worker", type=float, default=0, help="GPUs each Ray actor reserves")
    p.add_argument("--log", type=Path, help="log file (default: logs/ beside the store)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    with_glossaries(p)
    with_store(p)
    p.set_defaults(func=cmd_translate)

    p = sub.add_parser("check", help="re-run the QA checks on a document's translations and count flags")
    p.add_argument("doc", help="document id or name")
    p.add_argument("--lang", type=_lang, help="only this target language")
    with_glossaries(p)
    with_store(p)
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("evaluate", help="BLEU, chrF, TER (sacrebleu) and term accuracy of a translation")
    p.add_argument("--ref", required=True, type=Path, help="reference translation, one segment per line")
    p.add_argument("--hyp", required=True, type=Path, help="translation to score, line-aligned")
    p.add_argument("--lang", required=True, type=_lang, help="language of REF and HYP")
    p.add_argument("--src", type=Path, help="source, line-aligned: terms are then those it calls for")
    p.add_argument("--src-lang", type=_lang, help="language of --src")
    with_glossaries(p)
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("serve", help="the review interface in the browser (Gradio)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: loopback only)")
    p.add_argument("--port", type=int, default=7860)
    p.add_argument(
        "--auth", type=Path, help="users file (see 'workbench users add'): every page and API needs a login"
    )
    p.add_argument("--insecure", action="store_true", help="allow a non-loopback --host without --auth")
    with_models(p)
    with_glossaries(p)
    with_store(p)
    p.set_defaults(func=cmd_serve)

    usub = commands("users", "reviewer accounts for 'workbench serve --auth'")
    p = usub.add_parser(
        "add", help="add or replace a reviewer (the password is asked, never stored in clear)"
    )
    p.add_argument("file", type=Path)
    p.add_argument("name")
    p.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    p.set_defaults(func=cmd_users_add)

    p = sub.add_parser("align", help="align human translations with a source, sentence by sentence")
    p.add_argument("source", type=Path, help="the source file (or a stored document)")
    p.add_argument("translations", nargs="+", type=Path, metavar="TRANSLATION")
    p.add_argument("--source-lang", type=_any_lang, help="language of the source (default: detected)")
    p.add_argument(
        "--lang", type=_any_lang, action="append", help="language of each translation (repeatable)"
    )
    p.add_argument(
        "--mt", action="store_true", help="translate the source with the workbench's models to score"
    )
    p.add_argument("--no-mt", action="store_true", help="length and anchors only, no machine translation")
    p.add_argument("--beads", action="store_true", help="print the beads (vecalign format) and store nothing")
    p.add_argument("--presegmented", action="store_true", help="inputs have one sentence per line")
    p.add_argument("--source-mt", type=Path, help="an MT of the source, one line per source sentence")
    with_models(p)
    with_glossaries(p)
    with_store(p)
    p.set_defaults(func=cmd_align)

    p = sub.add_parser("export", help="TMX 1.4b (six-language and per pair), XLIFF 1.2/2.1, TBX")
    p.add_argument("docs", nargs="+", metavar="DOC", help="document ids or names")
    p.add_argument("--tmx", type=Path, help="the six-language TMX file to write")
    p.add_argument("--pairs", action="store_true", help="also one TMX per source-target pair, beside --tmx")
    p.add_argument(
        "--status", choices=("approved", "reviewed", "all"), default="approved",
        help="translations exported to TMX: approved (default), reviewed and approved, or all",
    )  # fmt: skip
    p.add_argument("--xliff", type=Path, metavar="FOLDER", help="one XLIFF per document and target language")
    p.add_argument("--to", help="XLIFF target languages (default: those translated)")
    p.add_argument("--xliff-version", choices=("1.2", "2.1"), default="2.1")
    p.add_argument("--tbx", type=Path, help="the active glossaries as one TBX file")
    with_glossaries(p)
    with_store(p)
    p.set_defaults(func=cmd_export)

    tmsub = commands("tm", "translation memories: import TMX, list, search (concordance)")
    p = tmsub.add_parser("import", help="import TMX files as translation memory (all of a file or nothing)")
    p.add_argument("files", nargs="+", type=Path)
    p.add_argument("--name", help="memory name (default: the file name)")
    with_store(p)
    p.set_defaults(func=cmd_tm_import)
    p = tmsub.add_parser("list", help="the imported memories")
    with_store(p)
    p.set_defaults(func=cmd_tm_list)
    p = tmsub.add_parser("search", help="fuzzy matches of TEXT, best first, with their match percentage")
    p.add_argument("text")
    p.add_argument("--lang", type=_lang, help="language of TEXT (default: detected)")
    p.add_argument("--to", help="target languages (default: the other five)")
    p.add_argument("--min", type=float, default=50.0, help="lowest match percentage shown (default 50)")
    p.add_argument("--limit", type=int, default=5, help="matches per language (default 5)")
    with_store(p)
    p.set_defaults(func=cmd_tm_search)

    xsub = commands("xliff", "bring reviewed XLIFF files back into the store")
    p = xsub.add_parser("import", help="save the edits and states of XLIFF files exported by workbench")
    p.add_argument("files", nargs="+", type=Path)
    p.add_argument("--who", help="reviewer name recorded on the edits")
    with_glossaries(p)
    with_store(p)
    p.set_defaults(func=cmd_xliff_import)

    gsub = commands("glossary", "glossaries: list, stats, match text, build and export TBX")
    p = gsub.add_parser("list", help="every concept, its main term per language and whether it is enforced")
    p.add_argument("--lang", type=_lang, help="one language only, with the English and its sources")
    p.add_argument("--suggested", action="store_true", help="only renderings not forced (what to verify)")
    with_glossaries(p)
    p.set_defaults(func=cmd_glossary_list)
    p = gsub.add_parser("match", help="show the glossary terms found in TEXT and what they ask of --to")
    p.add_argument("text", help="text to search ('-': standard input)")
    p.add_argument("--lang", type=_lang, help="language of the text (default: detected)")
    p.add_argument("--to", help="target languages to show the required forms for")
    with_glossaries(p)
    p.set_defaults(func=cmd_glossary_match)
    p = gsub.add_parser("stats", help="per glossary and language: concepts, forms, verified/forced/suggested")
    with_glossaries(p)
    p.set_defaults(func=cmd_glossary_stats)
    p = gsub.add_parser("build-un", help="build a shipped TBX from a term table and its variants file")
    p.add_argument("table", type=Path, help="../shared/terms/un_terms.tsv or glossaries/sources/un_core.tsv")
    p.add_argument("--variants", type=Path, help="glossaries/sources/<table>.variants.tsv")
    p.add_argument("--name", default="un-counter-terrorism", help="glossary name written in the TBX header")
    p.add_argument("--out", type=Path, required=True)
    p.set_defaults(func=cmd_glossary_build_un)
    p = gsub.add_parser("export", help="write the active glossaries as one TBX file")
    p.add_argument("--out", type=Path, required=True)
    with_glossaries(p)
    p.set_defaults(func=cmd_glossary_export)

    msub = commands("models", "the model map: list, or download ahead of time")
    p = msub.add_parser("list", help="show the model of every pair and whether it is ready offline")
    with_models(p)
    p.add_argument("--backend", choices=("torch", "ctranslate2"), default="torch",
                   help="ctranslate2: ready also needs the converted model")  # fmt: skip
    p.set_defaults(func=cmd_models_list)
    p = msub.add_parser(
        "pull", help="download, verify and convert the models of PAIRS (default: all) for offline use"
    )
    p.add_argument("pairs", nargs="*", help="pairs like en-fr")
    with_models(p)
    p.add_argument("--backend", choices=("torch", "ctranslate2"), default="torch",
                   help="ctranslate2: also convert for the fast path")  # fmt: skip
    p.set_defaults(func=cmd_models_pull)
    p = msub.add_parser(
        "smoke", help="build tiny random models and a model map to try the pipeline (gibberish output)"
    )
    p.add_argument("--cache-dir", help="where to build them (default: ~/.cache/workbench/smoke)")
    p.set_defaults(func=cmd_models_smoke)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    umask = None
    try:
        umask = os.umask(_umask())
        return args.func(args)
    except WorkbenchError as exc:  # the user's to fix; anything else is a bug and keeps its traceback
        print(f"workbench: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("workbench: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK
    finally:
        if umask is not None:
            os.umask(umask)


def _umask() -> int:
    """What the workbench creates (store, logs, exports, the server's cached downloads) is the
    owner's alone, unless ``WORKBENCH_UMASK`` says otherwise (``027``: the group may read)."""
    raw = os.environ.get("WORKBENCH_UMASK", "077")
    try:
        return int(raw, 8)
    except ValueError:
        raise UsageError(f"WORKBENCH_UMASK={raw!r}: expected an octal umask such as 077 or 027") from None


if __name__ == "__main__":
    sys.exit(main())
