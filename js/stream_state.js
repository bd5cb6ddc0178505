// Per-model state of one stream: the transcript (text, and the tool calls of a
// call that uses tools; see parts.js) built from sequenced frames, the latest
// status and stats, and the resync protocol.
//
// It lives at model level (created in `initialize`) because custom messages go
// to the model: a view created later must still see every delta that arrived.
// Views subscribe to it and redraw on their next animation frame.

import { isActive, isRunning } from "./format.js";
import { appendText, applyOps, emptyTranscript, fromParts, fromText, partsEqual, sourcesEqual } from "./parts.js";
import { createModelLink } from "./model_link.js";
import { admitFrame, admitSnapshot, createGate, initialResync } from "./sequence.js";

/**
 * @typedef {object} Stats
 * @property {number} [output_tokens]
 * @property {boolean} [tokens_exact]
 * @property {number | null} [input_tokens]
 * @property {number} [cache_read_tokens]
 * @property {number} [cache_write_tokens]
 * @property {number | null} [ttft]       the answering attempt's time to first token
 * @property {number | null} [ttft_total] seconds from the first request to the first token, when retries made it later
 * @property {number | null} [tool_time]  seconds the model's tool calls ran (left out of the rate)
 * @property {number} [elapsed]
 * @property {number | null} [rate]       output tokens per second of generation time
 * @property {number | null} [cost]
 * @property {boolean} [cost_exact]
 * @property {boolean} [cost_local]  a model with no price on a server on this machine: shown as "local"
 * @property {number | null} [cache_saved]  US dollars caching saved (negative: the cache writes cost extra)
 * @property {number} [turns]               model turns (more than 1 when the call used tools)
 * @property {number | null} [thinking_tokens]  of the output tokens, those that were thinking
 * @property {number | null} [text_after]  seconds to the first text, when later than the first token
 * @property {boolean | null} [truncated]  the reply stopped at max_tokens
 * @property {string | null} [budget]      "$0.04 of $0.10 budget" when a budget is set
 * @property {string | null} [replay]      "replayed" (from the call log) or "recorded" (from a lesson)
 * @property {number | null} [original_cost]  a replayed or recorded reply's cost when it was made
 */

/**
 * The part of anywidget's model proxy used here (a test fake provides the same).
 * @typedef {Pick<import("@anywidget/types").AnyModel, "get" | "on" | "off" | "send">} ModelLike
 */

/**
 * Everything a view needs to draw one stream.
 * @typedef {object} StreamSnapshot
 * @property {string} status
 * @property {string} model
 * @property {boolean} simulated
 * @property {string[]} settings   the request's non-default parameters ("effort high", ...)
 * @property {string} textFormat   "json" for structured output, else "markdown"
 * @property {Stats} stats
 * @property {number} statsAt      local time (ms) when `stats` arrived
 * @property {string} error
 * @property {string} notice
 * @property {number} retryIn      seconds, as last received
 * @property {number} retryAt      local time (ms) when `retryIn` arrived
 * @property {string} text        the text of every text part (joined by a blank line)
 * @property {import("./parts.js").Part[]} parts  text and tool calls, in order (immutable)
 * @property {import("./parts.js").Source[]} sources  the cited sources, listed under the answer
 * @property {boolean} final       the text will not grow any more
 * @property {boolean} showText
 * @property {boolean} canRetry
 */

const TRAITS = ["status", "stats", "text", "parts", "model", "simulated", "settings", "text_format", "error", "notice", "retry_in", "show_text", "can_retry"];

/** @param {unknown} x */
function num(x) {
  return typeof x === "number" && Number.isFinite(x) ? x : 0;
}

/**
 * @param {ModelLike} model
 * @param {{now?: () => number}} [options]
 */
