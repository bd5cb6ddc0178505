// The transcript of one call: an ordered list of parts, text and tool calls,
// built from the kernel's ops. Used by the stream state and by every panel row.
//
// Pure: every function returns a new Transcript and leaves its input untouched.
// A part that changed is a new object and an unchanged part keeps its identity,
// so views can tell what changed by comparing references.
//
// A text-only reply is the case of one text part: `appendText` is the old delta path.
// Invariant: text parts are never empty, and `text` is the text parts joined by a
// blank line (the kernel joins the text of separate model turns the same way).

/**
 * @typedef {object} TextPart
 * @property {"text"} t
 * @property {string} text
 */

/**
 * @typedef {object} ToolPart
 * @property {"tool"} t
 * @property {string} id
 * @property {string} name
 * @property {string} status         forming | ready | running | done | failed (or an unknown value)
 * @property {string} input          the arguments as streamed (JSON once complete)
 * @property {number | null} duration  seconds, once the tool ended
 * @property {string | null} result  the tool's output (plain text), or the error message when `is_error`
 * @property {boolean} is_error
 * @property {boolean} server        a server tool: it runs inside the API (web search, code execution, ...)
 * @property {Link[]} links          a server tool's results as links (search results, a fetched page)
 */

/**
 * @typedef {object} Link
 * @property {string} title
 * @property {string | null} url     http(s) only (anything else is dropped here and by the kernel)
 */

/**
 * @typedef {object} ThinkingPart
 * @property {"thinking"} t
 * @property {string} id
 * @property {string} text           empty when the API's display omits it (the model still thinks)
 * @property {boolean} redacted
 * @property {boolean} done
 */

/**
 * @typedef {object} NotePart   a small line: a pause the kernel continued, a block type it does not know
 * @property {"note"} t
 * @property {string} id
 * @property {string} kind           "paused" | "unsupported" (or an unknown value)
 * @property {string} text
 */

/**
 * @typedef {object} Source     a cited source, listed under the answer
 * @property {number} n
 * @property {string} title
 * @property {string | null} url
 * @property {string | null} location
 * @property {string} cited_text
 */

/** @typedef {TextPart | ToolPart | ThinkingPart | NotePart} Part */

/**
 * @typedef {object} Transcript
 * @property {Part[]} parts
 * @property {string} text   every text part, joined by "\n\n"
 * @property {Source[]} [sources]  the cited sources, in number order (absent: none)
 */

/** Tool statuses after which a tool does nothing more. */
const TOOL_FINAL = new Set(["done", "failed"]);

/**
 * Whether a tool is still in progress (forming, ready, running, or an unknown status).
 *
 * @param {string} status
 */
export function isToolActive(status) {
  return !TOOL_FINAL.has(status);
}

/** @returns {Transcript} */
export function emptyTranscript() {
  return { parts: [], text: "" };
}

/**
 * A transcript of one text part (none for "").
 *
 * @param {string} text
 * @returns {Transcript}
 */
export function fromText(text) {
  return text ? { parts: [{ t: "text", text }], text } : emptyTranscript();
}

/** @param {unknown} id @returns {string | null} */
function toolId(id) {
  if (typeof id === "string") return id;
  if (typeof id === "number" && Number.isFinite(id)) return String(id);
  return null;
}

/**
 * @param {string} id
 * @returns {ToolPart}
 */
function newTool(id) {
  return {
    t: "tool", id, name: "", status: "forming", input: "", duration: null, result: null, is_error: false,
    server: false, links: [],
  };
}

const SAFE_URL = /^https?:\/\/\S+$/i;

/** @param {unknown} url @returns {string | null} an http(s) URL, or null */
export function safeUrl(url) {
  return typeof url === "string" && url.length < 4096 && SAFE_URL.test(url.trim()) ? url.trim() : null;
}

/** @param {unknown} s */
function str(s) {
  return typeof s === "string" ? s : "";
}

/** @param {unknown} list @returns {Link[]} */
function links(list) {
  if (!Array.isArray(list)) return [];
  return list.filter((l) => l && typeof l === "object").map((l) => ({ title: str(l.title), url: safeUrl(l.url) }));
}

/** @param {ThinkingPart} part @param {any} op @returns {ThinkingPart} */
function updateThinking(part, op) {
  const next = { ...part };
  if (typeof op.text === "string") next.text = op.text;
  if (typeof op.append === "string") next.text += op.append;
  if (typeof op.redacted === "boolean") next.redacted = op.redacted;
  if (typeof op.done === "boolean") next.done = op.done;
  return next;
}

/** @param {unknown} op @returns {Source | null} */
function source(op) {
  if (!op || typeof op !== "object") return null;
  const o = /** @type {any} */ (op);
  if (typeof o.n !== "number" || !Number.isFinite(o.n)) return null;
  return {
    n: o.n, title: str(o.title), url: safeUrl(o.url), location: typeof o.location === "string" ? o.location : null,
    cited_text: str(o.cited_text),
  };
}

/**
 * @param {Part[]} parts
 * @param {string} t
 * @param {string} id
 */
