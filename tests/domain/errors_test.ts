import assert from "node:assert/strict";
import { isTerminal, TerminalError, TransientError } from "../../src/domain/errors.ts";

class Bad extends TerminalError {}
class Flaky extends TransientError {}

Deno.test("errors: the first marked error along the cause chain decides", () => {
  assert.equal(isTerminal(new Bad("header")), true);
  assert.equal(isTerminal(new Flaky("disk")), false);
  const wrapped = new Error("load failed", { cause: new Error("tx", { cause: new Bad("h") }) });
  assert.equal(isTerminal(wrapped), true);
  // A transient wrapper of a terminal cause is transient: the wrapper knows better.
  assert.equal(isTerminal(new Flaky("retry", { cause: new Bad("h") })), false);
});

Deno.test("errors: unmarked errors and non-errors count as transient", () => {
  assert.equal(isTerminal(new Error("what")), false);
  assert.equal(isTerminal("a string"), false);
  assert.equal(isTerminal(undefined), false);
  const a = new Error("a");
  const b = new Error("b", { cause: a });
  (a as { cause?: unknown }).cause = b; // a cycle must not hang
  assert.equal(isTerminal(a), false);
});
