"""The translators' review interface (Gradio 6): a thin shell over :mod:`workbench.review` and friends.

Every handler opens the store, calls one library function and renders the result; no review logic
lives here. Pages ship the whole table on every event, so a page holds 100 segments. Only target
texts can change from the browser: the server checks ids, sources and row counts on every save.
"""

from __future__ import annotations

import html
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr

from ui import editor
from workbench import alignjob, ingest, langs, limits, review, tmx, translations, xliff
from workbench.errors import ConflictError, WorkbenchError
from workbench.model import Status
from workbench.mt.registry import ModelMap
from workbench.store import StaleError, Store
from workbench.termmatch import Terminology
from workbench.translate import Options, translate_documents

TARGET_COLUMN = 3
COLUMNS = ["#", "id", "source", "target", "status", "origin", "QA"]
CSS = """
.gradio-container { font-family: system-ui, "Noto Sans", "WenQuanYi Micro Hei", sans-serif; }
#detail .rtl, .rtl { direction: rtl; text-align: right; }
#detail mark.term-ok { background: #c8f0c8; } #detail mark.term-forced { background: #ffe08a; }
#detail mark.term-missing { background: #ffb3b3; } #detail mark.term-suggested { background: #d8e4ff; }
#detail mark.term { background: #eee; } #detail del { color: #a00; } #detail ins { color: #070; }
#grid table { font-family: inherit; } #grid td { vertical-align: top; }
#message .conflict { border-left: 4px solid #c00; padding-left: 8px; }
"""
# Table tab keyboard: Alt+PageDown / Alt+PageUp next / previous page. (Confirming and the rest of the
# keyboard map belong to the editor, ui/static/editor.js: the table has no active-segment editor.)
SHORTCUTS = """
() => {
  document.addEventListener('keydown', (e) => {
    const click = (id) => {
      const b = document.getElementById(id);
      if (b && b.offsetParent !== null) { e.preventDefault(); b.click(); }
    };
    if (e.altKey && e.key === 'PageDown') click('next-page');
    else if (e.altKey && e.key === 'PageUp') click('prev-page');
  });
}
"""
MARKS = {"present": "✓", "forced": "⚠", "missing": "✗", "suggested": "?", "forbidden": "✗"}


@dataclass
class Context:
    """What the server was started with."""

    store_path: Path
    terminology: Terminology
    model_map: ModelMap | None = None
    options: Options = field(default_factory=Options)
    exports: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="workbench-exports-")))


def _who(request: gr.Request | None) -> str | None:
    return getattr(request, "username", None) or None


def _cell_style(lang: str) -> str:
    if langs.get(lang).rtl:
        return "direction: rtl; text-align: right;"
    if not langs.get(lang).spaced:
        return 'font-family: "WenQuanYi Micro Hei", "Noto Sans CJK SC", sans-serif;'
    return ""


def _qa(row: review.Row) -> str:
    marks = [
        MARKS.get(f.mark or "", "") + (f.concept or "") for f in row.flags if f.code == "term" and f.mark
    ]
    others = sorted({f.code for f in row.flags if f.code != "term" and f.severity != "info"})
    return " ".join(marks + [f"!{c}" for c in others])


def _table(page: review.Page) -> dict:
    refs = list(page.rows[0].refs) if page.rows else []
    headers = [*COLUMNS[:TARGET_COLUMN], page.lang, *COLUMNS[TARGET_COLUMN + 1 :], *refs]
    data, styling = [], []
    for row in page.rows:
        data.append([row.index + 1, row.segment_id, row.source, row.target, row.status, row.origin, _qa(row),
                     *[row.refs[r] for r in refs]])  # fmt: skip
        styling.append(["", "", _cell_style(page.source_lang), _cell_style(page.lang), "", "", "",
                        *[_cell_style(r) for r in refs]])  # fmt: skip
    return {"headers": headers, "data": data, "metadata": {"styling": styling}}


