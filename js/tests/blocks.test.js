import test from "node:test";
import assert from "node:assert/strict";
import { scan, lastSplit, splitStable, endsInFence, linkDefinitions } from "../blocks.js";

test("paragraphs: split at the last blank line followed by a new block", () => {
  assert.deepEqual(splitStable("one\n\ntwo\n\nthr"), { stable: "one\n\ntwo\n\n", tail: "thr" });
  assert.deepEqual(splitStable("one\n\ntwo"), { stable: "one\n\n", tail: "two" });
});

test("no split before the next block has started", () => {
  assert.deepEqual(splitStable("one\n\n"), { stable: "", tail: "one\n\n" });
  assert.deepEqual(splitStable("one\n"), { stable: "", tail: "one\n" });
  assert.deepEqual(splitStable(""), { stable: "", tail: "" });
  assert.deepEqual(splitStable("one\n\n\n"), { stable: "", tail: "one\n\n\n" });
});

test("several blank lines count as one boundary", () => {
  assert.deepEqual(splitStable("a\n\n\n\nb"), { stable: "a\n\n\n\n", tail: "b" });
  assert.deepEqual(scan("a\n\n  \t\n\nb\n\nc").splits, [8, 11]);
});

test("an indented line after a blank line continues the block (list item paragraph, indented code)", () => {
  assert.deepEqual(splitStable("- item\n\n  more of the item"), { stable: "", tail: "- item\n\n  more of the item" });
  assert.deepEqual(splitStable("para\n\n    code\n\n    more code"), { stable: "", tail: "para\n\n    code\n\n    more code" });
  assert.deepEqual(splitStable("- a\n\n  b\n\nnext"), { stable: "- a\n\n  b\n\n", tail: "next" });
});

test("fenced code with blank lines inside is never split", () => {
  const text = "intro\n\n```python\ndef f():\n\n    return 1\n\nx = 2\n```\n\nafter";
  assert.deepEqual(scan(text).splits, [7, text.indexOf("after")]);
  const open = "intro\n\n```python\ndef f():\n\n    return 1\n\nx = 2";
  assert.deepEqual(splitStable(open), { stable: "intro\n\n", tail: "```python\ndef f():\n\n    return 1\n\nx = 2" });
});

test("~~~ fences, and fences of the other character inside", () => {
  const text = "~~~\n```\n\nnot a split\n~~~\n\nafter";
  assert.equal(lastSplit(text), text.indexOf("after"));
  const inner = "~~~md\n```\n\nstill inside\n```\n\nstill inside too";
  assert.equal(lastSplit(inner), 0);
  assert.ok(endsInFence(inner));
});

test("longer fences close only on a run at least as long", () => {
  const text = "````\n```\n\ninside\n```\n\ninside\n````\n\nafter";
  assert.deepEqual(scan(text).splits, [text.indexOf("after")]);
  const still = "````\n```\n\ninside\n```\n\ninside";
  assert.equal(lastSplit(still), 0);
  assert.ok(endsInFence(still));
  // a closing run can be longer than the opening one
  assert.equal(lastSplit("```\n\nx\n`````\n\nafter"), "```\n\nx\n`````\n\n".length);
});

test("a closing fence must have nothing after it; a backtick info string cannot contain backticks", () => {
  const text = "```\ncode\n``` not closed\n\nstill code";
  assert.equal(lastSplit(text), 0);
  assert.ok(endsInFence(text));
  // "```foo```" is inline code, not a fence
  assert.equal(lastSplit("```foo```\n\nnext"), "```foo```\n\n".length);
});

test("indented fences (inside list items) are recognised", () => {
  const text = "1. Step:\n\n   ```js\n   let a = 1;\n\nlet b = 2;\n   ```\n\n2. Next";
  // The blank line inside the indented fence is not a split point.
  assert.deepEqual(scan(text).splits, [text.indexOf("2. Next")]);
  const tabbed = "- x\n\t```\n\n\tcode\n\n\t```\n\nafter";
  assert.equal(lastSplit(tabbed), tabbed.indexOf("after"));
});

