// The DOM component for one stream: header (status, stats, badges, buttons; see
// stream_header.js, shared with the rows of a panel), error line and the
// transcript: the rendered text, and the tool calls of a call that uses tools
// (see parts_view.js, shared with the expanded rows of a panel). Used by the
// "stream" view.
//
// It reads everything from a `source` (see stream_state.js) and redraws on the
// next animation frame after `invalidate()`, at most once per frame however many
// messages arrived in between.

import { copyCodeOnClick, renderAnswerFragment } from "./markdown.js";
import { make, setAttr, setText } from "./dom.js";
import { createHeader, outputTokens } from "./stream_header.js";
import { createFrameLoop, viewClock } from "./frame_loop.js";
import { createPartsView } from "./parts_view.js";
import { isActive } from "./format.js";
import { fenceJson } from "./json_text.js";
import { decisionOf } from "./tool_card.js";

/** @typedef {import("./stream_state.js").StreamSnapshot} StreamSnapshot */
/** @typedef {import("./frame_loop.js").ViewEnv} ViewEnv */

/**
 * @typedef {object} StreamViewOptions
 * @property {Document} doc
 * @property {{snapshot(): StreamSnapshot}} source
 * @property {() => void} onCancel
 * @property {() => void} onRetry
 * @property {(id: string, approved: boolean) => void} [onDecide]  a tool card's Approve / Deny (approve=True)
 * @property {ViewEnv} [env]
 */

/**
 * @param {StreamViewOptions} options
 */
export function createStreamView({ doc, source, onCancel, onRetry, onDecide, env = {} }) {
  const { now } = viewClock(env);

  const root = make(doc, "div", "nbstream");
  root.setAttribute("role", "group");
  root.setAttribute("aria-label", "Claude response");

  const header = createHeader(doc);
  const { cancelBtn, retryBtn } = header;

  const errorEl = make(doc, "div", "nbstream-error");
  errorEl.setAttribute("role", "alert");
  const textEl = make(doc, "div", "nbstream-text");
  textEl.hidden = true;
  // Further text parts and tool call groups are placed after textEl by the parts view.
  root.append(header.el, errorEl, textEl);

  // A reply to a schema is JSON: it shows as a code block, forming as it streams.
  const json = source.snapshot().textFormat === "json";
  const markdown = env.render ?? renderAnswerFragment;
  const render = json ? (/** @type {string} */ src) => markdown(fenceJson(src)) : markdown;
  const transcript = createPartsView(textEl, { render, now });

  const loop = createFrameLoop(env, flush);
  const { invalidate } = loop;

  function onCancelClick() {
    if (loop.destroyed) return;
    header.pressCancel(now());
    onCancel();
    invalidate();
  }
  function onRetryClick() {
    if (loop.destroyed) return;
    header.pressRetry(now());
    onRetry();
    invalidate();
  }
  // Explicit add/remove rather than an AbortSignal option: the element may belong
  // to another realm (an iframe, jsdom) whose addEventListener rejects our signal.
  cancelBtn.addEventListener("click", onCancelClick);
  retryBtn.addEventListener("click", onRetryClick);
  root.addEventListener("click", copyCodeOnClick);
  /** @param {Event} event */
  function onDecideClick(event) {
    const decision = loop.destroyed ? null : decisionOf(event.target);
    if (decision && onDecide) onDecide(decision.id, decision.approved);
  }
  root.addEventListener("click", onDecideClick);

  /**
   * Draw the header and the error line (cheap).
   *
   * @param {StreamSnapshot} s
   * @param {number} t  current time
   * @returns {boolean} whether something needs a periodic redraw (elapsed time, countdown, held button)
   */
  function drawHeader(s, t) {
    drawnStatus = s.status;
    setAttr(root, "data-status", s.status);
    setAttr(root, "data-tokens", String(outputTokens(s.stats)));
    // The kernel wrote the ended call's static copy (its header, error and text) below this view:
    // the view keeps only its buttons (Retry), so nothing shows twice.
    setAttr(root, "data-copy-below", !s.showText && !isActive(s.status) ? "true" : "false");
    const ticking = header.draw({ ...s, hasText: s.parts.length > 0 }, t);
    setText(errorEl, s.error);
    return ticking;
  }

  /** Draw the current state. Called from an animation frame. */
  function flush() {
    const s = source.snapshot();
    const t = now();
    const ticking = drawHeader(s, t);
    let more = false;
    if (s.showText) {
      more = transcript.draw(s.parts, s.final, { t, sources: s.sources });
    } else {
      // The transcript is not rendered while hidden; it catches up when shown again.
      transcript.hide();
    }
    loop.setTicking(ticking);
    if (more) invalidate();
  }

  /** @type {string | null} */
  let drawnStatus = null;

  /**
   * The state changed. A new status (cancelled, done, failed...) shows at once, in this task: the answer
   * to a click must not wait for an animation frame. Everything else is drawn on the next frame.
   */
  function changed() {
    if (loop.destroyed) return;
    const s = source.snapshot();
    if (s.status !== drawnStatus) loop.setTicking(drawHeader(s, now()));
    invalidate();
  }

  // The header is correct from the start; the text follows on the first animation frame.
  drawHeader(source.snapshot(), now());

  return {
    /** The root element (div.nbstream). */
    el: root,
    /** Request a redraw on the next animation frame. */
    invalidate,
    /** The state changed: a new status is drawn at once, the rest on the next animation frame. */
    changed,
    /** Redraw now (tests; normally called from an animation frame). */
    flush,
    /** The incremental renderer of the first text part (tests). */
    get live() {
      return transcript.firstLive;
    },
    /** The transcript: text parts and tool calls (tests). */
    transcript,
    destroy() {
      if (loop.destroyed) return;
      loop.destroy();
      cancelBtn.removeEventListener("click", onCancelClick);
      retryBtn.removeEventListener("click", onRetryClick);
      root.removeEventListener("click", copyCodeOnClick);
      root.removeEventListener("click", onDecideClick);
    },
  };
}

/** @typedef {ReturnType<typeof createStreamView>} StreamView */
