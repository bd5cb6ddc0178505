// The texts of a panel's summary line. Pure.

import { formatCost, formatInt, formatSeconds, retryLeft, statusLabel } from "./format.js";
import { batchTexts } from "./panel_batch.js";

/** @typedef {import("./panel_reducer.js").Summary} Summary */

/**
 * @typedef {object} SummaryContext
 * @property {boolean} running     the panel is still running
 * @property {number} wall         the panel's clock (s), extrapolated locally while running
 * @property {boolean} costExact   every known cost is exact (otherwise "~")
 * @property {number} summaryAt    local time (ms) when the summary arrived (for the pause countdown)
 * @property {number} now          local time (ms)
 * @property {number} rowCount     number of rows (the total if the summary has none yet)
 * @property {number} [cacheRead]  cache read tokens of all rows (used when the summary has no `cache_read_tokens`)
 * @property {number} [pollAt]     local time (ms) when the batch's `next_poll_in` last changed (default `summaryAt`)
 */

/**
 * @typedef {object} SummaryTexts
 * @property {number} done
 * @property {number} total
 * @property {string} progress     "12 / 200 done"
 * @property {string} counts       "5 streaming · 20 queued · 3 failed"
 * @property {string} tokens       "12,345 in · 6,789 out tokens", then " · 1,830 cache read" if any
 * @property {string} cost         "~$0.12 + unknown"
 * @property {string} ttft         "TTFT p50 0.41 s · p95 1.2 s"
 * @property {string} duration     "duration p50 3.1 s · p95 5.0 s"
 * @property {string} wall         "wall 3.2 s vs 15.9 s summed: 5.0x"
 * @property {string} concurrency  "8 in flight / 16"
 * @property {string} paused       "rate limited: pausing 2 s"
 * @property {boolean} batch       the panel runs as a Message Batch
 * @property {string} batchLine    "Message Batch msgbatch_01ab… · in progress · … · 50% price" ("" for a normal panel)
 * @property {string} batchIds     the full batch ids, one a line
 * @property {boolean} batchTicking  the batch's countdown to its next check is running
 */

/** Order of the per-status counts; "done" is in the progress text. */
const COUNT_ORDER = ["streaming", "waiting", "retrying", "queued", "failed", "cancelled", "cut_off"];

/** @param {unknown} x */
function isNum(x) {
  return typeof x === "number" && Number.isFinite(x);
}

/** @param {unknown} x */
function int(x) {
  return isNum(x) ? Math.max(0, Math.round(/** @type {number} */ (x))) : 0;
}

/**
 * "p50 0.41 s · p95 1.2 s", or "" when neither is known.
 *
 * @param {string} name
 * @param {unknown} p50
 * @param {unknown} p95
 */
export function formatPercentiles(name, p50, p95) {
  const parts = [];
  if (isNum(p50)) parts.push(`p50 ${formatSeconds(/** @type {number} */ (p50))}`);
  if (isNum(p95)) parts.push(`p95 ${formatSeconds(/** @type {number} */ (p95))}`);
  return parts.length ? `${name} ${parts.join(" · ")}` : "";
}

/**
 * The counts by status other than done: "5 streaming · 3 failed".
 *
 * @param {Record<string, number> | undefined} counts
 */
export function formatCounts(counts) {
  if (!counts || typeof counts !== "object") return "";
  const keys = [...COUNT_ORDER, ...Object.keys(counts).filter((k) => k !== "done" && !COUNT_ORDER.includes(k))];
  return keys
    .filter((k) => int(counts[k]) > 0)
    .map((k) => `${formatInt(int(counts[k]))} ${statusLabel(k)}`)
    .join(" · ");
}

/**
 * Total cost: "~$0.12" while estimated, "$0.12 + unknown" when some row's cost is unknown.
 *
 * @param {number | null | undefined} cost
 * @param {boolean} partial
 * @param {boolean} exact
 */
export function formatTotalCost(cost, partial, exact) {
  if (!isNum(cost)) return "cost unknown";
  const text = formatCost(cost, exact);
  return partial ? `${text} + unknown` : text;
}

/**
 * "wall 3.2 s vs 15.9 s summed: 5.0x" (the speed-up concurrency bought).
 *
 * @param {number} wall
 * @param {unknown} sum
 * @param {unknown} speedup  as sent; recomputed from `sum / wall` when a live wall is given
 * @param {boolean} live     `wall` was extrapolated locally
 */
export function formatWall(wall, sum, speedup, live) {
  if (!isNum(wall)) return "";
  let text = `wall ${formatSeconds(wall)}`;
  if (!isNum(sum) || /** @type {number} */ (sum) <= 0) return text;
  text += ` vs ${formatSeconds(/** @type {number} */ (sum))} summed`;
  let x = isNum(speedup) ? /** @type {number} */ (speedup) : null;
  if (live && x !== null && wall > 0) x = /** @type {number} */ (sum) / wall;
  if (x !== null) text += `: ${x < 9.95 ? x.toFixed(1) : formatInt(x)}x`;
  return text;
}

/**
 * @param {Summary} summary
 * @param {SummaryContext} ctx
 * @returns {SummaryTexts}
 */
export function summaryTexts(summary, ctx) {
  const s = summary ?? {};
  const total = isNum(s.total) ? int(s.total) : ctx.rowCount;
  const done = Math.min(total, int(s.done));
  const paused = ctx.running ? retryLeft(Number(s.paused_for), ctx.summaryAt, ctx.now) : 0;
  let concurrency = "";
  if (ctx.running && isNum(s.concurrency) && /** @type {number} */ (s.concurrency) > 0) {
    concurrency = `${formatInt(int(s.in_flight))} in flight / ${formatInt(int(s.concurrency))}`;
  }
  const cacheRead = int(isNum(s.cache_read_tokens) ? s.cache_read_tokens : ctx.cacheRead);
  let tokens = `${formatInt(int(s.input_tokens))} in · ${formatInt(int(s.output_tokens))} out tokens`;
  if (cacheRead > 0) tokens += ` · ${formatInt(cacheRead)} cache read`;
  const batch = batchTexts(s.batch, { running: ctx.running, pollAt: ctx.pollAt ?? ctx.summaryAt, now: ctx.now });
  return {
    done,
    total,
    progress: `${formatInt(done)} / ${formatInt(total)} done`,
    counts: formatCounts(s.counts),
    tokens,
    cost: formatTotalCost(s.cost, !!s.cost_partial, ctx.costExact) + (s.budget ? ` · ${s.budget}` : ""),
    // No median TTFT, no TTFT at all (a batch's rows have no first token).
    ttft: isNum(s.ttft_p50) ? formatPercentiles("TTFT", s.ttft_p50, s.ttft_p95) : "",
    duration: formatPercentiles("duration", s.duration_p50, s.duration_p95),
    wall: formatWall(ctx.wall, s.sum_durations, s.speedup, ctx.running),
    concurrency,
    paused: paused > 0 ? `rate limited: pausing ${paused} s` : "",
    batch: batch !== null,
    batchLine: batch?.line ?? "",
    batchIds: batch?.title ?? "",
    batchTicking: batch?.ticking ?? false,
  };
}
