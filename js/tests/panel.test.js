import test from "node:test";
import assert from "node:assert/strict";
import { installDom, installRaf, fakeClock, FakeModel, DEFAULT_STATS, mountWidget, unmountWidget, renderView as renderViewOf, costlyRender } from "./helpers.js";

installDom();
const raf = installRaf();
const widgetModule = await import("../index.js");
const { createWidget } = widgetModule;
const { renderMarkdownFragment } = await import("../markdown.js");

function specs(n) {
  return Array.from({ length: n }, (_, i) => ({ label: `call ${i + 1}`, model: "claude-test", prompt: `Prompt number ${i + 1}` }));
}

function panelModel(n = 5, state = {}) {
  return new FakeModel({ _view: "panel", status: "running", rows: specs(n), summary: {}, final: [], show_text: true, ...state });
}

/** A Markdown renderer that counts its calls per source. */
function countingRender() {
  const calls = [];
  const render = (src) => {
    calls.push(src);
    return renderMarkdownFragment(src);
  };
  render.calls = calls;
  return render;
}

const mount = (model, options = {}) => mountWidget(createWidget, model, { root: ".nbstream-panel", ...options });
const unmount = (m) => unmountWidget(m, raf);
const renderView = (widget, model) => renderViewOf(widget, model, ".nbstream-panel");



const rowEl = (root, i) => root.querySelector(`.nbstream-row[data-row="${i}"]`);
const barEl = (root, i) => root.querySelector(`svg.nbstream-waterfall g.nbstream-bar[data-row="${i}"]`);

function rowEntry(i, extra = {}) {
  return {
    i,
    delta: "",
    status: "streaming",
    stats: { ...DEFAULT_STATS, output_tokens: 3 },
    timeline: { started: 0, first_token: 0.2, ended: null },
    error: "",
    notice: "",
    retry_in: 0,
    can_retry: false,
    ...extra,
  };
}

function frame(seq, rows, extra = {}) {
  return { type: "frame", seq, elapsed: seq * 0.05, summary: { total: 5, done: 0, counts: {} }, rows, ...extra };
}

function widthOf(rect) {
  return parseFloat(rect.getAttribute("width"));
}

test("DOM contract: root, summary, progress, waterfall and one row per call", () => {
  const model = panelModel(5);
  const m = mount(model);
  const root = m.root;
  assert.ok(root.classList.contains("nbstream"));
  assert.equal(root.getAttribute("data-status"), "running");
  assert.equal(root.getAttribute("data-done"), "0");
  assert.equal(root.getAttribute("data-total"), "5");
  const progress = root.querySelector(".nbstream-progress");
  assert.equal(progress.getAttribute("role"), "progressbar");
  assert.equal(progress.getAttribute("aria-valuenow"), "0");
  assert.equal(progress.getAttribute("aria-valuemax"), "5");
  const cancelAll = root.querySelector("button.nbstream-cancel-all");
  assert.match(cancelAll.getAttribute("aria-label"), /Cancel all/);
  assert.equal(cancelAll.hidden, false);
  assert.equal(root.querySelectorAll(".nbstream-row").length, 5);
  const row = rowEl(root, 2);
  assert.equal(row.getAttribute("data-status"), "queued");
  assert.equal(row.getAttribute("data-tokens"), "0");
  assert.equal(row.querySelector(".nbstream-row-label").textContent, "call 3");
  assert.equal(row.querySelector(".nbstream-row-label").getAttribute("title"), "Prompt number 3");
  assert.equal(row.querySelector(".nbstream-model").textContent, "claude-test");
  assert.equal(row.querySelector(".nbstream-status").textContent, "queued");
  const cancel = row.querySelector("button.nbstream-cancel");
  assert.equal(cancel.getAttribute("aria-label"), "Cancel row 3");
  assert.equal(cancel.hidden, false);
  assert.equal(row.querySelector("button.nbstream-retry").hidden, true);
  const expand = row.querySelector("button.nbstream-expand");
  assert.ok(expand);
  assert.ok(row.querySelector(".nbstream-preview"));
  assert.ok(row.querySelector(".nbstream-error").hidden);
  const svg = root.querySelector("svg.nbstream-waterfall");
  assert.equal(svg.querySelectorAll("g.nbstream-bar").length, 5);
  assert.ok(svg.querySelectorAll(".nbstream-wf-axis text").length >= 2, "tick labels");
  unmount(m);
});

test("frames append per-row text and update only the rows listed", () => {
  const model = panelModel(5, { show_text: false });
  const m = mount(model);
  raf.flush();
  const before = [0, 1, 2, 3, 4].map((i) => rowEl(m.root, i).querySelector(".nbstream-preview").textContent);
  raf.resetCount();
  model.emit(frame(1, [rowEntry(0, { delta: "Hello " }), rowEntry(3, { delta: "Other" })]));
  model.emit(frame(2, [rowEntry(0, { delta: "world", stats: { ...DEFAULT_STATS, output_tokens: 7 } })]));
  assert.equal(raf.requests, 1, "one animation frame for many messages");
  // record mutations of the rows that were not listed
  const observer = new window.MutationObserver(() => {});
  for (const i of [1, 2, 4]) observer.observe(rowEl(m.root, i), { subtree: true, childList: true, attributes: true, characterData: true });
  raf.flush();
  assert.deepEqual(observer.takeRecords(), [], "rows not listed are not touched");
  observer.disconnect();
  assert.equal(rowEl(m.root, 0).querySelector(".nbstream-preview").textContent, "Hello world");
  assert.equal(rowEl(m.root, 0).getAttribute("data-status"), "streaming");
  assert.equal(rowEl(m.root, 0).getAttribute("data-tokens"), "7");
  assert.equal(rowEl(m.root, 3).querySelector(".nbstream-preview").textContent, "Other");
  assert.equal(rowEl(m.root, 1).querySelector(".nbstream-preview").textContent, before[1]);
  assert.equal(rowEl(m.root, 1).getAttribute("data-status"), "queued");
  unmount(m);
});

