import test from "node:test";
import assert from "node:assert/strict";
import {
  anyActive,
  applyFinal,
  applyFrame,
  applySnapshot,
  clockAt,
  createPanelData,
  RESYNC_RETRY_MS,
  setRows,
  setSummary,
} from "../panel_reducer.js";

const SPECS = [
  { label: "a", model: "m1", prompt: "Prompt A" },
  { label: "b", model: "m1", prompt: "Prompt B" },
  { label: "c", model: "m2", prompt: "Prompt C" },
];

function fresh() {
  return createPanelData(SPECS, {}, 0);
}

function row(i, extra = {}) {
  return { i, delta: "", status: "streaming", stats: { output_tokens: 1 }, timeline: { started: 0, first_token: 0.1, ended: null }, error: "", notice: "", retry_in: 0, can_retry: false, ...extra };
}

test("rows start queued, with labels, models and prompts from the rows trait", () => {
  const d = fresh();
  assert.equal(d.rows.length, 3);
  assert.deepEqual(
    d.rows.map((r) => [r.label, r.model, r.prompt, r.status, r.text]),
    [["a", "m1", "Prompt A", "queued", ""], ["b", "m1", "Prompt B", "queued", ""], ["c", "m2", "Prompt C", "queued", ""]],
  );
  assert.deepEqual(d.rows[0].timeline, { started: null, first_token: null, ended: null });
  // a missing label gets a number
  assert.equal(createPanelData([{}], {}, 0).rows[0].label, "#1");
});

test("in-order frames append deltas and report only the rows listed", () => {
  const d = fresh();
  let c = applyFrame(d, { type: "frame", seq: 1, elapsed: 0.05, summary: { total: 3, done: 0 }, rows: [row(0, { delta: "Hel" }), row(2, { delta: "x" })] }, 10);
  assert.deepEqual(c.rows, [0, 2]);
  assert.equal(c.summary, true);
  assert.equal(c.resync, null);
  c = applyFrame(d, { type: "frame", seq: 2, elapsed: 0.1, rows: [row(0, { delta: "lo" })] }, 20);
  assert.deepEqual(c.rows, [0]);
  assert.equal(d.rows[0].text, "Hello");
  assert.equal(d.rows[1].text, "");
  assert.equal(d.rows[2].text, "x");
  assert.equal(d.rows[0].status, "streaming");
  assert.equal(d.rows[1].status, "queued");
  assert.equal(d.lastSeq, 2);
  assert.equal(d.elapsed, 0.1);
  assert.equal(d.elapsedAt, 20);
  assert.deepEqual(d.summary, { total: 3, done: 0 }, "a frame without summary keeps the last one");
});

test("a gap ignores deltas and resets, keeps absolute fields, and asks for a resync once", () => {
  const d = fresh();
  applyFrame(d, { seq: 1, rows: [row(0, { delta: "one " })] }, 0);
  const c = applyFrame(d, { seq: 3, elapsed: 1.5, summary: { done: 1 }, rows: [row(0, { delta: "three ", reset: true, status: "done", stats: { output_tokens: 9 } })] }, 100);
  assert.equal(c.resync, 1);
  assert.deepEqual(c.rows, [0]);
  assert.equal(d.rows[0].text, "one ", "delta and reset ignored");
  assert.equal(d.rows[0].status, "done", "status applies");
  assert.equal(d.rows[0].stats.output_tokens, 9, "stats apply");
  assert.equal(d.summary.done, 1);
  assert.equal(d.elapsed, 1.5);
  assert.equal(d.lastSeq, 1);
  // further gaps while waiting for the snapshot: no second resync…
  assert.equal(applyFrame(d, { seq: 4, rows: [row(1, { delta: "b" })] }, 200).resync, null);
  assert.equal(d.rows[1].text, "");
  // …until a while has passed without a snapshot
  assert.equal(applyFrame(d, { seq: 5, rows: [] }, 100 + RESYNC_RETRY_MS + 1).resync, 1);
  // the snapshot brings everything back in sync
  const s = applySnapshot(d, { type: "snapshot", seq: 5, elapsed: 2, summary: { done: 1 }, rows: [
    { i: 0, text: "one two three", status: "done", stats: {}, timeline: { started: 0, first_token: 0.2, ended: 1.2 } },
    { i: 1, text: "b", status: "streaming", stats: {}, timeline: { started: 0.1, first_token: null, ended: null } },
  ] }, 5000);
  assert.deepEqual(s.rows, [0, 1]);
  assert.equal(d.lastSeq, 5);
  assert.equal(d.awaitingSnapshot, false);
  assert.equal(d.rows[0].text, "one two three");
  assert.deepEqual(d.rows[0].timeline, { started: 0, first_token: 0.2, ended: 1.2 });
  const n = applyFrame(d, { seq: 6, rows: [row(1, { delta: "c" })] }, 5050);
  assert.equal(n.resync, null);
  assert.equal(d.rows[1].text, "bc");
});

