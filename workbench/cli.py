"""The ``workbench`` command: a thin shell over the library (no logic of its own).

Exit codes: 0 success, 1 partial failure (a job finished with some segments failed), 2 bad input or
usage (the one-line message says what to do), 130 interrupted.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import __version__, ingest, langs
from .evaluate import EvaluationError
from .glossary import GlossaryError
from .mt.registry import LoadError, ModelMapError
from .segment import RulesError
from .store import DEFAULT_PATH, Store, StoreError
from .tmx import TMXError
from .users import UsersError
from .xliff import XLIFFError

EXIT_OK, EXIT_PARTIAL, EXIT_BAD_INPUT = 0, 1, 2

# Errors that are the user's input, not a bug: one line on stderr, exit 2, no traceback.
USER_ERRORS: tuple[type[Exception], ...] = (
    ingest.IngestError,
    langs.UnknownLanguageError,
    StoreError,
    RulesError,
    ModelMapError,
    LoadError,
    GlossaryError,
    EvaluationError,
    TMXError,
    XLIFFError,
    UsersError,
)

MARKS = {"present": "✓", "forced": "⚠", "missing": "✗", "suggested": "?", "forbidden": "✗"}


class CliError(Exception):
    """A usage problem found by a command itself."""


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
    for number, paragraph in enumerate(document.paragraphs):
        if number:
            out.write("\n")
        for segment in paragraph.segments:
            out.write(segment.text + "\n")
    return EXIT_OK


def cmd_show(args: argparse.Namespace) -> int:
    with Store(args.store) as store:
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

    if args.model_map:
        return registry.load_map(args.model_map, args.engine)
    return registry.default_map(args.engine)


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
        raise CliError(str(exc)) from None
    return Terminology(load_all(args.glossary, defaults=not args.no_default_glossaries), policy)


def cmd_translate(args: argparse.Namespace) -> int:
    import logging
    import time

    from tqdm import tqdm

    from .translate import Options, check_routes, translate_documents

    targets = langs.parse_list(args.to)
    if not targets:
        raise CliError("--to names no language")
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
        bar = tqdm(
            total=total, desc=label, unit="seg", file=sys.stderr, leave=True, disable=args.quiet or None
        )
        bars.append(bar)
        return bar.update

    with Store(args.store) as store:
        doc_ids = _documents(store, args.inputs, args.lang)
        check_routes(store, doc_ids, targets, model_map)  # a missing model fails before any work
        try:
            if args.executor == "ray":
                from .distributed import translate_documents_ray

                stats = translate_documents_ray(
                    store, doc_ids, targets, model_map, options, progress, terminology,
                    address=args.address, workers=args.workers, gpus_per_worker=args.gpus_per_worker,
                )  # fmt: skip
            else:
                stats = translate_documents(
                    store, doc_ids, targets, model_map, options, progress, terminology=terminology
                )
        finally:
            for bar in bars:
                bar.close()
            logger.removeHandler(handler)
    columns = ("segments", "done", "TM", "MT", "failed", "seconds", "tok/s", "first")
    print(f"{'lang':5} " + " ".join(f"{c:>8}" for c in columns))
    for st in stats:
        first = f"{st.first_segment_s:8.1f}" if st.first_segment_s is not None else f"{'-':>8}"
        print(
            f"{st.lang:5} {st.segments:8} {st.done_before:6} {st.from_tm:5} {st.from_mt:5} "
            f"{st.failed:6} {st.seconds:8.1f} {st.tokens_per_s:8.1f} {first}"
        )
    total = sum(st.seconds for st in stats)
    first_s = stats[0].first_segment_s or 0.0 if stats else 0.0
    print(f"total {total:.1f} s; first translated segment after {first_s:.1f} s", file=sys.stderr)
    print(f"log: {log_path}", file=sys.stderr)
    return EXIT_PARTIAL if any(st.failed for st in stats) else EXIT_OK


def cmd_models_list(args: argparse.Namespace) -> int:
    from .mt.registry import cached

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
                f" [{'cached' if cached(s.spec, args.cache_dir) else 'not cached'}]"
                for s in steps
            )
            print(f"{src}-{tgt}	{'pivot: ' if len(steps) > 1 else ''}{route}")
    return EXIT_OK


def cmd_models_pull(args: argparse.Namespace) -> int:
    from .mt.registry import pull

    model_map = _model_map(args)
    pairs = args.pairs or [f"{s}-{t}" for s in langs.CODES for t in langs.CODES if s != t]
    specs = []
    for pair in pairs:
        src, _, tgt = pair.partition("-")
        for step in model_map.route(src, tgt):
            if step.spec not in specs:
                specs.append(step.spec)
    for spec in specs:
        print(f"{spec.model}\t{pull(spec, args.cache_dir)}")
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    from .review import recheck

    terminology = _terminology(args)
    with Store(args.store) as store:
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
    for glossary in terminology.glossaries:
        print(f"# {glossary.name}: {len(glossary.concepts)} concepts ({glossary.path})")
        for concept in glossary.concepts:
            cells = []
            for lang in langs.CODES:
                entry = concept.entries.get(lang)
                if entry:
                    rule = "enforced" if terminology.policy.enforced(entry) else "suggested"
                    cells.append(f"{lang}:{(entry.full or entry.abbr)[0]} [{entry.confidence}, {rule}]")
            print(f"{concept.id}\t" + "\t".join(cells))
    return EXIT_OK


def cmd_glossary_match(args: argparse.Namespace) -> int:
    terminology = _terminology(args)
    text = args.text if args.text != "-" else sys.stdin.read()
    lang = args.lang or ingest.detect_language(text)
    if lang is None:
        raise CliError("cannot tell the language of the text; give --lang")
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
    from .evaluate import EvaluationError, evaluate, read_lines

    sources = read_lines(args.src) if args.src else None
    if sources is not None and not args.src_lang:
        raise EvaluationError("--src needs --src-lang")
    scores = evaluate(
        read_lines(args.ref), read_lines(args.hyp), args.lang, _terminology(args), sources, args.src_lang
    )
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
        raise CliError("say what to export: --tmx FILE, --xliff FOLDER or --tbx FILE")
    with Store(args.store) as store:
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
    from . import tm

    with Store(args.store) as store:
        for memory_id, name, at, units in tm.memories(store):
            print(f"{memory_id}\t{name}\t{at}\t{units} units")
    return EXIT_OK


def cmd_tm_search(args: argparse.Namespace) -> int:
    from . import tm

    text = args.text
    src = args.lang or ingest.detect_language(text)
    if src is None:
        raise CliError("cannot tell the language of the text; give --lang")
    targets = langs.parse_list(args.to, exclude=src) if args.to else [c for c in langs.CODES if c != src]
    with Store(args.store) as store:
        for tgt in targets:
            for match in tm.fuzzy(store, text, src, tgt, limit=args.limit, minimum=args.min):
                print(f"{match.score:5.1f}%\t{tgt}\t{match.source}\t{match.target}\t{match.origin}")
    return EXIT_OK


def cmd_xliff_import(args: argparse.Namespace) -> int:
    from . import xliff

    terminology = _terminology(args)
    conflicts = 0
    with Store(args.store) as store:
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
        raise CliError(f"{path}: no sentences")
    return sentences, starts


def _segmented(path: Path, lang: str | None) -> tuple[list[str], list[int], str]:
    from .alignjob import breaks

    if lang is not None and lang not in langs.CODES:
        raise CliError(
            f"{path}: the workbench segments only the six UN languages; use --presegmented for {lang}"
        )
    document = ingest.load(path, lang)
    return [s.text for s in document.segments], breaks(document), document.lang


def cmd_align(args: argparse.Namespace) -> int:
    from .align import align

    if args.mt and args.no_mt:
        raise CliError("--mt and --no-mt contradict each other")
    targets = args.lang or []
    if targets and len(targets) not in (1, len(args.translations)):
        raise CliError(f"{len(targets)} --lang options for {len(args.translations)} translations")
    if args.beads:
        if len(args.translations) != 1:
            raise CliError("--beads aligns one translation")
        tgt_lang = targets[0] if targets else None
        if args.presegmented:
            if not args.source_lang or not tgt_lang:
                raise CliError("--presegmented needs --source-lang and --lang")
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
                raise CliError(f"{args.source_mt}: {len(src_mt)} lines for {len(src)} source sentences")
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

    from .alignjob import align_documents
    from .translate import Options

    terminology = _terminology(args)
    with Store(args.store) as store:
        source_id = _documents(store, [str(args.source)], args.source_lang)[0]
        translation_ids = []
        for n, ref in enumerate(args.translations):
            lang = targets[n] if len(targets) > 1 else (targets[0] if targets else None)
            doc_id = _documents(store, [str(ref)], lang)[0]
            _check_language(store, doc_id, ref, lang)
            translation_ids.append(doc_id)
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


def _check_language(store: Store, doc_id: int, ref: object, declared: str | None) -> None:
    """A translation declared French that reads as Russian is a mistake worth stopping for."""
    if declared is None:
        return
    document = store.document(doc_id)
    found = ingest.detect_language(document.text)
    if found is not None and found != declared:
        raise CliError(
            f"{ref}: the text reads as {langs.get(found).name}, not {langs.get(declared).name} as --lang says"
        )


LOOPBACK = ("127.0.0.1", "localhost", "::1")


def cmd_serve(args: argparse.Namespace) -> int:
    from . import users

    if args.host not in LOOPBACK and not args.auth and not args.insecure:
        raise CliError(
            f"refusing to listen on {args.host} without --auth FILE (anyone on the network could edit); "
            "add --insecure to do it anyway"
        )
    accounts = users.load(args.auth) if args.auth else None
    from ui.app import Context, launch  # the app is a shell over the library; loaded only here

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
        p.add_argument("--cache-dir", help="Hugging Face cache folder (default: HF_HOME's)")

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
        "--backend", choices=("torch", "ctranslate2"), default="torch",
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

    users_parser = sub.add_parser("users", help="reviewer accounts for 'workbench serve --auth'")
    usub = users_parser.add_subparsers(dest="users_command", required=True, parser_class=_Parser)
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

    tm_parser = sub.add_parser("tm", help="translation memories: import TMX, list, search (concordance)")
    tmsub = tm_parser.add_subparsers(dest="tm_command", required=True, parser_class=_Parser)
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

    xliff_parser = sub.add_parser("xliff", help="bring reviewed XLIFF files back into the store")
    xsub = xliff_parser.add_subparsers(dest="xliff_command", required=True, parser_class=_Parser)
    p = xsub.add_parser("import", help="save the edits and states of XLIFF files exported by workbench")
    p.add_argument("files", nargs="+", type=Path)
    p.add_argument("--who", help="reviewer name recorded on the edits")
    with_glossaries(p)
    with_store(p)
    p.set_defaults(func=cmd_xliff_import)

    glossary = sub.add_parser("glossary", help="glossaries: list, stats, match text, build and export TBX")
    gsub = glossary.add_subparsers(dest="glossary_command", required=True, parser_class=_Parser)
    p = gsub.add_parser("list", help="every concept, its main term per language and whether it is enforced")
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

    models = sub.add_parser("models", help="the model map: list, or download ahead of time")
    msub = models.add_subparsers(dest="models_command", required=True, parser_class=_Parser)
    p = msub.add_parser("list", help="show the model of every pair and whether it is cached")
    with_models(p)
    p.set_defaults(func=cmd_models_list)
    p = msub.add_parser("pull", help="download the models of PAIRS (default: all) into the cache")
    p.add_argument("pairs", nargs="*", help="pairs like en-fr")
    with_models(p)
    p.set_defaults(func=cmd_models_pull)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (*USER_ERRORS, CliError) as exc:
        print(f"workbench: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("workbench: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
