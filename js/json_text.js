// Structured output: the reply is JSON, shown as a code block while it forms (not as a Markdown
// paragraph). The fence is longer than any run of backticks in the text, so nothing in it closes it.

/**
 * @param {string} src  the reply's JSON text so far
 * @returns {string}    Markdown: the text in a ```json block
 */
export function fenceJson(src) {
  let longest = 0;
  for (const run of src.match(/`+/g) ?? []) longest = Math.max(longest, run.length);
  const fence = "`".repeat(Math.max(3, longest + 1));
  return `${fence}json\n${src}\n${fence}`;
}