test("a seq gap sends one resync, ignores the deltas, and a snapshot replaces everything", () => {
  const model = panelModel(3);
  const m = mount(model);
  // a fresh view asks for a snapshot (tested separately); the kernel answers with an empty one
  assert.deepEqual(model.sent, [{ type: "resync", have: 0 }]);
  model.emit({ type: "snapshot", seq: 0, rows: [] });
  model.sent.length = 0;
  model.emit(frame(1, [rowEntry(0, { delta: "one " })]));
  model.emit(frame(3, [rowEntry(0, { delta: "three ", status: "done", stats: { ...DEFAULT_STATS, output_tokens: 40 } }), rowEntry(1, { delta: "x" })]));
  model.emit(frame(4, [rowEntry(1, { delta: "y" })]));
  raf.flush();
  assert.deepEqual(model.sent, [{ type: "resync", have: 1 }]);
  // (3 rows: the answers are expanded)
  assert.equal(rowEl(m.root, 0).querySelector(".nbstream-text").textContent.trim(), "one");
  assert.equal(rowEl(m.root, 0).getAttribute("data-status"), "done", "absolute fields of a gapped frame apply");
  assert.equal(rowEl(m.root, 0).getAttribute("data-tokens"), "40");
  assert.equal(rowEl(m.root, 1).querySelector(".nbstream-text").textContent, "");
  model.emit({
    type: "snapshot",
    seq: 4,
    elapsed: 0.2,
    summary: { total: 3, done: 1, counts: { done: 1, streaming: 1, queued: 1 } },
    rows: [
      { i: 0, text: "one two three", status: "done", stats: { ...DEFAULT_STATS, output_tokens: 40 }, timeline: { started: 0, first_token: 0.05, ended: 0.15 }, error: "", notice: "", retry_in: 0, can_retry: false },
      { i: 1, text: "xy", status: "streaming", stats: { ...DEFAULT_STATS, output_tokens: 2 }, timeline: { started: 0, first_token: 0.1, ended: null }, error: "", notice: "", retry_in: 0, can_retry: false },
      { i: 2, text: "", status: "queued", stats: { ...DEFAULT_STATS }, timeline: { started: null, first_token: null, ended: null }, error: "", notice: "", retry_in: 0, can_retry: false },
    ],
  });
  model.emit(frame(5, [rowEntry(1, { delta: "z" })], { summary: { total: 3, done: 1, counts: { done: 1, streaming: 1, queued: 1 } } }));
  raf.flush();
  assert.equal(rowEl(m.root, 0).querySelector(".nbstream-text").textContent.trim(), "one two three");
  assert.equal(rowEl(m.root, 1).querySelector(".nbstream-text").textContent.trim(), "xyz");
  assert.equal(m.root.getAttribute("data-done"), "1");
  assert.equal(model.sent.length, 1);
  unmount(m);
});

test("reset clears a row's text (a retried row starting over)", () => {
  const model = panelModel(2, { show_text: false });
  const m = mount(model);
  model.emit(frame(1, [rowEntry(1, { delta: "First attempt, then an error" })]));
  model.emit(frame(2, [rowEntry(1, { status: "failed", error: "overloaded (529)", can_retry: true })]));
  raf.flush();
  const row = rowEl(m.root, 1);
  assert.equal(row.querySelector(".nbstream-error").textContent, "overloaded (529)");
  assert.equal(row.querySelector(".nbstream-error").hidden, false);
  model.emit(frame(3, [rowEntry(1, { status: "retrying", retry_in: 3, notice: "overloaded", reset: true })]));
  raf.flush();
  assert.equal(row.querySelector(".nbstream-preview").textContent, "");
  assert.equal(row.querySelector(".nbstream-error").hidden, true);
  assert.match(row.querySelector(".nbstream-notice").textContent, /retrying in 3 s/);
  model.emit(frame(4, [rowEntry(1, { status: "streaming", retry_in: 0, notice: "", delta: "Second" })]));
  raf.flush();
  assert.equal(row.querySelector(".nbstream-preview").textContent, "Second");
  unmount(m);
});

