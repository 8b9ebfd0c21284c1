"""The ``workbench`` command: a thin shell over the library (no logic of its own).

Exit codes: 0 success, 1 partial failure (a job finished with some segments failed), 2 bad input or
usage (the one-line message says what to do), 130 interrupted.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import __version__, ingest, langs
from .segment import RulesError
from .store import DEFAULT_PATH, Store, StoreError

EXIT_OK, EXIT_PARTIAL, EXIT_BAD_INPUT = 0, 1, 2

# Errors that are the user's input, not a bug: one line on stderr, exit 2, no traceback.
USER_ERRORS: tuple[type[Exception], ...] = (
    ingest.IngestError,
    langs.UnknownLanguageError,
    StoreError,
    RulesError,
)


class CliError(Exception):
    """A usage problem found by a command itself."""


def _lang(value: str) -> str:
    try:
        return langs.normalize(value)
    except langs.UnknownLanguageError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def cmd_ingest(args: argparse.Namespace) -> int:
    document = ingest.load(args.file, args.lang)
    with Store(args.store) as store:
        existing = store.find_document(document.sha256, document.lang)
        if existing is not None:
            print(f"{existing}\talready stored\t{document.name}\t{document.lang}")
            return EXIT_OK
        doc_id = store.add_document(document)
    print(
        f"{doc_id}\t{document.name}\t{document.lang}\t{len(document.paragraphs)} paragraphs"
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
        for t in store.translations(document.id, args.lang):  # type: ignore[arg-type]
            by_segment.setdefault(t.segment_id, []).append(t)
    print(
        f"document {document.id}: {document.name} ({document.lang}), "
        f"{len(document.paragraphs)} paragraphs, {len(document.segments)} segments"
    )
    for segment in document.segments:
        print(f"[{segment.index}] ¶{segment.paragraph} {segment.text}")
        for t in by_segment.get(segment.id, []):  # type: ignore[arg-type]
            print(f"    {t.lang} [{t.status.value}, {t.origin.value}, v{t.version}] {t.text}")
    return EXIT_OK


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (with a pointer to --help) and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


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
