// The data of a panel of parallel calls, and how frames, snapshots and the final
// trait change it. DOM-free and model-free: every function takes the local time
// (ms) as an argument, mutates the `PanelData` it is given, and reports which
// rows changed, so views redraw only those.
//
// A row's reply is a transcript (see parts.js): its text, and the tool calls of a call
// that uses tools. A row entry carries `delta` (text) or `ops` (text and tool calls);
// a snapshot or final entry carries `text`, or `parts` (the whole list).
//
// Sequencing (one `seq` for the whole panel, through the same gate as the stream's: sequence.js):
//   next    apply everything, append each row's delta or ops (after clearing it on `reset`);
//   gap     deltas and resets are ignored, the absolute fields (status, stats, timeline, error,
//           notice, retry_in, can_retry, can_cancel, summary, elapsed) still apply, and a resync
//           may be due;
//   stale   ignored entirely.
// A snapshot replaces every row it lists and sets last = its seq (any value, also lower).

import { isActive, isRunning } from "./format.js";
import { appendText, applyOps, fromParts, fromText, partsEqual, sourcesEqual } from "./parts.js";
import { admitFrame, admitSnapshot, createGate } from "./sequence.js";

export { RESYNC_RETRY_MS } from "./sequence.js";

/** @typedef {import("./stream_state.js").Stats} Stats */

/**
 * Seconds since the panel started; each may be null.
 * @typedef {object} Timeline
 * @property {number | null} started
 * @property {number | null} first_token
 * @property {number | null} ended
 */

/**
 * @typedef {object} RowData
 * @property {string} label
 * @property {string} model
 * @property {string[]} settings  the request's non-default parameters ("effort high", ...)
 * @property {string} prompt
 * @property {string} text       the text of every text part (joined by a blank line)
 * @property {import("./parts.js").Part[]} parts  text and tool calls, in order (immutable)
 * @property {import("./parts.js").Source[] | undefined} [sources]  the cited sources
 * @property {string} status
 * @property {Stats} stats
 * @property {number} statsAt    local time (ms) when `stats` arrived (or the row started running)
 * @property {Timeline} timeline
 * @property {string} error
 * @property {string} notice
 * @property {number} retryIn    seconds, as last received
 * @property {number} retryAt    local time (ms) when `retryIn` arrived
 * @property {boolean} canRetry
 * @property {boolean} canCancel  false: the row cannot be cancelled on its own (a request of a Message Batch)
 */

/**
 * @typedef {object} Summary
 * @property {number} [total]
 * @property {number} [done]
 * @property {Record<string, number>} [counts]
 * @property {number} [input_tokens]
 * @property {number} [output_tokens]
 * @property {number} [cache_read_tokens]
 * @property {number | null} [cost]
 * @property {boolean} [cost_partial]
 * @property {number | null} [ttft_p50]
 * @property {number | null} [ttft_p95]
 * @property {number | null} [duration_p50]
 * @property {number | null} [duration_p95]
 * @property {number} [wall]
 * @property {number} [sum_durations]
 * @property {number | null} [speedup]
 * @property {number} [concurrency]
 * @property {number} [in_flight]
 * @property {number} [paused_for]
 * @property {string | null} [budget]  "$0.04 of $0.10 budget" when a budget is set
 * @property {import("./panel_batch.js").BatchInfo | null} [batch]  null unless the panel runs as a Message Batch
 */

/**
 * The panel's data is also the gate of its sequenced channel (`lastSeq`, …: see sequence.js).
 * @typedef {PanelFields & import("./sequence.js").SeqGate} PanelData
 */

/**
 * @typedef {object} PanelFields
 * @property {RowData[]} rows
 * @property {Summary} summary
 * @property {number} summaryAt        local time (ms) when `summary` arrived
 * @property {number} pollAt           local time (ms) when `summary.batch.next_poll_in` last changed
 * @property {number | null} elapsed   the panel's clock (s) as last received, or null
 * @property {number} elapsedAt        local time (ms) when `elapsed` arrived
 */

/**
 * What an update changed.
 * @typedef {object} Change
 * @property {number[]} rows        indices of the rows that changed
 * @property {boolean} summary      the summary or the clock changed
 * @property {boolean} structure    rows were added
 * @property {number | null} resync send `{type: "resync", have: resync}` (frames only)
 */

/** Rows are created on demand for a frame's index up to this bound (a malformed index is ignored). */
const MAX_ROWS = 10000;

