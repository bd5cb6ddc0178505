import test from "node:test";
import assert from "node:assert/strict";
import { installDom, installRaf, fakeClock, FakeModel, DEFAULT_STATS, mountWidget, unmountWidget, renderView, costlyRender } from "./helpers.js";

installDom();
const raf = installRaf();
// index.js imports style.css; the hooks registered by helpers.js load it as text.
const widgetModule = await import("../index.js");
const { createWidget } = widgetModule;

/** Mount a widget: initialize once, then render `views` views. */
const mount = (model, options = {}) => mountWidget(createWidget, model, options);
const unmount = (m) => unmountWidget(m, raf);


function q(root, cls) {
  return root.querySelector(`.${cls}`);
}

function frame(seq, delta, extra = {}) {
  return {
    type: "frame",
    seq,
    delta,
    status: "streaming",
    stats: { ...DEFAULT_STATS, output_tokens: seq * 3, elapsed: seq * 0.05 },
    ...extra,
  };
}


test("the default export is a factory of {initialize, render}", () => {
  assert.equal(typeof widgetModule.default, "function");
  const w = createWidget({ env: { now: fakeClock() } });
  assert.equal(typeof w.initialize, "function");
  assert.equal(typeof w.render, "function");
});

test("the stylesheet is injected once per document", () => {
  const m1 = mount(new FakeModel());
  const m2 = mount(new FakeModel());
  const styles = document.querySelectorAll("style#nbstream-style");
  assert.equal(styles.length, 1);
  assert.match(styles[0].textContent, /\.nbstream/);
  unmount(m1);
  unmount(m2);
});

test("a view inside a shadow root (marimo) gets the stylesheet in that root", () => {
  const host = document.createElement("div");
  document.body.appendChild(host);
  const shadow = host.attachShadow({ mode: "open" });
  const el = document.createElement("div");
  shadow.appendChild(el);
  const widget = createWidget({ env: { now: fakeClock() } });
  const model = new FakeModel();
  const modelController = new AbortController();
  widget.initialize({ model, signal: modelController.signal });
  const controller = new AbortController();
  widget.render({ model, el, signal: controller.signal });
  const styles = shadow.querySelectorAll("style#nbstream-style");
  assert.equal(styles.length, 1);
  assert.match(styles[0].textContent, /\.nbstream/);
  controller.abort();
  modelController.abort();
  raf.flush();
  host.remove();
});

test("DOM contract: root, data attributes and children", () => {
  const model = new FakeModel();
  const m = mount(model);
  // the header is drawn synchronously, before any animation frame
  assert.equal(m.root.getAttribute("data-status"), "waiting");
  assert.equal(m.root.getAttribute("data-tokens"), "0");
  raf.flush();
  const root = m.root;
  assert.ok(root.classList.contains("nbstream"));
  assert.equal(root.getAttribute("data-status"), "waiting");
  assert.equal(root.getAttribute("data-tokens"), "0");
  for (const cls of [
    "nbstream-status", "nbstream-tokens", "nbstream-ttft", "nbstream-rate", "nbstream-elapsed",
    "nbstream-cost", "nbstream-simulated", "nbstream-error", "nbstream-text", "nbstream-cancel", "nbstream-retry",
  ]) {
    assert.ok(q(root, cls), cls);
  }
  assert.equal(q(root, "nbstream-status").textContent, "waiting");
  const cancel = q(root, "nbstream-cancel");
  assert.equal(cancel.tagName, "BUTTON");
  assert.equal(cancel.textContent, "Cancel");
  assert.equal(cancel.getAttribute("aria-label"), "Cancel generation");
  assert.equal(cancel.hidden, false);
  assert.equal(q(root, "nbstream-retry").hidden, true);
  assert.equal(q(root, "nbstream-simulated").hidden, true);
  assert.equal(q(root, "nbstream-error").hidden, true);
  assert.equal(q(root, "nbstream-waiting").hidden, false);
  assert.equal(q(root, "nbstream-cost").textContent, "cost unknown");
  unmount(m);
});

