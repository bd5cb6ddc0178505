// The DOM component of a panel of parallel calls: the summary line, the latency
// waterfall and one row per call.
//
// Built for hundreds of rows streaming at once: the state tells the view which
// rows changed; the view collects them and redraws only those, all in one
// animation frame however many messages arrived in between. Collapsed rows
// update their header and a plain-text preview (no Markdown); the waterfall
// redraws changed bars and bars in progress. Clicks are delegated: one listener
// for all rows, none per bar.

import { renderMarkdownFragment } from "./markdown.js";
import { make, setAttr } from "./dom.js";
import { createFrameLoop, viewClock } from "./frame_loop.js";
import { createPanelRow } from "./panel_row.js";
import { createSummaryView } from "./summary_view.js";
import { createWaterfall } from "./waterfall_view.js";
import { summaryTexts } from "./panel_summary.js";
import { anyActive, clockAt } from "./panel_reducer.js";

/**
 * @typedef {import("./frame_loop.js").ViewEnv} ViewEnv
 * @typedef {import("./panel_state.js").PanelChange} PanelChange
 * @typedef {import("./panel_reducer.js").PanelData} PanelData
 * @typedef {import("./panel_row.js").PanelRow} PanelRow
 */

/**
 * What the view reads (a PanelState, or a test double).
 * @typedef {object} PanelSource
 * @property {PanelData} data
 * @property {boolean} running
 * @property {boolean} showText
 */

/**
 * @typedef {object} PanelViewOptions
 * @property {Document} doc
 * @property {PanelSource} source
 * @property {() => void} onCancelAll
 * @property {(row: number) => void} onCancelRow
 * @property {(row: number) => void} onRetryRow
 * @property {ViewEnv} [env]
 */

/** Panels with at most this many rows show every answer expanded (unless show_text is false). */
export const AUTO_EXPAND_MAX = 4;

/**
 * Markdown work per animation frame, shared by all expanded rows (ms). Once spent,
 * the remaining rows wait for the next frame.
 */
const MARKDOWN_BUDGET_MS = 8;

/** Rows whose DOM is built in one animation frame. */
const ROWS_PER_FRAME = 50;

/**
 * @param {PanelViewOptions} options
 */
