// Scale: 200 rows streaming at once, a frame every 50 ms. The work per frame must
// stay proportional to the rows that changed, with no Markdown rendering for
// collapsed rows and one animation frame per batch of messages.
import test from "node:test";
import assert from "node:assert/strict";
import { installDom, installRaf, fakeClock, FakeModel, DEFAULT_STATS } from "./helpers.js";

installDom();
const raf = installRaf();
const { createWidget } = await import("../index.js");
const { renderMarkdownFragment } = await import("../markdown.js");

const ROWS = 200;
const FRAMES = 100;
const WORDS = "the model streams tokens into **rows** of a panel with `code` and [links](https://example.com) while others wait".split(" ");

function setup() {
  const now = fakeClock(0);
  const renders = [];
  const render = (src) => {
    renders.push(src);
    return renderMarkdownFragment(src);
  };
  const model = new FakeModel({
    _view: "panel",
    status: "running",
    rows: Array.from({ length: ROWS }, (_, i) => ({ label: `row ${i + 1}`, model: "claude-test", prompt: `Question ${i + 1}` })),
    summary: {},
    final: [],
    show_text: true,
  });
  const widget = createWidget({ env: { now, render, tickMs: 1e9 } });
  const mc = new AbortController();
  widget.initialize({ model, signal: mc.signal });
  const el = document.createElement("div");
  document.body.appendChild(el);
  const vc = new AbortController();
  widget.render({ model, el, signal: vc.signal });
  model.emit({ type: "snapshot", seq: 0, rows: [] }); // answers the fresh view's resync
  const root = el.querySelector(".nbstream-panel");
  return { now, renders, model, root, stop: () => (vc.abort(), mc.abort(), el.remove()) };
}

/** One frame in which every row gets a delta and new stats. */
function frameFor(seq) {
  const t = seq * 0.05;
  const rows = [];
  for (let i = 0; i < ROWS; i++) {
    const tokens = seq * 3 + (i % 7);
    rows.push({
      i,
      delta: `${WORDS[(seq + i) % WORDS.length]} ${WORDS[(seq * 7 + i) % WORDS.length]}${seq % 10 === 0 ? "\n\n" : " "}`,
      status: "streaming",
      stats: { ...DEFAULT_STATS, output_tokens: tokens, input_tokens: 40, ttft: 0.3 + i / 1000, elapsed: t, rate: tokens / Math.max(t, 0.05), cost: tokens * 0.000015 },
      timeline: { started: i * 0.001, first_token: 0.3 + i / 1000, ended: null },
      error: "",
      notice: "",
      retry_in: 0,
      can_retry: false,
    });
  }
  return {
    type: "frame",
    seq,
    elapsed: t,
    summary: { total: ROWS, done: 0, counts: { streaming: ROWS }, input_tokens: ROWS * 40, output_tokens: ROWS * seq * 3, cost: ROWS * seq * 0.00005, cost_partial: false, ttft_p50: 0.4, ttft_p95: 0.5, duration_p50: null, duration_p95: null, wall: t, sum_durations: ROWS * t, speedup: ROWS, concurrency: ROWS, in_flight: ROWS, paused_for: 0 },
    rows,
  };
}

test(`${FRAMES} frames × ${ROWS} row updates: one animation frame each, no Markdown for collapsed rows, bounded DOM work`, () => {
  const { now, renders, model, root, stop } = setup();
  raf.flush();
  const observer = new window.MutationObserver(() => {});
  observer.observe(root, { subtree: true, childList: true, attributes: true, characterData: true });
  observer.takeRecords();

  const mutations = [];
  const flushMs = [];
  for (let seq = 1; seq <= FRAMES; seq++) {
    now.advance(50);
    raf.resetCount();
    model.emit(frameFor(seq));
    assert.equal(raf.requests, 1, "one animation frame requested per frame");
    const t0 = performance.now();
    raf.flush();
    flushMs.push(performance.now() - t0);
    mutations.push(observer.takeRecords().length);
  }
  observer.disconnect();

  assert.equal(renders.length, 0, "collapsed rows render no Markdown");
  assert.equal(root.querySelectorAll(".nbstream-text").length, 0);
  // Per row and frame: tokens, rate, elapsed, cost, the tokens' title, data-tokens,
  // preview text, and the bar's generating width (fewer when a value did not change);
  // the summary adds a handful. When the time axis grows a step, every bar is
  // redrawn once more. The first frame also changes each row's status.
  const first = mutations.shift();
  assert.ok(first / ROWS <= 20, `first frame: ${first}`);
  mutations.sort((a, b) => a - b);
  const medianPerRow = mutations[Math.floor(mutations.length / 2)] / ROWS;
  const maxPerRow = mutations.at(-1) / ROWS;
  assert.ok(medianPerRow <= 9, `at most ~8 DOM mutations per changed row (got ${medianPerRow.toFixed(1)})`);
  assert.ok(maxPerRow <= 12, `at most 12 with an axis change (got ${maxPerRow.toFixed(1)})`);
  assert.equal(root.querySelectorAll(".nbstream-row").length, ROWS);
  assert.match(root.querySelector('.nbstream-row[data-row="199"] .nbstream-preview').textContent, /\S/);
  assert.equal(root.querySelector('.nbstream-row[data-row="199"]').getAttribute("data-tokens"), String(FRAMES * 3 + (199 % 7)));

  flushMs.sort((a, b) => a - b);
  const median = flushMs[Math.floor(flushMs.length / 2)];
  // Timings are reported, not asserted: the suite stays deterministic (the browser benchmark checks them).
  console.log(`panel perf (jsdom): median flush ${median.toFixed(1)} ms, max ${flushMs.at(-1).toFixed(1)} ms, DOM mutations per frame: median ${mutations[Math.floor(mutations.length / 2)]}, max ${mutations.at(-1)}`);

  // Expanding one row renders Markdown for that row only.
  root.querySelector('.nbstream-row[data-row="7"] .nbstream-expand').click();
  raf.flush();
  assert.ok(renders.length > 0);
  assert.ok(renders.length < 20, `a few renders for one row (got ${renders.length})`);
  const before = renders.length;
  model.emit(frameFor(FRAMES + 1));
  raf.flush();
  assert.ok(renders.length - before <= 2, "one more frame: at most the row's tail (and a new block)");
  stop();
});

test("only the rows listed in a frame are redrawn (the others are not touched)", () => {
  const { model, root, stop } = setup();
  for (let seq = 1; seq <= 3; seq++) model.emit(frameFor(seq));
  raf.flush();
  const observer = new window.MutationObserver(() => {});
  observer.observe(root.querySelector(".nbstream-rows"), { subtree: true, childList: true, attributes: true, characterData: true });
  const f = frameFor(4);
  f.rows = f.rows.filter((r) => r.i % 50 === 0); // 4 rows changed
  model.emit(f);
  raf.flush();
  const touched = new Set(observer.takeRecords().map((r) => {
    const el = r.target.nodeType === 1 ? r.target : r.target.parentElement;
    return el.closest(".nbstream-row").getAttribute("data-row");
  }));
  observer.disconnect();
  assert.deepEqual([...touched].sort(), ["0", "100", "150", "50"]);
  stop();
});
