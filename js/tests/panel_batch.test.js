import test from "node:test";
import assert from "node:assert/strict";
import { batchStatusLabel, batchTexts, formatBatchCounts, formatBatchIds, shortBatchId } from "../panel_batch.js";

const ID = "msgbatch_01HkcTjaV5uDC8jWR4ZsDV8d";
const ctx = (extra = {}) => ({ running: true, pollAt: 1000, now: 1000, ...extra });
const counts = (extra = {}) => ({ processing: 0, succeeded: 0, errored: 0, canceled: 0, expired: 0, ...extra });

test("a normal panel has no batch line", () => {
  assert.equal(batchTexts(null, ctx()), null);
  assert.equal(batchTexts(undefined, ctx()), null);
});

test("ids: one shortened after its prefix, several counted", () => {
  assert.equal(shortBatchId(ID), "msgbatch_01Hk…");
  assert.equal(shortBatchId("msgbatch_01H"), "msgbatch_01H", "short ids stay whole");
  assert.equal(shortBatchId("abcdefghij"), "abcd…");
  assert.equal(formatBatchIds([]), "");
  assert.equal(formatBatchIds([ID]), "msgbatch_01Hk…");
  assert.equal(formatBatchIds(["msgbatch_a1", "msgbatch_b2", "msgbatch_c3"]), "3 batches");
});

test("status in words, non-zero counts in order", () => {
  assert.deepEqual(["submitting", "in_progress", "canceling", "ended", "some_new"].map(batchStatusLabel), ["submitting", "in progress", "canceling", "ended", "some new"]);
  assert.equal(formatBatchCounts(counts({ expired: 1, succeeded: 98, errored: 1 })), "98 succeeded · 1 errored · 1 expired");
  assert.equal(formatBatchCounts(counts({ processing: 1200 })), "1,200 processing");
  assert.equal(formatBatchCounts(counts()), "");
  assert.equal(formatBatchCounts(undefined), "");
});

test("the whole line, with the full ids as its title", () => {
  const b = { ids: [ID], status: "in_progress", counts: counts({ processing: 100 }), next_poll_in: 3 };
  assert.deepEqual(batchTexts(b, ctx()), {
    line: "Message Batch msgbatch_01Hk… · in progress · 100 processing · next check in 3 s · 50% price",
    title: ID,
    ticking: true,
  });
  const several = batchTexts({ ids: ["msgbatch_aaaaaaaa", "msgbatch_bbbbbbbb"], status: "ended", counts: counts({ succeeded: 3 }), next_poll_in: null }, ctx());
  assert.equal(several?.line, "Message Batch (2 batches) · ended · 3 succeeded · 50% price");
  assert.equal(several?.title, "msgbatch_aaaaaaaa\nmsgbatch_bbbbbbbb");
  assert.equal(several?.ticking, false);
  const submitting = batchTexts({ ids: [], status: "submitting", counts: counts(), next_poll_in: null }, ctx());
  assert.deepEqual(submitting, { line: "Message Batch · submitting · 50% price", title: "", ticking: false });
});

test("next_poll_in counts down from when it changed, and only while the panel runs", () => {
  const b = { ids: [ID], status: "in_progress", counts: counts({ processing: 2 }), next_poll_in: 2.5 };
  assert.match(batchTexts(b, ctx({ now: 1000 }))?.line ?? "", /next check in 3 s/);
  assert.match(batchTexts(b, ctx({ now: 2000 }))?.line ?? "", /next check in 2 s/);
  const over = batchTexts(b, ctx({ now: 3600 }));
  assert.doesNotMatch(over?.line ?? "", /next check/);
  assert.equal(over?.ticking, false);
  assert.doesNotMatch(batchTexts(b, ctx({ running: false }))?.line ?? "", /next check/);
});