test("stale and duplicate frames are ignored entirely", () => {
  const d = fresh();
  applyFrame(d, { seq: 1, rows: [row(0, { delta: "a" })] }, 0);
  applyFrame(d, { seq: 2, rows: [row(0, { delta: "b" })] }, 0);
  const c = applyFrame(d, { seq: 2, rows: [row(0, { delta: "b", status: "failed" })] }, 0);
  assert.deepEqual(c.rows, []);
  assert.equal(applyFrame(d, { seq: 1, rows: [row(0, { delta: "a" })] }, 0).rows.length, 0);
  assert.equal(applyFrame(d, { seq: "3", rows: [] }, 0).rows.length, 0);
  assert.equal(d.rows[0].text, "ab");
  assert.equal(d.rows[0].status, "streaming");
});

test("reset clears a row's text before its delta (a retried row starting over)", () => {
  const d = fresh();
  applyFrame(d, { seq: 1, rows: [row(1, { delta: "first attempt" })] }, 0);
  applyFrame(d, { seq: 2, rows: [row(1, { status: "retrying", retry_in: 3 })] }, 0);
  assert.equal(d.rows[1].text, "first attempt");
  applyFrame(d, { seq: 3, rows: [row(1, { reset: true, delta: "Second" })] }, 0);
  assert.equal(d.rows[1].text, "Second");
  applyFrame(d, { seq: 4, rows: [row(1, { reset: true })] }, 0);
  assert.equal(d.rows[1].text, "");
});

test("a snapshot replaces every row it lists (also with a lower seq)", () => {
  const d = fresh();
  for (let s = 1; s <= 5; s++) applyFrame(d, { seq: s, rows: [row(0, { delta: `${s}` })] }, 0);
  applySnapshot(d, { seq: 2, rows: [{ i: 0, text: "12", status: "streaming" }, { i: 2, text: "C", status: "done" }] }, 0);
  assert.equal(d.rows[0].text, "12");
  assert.equal(d.rows[2].text, "C");
  assert.equal(d.rows[2].status, "done");
  assert.equal(d.lastSeq, 2);
  applyFrame(d, { seq: 3, rows: [row(0, { delta: "3" })] }, 0);
  assert.equal(d.rows[0].text, "123");
});

test("final replaces each row's text and state, and reports only rows that differ", () => {
  const d = fresh();
  applyFrame(d, { seq: 1, rows: [row(0, { delta: "partial" }), row(1, { delta: "B done" })] }, 0);
  const stats = { output_tokens: 5, tokens_exact: true, cost: 0.01, cost_exact: true };
  const entry = (text, status, extra = {}) => ({ status, text, stats: { ...stats }, error: "", notice: "", retry_in: 0, can_retry: false, timeline: { started: 0, first_token: 0.1, ended: 1 }, ...extra });
  const final = [entry("The full answer.", "done"), entry("B done", "done"), entry("", "failed", { error: "overloaded (529)", can_retry: true })];
  let c = applyFinal(d, final, 10);
  assert.deepEqual(c.rows, [0, 1, 2]);
  assert.equal(d.rows[0].text, "The full answer.");
  assert.equal(d.rows[2].status, "failed");
  assert.equal(d.rows[2].error, "overloaded (529)");
  assert.equal(d.rows[2].canRetry, true);
  // the same final again (new objects, equal values): nothing changed
  c = applyFinal(d, structuredClone(final), 20);
  assert.deepEqual(c.rows, []);
  // later, a retried row finishes: only it changes
  const again = structuredClone(final);
  again[2] = entry("Retried answer.", "done");
  c = applyFinal(d, again, 30);
  assert.deepEqual(c.rows, [2]);
  assert.equal(d.rows[2].text, "Retried answer.");
  assert.equal(d.rows[2].error, "");
  assert.equal(d.rows[2].canRetry, false);
  // an empty final (while running) changes nothing
  assert.deepEqual(applyFinal(d, [], 40).rows, []);
});

