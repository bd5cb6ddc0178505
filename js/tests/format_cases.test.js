// The table of cases that nbstream/_format.py is tested against too: both read figures alike.
import test from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  formatCache, formatCost, formatInt, formatRate, formatSeconds, formatTokens, formatTurns, statusLabel,
} from "../format.js";

const CASES = JSON.parse(readFileSync(new URL("../../tests/fixtures/format_cases.json", import.meta.url), "utf8"));

/** How each table of cases calls its function. */
const CALLS = {
  seconds: (c) => formatSeconds(c.value),
  rate: (c) => formatRate(c.value),
  cost: (c) => formatCost(c.value, c.exact),
  tokens: (c) => formatTokens(c.value, c.exact),
  integer: (c) => formatInt(c.value),
  cache: (c) => formatCache(c.read, c.written, c.saved, c.exact),
  turns: (c) => formatTurns(c.value),
  status: (c) => statusLabel(c.value),
};

test("every table of the shared cases is checked here", () => {
  assert.deepEqual(Object.keys(CASES).filter((k) => k !== "about").sort(), Object.keys(CALLS).sort());
});

for (const [name, call] of Object.entries(CALLS)) {
  test(`shared format cases: ${name}`, () => {
    assert.ok(CASES[name].length > 0);
    for (const c of CASES[name]) assert.equal(call(c), c.text, JSON.stringify(c));
  });
}
