import test from "node:test";
import assert from "node:assert/strict";
import { formatCounts, formatPercentiles, formatTotalCost, formatWall, summaryTexts } from "../panel_summary.js";

const ctx = (extra = {}) => ({ running: true, wall: 3.2, costExact: false, summaryAt: 0, now: 0, rowCount: 10, ...extra });

test("progress, tokens, cost, percentiles, wall vs summed", () => {
  const s = summaryTexts(
    {
      total: 200, done: 12, counts: { done: 12, streaming: 5, queued: 180, failed: 3 },
      input_tokens: 12345, output_tokens: 6789, cost: 0.1234, cost_partial: false,
      ttft_p50: 0.41, ttft_p95: 1.2, duration_p50: 3.1, duration_p95: 5,
      wall: 3.2, sum_durations: 15.9, speedup: 4.97, concurrency: 16, in_flight: 8, paused_for: 0,
    },
    ctx(),
  );
  assert.equal(s.done, 12);
  assert.equal(s.total, 200);
  assert.equal(s.progress, "12 / 200 done");
  assert.equal(s.counts, "5 streaming · 180 queued · 3 failed");
  assert.equal(s.tokens, "12,345 in · 6,789 out tokens");
  assert.equal(s.cost, "~$0.1234");
  assert.equal(s.ttft, "TTFT p50 0.41 s · p95 1.2 s");
  assert.equal(s.duration, "duration p50 3.1 s · p95 5.0 s");
  assert.equal(s.wall, "wall 3.2 s vs 15.9 s summed: 5.0x");
  assert.equal(s.concurrency, "8 in flight / 16");
  assert.equal(s.paused, "");
});

test("an empty summary (nothing received yet) still reads sensibly", () => {
  const s = summaryTexts({}, ctx({ wall: 0 }));
  assert.equal(s.progress, "0 / 10 done");
  assert.equal(s.counts, "");
  assert.equal(s.cost, "cost unknown");
  assert.equal(s.ttft, "");
  assert.equal(s.duration, "");
  assert.equal(s.wall, "wall 0.00 s");
  assert.equal(s.concurrency, "");
});

test("rate-limit pause counts down locally and disappears at the end", () => {
  const sum = { total: 4, done: 0, paused_for: 2.2 };
  assert.equal(summaryTexts(sum, ctx({ summaryAt: 1000, now: 1000 })).paused, "rate limited: pausing 3 s");
  assert.equal(summaryTexts(sum, ctx({ summaryAt: 1000, now: 2500 })).paused, "rate limited: pausing 1 s");
  assert.equal(summaryTexts(sum, ctx({ summaryAt: 1000, now: 3300 })).paused, "");
  assert.equal(summaryTexts(sum, ctx({ running: false, summaryAt: 1000, now: 1000 })).paused, "");
});

test("total cost: ~ while estimated, + unknown when some cost is unknown", () => {
  assert.equal(formatTotalCost(0.5, false, true), "$0.5000");
  assert.equal(formatTotalCost(0.5, false, false), "~$0.5000");
  assert.equal(formatTotalCost(12.3, true, true), "$12.30 + unknown");
  assert.equal(formatTotalCost(null, true, false), "cost unknown");
});

test("wall vs summed: the speed-up is recomputed from a live wall clock", () => {
  assert.equal(formatWall(3.2, 15.9, 4.97, false), "wall 3.2 s vs 15.9 s summed: 5.0x");
  assert.equal(formatWall(4, 16, 5, true), "wall 4.0 s vs 16.0 s summed: 4.0x");
  assert.equal(formatWall(2, 40, 20, false), "wall 2.0 s vs 40.0 s summed: 20x");
  assert.equal(formatWall(2, 0, null, true), "wall 2.0 s");
  assert.equal(formatWall(2, 3, null, true), "wall 2.0 s vs 3.0 s summed");
});

test("counts and percentiles", () => {
  assert.equal(formatCounts({ cut_off: 1, done: 4, cancelled: 2, weird: 1 }), "2 cancelled · 1 cut off · 1 weird");
  assert.equal(formatCounts(undefined), "");
  assert.equal(formatPercentiles("TTFT", null, 2), "TTFT p95 2.0 s");
  assert.equal(formatPercentiles("TTFT", null, undefined), "");
});

test("a batch panel: its line, no TTFT (no first token), the rest as usual", () => {
  const batch = { ids: ["msgbatch_01abcdefgh"], status: "in_progress", counts: { processing: 100, succeeded: 0 }, next_poll_in: 3 };
  const sum = { total: 100, done: 0, counts: { waiting: 100 }, ttft_p50: null, ttft_p95: null, duration_p50: null, wall: 12, batch };
  const s = summaryTexts(sum, ctx({ summaryAt: 500, pollAt: 1000, now: 2000 }));
  assert.equal(s.batch, true);
  assert.equal(s.batchLine, "Message Batch msgbatch_01ab… · in progress · 100 processing · next check in 2 s · 50% price");
  assert.equal(s.batchIds, "msgbatch_01abcdefgh");
  assert.equal(s.batchTicking, true);
  assert.equal(s.ttft, "");
  assert.equal(s.counts, "100 waiting");
  assert.equal(s.progress, "0 / 100 done");
  // without pollAt the countdown runs from when the summary arrived
  assert.match(summaryTexts(sum, ctx({ summaryAt: 1000, now: 1000 })).batchLine, /next check in 3 s/);
  const normal = summaryTexts({ total: 2, batch: null }, ctx());
  assert.deepEqual([normal.batch, normal.batchLine, normal.batchIds, normal.batchTicking], [false, "", "", false]);
  assert.equal(summaryTexts({ ttft_p50: null, ttft_p95: 2 }, ctx()).ttft, "", "no median, no TTFT");
});

test("a panel under a budget shows its spend against it beside the cost", () => {
  const s = summaryTexts({ cost: 0.0008, cost_partial: false, budget: "$0.00080 of $0.00080 budget" }, ctx({ costExact: true }));
  assert.equal(s.cost, "$0.00080 · $0.00080 of $0.00080 budget");
});
