import test from "node:test";
import assert from "node:assert/strict";
import {
  appendText,
  applyOps,
  emptyTranscript,
  fromParts,
  fromText,
  partsEqual,
  pendingToolNames,
  segmentParts,
} from "../parts.js";
import { prettyJson, toolArgsText } from "../tool_card.js";
import { transcriptPreview } from "../preview.js";
import { formatCache, formatTurns, toolStatusLabel } from "../format.js";

const tool = (id, extra = {}) => ({ t: "tool", id, ...extra });

test("text ops append to the last text part, or start a new one after a tool part", () => {
  let tr = emptyTranscript();
  tr = applyOps(tr, [{ t: "text", text: "Let me " }, { t: "text", text: "check." }]);
  assert.deepEqual(tr.parts, [{ t: "text", text: "Let me check." }]);
  assert.equal(tr.text, "Let me check.");
  tr = applyOps(tr, [tool("a", { name: "search", status: "forming", input: "" }), { t: "text", text: "Found it." }]);
  assert.equal(tr.parts.length, 3);
  assert.deepEqual(tr.parts[2], { t: "text", text: "Found it." });
  assert.equal(tr.text, "Let me check.\n\nFound it.", "text parts are joined by a blank line");
  // empty text ops start nothing
  const same = applyOps(tr, [tool("a", { status: "ready" }), { t: "text", text: "" }]);
  assert.equal(same.parts.length, 3);
  // the delta path is the case of one text part
  assert.deepEqual(appendText(appendText(emptyTranscript(), "a"), "b"), { parts: [{ t: "text", text: "ab" }], text: "ab" });
  assert.equal(appendText(tr, ""), tr);
});

test("tool ops create the part once (at the end), set the fields given and append input_delta", () => {
  let tr = fromText("Intro");
  tr = applyOps(tr, [
    tool("t1", { name: "get_weather", status: "forming", input: "" }),
    tool("t1", { input_delta: '{"city": ' }),
    tool("t1", { input_delta: '"Paris"}' }),
  ]);
  assert.deepEqual(tr.parts[1], {
    t: "tool", id: "t1", name: "get_weather", status: "forming", input: '{"city": "Paris"}',
    duration: null, result: null, is_error: false, server: false, links: [],
  });
  tr = applyOps(tr, [tool("t1", { status: "ready" }), tool("t1", { status: "running" })]);
  assert.equal(tr.parts[1].status, "running");
  tr = applyOps(tr, [tool("t1", { status: "done", duration: 0.51, result: "18 °C", is_error: false })]);
  assert.equal(tr.parts.length, 2, "no new part for a known id");
  assert.equal(tr.parts[1].name, "get_weather", "fields not given are kept");
  assert.equal(tr.parts[1].duration, 0.51);
  assert.equal(tr.parts[1].result, "18 °C");
  assert.equal(tr.parts[1].input, '{"city": "Paris"}');
  // an update of an unknown id creates the part, with what it has
  tr = applyOps(tr, [tool("t2", { status: "running" })]);
  assert.deepEqual([tr.parts[2].id, tr.parts[2].name, tr.parts[2].input, tr.parts[2].status], ["t2", "", "", "running"]);
  // malformed ops are skipped
  const before = tr;
  tr = applyOps(tr, [null, 5, { t: "tool" }, { t: "image" }, tool("t1", { duration: "x", status: "" })]);
  assert.ok(partsEqual(tr.parts, before.parts));
  assert.equal(applyOps(before, undefined), before);
});

test("applyOps is pure: the input is untouched; unchanged parts keep their identity", () => {
  const tr = applyOps(fromText("A"), [tool("x", { name: "f", status: "running" })]);
  const frozen = JSON.stringify(tr);
  const next = applyOps(tr, [tool("x", { status: "done", duration: 1 }), { t: "text", text: "B" }]);
  assert.equal(JSON.stringify(tr), frozen);
  assert.notEqual(next.parts, tr.parts);
  assert.equal(next.parts[0], tr.parts[0], "the text part did not change");
  assert.notEqual(next.parts[1], tr.parts[1], "the tool part changed: a new object");
  assert.equal(tr.parts[1].status, "running");
});

test("order is preserved across interleaved ops of several frames", () => {
  let tr = emptyTranscript();
  const frames = [
    [{ t: "text", text: "I will look up " }, tool("a", { name: "weather", status: "forming", input: "" })],
    [], // a frame with no ops
    [tool("a", { input_delta: "{}" }), tool("b", { name: "time", status: "forming", input: "" }), tool("a", { status: "ready" })],
    [tool("b", { status: "ready" }), tool("a", { status: "running" }), tool("b", { status: "running" })],
    [tool("b", { status: "done", duration: 0.2, result: "12:00" }), tool("a", { status: "failed", duration: 0.4, result: "timeout", is_error: true })],
    [{ t: "text", text: "It is noon" }, { t: "text", text: "." }],
  ];
  for (const ops of frames) tr = applyOps(tr, ops);
  assert.deepEqual(tr.parts.map((p) => (p.t === "text" ? `text:${p.text}` : `tool:${p.id}:${p.status}`)), [
    "text:I will look up ",
    "tool:a:failed",
    "tool:b:done",
    "text:It is noon.",
  ]);
  assert.equal(tr.parts[1].is_error, true);
  assert.equal(tr.text, "I will look up \n\nIt is noon.");
});

