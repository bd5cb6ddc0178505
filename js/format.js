// Formatting of the numbers and labels shown in a stream's header and its tool calls. Pure.
// nbstream/_format.py follows the same rules: both test suites read the same table of cases,
// tests/fixtures/format_cases.json.

/** @typedef {"queued" | "waiting" | "retrying" | "streaming" | "done" | "cancelled" | "failed" | "cut_off"} Status */

/** The statuses that end a stream. Any other status (also an unknown one) means it is in progress. */
export const FINAL_STATUSES = new Set(["done", "cancelled", "failed", "cut_off"]);

/** @param {unknown} status */
export function isActive(status) {
  return !FINAL_STATUSES.has(/** @type {string} */ (status));
}

/**
 * Whether the elapsed time runs (in progress and no longer queued).
 *
 * @param {unknown} status
 */
export function isRunning(status) {
  return isActive(status) && status !== "queued";
}

const STATUS_LABELS = {
  queued: "queued",
  waiting: "waiting",
  retrying: "retrying",
  streaming: "streaming",
  done: "done",
  cancelled: "cancelled",
  failed: "failed",
  cut_off: "cut off",
};

/**
 * Human label of a status value.
 *
 * @param {string} status
 */
export function statusLabel(status) {
  return /** @type {Record<string, string>} */ (STATUS_LABELS)[status] ?? String(status || "");
}

/** @param {unknown} x */
function isNum(x) {
  return typeof x === "number" && Number.isFinite(x);
}

/**
 * An integer with thousands separators: 1234567 → "1,234,567".
 *
 * @param {number} n
 */
export function formatInt(n) {
  const r = Math.round(n);
  const sign = r < 0 ? "-" : "";
  return sign + String(Math.abs(r)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/**
 * "~1,234 tokens" while estimated, "1,234 tokens" when exact.
 *
 * @param {number | null | undefined} n
 * @param {boolean} [exact]
 */
export function formatTokens(n, exact = false) {
  const v = isNum(n) ? Math.max(0, /** @type {number} */ (n)) : 0;
  return `${exact ? "" : "~"}${formatInt(v)} ${Math.round(v) === 1 ? "token" : "tokens"}`;
}

/**
 * Seconds: "0.41 s", "12.3 s", "1 min 5 s", "1 h 2 min". "" for null.
 *
 * @param {number | null | undefined} s
 */
export function formatSeconds(s) {
  if (!isNum(s)) return "";
  const v = Math.max(0, /** @type {number} */ (s));
  if (v < 0.995) return `${v.toFixed(2)} s`;
  if (v < 59.95) return `${v.toFixed(1)} s`;
  const total = Math.round(v);
  if (total < 3600) return `${Math.floor(total / 60)} min ${total % 60} s`;
  return `${Math.floor(total / 3600)} h ${Math.floor((total % 3600) / 60)} min`;
}

/**
 * Tokens per second: "83 tok/s", "8.5 tok/s". "" for null.
 *
 * @param {number | null | undefined} r
 */
export function formatRate(r) {
  if (!isNum(r)) return "";
  const v = Math.max(0, /** @type {number} */ (r));
  return v < 9.95 ? `${v.toFixed(1)} tok/s` : `${formatInt(v)} tok/s`;
}

/**
 * US dollars: "$0.0021", "$1.23", "~$0.0021" while estimated, "cost unknown" for null, "local" for a
 * model with no price that a server on the user's machine ran (no API cost).
 *
 * @param {number | null | undefined} c
 * @param {boolean} [exact]
 * @param {boolean} [local]
 */
export function formatCost(c, exact = false, local = false) {
  if (local) return "local";
  if (!isNum(c)) return "cost unknown";
  const v = Math.max(0, /** @type {number} */ (c));
  const p = exact ? "" : "~";
  if (v === 0) return `${p}$0.00`;
  if (v < 0.000001) return `${p}<$0.000001`;
  // Below a cent, two significant digits: a short Haiku call costs a few hundred-thousandths of a dollar.
  if (v < 0.01) return `${p}$${v.toFixed(Math.max(4, 1 - Math.floor(Math.log10(v))))}`;
  // Four decimals below a dollar, unless they would round up to one ("$1.0000").
  if (v < 0.99995) return `${p}$${v.toFixed(4)}`;
  const [whole, cents] = v.toFixed(2).split(".");
  return `${p}$${formatInt(Number(whole))}.${cents}`;
}

/**
 * Whole seconds left of a countdown received as `seconds` at local time `at` (ms), at time `t`:
 * "retrying in 3 s". 0 when it is over.
 *
 * @param {number} seconds
 * @param {number} at
 * @param {number} t
 */
export function retryLeft(seconds, at, t) {
  if (!isNum(seconds) || seconds <= 0) return 0;
  return Math.max(0, Math.ceil(seconds - (t - at) / 1000));
}

const TOOL_STATUS_LABELS = {
  forming: "writing arguments",
  asking: "waiting for your approval",
  ready: "ready",
  running: "running",
  done: "done",
  failed: "failed",
};

/**
 * Human label of a tool call's status.
 *
 * @param {string} status
 */
export function toolStatusLabel(status) {
  return /** @type {Record<string, string>} */ (TOOL_STATUS_LABELS)[status] ?? String(status || "");
}

/**
 * The prompt-cache figures of a call: "cache 1,830 read · 512 written · saved $0.0012", or
 * "… · cache write +$0.0003" when the cache writes cost more than they saved. "" when the call
 * used no cache. `saved` is null when unknown (then not shown).
 *
 * @param {number | null | undefined} read     cache read tokens
 * @param {number | null | undefined} written  cache write tokens
 * @param {number | null | undefined} saved    US dollars saved against the uncached price
 * @param {boolean} [exact]                     the amounts are exact (else "~")
 */
export function formatCache(read, written, saved, exact = false) {
  const r = isNum(read) ? Math.max(0, Math.round(/** @type {number} */ (read))) : 0;
  const w = isNum(written) ? Math.max(0, Math.round(/** @type {number} */ (written))) : 0;
  if (r === 0 && w === 0) return "";
  const parts = [];
  if (r) parts.push(`${formatInt(r)} read`);
  if (w) parts.push(`${formatInt(w)} written`);
  let text = `cache ${parts.join(" · ")}`;
  if (isNum(saved) && saved !== 0) {
    const v = /** @type {number} */ (saved);
    const money = formatCost(Math.abs(v), true);
    const p = exact ? "" : "~";
    text += v > 0 ? ` · saved ${p}${money}` : ` · cache write ${p}+${money}`;
  }
  return text;
}

/**
 * "3 turns" for a call of several model turns (it used tools); "" for one.
 *
 * @param {number | null | undefined} turns
 */
export function formatTurns(turns) {
  if (!isNum(turns)) return "";
  const n = Math.round(/** @type {number} */ (turns));
  return n > 1 ? `${formatInt(n)} turns` : "";
}