test("final replaces row states; the panel shows done, counts and no Cancel", () => {
  const model = panelModel(3, { show_text: false });
  const m = mount(model);
  model.emit(frame(1, [rowEntry(0, { delta: "partial with a dropped bit" }), rowEntry(1, { delta: "B" })]));
  raf.flush();
  const stats = { ...DEFAULT_STATS, output_tokens: 10, tokens_exact: true, cost: 0.002, cost_exact: true, ttft: 0.3, rate: 50, elapsed: 1.2 };
  const entry = (text, status, extra = {}) => ({ status, text, stats, error: "", notice: "", retry_in: 0, can_retry: false, timeline: { started: 0, first_token: 0.3, ended: 1.2 }, ...extra });
  model.update("final", [entry("The **full** answer.", "done"), entry("B", "cancelled"), entry("", "failed", { error: "boom", can_retry: true, stats: { ...DEFAULT_STATS } })]);
  model.update("summary", { total: 3, done: 3, counts: { done: 1, cancelled: 1, failed: 1 }, input_tokens: 30, output_tokens: 20, cost: 0.004, cost_partial: true, ttft_p50: 0.3, ttft_p95: 0.3, duration_p50: 1.2, duration_p95: 1.2, wall: 1.3, sum_durations: 2.4, speedup: 1.846, concurrency: 2, in_flight: 0, paused_for: 0 });
  model.update("status", "done");
  raf.flush();
  const root = m.root;
  assert.equal(root.getAttribute("data-status"), "done");
  assert.equal(root.getAttribute("data-done"), "3");
  assert.equal(root.querySelector(".nbstream-cancel-all").hidden, true);
  assert.equal(rowEl(root, 0).querySelector(".nbstream-preview").textContent, "The full answer.");
  assert.equal(rowEl(root, 1).getAttribute("data-status"), "cancelled");
  assert.equal(rowEl(root, 2).getAttribute("data-status"), "failed");
  for (const i of [0, 1, 2]) assert.equal(rowEl(root, i).querySelector(".nbstream-cancel").hidden, true);
  assert.equal(rowEl(root, 2).querySelector(".nbstream-retry").hidden, false);
  assert.equal(rowEl(root, 0).querySelector(".nbstream-cost").textContent, "$0.0020");
  assert.equal(rowEl(root, 0).querySelector(".nbstream-ttft").textContent, "TTFT 0.30 s");
  assert.equal(rowEl(root, 0).querySelector(".nbstream-rate").textContent, "50 tok/s");
  const summary = root.querySelector(".nbstream-summary").textContent;
  assert.match(summary, /3 \/ 3 done/);
  assert.match(summary, /1 failed · 1 cancelled/);
  assert.match(summary, /30 in · 20 out tokens/);
  assert.match(summary, /\$0\.0040 \+ unknown/);
  assert.match(summary, /TTFT p50 0\.30 s · p95 0\.30 s/);
  assert.match(summary, /wall 1\.3 s vs 2\.4 s summed: 1\.8x/);
  assert.equal(root.querySelector(".nbstream-progress").getAttribute("aria-valuenow"), "3");
  // a bar per outcome
  assert.equal(barEl(root, 1).getAttribute("data-status"), "cancelled");
  assert.match(barEl(root, 0).querySelector("title").textContent, /call 1 \(done\): queued 0\.00 s · waiting 0\.30 s · generating 0\.90 s/);
  // the legend names the colours the ended bars took, and only those
  const keys = [...root.querySelectorAll(".nbstream-wf-outcome")].filter((k) => !k.hidden).map((k) => k.getAttribute("data-outcome"));
  assert.deepEqual(keys, ["done", "cancelled", "failed"]);
  assert.equal(root.getAttribute("data-many"), "false"); // three rows: every row in view, no scroll box
  unmount(m);
});

test("the legend shows no outcome while every row runs; a panel of many rows scrolls in its own box", () => {
  const model = panelModel(41);
  const m = mount(model);
  raf.flush();
  raf.flush();
  assert.equal([...m.root.querySelectorAll(".nbstream-wf-outcome")].filter((k) => !k.hidden).length, 0);
  assert.equal(m.root.querySelector(".nbstream-wf-legend").textContent.includes("generating"), true);
  model.update("summary", { total: 41, done: 0, counts: {} });
  raf.flush();
  assert.equal(m.root.getAttribute("data-many"), "true");
  unmount(m);
});

test("row Cancel, Retry and Cancel all send their messages", () => {
  const model = panelModel(3);
  const m = mount(model);
  model.emit(frame(1, [rowEntry(1, { delta: "x" }), rowEntry(2, { status: "failed", can_retry: true })]));
  raf.flush();
  model.sent.length = 0;
  const cancel = rowEl(m.root, 1).querySelector("button.nbstream-cancel");
  cancel.click();
  assert.deepEqual(model.sent, [{ type: "cancel", row: 1 }]);
  assert.equal(cancel.disabled, true, "held after a click");
  cancel.click();
  assert.equal(model.sent.length, 1, "a held button sends nothing");
  rowEl(m.root, 2).querySelector("button.nbstream-retry").click();
  assert.deepEqual(model.sent.at(-1), { type: "retry", row: 2 });
  m.root.querySelector("button.nbstream-cancel-all").click();
  assert.deepEqual(model.sent.at(-1), { type: "cancel_all" });
  // a new status re-enables the row's button
  model.emit(frame(2, [rowEntry(1, { status: "cancelled" })]));
  raf.flush();
  assert.equal(cancel.hidden, true);
  unmount(m);
});

