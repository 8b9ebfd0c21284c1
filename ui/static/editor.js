// The translator's editor (runs as gr.HTML's js_on_load: element, server are given; WB_CSS is prepended).
// Every text is put in the page with textContent; the only HTML taken from the server is built (and
// escaped) by workbench.review: the source with its terms marked and the word diff.
const root = element.querySelector('.wb-editor') || element;
const style = document.createElement('style');
style.textContent = WB_CSS;
document.head.appendChild(style);

const KEYMAP = [
  ['↓ / ↑ (or j / k)', 'next / previous segment'],
  ['PageDown / PageUp, Home / End', 'ten segments on / back, first / last'],
  ['Enter (or a click)', "edit the segment's translation"],
  ['Ctrl+Enter', 'save, confirm (approve) and edit the next unconfirmed segment'],
  ['Ctrl+Shift+Enter', 'approve anyway, over the QA warning shown (recorded as a comment)'],
  ['Ctrl+S', 'save without confirming (reviewed)'],
  ['Ctrl+↓ / Ctrl+↑', 'save if changed and edit the next / previous segment'],
  ['Esc', 'cancel the edit (the stored text comes back); close a panel'],
  ['Ctrl+Z', 'undo within the editor (insertions included)'],
  ['Ctrl+1 … Ctrl+9', "insert the glossary's rendering number 1 … 9 at the caret"],
  ['Alt+1 … Alt+9', 'replace the translation with memory match number 1 … 9'],
  ['Ctrl+Shift+F', 'next segment with a QA flag'],
  ['Ctrl+F or /', 'search the segments (accents and case ignored)'],
  ['Ctrl+H', 'find & replace in the translations (preview, one undoable operation)'],
  ['q', 'QA report of the document (Enter on a finding jumps to it)'],
  ['h', 'history of the segment (Enter on a version restores it)'],
  ['s', 'split the segment at a position chosen in the source'],
  ['?', 'this help'],
];

const S = { docs: [], langs: [], doc: null, lang: null, src: null, refs: [], rows: [], view: [], pos: -1,
  editing: false, original: '', cache: new Map(), pending: null, undo: null, changes: null, busy: false };

function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const kid of kids.flat()) if (kid !== null && kid !== undefined) el.append(kid instanceof Node ? kid : String(kid));
  return el;
}
const trusted = (markup) => { const span = document.createElement('span'); span.innerHTML = markup; return span; };
const rtl = (code) => (S.langs.find((l) => l.code === code) || {}).rtl;
const dir = (code) => (rtl(code) ? 'rtl' : 'ltr');
const fold = (t) => (t || '').normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
const visible = () => root.offsetParent !== null;

// -- layout ------------------------------------------------------------------------------------
const docSel = h('select', { id: 'wb-doc', 'aria-label': 'Document' });
const langSel = h('select', { id: 'wb-lang', 'aria-label': 'Target language' });
const refBox = h('span', { class: 'wb-refs', id: 'wb-refs' });
const search = h('input', { type: 'search', id: 'wb-search', placeholder: 'Search (Ctrl+F)', 'aria-label': 'Search' });
const statusSel = h('select', { id: 'wb-filter', 'aria-label': 'Show' },
  ...['all', 'unconfirmed', 'flagged', 'untranslated', 'draft', 'translated', 'reviewed', 'approved'].map((s) => h('option', { value: s }, s)));