test("fromParts: a snapshot's whole list (untrusted) replaces everything; an empty list clears", () => {
  const tr = fromParts([
    { t: "text", text: "A" },
    { t: "tool", id: "t1", name: "f", input: "{}", status: "done", duration: 0.3, result: "ok", is_error: false, input_delta: "ignored" },
    { t: "text", text: "" },
    { t: "thinking", text: "dropped" },
    null,
    { t: "tool", name: "no id" },
    { t: "tool", id: 7, status: "running" },
    { t: "text", text: "B" },
  ]);
  assert.deepEqual(tr.parts.map((p) => p.t + (p.id ?? "")), ["text", "toolt1", "tool7", "text"]);
  assert.equal(tr.parts[1].input, "{}");
  assert.equal(tr.text, "A\n\nB");
  assert.deepEqual(fromParts([]), emptyTranscript());
  assert.deepEqual(fromParts("nonsense"), emptyTranscript());
  assert.deepEqual(fromText(""), emptyTranscript());
});

test("partsEqual compares values", () => {
  const a = fromParts([{ t: "text", text: "A" }, { t: "tool", id: "x", status: "done", duration: 1, result: "r" }]).parts;
  const b = fromParts([{ t: "text", text: "A" }, { t: "tool", id: "x", status: "done", duration: 1, result: "r" }]).parts;
  assert.ok(partsEqual(a, b));
  assert.ok(!partsEqual(a, fromParts([{ t: "text", text: "A" }]).parts));
  assert.ok(!partsEqual(a, fromParts([{ t: "text", text: "A" }, { t: "tool", id: "x", status: "done", duration: 2, result: "r" }]).parts));
});

test("segments: text parts alone, consecutive tool parts grouped, always led by a text segment", () => {
  const kinds = (parts) => segmentParts(parts).map((s) => (s.kind === "text" ? `text:${s.text}${s.last ? "$" : ""}` : `tools:${s.tools.map((t) => t.id).join(",")}${s.last ? "$" : ""}`));
  assert.deepEqual(kinds([]), ["text:$"]);
  assert.deepEqual(kinds(fromText("A").parts), ["text:A$"]);
  const parts = fromParts([
    { t: "text", text: "A" }, { t: "tool", id: "1" }, { t: "tool", id: "2" }, { t: "text", text: "B" }, { t: "tool", id: "3" },
  ]).parts;
  assert.deepEqual(kinds(parts), ["text:A", "tools:1,2", "text:B", "tools:3$"]);
  assert.deepEqual(kinds(parts.slice(1, 3)), ["text:", "tools:1,2$"]);
});

test("pending tool names and the panel preview", () => {
  let tr = applyOps(fromText("Checking"), [tool("a", { name: "weather", status: "running" }), tool("b", { name: "time", status: "forming" })]);
  assert.deepEqual(pendingToolNames(tr.parts), ["weather", "time"]);
  assert.equal(transcriptPreview(tr.parts, tr.text, true), "calling weather, time…");
  assert.equal(transcriptPreview(tr.parts, tr.text, false), "Checking", "a call that ended shows its text");
  tr = applyOps(tr, [tool("a", { status: "done" }), tool("b", { status: "done" })]);
  assert.deepEqual(pendingToolNames(tr.parts), []);
  assert.equal(transcriptPreview(tr.parts, tr.text, true), "Checking");
  tr = applyOps(tr, [{ t: "text", text: "It is sunny." }]);
  assert.equal(transcriptPreview(tr.parts, tr.text, true), "Checking It is sunny.");
  assert.deepEqual(pendingToolNames(applyOps(emptyTranscript(), [tool("z", { status: "ready" })]).parts), ["tool"]);
});

test("tool arguments: raw while forming, pretty JSON (token for token) once complete", () => {
  assert.equal(toolArgsText('{"city": "Par', "forming"), '{"city": "Par');
  assert.equal(toolArgsText('{"city":"Paris","days":[1,2]}', "ready"), '{\n  "city": "Paris",\n  "days": [\n    1,\n    2\n  ]\n}');
  assert.equal(toolArgsText("not json", "done"), "not json");
  assert.equal(toolArgsText("", "ready"), "");
  const src = '{"big": 12345678901234567890, "s": "a \\"q\\" , {x}: [y]", "e": {}, "l": [ ], "u": "\\u00e9"}';
  assert.equal(prettyJson(src), JSON.stringify(JSON.parse(src), null, 2).replace("12345678901234567000", "12345678901234567890").replace('"é"', '"\\u00e9"'));
  assert.ok(prettyJson(src).includes("12345678901234567890"), "numbers are kept as written");
});

test("tool status labels, cache and turn figures", () => {
  assert.equal(toolStatusLabel("forming"), "writing arguments");
  assert.equal(toolStatusLabel("running"), "running");
  assert.equal(toolStatusLabel("odd"), "odd");
  assert.equal(formatCache(0, 0, null), "");
  assert.equal(formatCache(undefined, undefined, undefined), "");
  assert.equal(formatCache(1830, 512, 0.0012, true), "cache 1,830 read · 512 written · saved $0.0012");
  assert.equal(formatCache(1830, 0, null, true), "cache 1,830 read");
  assert.equal(formatCache(0, 512, -0.0003, true), "cache 512 written · cache write +$0.00030");
  assert.equal(formatCache(0, 512, -0.0003, false), "cache 512 written · cache write ~+$0.00030");
  assert.equal(formatCache(100, 0, 0.0012, false), "cache 100 read · saved ~$0.0012");
  assert.equal(formatTurns(3), "3 turns");
  assert.equal(formatTurns(1), "");
  assert.equal(formatTurns(undefined), "");
});
