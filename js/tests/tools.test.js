// Tool calls in the stream view and in panel rows, and the cache / turn figures of the header.
import test from "node:test";
import assert from "node:assert/strict";
import { installDom, installRaf, fakeClock, FakeModel, DEFAULT_STATS, mountWidget, unmountWidget } from "./helpers.js";

installDom();
const raf = installRaf();
const widgetModule = await import("../index.js");
const { createWidget } = widgetModule;

const mount = (model, env) => mountWidget(createWidget, model, { env });
const unmount = (m) => unmountWidget(m, raf);


const q = (root, sel) => root.querySelector(sel);
const tool = (id, extra = {}) => ({ t: "tool", id, ...extra });
const text = (s) => ({ t: "text", text: s });

function opsFrame(seq, ops, extra = {}) {
  return { type: "frame", seq, ops, status: "streaming", stats: { ...DEFAULT_STATS, output_tokens: seq * 5, elapsed: seq * 0.1 }, ...extra };
}

/** The classes of the transcript's elements in DOM order (text segments with their text). */
function transcriptOrder(container) {
  return Array.from(container.querySelectorAll(".nbstream-text, .nbstream-tool")).map((el) =>
    el.classList.contains("nbstream-text") ? `text:${el.textContent.trim()}` : `tool:${el.getAttribute("data-tool-id")}`,
  );
}

test("a tool call forms, runs and finishes between two texts, in order", () => {
  const now = fakeClock();
  const model = new FakeModel({ status: "streaming" });
  const m = mount(model, { now });
  model.sent.length = 0;
  model.emit(opsFrame(1, [
    text("Let me check the **weather**."),
    tool("toolu_1", { name: "get_weather", status: "forming", input: "" }),
    tool("toolu_1", { input_delta: '{"city":' }),
    tool("toolu_1", { input_delta: ' "Paris"' }),
  ]));
  raf.flush();
  const root = m.root;
  const first = q(root, ".nbstream-text");
  assert.equal(first.querySelector("strong").textContent, "weather", "text parts are Markdown");
  const group = q(root, ".nbstream-tools");
  assert.ok(group);
  const card = q(group, ".nbstream-tool");
  assert.equal(card.getAttribute("data-tool-id"), "toolu_1");
  assert.equal(card.getAttribute("data-status"), "forming");
  assert.equal(q(card, ".nbstream-tool-name").textContent, "get_weather(…)");
  assert.equal(q(card, ".nbstream-tool-status").textContent, "writing arguments");
  assert.equal(q(card, ".nbstream-tool-args").tagName, "PRE");
  assert.equal(q(card, ".nbstream-tool-args").textContent, '{"city": "Paris"', "the raw text while forming");
  assert.equal(q(card, ".nbstream-tool-duration").hidden, true);
  assert.equal(q(card, "details.nbstream-tool-result"), null);
  assert.equal(first.getAttribute("aria-busy"), "false", "a text followed by a tool call is final");
  assert.equal(q(root, ".nbstream-waiting").hidden, true);

  model.emit(opsFrame(2, [tool("toolu_1", { input_delta: "}" }), tool("toolu_1", { status: "ready" })]));
  raf.flush();
  assert.equal(q(card, ".nbstream-tool-args").textContent, '{\n  "city": "Paris"\n}', "pretty-printed once complete");
  assert.equal(q(card, ".nbstream-tool-status").textContent, "ready");

  model.emit(opsFrame(3, [tool("toolu_1", { status: "running" })]));
  raf.flush();
  assert.equal(card.getAttribute("data-status"), "running");
  assert.equal(q(card, ".nbstream-tool-status").textContent, "running");
  now.advance(300);
  model.emit(opsFrame(4, []));
  raf.flush();
  assert.equal(q(card, ".nbstream-tool-duration").textContent, "0.30 s", "a local clock while running");

  model.emit(opsFrame(5, [tool("toolu_1", { status: "done", duration: 0.51, result: '{"temp_c": 18}', is_error: false })]));
  raf.flush();
  assert.equal(q(root, ".nbstream-tool"), card, "the card is updated in place");
  assert.equal(card.getAttribute("data-status"), "done");
  assert.equal(q(card, ".nbstream-tool-status").textContent, "done");
  assert.equal(q(card, ".nbstream-tool-duration").textContent, "0.51 s");
  const details = q(card, "details.nbstream-tool-result");
  assert.ok(details);
  assert.equal(details.open, false, "the result is collapsed");
  assert.equal(q(details, "summary").textContent, "result");
  assert.equal(q(details, "pre").textContent, '{"temp_c": 18}');
  assert.ok(!q(details, "pre").classList.contains("nbstream-tool-error"));

  model.emit(opsFrame(6, [text("It is 18 °C in Paris.")]));
  raf.flush();
  assert.deepEqual(transcriptOrder(root), ["text:Let me check the weather.", "tool:toolu_1", "text:It is 18 °C in Paris."]);
  // the segments are siblings after the error line: text, tool group, text
  assert.deepEqual(
    Array.from(root.children).slice(2).map((el) => el.className),
    ["nbstream-text", "nbstream-tools", "nbstream-text"],
  );
  const texts = root.querySelectorAll(".nbstream-text");
  assert.equal(texts[1].getAttribute("aria-busy"), "true", "the last text part still grows");
  assert.deepEqual(model.sent, []);

  // the end: the parts trait is authoritative; the same parts keep their DOM
  const firstP = texts[0].firstElementChild;
  model.update("text", "Let me check the **weather**.\n\nIt is 18 °C in Paris.");
  model.update("parts", [
    text("Let me check the **weather**."),
    { t: "tool", id: "toolu_1", name: "get_weather", input: '{"city": "Paris"}', status: "done", duration: 0.51, result: '{"temp_c": 18}', is_error: false },
    text("It is 18 °C in Paris."),
  ]);
  model.update("stats", { ...DEFAULT_STATS, output_tokens: 40, tokens_exact: true, turns: 2 });
  model.update("status", "done");
  raf.flush();
  assert.equal(q(root, ".nbstream-tool"), card);
  assert.equal(root.querySelector(".nbstream-text").firstElementChild, firstP, "a final text part is not re-rendered");
  assert.equal(root.querySelectorAll(".nbstream-text")[1].getAttribute("aria-busy"), "false");
  assert.equal(q(root, ".nbstream-turns").textContent, "2 turns");
  // frames after the end change nothing
  model.emit(opsFrame(7, [text(" late")]));
  raf.flush();
  assert.deepEqual(transcriptOrder(root), ["text:Let me check the weather.", "tool:toolu_1", "text:It is 18 °C in Paris."]);
  unmount(m);
});

