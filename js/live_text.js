// Incremental rendering of a growing Markdown text into one element.
//
// The text is cut at block boundaries (see blocks.js) into *pieces*. A piece is
// rendered once and its nodes are appended; only the unfinished tail after the
// last piece is re-rendered. All nodes are direct children of the root element,
// pieces first, then the tail. When the text changes other than by growing (a
// snapshot, a retry, a final text that differs), the pieces that lie inside the
// common prefix are kept and the rest is rebuilt. All work is done in `step()`,
// which stops once its time budget is spent and reports that more work remains,
// so a long text is (re)built across several animation frames instead of in one
// long task.

import { scan, linkDefinitions } from "./blocks.js";

/**
 * @typedef {object} Piece
 * @property {number} start
 * @property {number} end
 * @property {Node[]} nodes
 * @property {string} head      table header rows to render in front (a soft split inside a table), or ""
 * @property {string} endHead   the same for the piece that starts at `end`
 * @property {number} validTo   the piece stays valid while the text before this offset is unchanged
 * @property {boolean} hard     it ends at a blank-line split point
 * @property {string} defs      link definitions found in this piece
 * @property {string} usedDefs  definitions that were appended when it was rendered
 */

/**
 * @typedef {object} LiveTextOptions
 * @property {(src: string) => DocumentFragment} render  Markdown → sanitised fragment
 * @property {() => number} [now]        clock in ms
 * @property {number} [budgetMs]         work per step before yielding
 * @property {number} [pieceChars]       blocks are grouped into pieces up to this size
 * @property {number} [softLimit]        blocks longer than this may be cut inside (lists, tables)
 */

/**
 * @param {string} a
 * @param {string} b
 */
function commonPrefixLength(a, b) {
  const n = Math.min(a.length, b.length);
  let i = 0;
  const CHUNK = 256;
  while (i + CHUNK <= n && a.slice(i, i + CHUNK) === b.slice(i, i + CHUNK)) i += CHUNK;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}

/**
 * Whether a block can start at `i` (the character a blank-line split looked at).
 *
 * @param {string} text
 * @param {number} i
 */
function startsBlock(text, i) {
  const c = text.charCodeAt(i);
  return i < text.length && c !== 32 && c !== 9 && c !== 10 && c !== 13;
}

/**
 * @param {string} text
 * @param {number} i  start of a line
 */
function endOfLine(text, i) {
  const nl = text.indexOf("\n", i);
  return nl === -1 ? text.length : nl;
}

/**
 * @param {HTMLElement} root  element to render into (its children are owned by this object)
 * @param {LiveTextOptions} options
 */