const progress = h('div', { class: 'wb-progress', id: 'wb-progress' });
const message = h('div', { class: 'wb-message', id: 'wb-message', role: 'status' });
const list = h('div', { class: 'wb-list', id: 'wb-list', role: 'listbox', 'aria-label': 'Segments' });
const ctxPanel = h('aside', { class: 'wb-context', id: 'wb-context', 'aria-live': 'polite' });
const replacePanel = h('div', { class: 'wb-panel', id: 'wb-replace', hidden: true });
const qaPanel = h('div', { class: 'wb-panel', id: 'wb-qa', hidden: true });
const splitPanel = h('div', { class: 'wb-panel', id: 'wb-split', hidden: true });
const help = h('div', { class: 'wb-overlay', id: 'wb-help', hidden: true, role: 'dialog', 'aria-label': 'Keyboard map' },
  h('div', { class: 'wb-help' }, h('h3', {}, 'Keyboard map'),
    h('table', {}, ...KEYMAP.map(([k, what]) => h('tr', {}, h('td', {}, h('kbd', {}, k)), h('td', {}, what)))),
    h('p', {}, 'Esc or ? closes this help.')));
root.replaceChildren(
  h('div', { class: 'wb-bar' },
    h('label', {}, 'Document', docSel), h('label', {}, 'Target', langSel),
    h('span', {}, 'Also show:', refBox), search, h('label', {}, 'Show', statusSel),
    h('button', { id: 'wb-replace-open', onclick: () => openReplace() }, 'Find & replace'),
    h('button', { id: 'wb-qa-open', onclick: () => openQa() }, 'QA report'),
    h('button', { id: 'wb-help-open', onclick: () => toggleHelp(true) }, '? Keys')),
  progress, message, replacePanel, qaPanel, splitPanel,
  h('div', { class: 'wb-main' }, list, ctxPanel), help);

function say(text, kind) {
  message.className = 'wb-message' + (kind ? ' ' + kind : '');
  message.replaceChildren(...(Array.isArray(text) ? text : [text || '']));
}

async function call(payload) {
  try {
    const answer = await server.wb(payload);
    return answer || { error: 'no answer from the server' };
  } catch (e) {
    return { error: 'the server did not answer: ' + (e && e.message ? e.message : e) };
  }
}

// -- documents and languages -------------------------------------------------------------------
async function init() {
  const answer = await call({ op: 'init' });
  if (answer.error) return say(answer.error, 'error');
  S.langs = answer.langs;
  fillDocs(answer.docs);
  langSel.replaceChildren(...S.langs.map((l) => h('option', { value: l.code }, `${l.code} — ${l.name}`)));
  refBox.replaceChildren(...S.langs.map((l) => h('label', {}, h('input', { type: 'checkbox', value: l.code, onchange: changed }), l.code)));
  const saved = JSON.parse(localStorage.getItem('wb-editor') || '{}');
  const doc = S.docs.find((d) => d.id === saved.doc) || S.docs[0];
  if (!doc) return say('No document yet: add one in the Documents tab.');
  docSel.value = String(doc.id);
  const lang = saved.doc === doc.id && saved.lang ? saved.lang : doc.languages.find((l) => l !== doc.lang) || (doc.lang === 'fr' ? 'en' : 'fr');
  langSel.value = lang;
  await load();
}

function fillDocs(docs) {
  const current = docSel.value;
  S.docs = docs;
  docSel.replaceChildren(...docs.map((d) => h('option', { value: String(d.id) }, `${d.id}: ${d.name} (${d.lang})`)));
  if (current && docs.some((d) => String(d.id) === current)) docSel.value = current;
}

async function refreshDocs() {  // a document uploaded in another tab appears without a reload
  const answer = await call({ op: 'init' });
  if (!answer.error) fillDocs(answer.docs);
}

function changed() { load(); }
docSel.addEventListener('focus', refreshDocs);
docSel.addEventListener('mousedown', refreshDocs);
docSel.addEventListener('change', changed);
langSel.addEventListener('change', changed);
statusSel.addEventListener('change', () => { applyView(); });
search.addEventListener('input', () => { applyView(); });
search.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' || e.key === 'Escape') { e.preventDefault(); e.stopPropagation(); root.focus(); if (S.view.length) go(0); }
});

