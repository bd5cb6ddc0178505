// A short plain-text preview of a (Markdown) reply, for a collapsed panel row.
// Pure and cheap: it only ever looks at a few hundred characters, so a row can
// update it on every frame without any Markdown work.

import { pendingToolNames } from "./parts.js";

/** Characters looked at (the preview is shown on one or two lines). */
export const PREVIEW_CHARS = 240;

/**
 * Markdown syntax removed from a preview, roughly: fences, heading and quote and
 * list markers, emphasis and code marks, link and image syntax.
 *
 * @param {string} s
 */
function stripMarkdown(s) {
  return s
    .replace(/^[ \t]*(?:`{3,}|~{3,}).*$/gm, " ")
    // A heading reads as a lead-in to its text ("Caching, step by step: Most of the time…").
    .replace(/^[ \t]{0,3}#{1,6}[ \t]+(.*?)[ \t#]*$/gm, (_m, title) => (/[.:!?]$/.test(title) ? title : `${title}:`))
    .replace(/^[ \t]*>[ \t]?/gm, "")
    .replace(/^[ \t]*(?:[-+*]|\d{1,9}[.)])[ \t]+(?:\[[ xX]\][ \t]+)?/gm, "")
    .replace(/!?\[([^\]\n]*)\]\([^)\n]*(?:\)|$)/g, "$1")
    .replace(/\*\*|__|~~|`+/g, "")
    .replace(/^[ \t]*\|?(?:[ \t]*:?-{3,}:?[ \t]*\|)+.*$/gm, " ")
    .replace(/\s+/g, " ")
    .trim();
}

/**
 * The preview of a row's text: the latest text while it streams (the end), the
 * beginning once it is final. An ellipsis marks the cut.
 *
 * @param {string} text
 * @param {boolean} live   the text is still growing
 * @param {number} [max]   characters looked at
 */
export function previewText(text, live, max = PREVIEW_CHARS) {
  if (!text) return "";
  if (text.length <= max) return stripMarkdown(text);
  if (live) {
    // Start at a word boundary so the first word is not a fragment.
    let cut = text.slice(-max);
    const space = cut.search(/\s/);
    if (space > 0 && space < 40) cut = cut.slice(space);
    const body = stripMarkdown(cut);
    return body ? `…${body}` : "";
  }
  const body = stripMarkdown(text.slice(0, max));
  return body ? `${body}…` : "";
}

/**
 * The preview of a row's transcript (see parts.js): "calling get_weather…" while the tool
 * calls at its end are in progress, else the preview of its text.
 *
 * @param {import("./parts.js").Part[]} parts
 * @param {string} text   the transcript's text
 * @param {boolean} live  the call is in progress
 * @param {number} [max]
 */
export function transcriptPreview(parts, text, live, max = PREVIEW_CHARS) {
  if (live) {
    const names = pendingToolNames(parts);
    if (names.length) return `calling ${names.join(", ")}…`;
    const last = parts[parts.length - 1];
    if (last && last.t === "thinking" && !last.done) return "thinking…";
  }
  return previewText(text, live, max);
}