test("frames append their deltas; one render per animation frame", () => {
  const model = new FakeModel();
  const m = mount(model);
  raf.flush();
  raf.resetCount();
  model.emit(frame(1, "Hello "));
  model.emit(frame(2, "**world**"));
  for (let i = 3; i <= 50; i++) model.emit(frame(i, ""));
  assert.equal(raf.requests, 1, "many messages, one animation frame requested");
  raf.flush();
  const text = q(m.root, "nbstream-text");
  assert.equal(text.textContent.trim(), "Hello world");
  assert.equal(text.querySelector("strong").textContent, "world");
  assert.equal(m.root.getAttribute("data-status"), "streaming");
  assert.equal(m.root.getAttribute("data-tokens"), "150");
  assert.equal(q(m.root, "nbstream-tokens").textContent, "~150 tokens");
  assert.equal(q(m.root, "nbstream-waiting").hidden, true);
  unmount(m);
});

test("a seq gap sends one resync, ignores the delta, and waits for a snapshot", () => {
  const model = new FakeModel({ status: "streaming" });
  model.state.text = "";
  const m = mount(model);
  model.sent.length = 0; // drop the initial resync of a fresh page (tested separately)
  model.emit(frame(1, "one "));
  model.emit(frame(3, "three "));
  model.emit(frame(4, "four "));
  raf.flush();
  assert.deepEqual(model.sent, [{ type: "resync", have: 1 }]);
  assert.equal(q(m.root, "nbstream-text").textContent.trim(), "one");
  // stats and status from a gapped frame still apply (they are absolute values)
  assert.equal(m.root.getAttribute("data-tokens"), "12");
  model.emit({ type: "snapshot", seq: 4, text: "one two three four " });
  model.emit(frame(5, "five"));
  raf.flush();
  assert.equal(q(m.root, "nbstream-text").textContent.trim(), "one two three four five");
  assert.equal(model.sent.length, 1);
  unmount(m);
});

test("if no snapshot comes, a later gap asks again after a while", () => {
  const now = fakeClock();
  const model = new FakeModel({ status: "streaming" });
  const m = mount(model, { env: { now } });
  model.sent.length = 0;
  model.emit(frame(1, "a"));
  model.emit(frame(3, "c"));
  now.advance(1000);
  model.emit(frame(4, "d"));
  assert.equal(model.sent.length, 1);
  now.advance(2500);
  model.emit(frame(5, "e"));
  assert.deepEqual(model.sent, [{ type: "resync", have: 1 }, { type: "resync", have: 1 }]);
  unmount(m);
});

test("retry flow: failed → retrying (countdown) → snapshot with empty text → new frames → done", () => {
  const model = new FakeModel({ status: "streaming" });
  const m = mount(model);
  model.emit(frame(1, "Partial answer"));
  model.update("status", "failed");
  model.update("error", "overloaded_error (529)");
  model.update("can_retry", true);
  raf.flush();
  assert.equal(q(m.root, "nbstream-retry").hidden, false);
  assert.equal(q(m.root, "nbstream-cancel").hidden, true);
  q(m.root, "nbstream-retry").click();
  assert.deepEqual(model.sent.at(-1), { type: "retry" });
  model.update("error", "");
  model.update("can_retry", false);
  model.update("status", "retrying");
  model.update("retry_in", 2);
  model.emit({ type: "snapshot", seq: 0, text: "" });
  raf.flush();
  assert.equal(m.root.getAttribute("data-status"), "retrying");
  assert.equal(q(m.root, "nbstream-text").textContent, "");
  assert.equal(q(m.root, "nbstream-text").hidden, true);
  assert.match(q(m.root, "nbstream-notice").textContent, /retrying in 2 s/);
  assert.equal(q(m.root, "nbstream-error").hidden, true);
  model.update("retry_in", 0);
  model.emit(frame(1, "Fresh "));
  model.emit(frame(2, "answer."));
  raf.flush();
  assert.equal(q(m.root, "nbstream-text").textContent.trim(), "Fresh answer.");
  model.update("text", "Fresh answer.");
  model.update("status", "done");
  raf.flush();
  assert.equal(m.root.getAttribute("data-status"), "done");
  assert.equal(q(m.root, "nbstream-text").textContent.trim(), "Fresh answer.");
  unmount(m);
});

test("stale or duplicate frames are ignored", () => {
  const model = new FakeModel({ status: "streaming" });
  const m = mount(model);
  model.sent.length = 0;
  model.emit(frame(1, "a"));
  model.emit(frame(2, "b"));
  model.emit(frame(2, "b"));
  model.emit(frame(1, "a"));
  raf.flush();
  assert.equal(q(m.root, "nbstream-text").textContent.trim(), "ab");
  assert.deepEqual(model.sent, []);
  unmount(m);
});