async function load(focusId) {
  closeEditor(false);
  const refs = [...refBox.querySelectorAll('input:checked')].map((i) => i.value).filter((r) => r !== langSel.value);
  say('Loading…');
  const answer = await call({ op: 'load', doc: Number(docSel.value), lang: langSel.value, refs });
  if (answer.error) return say(answer.error, 'error');
  say('');
  localStorage.setItem('wb-editor', JSON.stringify({ doc: answer.doc, lang: answer.lang }));
  show(answer, focusId);
}

function show(answer, focusId) {
  S.doc = answer.doc; S.lang = answer.lang; S.src = answer.source_lang; S.refs = answer.refs;
  S.rows = answer.rows; S.progressAll = answer.progress; S.cache.clear();
  list.replaceChildren(...S.rows.map((r, i) => rowEl(r, i)));
  applyView(focusId);
  drawProgress();
}

// -- the segment list --------------------------------------------------------------------------
function rowEl(r, i) {
  const src = h('div', { class: 'src', dir: dir(S.src), lang: S.src }, r.source,
    ...S.refs.map((code) => h('span', { class: 'refline', dir: dir(code), lang: code }, `${code}: `, r.refs[code] || '—')));
  const el = h('div', { class: `wb-row st-${r.status}`, role: 'option', 'data-i': i, 'data-id': r.id, 'data-status': r.status },
    h('span', { class: 'num' }, r.n), src,
    h('div', { class: 'tgt', dir: dir(S.lang), lang: S.lang }, r.target),
    h('div', {}, h('span', { class: 'chip' }, r.status), r.flags.length ? h('span', { class: 'flagmark', title: r.flags.join('\n') }, `⚑ ${r.flags.length}`) : null));
  el.addEventListener('click', (e) => { if (e.target.tagName !== 'TEXTAREA') { const v = S.view.indexOf(i); if (v >= 0) go(v, true); } });
  return el;
}

function redrawRow(i) {
  const old = list.children[i];
  const el = rowEl(S.rows[i], i);
  el.classList.toggle('hidden', old.classList.contains('hidden'));
  el.classList.toggle('active', old.classList.contains('active'));
  old.replaceWith(el);
  return el;
}

function applyView(focusId) {
  const f = statusSel.value, needle = fold(search.value.trim());
  const keep = (r) => (f === 'all' || (f === 'flagged' ? r.flags.length > 0 : f === 'unconfirmed' ? r.status !== 'approved' : r.status === f))
    && (!needle || fold(r.source).includes(needle) || fold(r.target).includes(needle));
  const activeId = focusId ?? (S.pos >= 0 && S.view[S.pos] !== undefined ? S.rows[S.view[S.pos]]?.id : undefined);
  S.view = [];
  S.rows.forEach((r, i) => { const k = keep(r); list.children[i].classList.toggle('hidden', !k); if (k) S.view.push(i); });
  const at = S.view.findIndex((i) => S.rows[i].id === activeId);
  S.pos = -1;
  if (S.view.length) go(at >= 0 ? at : 0);
  else { ctxPanel.replaceChildren(h('p', {}, 'No segment matches.')); ctxPanel.removeAttribute('data-segment'); }
}

function drawProgress() {
  const counts = { untranslated: 0, draft: 0, translated: 0, reviewed: 0, approved: 0 };
  for (const r of S.rows) counts[r.status] = (counts[r.status] || 0) + 1;
  const total = S.rows.length || 1;
  const order = ['approved', 'reviewed', 'translated', 'draft', 'untranslated'];
  const others = Object.entries(S.progressAll || {}).filter(([l]) => l !== S.lang)
    .map(([l, c]) => `${l} ${Math.floor((100 * c.approved) / total)}%`).join(' · ');
  progress.replaceChildren(
    h('span', { class: 'wb-bar-track', title: 'approved / reviewed / translated / draft / untranslated' },
      ...order.map((s) => h('span', { class: `seg-${s}`, style: `width:${(100 * counts[s]) / total}%` }))),
    h('span', { id: 'wb-progress-text' }, `${S.lang}: ${counts.approved} approved, ${counts.reviewed} reviewed, ${counts.translated + counts.draft} translated, ${counts.untranslated} untranslated of ${S.rows.length}`),
    ...(others ? [h('span', { class: 'muted' }, `approved in other languages: ${others}`)] : []));
}

