// The sequenced channel from the kernel, shared by the stream and the panel: which
// frames apply, when to ask for a resync, and what a snapshot resets. Pure and
// model-free: the gate is a plain object the caller keeps (the panel's data is one),
// every function takes the local time (ms) and says what to send.
//
//   seq = last + 1   "next": apply it (last = seq); the channel is in sync, so a resync
//                    still out no longer holds back the next gap's;
//   seq > last + 1   "gap": frames were lost; ignore its deltas (absolute fields may still
//                    apply) and ask for a snapshot, once, and again only when none came
//                    within RESYNC_RETRY_MS;
//   seq <= last      "stale" (also a seq that is not an integer): ignore it entirely.
// A snapshot sets last = its seq (any value, also lower: the kernel started over) and ends
// the wait for one.

/** If a resync got no snapshot within this time, the next gap asks again. */
export const RESYNC_RETRY_MS = 3000;

/**
 * @typedef {object} SeqGate
 * @property {number} lastSeq            the seq of the last frame applied (or of the last snapshot)
 * @property {boolean} awaitingSnapshot  a resync was sent and no snapshot has come since
 * @property {number} resyncAt           local time (ms) of the last resync sent
 * @property {boolean} initialResyncDone the first render's catch-up check has run
 */

/**
 * What to do with a frame: its verdict, and `resync`, the `have` of a resync to send now (or null).
 * @typedef {object} Admission
 * @property {"next" | "gap" | "stale"} verdict
 * @property {number | null} resync
 */

/** @returns {SeqGate} */
export function createGate() {
  return { lastSeq: 0, awaitingSnapshot: false, resyncAt: -Infinity, initialResyncDone: false };
}

/**
 * Start waiting for a snapshot.
 *
 * @param {SeqGate} gate
 * @param {number} now
 * @returns {number} the `have` of the resync to send
 */
export function requestResync(gate, now) {
  gate.awaitingSnapshot = true;
  gate.resyncAt = now;
  return gate.lastSeq;
}

/**
 * A frame's `seq`. With `mayResync` false (the stream is over) a gap asks for nothing.
 *
 * @param {SeqGate} gate
 * @param {unknown} seq
 * @param {number} now
 * @param {boolean} [mayResync]
 * @returns {Admission}
 */
export function admitFrame(gate, seq, now, mayResync = true) {
  if (typeof seq !== "number" || !Number.isInteger(seq) || seq <= gate.lastSeq) return { verdict: "stale", resync: null };
  if (seq === gate.lastSeq + 1) {
    gate.lastSeq = seq;
    gate.awaitingSnapshot = false; // in order again: nothing is missing, a later gap asks at once
    return { verdict: "next", resync: null };
  }
  const due = mayResync && (!gate.awaitingSnapshot || now - gate.resyncAt > RESYNC_RETRY_MS);
  return { verdict: "gap", resync: due ? requestResync(gate, now) : null };
}

/**
 * A snapshot's `seq`: the frames after it follow on from it.
 *
 * @param {SeqGate} gate
 * @param {unknown} seq
 */
export function admitSnapshot(gate, seq) {
  if (typeof seq === "number" && Number.isInteger(seq) && seq >= 0) gate.lastSeq = seq;
  gate.awaitingSnapshot = false;
}

/**
 * The first render's catch-up: a page reloaded mid-run has nothing and has seen no frame, so it
 * asks once for everything so far. Only the first call counts; the resync it asks for is pending
 * like any other (a gap right after it asks nothing more).
 *
 * @param {SeqGate} gate
 * @param {boolean} empty  the call is in progress and nothing of it is known yet
 * @param {number} now
 * @returns {number | null} the `have` of the resync to send (0), or null
 */
export function initialResync(gate, empty, now) {
  if (gate.initialResyncDone) return null;
  gate.initialResyncDone = true;
  return empty && gate.lastSeq === 0 ? requestResync(gate, now) : null;
}