test("retry_in restarts the local countdown only when its value changes", () => {
  const d = fresh();
  applyFrame(d, { seq: 1, rows: [row(0, { status: "retrying", retry_in: 3 })] }, 100);
  assert.equal(d.rows[0].retryIn, 3);
  assert.equal(d.rows[0].retryAt, 100);
  applyFrame(d, { seq: 2, rows: [row(0, { status: "retrying", retry_in: 3 })] }, 900);
  assert.equal(d.rows[0].retryAt, 100);
  applyFrame(d, { seq: 3, rows: [row(0, { retry_in: 2 })] }, 1000);
  assert.equal(d.rows[0].retryAt, 1000);
});

test("rows for unknown indices are created on demand; bad indices are ignored", () => {
  const d = createPanelData([], {}, 0);
  const c = applyFrame(d, { seq: 1, rows: [row(1, { delta: "x" }), row(-1, { delta: "bad" }), row(1.5), { i: "2" }] }, 0);
  assert.equal(c.structure, true);
  assert.equal(d.rows.length, 2);
  assert.equal(d.rows[1].text, "x");
  const r = setRows(d, [{ label: "first" }, { label: "second", model: "m", prompt: "p" }], 0);
  assert.equal(r.structure, false);
  assert.equal(d.rows[1].label, "second");
  assert.equal(d.rows[1].text, "x", "state kept");
});

test("the clock: extrapolated from the last elapsed while running, the wall time at the end", () => {
  const d = fresh();
  assert.equal(clockAt(d, true, 0), 0);
  applyFrame(d, { seq: 1, elapsed: 2, rows: [row(0, { timeline: { started: 0, first_token: 0.5, ended: 1.8 } })] }, 1000);
  assert.equal(clockAt(d, true, 1500), 2.5);
  assert.equal(clockAt(d, false, 1500), 2);
  setSummary(d, { wall: 3.25 }, 2000);
  assert.equal(clockAt(d, false, 9999), 3.25);
  // a row retried after the end: frames move the clock past the summary's wall time
  applyFrame(d, { seq: 2, elapsed: 9, rows: [row(0, { status: "streaming", reset: true })] }, 3000);
  assert.equal(anyActive(d), true);
  assert.equal(clockAt(d, true, 4000), 10);
  applyFrame(d, { seq: 3, elapsed: 11, rows: [row(0, { status: "done" })] }, 5000);
  assert.equal(anyActive(createPanelData([], {}, 0)), false);
  assert.equal(clockAt(d, false, 9999), 11);
  // a reloaded page that has seen no frame: the summary's wall, extrapolated
  const e = fresh();
  setSummary(e, { wall: 4 }, 1000);
  assert.equal(clockAt(e, true, 2000), 5);
});