test("expand renders Markdown only for that row; collapse drops it", () => {
  const render = countingRender();
  const model = panelModel(10); // more than AUTO_EXPAND_MAX: nothing expands by itself
  const m = mount(model, { env: { render } });
  for (let s = 1; s <= 5; s++) {
    model.emit(frame(s, Array.from({ length: 10 }, (_, i) => rowEntry(i, { delta: s === 1 ? `# Row ${i}\n\n**bold** ` : "more " }))));
  }
  raf.flush();
  assert.equal(render.calls.length, 0, "collapsed rows render no Markdown");
  assert.equal(m.root.querySelectorAll(".nbstream-text").length, 0);
  const expand = rowEl(m.root, 4).querySelector("button.nbstream-expand");
  assert.equal(expand.getAttribute("aria-expanded"), "false");
  expand.click();
  raf.flush();
  assert.equal(expand.getAttribute("aria-expanded"), "true");
  assert.ok(render.calls.length > 0);
  assert.ok(render.calls.every((src) => !/Row [^4]/.test(src)), "only row 4's text was rendered");
  const texts = m.root.querySelectorAll(".nbstream-text");
  assert.equal(texts.length, 1);
  assert.equal(texts[0].closest(".nbstream-row").getAttribute("data-row"), "4");
  assert.equal(texts[0].querySelector("h1").textContent, "Row 4");
  assert.equal(texts[0].querySelector("strong").textContent, "bold");
  assert.equal(rowEl(m.root, 4).querySelector(".nbstream-preview").hidden, true);
  // it keeps rendering incrementally while expanded
  model.emit(frame(6, [rowEntry(4, { delta: "\n\nNew paragraph" })]));
  raf.flush();
  assert.match(texts[0].textContent, /New paragraph/);
  // collapse: the Markdown is gone, the preview is back
  expand.click();
  raf.flush();
  assert.equal(m.root.querySelectorAll(".nbstream-text").length, 0);
  assert.equal(rowEl(m.root, 4).querySelector(".nbstream-preview").hidden, false);
  assert.match(rowEl(m.root, 4).querySelector(".nbstream-preview").textContent, /New paragraph$/);
  const n = render.calls.length;
  model.emit(frame(7, [rowEntry(4, { delta: " more" })]));
  raf.flush();
  assert.equal(render.calls.length, n, "no Markdown work once collapsed");
  unmount(m);
});

test("small panels show their answers expanded unless show_text is false", () => {
  const on = mount(panelModel(2));
  raf.flush();
  assert.equal(on.root.querySelectorAll(".nbstream-expand[aria-expanded=true]").length, 2);
  unmount(on);
  const off = mount(panelModel(2, { show_text: false }));
  raf.flush();
  assert.equal(off.root.querySelectorAll(".nbstream-expand[aria-expanded=true]").length, 0);
  // still expandable by hand
  rowEl(off.root, 0).querySelector(".nbstream-expand").click();
  raf.flush();
  assert.equal(off.root.querySelectorAll(".nbstream-text").length, 1);
  unmount(off);
  // show_text turning false at the end collapses the automatic expansion, not the user's
  const model = panelModel(2);
  const m = mount(model);
  raf.flush();
  rowEl(m.root, 1).querySelector(".nbstream-expand").click(); // collapse by hand…
  rowEl(m.root, 1).querySelector(".nbstream-expand").click(); // …and expand again: now the user's choice
  model.update("show_text", false);
  raf.flush();
  assert.equal(rowEl(m.root, 0).querySelector(".nbstream-expand").getAttribute("aria-expanded"), "false");
  assert.equal(rowEl(m.root, 1).querySelector(".nbstream-expand").getAttribute("aria-expanded"), "true");
  unmount(m);
});

test("the waterfall: one bar per row, three segments whose widths follow the timeline", () => {
  const now = fakeClock(1000);
  const model = panelModel(4);
  const m = mount(model, { env: { now } });
  model.emit(frame(1, [
    rowEntry(0, { status: "done", timeline: { started: 0, first_token: 1, ended: 4 } }),
    rowEntry(1, { status: "streaming", timeline: { started: 1, first_token: 1.5, ended: null } }),
    rowEntry(2, { status: "waiting", timeline: { started: 2, first_token: null, ended: null } }),
    rowEntry(3, { status: "queued", timeline: { started: null, first_token: null, ended: null } }),
  ], { elapsed: 3 }));
  raf.flush();
  const svg = m.root.querySelector("svg.nbstream-waterfall");
  const bars = svg.querySelectorAll("g.nbstream-bar");
  assert.equal(bars.length, 4);
  for (const bar of bars) {
    assert.equal(bar.querySelectorAll("rect.nbstream-seg-queued").length, 1);
    assert.equal(bar.querySelectorAll("rect.nbstream-seg-waiting").length, 1);
    assert.equal(bar.querySelectorAll("rect.nbstream-seg-generating").length, 1);
  }
  // axis: 0…4 s (the latest time is 4 s)
  assert.equal(Array.from(svg.querySelectorAll(".nbstream-wf-axis text")).map((t) => t.textContent).join(","), "0,1 s,2 s,3 s,4 s");
  const seg = (i, name) => barEl(m.root, i).querySelector(`rect.nbstream-seg-${name}`);
  assert.equal(seg(0, "queued").getAttribute("width"), "0.00%");
  assert.equal(seg(0, "waiting").getAttribute("x"), "0.00%");
  assert.equal(seg(0, "waiting").getAttribute("width"), "25.00%");
  assert.equal(seg(0, "generating").getAttribute("x"), "25.00%");
  assert.equal(seg(0, "generating").getAttribute("width"), "75.00%");
  assert.equal(seg(1, "queued").getAttribute("width"), "25.00%");
  assert.equal(seg(1, "waiting").getAttribute("width"), "12.50%");
  assert.equal(seg(1, "generating").getAttribute("width"), "37.50%", "running: up to now (3 s)");
  assert.equal(seg(2, "waiting").getAttribute("width"), "25.00%");
  assert.equal(seg(2, "generating").getAttribute("width"), "0.00%");
  assert.equal(seg(3, "queued").getAttribute("width"), "75.00%");
  assert.equal(barEl(m.root, 0).getAttribute("data-status"), "done");
  assert.equal(barEl(m.root, 1).getAttribute("data-status"), "streaming");
  unmount(m);
});

