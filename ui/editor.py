"""The translator's segment editor: a ``gr.HTML`` block whose own JavaScript (``static/editor.js``)
draws the segment list and the context panel and calls one server function, :func:`Editor.call`.

Why not ``gr.Dataframe`` or a Svelte custom component: the editor needs its own keyboard map (Enter,
Ctrl+Enter, Esc, Ctrl+1…9, ``?``), one live textarea, and a context panel that follows the active
segment. ``gr.HTML(js_on_load=…, server_functions=[…])`` gives exactly that with no build step: the
browser holds the document's rows and moves between them without a server round trip; the server is
asked only for a segment's context and for writes. Server functions run behind Gradio's login check;
every write goes through :mod:`workbench.review` with the version the browser showed (conflict-checked).
The browser builds its DOM with ``textContent``; the only HTML the server sends is made by
:mod:`workbench.review`, which escapes every text.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gradio as gr

from workbench import langs, review, translations
from workbench.errors import ConflictError, WorkbenchError
from workbench.model import Status
from workbench.store import Store

log = logging.getLogger("workbench.editor")

if TYPE_CHECKING:
    from ui.app import Context

STATIC = Path(__file__).parent / "static"


def user_of(request: Any) -> str | None:
    """The signed-in reviewer. Queued events get a ``gr.Request`` with ``username``; a server function
    gets the raw request, whose session cookie Gradio's own login check has just accepted."""
    name = getattr(request, "username", None)
    if name or request is None:
        return name or None
    app = getattr(request, "app", None)
    cookie = getattr(app, "cookie_id", None)
    cookies = getattr(request, "cookies", {}) or {}
    token = cookies.get(f"access-token-{cookie}") or cookies.get(f"access-token-unsecure-{cookie}")
    return getattr(app, "tokens", {}).get(token) if token else None


def _row(row: review.Row) -> dict:
    flags = [f for f in row.flags if f.severity != "info"]
    return {
        "id": row.segment_id,
        "n": row.index + 1,
        "paragraph": row.paragraph,
        "source": row.source,
        "target": row.target,
        "status": row.status,
        "origin": row.origin,
        "version": row.version,
        "flags": [review.describe(f) for f in flags],
        "error": any(f.severity == "error" for f in flags),
        "refs": row.refs,
    }


def _seen(p: dict) -> list[tuple[int, str, int]]:
    """The rows a split or merge acts on as the page showed them (id, source, version; 0: none): the
    store refuses the change if any has changed since."""
    return [(int(i), str(source), int(version or 0)) for i, source, version in p.get("seen") or ()]


