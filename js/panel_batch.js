// The Message Batch line of a panel's summary (a panel run as a batch: half price,
// no streaming; every row gets its whole answer when its batch ends). Pure.
//
//   "Message Batch msgbatch_01ab… · in progress · 100 processing · next check in 3 s · 50% price"

import { formatInt, retryLeft } from "./format.js";

/**
 * `summary.batch` as the kernel sends it (`null` for a normal panel).
 * @typedef {object} BatchInfo
 * @property {string[]} [ids]                      the batch ids (one job may span several batches)
 * @property {string} [status]                     submitting | in_progress | canceling | ended
 * @property {Record<string, number>} [counts]     processing, succeeded, errored, canceled, expired
 * @property {number | null} [next_poll_in]        seconds until the kernel checks again, or null
 */

/**
 * @typedef {object} BatchTexts
 * @property {string} line      the whole line
 * @property {string} title     the full batch ids, one a line ("" before any was created)
 * @property {boolean} ticking  the countdown to the next check is running
 */

const STATUS_LABELS = {
  submitting: "submitting",
  in_progress: "in progress",
  canceling: "canceling",
  ended: "ended",
};

/** Order of the request counts. */
const COUNT_ORDER = ["processing", "succeeded", "errored", "canceled", "expired"];

/** Characters of an id kept after its prefix ("msgbatch_"). */
const ID_KEEP = 4;

/** @param {unknown} x */
function int(x) {
  return typeof x === "number" && Number.isFinite(x) ? Math.max(0, Math.round(x)) : 0;
}

/**
 * The batch's processing status in words.
 *
 * @param {unknown} status
 */
export function batchStatusLabel(status) {
  if (typeof status !== "string") return "";
  return /** @type {Record<string, string>} */ (STATUS_LABELS)[status] ?? status.replace(/_/g, " ");
}

/**
 * A batch id shortened for display: its prefix and a few characters, "msgbatch_01ab…".
 *
 * @param {string} id
 */
export function shortBatchId(id) {
  const prefix = /^[A-Za-z]+_/.exec(id)?.[0] ?? "";
  const keep = prefix.length + ID_KEEP;
  return id.length > keep + 1 ? `${id.slice(0, keep)}…` : id;
}

/**
 * The ids for display: one shortened id, or "3 batches".
 *
 * @param {string[]} ids
 */
export function formatBatchIds(ids) {
  if (ids.length === 0) return "";
  if (ids.length === 1) return shortBatchId(ids[0]);
  return `${formatInt(ids.length)} batches`;
}

/**
 * The non-zero request counts: "98 succeeded · 1 errored · 1 expired".
 *
 * @param {Record<string, number> | undefined} counts
 */
export function formatBatchCounts(counts) {
  if (!counts || typeof counts !== "object") return "";
  const keys = [...COUNT_ORDER, ...Object.keys(counts).filter((k) => !COUNT_ORDER.includes(k))];
  return keys
    .filter((k) => int(counts[k]) > 0)
    .map((k) => `${formatInt(int(counts[k]))} ${k.replace(/_/g, " ")}`)
    .join(" · ");
}

/**
 * The line of a batch panel, or null for a normal panel.
 *
 * @param {BatchInfo | null | undefined} batch
 * @param {{running: boolean, pollAt: number, now: number}} ctx
 *   `pollAt`: local time (ms) when `next_poll_in` last changed; the countdown runs only while the panel runs
 * @returns {BatchTexts | null}
 */
export function batchTexts(batch, ctx) {
  if (!batch || typeof batch !== "object") return null;
  const ids = Array.isArray(batch.ids) ? batch.ids.filter((id) => typeof id === "string" && id) : [];
  const shown = formatBatchIds(ids);
  const head = ids.length > 1 ? `Message Batch (${shown})` : shown ? `Message Batch ${shown}` : "Message Batch";
  const left = ctx.running ? retryLeft(Number(batch.next_poll_in), ctx.pollAt, ctx.now) : 0;
  const parts = [
    head,
    batchStatusLabel(batch.status),
    formatBatchCounts(batch.counts),
    left > 0 ? `next check in ${left} s` : "",
    "50% price",
  ];
  return { line: parts.filter(Boolean).join(" · "), title: ids.join("\n"), ticking: left > 0 };
}