test("running bars grow with the local clock between frames", async () => {
  const now = fakeClock(1000);
  const model = panelModel(2);
  const m = mount(model, { env: { now, tickMs: 5 } });
  model.emit(frame(1, [
    rowEntry(0, { status: "done", timeline: { started: 0, first_token: 0.5, ended: 1 } }),
    rowEntry(1, { status: "streaming", timeline: { started: 0, first_token: 0.5, ended: null } }),
  ], { elapsed: 1 }));
  raf.flush();
  const gen = (i) => widthOf(barEl(m.root, i).querySelector("rect.nbstream-seg-generating"));
  assert.equal(gen(0), 50);
  assert.equal(gen(1), 50);
  now.advance(600);
  await new Promise((r) => setTimeout(r, 25));
  raf.flush();
  // clock 1.6 s → axis 0…2 s
  assert.equal(gen(1), 55);
  assert.equal(gen(0), 25, "a finished bar only rescales with the axis");
  unmount(m);
});

test("data-status, data-done and data-total follow the state", () => {
  const model = panelModel(4);
  const m = mount(model);
  assert.equal(m.root.getAttribute("data-total"), "4");
  model.emit(frame(1, [rowEntry(0, { status: "done" })], { summary: { total: 4, done: 1, counts: { done: 1 } } }));
  raf.flush();
  assert.equal(m.root.getAttribute("data-done"), "1");
  assert.equal(m.root.getAttribute("data-status"), "running");
  model.emit(frame(2, [], { summary: { total: 4, done: 3, counts: { done: 3 } } }));
  raf.flush();
  assert.equal(m.root.getAttribute("data-done"), "3");
  assert.equal(m.root.querySelector(".nbstream-progress").getAttribute("aria-valuenow"), "3");
  assert.equal(m.root.querySelector(".nbstream-progress-fill").style.width, "75%");
  model.update("summary", { total: 4, done: 4, counts: { done: 4 }, wall: 2 });
  model.update("status", "done");
  raf.flush();
  assert.equal(m.root.getAttribute("data-status"), "done");
  assert.equal(m.root.getAttribute("data-done"), "4");
  unmount(m);
});

test("a late second view shows the accumulated rows", () => {
  const model = panelModel(3, { show_text: false });
  const widget = createWidget({ env: { now: fakeClock() } });
  const mc = new AbortController();
  widget.initialize({ model, signal: mc.signal });
  model.emit(frame(1, [rowEntry(0, { delta: "Zero " }), rowEntry(2, { delta: "Two" })]));
  model.emit(frame(2, [rowEntry(0, { delta: "and more" })]));
  const v1 = renderView(widget, model);
  model.emit(frame(3, [rowEntry(1, { delta: "One" })]));
  const v2 = renderView(widget, model);
  raf.flush();
  for (const v of [v1, v2]) {
    assert.equal(rowEl(v.root, 0).querySelector(".nbstream-preview").textContent, "Zero and more");
    assert.equal(rowEl(v.root, 1).querySelector(".nbstream-preview").textContent, "One");
    assert.equal(rowEl(v.root, 2).querySelector(".nbstream-preview").textContent, "Two");
    assert.equal(rowEl(v.root, 2).getAttribute("data-status"), "streaming");
  }
  // expanding in one view does not expand the other
  rowEl(v2.root, 0).querySelector(".nbstream-expand").click();
  raf.flush();
  assert.equal(v1.root.querySelectorAll(".nbstream-text").length, 0);
  assert.equal(v2.root.querySelector(".nbstream-text").textContent.trim(), "Zero and more");
  v1.controller.abort();
  v2.controller.abort();
  mc.abort();
});

test("a view rendered after the end shows the final rows", () => {
  const stats = { ...DEFAULT_STATS, output_tokens: 4, tokens_exact: true };
  const entry = (text, status) => ({ status, text, stats, error: "", notice: "", retry_in: 0, can_retry: false, timeline: { started: 0, first_token: 0.1, ended: 0.5 } });
  const model = panelModel(2, {
    status: "done",
    show_text: false,
    final: [entry("First answer", "done"), entry("Second", "cut_off")],
    summary: { total: 2, done: 2, counts: { done: 1, cut_off: 1 }, wall: 0.6 },
  });
  const m = mount(model);
  assert.deepEqual(model.sent, [], "no resync after the end");
  assert.equal(m.root.getAttribute("data-status"), "done");
  assert.equal(rowEl(m.root, 0).querySelector(".nbstream-preview").textContent, "First answer");
  assert.equal(rowEl(m.root, 1).getAttribute("data-status"), "cut_off");
  assert.equal(rowEl(m.root, 1).querySelector(".nbstream-status").textContent, "cut off");
  unmount(m);
});