test("a snapshot replaces the accumulated text (e.g. a retry restarting with empty text)", () => {
  const model = new FakeModel({ status: "streaming" });
  const m = mount(model);
  model.emit(frame(1, "first attempt"));
  raf.flush();
  assert.equal(q(m.root, "nbstream-text").textContent.trim(), "first attempt");
  model.update("status", "retrying");
  model.emit({ type: "snapshot", seq: 0, text: "" });
  raf.flush();
  assert.equal(q(m.root, "nbstream-text").textContent, "");
  model.emit(frame(1, "second"));
  raf.flush();
  assert.equal(q(m.root, "nbstream-text").textContent.trim(), "second");
  unmount(m);
});

test("Cancel sends {type: 'cancel'} and is shown only while the stream is in progress", () => {
  const model = new FakeModel({ status: "streaming" });
  const m = mount(model);
  raf.flush();
  model.sent.length = 0;
  const cancel = q(m.root, "nbstream-cancel");
  cancel.click();
  assert.deepEqual(model.sent, [{ type: "cancel" }]);
  for (const s of ["waiting", "retrying", "streaming"]) {
    model.update("status", s);
    raf.flush();
    assert.equal(cancel.hidden, false, s);
  }
  for (const s of ["done", "cancelled", "failed", "cut_off"]) {
    model.update("status", s);
    raf.flush();
    assert.equal(cancel.hidden, true, s);
  }
  unmount(m);
});

test("the kernel's answer to Cancel shows in the same task, without waiting for an animation frame", () => {
  const model = new FakeModel({ status: "streaming" });
  const m = mount(model);
  raf.flush();
  q(m.root, "nbstream-cancel").click();
  model.update("status", "cancelled");
  // No frame has run: the status and the header already say so, and the Cancel button is gone.
  assert.equal(m.root.getAttribute("data-status"), "cancelled");
  assert.equal(q(m.root, "nbstream-status").textContent, "cancelled");
  assert.equal(q(m.root, "nbstream-cancel").hidden, true);
  assert.ok(raf.pending > 0, "the rest of the view is still drawn on the next frame");
  raf.flush();
  unmount(m);
});

test("a queued stream can be cancelled, and its clock does not run yet", async () => {
  const now = fakeClock();
  const model = new FakeModel({ status: "queued" });
  const m = mount(model, { env: { now, tickMs: 5 } });
  raf.flush();
  assert.equal(q(m.root, "nbstream-status").textContent, "queued");
  assert.equal(q(m.root, "nbstream-cancel").hidden, false);
  assert.equal(q(m.root, "nbstream-waiting").hidden, false);
  now.advance(5000);
  await new Promise((r) => setTimeout(r, 25));
  raf.flush();
  assert.equal(q(m.root, "nbstream-elapsed").textContent, "0.00 s");
  model.update("status", "waiting");
  now.advance(1000);
  await new Promise((r) => setTimeout(r, 25));
  raf.flush();
  assert.equal(q(m.root, "nbstream-elapsed").textContent, "1.0 s");
  unmount(m);
});

test("Retry is shown when can_retry and sends {type: 'retry'}", () => {
  const model = new FakeModel({ status: "failed", error: "overloaded (529)" });
  const m = mount(model);
  raf.flush();
  const retry = q(m.root, "nbstream-retry");
  assert.equal(retry.hidden, true);
  model.update("can_retry", true);
  raf.flush();
  assert.equal(retry.hidden, false);
  retry.click();
  assert.deepEqual(model.sent.at(-1), { type: "retry" });
  assert.equal(q(m.root, "nbstream-error").textContent, "overloaded (529)");
  assert.equal(q(m.root, "nbstream-error").hidden, false);
  unmount(m);
});

test("data-status follows the status trait, with human labels", () => {
  const model = new FakeModel();
  const m = mount(model);
  const labels = { waiting: "waiting", retrying: "retrying", streaming: "streaming", done: "done", cancelled: "cancelled", failed: "failed", cut_off: "cut off" };
  for (const [status, label] of Object.entries(labels)) {
    model.update("status", status);
    raf.flush();
    assert.equal(m.root.getAttribute("data-status"), status);
    assert.equal(q(m.root, "nbstream-status").textContent, label);
  }
  unmount(m);
});

test("show_text=false hides the text area but keeps the header", () => {
  const model = new FakeModel({ status: "streaming" });
  const m = mount(model);
  model.emit(frame(1, "Answer"));
  raf.flush();
  model.update("text", "Answer");
  model.update("status", "done");
  model.update("show_text", false);
  raf.flush();
  assert.equal(q(m.root, "nbstream-text").hidden, true);
  assert.equal(q(m.root, "nbstream-status").textContent, "done");
  assert.equal(m.root.querySelector(".nbstream-header").hidden, false);
  model.update("show_text", true);
  raf.flush();
  assert.equal(q(m.root, "nbstream-text").hidden, false);
  assert.equal(q(m.root, "nbstream-text").textContent.trim(), "Answer");
  unmount(m);
});

