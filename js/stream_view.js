// The DOM component for one stream: header (status, stats, badges, buttons),
// error line and the rendered text. Used by the "stream" view, and meant to be
// reused for each row of a panel of streams.
//
// It reads everything from a `source` (see stream_state.js) and redraws on the
// next animation frame after `invalidate()`, at most once per frame however many
// messages arrived in between.

import { createLiveText } from "./live_text.js";
import { renderMarkdownFragment } from "./markdown.js";
import { formatCost, formatRate, formatSeconds, formatTokens, formatInt, isActive, isRunning, statusLabel } from "./format.js";

/** @typedef {import("./stream_state.js").StreamSnapshot} StreamSnapshot */

/**
 * @typedef {object} ViewEnv
 * @property {(cb: FrameRequestCallback) => number} [raf]
 * @property {(id: number) => void} [caf]
 * @property {() => number} [now]
 * @property {(src: string) => DocumentFragment} [render]
 * @property {number} [tickMs]     how often the elapsed time / countdown is refreshed
 */

/**
 * @typedef {object} StreamViewOptions
 * @property {Document} doc
 * @property {{snapshot(): StreamSnapshot}} source
 * @property {() => void} onCancel
 * @property {() => void} onRetry
 * @property {ViewEnv} [env]
 */

/** A click on Cancel/Retry disables the button this long, or until the status changes. */
const BUTTON_HOLD_MS = 3000;

/**
 * @param {Document} doc
 * @param {string} tag
 * @param {string} className
 * @param {string} [text]
 */
function make(doc, tag, className, text) {
  const el = doc.createElement(tag);
  el.className = className;
  if (text !== undefined) el.textContent = text;
  return el;
}

/**
 * @param {HTMLElement} el
 * @param {string} text
 */
function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
  const hide = text === "";
  if (el.hidden !== hide) el.hidden = hide;
}

/**
 * @param {HTMLElement} el
 * @param {string} name
 * @param {string} value
 */
function setAttr(el, name, value) {
  if (el.getAttribute(name) !== value) el.setAttribute(name, value);
}

/**
 * @param {StreamViewOptions} options
 */