export function createLiveText(root, options) {
  const render = options.render;
  const now = options.now ?? (() => globalThis.performance.now());
  const budgetMs = options.budgetMs ?? 8;
  const pieceChars = options.pieceChars ?? 4000;
  const softLimit = options.softLimit ?? 8000;

  root.replaceChildren();

  /** @type {Piece[]} */
  const pieces = [];
  /** @type {Node[]} */
  let tailNodes = [];
  let target = "";
  let final = false;
  /** The text the current pieces were cut from. */
  let seen = "";
  /** Source of the rendered tail, or null when there is none. */
  /** @type {string | null} */
  let tailSrc = null;
  let defs = "";
  let lastTailCost = 0;
  let lastTailAt = -Infinity;

  function stableEnd() {
    return pieces.length ? pieces[pieces.length - 1].end : 0;
  }

  function headAtEnd() {
    return pieces.length ? pieces[pieces.length - 1].endHead : "";
  }

  function recomputeDefs() {
    defs = pieces.map((p) => p.defs).filter(Boolean).join("\n");
  }

  /**
   * @param {string} src   the text of a piece or of the tail
   * @param {string} head  table header rows continued from the previous piece, or ""
   * @returns {DocumentFragment}
   */
  function renderSource(src, head) {
    let full = head + src;
    // Definitions would be swallowed by an unterminated fence, so they are only
    // appended to sources that end outside one.
    if (defs && src.includes("[") && !scan(full).inFence) full = `${full}\n\n${defs}\n`;
    const frag = render(full);
    if (head) {
      // The header was only there so that the rows parse as a table.
      const thead = frag.querySelector("table > thead");
      thead?.remove();
    }
    return frag;
  }

  /** @param {Node[]} nodes */
  function removeNodes(nodes) {
    for (const n of nodes) n.parentNode?.removeChild(n);
  }

  function clearTail() {
    if (tailSrc !== null) {
      removeNodes(tailNodes);
      tailNodes = [];
      tailSrc = null;
    }
  }

  /**
   * @param {number} start
   * @param {number} end
   * @param {Map<number, string>} heads
   * @param {Set<number>} soft
   */
  function appendPiece(start, end, heads, soft) {
    const src = target.slice(start, end);
    const pieceDefs = linkDefinitions(src);
    const hard = end < target.length && !soft.has(end);
    /** @type {Piece} */
    const piece = {
      start,
      end,
      nodes: [],
      head: headAtEnd(),
      endHead: heads.get(end) ?? "",
      validTo: soft.has(end) ? endOfLine(target, end) + 1 : end + 1,
      hard,
      defs: pieceDefs,
      usedDefs: "",
    };
    pieces.push(piece);
    if (pieceDefs) recomputeDefs();
    piece.usedDefs = defs;
    const frag = renderSource(src, piece.head);
    piece.nodes = Array.from(frag.childNodes);
    root.insertBefore(frag, tailNodes[0] ?? null);
  }

  /** @param {Piece} piece */
  function rerenderPiece(piece) {
    piece.usedDefs = defs;
    const frag = renderSource(target.slice(piece.start, piece.end), piece.head);
    const nodes = Array.from(frag.childNodes);
    const index = pieces.indexOf(piece);
    let anchor = null;
    for (let k = index + 1; k < pieces.length && !anchor; k++) anchor = pieces[k].nodes[0] ?? null;
    root.insertBefore(frag, anchor ?? tailNodes[0] ?? null);
    removeNodes(piece.nodes);
    piece.nodes = nodes;
  }

  function dropPiece() {
    const piece = /** @type {Piece} */ (pieces.pop());
    removeNodes(piece.nodes);
    if (piece.defs) recomputeDefs();
  }

  /** Reconcile the pieces with a changed target text. */
  function reconcile() {
    if (target === seen) return;
    const keep = target.startsWith(seen) ? seen.length : commonPrefixLength(seen, target);
    while (pieces.length) {
      const last = pieces[pieces.length - 1];
      if (last.validTo <= keep) break;
      // A piece that ended at a blank-line split is still valid when only the text
      // after it changed and a new block still starts right there.
      if (last.hard && last.end === keep && startsBlock(target, keep)) break;
      dropPiece();
    }
    seen = target;
  }

  return {
    /**
     * Set the text to show. `isFinal` means it will not grow: the tail is then
     * rendered as a last piece.
     *
     * @param {string} text
     * @param {boolean} isFinal
     */
    set(text, isFinal) {
      target = text;
      final = isFinal;
    },

    /**
     * Do the rendering work for the current text, within the time budget.
     *
     * @returns {boolean} true if more work remains (call again on a later frame)
     */
    step() {
      const t0 = now();
      reconcile();

      // 1. New complete blocks become pieces (up to `pieceChars` each where the blocks allow).
      let from = stableEnd();
      const { splits: bounds, heads, soft } = scan(target, from, { softLimit, tableHead: headAtEnd() });
      if (final && target.length > from && bounds[bounds.length - 1] !== target.length) bounds.push(target.length);
      let i = 0;
      while (i < bounds.length) {
        let j = i;
        // Group small blocks, but never across a table's soft split (its header must come first).
        while (j + 1 < bounds.length && bounds[j + 1] - from <= pieceChars && !heads.has(bounds[j])) j++;
        clearTail();
        appendPiece(from, bounds[j], heads, soft);
        from = bounds[j];
        i = j + 1;
        if (i < bounds.length && now() - t0 > budgetMs) return true;
      }

      // 2. Pieces rendered before a link definition they use was known.
      for (const piece of pieces) {
        if (piece.usedDefs === defs) continue;
        if (piece.usedDefs || target.slice(piece.start, piece.end).includes("[")) {
          if (now() - t0 > budgetMs) return true;
          rerenderPiece(piece);
        } else {
          piece.usedDefs = defs;
        }
      }

      // 3. The unfinished tail.
      const tail = target.slice(stableEnd());
      if (!tail) {
        clearTail();
        return false;
      }
      if (tail === tailSrc) return false;
      // A tail that is slow to render (a long code block) is re-rendered less often:
      // at most about a quarter of the time is spent on it.
      const t1 = now();
      if (lastTailCost > budgetMs && t1 - lastTailAt < lastTailCost * 3) return true;
      const frag = renderSource(tail, headAtEnd());
      clearTail();
      tailNodes = Array.from(frag.childNodes);
      root.appendChild(frag);
      tailSrc = tail;
      lastTailAt = now();
      lastTailCost = lastTailAt - t1;
      return false;
    },

    /** Source length rendered as complete pieces (for tests). */
    get stableLength() {
      return stableEnd();
    },

    /** Number of pieces (for tests). */
    get pieceCount() {
      return pieces.length;
    },

    /** Nodes of the current tail (for tests). */
    get tailNodes() {
      return tailNodes.slice();
    },

    /** Forget everything rendered. */
    clear() {
      while (pieces.length) dropPiece();
      clearTail();
      seen = "";
      defs = "";
    },
  };
}