test("a non-empty final text replaces the accumulated text", () => {
  const model = new FakeModel({ status: "streaming" });
  const m = mount(model);
  model.emit(frame(1, "partial, with a dropped"));
  raf.flush();
  model.update("text", "The *complete* answer.");
  model.update("status", "done");
  raf.flush();
  const text = q(m.root, "nbstream-text");
  assert.equal(text.textContent.trim(), "The complete answer.");
  assert.ok(text.querySelector("em"));
  // an empty text (reset) does not wipe what is shown
  model.update("text", "");
  raf.flush();
  assert.equal(text.textContent.trim(), "The complete answer.");
  unmount(m);
});

test("frames are ignored while the final text is set", () => {
  const model = new FakeModel({ status: "done", text: "Final." });
  const m = mount(model);
  model.emit(frame(1, " extra"));
  raf.flush();
  assert.equal(q(m.root, "nbstream-text").textContent.trim(), "Final.");
  assert.equal(m.root.getAttribute("data-status"), "done");
  unmount(m);
});

test("a view rendered late shows the text accumulated before it existed", () => {
  const model = new FakeModel({ status: "streaming" });
  const widget = createWidget({ env: { now: fakeClock() } });
  const mc = new AbortController();
  widget.initialize({ model, signal: mc.signal });
  model.emit(frame(1, "# Title\n\n"));
  model.emit(frame(2, "Body text"));
  const v1 = renderView(widget, model);
  raf.flush();
  assert.equal(v1.root.querySelector("h1").textContent, "Title");
  model.emit(frame(3, " and more"));
  const v2 = renderView(widget, model);
  raf.flush();
  for (const v of [v1, v2]) {
    assert.equal(v.root.querySelector("h1").textContent, "Title");
    assert.match(v.root.querySelector(".nbstream-text").textContent, /Body text and more/);
  }
  v1.controller.abort();
  v2.controller.abort();
  mc.abort();
});

test("a reloaded page mid-stream asks once for the text so far", () => {
  const model = new FakeModel({ status: "streaming", stats: { ...DEFAULT_STATS, output_tokens: 40, elapsed: 2 } });
  const m = mountWidget(createWidget, model, { views: 2 });
  assert.deepEqual(model.sent, [{ type: "resync", have: 0 }]);
  model.emit(frame(57, "lost delta")); // the first frame this page sees: a gap, but a resync is already out
  assert.deepEqual(model.sent, [{ type: "resync", have: 0 }]);
  model.emit({ type: "snapshot", seq: 57, text: "Everything so far" });
  model.emit(frame(58, ", then more"));
  raf.flush();
  assert.equal(m.root.querySelector(".nbstream-text").textContent.trim(), "Everything so far, then more");
  unmountWidget(m, raf);
});

test("no resync on render when the stream is over or text is known", () => {
  for (const state of [{ status: "done", text: "x" }, { status: "failed" }, { status: "streaming", text: "abc" }, { status: "queued" }]) {
    const model = new FakeModel(state);
    const m = mount(model);
    assert.deepEqual(model.sent, [], JSON.stringify(state));
    unmount(m);
  }
});

test("abort of the view's signal removes its listeners; abort of the model's signal removes the rest", () => {
  const model = new FakeModel({ status: "streaming" });
  const base = model.listenerCount();
  const widget = createWidget({ env: { now: fakeClock() } });
  const mc = new AbortController();
  widget.initialize({ model, signal: mc.signal });
  const afterInit = model.listenerCount();
  assert.ok(afterInit > base);
  const v = renderView(widget, model);
  raf.flush();
  // the view does not add model listeners of its own: it subscribes to the model-level state
  assert.equal(model.listenerCount(), afterInit);
  const root = v.root;
  v.controller.abort();
  assert.equal(v.el.querySelector(".nbstream"), null, "view removed from its element");
  raf.resetCount();
  model.emit(frame(1, "after abort"));
  model.update("status", "done");
  assert.equal(raf.requests, 0, "an aborted view schedules no work");
  assert.equal(root.getAttribute("data-status"), "streaming");
  const sentBefore = model.sent.length;
  q(root, "nbstream-cancel").click();
  assert.equal(model.sent.length, sentBefore, "buttons of an aborted view do nothing");
  mc.abort();
  assert.equal(model.listenerCount(), base);
});

