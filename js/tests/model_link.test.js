import test from "node:test";
import assert from "node:assert/strict";
import { FakeModel } from "./helpers.js";
import { createModelLink } from "../model_link.js";

test("a model link tells its subscribers, sends to the kernel, and lets go of everything when disposed", () => {
  const model = new FakeModel();
  const link = createModelLink(model);
  const seen = [];
  link.listen([["msg:custom", (msg) => link.notify(msg.n)], ["change:status", () => link.notify("status")]]);
  const unsubscribe = link.subscribe((c) => seen.push(["a", c]));
  link.subscribe((c) => seen.push(["b", c]));
  model.emit({ n: 1 });
  unsubscribe();
  model.update("status", "done");
  assert.deepEqual(seen, [["a", 1], ["b", 1], ["b", "status"]]);

  link.send({ type: "cancel" });
  assert.deepEqual(model.sent, [{ type: "cancel" }]);
  assert.equal(model.listenerCount(), 2);

  link.dispose();
  link.dispose(); // twice is harmless
  assert.equal(link.disposed, true);
  assert.equal(model.listenerCount(), 0, "every model handler is removed");
  link.send({ type: "retry" });
  link.listen([["msg:custom", () => link.notify("late")]]);
  model.emit({ n: 2 });
  assert.deepEqual(model.sent, [{ type: "cancel" }], "nothing is sent once disposed");
  assert.equal(model.listenerCount(), 0, "nothing is listened to once disposed");
  assert.equal(seen.length, 3);
});
