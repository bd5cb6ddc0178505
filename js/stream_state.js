// Per-model state of one stream: the transcript (text, and the tool calls of a
// call that uses tools; see parts.js) built from sequenced frames, the latest
// status and stats, and the resync protocol.
//
// It lives at model level (created in `initialize`) because custom messages go
// to the model: a view created later must still see every delta that arrived.
// Views subscribe to it and redraw on their next animation frame.

import { isActive, isRunning } from "./format.js";
import { appendText, applyOps, emptyTranscript, fromParts, fromText, partsEqual } from "./parts.js";

/**
 * @typedef {object} Stats
 * @property {number} [output_tokens]
 * @property {boolean} [tokens_exact]
 * @property {number | null} [input_tokens]
 * @property {number} [cache_read_tokens]
 * @property {number} [cache_write_tokens]
 * @property {number | null} [ttft]
 * @property {number} [elapsed]
 * @property {number | null} [rate]
 * @property {number | null} [cost]
 * @property {boolean} [cost_exact]
 * @property {boolean} [cost_local]  a model with no price on a server on this machine: shown as "local"
 * @property {number | null} [cache_saved]  US dollars caching saved (negative: the cache writes cost extra)
 * @property {number} [turns]               model turns (more than 1 when the call used tools)
 */

/**
 * The minimal model surface used here (anywidget's model proxy, or a test fake).
 * @typedef {object} ModelLike
 * @property {(name: string) => any} get
 * @property {(name: string, cb: (...args: any[]) => void) => void} on
 * @property {(name: string, cb: (...args: any[]) => void) => void} off
 * @property {(content: any) => void} send
 */

/**
 * Everything a view needs to draw one stream.
 * @typedef {object} StreamSnapshot
 * @property {string} status
 * @property {string} model
 * @property {boolean} simulated
 * @property {Stats} stats
 * @property {number} statsAt      local time (ms) when `stats` arrived
 * @property {string} error
 * @property {string} notice
 * @property {number} retryIn      seconds, as last received
 * @property {number} retryAt      local time (ms) when `retryIn` arrived
 * @property {string} text        the text of every text part (joined by a blank line)
 * @property {import("./parts.js").Part[]} parts  text and tool calls, in order (immutable)
 * @property {boolean} final       the text will not grow any more
 * @property {boolean} showText
 * @property {boolean} canRetry
 */

/** If a resync got no snapshot within this time, the next gap asks again. */
const RESYNC_RETRY_MS = 3000;

const TRAITS = ["status", "stats", "text", "parts", "model", "simulated", "error", "notice", "retry_in", "show_text", "can_retry"];

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
  let lastSeq = 0;
  let awaitingSnapshot = false;
  let resyncAt = -Infinity;
  let initialResyncSent = false;
  /** @type {Stats} */
  let stats = model.get("stats") ?? {};
  let statsAt = now();
  let retryIn = num(model.get("retry_in"));
  let retryAt = now();
  let disposed = false;

  /** @type {Set<() => void>} */
  const subscribers = new Set();

  function notify() {
    for (const fn of Array.from(subscribers)) fn();
  }

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
      if (!partsEqual(next.parts, transcript.parts)) transcript = next;
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

  /** @param {number} have */
  function sendResync(have) {
    awaitingSnapshot = true;
    resyncAt = now();
    model.send({ type: "resync", have });
  }

  /** @param {any} msg */
  function onFrame(msg) {
    const seq = msg.seq;
    if (!Number.isInteger(seq) || seq <= lastSeq) return; // stale or duplicate
    if (ended()) {
      // The final text is set, so the stream is over: a late frame changes nothing.
      if (seq === lastSeq + 1) lastSeq = seq;
      return;
    }
    if (msg.stats && typeof msg.stats === "object") {
      // Frames carry only the figures that changed: merge them into what we have.
      stats = { ...stats, ...msg.stats };
      if ("elapsed" in msg.stats) statsAt = now();
    }
    if (typeof msg.status === "string" && msg.status) setStatus(msg.status);
    if (seq === lastSeq + 1) {
      lastSeq = seq;
      if (Array.isArray(msg.ops)) transcript = applyOps(transcript, msg.ops);
      else if (typeof msg.delta === "string") transcript = appendText(transcript, msg.delta);
    } else if (!awaitingSnapshot || now() - resyncAt > RESYNC_RETRY_MS) {
      // Frames were dropped on the way: ignore this delta and ask for the text so far.
      sendResync(lastSeq);
    }
    notify();
  }

  /** @param {any} msg */
  function onSnapshot(msg) {
    // `parts` (the whole list) replaces everything; else `text` ("" clears: a retry starting over).
    if (Array.isArray(msg.parts) && (msg.parts.length > 0 || !msg.text)) transcript = fromParts(msg.parts);
    else if (typeof msg.text === "string") transcript = fromText(msg.text);
    else return;
    supersededParts = model.get("parts");
    if (Number.isInteger(msg.seq) && msg.seq >= 0) lastSeq = msg.seq;
    if (msg.stats && typeof msg.stats === "object") {
      stats = { ...stats, ...msg.stats }; // a reloaded page gets every figure again
      if ("elapsed" in msg.stats) statsAt = now();
    }
    awaitingSnapshot = false;
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
  for (const [name, fn] of handlers) model.on(name, fn);

  return {
    /** @returns {StreamSnapshot} */
    snapshot() {
      return {
        status,
        model: String(model.get("model") ?? ""),
        simulated: !!model.get("simulated"),
        stats,
        statsAt,
        error: String(model.get("error") ?? ""),
        notice: String(model.get("notice") ?? ""),
        retryIn,
        retryAt,
        text: transcript.text,
        parts: transcript.parts,
        final: !isActive(status),
        showText: model.get("show_text") !== false,
        canRetry: !!model.get("can_retry"),
      };
    },

    /** @param {() => void} fn @returns {() => void} unsubscribe */
    subscribe(fn) {
      subscribers.add(fn);
      return () => subscribers.delete(fn);
    },

    /** Number of views subscribed (for tests and debugging). */
    get subscriberCount() {
      return subscribers.size;
    },

    /** The seq of the last frame applied. */
    get lastSeq() {
      return lastSeq;
    },

    /**
     * A page that was reloaded mid-stream starts with no text and no frames.
     * Ask the kernel once for the text so far.
     */
    resyncIfBehind() {
      if (initialResyncSent || disposed) return;
      initialResyncSent = true;
      if (isRunning(status) && transcript.parts.length === 0 && lastSeq === 0) {
        model.send({ type: "resync", have: 0 });
      }
    },

    /** @param {string} type */
    send(type) {
      if (!disposed) model.send({ type });
    },

    dispose() {
      if (disposed) return;
      disposed = true;
      for (const [name, fn] of handlers) model.off(name, fn);
      subscribers.clear();
    },
  };
}

/** @typedef {ReturnType<typeof createStreamState>} StreamState */