function current() { return S.pos >= 0 ? S.rows[S.view[S.pos]] : null; }
function currentEl() { return S.pos >= 0 ? list.children[S.view[S.pos]] : null; }

function go(v, edit) {
  if (v < 0 || v >= S.view.length) return;
  closeEditor(false);
  for (const el of list.querySelectorAll('.wb-row.active')) { el.classList.remove('active'); el.removeAttribute('aria-selected'); }
  S.pos = v;
  const el = currentEl();
  el.classList.add('active');
  el.setAttribute('aria-selected', 'true');
  el.scrollIntoView({ block: 'nearest' });
  showContext(current().id);
  if (edit) openEditor();
}

// -- the active segment's editor ---------------------------------------------------------------
function openEditor() {
  const r = current();
  if (!r || S.editing) return;
  const cell = currentEl().querySelector('.tgt');
  const area = h('textarea', { class: 'wb-input', dir: dir(S.lang), lang: S.lang, 'aria-label': `Translation of segment ${r.n}` });
  area.value = r.target;
  cell.replaceChildren(area, h('span', { class: 'hint', dir: 'ltr' }, 'Ctrl+Enter confirm · Ctrl+S save · Esc cancel · ? keys'));
  S.editing = true; S.original = r.target;
  area.focus({ preventScroll: true });
  currentEl().scrollIntoView({ block: 'nearest' });  // the editor is taller than the row was
  area.setSelectionRange(area.value.length, area.value.length);
}

function closeEditor(keepText) {
  if (!S.editing) return;
  S.editing = false;
  const el = currentEl();
  const r = current();
  if (el && r) el.querySelector('.tgt').replaceChildren(keepText ? keepText : r.target);
  root.focus({ preventScroll: true });
}

const area = () => (S.editing ? currentEl()?.querySelector('textarea.wb-input') : null);

function insert(text, whole) {
  const a = area();
  if (!a) return;
  a.focus();
  if (whole) a.select();
  // execCommand keeps the insertion on the textarea's own undo stack, so Ctrl+Z takes it back
  if (!document.execCommand('insertText', false, text)) a.setRangeText(text, a.selectionStart, a.selectionEnd, 'end');
}

async function commit({ confirm, override, move }) {
  const r = current();
  if (!r || S.busy) return;
  const a = area();
  const text = a ? a.value : r.target;
  if (!confirm && text === r.target) { if (move !== undefined) go(S.pos + move, true); return; }
  if (confirm && r.status === 'approved' && text === r.target) {  // nothing to write: just move on
    const next = S.view.findIndex((j, v) => v > S.pos && S.rows[j].status !== 'approved');
    return next >= 0 ? go(next, true) : say(`Segment ${r.n} is already approved.`);
  }
  if (confirm && r.status === 'untranslated' && !text.trim()) return say(`Segment ${r.n} has no translation to confirm.`, 'error');
  S.busy = true;
  const answer = await call({ op: 'save', id: r.id, lang: S.lang, text, version: r.version, confirm, override });
  S.busy = false;
  if (answer.override) {
    S.pending = r.id;
    return say([h('b', {}, `Segment ${r.n} not confirmed: `), answer.override.join('; '),
      '. Fix it, or press Ctrl+Shift+Enter to approve anyway (recorded).'], 'warn');
  }
  if (answer.conflict) {
    return say([h('b', {}, `Not saved: segment ${r.n} was changed by ${answer.conflict.who || 'someone'} meanwhile.`),
      h('br'), 'Their text: ', h('span', { dir: dir(S.lang) }, answer.conflict.theirs), h('br'), 'Your text: ',
      h('span', { dir: dir(S.lang) }, text)], 'conflict');
  }
  if (answer.error) return say(`Segment ${r.n}: ${answer.error}`, 'error');
  S.pending = null;
  const i = S.view[S.pos];
  S.rows[i] = answer.row;
  S.cache.set(r.id, answer.context);
  S.editing = false;
  redrawRow(i);
  drawProgress();
  say(confirm ? `Segment ${r.n} confirmed.` : `Segment ${r.n} saved.`);
  if (confirm) {
    const next = S.view.findIndex((j, v) => v > S.pos && S.rows[j].status !== 'approved');
    if (next >= 0) go(next, true); else showContext(r.id);
  } else if (move !== undefined) go(S.pos + move, true);
  else { showContext(r.id); openEditor(); }
}