def _state(page: review.Page, selected: int = 0, filters: dict | None = None) -> dict:
    return {
        "doc": page.doc_id,
        "lang": page.lang,
        "number": page.number,
        "filters": filters or {},
        "rows": [(r.segment_id, r.source, r.flagged, r.index) for r in page.rows],  # texts, versions: _shown
        "selected": min(selected, max(len(page.rows) - 1, 0)),
    }


def _shown(page: review.Page) -> dict:
    """What the browser is shown besides the grid: the language and, per row, the id, source, target
    and version it saw. It travels with every save and confirm, so a stale browser (an edit sent again
    on blur after a refresh, a page switched mid-request) is judged against what it actually showed,
    never against a fresher server state it has not displayed yet."""
    return {"lang": page.lang, "rows": [[r.segment_id, r.source, r.target, r.version] for r in page.rows]}


def _sent(shown: dict | None) -> tuple[str, list[tuple[int, str, str, int]]]:
    try:
        rows = shown["rows"]  # type: ignore[index]
        return shown["lang"], [(int(i), str(s), str(t), int(v)) for i, s, t, v in rows]  # type: ignore[index]
    except (KeyError, TypeError, ValueError):
        raise gr.Error("the page was changed in the browser: reload it", print_exception=False) from None


def _reload(store: Store, state: dict, selected: int | None = None) -> tuple[review.Page, dict]:
    """The page a state shows, read again with the same filters (after a save, split, merge…)."""
    filters = state.get("filters", {})
    page = review.load_page(store, state["doc"], state["lang"], number=state["number"], **filters)
    return page, _state(page, state["selected"] if selected is None else selected, filters)


def _summary(page: review.Page) -> str:
    return (
        f"<b>{html.escape(page.name)}</b> ({page.source_lang} → {page.lang}) — page {page.number + 1} of "
        f"{page.pages}, {page.matching} of {page.total} segments match the filters"
    )


def _render_detail(ctx: Context, store: Store, state: dict) -> str:
    if not state.get("rows"):
        return "<p>No segment on this page.</p>"
    sid, _, _, index = state["rows"][state["selected"]]
    lang = state["lang"]
    d = review.detail(store, sid, lang, ctx.terminology)
    source_lang = store.segment_source(sid)[1]
    rtl_src = ' class="rtl"' if langs.get(source_lang).rtl else ""
    rtl_tgt = ' class="rtl"' if langs.get(lang).rtl else ""
    parts = [
        # "#" as in the grid: the segment's place in the document (the id is for scripts)
        f"<h4>Segment #{index + 1} (id {sid}, row {state['selected'] + 1})</h4>",
        f"<p{rtl_src} lang='{source_lang}'>{d.source_html}</p>",
        f"<p{rtl_tgt} lang='{lang}'>{d.target_html or '<em>no translation</em>'}</p>",
    ]
    if d.original is not None:
        parts.append(f"<p><b>Original (v1):</b> <span{rtl_tgt}>{html.escape(d.original)}</span></p>")
        parts.append(f"<p><b>Changes:</b> <span{rtl_tgt}>{d.diff_html}</span></p>")
    if d.flags:
        items = "".join(
            f"<li>{MARKS.get(f.mark or '', '!')} <b>{f.code}</b>: {html.escape(f.message)}</li>"
            for f in d.flags
        )
        parts.append(f"<ul class='flags'>{items}</ul>")
    if d.comments:
        items = "".join(
            f"<li>{html.escape(w or '?')} ({at}): {html.escape(t)}</li>" for w, at, t in d.comments
        )
        parts.append(f"<p><b>Comments</b></p><ul>{items}</ul>")
    if d.history:
        items = "".join(
            f"<li>v{v} {html.escape(w or '?')} {at} [{st}] <span{rtl_tgt}>{html.escape(t)}</span></li>"
            for v, w, at, st, t in d.history
        )
        parts.append(f"<details><summary>History ({len(d.history)})</summary><ul>{items}</ul></details>")
    return "\n".join(parts)