/** @param {unknown} x */
function isNum(x) {
  return typeof x === "number" && Number.isFinite(x);
}

/** @param {unknown} x @returns {number | null} */
function numOrNull(x) {
  return isNum(x) ? /** @type {number} */ (x) : null;
}

/**
 * @param {unknown} t
 * @returns {Timeline}
 */
export function normalizeTimeline(t) {
  const o = /** @type {any} */ (t && typeof t === "object" ? t : {});
  return { started: numOrNull(o.started), first_token: numOrNull(o.first_token), ended: numOrNull(o.ended) };
}

/**
 * @param {unknown} spec  an entry of the `rows` trait: {label, model, prompt, settings}
 * @param {number} i
 * @param {number} now
 * @returns {RowData}
 */
export function createRow(spec, i, now) {
  const o = /** @type {any} */ (spec && typeof spec === "object" ? spec : {});
  return {
    label: typeof o.label === "string" && o.label ? o.label : `#${i + 1}`,
    model: typeof o.model === "string" ? o.model : "",
    settings: Array.isArray(o.settings) ? o.settings.filter((/** @type {unknown} */ x) => typeof x === "string") : [],
    prompt: typeof o.prompt === "string" ? o.prompt : "",
    text: "",
    parts: [],
    status: "queued",
    stats: {},
    statsAt: now,
    timeline: { started: null, first_token: null, ended: null },
    error: "",
    notice: "",
    retryIn: 0,
    retryAt: now,
    canRetry: false,
    canCancel: true,
  };
}

/**
 * @param {unknown} rowSpecs  the `rows` trait
 * @param {unknown} summary   the `summary` trait
 * @param {number} now
 * @returns {PanelData}
 */
export function createPanelData(rowSpecs, summary, now) {
  const specs = Array.isArray(rowSpecs) ? rowSpecs : [];
  return {
    rows: specs.map((spec, i) => createRow(spec, i, now)),
    summary: summary && typeof summary === "object" ? /** @type {Summary} */ (summary) : {},
    summaryAt: now,
    pollAt: now,
    elapsed: null,
    elapsedAt: now,
    ...createGate(),
  };
}

/** @returns {Change} */
function noChange() {
  return { rows: [], summary: false, structure: false, resync: null };
}

/**
 * A new `rows` trait: labels, models and prompts change, the rows' states are kept.
 *
 * @param {PanelData} data
 * @param {unknown} rowSpecs
 * @param {number} now
 * @returns {Change}
 */
export function setRows(data, rowSpecs, now) {
  const specs = Array.isArray(rowSpecs) ? rowSpecs : [];
  const change = noChange();
  change.structure = specs.length !== data.rows.length;
  for (let i = 0; i < specs.length; i++) {
    const fresh = createRow(specs[i], i, now);
    const row = data.rows[i];
    if (!row) {
      data.rows[i] = fresh;
    } else {
      row.label = fresh.label;
      row.model = fresh.model;
      row.prompt = fresh.prompt;
    }
    change.rows.push(i);
  }
  // Rows beyond the new list (only created on demand by frames) are dropped.
  if (data.rows.length > specs.length && specs.length > 0) data.rows.length = specs.length;
  return change;
}

/**
 * @param {PanelData} data
 * @param {unknown} i
 * @param {number} now
 * @param {Change} change
 * @returns {RowData | null}
 */
function rowAt(data, i, now, change) {
  if (!Number.isInteger(i) || /** @type {number} */ (i) < 0 || /** @type {number} */ (i) >= MAX_ROWS) return null;
  const k = /** @type {number} */ (i);
  while (data.rows.length <= k) {
    data.rows.push(createRow(null, data.rows.length, now));
    change.structure = true;
  }
  return data.rows[k];
}

/** Row fields a frame sets as they are: [key in the frame, field of the row, its type]. */
const PLAIN_FIELDS = /** @type {const} */ ([
  ["error", "error", "string"],
  ["notice", "notice", "string"],
  ["can_retry", "canRetry", "boolean"],
  ["can_cancel", "canCancel", "boolean"],
]);

/**
 * Apply the absolute fields of a row entry (status, stats, timeline, error, notice,
 * retry_in, can_retry, can_cancel); fields that are absent are left as they are.
 *
 * @param {RowData} row
 * @param {any} r
 * @param {number} now
 * @returns {boolean} whether anything changed
 */
