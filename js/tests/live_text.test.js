import test from "node:test";
import assert from "node:assert/strict";
import { installDom, fakeClock } from "./helpers.js";

installDom();
const { createLiveText } = await import("../live_text.js");
const { renderMarkdown, renderMarkdownFragment } = await import("../markdown.js");

const DOC = [
  "# Streaming test",
  "",
  "Intro paragraph with **bold**, `code` and a [link](https://example.com).",
  "",
  "## A list",
  "- one",
  "- two",
  "  - nested",
  "",
  "1. first",
  "2. second",
  "",
  "```python",
  "def f(x):",
  "",
  "    return x * 2",
  "",
  "",
  "print(f(2))",
  "```",
  "",
  "~~~~",
  "```",
  "",
  "inner",
  "```",
  "~~~~",
  "",
  "> a quote",
  "> on two lines",
  "",
  "| a | b |",
  "|---|---|",
  "| 1 | 2 |",
  "",
  "- item",
  "",
  "  second paragraph of the item",
  "",
  "Final paragraph.",
  "",
].join("\n");

/** @param {string} html */
function normalise(html) {
  return html.replace(/>\s+</g, "><").trim();
}

/** @param {HTMLElement} el */
function rendered(el) {
  return normalise(el.innerHTML);
}

function makeLive(options = {}) {
  const el = document.createElement("div");
  const calls = [];
  const live = createLiveText(el, {
    render: (src) => {
      calls.push(src);
      return renderMarkdownFragment(src);
    },
    now: () => 0, // a frozen clock: the time budget never runs out unless a test says so
    ...options,
  });
  return { el, live, calls };
}

test("streamed in chunks of any size, the result equals rendering the whole text at once", () => {
  const whole = normalise(renderMarkdown(DOC));
  for (const chunk of [1, 3, 16, 1000]) {
    const { el, live } = makeLive();
    for (let i = 0; i < DOC.length; i += chunk) {
      live.set(DOC.slice(0, i + chunk), false);
      while (live.step());
    }
    live.set(DOC, true);
    while (live.step());
    assert.equal(rendered(el), whole, `chunk size ${chunk}`);
    assert.equal(live.tailNodes.length, 0);
  }
});

test("each stable character is rendered once while streaming", () => {
  const { live, calls } = makeLive();
  let tailChars = 0;
  let stableChars = 0;
  let prevStable = 0;
  for (let i = 1; i <= DOC.length; i++) {
    const before = calls.length;
    live.set(DOC.slice(0, i), false);
    while (live.step());
    const stable = live.stableLength;
    // render calls: new pieces (stable) then at most one tail render
    const newCalls = calls.slice(before);
    for (const src of newCalls) {
      if (stable > prevStable && stableChars < stable) {
        stableChars += src.length;
      } else {
        tailChars += src.length;
      }
    }
    prevStable = stable;
  }
  assert.equal(stableChars, live.stableLength, "stable text rendered exactly once");
  assert.ok(live.stableLength > DOC.length * 0.8);
});

test("the tail is re-rendered, stable pieces are not", () => {
  const { el, live, calls } = makeLive();
  live.set("First.\n\nSecond", false);
  live.step();
  assert.deepEqual(calls, ["First.\n\n", "Second"]);
  const p1 = el.querySelector("p");
  live.set("First.\n\nSecond grows", false);
  live.step();
  assert.deepEqual(calls.slice(2), ["Second grows"]);
  assert.equal(el.querySelector("p"), p1);
  live.set("First.\n\nSecond grows", false);
  assert.equal(live.step(), false);
  assert.equal(calls.length, 3, "nothing changed, nothing rendered");
  live.set("First.\n\nSecond grows", true);
  live.step();
  assert.deepEqual(calls.slice(3), ["Second grows"]);
  assert.equal(live.tailNodes.length, 0);
  assert.equal(el.querySelector("p"), p1);
});

test("a replaced text keeps the pieces in the common prefix and rebuilds the rest", () => {
  const { el, live, calls } = makeLive({ pieceChars: 1 }); // one block per piece, as when streaming
  live.set("A.\n\nB.\n\nC.\n\nD", false);
  while (live.step());
  const [pa, pb] = el.querySelectorAll("p");
  calls.length = 0;
  live.set("A.\n\nB.\n\nX.\n\nY", false);
  while (live.step());
  const ps = Array.from(el.querySelectorAll("p"));
  assert.deepEqual(ps.map((p) => p.textContent), ["A.", "B.", "X.", "Y"]);
  assert.equal(ps[0], pa);
  assert.equal(ps[1], pb);
  assert.deepEqual(calls, ["X.\n\n", "Y"]);
  live.set("", false);
  while (live.step());
  assert.equal(el.textContent, "");
});

test("a final text that ends in an open fence renders as code", () => {
  const { el, live } = makeLive();
  live.set("Text\n\n```js\nlet a;\n\nlet b;", true);
  while (live.step());
  assert.equal(el.querySelector("pre code").textContent, "let a;\n\nlet b;\n");
});

