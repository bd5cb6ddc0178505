import test from "node:test";
import assert from "node:assert/strict";
import { previewText, PREVIEW_CHARS } from "../preview.js";

test("short texts: Markdown syntax stripped, whitespace collapsed", () => {
  assert.equal(previewText("", true), "");
  assert.equal(previewText("# Title\n\nSome **bold** and `code`.\n\n- item one\n- item two", false), "Title: Some bold and code. item one item two");
  assert.equal(previewText("## Done already.\nText", false), "Done already. Text"); // a heading that ends a sentence keeps it
  assert.equal(previewText("See [the docs](https://example.com) and ![img](x.png).", false), "See the docs and img.");
  assert.equal(previewText("```python\nprint(1)\n```", false), "print(1)");
  assert.equal(previewText("> quoted\n> text", true), "quoted text");
  assert.equal(previewText("| a | b |\n|---|---|\n| 1 | 2 |", false), "| a | b | | 1 | 2 |");
  assert.equal(previewText("snake_case and 2 * 3", false), "snake_case and 2 * 3");
  // a link still streaming in
  assert.equal(previewText("see [the docs](https://exa", true), "see the docs");
});

test("long texts: the end while streaming, the beginning once final", () => {
  const words = Array.from({ length: 200 }, (_, i) => `w${i}`).join(" ");
  const live = previewText(words, true);
  assert.ok(live.startsWith("…"));
  assert.ok(live.endsWith("w199"));
  assert.ok(live.length <= PREVIEW_CHARS + 1);
  assert.match(live, /^…w\d+ /, "starts at a word boundary");
  const final = previewText(words, false);
  assert.ok(final.startsWith("w0 w1 "));
  assert.ok(final.endsWith("…"));
});