test("the cleanup function returned by render is equivalent to aborting", () => {
  const model = new FakeModel({ status: "streaming" });
  const widget = createWidget({ env: { now: fakeClock() } });
  widget.initialize({ model });
  const el = document.createElement("div");
  const cleanup = widget.render({ model, el });
  raf.flush();
  cleanup();
  cleanup();
  assert.equal(el.children.length, 0);
  raf.resetCount();
  model.emit(frame(1, "x"));
  assert.equal(raf.requests, 0);
});

test("stats: TTFT, rate, cost, exact tokens, simulated badge, notice and retry countdown", async () => {
  const now = fakeClock();
  const model = new FakeModel({ status: "streaming", simulated: true });
  const m = mount(model, { env: { now, tickMs: 5 } });
  const tick = async () => {
    await new Promise((r) => setTimeout(r, 25));
    raf.flush();
  };
  model.emit(
    frame(1, "x", {
      stats: { ...DEFAULT_STATS, output_tokens: 1234, ttft: 0.41, rate: 83.2, elapsed: 12.3, cost: 0.0021, cost_exact: false },
    }),
  );
  raf.flush();
  assert.equal(q(m.root, "nbstream-tokens").textContent, "~1,234 tokens");
  assert.equal(q(m.root, "nbstream-ttft").textContent, "TTFT 0.41 s");
  assert.equal(q(m.root, "nbstream-rate").textContent, "83 tok/s");
  assert.equal(q(m.root, "nbstream-elapsed").textContent, "12.3 s");
  assert.equal(q(m.root, "nbstream-cost").textContent, "~$0.0021");
  assert.equal(q(m.root, "nbstream-simulated").hidden, false);
  assert.match(q(m.root, "nbstream-simulated").textContent, /simulated/i);

  model.update("stats", { ...DEFAULT_STATS, output_tokens: 1300, tokens_exact: true, ttft: 0.41, rate: 80, elapsed: 16.2, cost: 1.234, cost_exact: true });
  model.update("status", "done");
  raf.flush();
  assert.equal(q(m.root, "nbstream-tokens").textContent, "1,300 tokens");
  assert.equal(q(m.root, "nbstream-cost").textContent, "$1.23");
  assert.equal(m.root.getAttribute("data-tokens"), "1300");

  model.update("status", "retrying");
  model.update("notice", "rate limited (429)");
  model.update("retry_in", 3);
  raf.flush();
  assert.equal(q(m.root, "nbstream-notice").textContent, "rate limited (429) · retrying in 3 s");
  now.advance(1100);
  await tick();
  assert.equal(q(m.root, "nbstream-notice").textContent, "rate limited (429) · retrying in 2 s");
  now.advance(2000);
  await tick();
  assert.equal(q(m.root, "nbstream-notice").textContent, "rate limited (429)");
  unmount(m);
});

test("elapsed time ticks locally while streaming and stops on a final status", async () => {
  const now = fakeClock();
  const model = new FakeModel({ status: "streaming", stats: { ...DEFAULT_STATS, elapsed: 2 } });
  const m = mount(model, { env: { now, tickMs: 5 } });
  raf.flush();
  assert.equal(q(m.root, "nbstream-elapsed").textContent, "2.0 s");
  now.advance(1500);
  await new Promise((r) => setTimeout(r, 30)); // the ticker requests a frame
  assert.ok(raf.pending > 0, "ticker scheduled a redraw");
  raf.flush();
  assert.equal(q(m.root, "nbstream-elapsed").textContent, "3.5 s");
  // a stats update that lags behind the local clock does not make the time go backwards
  model.emit(frame(1, "", { stats: { ...DEFAULT_STATS, elapsed: 3.2 } }));
  raf.flush();
  assert.equal(q(m.root, "nbstream-elapsed").textContent, "3.5 s");
  model.update("stats", { ...DEFAULT_STATS, elapsed: 3.61 });
  model.update("status", "done");
  raf.flush();
  now.advance(5000);
  await new Promise((r) => setTimeout(r, 30));
  raf.flush();
  assert.equal(q(m.root, "nbstream-elapsed").textContent, "3.6 s");
  assert.equal(raf.pending, 0);
  unmount(m);
});