export function createStreamView({ doc, source, onCancel, onRetry, env = {} }) {
  const raf = env.raf ?? ((cb) => (globalThis.requestAnimationFrame ?? ((f) => setTimeout(() => f(Date.now()), 16)))(cb));
  const caf = env.caf ?? ((id) => (globalThis.cancelAnimationFrame ?? clearTimeout)(id));
  const now = env.now ?? (() => globalThis.performance.now());
  const tickMs = env.tickMs ?? 100;

  const root = make(doc, "div", "nbstream");
  root.setAttribute("role", "group");
  root.setAttribute("aria-label", "Claude response");

  const header = make(doc, "div", "nbstream-header");
  const statusEl = make(doc, "span", "nbstream-status");
  statusEl.setAttribute("role", "status");
  const waitingEl = make(doc, "span", "nbstream-waiting");
  waitingEl.setAttribute("aria-hidden", "true");
  waitingEl.append(make(doc, "i", ""), make(doc, "i", ""), make(doc, "i", ""));
  const modelEl = make(doc, "span", "nbstream-model");
  const simulatedEl = make(doc, "span", "nbstream-simulated", "SIMULATED");
  simulatedEl.title = "Simulated output from the offline simulator, not from the API";
  const statsEl = make(doc, "span", "nbstream-stats");
  const tokensEl = make(doc, "span", "nbstream-tokens");
  const ttftEl = make(doc, "span", "nbstream-ttft");
  ttftEl.title = "time to first token";
  const rateEl = make(doc, "span", "nbstream-rate");
  rateEl.title = "output tokens per second";
  const elapsedEl = make(doc, "span", "nbstream-elapsed");
  elapsedEl.title = "elapsed time";
  const costEl = make(doc, "span", "nbstream-cost");
  statsEl.append(tokensEl, ttftEl, rateEl, elapsedEl, costEl);
  const noticeEl = make(doc, "span", "nbstream-notice");
  const actions = make(doc, "span", "nbstream-actions");
  const cancelBtn = /** @type {HTMLButtonElement} */ (make(doc, "button", "nbstream-cancel", "Cancel"));
  cancelBtn.type = "button";
  cancelBtn.setAttribute("aria-label", "Cancel generation");
  const retryBtn = /** @type {HTMLButtonElement} */ (make(doc, "button", "nbstream-retry", "Retry"));
  retryBtn.type = "button";
  retryBtn.setAttribute("aria-label", "Retry generation");
  actions.append(cancelBtn, retryBtn);
  header.append(statusEl, waitingEl, modelEl, simulatedEl, statsEl, noticeEl, actions);

  const errorEl = make(doc, "div", "nbstream-error");
  errorEl.setAttribute("role", "alert");
  const textEl = make(doc, "div", "nbstream-text");
  root.append(header, errorEl, textEl);

  const live = createLiveText(textEl, { render: env.render ?? renderMarkdownFragment, now });

  let frameId = 0;
  let scheduled = false;
  let destroyed = false;
  /** @type {ReturnType<typeof setInterval> | null} */
  let ticker = null;
  let shownElapsed = 0;
  let cancelHoldUntil = -Infinity;
  let retryHoldUntil = -Infinity;
  let lastStatus = "";

  function invalidate() {
    if (scheduled || destroyed) return;
    scheduled = true;
    frameId = raf(onFrame);
  }

  function onFrame() {
    scheduled = false;
    if (!destroyed) flush();
  }

  /** @param {boolean} on */
  function setTicking(on) {
    if (on && !ticker) {
      ticker = setInterval(invalidate, tickMs);
      // Do not keep a Node test process alive; no-op in browsers.
      /** @type {any} */ (ticker)?.unref?.();
    } else if (!on && ticker) {
      clearInterval(ticker);
      ticker = null;
    }
  }

  function onCancelClick() {
    if (destroyed) return;
    cancelHoldUntil = now() + BUTTON_HOLD_MS;
    cancelBtn.disabled = true;
    onCancel();
    invalidate();
  }
  function onRetryClick() {
    if (destroyed) return;
    retryHoldUntil = now() + BUTTON_HOLD_MS;
    retryBtn.disabled = true;
    onRetry();
    invalidate();
  }
  // Explicit add/remove rather than an AbortSignal option: the element may belong
  // to another realm (an iframe, jsdom) whose addEventListener rejects our signal.
  cancelBtn.addEventListener("click", onCancelClick);
  retryBtn.addEventListener("click", onRetryClick);

  /**
   * Draw the header, error line and buttons (cheap).
   *
   * @param {StreamSnapshot} s
   * @param {number} t  current time
   * @returns {boolean} whether something needs a periodic redraw (elapsed time, countdown, held button)
   */
  function drawHeader(s, t) {
    const active = isActive(s.status);
    const running = isRunning(s.status);
    const stats = s.stats ?? {};
    const tokens = Math.max(0, Math.round(Number(stats.output_tokens) || 0));

    if (s.status !== lastStatus) {
      // A new status re-enables buttons disabled by a click.
      cancelHoldUntil = -Infinity;
      retryHoldUntil = -Infinity;
      lastStatus = s.status;
    }

    setAttr(root, "data-status", s.status);
    setAttr(root, "data-tokens", String(tokens));
    setText(statusEl, statusLabel(s.status));
    waitingEl.hidden = !(active && tokens === 0 && s.text === "");
    setText(modelEl, s.model);
    simulatedEl.hidden = !s.simulated;

    tokensEl.textContent = formatTokens(tokens, !!stats.tokens_exact);
    const detail = [`${formatInt(tokens)} output tokens${stats.tokens_exact ? "" : " (estimated)"}`];
    if (typeof stats.input_tokens === "number") detail.push(`${formatInt(stats.input_tokens)} input tokens`);
    if (stats.cache_read_tokens) detail.push(`${formatInt(stats.cache_read_tokens)} cache read`);
    if (stats.cache_write_tokens) detail.push(`${formatInt(stats.cache_write_tokens)} cache write`);
    setAttr(tokensEl, "title", detail.join(", "));
    setText(ttftEl, typeof stats.ttft === "number" ? `TTFT ${formatSeconds(stats.ttft)}` : "");
    setText(rateEl, formatRate(stats.rate));

    let elapsed = Number(stats.elapsed) || 0;
    if (running) {
      elapsed += Math.max(0, (t - s.statsAt) / 1000);
      elapsed = Math.max(elapsed, shownElapsed);
    }
    shownElapsed = running ? elapsed : 0;
    setText(elapsedEl, formatSeconds(elapsed));
    setText(costEl, formatCost(stats.cost, !!stats.cost_exact));
    setAttr(costEl, "title", stats.cost_exact ? "cost" : "estimated cost");

    const retryLeft = s.retryIn > 0 ? Math.ceil(s.retryIn - (t - s.retryAt) / 1000) : 0;
    const notice = [s.notice, retryLeft > 0 ? `retrying in ${retryLeft} s` : ""].filter(Boolean).join(" · ");
    setText(noticeEl, notice);
    setText(errorEl, s.error);

    cancelBtn.hidden = !active;
    cancelBtn.disabled = t < cancelHoldUntil;
    retryBtn.hidden = !s.canRetry;
    retryBtn.disabled = t < retryHoldUntil;

    setAttr(textEl, "aria-busy", active ? "true" : "false");
    textEl.hidden = !s.showText || s.text === "";
    return running || retryLeft > 0 || t < cancelHoldUntil || t < retryHoldUntil;
  }

  /** Draw the current state. Called from an animation frame. */
  function flush() {
    const s = source.snapshot();
    const ticking = drawHeader(s, now());
    let more = false;
    if (s.showText) {
      // The text is not rendered while hidden; it catches up when shown again.
      live.set(s.text, s.final);
      more = live.step();
    }
    setTicking(ticking);
    if (more) invalidate();
  }

  // The header is correct from the start; the text follows on the first animation frame.
  drawHeader(source.snapshot(), now());

  return {
    /** The root element (div.nbstream). */
    el: root,
    /** Request a redraw on the next animation frame. */
    invalidate,
    /** Redraw now (tests; normally called from an animation frame). */
    flush,
    /** The incremental text renderer (tests). */
    live,
    destroy() {
      if (destroyed) return;
      destroyed = true;
      if (scheduled) caf(frameId);
      scheduled = false;
      setTicking(false);
      cancelBtn.removeEventListener("click", onCancelClick);
      retryBtn.removeEventListener("click", onRetryClick);
    },
  };
}

/** @typedef {ReturnType<typeof createStreamView>} StreamView */