test("reference-style links work across blocks once the definition arrives", () => {
  const { el, live } = makeLive();
  live.set("See [the docs][d] for details.\n\nMore text.\n\n", false);
  while (live.step());
  assert.equal(el.querySelector("a"), null);
  live.set("See [the docs][d] for details.\n\nMore text.\n\n[d]: https://docs.example.com\n\nEnd", false);
  while (live.step());
  const a = el.querySelector("a");
  assert.ok(a);
  assert.equal(a.getAttribute("href"), "https://docs.example.com");
  assert.equal(a.textContent, "the docs");
  // the definition inside code is not used
  const other = makeLive();
  other.live.set("[x][y]\n\n```\n[y]: https://no.example\n```\n\nEnd", true);
  while (other.live.step());
  assert.equal(other.el.querySelector("a"), null);
});

test("the work per step is bounded by the time budget", () => {
  const now = fakeClock();
  const blocks = Array.from({ length: 200 }, (_, i) => `Block ${i} ${"x ".repeat(300)}`);
  const el = document.createElement("div");
  let renders = 0;
  const live = createLiveText(el, {
    now,
    budgetMs: 8,
    render: (src) => {
      renders++;
      now.advance(2);
      return renderMarkdownFragment(src);
    },
  });
  live.set(blocks.join("\n\n"), true);
  let steps = 0;
  let max = 0;
  for (;;) {
    const before = renders;
    const more = live.step();
    steps++;
    max = Math.max(max, renders - before);
    if (!more) break;
  }
  assert.ok(steps > 5, `${steps} steps`);
  assert.ok(max <= 5, `max ${max} renders in one step`);
  assert.equal(el.querySelectorAll("p").length, 200);
});

test("a slow tail is re-rendered less often, and catches up when the text stops changing", () => {
  const now = fakeClock();
  const el = document.createElement("div");
  let tailRenders = 0;
  const live = createLiveText(el, {
    now,
    budgetMs: 8,
    render: (src) => {
      tailRenders++;
      now.advance(20); // a tail that takes 20 ms to render
      return renderMarkdownFragment(src);
    },
  });
  let text = "```\n";
  let more = false;
  for (let i = 0; i < 30; i++) {
    text += `line ${i}\n`;
    live.set(text, false);
    more = live.step();
    now.advance(16);
  }
  assert.ok(tailRenders < 20, `${tailRenders} tail renders for 30 frames`);
  while (more) {
    now.advance(16);
    more = live.step();
  }
  assert.match(el.textContent, /line 29/);
});

test("a very long list is rendered in pieces: same items, same numbering, bounded tail", () => {
  const items = Array.from({ length: 300 }, (_, i) => `${i + 1}. item **${i}** ${"word ".repeat(8)}`);
  const doc = "Intro\n\n" + items.join("\n") + "\n";
  const { el, live, calls } = makeLive({ softLimit: 1000, pieceChars: 1000 });
  let maxRendered = 0;
  for (let i = 0; i < doc.length; i += 300) {
    calls.length = 0;
    live.set(doc.slice(0, i + 300), false);
    while (live.step());
    for (const c of calls) maxRendered = Math.max(maxRendered, c.length);
  }
  live.set(doc, true);
  while (live.step());
  assert.ok(maxRendered < 1000 + 1000 + 400, `largest render ${maxRendered} chars`);
  const lists = el.querySelectorAll("ol");
  assert.ok(lists.length > 3, `${lists.length} lists`);
  const lis = el.querySelectorAll("li");
  assert.equal(lis.length, 300);
  // numbering continues: each list starts where the previous one ended
  let expected = 1;
  for (const ol of lists) {
    assert.equal(Number(ol.getAttribute("start") ?? 1), expected);
    expected += ol.children.length;
  }
  assert.equal(el.querySelectorAll("ol > li > strong")[299].textContent, "299");
});

test("a very long table is rendered in pieces: one header, all rows, in order", () => {
  const rows = Array.from({ length: 300 }, (_, i) => `| ${i} | name ${i} | ${i * 7} |`);
  const doc = "| id | name | value |\n|---:|------|------:|\n" + rows.join("\n") + "\n\nAfter.";
  const { el, live, calls } = makeLive({ softLimit: 1000, pieceChars: 1000 });
  let maxRendered = 0;
  for (let i = 0; i < doc.length; i += 300) {
    calls.length = 0;
    live.set(doc.slice(0, i + 300), false);
    while (live.step());
    for (const c of calls) maxRendered = Math.max(maxRendered, c.length);
  }
  live.set(doc, true);
  while (live.step());
  assert.ok(maxRendered < 1000 + 1000 + 400, `largest render ${maxRendered} chars`);
  const tables = el.querySelectorAll("table");
  assert.ok(tables.length > 3);
  assert.equal(el.querySelectorAll("thead").length, 1);
  assert.ok(tables[0].querySelector("thead"));
  const cells = Array.from(el.querySelectorAll("tbody tr"), (tr) => tr.firstElementChild.textContent);
  assert.deepEqual(cells, rows.map((_, i) => String(i)));
  for (const td of el.querySelectorAll("tbody tr > td:first-child")) assert.equal(td.getAttribute("align"), "right");
  assert.equal(el.lastElementChild.textContent, "After.");
});

test("long blocks under the soft limit are rendered exactly as a whole", () => {
  const list = Array.from({ length: 30 }, (_, i) => `- item ${i}`).join("\n") + "\n";
  const { el, live } = makeLive();
  for (let i = 1; i <= list.length; i += 5) {
    live.set(list.slice(0, i), false);
    while (live.step());
  }
  live.set(list, true);
  while (live.step());
  assert.equal(el.querySelectorAll("ul").length, 1);
  assert.equal(normalise(el.innerHTML), normalise(renderMarkdown(list)));
});