class Editor:
    """The server side of the editor: one dispatching function, so the page has one entry point."""

    def __init__(self, ctx: Context):
        self.ctx = ctx

    def call(self, payload: dict, request: gr.Request) -> dict:
        """Run one editor action; errors come back as ``{"error": …}`` (the editor never blanks)."""
        try:
            op = getattr(self, f"op_{payload.get('op')}", None)
            if op is None:
                return {"error": f"unknown action {payload.get('op')!r}"}
            with Store(self.ctx.store_path) as store:
                return op(store, payload, user_of(request))
        except review.NeedsOverride as exc:
            return {"override": exc.reasons}
        except ConflictError as exc:
            theirs = exc.current
            return {
                "conflict": {
                    "theirs": theirs.text if theirs else "",
                    "who": theirs.updated_by if theirs else None,
                }
            }
        except WorkbenchError as exc:
            return {"error": str(exc)}
        except (LookupError, TypeError, ValueError) as exc:
            # A payload the page would never send (or a bug): the editor keeps its state, the trace
            # goes to the server log rather than to the person at the keyboard.
            log.exception("editor action %r failed", payload.get("op"))
            name = type(exc).__name__
            return {"error": f"the server could not carry out '{payload.get('op')}' ({name}); see its log"}

    # -- reading ------------------------------------------------------------------------------

    def op_init(self, store: Store, p: dict, who: str | None) -> dict:
        return {
            "user": who,
            "docs": [
                {"id": d["id"], "name": d["name"], "lang": d["lang"], "languages": sorted(d["languages"])}
                for d in review.source_documents(store)
            ],
            "langs": [{"code": c, "name": langs.get(c).name, "rtl": langs.get(c).rtl} for c in langs.CODES],
        }

    def op_load(self, store: Store, p: dict, who: str | None) -> dict:
        lang = langs.normalize(p["lang"])
        refs = tuple(langs.normalize(r) for r in p.get("refs") or () if r != lang)
        page = review.load_page(store, int(p["doc"]), lang, size=10**9, refs=refs)
        return {
            "doc": page.doc_id,
            "name": page.name,
            "source_lang": page.source_lang,
            "lang": lang,
            "refs": list(refs),
            "rows": [_row(r) for r in page.rows],
            "progress": review.progress(store, page.doc_id),
        }

    def op_context(self, store: Store, p: dict, who: str | None) -> dict:
        return review.context(store, int(p["id"]), langs.normalize(p["lang"]), self.ctx.terminology)

    def _answer(self, store: Store, sid: int, lang: str, **extra) -> dict:
        """The segment's row and context as they are now stored."""
        doc_id = store.segment_source(sid)[2]
        page = review.load_page(store, doc_id, lang, size=10**9)
        row = next(r for r in page.rows if r.segment_id == sid)
        return {"row": _row(row), "context": review.context(store, sid, lang, self.ctx.terminology), **extra}

    # -- writing ------------------------------------------------------------------------------

    def op_save(self, store: Store, p: dict, who: str | None) -> dict:
        sid, lang, text = int(p["id"]), langs.normalize(p["lang"]), str(p["text"])
        if p.get("confirm"):
            review.approve(
                store,
                sid,
                lang,
                text,
                int(p["version"]),
                who=who,
                terminology=self.ctx.terminology,
                override=bool(p.get("override")),
            )
        else:
            review.save(
                store,
                sid,
                lang,
                text,
                who=who,
                status=Status.REVIEWED,
                expected_version=int(p["version"]),
                terminology=self.ctx.terminology,
            )
        return self._answer(store, sid, lang)

    def op_restore(self, store: Store, p: dict, who: str | None) -> dict:
        sid, lang = int(p["id"]), langs.normalize(p["lang"])
        review.restore(
            store, sid, lang, int(p["restore"]), int(p["version"]), who=who, terminology=self.ctx.terminology
        )
        return self._answer(store, sid, lang)

    def op_split(self, store: Store, p: dict, who: str | None) -> dict:
        lang = langs.normalize(p["lang"])
        cut = p.get("target_cut")
        first, _ = review.split(
            store,
            int(p["id"]),
            int(p["offset"]),
            lang=lang,
            target_cut=None if cut is None else int(cut),
            expected_version=p.get("version"),
            seen=_seen(p),
            who=who,
            terminology=self.ctx.terminology,
        )
        doc_id = store.segment_source(first)[2]
        return {**self.op_load(store, {**p, "doc": doc_id}, who), "focus": first}

    def op_merge(self, store: Store, p: dict, who: str | None) -> dict:
        sid = translations.merge(store, int(p["id"]), who=who, terminology=self.ctx.terminology,
                                 lang=langs.normalize(p["lang"]), seen=_seen(p))  # fmt: skip
        return {**self.op_load(store, {**p, "doc": store.segment_source(sid)[2]}, who), "focus": sid}

    def op_preview(self, store: Store, p: dict, who: str | None) -> dict:
        items = review.replace_preview(
            store, int(p["doc"]), langs.normalize(p["lang"]), p["find"], p["replace"]
        )
        return {"changes": [vars(i) for i in items]}

    def op_replace(self, store: Store, p: dict, who: str | None) -> dict:
        lang = langs.normalize(p["lang"])
        changes = [(int(i), int(v), str(t)) for i, v, t in p["changes"]]
        undo, report = review.replace_apply(store, lang, changes, who=who, terminology=self.ctx.terminology)
        loaded = self.op_load(store, {"doc": p["doc"], "lang": lang, "refs": p.get("refs")}, who)
        conflicts = [{"id": c.segment_id, "theirs": c.theirs, "who": c.who} for c in report.conflicts]
        return {**loaded, "undo": undo, "saved": len(report.saved), "conflicts": conflicts}


def build(ctx: Context) -> gr.HTML:
    """The editor block (inside the current Blocks context)."""
    editor = Editor(ctx)

    def wb(payload: dict, request: gr.Request) -> dict:
        return editor.call(payload if isinstance(payload, dict) else {}, request)

    css = (STATIC / "editor.css").read_text(encoding="utf-8")
    script = f"const WB_CSS = {json.dumps(css)};\n" + (STATIC / "editor.js").read_text(encoding="utf-8")
    return gr.HTML(
        "",
        html_template='<div class="wb-editor" tabindex="-1"></div>',
        js_on_load=script,
        server_functions=[wb],
        elem_id="editor",
        apply_default_css=False,
    )


__all__ = ["Editor", "build", "user_of"]
