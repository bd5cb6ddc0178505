// The header line of one stream: status, waiting dots, model, SIMULATED badge,
// the stats (tokens, TTFT, rate, elapsed, cost, prompt cache, model turns), the
// notice with the retry countdown, and the Cancel / Retry buttons. Shared by the "stream" view and by
// every row of a "panel" view, so both speak the same widget vocabulary.
//
// It owns no listeners: the caller wires the buttons (directly, or by event
// delegation for hundreds of rows) and calls `pressCancel` / `pressRetry`.

import { make, makeButton, makeFigure, setAttr, setDisabled, setHidden, setText } from "./dom.js";
import {
  formatCache, formatCost, formatInt, formatRate, formatSeconds, formatTokens, formatTurns, isActive, isRunning, retryLeft,
  statusLabel,
} from "./format.js";

/** @typedef {import("./stream_state.js").Stats} Stats */

/**
 * Everything the header shows.
 * @typedef {object} HeaderState
 * @property {string} status
 * @property {string} model
 * @property {boolean} simulated
 * @property {string[]} [settings]  the request's non-default parameters, shown after the model
 * @property {Stats} stats
 * @property {number} statsAt     local time (ms) when `stats` arrived
 * @property {string} notice
 * @property {number} retryIn     seconds, as last received
 * @property {number} retryAt     local time (ms) when `retryIn` arrived
 * @property {boolean} canRetry
 * @property {boolean} [canCancel]  false hides Cancel (a request of a Message Batch); default true
 * @property {boolean} hasText    some text arrived (hides the waiting dots)
 */

/**
 * @typedef {object} HeaderOptions
 * @property {string} [cancelLabel]   accessible name of Cancel
 * @property {string} [retryLabel]    accessible name of Retry
 * @property {Node[]} [lead]          nodes placed before the status (a panel row's toggle and label)
 */

/** A click on Cancel/Retry disables the button this long, or until the status changes. */
export const BUTTON_HOLD_MS = 3000;

/**
 * Output tokens as a non-negative integer.
 *
 * @param {Stats | undefined} stats
 */
export function outputTokens(stats) {
  return Math.max(0, Math.round(Number(stats?.output_tokens) || 0));
}

/**
 * @param {Document} doc
 * @param {HeaderOptions} [options]
 */