function findPart(parts, t, id) {
  for (let k = parts.length - 1; k >= 0; k--) {
    const p = parts[k];
    if (p.t === t && /** @type {any} */ (p).id === id) return k;
  }
  return -1;
}

/**
 * A copy of `tool` with the fields `op` gives (unknown or malformed fields are ignored),
 * then `input_delta` appended to its input.
 *
 * @param {ToolPart} tool
 * @param {any} op
 * @returns {ToolPart}
 */
function updateTool(tool, op) {
  const next = { ...tool };
  if (typeof op.name === "string") next.name = op.name;
  if (typeof op.status === "string" && op.status) next.status = op.status;
  if (typeof op.input === "string") next.input = op.input;
  if (typeof op.duration === "number" && Number.isFinite(op.duration)) next.duration = Math.max(0, op.duration);
  else if (op.duration === null) next.duration = null;
  if (typeof op.result === "string" || op.result === null) next.result = op.result;
  if (typeof op.is_error === "boolean") next.is_error = op.is_error;
  if (typeof op.server === "boolean") next.server = op.server;
  if (Array.isArray(op.links)) next.links = links(op.links);
  if (typeof op.input_delta === "string") next.input += op.input_delta;
  return next;
}

/**
 * @param {Part[]} parts
 * @param {string} id
 */
function findTool(parts, id) {
  for (let k = parts.length - 1; k >= 0; k--) {
    const p = parts[k];
    if (p.t === "tool" && p.id === id) return k;
  }
  return -1;
}

/**
 * A transcript of these parts and text, with `tr`'s sources (only the transcript's own fields: `tr`
 * may be a panel row).
 *
 * @param {Transcript} tr
 * @param {Part[]} parts
 * @param {string} text
 * @returns {Transcript}
 */
function withParts(tr, parts, text) {
  return tr.sources ? { parts, text, sources: tr.sources } : { parts, text };
}

/**
 * Append text to the last part if it is text, else start a new text part after it.
 *
 * @param {Transcript} tr
 * @param {string} s
 * @returns {Transcript}
 */
export function appendText(tr, s) {
  if (typeof s !== "string" || s === "") return tr;
  const parts = tr.parts.slice();
  const last = parts[parts.length - 1];
  if (last && last.t === "text") {
    parts[parts.length - 1] = { t: "text", text: last.text + s };
    return withParts(tr, parts, tr.text + s);
  }
  parts.push({ t: "text", text: s });
  return withParts(tr, parts, tr.text ? `${tr.text}\n\n${s}` : s);
}

/**
 * Apply a frame's ops, in order:
 *   {t: "text", text}  append text (see `appendText`);
 *   {t: "tool", id, name?, status?, input?, input_delta?, duration?, result?, is_error?, server?, links?}
 *                      create the tool part `id` at the end if it does not exist yet, set the
 *                      fields given, and append `input_delta` to its input;
 *   {t: "thinking", id, text?, append?, redacted?, done?}   the same for a thinking part;
 *   {t: "note", id, kind, text}                              add a note (once per id);
 *   {t: "source", n, title, url, location, cited_text}       add a cited source.
 * Malformed ops (and tool ops without an id) are skipped.
 *
 * @param {Transcript} tr
 * @param {unknown} ops
 * @returns {Transcript}
 */
export function applyOps(tr, ops) {
  if (!Array.isArray(ops)) return tr;
  let out = tr;
  /** @type {Part[] | null} a private copy of the parts, made on the first tool op */
  let own = null;
  for (const op of ops) {
    if (!op || typeof op !== "object") continue;
    if (op.t === "text") {
      out = appendText(out, op.text);
      own = null;
    } else if (op.t === "tool") {
      const id = toolId(op.id);
      if (id === null) continue;
      if (!own) {
        own = out.parts.slice();
        out = withParts(out, own, out.text);
      }
      const k = findTool(own, id);
      if (k === -1) own.push(updateTool(newTool(id), op));
      else own[k] = updateTool(/** @type {ToolPart} */ (own[k]), op);
    } else if (op.t === "thinking" || op.t === "note") {
      const id = toolId(op.id);
      if (id === null) continue;
      if (!own) {
        own = out.parts.slice();
        out = withParts(out, own, out.text);
      }
      const k = findPart(own, op.t, id);
      if (op.t === "note") {
        if (k === -1) own.push({ t: "note", id, kind: str(op.kind), text: str(op.text) });
      } else if (k === -1) {
        own.push(updateThinking({ t: "thinking", id, text: "", redacted: false, done: false }, op));
      } else {
        own[k] = updateThinking(/** @type {ThinkingPart} */ (own[k]), op);
      }
    } else if (op.t === "source") {
      const s = source(op);
      if (s && !(out.sources ?? []).some((x) => x.n === s.n)) out = { parts: out.parts, text: out.text, sources: [...(out.sources ?? []), s] };
    }
  }
  return out;
}