function applyFields(row, r, now) {
  let changed = false;
  if (typeof r.status === "string" && r.status && r.status !== row.status) {
    // The local clock extrapolates `stats.elapsed` from when the row started running.
    if (!isRunning(row.status) && isRunning(r.status)) row.statsAt = now;
    row.status = r.status;
    changed = true;
  }
  if (r.stats && typeof r.stats === "object") {
    // Frames carry only the figures that changed: merge them into what the row has.
    row.stats = { ...row.stats, ...r.stats };
    if ("elapsed" in r.stats) row.statsAt = now;
    changed = true;
  }
  if ("timeline" in r) {
    const t = normalizeTimeline(r.timeline);
    const o = row.timeline;
    if (t.started !== o.started || t.first_token !== o.first_token || t.ended !== o.ended) {
      row.timeline = t;
      changed = true;
    }
  }
  for (const [key, field, type] of PLAIN_FIELDS) {
    if (typeof r[key] === type && r[key] !== row[field]) {
      /** @type {Record<string, unknown>} */ (/** @type {unknown} */ (row))[field] = r[key];
      changed = true;
    }
  }
  if ("retry_in" in r) {
    // Like a trait: only a new value restarts the local countdown.
    const v = isNum(r.retry_in) ? Math.max(0, r.retry_in) : 0;
    if (v !== row.retryIn) {
      row.retryIn = v;
      row.retryAt = now;
      changed = true;
    }
  }
  return changed;
}

/**
 * @param {Summary} summary
 * @returns {unknown} the batch's `next_poll_in`, as sent
 */
function nextPollIn(summary) {
  const b = summary.batch;
  return b && typeof b === "object" ? b.next_poll_in : undefined;
}

/**
 * A new summary. Like `retry_in`, the batch's countdown to its next check restarts only
 * when its value changes.
 *
 * @param {PanelData} data
 * @param {Summary} summary
 * @param {number} now
 */
function takeSummary(data, summary, now) {
  if (nextPollIn(summary) !== nextPollIn(data.summary)) data.pollAt = now;
  data.summary = summary;
  data.summaryAt = now;
}

/**
 * The summary and the clock of a frame or snapshot.
 *
 * @param {PanelData} data
 * @param {any} msg
 * @param {number} now
 * @param {Change} change
 */
function applyPanelFields(data, msg, now, change) {
  if (msg.summary && typeof msg.summary === "object") {
    takeSummary(data, msg.summary, now);
    change.summary = true;
  }
  if (isNum(msg.elapsed)) {
    data.elapsed = msg.elapsed;
    data.elapsedAt = now;
    change.summary = true;
  }
}

/**
 * A `{type: "frame"}` message.
 *
 * @param {PanelData} data
 * @param {any} msg
 * @param {number} now
 * @returns {Change}
 */
export function applyFrame(data, msg, now) {
  const change = noChange();
  const { verdict, resync } = admitFrame(data, msg?.seq, now);
  if (verdict === "stale") return change;
  // A gap: frames were dropped on the way; the deltas are ignored and everything so far asked for.
  change.resync = resync;
  const inOrder = verdict === "next";
  applyPanelFields(data, msg, now, change);
  applyRowEntries(data, msg, now, change, (row, r) => {
    if (!inOrder) return false;
    const before = row.parts;
    if (r.reset === true && row.parts.length > 0) setTranscript(row, fromText(""));
    if (Array.isArray(r.ops)) setTranscript(row, applyOps(row, r.ops));
    else if (typeof r.delta === "string") setTranscript(row, appendText(row, r.delta));
    return row.parts !== before;
  });
  return change;
}

/**
 * A `{type: "snapshot"}` message: the full state of every row it lists.
 *
 * @param {PanelData} data
 * @param {any} msg
 * @param {number} now
 * @returns {Change}
 */
export function applySnapshot(data, msg, now) {
  const change = noChange();
  if (!msg || typeof msg !== "object") return change;
  admitSnapshot(data, msg.seq);
  applyPanelFields(data, msg, now, change);
  applyRowEntries(data, msg, now, change, replaceTranscript);
  return change;
}

/**
 * The row entries of a frame or snapshot: each one's absolute fields, then its transcript.
 *
 * @param {PanelData} data
 * @param {any} msg
 * @param {number} now
 * @param {Change} change
 * @param {(row: RowData, entry: any) => boolean} transcript  changes the row's transcript; whether it did
 */
