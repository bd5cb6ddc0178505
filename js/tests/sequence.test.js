import test from "node:test";
import assert from "node:assert/strict";
import { RESYNC_RETRY_MS, admitFrame, admitSnapshot, createGate, initialResync } from "../sequence.js";

/** The verdicts of frames `seqs`, all at time `now`. */
function verdicts(gate, seqs, now = 0) {
  return seqs.map((s) => admitFrame(gate, s, now).verdict);
}

test("frames in order are applied, one after the other", () => {
  const g = createGate();
  assert.deepEqual(verdicts(g, [1, 2, 3]), ["next", "next", "next"]);
  assert.equal(g.lastSeq, 3);
  assert.equal(g.awaitingSnapshot, false);
});

test("a repeated, older or malformed seq is stale and changes nothing", () => {
  const g = createGate();
  verdicts(g, [1, 2]);
  for (const seq of [2, 1, 0, -1, 2.5, NaN, "3", null, undefined]) {
    assert.deepEqual(admitFrame(g, seq, 0), { verdict: "stale", resync: null }, String(seq));
  }
  assert.equal(g.lastSeq, 2);
});

test("a gap asks for a resync once per RESYNC_RETRY_MS, and its frames are not applied", () => {
  const g = createGate();
  admitFrame(g, 1, 0);
  assert.deepEqual(admitFrame(g, 3, 100), { verdict: "gap", resync: 1 });
  assert.equal(g.awaitingSnapshot, true);
  // more gap frames while the resync is out ask nothing more
  assert.deepEqual(admitFrame(g, 4, 100 + RESYNC_RETRY_MS), { verdict: "gap", resync: null });
  assert.equal(g.lastSeq, 1, "a gap frame does not move the sequence on");
  // no snapshot within RESYNC_RETRY_MS: the next gap asks again, from the same place
  assert.deepEqual(admitFrame(g, 5, 100 + RESYNC_RETRY_MS + 1), { verdict: "gap", resync: 1 });
  assert.deepEqual(admitFrame(g, 6, 200 + RESYNC_RETRY_MS), { verdict: "gap", resync: null });
});

test("a snapshot resets the sequence (also to a lower seq) and ends the wait", () => {
  const g = createGate();
  admitFrame(g, 1, 0);
  admitFrame(g, 5, 0);
  admitSnapshot(g, 5);
  assert.equal(g.lastSeq, 5);
  assert.equal(g.awaitingSnapshot, false);
  assert.equal(admitFrame(g, 6, 1).verdict, "next");
  // a retry starts over: its snapshot may carry a lower seq, and frames follow on from it
  admitSnapshot(g, 0);
  assert.equal(g.lastSeq, 0);
  assert.equal(admitFrame(g, 1, 2).verdict, "next");
  // a gap right after a snapshot asks at once (the wait is over)
  assert.deepEqual(admitFrame(g, 9, 3), { verdict: "gap", resync: 1 });
});

test("frames older than a snapshot are dropped", () => {
  const g = createGate();
  admitFrame(g, 1, 0);
  admitFrame(g, 4, 0); // gap: resync sent
  admitSnapshot(g, 7); // the kernel's state at seq 7 (frames 2..7 are in it)
  assert.deepEqual(verdicts(g, [2, 3, 5, 6, 7]), ["stale", "stale", "stale", "stale", "stale"]);
  assert.equal(admitFrame(g, 8, 0).verdict, "next");
});

test("a snapshot without a usable seq keeps the sequence but still ends the wait", () => {
  const g = createGate();
  admitFrame(g, 1, 0);
  admitFrame(g, 3, 0);
  admitSnapshot(g, undefined);
  admitSnapshot(g, -2);
  assert.equal(g.lastSeq, 1);
  assert.equal(g.awaitingSnapshot, false);
});

test("with mayResync false (the stream is over) frames in order still count, gaps ask nothing", () => {
  const g = createGate();
  assert.equal(admitFrame(g, 1, 0, false).verdict, "next");
  assert.deepEqual(admitFrame(g, 3, 0, false), { verdict: "gap", resync: null });
  assert.equal(g.awaitingSnapshot, false);
  assert.equal(g.lastSeq, 1);
});

test("a frame in order after a resync ends the wait: the next gap asks at once", () => {
  const g = createGate();
  assert.equal(initialResync(g, true, 0), 0); // a fresh page asked for everything
  assert.equal(admitFrame(g, 1, 10).verdict, "next"); // …but the stream started from the beginning
  assert.deepEqual(admitFrame(g, 3, 20), { verdict: "gap", resync: 1 });
});

test("the first render's catch-up asks once, only when nothing is known, and counts as the pending resync", () => {
  const g = createGate();
  assert.equal(initialResync(g, true, 50), 0);
  assert.equal(initialResync(g, true, 60), null, "only once");
  // the first frame this page sees is a gap, but the resync is already out
  assert.deepEqual(admitFrame(g, 40, 70), { verdict: "gap", resync: null });
  assert.deepEqual(admitFrame(g, 41, 51 + RESYNC_RETRY_MS), { verdict: "gap", resync: 0 });

  const known = createGate();
  assert.equal(initialResync(known, false, 0), null, "text known or the call is over: nothing to ask");
  assert.equal(known.awaitingSnapshot, false);
  assert.equal(initialResync(known, true, 0), null, "the check runs once, on the first render");

  const seen = createGate();
  admitFrame(seen, 1, 0);
  assert.equal(initialResync(seen, true, 0), null, "a frame was already seen");
});
