import test from "node:test";
import assert from "node:assert/strict";
import { formatTokens, formatSeconds, formatRate, formatCost, statusLabel, formatInt, isActive, isRunning, retryLeft } from "../format.js";

test("token counts", () => {
  assert.equal(formatTokens(1234, false), "~1,234 tokens");
  assert.equal(formatTokens(1234, true), "1,234 tokens");
  assert.equal(formatTokens(1, true), "1 token");
  assert.equal(formatTokens(0, false), "~0 tokens");
  assert.equal(formatTokens(null, false), "~0 tokens");
  assert.equal(formatInt(1234567), "1,234,567");
});

test("seconds", () => {
  assert.equal(formatSeconds(0.41), "0.41 s");
  assert.equal(formatSeconds(0), "0.00 s");
  assert.equal(formatSeconds(12.34), "12.3 s");
  assert.equal(formatSeconds(3.456), "3.5 s");
  assert.equal(formatSeconds(59.97), "1 min 0 s");
  assert.equal(formatSeconds(65), "1 min 5 s");
  assert.equal(formatSeconds(3725), "1 h 2 min");
  assert.equal(formatSeconds(null), "");
  assert.equal(formatSeconds(-1), "0.00 s");
});

test("rate", () => {
  assert.equal(formatRate(83.4), "83 tok/s");
  assert.equal(formatRate(8.46), "8.5 tok/s");
  assert.equal(formatRate(1234.4), "1,234 tok/s");
  assert.equal(formatRate(null), "");
});

test("cost", () => {
  assert.equal(formatCost(0.0021, true), "$0.0021");
  assert.equal(formatCost(0.0021, false), "~$0.0021");
  assert.equal(formatCost(1.234, true), "$1.23");
  assert.equal(formatCost(1234.5, true), "$1,234.50");
  assert.equal(formatCost(0, true), "$0.00");
  assert.equal(formatCost(0.00001, false), "~$0.000010");
  assert.equal(formatCost(null, true), "cost unknown");
  assert.equal(formatCost(undefined, false), "cost unknown");
  assert.equal(formatCost(0, true, true), "local");  // an unpriced model on a server on this machine
  assert.equal(formatCost(0, false, true), "local");
});

test("status labels", () => {
  assert.equal(statusLabel("cut_off"), "cut off");
  for (const s of ["waiting", "retrying", "streaming", "done", "cancelled", "failed"]) assert.equal(statusLabel(s), s);
  assert.ok(isActive("waiting") && isActive("retrying") && isActive("streaming"));
  assert.ok(!isActive("done") && !isActive("cut_off") && !isActive("failed") && !isActive("cancelled"));
  // "queued" (not started yet) is in progress but its clock does not run yet
  assert.equal(statusLabel("queued"), "queued");
  assert.ok(isActive("queued") && !isRunning("queued"));
  assert.ok(isRunning("waiting") && isRunning("streaming") && isRunning("retrying") && !isRunning("done"));
});

test("countdowns: whole seconds left, 0 when over", () => {
  assert.equal(retryLeft(3, 1000, 1000), 3);
  assert.equal(retryLeft(3, 1000, 2100), 2);
  assert.equal(retryLeft(2.2, 0, 0), 3);
  assert.equal(retryLeft(3, 1000, 4000), 0);
  assert.equal(retryLeft(3, 1000, 9000), 0);
  assert.equal(retryLeft(0, 0, 0), 0);
  assert.equal(retryLeft(NaN, 0, 0), 0);
});