test("a fresh view's resync does not hold back a later gap once frames follow on in order", () => {
  const model = panelModel(2);
  const m = mount(model);
  assert.deepEqual(model.sent, [{ type: "resync", have: 0 }]);
  model.emit(frame(1, [rowEntry(0, { delta: "one " })])); // the run started with this view: in sync
  model.emit(frame(3, [rowEntry(0, { delta: "lost" })]));
  assert.deepEqual(model.sent, [{ type: "resync", have: 0 }, { type: "resync", have: 1 }]);
  unmount(m);
});

test("a reloaded page mid-run asks once for a snapshot", () => {
  const model = panelModel(3);
  const m = mountWidget(createWidget, model, { views: 2, root: ".nbstream-panel" });
  assert.deepEqual(model.sent, [{ type: "resync", have: 0 }]);
  // the first frame this page sees is a gap, but a resync is already out
  model.emit(frame(40, [rowEntry(0, { delta: "lost" })]));
  assert.equal(model.sent.length, 1);
  model.emit({ type: "snapshot", seq: 40, elapsed: 2, summary: {}, rows: [{ i: 0, text: "Everything so far", status: "streaming" }] });
  model.emit(frame(41, [rowEntry(0, { delta: ", then more" })]));
  raf.flush();
  assert.equal(rowEl(m.root, 0).querySelector(".nbstream-text").textContent.trim(), "Everything so far, then more");
  unmountWidget(m, raf);
});

test("rate-limit pause and live summary figures", () => {
  const model = panelModel(2);
  const m = mount(model);
  model.emit(frame(1, [], { summary: { total: 2, done: 0, counts: { waiting: 2 }, paused_for: 2, wall: 1, sum_durations: 1.5, speedup: 1.5, concurrency: 4, in_flight: 2 } }));
  raf.flush();
  const paused = m.root.querySelector(".nbstream-paused");
  assert.equal(paused.textContent, "rate limited: pausing 2 s");
  assert.equal(paused.hidden, false);
  assert.match(m.root.querySelector(".nbstream-summary").textContent, /2 in flight \/ 4/);
  model.emit(frame(2, [], { summary: { total: 2, done: 0, counts: { streaming: 2 }, paused_for: 0 } }));
  raf.flush();
  assert.equal(paused.hidden, true);
  unmount(m);
});

test("abort removes the view's listeners; the model's abort removes the rest", () => {
  const model = panelModel(3);
  const base = model.listenerCount();
  const widget = createWidget({ env: { now: fakeClock() } });
  const mc = new AbortController();
  widget.initialize({ model, signal: mc.signal });
  const afterInit = model.listenerCount();
  const v = renderView(widget, model);
  raf.flush();
  assert.equal(model.listenerCount(), afterInit);
  const root = v.root;
  v.controller.abort();
  assert.equal(v.el.querySelector(".nbstream-panel"), null);
  raf.resetCount();
  model.emit(frame(1, [rowEntry(0, { delta: "after" })]));
  assert.equal(raf.requests, 0, "an aborted view schedules no work");
  const sent = model.sent.length;
  root.querySelector(".nbstream-cancel-all").click();
  rowEl(root, 0).querySelector(".nbstream-cancel").click();
  assert.equal(model.sent.length, sent, "buttons of an aborted view do nothing");
  mc.abort();
  assert.equal(model.listenerCount(), base);
});

test("a row retried after the end streams again, and a later final settles it", () => {
  const stats = { ...DEFAULT_STATS, output_tokens: 4, tokens_exact: true };
  const entry = (text, status, extra = {}) => ({ status, text, stats, error: "", notice: "", retry_in: 0, can_retry: false, timeline: { started: 0, first_token: 0.1, ended: 0.5 }, ...extra });
  const final = [entry("Fine", "done"), entry("", "failed", { error: "overloaded", can_retry: true, timeline: { started: 0, first_token: null, ended: 0.3 } })];
  const model = panelModel(2, { status: "done", show_text: false, final, summary: { total: 2, done: 2, counts: { done: 1, failed: 1 }, wall: 0.6 } });
  const m = mount(model);
  const row = rowEl(m.root, 1);
  row.querySelector(".nbstream-retry").click();
  assert.deepEqual(model.sent.at(-1), { type: "retry", row: 1 });
  model.emit(frame(1, [rowEntry(1, { reset: true, delta: "Second try", timeline: { started: 5, first_token: 5.2, ended: null } })], { elapsed: 5.5, summary: { total: 2, done: 1, counts: { done: 1, streaming: 1 }, wall: 0.6 } }));
  raf.flush();
  assert.equal(row.getAttribute("data-status"), "streaming");
  assert.equal(row.querySelector(".nbstream-preview").textContent, "Second try");
  assert.equal(row.querySelector(".nbstream-cancel").hidden, false, "the retried row can be cancelled");
  assert.equal(row.querySelector(".nbstream-error").hidden, true);
  assert.ok(m.views[0].root.querySelector(".nbstream-wf-axis text:last-child").textContent !== "1 s", "the axis grew for the new attempt");
  model.update("final", [final[0], entry("Second try, finished.", "done", { timeline: { started: 5, first_token: 5.2, ended: 6 } })]);
  raf.flush();
  assert.equal(row.getAttribute("data-status"), "done");
  assert.equal(row.querySelector(".nbstream-preview").textContent, "Second try, finished.");
  assert.equal(barEl(m.root, 1).getAttribute("data-status"), "done");
  unmount(m);
});