// -- the context panel -------------------------------------------------------------------------
async function showContext(id) {
  let c = S.cache.get(id);
  if (!c) {
    c = await call({ op: 'context', id, lang: S.lang });
    if (c.error) return say(c.error, 'error');
    S.cache.set(id, c);
  }
  if (current()?.id === id) drawContext(current(), c);
  const next = S.view[S.pos + 1];  // read ahead: the next segment's context is ready when Ctrl+Enter moves on
  if (next !== undefined && !S.cache.has(S.rows[next].id)) {
    const nid = S.rows[next].id;
    call({ op: 'context', id: nid, lang: S.lang }).then((n) => { if (!n.error) S.cache.set(nid, n); });
  }
}

function drawContext(r, c) {
  const kids = [h('h3', {}, `Segment ${r.n} `, h('span', { class: 'muted' }, `${r.status}${r.origin ? ', ' + r.origin : ''}, v${c.version}`)),
    h('div', { class: 'ctx-source', dir: dir(S.src), lang: S.src }, trusted(c.source_html))];
  for (const code of S.refs) kids.push(h('div', { class: 'muted', dir: dir(code), lang: code }, `${code}: ${r.refs[code] || '—'}`));
  kids.push(h('h4', {}, 'Terms (Ctrl+1…9)'));
  kids.push(c.renderings.length ? h('ol', { class: 'ctx-terms' }, ...c.renderings.map((t, k) => h('li', {},
    h('span', { class: 'key' }, k < 9 ? `Ctrl+${k + 1}` : ''), `${t.source} → `, h('b', { dir: dir(S.lang) }, t.target),
    t.required ? h('span', { class: 'muted' }, ' (required)') : h('span', { class: 'muted' }, ' (suggested)'))))
    : h('p', { class: 'muted' }, 'No glossary term in this segment.'));
  kids.push(h('h4', {}, 'Memory (Alt+1…9)'));
  kids.push(c.matches.length ? h('ol', { class: 'ctx-matches' }, ...c.matches.map((m, k) => h('li', {},
    h('span', { class: 'key' }, `Alt+${k + 1}`), h('span', { class: 'score' }, `${m.score}%`), h('span', { class: 'muted' }, m.source),
    h('br'), h('span', { dir: dir(S.lang) }, m.target), h('span', { class: 'muted' }, ` (${m.origin})`))))
    : h('p', { class: 'muted' }, 'No memory match.'));
  kids.push(h('h4', {}, 'QA'));
  kids.push(c.flags.length ? h('ul', { class: 'ctx-flags' }, ...c.flags.map((f) => h('li', { class: `flag-${f.severity}` }, f.text)))
    : h('p', { class: 'muted' }, 'No finding.'));
  if (c.original !== null && c.original !== c.target) {
    kids.push(h('h4', {}, 'Machine / first version'), h('div', { dir: dir(S.lang) }, c.original),
      h('div', { class: 'ctx-diff', dir: dir(S.lang) }, trusted(c.diff_html)));
  }
  if (c.comments.length) kids.push(h('h4', {}, 'Comments'), h('ul', {}, ...c.comments.map((m) => h('li', {}, `${m.who || '?'}: ${m.text}`))));
  kids.push(h('h4', {}, 'History (h, then Enter restores)'));
  kids.push(h('ol', { class: 'ctx-history', reversed: true }, ...c.history.slice().reverse().map((v) => h('li', {},
    h('button', { class: 'restore', 'data-version': v.version, disabled: v.version === c.version,
      onclick: () => restore(v.version) }, v.version === c.version ? 'current' : `Restore v${v.version}`),
    ` ${v.who || 'machine or import'}, ${v.status}: `, h('span', { dir: dir(S.lang) }, v.text)))));
  kids.push(h('p', {}, h('button', { id: 'wb-split-open', onclick: () => openSplit() }, 'Split… (s)'), ' ',
    h('button', { id: 'wb-merge', onclick: () => merge() }, 'Merge with next')));
  ctxPanel.replaceChildren(...kids);
  ctxPanel.setAttribute('data-segment', String(r.id));
}