def _conflicts(report: review.SaveReport) -> str:
    lines = []
    for c in report.conflicts:
        who = html.escape(c.who or "someone")
        lines.append(
            f"<div class='conflict'><b>Not saved: segment #{c.index} was changed by {who} meanwhile.</b>"
            f"<br>Their text: {html.escape(c.theirs)}<br>Your text: {html.escape(c.yours)}</div>"
        )
    return "".join(lines)


def _doc_choices(store: Store) -> list[tuple[str, int]]:
    return [(f"{d['id']}: {d['name']} ({d['lang']})", d["id"]) for d in review.source_documents(store)]


def build(ctx: Context) -> gr.Blocks:
    """The whole app: Review, Documents and Export tabs."""

    def open_store() -> Store:
        return Store(ctx.store_path)

    def fail(exc: Exception) -> gr.Error:
        # Gradio shows errors as (sanitised) HTML: the message names files and quotes texts, escaped
        return gr.Error(html.escape(str(exc), quote=False), print_exception=False)

    def load(doc_id, lang, refs, status, flag, text, number):
        if doc_id in (None, ""):
            raise gr.Error("choose a document", print_exception=False)
        try:
            lang = langs.normalize(lang)
            refs = tuple(langs.normalize(r) for r in refs or () if r != lang)
            filters = {"status": status, "flag": flag, "text": text or "", "refs": refs}
            with open_store() as store:
                page = review.load_page(store, int(doc_id), lang, number=int(number or 1) - 1, **filters)
                state = _state(page, 0, filters)
                return (
                    _table(page),
                    _shown(page),
                    state,
                    _summary(page),
                    _render_detail(ctx, store, state),
                    page.number + 1,
                )
        except WorkbenchError as exc:
            raise fail(exc) from None

    def save(table, shown, state, request: gr.Request):
        if not state or "rows" not in state:
            raise gr.Error("load a page first", print_exception=False)
        data = table["data"] if isinstance(table, dict) else table
        try:
            received = [(int(r[1]), str(r[2]), str(r[TARGET_COLUMN] or "")) for r in data]
        except (ValueError, IndexError, TypeError):
            raise gr.Error("the page was changed in the browser: reload it", print_exception=False) from None
        lang, sent = _sent(shown)
        try:
            with open_store() as store:
                report = review.save_page(store, lang, sent, received, who=_who(request),
                                          terminology=ctx.terminology)  # fmt: skip
                if not report.saved and not report.conflicts:  # e.g. the same edit sent again on blur
                    return gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
                page, new_state = _reload(store, state)
                message = f"Saved {len(report.saved)} segment(s)." if report.saved else ""
                return (
                    _table(page),
                    _shown(page),
                    new_state,
                    message + _conflicts(report),
                    _render_detail(ctx, store, new_state),
                )
        except WorkbenchError as exc:
            raise fail(exc) from None

    def select(state, evt: gr.SelectData):
        if not state or not state.get("rows"):
            return state, ""
        state = {**state, "selected": int(evt.index[0])}
        with open_store() as store:
            return state, _render_detail(ctx, store, state)

    def confirm(shown, state, request: gr.Request):
        if not state or not state.get("rows"):
            raise gr.Error("load a page first", print_exception=False)
        sid = state["rows"][state["selected"]][0]
        lang, sent = _sent(shown)
        # confirm the version the browser shows: a text someone changed meanwhile is not approved unseen
        version = next((v for i, _, _, v in sent if i == sid), None)
        if lang != state["lang"] or version is None:
            raise gr.Error("the page changed meanwhile: select the segment again", print_exception=False)
        message = ""
        with open_store() as store:
            try:
                review.confirm(store, sid, lang, version, who=_who(request), terminology=ctx.terminology)
                message = "Confirmed."
            except ConflictError as exc:
                current = exc.current
                message = (f"<div class='conflict'><b>Not confirmed: changed meanwhile by "
                           f"{html.escape(current.updated_by or 'someone')}.</b> Their text: "
                           f"{html.escape(current.text)}</div>")  # fmt: skip
            except review.ReviewError as exc:  # a refusal is a message: the grid stays as it is
                refused = f"<b>Not confirmed:</b> {html.escape(str(exc))}"
                return gr.skip(), gr.skip(), gr.skip(), refused, gr.skip()
            page, new_state = _reload(store, state)
            rows = page.rows
            after = [i for i in range(state["selected"] + 1, len(rows)) if rows[i].status != Status.APPROVED]
            new_state["selected"] = after[0] if after else min(state["selected"], max(len(rows) - 1, 0))
            return _table(page), _shown(page), new_state, message, _render_detail(ctx, store, new_state)

    def next_flagged(state):
        if not state or not state.get("rows"):
            return state, ""
        rows = state["rows"]
        start = state["selected"]
        order = list(range(start + 1, len(rows))) + list(range(0, start + 1))
        hit = next((i for i in order if rows[i][2]), start)
        state = {**state, "selected": hit}
        with open_store() as store:
            return state, _render_detail(ctx, store, state)

    def comment(state, text, request: gr.Request):
        if not state or not state.get("rows") or not (text or "").strip():
            raise gr.Error("select a segment and write a comment", print_exception=False)
        sid = state["rows"][state["selected"]][0]
        try:
            with open_store() as store:
                review.comment(store, sid, state["lang"], text.strip(), who=_who(request))
                return "", _render_detail(ctx, store, state)
        except WorkbenchError as exc:
            raise fail(exc) from None

    def seen(shown, state, count: int) -> tuple[str, list[tuple[int, str, int]]]:
        """The selected row and the ``count - 1`` after it as the browser shows them (a split or
        merge is refused if the store changed since: see Store.split_segment)."""
        lang, sent = _sent(shown)
        rows = sent[state["selected"] : state["selected"] + count]
        if lang != state["lang"] or not rows or rows[0][0] != state["rows"][state["selected"]][0]:
            raise StaleError("the page changed meanwhile: reload it")
        if len(rows) < count:
            raise StaleError("the next segment is not on this page")
        return lang, [(i, s, v) for i, s, _, v in rows]

    def split(shown, state, marked, request: gr.Request):
        if not state or not state.get("rows"):
            raise gr.Error("load a page first", print_exception=False)
        sid, source = state["rows"][state["selected"]][:2]
        marked = marked or ""
        if marked.count("|") != 1 or marked.replace("|", "") != source:
            refused = "Copy the source and put one '|' where it should split."
            return gr.skip(), gr.skip(), gr.skip(), refused, gr.skip()
        try:
            lang, rows = seen(shown, state, 1)
            with open_store() as store:
                review.split(store, sid, marked.index("|"), seen=rows, seen_lang=lang, who=_who(request),
                             terminology=ctx.terminology)  # fmt: skip
                page, new_state = _reload(store, state)
                return _table(page), _shown(page), new_state, "Split.", _render_detail(ctx, store, new_state)
        except WorkbenchError as exc:  # a message; the grid stays as it is
            return gr.skip(), gr.skip(), gr.skip(), f"<b>Not split:</b> {html.escape(str(exc))}", gr.skip()

    def merge(shown, state, request: gr.Request):
        if not state or not state.get("rows"):
            raise gr.Error("load a page first", print_exception=False)
        sid = state["rows"][state["selected"]][0]
        try:
            lang, rows = seen(shown, state, 2)
            with open_store() as store:
                translations.merge(store, sid, who=_who(request), terminology=ctx.terminology, lang=lang,
                                   seen=rows)  # fmt: skip
                page, new_state = _reload(store, state)
                return (
                    _table(page),
                    _shown(page),
                    new_state,
                    "Merged with the next segment.",
                    _render_detail(ctx, store, new_state),
                )
        except WorkbenchError as exc:  # a refusal is a message: the grid stays as it is
            return gr.skip(), gr.skip(), gr.skip(), f"<b>Not merged:</b> {html.escape(str(exc))}", gr.skip()

    def documents():
        with open_store() as store:
            rows = []
            for d in store.documents():
                present = sorted(d["languages"])
                total = max(d["segments"], 1)
                progress = ", ".join(
                    f"{k} {100 * v['approved'] // total}%" for k, v in sorted(d["languages"].items())
                )
                rows.append([d["id"], d["name"], d["lang"], d["segments"], " ".join(present), progress])
            choices = _doc_choices(store)
        headers = ["id", "name", "source", "segments", "languages", "approved"]
        return (
            {"headers": headers, "data": rows},
            gr.Dropdown(choices=choices),
            gr.Dropdown(choices=choices),
            gr.Dropdown(choices=choices),
        )

    def upload(file, targets, progress=gr.Progress()):  # noqa: B008 (Gradio's way to report progress)
        if file is None:
            raise gr.Error("choose a .txt, .md or .docx file", print_exception=False)
        try:
            with open_store() as store:
                document = ingest.ingest_file(store, Path(file), None)
                if not targets:
                    name, count = html.escape(document.name), len(document.segments)
                    return f"Stored {name} ({document.lang}, {count} segments)."
                if ctx.model_map is None:
                    raise gr.Error(
                        "this server has no model map: start it with --model-map", print_exception=False
                    )
                wanted = [langs.normalize(t) for t in targets if langs.normalize(t) != document.lang]

                def bar(label, total):
                    done = [0]

                    def advance(n):
                        done[0] += n
                        progress(done[0] / max(total, 1), desc=label)

                    return advance

                stats = translate_documents(store, [document.id], wanted, ctx.model_map, ctx.options, bar,
                                            terminology=ctx.terminology)  # fmt: skip
            lines = ", ".join(f"{s.lang}: {s.from_mt} MT, {s.from_tm} TM, {s.failed} failed" for s in stats)
            return f"Stored {html.escape(document.name)} ({document.lang}) and translated it — {lines}."
        except WorkbenchError as exc:
            raise fail(exc) from None

    def align_upload(file, doc_id, lang):
        if file is None or doc_id in (None, "") or not lang:
            raise gr.Error(
                "choose the translation file, the document and its language", print_exception=False
            )
        try:
            with open_store() as store:
                lang = langs.normalize(lang)
                translation = ingest.load(Path(file), lang)  # read and checked before the store is touched
                alignjob.check_translation(translation, store.document(int(doc_id)).lang, lang)
                ingest.store_document(store, translation)
                (result,) = alignjob.align_documents(store, int(doc_id), [translation.id],
                                                     terminology=ctx.terminology)  # fmt: skip
            return (f"Aligned {html.escape(translation.name)}: {len(result.beads)} beads,"
                    f" {result.stored} stored, {result.low_confidence} low-confidence flagged,"
                    f" {result.merged} merged.")  # fmt: skip
        except WorkbenchError as exc:
            raise fail(exc) from None

    def export_tmx(doc_ids, status):
        if not doc_ids:
            raise gr.Error("choose at least one document", print_exception=False)
        folder = Path(tempfile.mkdtemp(dir=ctx.exports))
        with open_store() as store:
            paths, warnings, units = tmx.export(store, [int(d) for d in doc_ids], folder / "memory.tmx",
                                                status=status, pairs=True)  # fmt: skip
        note = f"{units} units ({status})." + ("".join(f"<br>⚠ {html.escape(w)}" for w in warnings))
        return [str(p) for p in paths], note

    def export_xliff(doc_ids, lang, version):
        if not doc_ids or not lang:
            raise gr.Error("choose documents and a target language", print_exception=False)
        folder = Path(tempfile.mkdtemp(dir=ctx.exports))
        tgt = langs.normalize(lang)
        out = []
        with open_store() as store:
            for doc_id in doc_ids:
                document = store.document(int(doc_id))
                if document.lang == tgt:
                    continue
                path = folder / f"{Path(document.name).stem}.{document.lang}-{tgt}.xlf"
                xliff.export(store, int(doc_id), tgt, path, version)
                out.append(str(path))
        return out, f"{len(out)} file(s)."

    with open_store() as store:
        choices = _doc_choices(store)
    codes = list(langs.CODES)
    with gr.Blocks(title="workbench — review") as app:
        gr.Markdown("## workbench — translation review")
        with gr.Tab("Review"):
            editor.build(ctx)
        with gr.Tab("Table"):
            state = gr.State({})
            shown = gr.JSON(visible=False)  # what the grid shows, with versions: see _shown
            with gr.Row():
                doc = gr.Dropdown(choices, label="Document", elem_id="doc", scale=3)
                lang = gr.Dropdown(codes, value="fr", label="Target", elem_id="lang", scale=1)
                refs = gr.CheckboxGroup(codes, label="Also show", elem_id="refs", scale=3)
            with gr.Row():
                status = gr.Dropdown(
                    list(review.STATUS_FILTERS), value="all", label="Status", elem_id="status"
                )
                flag = gr.Dropdown(list(review.FLAG_FILTERS), value="all", label="Flags", elem_id="flag")
                text = gr.Textbox(label="Text contains", elem_id="text")
                number = gr.Number(value=1, precision=0, minimum=1, label="Page", elem_id="page")
            with gr.Row():
                load_btn = gr.Button("Load", variant="primary", elem_id="load")
                prev_btn = gr.Button("◀ Previous page", elem_id="prev-page")
                next_btn = gr.Button("Next page ▶", elem_id="next-page")
                confirm_btn = gr.Button("Confirm selected row", elem_id="confirm")
                flagged_btn = gr.Button("Next flagged", elem_id="next-flagged")
            summary = gr.HTML(elem_id="summary")  # user texts reach the page escaped, never as Markdown
            message = gr.HTML(elem_id="message")
            # read-only: edits happen in the Review tab's editor (a grid offers Add/Delete row and column)
            grid = gr.Dataframe(
                headers=COLUMNS, datatype="str", type="array", interactive=False, wrap=True, elem_id="grid",
                static_columns=[0, 1, 2, 4, 5, 6], max_height=640,
                column_widths=["48px", "56px", "34%", "34%", "96px", "72px", "120px"],
            )  # fmt: skip
            detail = gr.HTML(elem_id="detail")
            with gr.Row():
                note = gr.Textbox(label="Comment", elem_id="comment", scale=4)
                comment_btn = gr.Button("Add comment", elem_id="add-comment", scale=1)
            with gr.Row():
                marked = gr.Textbox(
                    label="Split: the source with one '|' at the cut", elem_id="split-text", scale=4
                )
                split_btn = gr.Button("Split", elem_id="split", scale=1)
                merge_btn = gr.Button("Merge with next", elem_id="merge", scale=1)

            page_inputs = [doc, lang, refs, status, flag, text, number]
            page_outputs = [grid, shown, state, summary, detail, number]
            load_btn.click(load, page_inputs, page_outputs, api_name="load_page")
            prev_btn.click(lambda n: max(int(n or 1) - 1, 1), number, number).then(
                load, page_inputs, page_outputs
            )
            next_btn.click(lambda n: int(n or 1) + 1, number, number).then(load, page_inputs, page_outputs)
            edits = [grid, shown, state, message, detail]
            grid.input(save, [grid, shown, state], edits, api_name="save")
            grid.select(select, state, [state, detail])
            confirm_btn.click(confirm, [shown, state], edits, api_name="confirm")
            flagged_btn.click(next_flagged, state, [state, detail], api_name="next_flagged")
            comment_btn.click(comment, [state, note], [note, detail], api_name="comment")
            split_btn.click(split, [shown, state, marked], edits, api_name="split")
            merge_btn.click(merge, [shown, state], edits, api_name="merge")

        with gr.Tab("Documents"):
            listing = gr.Dataframe(interactive=False, elem_id="documents")
            refresh = gr.Button("Refresh", elem_id="refresh")
            with gr.Row():
                upload_file = gr.File(label="Speech (.txt, .md, .docx)", file_types=[".txt", ".md", ".docx"],
                                      elem_id="upload-file")  # fmt: skip
                targets = gr.CheckboxGroup(codes, label="Translate into", elem_id="targets")
                upload_btn = gr.Button("Store and translate", elem_id="upload")
            with gr.Row():
                human_file = gr.File(label="Human translation", file_types=[".txt", ".md", ".docx"],
                                     elem_id="human-file")  # fmt: skip
                align_doc = gr.Dropdown(choices, label="Of document", elem_id="align-doc")
                align_lang = gr.Dropdown(codes, value=None, label="Its language", elem_id="align-lang")
                align_btn = gr.Button("Align", elem_id="align")
            status_line = gr.HTML(elem_id="documents-status")
            uploaded = upload_btn.click(upload, [upload_file, targets], status_line, api_name="upload")
            aligned = align_btn.click(align_upload, [human_file, align_doc, align_lang], status_line,
                                      api_name="align")  # fmt: skip

        with gr.Tab("Export"):
            export_docs = gr.Dropdown(choices, multiselect=True, label="Documents", elem_id="export-docs")
            with gr.Row():
                export_status = gr.Dropdown(
                    ["approved", "reviewed", "all"],
                    value="approved",
                    label="TMX: status",
                    elem_id="export-status",
                )
                tmx_btn = gr.Button("Build TMX (six-language and per pair)", elem_id="build-tmx")
            with gr.Row():
                xliff_lang = gr.Dropdown(codes, value=None, label="XLIFF target", elem_id="xliff-lang")
                xliff_version = gr.Radio(["2.1", "1.2"], value="2.1", label="XLIFF version")
                xliff_btn = gr.Button("Build XLIFF", elem_id="build-xliff")
            files = gr.File(label="Downloads", file_count="multiple", interactive=False, elem_id="downloads")
            export_note = gr.HTML()
            tmx_btn.click(
                export_tmx, [export_docs, export_status], [files, export_note], api_name="export_tmx"
            )
            xliff_btn.click(export_xliff, [export_docs, xliff_lang, xliff_version], [files, export_note],
                            api_name="export_xliff")  # fmt: skip
        refresh.click(documents, None, [listing, doc, align_doc, export_docs], api_name="documents")
        # the lists follow an upload or an alignment without a Refresh
        for event in (uploaded, aligned):
            event.success(documents, None, [listing, doc, align_doc, export_docs], api_visibility="private")
        app.load(documents, None, [listing, doc, align_doc, export_docs])
    return app


def launch(
    ctx: Context,
    *,
    host: str = "127.0.0.1",
    port: int = 7860,
    auth: dict[str, str] | None = None,
    block: bool = True,
):
    """Start the server (loopback by default, analytics off, no share link, no SSR). With ``auth``,
    logins go through :class:`ui.guard.LoginGuard`, and nothing is shown before one (``Gate``)."""
    from starlette.middleware import Middleware

    from ui.guard import Gate, LoginGuard

    app = build(ctx)
    guard = LoginGuard(auth) if auth else None
    app.queue(default_concurrency_limit=8)
    app.launch(
        server_name=host, server_port=port, share=False, ssr_mode=False,
        auth=guard.check if guard else None,
        auth_message="workbench: sign in with your reviewer account" if auth else None,
        prevent_thread_lock=not block, show_error=False, quiet=True,
        max_file_size=limits.LIMITS.upload_bytes, allowed_paths=[str(ctx.exports)], css=CSS, js=SHORTCUTS,
        footer_links=[], app_kwargs={"middleware": [Middleware(Gate, guard=guard)]},
    )  # fmt: skip
    return app


__all__ = ["Context", "build", "launch"]
