import test from "node:test";
import assert from "node:assert/strict";
import { barLayout, barOutcome, barSegments, barTitle, barY, formatTick, niceTicks, segmentBox, xOf } from "../waterfall_geometry.js";

test("ticks: round steps, at most six intervals, the axis covers the time shown", () => {
  assert.deepEqual(niceTicks(0), { max: 1, step: 0.2, ticks: [0, 0.2, 0.4, 0.6, 0.8, 1] });
  assert.deepEqual(niceTicks(3.2), { max: 4, step: 1, ticks: [0, 1, 2, 3, 4] });
  assert.deepEqual(niceTicks(6), { max: 6, step: 1, ticks: [0, 1, 2, 3, 4, 5, 6] });
  assert.equal(niceTicks(6.01).step, 2);
  assert.equal(niceTicks(6.01).max, 8);
  assert.equal(niceTicks(15.9).max, 20);
  assert.equal(niceTicks(95).step, 30);
  assert.equal(niceTicks(95).max, 120);
  assert.equal(niceTicks(4000).step, 900);
  assert.equal(niceTicks(50000).step, 10800);
  for (const t of [0.3, 1.7, 12, 59, 61, 299, 1234]) {
    const { max, ticks, step } = niceTicks(t);
    assert.ok(max >= t, `${t}`);
    assert.ok(ticks.length - 1 <= 6, `${t}`);
    assert.equal(ticks.at(-1), max);
    assert.ok(step > 0);
  }
  assert.equal(niceTicks(NaN).max, 1);
});

test("tick labels in seconds (minutes and hours for long panels)", () => {
  assert.equal(formatTick(0, 1), "0");
  assert.equal(formatTick(0.4, 0.2), "0.4 s");
  assert.equal(formatTick(3, 1), "3 s");
  assert.equal(formatTick(90, 30), "90 s");
  assert.equal(formatTick(120, 60), "2 min");
  assert.equal(formatTick(7200, 3600), "2 h");
});

test("segments: queued until started, waiting until the first token, generating until the end", () => {
  const tl = (started, first_token, ended) => ({ started, first_token, ended });
  assert.deepEqual(barSegments(tl(1, 1.5, 4), "done", 10), { queued: [0, 1], waiting: [1, 1.5], generating: [1.5, 4] });
  // in progress: up to now
  assert.deepEqual(barSegments(tl(1, 1.5, null), "streaming", 3), { queued: [0, 1], waiting: [1, 1.5], generating: [1.5, 3] });
  assert.deepEqual(barSegments(tl(1, null, null), "waiting", 2), { queued: [0, 1], waiting: [1, 2], generating: [2, 2] });
  assert.deepEqual(barSegments(tl(null, null, null), "queued", 2.5), { queued: [0, 2.5], waiting: [2.5, 2.5], generating: [2.5, 2.5] });
  // cancelled while queued
  assert.deepEqual(barSegments(tl(null, null, 1.2), "cancelled", 9), { queued: [0, 1.2], waiting: [1.2, 1.2], generating: [1.2, 1.2] });
  // failed before the first token
  assert.deepEqual(barSegments(tl(0.5, null, 2), "failed", 9), { queued: [0, 0.5], waiting: [0.5, 2], generating: [2, 2] });
  // final without an end time: stops at the last known time, never runs with the clock
  assert.deepEqual(barSegments(tl(0.5, 0.9, null), "done", 9), { queued: [0, 0.5], waiting: [0.5, 0.9], generating: [0.9, 0.9] });
  // inconsistent times are clamped into order
  assert.deepEqual(barSegments(tl(3, 2, 4), "done", 9), { queued: [0, 3], waiting: [3, 3], generating: [3, 4] });
});

test("time → x and segment boxes are fractions of the axis", () => {
  assert.equal(xOf(2, 4), 0.5);
  assert.equal(xOf(5, 4), 1);
  assert.equal(xOf(-1, 4), 0);
  assert.equal(xOf(1, 0), 0);
  assert.deepEqual(segmentBox([1, 3], 4), { x: 0.25, width: 0.5 });
  assert.deepEqual(segmentBox([3, 3], 4), { x: 0.75, width: 0 });
});

test("bar layout: roomy for a few rows, compact for hundreds", () => {
  const few = barLayout(5);
  assert.equal(few.pitch, 14);
  assert.equal(few.barHeight, 12);
  assert.equal(few.plotHeight, 70);
  assert.equal(barY(few, 2), 29);
  const many = barLayout(300);
  assert.equal(many.pitch, 1);
  assert.equal(many.barHeight, 1);
  assert.equal(many.plotHeight, 300);
  const mid = barLayout(60);
  assert.equal(mid.pitch, 4);
  assert.equal(mid.barHeight, 3);
  assert.ok(mid.plotHeight <= 240);
  assert.equal(barLayout(0).plotHeight, 0);
});

test("bar outcome and tooltip", () => {
  assert.equal(barOutcome("streaming"), "running");
  assert.equal(barOutcome("queued"), "running");
  assert.equal(barOutcome("cut_off"), "cut_off");
  assert.equal(
    barTitle("Row a", "done", { queued: [0, 0.2], waiting: [0.2, 1], generating: [1, 4.1] }),
    "Row a (done): queued 0.20 s · waiting 0.80 s · generating 3.1 s",
  );
});