async function restore(version) {
  const r = current();
  const answer = await call({ op: 'restore', id: r.id, lang: S.lang, restore: version, version: r.version });
  if (answer.conflict) return say(`Not restored: segment ${r.n} was changed by ${answer.conflict.who || 'someone'} meanwhile.`, 'conflict');
  if (answer.error) return say(answer.error, 'error');
  const i = S.view[S.pos];
  S.rows[i] = answer.row; S.cache.set(r.id, answer.context);
  S.editing = false;
  redrawRow(i); drawProgress();
  say(`Segment ${r.n}: version ${version} restored.`);
  drawContext(S.rows[i], answer.context);
  root.focus();
}

// -- split, merge ------------------------------------------------------------------------------
function openSplit() {
  const r = current();
  if (!r) return;
  closeEditor(false);
  const source = h('textarea', { id: 'wb-split-source', readonly: true, dir: dir(S.src), lang: S.src, 'aria-label': 'Source: put the caret where to split' });
  source.value = r.source;
  const target = h('textarea', { id: 'wb-split-target', readonly: true, dir: dir(S.lang), lang: S.lang, 'aria-label': 'Translation: put the caret where to cut it' });
  target.value = r.target;
  const cut = h('input', { type: 'checkbox', id: 'wb-split-cut', checked: !!r.target });
  const go_ = h('button', { id: 'wb-split-go', onclick: () => doSplit(r, source, target, cut) }, 'Split');
  source.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); go_.click(); } });
  target.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); go_.click(); } });
  splitPanel.replaceChildren(h('b', {}, `Split segment ${r.n}: put the caret in the source where it splits (click or arrows), then Enter.`),
    source, h('label', {}, cut, ' cut the translation at its caret too (otherwise both halves go back for translation)'), target,
    go_, ' ', h('button', { onclick: () => closePanel(splitPanel) }, 'Cancel'));
  splitPanel.hidden = false;
  source.focus();
  source.setSelectionRange(Math.floor(r.source.length / 2), Math.floor(r.source.length / 2));
}

async function doSplit(r, source, target, cut) {
  const answer = await call({ op: 'split', id: r.id, lang: S.lang, offset: source.selectionStart, refs: S.refs,
    target_cut: cut.checked ? target.selectionStart : null, version: r.version,
    seen: [[r.id, r.source, r.version || 0]] });
  if (answer.error) return say(`Not split: ${answer.error}`, 'error');
  if (answer.conflict) return say(`Not split: segment ${r.n} was changed meanwhile.`, 'conflict');
  closePanel(splitPanel);
  show(answer, answer.focus);
  say(`Segment ${r.n} split in two; both halves checked again.`);
}

async function merge() {
  const r = current();
  const next = S.rows[S.view[S.pos] + 1];  // the store refuses the merge if either row changed since
  const seen = [r, ...(next ? [next] : [])].map((x) => [x.id, x.source, x.version || 0]);
  const answer = await call({ op: 'merge', id: r.id, lang: S.lang, refs: S.refs, seen });
  if (answer.error) return say(answer.error, 'error');
  show(answer, answer.focus);
  say(`Segment ${r.n} merged with the next one.`);
}