/**
 * A transcript from a full list of parts (a snapshot, the `parts` trait, a panel row's
 * final entry). Untrusted input: entries that are not text or tool parts are dropped,
 * and so are empty text parts.
 *
 * @param {unknown} list
 * @returns {Transcript}
 */
export function fromParts(list) {
  /** @type {Part[]} */
  const parts = [];
  const texts = [];
  /** @type {Source[]} */
  let sources = [];
  for (const p of Array.isArray(list) ? list : []) {
    if (!p || typeof p !== "object") continue;
    if (p.t === "thinking" || p.t === "note") {
      const id = toolId(p.id);
      if (id === null) continue;
      if (p.t === "note") parts.push({ t: "note", id, kind: str(p.kind), text: str(p.text) });
      else parts.push(updateThinking({ t: "thinking", id, text: "", redacted: false, done: false }, { ...p, append: undefined }));
      continue;
    }
    if (p.t === "sources") {
      sources = /** @type {Source[]} */ ((Array.isArray(p.items) ? p.items : []).map(source).filter((/** @type {Source | null} */ s) => s !== null));
      continue;
    }
    if (p.t === "text") {
      if (typeof p.text !== "string" || p.text === "") continue;
      parts.push({ t: "text", text: p.text });
      texts.push(p.text);
    } else if (p.t === "tool") {
      const id = toolId(p.id);
      if (id === null) continue;
      const { input_delta: _ignored, ...fields } = p;
      parts.push(updateTool(newTool(id), fields));
    }
  }
  return sources.length ? { parts, text: texts.join("\n\n"), sources } : { parts, text: texts.join("\n\n") };
}

/**
 * Whether two lists of sources hold the same values.
 *
 * @param {Source[] | undefined} a
 * @param {Source[] | undefined} b
 */
export function sourcesEqual(a, b) {
  const x = a ?? [];
  const y = b ?? [];
  return x.length === y.length && x.every((s, k) => JSON.stringify(s) === JSON.stringify(y[k]));
}

/**
 * Whether two lists of parts hold the same values.
 *
 * @param {Part[]} a
 * @param {Part[]} b
 */
export function partsEqual(a, b) {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) {
    const p = a[k];
    const q = b[k];
    if (p === q) continue;
    if (p.t !== q.t) return false;
    if (p.t === "text") {
      if (p.text !== /** @type {TextPart} */ (q).text) return false;
      continue;
    }
    if (p.t !== "tool") {
      if (JSON.stringify(p) !== JSON.stringify(q)) return false;
      continue;
    }
    const r = /** @type {ToolPart} */ (q);
    if (
      p.id !== r.id || p.name !== r.name || p.status !== r.status || p.input !== r.input ||
      p.duration !== r.duration || p.result !== r.result || p.is_error !== r.is_error ||
      p.server !== r.server || JSON.stringify(p.links) !== JSON.stringify(r.links)
    ) {
      return false;
    }
  }
  return true;
}

/**
 * @typedef {object} TextSegment
 * @property {"text"} kind
 * @property {string} text
 * @property {boolean} last   the last segment (a text that is not last is final)
 */

/**
 * @typedef {object} ToolsSegment
 * @property {"tools"} kind
 * @property {ToolPart[]} tools  consecutive tool calls, shown side by side
 * @property {boolean} last
 */

/**
 * @typedef {object} PartSegment   a thinking part or a note, on its own
 * @property {"thinking" | "note"} kind
 * @property {ThinkingPart | NotePart} part
 * @property {boolean} last
 */

/** @typedef {TextSegment | ToolsSegment | PartSegment} Segment */

/**
 * How a view lays out the parts: each text part is a segment, consecutive tool parts
 * form one segment, a thinking part or a note is one. The first segment is always text
 * (empty when the reply starts with something else), so a view's first text element
 * exists from the start.
 *
 * @param {Part[]} parts
 * @returns {Segment[]}
 */
export function segmentParts(parts) {
  /** @type {Segment[]} */
  const segs = [];
  if (parts.length === 0 || parts[0].t !== "text") segs.push({ kind: "text", text: "", last: false });
  for (const p of parts) {
    const prev = segs[segs.length - 1];
    if (p.t === "text") segs.push({ kind: "text", text: p.text, last: false });
    else if (p.t === "thinking" || p.t === "note") segs.push({ kind: p.t, part: p, last: false });
    else if (prev.kind === "tools") prev.tools.push(p);
    else segs.push({ kind: "tools", tools: [p], last: false });
  }
  segs[segs.length - 1].last = true;
  return segs;
}

/**
 * Names of the tool calls still in progress at the end of the transcript (the last
 * group of consecutive tool parts), in order, without repeats.
 *
 * @param {Part[]} parts
 * @returns {string[]}
 */
export function pendingToolNames(parts) {
  /** @type {string[]} */
  const names = [];
  for (let k = parts.length - 1; k >= 0; k--) {
    const p = parts[k];
    if (p.t !== "tool") break;
    const name = p.name || "tool";
    if (isToolActive(p.status) && !names.includes(name)) names.unshift(name);
  }
  return names;
}