test("row entries with ops build the row's parts (same reducer as the stream); snapshots and final may carry parts", () => {
  const d = fresh();
  applyFrame(d, { type: "frame", seq: 1, rows: [row(0, { delta: undefined, ops: [{ t: "text", text: "Let me look." }, { t: "tool", id: "t1", name: "search", status: "forming", input: "" }] })] }, 0);
  applyFrame(d, { type: "frame", seq: 2, rows: [row(0, { delta: undefined, ops: [{ t: "tool", id: "t1", input_delta: "{}", status: "running" }] })] }, 0);
  let c = applyFrame(d, { type: "frame", seq: 3, rows: [row(0, { delta: undefined, ops: [{ t: "tool", id: "t1", status: "done", duration: 0.2, result: "r" }, { t: "text", text: "Found." }] })] }, 0);
  assert.deepEqual(c.rows, [0]);
  assert.deepEqual(d.rows[0].parts.map((p) => p.t), ["text", "tool", "text"]);
  assert.equal(d.rows[0].parts[1].input, "{}");
  assert.equal(d.rows[0].text, "Let me look.\n\nFound.");
  // a gap ignores ops like deltas
  applyFrame(d, { type: "frame", seq: 5, rows: [row(0, { delta: undefined, ops: [{ t: "text", text: " lost" }] })] }, 0);
  assert.equal(d.rows[0].text, "Let me look.\n\nFound.");
  // a snapshot row with parts replaces them
  applySnapshot(d, { type: "snapshot", seq: 5, rows: [{ i: 0, text: "X", parts: [{ t: "tool", id: "t9", status: "running" }, { t: "text", text: "X" }] }] }, 0);
  assert.deepEqual(d.rows[0].parts.map((p) => p.t + (p.id ?? "")), ["toolt9", "text"]);
  // reset clears the parts
  applyFrame(d, { type: "frame", seq: 6, rows: [row(0, { reset: true })] }, 0);
  assert.deepEqual(d.rows[0].parts, []);
  assert.equal(d.rows[0].text, "");
  // final: parts are authoritative; the same values again change nothing
  const final = [{ status: "done", text: "A\n\nB", parts: [{ t: "text", text: "A" }, { t: "tool", id: "z", status: "done" }, { t: "text", text: "B" }] }];
  c = applyFinal(d, final, 0);
  assert.deepEqual(c.rows, [0]);
  assert.equal(d.rows[0].parts.length, 3);
  const parts = d.rows[0].parts;
  c = applyFinal(d, structuredClone(final), 0);
  assert.deepEqual(c.rows, []);
  assert.equal(d.rows[0].parts, parts, "unchanged parts keep their identity");
});

test("can_cancel: true unless a row entry says false; absent leaves it as it is", () => {
  const d = fresh();
  assert.equal(d.rows[0].canCancel, true);
  let c = applyFrame(d, { type: "frame", seq: 1, rows: [row(0, { status: "waiting", can_cancel: false }), row(1, { status: "waiting" })] }, 10);
  assert.deepEqual(c.rows, [0, 1]);
  assert.equal(d.rows[0].canCancel, false);
  assert.equal(d.rows[1].canCancel, true);
  c = applyFrame(d, { type: "frame", seq: 2, rows: [{ i: 0, status: "waiting" }] }, 20);
  assert.deepEqual(c.rows, [], "nothing changed");
  assert.equal(d.rows[0].canCancel, false);
  applyFinal(d, [{ status: "done", text: "x", can_cancel: false }, { status: "done", text: "y", can_cancel: true }], 30);
  assert.equal(d.rows[0].canCancel, false);
  assert.equal(d.rows[1].canCancel, true);
});

test("the batch's next_poll_in restarts its countdown only when its value changes", () => {
  const batch = (next) => ({ ids: ["msgbatch_1"], status: "in_progress", counts: { processing: 3 }, next_poll_in: next });
  const d = createPanelData(SPECS, { batch: null }, 0);
  assert.equal(d.pollAt, 0);
  applyFrame(d, { type: "frame", seq: 1, summary: { batch: batch(3) }, rows: [] }, 100);
  assert.equal(d.pollAt, 100);
  applyFrame(d, { type: "frame", seq: 2, summary: { batch: batch(3) }, rows: [] }, 500);
  assert.equal(d.pollAt, 100, "the same value: the countdown goes on");
  assert.equal(d.summaryAt, 500);
  applySnapshot(d, { type: "snapshot", seq: 2, summary: { batch: batch(null) }, rows: [] }, 900);
  assert.equal(d.pollAt, 900);
  setSummary(d, { batch: batch(4.5) }, 1200);
  assert.equal(d.pollAt, 1200);
});