test("expanded rows share one Markdown budget per animation frame", () => {
  // Every render "costs" 3 ms on the fake clock; the budget is 8 ms per frame for all rows.
  const now = fakeClock();
  const { render, drain } = costlyRender(now, raf, renderMarkdownFragment, 3);
  const model = panelModel(4); // small: all four rows are expanded
  const m = mount(model, { env: { now, render } });
  const long = Array.from({ length: 12 }, (_, k) => `Paragraph ${k} ${"word ".repeat(300)}`).join("\n\n");
  model.emit(frame(1, [0, 1, 2, 3].map((i) => rowEntry(i, { delta: long, status: "done", timeline: { started: 0, first_token: 0.1, ended: 1 } }))));
  const { frames, maxRenders } = drain();
  assert.ok(frames > 2, `took ${frames} frames`);
  assert.ok(maxRenders <= 6, `at most ${maxRenders} renders in one frame for all rows together`);
  for (const i of [0, 1, 2, 3]) assert.equal(rowEl(m.root, i).querySelectorAll(".nbstream-text p").length, 12, `row ${i}`);
  unmount(m);
});

test("hovering a bar fills its native tooltip with the label and the three durations", () => {
  const model = panelModel(2);
  const m = mount(model);
  model.emit(frame(1, [rowEntry(1, { status: "streaming", timeline: { started: 0.5, first_token: 1, ended: null } })], { elapsed: 2 }));
  raf.flush();
  const bar = barEl(m.root, 1);
  assert.equal(bar.querySelector("title").textContent, "call 2");
  bar.querySelector("rect.nbstream-seg-generating").dispatchEvent(new window.MouseEvent("mouseover", { bubbles: true }));
  assert.match(bar.querySelector("title").textContent, /^call 2 \(streaming\): queued 0\.50 s · waiting 0\.50 s · generating 1\.\d s$/);
  unmount(m);
});

const BATCH_ID = "msgbatch_01HkcTjaV5uDC8jWR4ZsDV8d";

function batchSummary(batch, extra = {}) {
  const counts = { processing: 0, succeeded: 0, errored: 0, canceled: 0, expired: 0, ...batch.counts };
  return { total: 3, done: 0, counts: { waiting: 3 }, ttft_p50: null, ttft_p95: null, duration_p50: null, duration_p95: null, wall: 1, sum_durations: 3, speedup: 3, concurrency: 0, in_flight: 0, paused_for: 0, ...extra, batch: { ids: [], status: "submitting", next_poll_in: null, ...batch, counts } };
}

test("a normal panel has no batch line, and its Cancel all is named for all calls", () => {
  const m = mount(panelModel(2, { summary: { total: 2, batch: null, ttft_p50: 0.4, ttft_p95: 0.9 } }));
  raf.flush();
  const line = m.root.querySelector(".nbstream-summary .nbstream-batch");
  assert.ok(line, "the element exists");
  assert.equal(line.hidden, true);
  assert.equal(line.hasAttribute("title"), false);
  const cancelAll = m.root.querySelector("button.nbstream-cancel-all");
  assert.equal(cancelAll.getAttribute("aria-label"), "Cancel all calls");
  assert.equal(cancelAll.textContent, "Cancel all");
  assert.equal(m.root.querySelector(".nbstream-sum-ttft").textContent, "TTFT p50 0.40 s · p95 0.90 s");
  unmount(m);
});

