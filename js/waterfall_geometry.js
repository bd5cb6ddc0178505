// Geometry of the latency waterfall: time → x, the three segments of a row's bar,
// the vertical layout of many bars, and the time axis ticks. Pure.
//
// A row is *queued* from 0 to `started`, *waiting for its first token* from
// `started` to `first_token`, and *generating* from `first_token` to `ended`
// (or to now while it is in progress). Times are seconds since the panel started.

import { formatSeconds, isActive, statusLabel } from "./format.js";

/** @typedef {import("./panel_reducer.js").Timeline} Timeline */

/**
 * @typedef {object} Segments
 * @property {[number, number]} queued
 * @property {[number, number]} waiting
 * @property {[number, number]} generating
 */

/**
 * @typedef {object} Ticks
 * @property {number} max     the end of the axis (s), a multiple of `step`, at least the time shown
 * @property {number} step
 * @property {number[]} ticks 0, step, 2·step, …, max
 */

/**
 * @typedef {object} BarLayout
 * @property {number} pitch       vertical distance between bars (px)
 * @property {number} barHeight   (px)
 * @property {number} offset      top of bar 0 (px)
 * @property {number} plotHeight  height of all bars (px)
 */

/** Tick steps in seconds; above the last one, whole hours. */
const STEPS = [0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600];

/** @param {unknown} x */
function isNum(x) {
  return typeof x === "number" && Number.isFinite(x);
}

/**
 * Axis ticks for times up to `maxT`: at most `target` intervals of a round step.
 * The axis spans at least one second.
 *
 * @param {number} maxT
 * @param {number} [target]
 * @returns {Ticks}
 */
export function niceTicks(maxT, target = 6) {
  const t = Math.max(1, isNum(maxT) ? maxT : 0);
  let step = STEPS.find((s) => Math.ceil(t / s - 1e-9) <= target);
  if (step === undefined) step = Math.ceil(t / target / 3600) * 3600;
  const n = Math.max(1, Math.ceil(t / step - 1e-9));
  const ticks = [];
  for (let k = 0; k <= n; k++) ticks.push(round(k * step));
  return { max: round(n * step), step, ticks };
}

/** @param {number} x  (avoids 0.30000000000000004) */
function round(x) {
  return Math.round(x * 1000) / 1000;
}

/**
 * Tick label: "0", "0.5 s", "10 s", "2 min", "1 h".
 *
 * @param {number} t
 * @param {number} step
 */
export function formatTick(t, step) {
  if (t === 0) return "0";
  if (step >= 3600) return `${round(t / 3600)} h`;
  if (step >= 60) return `${round(t / 60)} min`;
  if (step < 1) return `${t.toFixed(step < 0.1 ? 2 : 1)} s`;
  return `${round(t)} s`;
}

/**
 * The three segments of a row's bar, in seconds; contiguous, each [from, to] with from <= to.
 *
 * @param {Timeline} tl
 * @param {string} status
 * @param {number} now  the panel's clock (s)
 * @returns {Segments}
 */
export function barSegments(tl, status, now) {
  let end;
  if (isNum(tl.ended)) end = /** @type {number} */ (tl.ended);
  else if (isActive(status)) end = now;
  // Finished without an end time: the bar stops at the last thing known.
  else end = Math.max(0, isNum(tl.first_token) ? /** @type {number} */ (tl.first_token) : 0, isNum(tl.started) ? /** @type {number} */ (tl.started) : 0);
  end = Math.max(0, end);
  const started = isNum(tl.started) ? clamp(/** @type {number} */ (tl.started), 0, end) : end;
  const first = isNum(tl.first_token) ? clamp(/** @type {number} */ (tl.first_token), started, end) : end;
  return { queued: [0, started], waiting: [started, first], generating: [first, end] };
}

/**
 * @param {number} x
 * @param {number} lo
 * @param {number} hi
 */
function clamp(x, lo, hi) {
  return Math.min(hi, Math.max(lo, x));
}

/**
 * Time → fraction of the axis width (0…1).
 *
 * @param {number} t
 * @param {number} max
 */
export function xOf(t, max) {
  return max > 0 ? clamp(t / max, 0, 1) : 0;
}

/**
 * A segment as {x, width} fractions of the axis width.
 *
 * @param {[number, number]} seg
 * @param {number} max
 */
export function segmentBox(seg, max) {
  const x0 = xOf(seg[0], max);
  const x1 = xOf(seg[1], max);
  return { x: x0, width: Math.max(0, x1 - x0) };
}

/**
 * Vertical layout of `n` bars: compact for many rows (the pitch shrinks so that all
 * bars fit in about `maxPlot` px, but never below `minPitch`).
 *
 * @param {number} n
 * @param {{maxPlot?: number, maxPitch?: number, minPitch?: number}} [options]
 * @returns {BarLayout}
 */
export function barLayout(n, options = {}) {
  const maxPlot = options.maxPlot ?? 240;
  const maxPitch = options.maxPitch ?? 14;
  const minPitch = options.minPitch ?? 1;
  const count = Math.max(0, Math.floor(n));
  const pitch = count ? clamp(Math.floor((maxPlot / count) * 10) / 10, minPitch, maxPitch) : maxPitch;
  const gap = pitch >= 6 ? 2 : pitch >= 3 ? 1 : 0;
  const barHeight = round(pitch - gap);
  return { pitch, barHeight, offset: gap / 2, plotHeight: round(count * pitch) };
}

/**
 * The y of bar `i` (its top), in px.
 *
 * @param {BarLayout} layout
 * @param {number} i
 */
export function barY(layout, i) {
  return round(layout.offset + i * layout.pitch);
}

/**
 * The colour class of a bar: its outcome, or "running" while in progress.
 *
 * @param {string} status
 */
export function barOutcome(status) {
  return isActive(status) ? "running" : status;
}

/**
 * Tooltip of a bar: the row's label, its status and its three durations.
 *
 * @param {string} label
 * @param {string} status
 * @param {Segments} segs
 */
export function barTitle(label, status, segs) {
  const d = (/** @type {[number, number]} */ s) => formatSeconds(s[1] - s[0]);
  return `${label} (${statusLabel(status)}): queued ${d(segs.queued)} · waiting ${d(segs.waiting)} · generating ${d(segs.generating)}`;
}