test("unterminated fence at the tail keeps everything after it in the tail", () => {
  const text = "# Title\n\nSome text.\n\n```js\nconst a = 1;\n\nconst b = 2;\n";
  assert.deepEqual(splitStable(text), { stable: "# Title\n\nSome text.\n\n", tail: "```js\nconst a = 1;\n\nconst b = 2;\n" });
  assert.ok(endsInFence(text));
});

test("headings and lists", () => {
  const text = "# H1\n\n## H2\ntext under\n\n- a\n- b\n\n1. one\n2. two\n\ntail";
  const { splits } = scan(text);
  assert.deepEqual(
    splits.map((i) => text.slice(i, i + 4)),
    ["## H", "- a\n", "1. o", "tail"],
  );
});

test("scan from a previous split point gives the same later splits", () => {
  const text = "a\n\n```\nx\n\ny\n```\n\nb\n\nc\n\nd";
  const all = scan(text).splits;
  for (const from of all) {
    assert.deepEqual(scan(text, from).splits, all.filter((s) => s > from));
  }
});

test("CRLF line endings", () => {
  assert.deepEqual(splitStable("a\r\n\r\nb"), { stable: "a\r\n\r\n", tail: "b" });
});

test("link reference definitions outside code", () => {
  const text = 'See [x][1].\n\n[1]: https://example.com "T"\n\n```\n[2]: https://not-a-def\n```\n  [Two]: <https://two.example>';
  assert.equal(linkDefinitions(text), '[1]: https://example.com "T"\n[Two]: <https://two.example>');
  assert.equal(linkDefinitions("no defs here"), "");
});

test("soft splits: none by default, and none in short blocks", () => {
  const list = Array.from({ length: 50 }, (_, i) => `- item ${i}`).join("\n");
  assert.deepEqual(scan(list).splits, []);
  assert.deepEqual(scan(list, 0, { softLimit: 10000 }).splits, []);
});

test("soft splits in a long list fall before top-level items only", () => {
  const items = Array.from({ length: 40 }, (_, i) => `${i + 1}. item ${i}\n   continued ${i}\n   - nested ${i}`);
  const list = items.join("\n") + "\n";
  const { splits, soft, heads } = scan(list, 0, { softLimit: 200 });
  assert.ok(splits.length > 3);
  for (const at of splits) {
    assert.ok(soft.has(at));
    assert.match(list.slice(at), /^\d+\. item/);
    assert.equal(list[at - 1], "\n");
  }
  assert.equal(heads.size, 0);
  // chunks stay near the limit
  let prev = 0;
  for (const at of splits) {
    assert.ok(at - prev < 200 + 60);
    prev = at;
  }
});

test("soft splits in a long table fall before body rows and carry the header", () => {
  const head = "| a | b |\n|---|--:|\n";
  const table = head + Array.from({ length: 60 }, (_, i) => `| ${i} | ${i * 2} |`).join("\n") + "\n";
  const { splits, heads } = scan(table, 0, { softLimit: 100 });
  assert.ok(splits.length > 3);
  for (const at of splits) {
    assert.ok(at > head.length);
    assert.equal(heads.get(at), head);
    assert.match(table.slice(at), /^\| \d+ \|/);
  }
  // scanning on from a soft split inside the table continues to use the header
  const again = scan(table, splits[0], { softLimit: 100, tableHead: head });
  assert.deepEqual(again.splits, splits.slice(1));
});

test("no soft splits inside fences, paragraphs, or after a table has ended", () => {
  const fence = "```\n" + Array.from({ length: 100 }, (_, i) => `- ${i}`).join("\n") + "\n```\n";
  assert.deepEqual(scan(fence, 0, { softLimit: 50 }).splits, []);
  const para = Array.from({ length: 100 }, (_, i) => `word ${i} | x`).join("\n");
  assert.deepEqual(scan(para, 0, { softLimit: 50 }).splits, []);
  const ended = "| a |\n|---|\n| 1 |\nplain line\n" + Array.from({ length: 50 }, () => "x | y").join("\n");
  assert.deepEqual(scan(ended, 0, { softLimit: 20 }).splits, []);
});
