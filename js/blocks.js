// Splitting a growing Markdown text into complete blocks and an unfinished tail.
//
// Pure and DOM-free. While a reply streams in, everything before the last
// *split point* is made of complete blocks that later text cannot change, so
// it is rendered once; only the text after it (the tail) is re-rendered.
//
// A split point is the start of a line that
//   - follows one or more blank lines,
//   - is not inside a fenced code block (``` or ~~~, three or more, any indent;
//     a fence closes on a line of the same character, at least as long), and
//   - starts with a non-blank character. A line that starts with a space or tab
//     after a blank line may continue the previous block (a list item's second
//     paragraph, an indented code block), so it never starts a new one.
//
// Known approximation: a "loose" list (items separated by blank lines) is
// rendered as several consecutive lists. Ordered lists keep their numbering
// because each piece starts with its own number.
//
// Soft split points (opt-in, `softLimit`): a single block can be very long with
// no blank line in it (a list or a table of hundreds of rows). Once the text
// since the last split exceeds `softLimit`, such a block may also be split
//   - in a list, before a line that starts a new top-level item, and
//   - in a table, before a row; the piece after it must then be rendered with the
//     table's header and delimiter rows in front (returned in `heads`), and its
//     rendered header dropped.

/**
 * @typedef {object} Fence
 * @property {string} char  "`" or "~"
 * @property {number} len   length of the opening run
 */

/**
 * @typedef {object} Scan
 * @property {number[]} splits  split offsets, ascending, each > `from`
 * @property {boolean} inFence  whether the text ends inside an open fence
 * @property {Map<number, string>} heads  for soft splits inside a table: the header
 *   and delimiter rows (with newlines) to render in front of the text after it
 * @property {Set<number>} soft  which of the splits are soft
 */

/**
 * @typedef {object} ScanOptions
 * @property {number} [softLimit]  allow soft splits in blocks longer than this (default: never)
 * @property {string} [tableHead]  `from` is a soft split inside a table with this header
 */

const FENCE_OPEN = /^[ \t]*(`{3,}|~{3,})(.*)$/;
const FENCE_CLOSE = /^[ \t]*(`{3,}|~{3,})[ \t]*$/;
const LIST_ITEM = /^(?:[-+*]|\d{1,9}[.)])(?:[ \t]|$)/;
const TABLE_DELIMITER = /^[ \t]*\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$/;

/**
 * @param {string} line
 * @returns {Fence | null}
 */
function fenceOpen(line) {
  const m = FENCE_OPEN.exec(line);
  if (!m) return null;
  const run = m[1];
  const char = run[0];
  // A backtick fence's info string cannot contain backticks (it would be inline code).
  if (char === "`" && m[2].includes("`")) return null;
  return { char, len: run.length };
}

/**
 * @param {string} line
 * @param {Fence} fence
 */
function closesFence(line, fence) {
  const m = FENCE_CLOSE.exec(line);
  return !!m && m[1][0] === fence.char && m[1].length >= fence.len;
}

/** @param {string} line */
function isBlank(line) {
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 13) return false;
  }
  return true;
}

/**
 * @param {string} text
 * @param {number} pos  start of a line
 * @returns {string}    the next line (without its newline), or "" at the end
 */
function lineAfter(text, pos) {
  const nl = text.indexOf("\n", pos);
  if (nl === -1) return "";
  const end = text.indexOf("\n", nl + 1);
  return text.slice(nl + 1, end === -1 ? text.length : end);
}

/**
 * Scan `text` from offset `from`, which must be the start of a line outside any
 * fence (0, or a split point returned earlier for the same prefix).
 *
 * @param {string} text
 * @param {number} [from]
 * @param {ScanOptions} [options]
 * @returns {Scan}
 */