test("a batch panel: its line (ids, status, counts, next check counting down), Cancel batch, no TTFT", async () => {
  const now = fakeClock(1000);
  const model = panelModel(3, { summary: batchSummary({}) });
  const m = mount(model, { env: { now, tickMs: 5 } });
  const root = m.root;
  const line = root.querySelector(".nbstream-summary .nbstream-batch");
  assert.equal(line.hidden, false);
  assert.equal(line.textContent, "Message Batch · submitting · 50% price");
  assert.equal(line.hasAttribute("title"), false, "no id before the batch is created");
  const cancelAll = root.querySelector("button.nbstream-cancel-all");
  assert.equal(cancelAll.getAttribute("aria-label"), "Cancel batch");
  assert.equal(cancelAll.textContent, "Cancel batch");
  assert.equal(cancelAll.hidden, false);
  assert.equal(root.querySelector(".nbstream-sum-ttft").hidden, true);
  assert.equal(root.querySelector(".nbstream-sum-tokens").hidden, false, "the other figures stay");

  // submitted: one id, in progress, the next check in 3 s
  model.emit(frame(1, [0, 1, 2].map((i) => rowEntry(i, { status: "waiting", stats: { ...DEFAULT_STATS }, can_cancel: false, timeline: { started: 0, first_token: null, ended: null } })), {
    summary: batchSummary({ ids: [BATCH_ID], status: "in_progress", counts: { processing: 3 }, next_poll_in: 3 }),
  }));
  raf.flush();
  assert.equal(line.textContent, "Message Batch msgbatch_01Hk… · in progress · 3 processing · next check in 3 s · 50% price");
  assert.equal(line.getAttribute("title"), BATCH_ID);

  // the countdown runs on the local (fake) clock between frames
  now.advance(1100);
  await new Promise((r) => setTimeout(r, 25));
  raf.flush();
  assert.match(line.textContent, /· next check in 2 s ·/);
  now.advance(2000);
  await new Promise((r) => setTimeout(r, 25));
  raf.flush();
  assert.doesNotMatch(line.textContent, /next check/, "over: no countdown until the kernel sends the next one");

  // the kernel polled again; the job now spans two batches
  model.emit(frame(2, [], { summary: batchSummary({ ids: [BATCH_ID, "msgbatch_02second"], status: "in_progress", counts: { processing: 3 }, next_poll_in: 4.5 }) }));
  raf.flush();
  assert.equal(line.textContent, "Message Batch (2 batches) · in progress · 3 processing · next check in 5 s · 50% price");
  assert.equal(line.getAttribute("title"), `${BATCH_ID}\nmsgbatch_02second`);

  // ended: every row gets its whole answer at once
  model.emit(frame(3, [
    rowEntry(0, { status: "done", delta: "Whole answer", stats: { ...DEFAULT_STATS, output_tokens: 2 }, can_cancel: false, timeline: { started: 0, first_token: null, ended: 9 } }),
    rowEntry(1, { status: "failed", error: "errored: invalid_request_error", can_cancel: false, timeline: { started: 0, first_token: null, ended: 9 } }),
    rowEntry(2, { status: "failed", error: "expired: the batch ended before this request ran", can_cancel: false, timeline: { started: 0, first_token: null, ended: 9 } }),
  ], { summary: batchSummary({ ids: [BATCH_ID], status: "ended", counts: { succeeded: 1, errored: 1, expired: 1 }, next_poll_in: null }, { done: 3, counts: { done: 1, failed: 2 } }) }));
  raf.flush();
  assert.equal(line.textContent, "Message Batch msgbatch_01Hk… · ended · 1 succeeded · 1 errored · 1 expired · 50% price");
  assert.equal(rowEl(root, 2).querySelector(".nbstream-error").textContent, "expired: the batch ended before this request ran");
  model.update("summary", batchSummary({ ids: [BATCH_ID], status: "ended", counts: { succeeded: 1, errored: 1, expired: 1 } }, { done: 3 }));
  model.update("status", "done");
  raf.flush();
  assert.equal(line.hidden, false, "the line stays after the end");
  assert.equal(cancelAll.hidden, true);

  // Cancel batch sends the same message as Cancel all
  unmount(m);
  const model2 = panelModel(2, { summary: batchSummary({ ids: [BATCH_ID], status: "in_progress", counts: { processing: 2 }, next_poll_in: 2 }) });
  const m2 = mount(model2);
  m2.root.querySelector("button.nbstream-cancel-all").click();
  assert.deepEqual(model2.sent.at(-1), { type: "cancel_all" });
  unmount(m2);
});

test("a row with can_cancel false shows the waiting dots but no Cancel; the others keep theirs", () => {
  const model = panelModel(3, { show_text: false });
  const m = mount(model);
  model.emit(frame(1, [
    rowEntry(0, { status: "waiting", stats: { ...DEFAULT_STATS }, can_cancel: false }),
    rowEntry(1, { status: "waiting", stats: { ...DEFAULT_STATS } }),
  ]));
  raf.flush();
  const cancel = (i) => rowEl(m.root, i).querySelector("button.nbstream-cancel");
  assert.equal(cancel(0).hidden, true);
  assert.equal(cancel(1).hidden, false);
  assert.equal(cancel(2).hidden, false, "a queued row without the field");
  assert.equal(rowEl(m.root, 0).querySelector(".nbstream-waiting").hidden, false);
  assert.equal(rowEl(m.root, 0).querySelector(".nbstream-status").textContent, "waiting");
  // a later entry without the field leaves it as it was
  model.emit(frame(2, [{ i: 0, notice: "in batch msgbatch_01" }]));
  raf.flush();
  assert.equal(cancel(0).hidden, true);
  unmount(m);
});

test("a panel row shows thinking collapsed, a server tool's links and the sources under its answer", () => {
  const model = panelModel(2); // small: the rows show their answers expanded
  const m = mount(model);
  const { delta: _none, ...entry } = rowEntry(0);
  model.emit(frame(1, [{ ...entry, ops: [
    { t: "thinking", id: "0.0", text: "", redacted: false, done: false },
    { t: "thinking", id: "0.0", append: "pondering" },
  ] }]));
  raf.flush();
  const row = rowEl(m.root, 0);
  const thinking = row.querySelector("details.nbstream-thinking");
  assert.ok(thinking && !thinking.open);
  assert.equal(thinking.querySelector("summary").textContent, "thinking…");
  model.emit(frame(2, [{ ...entry, ops: [
    { t: "thinking", id: "0.0", done: true },
    { t: "tool", id: "s1", name: "web_search", status: "done", input: "{}", server: true, result: "1 result",
      links: [{ title: "A page", url: "https://example.com/a" }] },
    { t: "text", text: "Cited\\[1\\]" },
    { t: "source", n: 1, title: "A page", url: "https://example.com/a", location: null, cited_text: "quote" },
  ] }]));
  raf.flush();
  assert.equal(row.querySelector(".nbstream-tool-links a").getAttribute("href"), "https://example.com/a");
  const sources = row.querySelector(".nbstream-sources");
  assert.ok(sources && !sources.hidden && sources.querySelector("a").textContent === "A page");
  assert.equal(row.querySelector(".nbstream-thinking summary").textContent, "thought");
  unmount(m);
});
