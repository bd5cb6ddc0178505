import test from "node:test";
import assert from "node:assert/strict";
import { installDom, installRaf, fakeClock, FakeModel, mountWidget, renderView } from "./helpers.js";

installDom();
installRaf();
const { createWidget } = await import("../index.js");

/** Timers the test fires by hand. */
function fakeTimers() {
  const pending = new Map();
  let next = 1;
  return {
    setTimeout: (fn, ms) => {
      pending.set(next, { fn, ms });
      return next++;
    },
    clearTimeout: (id) => pending.delete(id),
    fireAll() {
      const due = [...pending.values()];
      pending.clear();
      for (const { fn } of due) fn();
    },
    get count() {
      return pending.size;
    },
  };
}

function mounted(view, status, { views = 1 } = {}) {
  const timers = fakeTimers();
  const model = new FakeModel({ _view: view, status });
  const m = mountWidget(createWidget, model, { views, env: { now: fakeClock(), ...timers } });
  return { model, m, timers };
}

const cancels = (model) => model.sent.filter((s) => s === "cancel" || s?.type === "cancel" || s?.type === "cancel_all");

test("a streaming call whose last view goes (its cell re-run) is cancelled after a short grace", () => {
  const { model, m, timers } = mounted("stream", "streaming");
  m.views[0].controller.abort(); // the output area was cleared
  assert.equal(cancels(model).length, 0, "not at once: the view may only be re-created");
  assert.equal(timers.count, 1);
  timers.fireAll();
  assert.deepEqual(model.sent.at(-1), { type: "cancel" });
});

test("a view that comes back within the grace keeps the call running", () => {
  const { model, m, timers } = mounted("stream", "streaming");
  m.views[0].controller.abort();
  renderView(m.widget, model); // re-rendered (a moved output)
  timers.fireAll();
  assert.equal(cancels(model).length, 0);
});

test("while another view of the same call is shown, removing one cancels nothing", () => {
  const { model, m, timers } = mounted("stream", "streaming", { views: 2 });
  m.views[0].controller.abort();
  assert.equal(timers.count, 0);
  assert.equal(cancels(model).length, 0);
});

test("a finished call's last view going away sends nothing", () => {
  const { model, m, timers } = mounted("stream", "done");
  m.views[0].cleanup(); // the returned cleanup counts as well as the signal
  timers.fireAll();
  assert.equal(cancels(model).length, 0);
});

test("a running panel whose last view goes is cancelled as a whole", () => {
  const { model, m, timers } = mounted("panel", "running");
  m.views[0].controller.abort();
  timers.fireAll();
  assert.deepEqual(model.sent.at(-1), { type: "cancel_all" });
});