test("consecutive tool calls sit side by side in one group, each with its duration", () => {
  const model = new FakeModel({ status: "streaming" });
  const m = mount(model);
  model.emit(opsFrame(1, [
    text("Three lookups at once."),
    tool("a", { name: "weather", status: "forming", input: "" }),
    tool("a", { input_delta: '{"city": "Oslo"}', status: "ready" }),
    tool("b", { name: "time", status: "forming", input: "" }),
    tool("b", { input_delta: '{"tz": "CET"}', status: "ready" }),
    tool("c", { name: "news", status: "ready", input: "{}" }),
  ]));
  model.emit(opsFrame(2, [tool("a", { status: "running" }), tool("b", { status: "running" }), tool("c", { status: "running" })]));
  model.emit(opsFrame(3, [
    tool("b", { status: "done", duration: 0.21, result: "12:00" }),
    tool("a", { status: "done", duration: 0.49, result: "rain" }),
    tool("c", { status: "done", duration: 0.35, result: "none" }),
  ]));
  raf.flush();
  const groups = m.root.querySelectorAll(".nbstream-tools");
  assert.equal(groups.length, 1);
  const cards = groups[0].querySelectorAll(".nbstream-tool");
  assert.deepEqual(Array.from(cards).map((c) => c.getAttribute("data-tool-id")), ["a", "b", "c"]);
  assert.deepEqual(Array.from(cards).map((c) => q(c, ".nbstream-tool-duration").textContent), ["0.49 s", "0.21 s", "0.35 s"]);
  assert.deepEqual(Array.from(cards).map((c) => q(c, ".nbstream-tool-name").textContent), ["weather(…)", "time(…)", "news(…)"]);
  // a text, then a tool call of the next turn: a second group
  model.emit(opsFrame(4, [text("And one more."), tool("d", { name: "weather", status: "running", input: "{}" })]));
  raf.flush();
  assert.equal(m.root.querySelectorAll(".nbstream-tools").length, 2);
  assert.deepEqual(transcriptOrder(m.root), ["text:Three lookups at once.", "tool:a", "tool:b", "tool:c", "text:And one more.", "tool:d"]);
  unmount(m);
});