export function createPanelView({ doc, source, onCancelAll, onCancelRow, onRetryRow, env = {} }) {
  const { now } = viewClock(env);
  const render = env.render ?? renderMarkdownFragment;
  const data = source.data;

  const root = make(doc, "div", "nbstream nbstream-panel");
  root.setAttribute("role", "group");
  root.setAttribute("aria-label", "Claude parallel calls");
  const summary = createSummaryView(doc);
  const waterfallWrap = make(doc, "div", "nbstream-wf");
  const waterfall = createWaterfall(doc);
  const legend = make(doc, "div", "nbstream-wf-legend");
  legend.setAttribute("aria-hidden", "true");
  for (const name of ["queued", "waiting", "generating"]) {
    const key = make(doc, "span", `nbstream-wf-key nbstream-wf-key-${name}`, name === "waiting" ? "waiting for first token" : name);
    legend.append(key);
  }
  waterfallWrap.append(waterfall.el, legend);
  const rowsEl = make(doc, "div", "nbstream-rows");
  rowsEl.setAttribute("role", "list");
  root.append(summary.el, waterfallWrap, rowsEl);

  /** @type {PanelRow[]} */
  const rows = [];
  /** The user's expand/collapse choice per row (overrides the automatic one). */
  /** @type {Map<number, boolean>} */
  const choice = new Map();
  /** Rows to redraw on the next frame. */
  /** @type {Set<number>} */
  const dirty = new Set();
  let allDirty = true;
  /** Rows that need periodic redraws (clock, countdown, held button). */
  /** @type {Set<number>} */
  const ticking = new Set();
  /** Expanded rows whose Markdown has more work. */
  /** @type {Set<number>} */
  const pending = new Set();
  let summaryTicking = false;
  let shownClock = 0;

  const loop = createFrameLoop(env, () => flush(), () => {
    for (const i of ticking) dirty.add(i);
  });
  const { invalidate } = loop;

  /** @param {PanelChange} change */
  function onChange(change) {
    if (change.rows === null) allDirty = true;
    else for (const i of change.rows) dirty.add(i);
    invalidate();
  }

  /** Create the components of rows that appeared (and drop those of rows that went away). */
  function syncRows() {
    while (rows.length > data.rows.length) {
      const row = /** @type {PanelRow} */ (rows.pop());
      row.destroy();
      row.el.remove();
      for (const set of [dirty, ticking, pending]) set.delete(row.index);
    }
    if (rows.length === data.rows.length) return;
    // A few hundred rows are built over a few frames, so no single task builds them all.
    const end = Math.min(data.rows.length, rows.length + ROWS_PER_FRAME);
    const frag = doc.createDocumentFragment();
    for (let i = rows.length; i < end; i++) {
      const row = createPanelRow(doc, i, { render, now });
      rows.push(row);
      frag.append(row.el);
      dirty.add(i);
    }
    rowsEl.append(frag);
    if (rows.length < data.rows.length) invalidate();
  }

  /** @param {number} i */
  function wantsExpanded(i) {
    const c = choice.get(i);
    if (c !== undefined) return c;
    return source.showText && data.rows.length <= AUTO_EXPAND_MAX;
  }

  /**
   * @param {number} i
   * @param {number} t
   * @param {boolean} markdown
   */
  function drawRow(i, t, markdown) {
    const row = rows[i];
    const d = data.rows[i];
    if (!row || !d) return;
    row.setExpanded(wantsExpanded(i));
    const r = row.draw(d, t, markdown);
    if (r.ticking) ticking.add(i);
    else ticking.delete(i);
    if (r.more) pending.add(i);
    else pending.delete(i);
  }

  /**
   * Draw everything that changed. Called from an animation frame.
   *
   * @param {boolean} [markdown]  false: no Markdown rendering in this call (the first, synchronous draw)
   */
  function flush(markdown = true) {
    const t = now();
    const running = source.running;
    // A row retried after the end runs on its own: the clock and its bar move again.
    const live = running || anyActive(data);
    let clock = clockAt(data, live, t);
    if (live) clock = Math.max(clock, shownClock);
    shownClock = live ? clock : 0;

    syncRows();
    /** @type {Iterable<number> | null} */
    let changed;
    for (const i of pending) dirty.add(i);
    let spent = 0;
    /** @param {number} i */
    const draw = (i) => {
      if (!wantsExpanded(i)) {
        drawRow(i, t, markdown);
        return;
      }
      // Markdown of expanded rows: one shared budget per frame (at least one row progresses).
      const t1 = now();
      drawRow(i, t, markdown && spent < MARKDOWN_BUDGET_MS);
      spent += now() - t1;
    };
    if (allDirty) {
      for (let i = 0; i < rows.length; i++) draw(i);
      changed = null;
    } else {
      for (const i of dirty) draw(i);
      changed = Array.from(dirty);
    }
    allDirty = false;
    dirty.clear();

    drawSummary(t, running, clock);
    waterfall.draw(data.rows, clock, changed, live);

    loop.setTicking(live || summaryTicking || ticking.size > 0);
    if (pending.size) invalidate();
  }

  /**
   * @param {number} t
   * @param {boolean} running
   * @param {number} clock
   */
  function drawSummary(t, running, clock) {
    let costExact = !running;
    let cacheRead = 0;
    for (const r of data.rows) {
      if (typeof r.stats.cost === "number" && !r.stats.cost_exact) costExact = false;
      cacheRead += Number(r.stats.cache_read_tokens) || 0;
    }
    const wall = data.summary.wall;
    const s = summaryTexts(data.summary, {
      running,
      // at the end, the wall time is the summary's own (the speed-up it states matches it)
      wall: !running && typeof wall === "number" ? wall : clock,
      costExact,
      summaryAt: data.summaryAt,
      pollAt: data.pollAt,
      now: t,
      rowCount: data.rows.length,
      cacheRead,
    });
    setAttr(root, "data-status", running ? "running" : "done");
    setAttr(root, "data-done", String(s.done));
    setAttr(root, "data-total", String(s.total));
    summaryTicking = summary.draw(s, running, t);
  }

  /** @param {Event} ev */
  function onRowsClick(ev) {
    if (loop.destroyed) return;
    const target = /** @type {Element | null} */ (ev.target);
    const btn = /** @type {HTMLButtonElement | null} */ (target?.closest?.("button") ?? null);
    if (!btn || btn.disabled || !rowsEl.contains(btn)) return;
    const rowEl = btn.closest(".nbstream-row");
    const i = Number(rowEl?.getAttribute("data-row"));
    const row = rows[i];
    if (!row || row.el !== rowEl) return;
    const t = now();
    if (btn.classList.contains("nbstream-cancel")) {
      row.pressCancel(t);
      onCancelRow(i);
    } else if (btn.classList.contains("nbstream-retry")) {
      row.pressRetry(t);
      onRetryRow(i);
    } else if (btn.classList.contains("nbstream-expand")) {
      choice.set(i, !wantsExpanded(i));
    } else {
      return;
    }
    dirty.add(i);
    invalidate();
  }

  function onCancelAllClick() {
    if (loop.destroyed) return;
    summary.pressCancelAll(now());
    onCancelAll();
    invalidate();
  }

  // Explicit add/remove rather than an AbortSignal option (see stream_view.js).
  rowsEl.addEventListener("click", onRowsClick);
  summary.cancelAllBtn.addEventListener("click", onCancelAllClick);

  // Summary, waterfall and rows are correct from the start; the Markdown of
  // expanded rows follows on animation frames.
  flush(false);

  return {
    /** The root element (div.nbstream.nbstream-panel). */
    el: root,
    /** Subscribe this to the panel state. */
    onChange,
    /** Request a redraw on the next animation frame. */
    invalidate,
    /** Redraw now (tests; normally called from an animation frame). */
    flush: () => flush(),
    /** Row components (tests). */
    rows,
    /** The waterfall component (tests). */
    waterfall,
    destroy() {
      if (loop.destroyed) return;
      loop.destroy();
      rowsEl.removeEventListener("click", onRowsClick);
      summary.cancelAllBtn.removeEventListener("click", onCancelAllClick);
      waterfall.destroy();
      for (const row of rows) row.destroy();
    },
  };
}

/** @typedef {ReturnType<typeof createPanelView>} PanelView */