test("stable blocks are rendered once: their DOM nodes survive later frames and the end", () => {
  const model = new FakeModel({ status: "streaming" });
  const m = mount(model);
  let seq = 0;
  let full = "";
  const send = (d) => {
    full += d;
    model.emit(frame(++seq, d));
    raf.flush();
  };
  send("# Heading\n\nFirst paragraph.\n\n");
  send("Second");
  const text = q(m.root, "nbstream-text");
  const h1 = text.querySelector("h1");
  const p1 = Array.from(text.querySelectorAll("p")).find((p) => p.textContent === "First paragraph.");
  assert.ok(h1 && p1);
  send(" paragraph, still growing");
  send("\n\n```js\nlet a = 1;\n\nlet b = 2;\n");
  assert.equal(text.querySelector("h1"), h1, "heading node reused");
  assert.ok(text.contains(p1), "paragraph node reused");
  assert.equal(text.querySelector("pre code").textContent, "let a = 1;\n\nlet b = 2;\n");
  send("```\n\nDone.");
  // the end: same text as streamed → nothing re-rendered, the tail is finalised
  model.update("text", full);
  model.update("status", "done");
  raf.flush();
  assert.equal(text.querySelector("h1"), h1);
  assert.ok(text.contains(p1));
  assert.match(text.lastElementChild.textContent, /Done\./);
  unmount(m);
});

test("a differing final text is re-rendered in bounded pieces across animation frames", async () => {
  const { renderMarkdownFragment } = await import("../markdown.js");
  // Every Markdown render "costs" 3 ms on the fake clock; the view's budget is 8 ms per frame.
  const now = fakeClock();
  const { render, drain } = costlyRender(now, raf, renderMarkdownFragment, 3);
  const model = new FakeModel({ status: "streaming" });
  const m = mount(model, { env: { now, render } });
  const text = q(m.root, "nbstream-text");
  const blocks = Array.from({ length: 60 }, (_, i) => `Paragraph ${i} ${"word ".repeat(150)}`);
  model.emit(frame(1, blocks.slice(0, 10).join("\n\n") + "\n\nA dropped delta made this differ"));
  raf.flush();
  const firstP = text.querySelector("p");
  assert.match(firstP.textContent, /Paragraph 0/);

  model.update("text", blocks.join("\n\n"));
  model.update("status", "done");
  const { frames, maxRenders } = drain();
  assert.ok(frames > 2, `took ${frames} frames`);
  assert.ok(maxRenders <= 4, `at most ${maxRenders} renders in one frame`);
  assert.equal(text.querySelectorAll("p").length, 60);
  assert.match(Array.from(text.querySelectorAll("p")).at(-1).textContent, /Paragraph 59/);
  assert.equal(text.querySelector("p"), firstP, "blocks in the common prefix are kept");
  unmount(m);
});

test("unknown _view values render a placeholder instead of failing", () => {
  const model = new FakeModel({ _view: "gallery" });
  const widget = createWidget({ env: { now: fakeClock() } });
  widget.initialize({ model });
  const el = document.createElement("div");
  const cleanup = widget.render({ model, el, signal: new AbortController().signal });
  assert.match(el.textContent, /gallery/);
  cleanup();
});

test("frames may carry only the stats that changed: they merge into the ones already shown", () => {
  const model = new FakeModel({ status: "streaming", stats: { ...DEFAULT_STATS, input_tokens: 42, cost: 0.5 } });
  const m = mount(model);
  model.emit(frame(1, "a", { stats: { output_tokens: 7, elapsed: 1 } }));
  raf.flush();
  assert.equal(m.root.getAttribute("data-tokens"), "7");
  assert.match(q(m.root, "nbstream-cost").textContent, /\$0\.5/);  // kept from before
  unmount(m);
});

test("stats: the spend against a budget, and a replayed reply's $0 beside its original cost", () => {
  const model = new FakeModel({ status: "streaming" });
  const m = mount(model);
  model.emit(frame(1, "x", { stats: { ...DEFAULT_STATS, cost: 0.0004, cost_exact: false, budget: "$0.0004 of $0.0010 budget" } }));
  raf.flush();
  assert.equal(q(m.root, "nbstream-cost").textContent, "~$0.00040 · $0.0004 of $0.0010 budget");
  model.update("stats", { ...DEFAULT_STATS, cost: 0, cost_exact: true, replay: "replayed", original_cost: 0.0021 });
  model.update("status", "done");
  raf.flush();
  assert.equal(q(m.root, "nbstream-cost").textContent, "$0.00 · REPLAYED · was $0.0021");
});