test("a failed tool shows its error; hostile strings are literal text", () => {
  const model = new FakeModel({ status: "streaming" });
  const m = mount(model);
  const hostile = '<img src=x onerror="globalThis.pwned=1"><script>globalThis.pwned=2</script>';
  model.emit(opsFrame(1, [
    tool("x", { name: '<b onmouseover="alert(1)">evil</b>', status: "ready", input: `{"q": ${JSON.stringify(hostile)}}` }),
    tool("y", { name: "fetch", status: "ready", input: "{}" }),
    tool("x", { status: "done", duration: 0.1, result: hostile }),
    tool("y", { status: "failed", duration: 2.5, result: "TimeoutError: <b>no answer</b> in 2.5 s", is_error: true }),
  ]));
  raf.flush();
  const root = m.root;
  assert.equal(root.querySelector("img, script, b, [onerror], [onmouseover]"), null, "nothing from the kernel became HTML");
  assert.equal(globalThis.pwned, undefined);
  const x = q(root, '.nbstream-tool[data-tool-id="x"]');
  assert.equal(q(x, "details pre").textContent, hostile);
  assert.equal(q(x, ".nbstream-tool-name").textContent, '<b onmouseover="alert(1)">evil</b>(…)');
  assert.match(q(x, ".nbstream-tool-args").textContent, /"q": "<img src=x onerror=\\"globalThis.pwned=1\\">/);
  const y = q(root, '.nbstream-tool[data-tool-id="y"]');
  assert.equal(y.getAttribute("data-status"), "failed");
  assert.equal(q(y, ".nbstream-tool-status").textContent, "failed");
  assert.equal(q(y, ".nbstream-tool-duration").textContent, "2.5 s");
  const details = q(y, "details.nbstream-tool-result");
  assert.equal(q(details, "summary").textContent, "error");
  const pre = q(details, "pre");
  assert.ok(pre.classList.contains("nbstream-tool-error"));
  assert.equal(pre.textContent, "TimeoutError: <b>no answer</b> in 2.5 s");
  assert.equal(details.open, true, "an error is shown open");
  // the reader's choice stands across redraws
  details.open = false;
  model.emit(opsFrame(2, [text("The fetch failed.")]));
  raf.flush();
  assert.equal(details.open, false);
  unmount(m);
});

test("snapshots: parts replace everything; a retry snapshot clears tools and text", () => {
  const model = new FakeModel({ status: "streaming" });
  const m = mount(model);
  model.sent.length = 0;
  model.emit(opsFrame(1, [text("A"), tool("t", { name: "f", status: "running", input: "{}" })]));
  model.emit(opsFrame(3, [text("lost")]));
  raf.flush();
  assert.deepEqual(model.sent, [{ type: "resync", have: 1 }]);
  model.emit({
    type: "snapshot", seq: 3, text: "A\n\nB",
    parts: [text("A"), { t: "tool", id: "t", name: "f", input: "{}", status: "done", duration: 1.25, result: "ok" }, text("B")],
  });
  model.emit(opsFrame(4, [text(" and C")]));
  raf.flush();
  assert.deepEqual(transcriptOrder(m.root), ["text:A", "tool:t", "text:B and C"]);
  assert.equal(q(m.root, ".nbstream-tool-duration").textContent, "1.3 s");
  // a retry starts over: everything goes
  model.update("status", "retrying");
  model.emit({ type: "snapshot", seq: 0, text: "" });
  raf.flush();
  assert.equal(m.root.querySelector(".nbstream-tools"), null);
  assert.equal(m.root.querySelectorAll(".nbstream-text").length, 1, "the first text element stays");
  assert.equal(q(m.root, ".nbstream-text").textContent, "");
  assert.equal(q(m.root, ".nbstream-text").hidden, true);
  model.update("status", "streaming");
  model.emit(opsFrame(1, [tool("t2", { name: "g", status: "forming", input: "" })]));
  raf.flush();
  assert.deepEqual(transcriptOrder(m.root), ["text:", "tool:t2"], "a reply may start with a tool call");
  assert.equal(q(m.root, ".nbstream-text").hidden, true);
  unmount(m);
});

test("the final parts trait is authoritative, also over a stale value from before a retry", () => {
  const model = new FakeModel({ status: "streaming" });
  const m = mount(model);
  model.emit(opsFrame(1, [text("Partial"), tool("t", { name: "f", status: "running", input: "{}" })]));
  raf.flush();
  const finalParts = [text("Partial"), { t: "tool", id: "t", name: "f", input: "{}", status: "done", duration: 0.4, result: "42" }, text("The answer is 42.")];
  model.update("parts", finalParts);
  model.update("text", "Partial\n\nThe answer is 42.");
  model.update("status", "cut_off");
  model.update("can_retry", true);
  raf.flush();
  assert.deepEqual(transcriptOrder(m.root), ["text:Partial", "tool:t", "text:The answer is 42."]);
  assert.equal(q(m.root, ".nbstream-tool").getAttribute("data-status"), "done");
  // retry: the kernel clears text but the parts trait keeps its old value while the new attempt streams
  model.emit({ type: "snapshot", seq: 2, text: "" });
  model.update("text", "");
  model.update("status", "waiting");
  model.emit(opsFrame(3, [text("Second attempt")]));
  raf.flush();
  assert.deepEqual(transcriptOrder(m.root), ["text:Second attempt"]);
  // the new attempt ends (without tools this time the kernel sets text; with tools new parts)
  model.update("parts", [text("Second attempt, done.")]);
  model.update("text", "Second attempt, done.");
  model.update("status", "done");
  raf.flush();
  assert.deepEqual(transcriptOrder(m.root), ["text:Second attempt, done."]);
  unmount(m);
});

test("a view rendered after the end shows the parts trait; show_text=false hides the whole transcript", () => {
  const parts = [text("Intro"), { t: "tool", id: "t", name: "f", input: '{"a":1}', status: "done", duration: 0.2, result: "r" }, text("Outro")];
  const model = new FakeModel({ status: "done", text: "Intro\n\nOutro", parts });
  const m = mount(model);
  assert.deepEqual(model.sent, [], "no resync after the end");
  raf.flush();
  assert.deepEqual(transcriptOrder(m.root), ["text:Intro", "tool:t", "text:Outro"]);
  assert.equal(q(m.root, ".nbstream-tool-args").textContent, '{\n  "a": 1\n}');
  model.update("show_text", false);
  raf.flush();
  for (const el of m.root.querySelectorAll(".nbstream-text, .nbstream-tools")) assert.equal(el.hidden, true);
  assert.equal(q(m.root, ".nbstream-header").hidden, false);
  model.update("show_text", true);
  raf.flush();
  for (const el of m.root.querySelectorAll(".nbstream-text, .nbstream-tools")) assert.equal(el.hidden, false);
  unmount(m);
});

test("a reloaded page mid-call asks once for a snapshot, which may carry parts", () => {
  const model = new FakeModel({ status: "streaming" });
  const m = mount(model);
  assert.deepEqual(model.sent, [{ type: "resync", have: 0 }]);
  model.emit({ type: "snapshot", seq: 9, text: "So far", parts: [text("So far"), { t: "tool", id: "t", name: "f", input: "{}", status: "running" }] });
  model.emit(opsFrame(10, [tool("t", { status: "done", duration: 0.3, result: "x" })]));
  raf.flush();
  assert.deepEqual(transcriptOrder(m.root), ["text:So far", "tool:t"]);
  assert.equal(q(m.root, ".nbstream-tool").getAttribute("data-status"), "done");
  unmount(m);
});

test("cache and turn figures appear only when non-zero", () => {
  const model = new FakeModel({ status: "streaming" });
  const m = mount(model);
  model.emit(opsFrame(1, [text("x")]));
  raf.flush();
  const cache = q(m.root, ".nbstream-cache");
  const turns = q(m.root, ".nbstream-turns");
  assert.ok(cache && turns);
  assert.equal(cache.hidden, true);
  assert.equal(turns.hidden, true);
  model.update("stats", { ...DEFAULT_STATS, cache_read_tokens: 1830, cache_write_tokens: 512, cache_saved: 0.0012, cost: 0.01, cost_exact: true, turns: 1 });
  raf.flush();
  assert.equal(cache.hidden, false);
  assert.equal(cache.textContent, "cache 1,830 read · 512 written · saved $0.0012");
  assert.equal(turns.hidden, true, "one turn: nothing");
  model.update("stats", { ...DEFAULT_STATS, cache_write_tokens: 2048, cache_saved: -0.0003, cost_exact: true, turns: 3 });
  raf.flush();
  assert.equal(cache.textContent, "cache 2,048 written · cache write +$0.00030");
  assert.equal(turns.textContent, "3 turns");
  assert.equal(turns.hidden, false);
  model.update("stats", { ...DEFAULT_STATS, cache_read_tokens: 10, cache_saved: null });
  raf.flush();
  assert.equal(cache.textContent, "cache 10 read", "no saving shown when unknown");
  model.update("stats", { ...DEFAULT_STATS });
  raf.flush();
  assert.equal(cache.hidden, true);
  assert.equal(turns.hidden, true);
  unmount(m);
});

// --- panel rows ---------------------------------------------------------------------------

function panelModel(n, state = {}) {
  const rows = Array.from({ length: n }, (_, i) => ({ label: `call ${i + 1}`, model: "claude-test", prompt: `Prompt ${i + 1}` }));
  return new FakeModel({ _view: "panel", status: "running", rows, summary: {}, final: [], show_text: true, ...state });
}

function rowFrame(seq, rows) {
  return { type: "frame", seq, elapsed: seq * 0.1, rows: rows.map((r) => ({ status: "streaming", stats: { ...DEFAULT_STATS, output_tokens: 3 }, ...r })) };
}

const rowEl = (root, i) => root.querySelector(`.nbstream-row[data-row="${i}"]`);

test("panel rows with ops: the preview shows the text or the tools being called; expanded shows the cards", () => {
  const model = panelModel(6); // more than 4 rows: collapsed
  const m = mount(model);
  model.emit({ type: "snapshot", seq: 0, rows: [] });
  model.emit(rowFrame(1, [{ i: 0, ops: [text("Looking it up"), tool("s1", { name: "search", status: "forming", input: "" })] }, { i: 1, delta: "Plain" }]));
  raf.flush();
  const row = rowEl(m.root, 0);
  const preview = q(row, ".nbstream-preview");
  assert.equal(preview.textContent, "calling search…");
  assert.equal(q(rowEl(m.root, 1), ".nbstream-preview").textContent, "Plain", "rows with deltas work as before");
  model.emit(rowFrame(2, [{ i: 0, ops: [tool("s1", { input_delta: '{"q": "x"}', status: "ready" }), tool("s1", { status: "running" }), tool("s2", { name: "fetch", status: "running", input: "{}" })] }]));
  raf.flush();
  assert.equal(preview.textContent, "calling search, fetch…");
  model.emit(rowFrame(3, [{ i: 0, ops: [tool("s1", { status: "done", duration: 0.3, result: "r1" }), tool("s2", { status: "done", duration: 0.6, result: "r2" }), text("Found **it**.")] }]));
  raf.flush();
  assert.equal(preview.textContent, "Looking it up Found it.");
  assert.equal(row.querySelector(".nbstream-tool"), null, "a collapsed row renders no transcript");

  q(row, "button.nbstream-expand").click();
  raf.flush();
  const detail = q(row, ".nbstream-detail");
  assert.deepEqual(transcriptOrder(detail), ["text:Looking it up", "tool:s1", "tool:s2", "text:Found it."]);
  assert.equal(detail.querySelectorAll(".nbstream-tools").length, 1);
  assert.equal(q(detail, '.nbstream-tool[data-tool-id="s2"] .nbstream-tool-duration').textContent, "0.60 s");
  assert.equal(q(detail, '.nbstream-tool[data-tool-id="s1"] .nbstream-tool-args').textContent, '{\n  "q": "x"\n}');
  assert.equal(q(detail, ".nbstream-text strong").textContent, "it");
  // it keeps streaming while expanded
  model.emit(rowFrame(4, [{ i: 0, ops: [text(" Done.")] }]));
  raf.flush();
  assert.deepEqual(transcriptOrder(detail), ["text:Looking it up", "tool:s1", "tool:s2", "text:Found it. Done."]);
  // collapse: the transcript goes, the preview comes back
  q(row, "button.nbstream-expand").click();
  raf.flush();
  assert.equal(row.querySelector(".nbstream-tool, .nbstream-detail"), null);
  assert.equal(preview.hidden, false);
  unmount(m);
});

test("panel: a final entry's parts are authoritative; a snapshot row may carry parts; reset clears", () => {
  const model = panelModel(2); // small: expanded
  const m = mount(model);
  model.emit({
    type: "snapshot", seq: 5,
    rows: [{ i: 0, status: "streaming", text: "A", parts: [text("A"), { t: "tool", id: "t", name: "f", input: "{}", status: "running" }] }],
  });
  raf.flush();
  assert.deepEqual(transcriptOrder(rowEl(m.root, 0)), ["text:A", "tool:t"]);
  const stats = { ...DEFAULT_STATS, output_tokens: 9, tokens_exact: true };
  const entry = (extra) => ({ status: "done", stats, error: "", notice: "", retry_in: 0, can_retry: false, timeline: { started: 0, first_token: 0.1, ended: 1 }, ...extra });
  model.update("final", [
    entry({ text: "A\n\nB", parts: [text("A"), { t: "tool", id: "t", name: "f", input: "{}", status: "failed", duration: 0.7, result: "boom", is_error: true }, text("B")] }),
    entry({ text: "Only text" }),
  ]);
  model.update("status", "done");
  raf.flush();
  const row0 = rowEl(m.root, 0);
  assert.deepEqual(transcriptOrder(row0), ["text:A", "tool:t", "text:B"]);
  assert.ok(q(row0, ".nbstream-tool-result pre").classList.contains("nbstream-tool-error"));
  assert.deepEqual(transcriptOrder(rowEl(m.root, 1)), ["text:Only text"]);
  // a retried row starts over
  model.emit(rowFrame(6, [{ i: 0, reset: true, ops: [text("Again")] }]));
  raf.flush();
  assert.deepEqual(transcriptOrder(row0), ["text:Again"]);
  assert.equal(row0.querySelector(".nbstream-tools"), null);
  unmount(m);
});

test("panel summary shows the cache read tokens of all rows", () => {
  const model = panelModel(2);
  const m = mount(model);
  model.emit({ type: "snapshot", seq: 0, rows: [] });
  model.emit(rowFrame(1, [{ i: 0, stats: { ...DEFAULT_STATS, cache_read_tokens: 1000 } }, { i: 1, stats: { ...DEFAULT_STATS, cache_read_tokens: 830 } }]));
  raf.flush();
  assert.match(q(m.root, ".nbstream-sum-tokens").textContent, /· 1,830 cache read$/);
  // and each row's header shows its own
  assert.equal(q(rowEl(m.root, 0), ".nbstream-cache").textContent, "cache 1,000 read");
  unmount(m);
});
