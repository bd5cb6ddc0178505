// Thinking, notes, server tools' links and cited sources: the transcript's ops (parts.js) and how the
// stream view shows them while streaming and from the final parts.
import test from "node:test";
import assert from "node:assert/strict";
import { installDom, installRaf, fakeClock, FakeModel, DEFAULT_STATS, mountWidget, unmountWidget } from "./helpers.js";
import { applyOps, fromParts, fromText } from "../parts.js";
import { thinkingLabel } from "../content_parts.js";

installDom();
const raf = installRaf();
const { createWidget } = await import("../index.js");

const q = (root, sel) => root.querySelector(sel);
const frame = (seq, ops) => ({ type: "frame", seq, ops, status: "streaming", stats: { ...DEFAULT_STATS, output_tokens: seq } });

test("thinking ops create one part, append its text and end it; notes and sources are added once", () => {
  let tr = applyOps(fromText(""), [
    { t: "thinking", id: "0.0", text: "", redacted: false, done: false },
    { t: "thinking", id: "0.0", append: "Let me " },
    { t: "thinking", id: "0.0", append: "think." },
    { t: "thinking", id: "0.0", done: true },
    { t: "note", id: "0.1", kind: "unsupported", text: "unsupported block: future_block" },
    { t: "note", id: "0.1", kind: "unsupported", text: "again" },
    { t: "text", text: "Answer\\[1\\]" },
    { t: "source", n: 1, title: "Doc", url: "https://example.com/a", location: "p. 2", cited_text: "quoted" },
    { t: "source", n: 1, title: "Doc", url: "https://example.com/a", location: "p. 2", cited_text: "quoted" },
    { t: "source", n: 2, title: "Evil", url: "javascript:alert(1)", location: null, cited_text: "" },
  ]);
  assert.deepEqual(tr.parts.map((p) => p.t), ["thinking", "note", "text"]);
  assert.deepEqual(tr.parts[0], { t: "thinking", id: "0.0", text: "Let me think.", redacted: false, done: true });
  assert.equal(tr.parts[1].text, "unsupported block: future_block");
  assert.equal(tr.text, "Answer\\[1\\]", "thinking is never the answer's text");
  assert.deepEqual(tr.sources.map((s) => [s.n, s.url]), [[1, "https://example.com/a"], [2, null]], "only http(s) URLs");
  const again = fromParts([...tr.parts, { t: "sources", items: tr.sources }]);
  assert.deepEqual(again.parts, tr.parts);
  assert.deepEqual(again.sources, tr.sources);
});

test("a thinking part's label says whether the model is thinking, and what the API showed", () => {
  assert.equal(thinkingLabel({ t: "thinking", id: "a", text: "", redacted: false, done: false }), "thinking…");
  assert.equal(thinkingLabel({ t: "thinking", id: "a", text: "x", redacted: false, done: true }), "thought");
  assert.equal(thinkingLabel({ t: "thinking", id: "a", text: "", redacted: false, done: true }), "thought (the API did not show the text)");
  assert.equal(thinkingLabel({ t: "thinking", id: "a", text: "", redacted: true, done: true }), "thought (redacted by the API)");
});

test("the stream view shows thinking collapsed, a web search's links, sources under the answer; all as text", () => {
  const now = fakeClock();
  const model = new FakeModel({ status: "streaming" });
  const m = mountWidget(createWidget, model, { env: { now } });
  const hostile = '<img src=x onerror="window.__pwned=1">';
  model.emit(frame(1, [
    { t: "thinking", id: "0.0", text: "", redacted: false, done: false },
    { t: "thinking", id: "0.0", append: `Hmm ${hostile}` },
  ]));
  raf.flush();
  const details = q(m.root, "details.nbstream-thinking");
  assert.ok(details, "the thinking part shows while the model thinks");
  assert.equal(details.open, false, "collapsed by default");
  assert.equal(q(details, "summary").textContent, "thinking…");
  assert.equal(q(details, ".nbstream-thinking-text").textContent, `Hmm ${hostile}`);
  assert.equal(details.querySelector("img"), null);
  model.emit(frame(2, [
    { t: "thinking", id: "0.0", done: true },
    { t: "tool", id: "srv_1", name: "web_search", status: "forming", input: "", server: true },
    { t: "tool", id: "srv_1", input_delta: '{"query": "x"}' },
    { t: "tool", id: "srv_1", status: "running" },
    { t: "tool", id: "srv_1", status: "done", result: "2 results", is_error: false, links: [
      { title: hostile, url: "https://example.com/1" }, { title: "bad", url: "javascript:window.__pwned=1" },
    ] },
    { t: "text", text: "The answer\\[1\\]" },
    { t: "source", n: 1, title: hostile, url: "https://example.com/1", location: null, cited_text: hostile },
  ]));
  raf.flush();
  assert.equal(q(details, "summary").textContent, "thought");
  const card = q(m.root, ".nbstream-tool");
  assert.equal(q(card, ".nbstream-tool-server").hidden, false);
  const links = [...card.querySelectorAll(".nbstream-tool-links li")];
  assert.equal(links.length, 2);
  assert.equal(links[0].querySelector("a").getAttribute("href"), "https://example.com/1");
  assert.equal(links[0].textContent, hostile, "a title is text");
  assert.equal(links[1].querySelector("a"), null, "a script URL is no link");
  const sources = q(m.root, ".nbstream-sources");
  assert.ok(sources && !sources.hidden);
  assert.equal(sources.previousElementSibling.classList.contains("nbstream-text"), true, "under the answer");
  assert.equal(q(sources, "q").textContent, hostile);
  assert.equal(m.root.querySelectorAll("img").length, 0);
  const texts = [...m.root.querySelectorAll(".nbstream-text")];
  assert.match(texts[texts.length - 1].textContent, /The answer\[1\]/, "the marker is literal text");
  unmountWidget(m, raf);
});

test("a panel row's preview says the model is thinking, or which server tool it is calling", async () => {
  const { transcriptPreview } = await import("../preview.js");
  const thinking = { t: "thinking", id: "0.0", text: "", redacted: false, done: false };
  assert.equal(transcriptPreview([thinking], "", true), "thinking…");
  assert.equal(transcriptPreview([{ ...thinking, done: true }], "", true), "");
  const search = { t: "tool", id: "s", name: "web_search", status: "running", input: "", duration: null, result: null,
    is_error: false, server: true, links: [] };
  assert.equal(transcriptPreview([thinking, search], "", true), "calling web_search…");
});