export function scan(text, from = 0, options = {}) {
  const softLimit = options.softLimit ?? Infinity;
  /** @type {number[]} */
  const splits = [];
  /** @type {Map<number, string>} */
  const heads = new Map();
  /** @type {Set<number>} */
  const soft = new Set();
  /** @type {Fence | null} */
  let fence = null;
  let afterBlank = false;
  let pos = from;
  let lastSplit = from;
  // The kind of the current block, for soft splits: "list", "table" or "".
  let kind = options.tableHead ? "table" : "";
  let head = options.tableHead ?? "";
  let blockStart = !options.tableHead;
  let bodyFrom = from; // in a table: where the body rows start
  const n = text.length;
  while (pos < n) {
    let end = text.indexOf("\n", pos);
    if (end === -1) end = n;
    const line = text.slice(pos, end);
    if (fence) {
      if (closesFence(line, fence)) fence = null;
    } else if (isBlank(line)) {
      afterBlank = true;
    } else {
      if (afterBlank && pos > from) {
        const c = line.charCodeAt(0);
        if (c !== 32 && c !== 9) {
          splits.push(pos);
          lastSplit = pos;
          blockStart = true;
        }
      }
      if (blockStart) {
        blockStart = false;
        kind = "";
        if (LIST_ITEM.test(line)) kind = "list";
        else if (line.includes("|")) {
          const next = lineAfter(text, pos);
          if (next.includes("|") && TABLE_DELIMITER.test(next)) {
            kind = "table";
            head = `${line}\n${next}\n`;
            bodyFrom = pos + line.length + 1 + next.length + 1;
          }
        }
      } else if (kind && pos - lastSplit >= softLimit && !afterBlank) {
        if (kind === "list" && LIST_ITEM.test(line)) {
          splits.push(pos);
          soft.add(pos);
          lastSplit = pos;
        } else if (kind === "table" && pos >= bodyFrom) {
          if (line.includes("|") && end < n) {
            splits.push(pos);
            soft.add(pos);
            heads.set(pos, head);
            lastSplit = pos;
          }
        }
      }
      if (kind === "table" && pos >= bodyFrom && !line.includes("|")) kind = "";
      afterBlank = false;
      fence = fenceOpen(line);
    }
    pos = end + 1;
  }
  return { splits, inFence: fence !== null, heads, soft };
}

/**
 * The offset of the last split point at or after `from` (or `from` if none).
 *
 * @param {string} text
 * @param {number} [from]
 */
export function lastSplit(text, from = 0) {
  const { splits } = scan(text, from);
  return splits.length ? splits[splits.length - 1] : from;
}

/**
 * Split a text into its stable prefix of complete blocks and the unfinished tail.
 *
 * @param {string} text
 * @returns {{stable: string, tail: string}}
 */
export function splitStable(text) {
  const at = lastSplit(text, 0);
  return { stable: text.slice(0, at), tail: text.slice(at) };
}

/**
 * Whether `text` ends inside an unterminated fenced code block.
 *
 * @param {string} text
 */
export function endsInFence(text) {
  return scan(text, 0).inFence;
}

const LINK_DEF =
  /^ {0,3}\[(?!\^)[^\]\n]{1,999}\]:[ \t]*(?:<[^>\n]*>|\S+)(?:[ \t]+(?:"[^"\n]*"|'[^'\n]*'|\([^)\n]*\)))?[ \t]*$/;

/**
 * The single-line link reference definitions (`[label]: url "title"`) of a text,
 * outside fenced code, joined by newlines. Blocks are rendered separately, so a
 * reference-style link in one block needs the definitions found in others.
 *
 * @param {string} text
 * @returns {string}
 */
export function linkDefinitions(text) {
  if (!text.includes("]:")) return "";
  /** @type {string[]} */
  const defs = [];
  /** @type {Fence | null} */
  let fence = null;
  for (const line of text.split("\n")) {
    if (fence) {
      if (closesFence(line, fence)) fence = null;
      continue;
    }
    fence = fenceOpen(line);
    if (!fence && LINK_DEF.test(line)) defs.push(line.trim());
  }
  return defs.join("\n");
}