export function createHeader(doc, options = {}) {
  const el = make(doc, "div", "nbstream-header");
  const statusEl = make(doc, "span", "nbstream-status");
  statusEl.setAttribute("role", "status");
  const waitingEl = make(doc, "span", "nbstream-waiting");
  waitingEl.setAttribute("aria-hidden", "true");
  waitingEl.append(make(doc, "i", ""), make(doc, "i", ""), make(doc, "i", ""));
  const modelEl = make(doc, "span", "nbstream-model");
  const simulatedEl = make(doc, "span", "nbstream-simulated", "SIMULATED");
  simulatedEl.title = "Simulated output from the offline simulator, not from the API";
  simulatedEl.hidden = true;
  const settingsEl = make(doc, "span", "nbstream-settings");
  settingsEl.hidden = true;
  const statsEl = make(doc, "span", "nbstream-stats");
  const tokensEl = make(doc, "span", "nbstream-tokens");
  const ttftEl = makeFigure(doc, "nbstream-ttft", "time to first token");
  const rateEl = makeFigure(doc, "nbstream-rate", "output tokens per second");
  const elapsedEl = makeFigure(doc, "nbstream-elapsed", "elapsed time");
  const costEl = make(doc, "span", "nbstream-cost");
  const cacheEl = make(doc, "span", "nbstream-cache");
  cacheEl.hidden = true;
  const turnsEl = makeFigure(doc, "nbstream-turns", "model turns (the model called tools between them)");
  turnsEl.hidden = true;
  const textAfterEl = makeFigure(doc, "nbstream-ttft-text", "time to the first text of the answer (the model thought or ran server tools first)");
  const truncatedEl = makeFigure(doc, "nbstream-truncated", "the reply stopped at max_tokens: it is cut short");
  statsEl.append(tokensEl, ttftEl, textAfterEl, rateEl, elapsedEl, costEl, cacheEl, turnsEl, truncatedEl);
  const noticeEl = make(doc, "span", "nbstream-notice");
  const actions = make(doc, "span", "nbstream-actions");
  const cancelBtn = makeButton(doc, "nbstream-cancel", "Cancel", options.cancelLabel ?? "Cancel generation");
  const retryBtn = makeButton(doc, "nbstream-retry", "Retry", options.retryLabel ?? "Retry generation");
  actions.append(cancelBtn, retryBtn);
  el.append(...(options.lead ?? []), statusEl, waitingEl, modelEl, simulatedEl, settingsEl, statsEl, noticeEl, actions);

  let shownElapsed = 0;
  let cancelHoldUntil = -Infinity;
  let retryHoldUntil = -Infinity;
  let lastStatus = "";
  let lastDetail = "";
  let lastCostTitle = "";
  let lastCache = "";

  return {
    el,
    cancelBtn,
    retryBtn,

    /** @param {number} t  current time (ms) */
    pressCancel(t) {
      cancelHoldUntil = t + BUTTON_HOLD_MS;
      cancelBtn.disabled = true;
    },

    /** @param {number} t */
    pressRetry(t) {
      retryHoldUntil = t + BUTTON_HOLD_MS;
      retryBtn.disabled = true;
    },

    /**
     * Draw the header (cheap: only what changed is written).
     *
     * @param {HeaderState} s
     * @param {number} t  current time (ms)
     * @returns {boolean} whether something needs a periodic redraw (elapsed time, countdown, held button)
     */
    draw(s, t) {
      const active = isActive(s.status);
      const running = isRunning(s.status);
      const stats = s.stats ?? {};
      const tokens = outputTokens(stats);

      if (s.status !== lastStatus) {
        // A new status re-enables buttons disabled by a click.
        cancelHoldUntil = -Infinity;
        retryHoldUntil = -Infinity;
        lastStatus = s.status;
      }

      setText(statusEl, statusLabel(s.status));
      setHidden(waitingEl, !(active && tokens === 0 && !s.hasText));
      setText(modelEl, s.model);
      setHidden(simulatedEl, !s.simulated);
      const settings = (s.settings ?? []).join(" · ");
      setText(settingsEl, settings);
      setHidden(settingsEl, !settings);

      const thinking = typeof stats.thinking_tokens === "number" && stats.thinking_tokens > 0 ? stats.thinking_tokens : 0;
      setText(tokensEl, formatTokens(tokens, !!stats.tokens_exact) + (thinking ? ` (${formatInt(thinking)} thinking)` : ""));
      const detail = `${tokens}|${stats.tokens_exact}|${stats.input_tokens}|${stats.cache_read_tokens}|${stats.cache_write_tokens}|${thinking}`;
      if (detail !== lastDetail) {
        lastDetail = detail;
        const parts = [`${formatInt(tokens)} output tokens${stats.tokens_exact ? "" : " (estimated)"}`];
        if (typeof stats.input_tokens === "number") parts.push(`${formatInt(stats.input_tokens)} input tokens`);
        if (stats.cache_read_tokens) parts.push(`${formatInt(stats.cache_read_tokens)} cache read`);
        if (stats.cache_write_tokens) parts.push(`${formatInt(stats.cache_write_tokens)} cache write`);
        if (thinking) parts.push(`${formatInt(thinking)} of the output tokens were thinking`);
        setAttr(tokensEl, "title", parts.join(", "));
      }
      // The successful attempt's TTFT, and when retries made the first token come later, since the start.
      const later = typeof stats.ttft_total === "number" ? ` (${formatSeconds(stats.ttft_total)} from the start)` : "";
      setText(ttftEl, typeof stats.ttft === "number" ? `TTFT ${formatSeconds(stats.ttft)}${later}` : "");
      setText(textAfterEl, typeof stats.text_after === "number" ? `first text ${formatSeconds(stats.text_after)}` : "");
      setText(truncatedEl, stats.truncated ? "truncated" : "");
      setText(rateEl, formatRate(stats.rate));

      let elapsed = Number(stats.elapsed) || 0;
      if (running) {
        elapsed += Math.max(0, (t - s.statsAt) / 1000);
        elapsed = Math.max(elapsed, shownElapsed);
      }
      shownElapsed = running ? elapsed : 0;
      setText(elapsedEl, formatSeconds(elapsed));
      // With a budget set: the spend against it ("$0.04 of $0.10 budget", written by the kernel).
      const budget = typeof stats.budget === "string" && stats.budget ? ` · ${stats.budget}` : "";
      // A replayed or recorded reply: no request was sent; what it cost when it was made, beside its $0.
      const replay = typeof stats.replay === "string" && stats.replay
        ? ` · ${stats.replay.toUpperCase()} · was ${formatCost(stats.original_cost, true, false)}` : "";
      setText(costEl, formatCost(stats.cost, !!stats.cost_exact, !!stats.cost_local) + replay + budget);
      const costTitle = stats.cost_local ? "a model on this machine: no API cost" : stats.cost_exact ? "cost" : "estimated cost";
      if (costTitle !== lastCostTitle) {
        lastCostTitle = costTitle;
        costEl.setAttribute("title", costTitle);
      }
      const cache = `${stats.cache_read_tokens}|${stats.cache_write_tokens}|${stats.cache_saved}|${stats.cost_exact}`;
      if (cache !== lastCache) {
        lastCache = cache;
        const text = formatCache(stats.cache_read_tokens, stats.cache_write_tokens, stats.cache_saved, !!stats.cost_exact);
        setText(cacheEl, text);
        if (text) setAttr(cacheEl, "title", "prompt cache: tokens read from and written to the cache; the saving is against the uncached price");
      }
      setText(turnsEl, formatTurns(stats.turns));

      const left = retryLeft(s.retryIn, s.retryAt, t);
      const notice = [s.notice, left > 0 ? `retrying in ${left} s` : ""].filter(Boolean).join(" · ");
      setText(noticeEl, notice);

      setHidden(cancelBtn, !active || s.canCancel === false);
      setDisabled(cancelBtn, t < cancelHoldUntil);
      setHidden(retryBtn, !s.canRetry);
      setDisabled(retryBtn, t < retryHoldUntil);
      return running || left > 0 || t < cancelHoldUntil || t < retryHoldUntil;
    },
  };
}

/** @typedef {ReturnType<typeof createHeader>} Header */