// -- find & replace, QA report -----------------------------------------------------------------
function openReplace() {
  const find = h('input', { type: 'text', id: 'wb-find', 'aria-label': 'Find (accents and case ignored)', placeholder: 'Find' });
  const repl = h('input', { type: 'text', id: 'wb-replacement', 'aria-label': 'Replace with', placeholder: 'Replace with' });
  const out = h('div', { id: 'wb-replace-preview' });
  const preview = async () => {
    const answer = await call({ op: 'preview', doc: S.doc, lang: S.lang, find: find.value, replace: repl.value });
    if (answer.error) return say(answer.error, 'error');
    S.changes = answer.changes;
    out.replaceChildren(h('p', {}, `${answer.changes.length} segment(s) would change.`),
      h('ol', {}, ...answer.changes.map((c) => h('li', {}, `${c.number}: `, h('del', { dir: dir(S.lang) }, c.old), ' → ', h('ins', { dir: dir(S.lang) }, c.new)))),
      h('button', { id: 'wb-replace-apply', onclick: apply, disabled: !answer.changes.length }, `Replace in ${answer.changes.length} segment(s)`));
  };
  const apply = async () => {
    const changes = (S.changes || []).map((c) => [c.segment_id, c.version, c.new]);
    const answer = await call({ op: 'replace', doc: S.doc, lang: S.lang, refs: S.refs, changes });
    if (answer.error) return say(answer.error, 'error');
    S.undo = answer.undo; S.changes = null;
    show(answer);
    out.replaceChildren(h('p', {}, `Replaced in ${answer.saved} segment(s)` + (answer.conflicts.length ? `; ${answer.conflicts.length} changed meanwhile, left alone.` : '.')),
      h('button', { id: 'wb-replace-undo', onclick: undoReplace }, 'Undo this replace'));
    say(`Replaced in ${answer.saved} segment(s).`);
  };
  const undoReplace = async () => {
    const answer = await call({ op: 'replace', doc: S.doc, lang: S.lang, refs: S.refs, changes: S.undo || [] });
    if (answer.error) return say(answer.error, 'error');
    S.undo = null;
    show(answer);
    out.replaceChildren(h('p', {}, `Undone in ${answer.saved} segment(s).`));
    say(`Replace undone in ${answer.saved} segment(s).`);
  };
  for (const input of [find, repl]) input.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); preview(); } });
  replacePanel.replaceChildren(h('b', {}, 'Find & replace in the translations '), find, ' ', repl, ' ',
    h('button', { id: 'wb-replace-preview-btn', onclick: preview }, 'Preview'), ' ', h('button', { onclick: () => closePanel(replacePanel) }, 'Close'), out);
  replacePanel.hidden = false;
  closeEditor(false);
  find.focus();
}

function openQa() {
  const items = [];
  S.rows.forEach((r, i) => r.flags.forEach((f) => items.push([i, r, f])));
  qaPanel.replaceChildren(h('b', {}, `QA report: ${items.length} finding(s) in ${S.rows.filter((r) => r.flags.length).length} segment(s). Enter jumps.`),
    h('ol', { id: 'wb-qa-list' }, ...items.map(([i, r, f]) => h('li', {}, h('button', { class: 'qa-jump', onclick: () => jump(i) }, `Segment ${r.n}`), ` ${f}`))),
    h('button', { onclick: () => closePanel(qaPanel) }, 'Close'));
  qaPanel.hidden = false;
  qaPanel.querySelector('button')?.focus();
}

function jump(i) {
  closePanel(qaPanel);
  if (!S.view.includes(i)) { statusSel.value = 'all'; search.value = ''; applyView(S.rows[i].id); }
  go(S.view.indexOf(i), true);
}

function closePanel(panel) { panel.hidden = true; root.focus({ preventScroll: true }); }
function toggleHelp(on) { help.hidden = !on; if (!on) root.focus({ preventScroll: true }); }