export function createStreamState(model, options = {}) {
  const now = options.now ?? (() => globalThis.performance.now());

  let status = String(model.get("status") ?? "waiting");
  /**
   * The value of the `parts` trait when a snapshot last replaced everything: until the call
   * is in progress again, that value no longer counts (a retry starts with a snapshot, while
   * the status is still final and the old parts are still set).
   * @type {unknown}
   */
  let supersededParts = null;
  /** @type {import("./parts.js").Transcript} */
  let transcript = emptyTranscript();
  applyFinalTraits();
  const gate = createGate();
  /** @type {Stats} */
  let stats = model.get("stats") ?? {};
  let statsAt = now();
  let retryIn = num(model.get("retry_in"));
  let retryAt = now();
  /** @type {ReturnType<typeof createModelLink<void>>} */
  const link = createModelLink(model);
  const notify = () => link.notify();

  /**
   * The `parts` trait, when it is set and counts. It is set once at the end, so it is
   * ignored while the call is in progress (a retry starting over does not reset it).
   */
  function finalParts() {
    const p = model.get("parts");
    return Array.isArray(p) && p.length > 0 && !isActive(status) && p !== supersededParts ? p : null;
  }

  /** Whether the final traits are set: the stream is over and frames change nothing. */
  function ended() {
    return !!model.get("text") || finalParts() !== null;
  }

  /**
   * The final traits replace what the frames built: a non-empty `parts` (once the status is
   * final) is authoritative, else a non-empty `text`. Empty values (a reset) change nothing.
   */
  function applyFinalTraits() {
    const p = model.get("parts");
    if (Array.isArray(p) && p.length > 0) {
      // Wait for the final status (the value may be stale, from an earlier attempt).
      if (finalParts() === null) return;
      const next = fromParts(p);
      if (!partsEqual(next.parts, transcript.parts) || !sourcesEqual(next.sources, transcript.sources)) transcript = next;
      return;
    }
    const t = String(model.get("text") ?? "");
    if (t && (t !== transcript.text || transcript.parts.length !== 1)) transcript = fromText(t);
  }

  /** @param {string} next */
  function setStatus(next) {
    // The local clock extrapolates `stats.elapsed` from when the stream started running.
    if (!isRunning(status) && isRunning(next)) statsAt = now();
    if (isActive(next)) supersededParts = null; // from now on, a final value counts again
    status = next;
  }

  /** @param {any} msg */
  function onFrame(msg) {
    // The final text is set, so the stream is over: a late frame changes nothing.
    const over = ended();
    const { verdict, resync } = admitFrame(gate, msg.seq, now(), !over);
    if (verdict === "stale" || over) return;
    if (msg.stats && typeof msg.stats === "object") {
      // Frames carry only the figures that changed: merge them into what we have.
      stats = { ...stats, ...msg.stats };
      if ("elapsed" in msg.stats) statsAt = now();
    }
    if (typeof msg.status === "string" && msg.status) setStatus(msg.status);
    if (verdict === "next") {
      if (Array.isArray(msg.ops)) transcript = applyOps(transcript, msg.ops);
      else if (typeof msg.delta === "string") transcript = appendText(transcript, msg.delta);
    }
    // A gap: frames were dropped on the way; its delta is ignored and the text so far asked for.
    if (resync !== null) link.send({ type: "resync", have: resync });
    notify();
  }

  /** @param {any} msg */
  function onSnapshot(msg) {
    // `parts` (the whole list) replaces everything; else `text` ("" clears: a retry starting over).
    if (Array.isArray(msg.parts) && (msg.parts.length > 0 || !msg.text)) transcript = fromParts(msg.parts);
    else if (typeof msg.text === "string") transcript = fromText(msg.text);
    else return;
    supersededParts = model.get("parts");
    admitSnapshot(gate, msg.seq);
    if (msg.stats && typeof msg.stats === "object") {
      stats = { ...stats, ...msg.stats }; // a reloaded page gets every figure again
      if ("elapsed" in msg.stats) statsAt = now();
    }
    notify();
  }

  /** @param {any} msg */
  function onCustom(msg) {
    if (!msg || typeof msg !== "object") return;
    if (msg.type === "frame") onFrame(msg);
    else if (msg.type === "snapshot") onSnapshot(msg);
  }

  /** @type {Array<[string, (...args: any[]) => void]>} */
  const handlers = [["msg:custom", onCustom]];

  for (const name of TRAITS) {
    /** @type {() => void} */
    let handler;
    if (name === "status") {
      handler = () => {
        setStatus(String(model.get("status") ?? ""));
        applyFinalTraits(); // the parts trait counts once the status is final
        notify();
      };
    } else if (name === "stats") {
      handler = () => {
        stats = model.get("stats") ?? {};
        statsAt = now();
        notify();
      };
    } else if (name === "text" || name === "parts") {
      handler = () => {
        applyFinalTraits(); // non-empty final values replace what the frames built
        notify();
      };
    } else if (name === "retry_in") {
      handler = () => {
        retryIn = num(model.get("retry_in"));
        retryAt = now();
        notify();
      };
    } else {
      handler = notify;
    }
    handlers.push([`change:${name}`, handler]);
  }
  link.listen(handlers);

  return {
    /** @returns {StreamSnapshot} */
    snapshot() {
      return {
        status,
        model: String(model.get("model") ?? ""),
        simulated: !!model.get("simulated"),
        settings: (/** @type {unknown[]} */ (model.get("settings") ?? [])).map(String),
        textFormat: String(model.get("text_format") ?? "markdown"),
        stats,
        statsAt,
        error: String(model.get("error") ?? ""),
        notice: String(model.get("notice") ?? ""),
        retryIn,
        retryAt,
        text: transcript.text,
        parts: transcript.parts,
        sources: transcript.sources ?? [],
        final: !isActive(status),
        showText: model.get("show_text") !== false,
        canRetry: !!model.get("can_retry"),
      };
    },

    subscribe: link.subscribe,

    /**
     * A page that was reloaded mid-stream starts with no text and no frames.
     * Ask the kernel once for the text so far.
     */
    resyncIfBehind() {
      if (link.disposed) return;
      const have = initialResync(gate, isRunning(status) && transcript.parts.length === 0, now());
      if (have !== null) link.send({ type: "resync", have });
    },

    /**
     * An intent to the kernel: {type, ...fields}.
     *
     * @param {string} type
     * @param {Record<string, unknown>} [fields]
     */
    send(type, fields = {}) {
      link.send({ ...fields, type });
    },

    dispose: link.dispose,
  };
}

/** @typedef {ReturnType<typeof createStreamState>} StreamState */
