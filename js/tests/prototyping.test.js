import test from "node:test";
import assert from "node:assert/strict";
import { installDom, installRaf, FakeModel, mountWidget, unmountWidget, DEFAULT_STATS } from "./helpers.js";
import { fenceJson } from "../json_text.js";

installDom();
const raf = installRaf();
const { createWidget } = await import("../index.js");

const mount = (model) => mountWidget(createWidget, model);
const unmount = (m) => unmountWidget(m, raf);

function frame(seq, delta) {
  return { type: "frame", seq, delta, status: "streaming", stats: { ...DEFAULT_STATS, output_tokens: seq } };
}

test("the header shows the request's non-default parameters, and nothing when there are none", () => {
  const plain = mount(new FakeModel());
  assert.equal(plain.root.querySelector(".nbstream-settings").hidden, true);
  unmount(plain);
  const m = mount(new FakeModel({ settings: ["effort high", "stop 'END'"] }));
  const shown = m.root.querySelector(".nbstream-settings");
  assert.equal(shown.hidden, false);
  assert.equal(shown.textContent, "effort high · stop 'END'");
  unmount(m);
});

test("a reply to a schema shows as JSON forming in a code block, not as a paragraph", () => {
  const model = new FakeModel({ text_format: "json", status: "streaming" });
  const m = mount(model);
  model.emit(frame(1, '{"name": "Ada", "tags": ["ma'));
  raf.flush();
  const code = m.root.querySelector(".nbstream-text pre code");
  assert.ok(code, "a code block");
  assert.equal(code.textContent.trim(), '{"name": "Ada", "tags": ["ma');
  assert.equal(m.root.querySelector(".nbstream-text p"), null);
  model.emit(frame(2, 'th"]}'));
  raf.flush();
  assert.equal(m.root.querySelector(".nbstream-text pre code").textContent.trim(), '{"name": "Ada", "tags": ["math"]}');
  unmount(m);
});

test("the JSON fence is longer than any backtick run inside the text", () => {
  assert.equal(fenceJson('{"a": 1}'), '```json\n{"a": 1}\n```');
  assert.equal(fenceJson('{"code": "````"}'), '`````json\n{"code": "````"}\n`````');
});

test("each panel row's header shows its request's non-default parameters", () => {
  const rows = [
    { label: "a", model: "claude-test", prompt: "one", settings: ["effort low", "schema name, age"] },
    { label: "b", model: "claude-test", prompt: "two" },
  ];
  const model = new FakeModel({ _view: "panel", status: "running", rows, summary: {}, final: [], show_text: true });
  const m = mountWidget(createWidget, model, { root: ".nbstream-panel" });
  raf.flush();
  const shown = [...m.root.querySelectorAll(".nbstream-row .nbstream-settings")].map((el) => (el.hidden ? "" : el.textContent));
  assert.deepEqual(shown, ["effort low · schema name, age", ""]);
  unmount(m);
});