// -- the keyboard ------------------------------------------------------------------------------
document.addEventListener('keydown', (e) => {
  if (!visible() || (!S.rows.length && e.key !== '?')) return;
  if (e.target.tagName === 'BUTTON' && (e.key === 'Enter' || e.key === ' ')) return;  // the button's own action
  const inArea = e.target.classList && e.target.classList.contains('wb-input');
  const typing = !inArea && ['INPUT', 'TEXTAREA', 'SELECT'].includes(e.target.tagName);
  const digit = /^Digit[1-9]$/.test(e.code) ? Number(e.code.slice(5)) : 0;
  const stop = () => { e.preventDefault(); e.stopPropagation(); };
  if (!help.hidden) { if (e.key === 'Escape' || e.key === '?') { stop(); toggleHelp(false); } return; }
  if (e.key === 'Escape') {
    for (const panel of [splitPanel, replacePanel, qaPanel]) if (!panel.hidden && panel.contains(e.target)) { stop(); return closePanel(panel); }
    if (S.editing) { stop(); closeEditor(false); say(''); return; }
  }
  if (inArea) {
    if (e.key === 'Enter' && e.ctrlKey) { stop(); return commit({ confirm: true, override: e.shiftKey && S.pending === current()?.id }); }
    if (e.key === 'Enter') { stop(); return say('A segment is one line: no line break (Ctrl+Enter confirms).', 'warn'); }
    if ((e.key === 's' || e.key === 'S') && e.ctrlKey) { stop(); return commit({ confirm: false }); }
    if (e.ctrlKey && (e.key === 'ArrowDown' || e.key === 'ArrowUp')) { stop(); return commit({ confirm: false, move: e.key === 'ArrowDown' ? 1 : -1 }); }
    if (digit && e.ctrlKey && !e.altKey) { stop(); const t = S.cache.get(current().id)?.renderings[digit - 1]; if (t) insert(t.target); return; }
    if (digit && e.altKey && !e.ctrlKey) { stop(); const m = S.cache.get(current().id)?.matches[digit - 1]; if (m) insert(m.target, true); return; }
    return;
  }
  if (typing) return;
  const key = e.key;
  if (key === '?') { stop(); return toggleHelp(true); }
  if (e.ctrlKey && (key === 'f' || key === 'F') && !e.shiftKey || key === '/') { stop(); search.focus(); return search.select(); }
  if (e.ctrlKey && e.shiftKey && (key === 'F' || key === 'f')) {
    stop();
    const n = S.view.findIndex((i, v) => v > S.pos && S.rows[i].flags.length);
    return n >= 0 ? go(n) : say('No flagged segment below this one.');
  }
  if (e.ctrlKey && (key === 'h' || key === 'H')) { stop(); return openReplace(); }
  if (e.ctrlKey && key === 'Enter') { stop(); return commit({ confirm: true, override: e.shiftKey && S.pending === current()?.id }); }
  if (e.ctrlKey || e.altKey || e.metaKey) return;
  const moves = { ArrowDown: 1, j: 1, ArrowUp: -1, k: -1, PageDown: 10, PageUp: -10 };
  if (key in moves) { stop(); return go(Math.max(0, Math.min(S.view.length - 1, S.pos + moves[key]))); }
  if (key === 'Home') { stop(); return go(0); }
  if (key === 'End') { stop(); return go(S.view.length - 1); }
  if (key === 'Enter') { stop(); return openEditor(); }
  if (key === 'q') { stop(); return openQa(); }
  if (key === 's') { stop(); return openSplit(); }
  if (key === 'h') { stop(); ctxPanel.querySelector('.ctx-history button:not([disabled])')?.focus(); return; }
}, true);

root.addEventListener('paste', (e) => {  // a pasted line break becomes a space: one segment, one line
  if (!e.target.classList.contains('wb-input')) return;
  const text = (e.clipboardData || window.clipboardData).getData('text');
  if (/[\r\n]/.test(text)) { e.preventDefault(); insert(text.replace(/\s*[\r\n]+\s*/g, ' ')); }
});

init();
