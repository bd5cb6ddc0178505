// The summary line of a panel: progress (text and bar), counts by status, total
// tokens and cost, TTFT and duration percentiles, wall time vs summed time, the
// shared rate-limit pause, and "Cancel all" ("Cancel batch" for a panel run as a
// Message Batch, whose line then follows). Texts come from panel_summary.js.

import { make, makeButton, makeFigure, setAttr, setDisabled, setHidden, setText } from "./dom.js";
import { BUTTON_HOLD_MS } from "./stream_header.js";

/** @typedef {import("./panel_summary.js").SummaryTexts} SummaryTexts */

/**
 * @param {Document} doc
 */
export function createSummaryView(doc) {
  const el = make(doc, "div", "nbstream-summary");
  const main = make(doc, "div", "nbstream-header");
  const statusEl = make(doc, "span", "nbstream-status");
  statusEl.setAttribute("role", "status");
  const progressText = make(doc, "span", "nbstream-progress-text");
  const progress = make(doc, "div", "nbstream-progress");
  progress.setAttribute("role", "progressbar");
  progress.setAttribute("aria-label", "Calls finished");
  progress.setAttribute("aria-valuemin", "0");
  const fill = make(doc, "div", "nbstream-progress-fill");
  progress.append(fill);
  const countsEl = make(doc, "span", "nbstream-counts");
  const pausedEl = make(doc, "span", "nbstream-paused");
  pausedEl.setAttribute("role", "status");
  const actions = make(doc, "span", "nbstream-actions");
  const cancelAllBtn = makeButton(doc, "nbstream-cancel-all", "Cancel all", "Cancel all calls");
  actions.append(cancelAllBtn);
  main.append(statusEl, progressText, progress, countsEl, pausedEl, actions);

  const batchEl = make(doc, "div", "nbstream-batch");
  batchEl.hidden = true;

  const stats = make(doc, "div", "nbstream-summary-stats");
  const tokensEl = makeFigure(doc, "nbstream-sum-tokens", "input and output tokens, all rows");
  const costEl = makeFigure(doc, "nbstream-sum-cost", "total cost");
  const ttftEl = makeFigure(doc, "nbstream-sum-ttft", "time to first token, median and 95th percentile");
  const durationEl = makeFigure(doc, "nbstream-sum-duration", "duration of a call, median and 95th percentile");
  const wallEl = makeFigure(
    doc,
    "nbstream-sum-wall",
    "time since the panel started vs the durations of all calls added up: the speed-up of running them concurrently",
  );
  const concurrencyEl = makeFigure(doc, "nbstream-sum-concurrency", "calls in flight / concurrency limit");
  stats.append(tokensEl, costEl, ttftEl, durationEl, wallEl, concurrencyEl);
  el.append(main, batchEl, stats);

  let holdUntil = -Infinity;
  let lastRunning = /** @type {boolean | null} */ (null);
  let lastFill = "";
  let lastBatch = /** @type {boolean | null} */ (null);

  return {
    el,
    cancelAllBtn,
    progress,

    /** @param {number} t */
    pressCancelAll(t) {
      holdUntil = t + BUTTON_HOLD_MS;
      cancelAllBtn.disabled = true;
    },

    /**
     * @param {SummaryTexts} s
     * @param {boolean} running
     * @param {number} t
     * @returns {boolean} whether something needs a periodic redraw (pause or batch countdown, held button)
     */
    draw(s, running, t) {
      if (running !== lastRunning) {
        holdUntil = -Infinity;
        lastRunning = running;
      }
      setText(statusEl, running ? "running" : "done");
      setText(progressText, s.progress);
      setAttr(progress, "aria-valuenow", String(s.done));
      setAttr(progress, "aria-valuemax", String(s.total));
      setAttr(progress, "aria-valuetext", s.progress);
      const width = `${s.total > 0 ? ((100 * s.done) / s.total).toFixed(1) : running ? "0.0" : "100.0"}%`;
      if (width !== lastFill) {
        lastFill = width;
        fill.style.width = width;
      }
      setText(countsEl, s.counts);
      setText(pausedEl, s.paused);
      setText(batchEl, s.batchLine);
      if (s.batchIds) setAttr(batchEl, "title", s.batchIds);
      else if (batchEl.hasAttribute("title")) batchEl.removeAttribute("title");
      if (s.batch !== lastBatch) {
        // A batch is cancelled as a whole, through the API.
        lastBatch = s.batch;
        cancelAllBtn.textContent = s.batch ? "Cancel batch" : "Cancel all";
        cancelAllBtn.setAttribute("aria-label", s.batch ? "Cancel batch" : "Cancel all calls");
      }
      setText(tokensEl, s.tokens);
      setText(costEl, s.cost);
      setText(ttftEl, s.ttft);
      setText(durationEl, s.duration);
      setText(wallEl, s.wall);
      setText(concurrencyEl, s.concurrency);
      setHidden(cancelAllBtn, !running);
      setDisabled(cancelAllBtn, t < holdUntil);
      return s.paused !== "" || s.batchTicking || t < holdUntil;
    },
  };
}

/** @typedef {ReturnType<typeof createSummaryView>} SummaryView */