function applyRowEntries(data, msg, now, change, transcript) {
  const list = Array.isArray(msg.rows) ? msg.rows : [];
  for (const r of list) {
    if (!r || typeof r !== "object") continue;
    const row = rowAt(data, r.i, now, change);
    if (!row) continue;
    const fields = applyFields(row, r, now);
    if (transcript(row, r) || fields) change.rows.push(r.i);
  }
}

/**
 * @param {RowData} row
 * @param {import("./parts.js").Transcript} tr
 */
function setTranscript(row, tr) {
  row.parts = tr.parts;
  row.text = tr.text;
  row.sources = tr.sources;
}

/**
 * The whole transcript of a snapshot or final entry: `parts` when given (non-empty, or with
 * no text), else `text`. Only a transcript that differs replaces the row's.
 *
 * @param {RowData} row
 * @param {any} entry
 * @returns {boolean} whether the row changed
 */
function replaceTranscript(row, entry) {
  let next;
  if (Array.isArray(entry.parts) && (entry.parts.length > 0 || !entry.text)) next = fromParts(entry.parts);
  else if (typeof entry.text === "string") next = fromText(entry.text);
  else return false;
  if (partsEqual(next.parts, row.parts) && sourcesEqual(next.sources, row.sources)) return false;
  setTranscript(row, next);
  return true;
}

/**
 * The `final` trait: one entry per row (by position), authoritative. An empty list changes nothing.
 *
 * @param {PanelData} data
 * @param {unknown} final
 * @param {number} now
 * @returns {Change}
 */
export function applyFinal(data, final, now) {
  const change = noChange();
  if (!Array.isArray(final)) return change;
  for (let i = 0; i < final.length; i++) {
    const f = final[i];
    if (!f || typeof f !== "object") continue;
    const row = rowAt(data, i, now, change);
    if (!row) continue;
    // Stats arrive as a new object every time; compare by value so unchanged rows stay untouched.
    const entry = /** @type {any} */ ({ ...f });
    if (entry.stats && typeof entry.stats === "object" && sameStats(entry.stats, row.stats)) delete entry.stats;
    let changed = applyFields(row, entry, now);
    if (replaceTranscript(row, f)) changed = true;
    if (changed) change.rows.push(i);
  }
  return change;
}

/**
 * @param {Record<string, unknown>} a
 * @param {Record<string, unknown>} b
 */
function sameStats(a, b) {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if (a[k] !== b[k]) return false;
  return true;
}

/**
 * The summary trait (synced at the end).
 *
 * @param {PanelData} data
 * @param {unknown} summary
 * @param {number} now
 * @returns {Change}
 */
export function setSummary(data, summary, now) {
  const change = noChange();
  if (summary && typeof summary === "object") {
    takeSummary(data, /** @type {Summary} */ (summary), now);
    change.summary = true;
  }
  return change;
}

/**
 * The panel's clock in seconds at local time `now`. While something runs: the last
 * received `elapsed`, extrapolated (or the summary's wall time, extrapolated, before
 * any frame). Otherwise it stands still at the later of the summary's wall time and
 * the last `elapsed` (a row retried after the end moves it on).
 *
 * @param {PanelData} data
 * @param {boolean} live  the panel runs, or some row is in progress
 * @param {number} now
 */
export function clockAt(data, live, now) {
  const wall = numOrNull(data.summary.wall);
  if (live) {
    if (data.elapsed !== null) return data.elapsed + Math.max(0, (now - data.elapsedAt) / 1000);
    if (wall !== null) return wall + Math.max(0, (now - data.summaryAt) / 1000);
    return latestTime(data);
  }
  if (wall === null && data.elapsed === null) return latestTime(data);
  return Math.max(wall ?? 0, data.elapsed ?? 0);
}

/**
 * Whether any row is in progress.
 *
 * @param {PanelData} data
 */
export function anyActive(data) {
  for (const r of data.rows) if (isActive(r.status)) return true;
  return false;
}

/**
 * The latest time found in any row's timeline (0 if none).
 *
 * @param {PanelData} data
 */
export function latestTime(data) {
  let t = 0;
  for (const { timeline: tl } of data.rows) {
    if (tl.started !== null && tl.started > t) t = tl.started;
    if (tl.first_token !== null && tl.first_token > t) t = tl.first_token;
    if (tl.ended !== null && tl.ended > t) t = tl.ended;
  }
  return t;
}
