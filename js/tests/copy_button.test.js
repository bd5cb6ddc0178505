import test from "node:test";
import assert from "node:assert/strict";
import { installDom } from "./helpers.js";

installDom();
const { renderAnswerFragment, renderMarkdownFragment, copyCodeOnClick } = await import("../markdown.js");

const SRC = "Intro with `inline`.\n\n```python\nprint('hi')\n```\n\n```\nsecond\n```\n";

test("every code block of an answer gets one Copy button; its text stays the code alone", () => {
  const frag = renderAnswerFragment(SRC);
  const pres = [...frag.querySelectorAll("pre")];
  assert.equal(pres.length, 2);
  for (const pre of pres) {
    const buttons = pre.querySelectorAll(":scope > button.nbstream-copy");
    assert.equal(buttons.length, 1);
    assert.equal(buttons[0].getAttribute("type"), "button");
    assert.equal(buttons[0].getAttribute("aria-label"), "Copy code");
    assert.equal(buttons[0].textContent, ""); // the label is drawn by CSS
  }
  assert.equal(pres[0].textContent, "print('hi')\n");
  assert.equal(frag.querySelectorAll("p button").length, 0); // inline code gets none
  // The sanitised fragment itself never carries a button: it is added after sanitising.
  assert.equal(renderMarkdownFragment(SRC).querySelectorAll("button").length, 0);
});

test("a click on a Copy button copies its block's code and marks it copied; other clicks are left alone", async () => {
  const host = document.createElement("div");
  host.append(renderAnswerFragment(SRC));
  document.body.append(host);
  const written = [];
  Object.defineProperty(window.navigator, "clipboard", {
    configurable: true,
    value: { writeText: async (text) => void written.push(text) },
  });
  const button = host.querySelectorAll(".nbstream-copy")[1];
  assert.equal(copyCodeOnClick({ target: button }), true);
  await new Promise((r) => setTimeout(r, 0));
  assert.deepEqual(written, ["second\n"]);
  assert.ok(button.hasAttribute("data-copied"));
  assert.equal(copyCodeOnClick({ target: host.querySelector("p") }), false);
  assert.deepEqual(written, ["second\n"]);
  host.remove();
});
