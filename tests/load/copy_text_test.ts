import assert from "node:assert/strict";
import { copyRow, copyValue, needsEscape } from "../../src/load/copy_text.ts";

Deno.test("copyValue: null is \\N", () => {
  assert.equal(copyValue(null), "\\N");
});

Deno.test("copyValue: plain text and numbers are unchanged", () => {
  assert.equal(copyValue("WEST TEXAS"), "WEST TEXAS");
  assert.equal(copyValue(""), "");
  assert.equal(copyValue(" LEAD  NAME"), " LEAD  NAME");
  assert.equal(copyValue('say "hi", ok'), 'say "hi", ok');
  assert.equal(copyValue("Zürich ✓"), "Zürich ✓");
  assert.equal(copyValue(850000), "850000");
  assert.equal(copyValue(0), "0");
});

Deno.test("copyValue: backslash, tab, LF and CR are escaped", () => {
  assert.equal(copyValue("a\\b"), "a\\\\b");
  assert.equal(copyValue("a\tb"), "a\\tb");
  assert.equal(copyValue("a\nb"), "a\\nb");
  assert.equal(copyValue("a\rb"), "a\\rb");
  assert.equal(copyValue("line1\r\nline2"), "line1\\r\\nline2");
  assert.equal(copyValue("\\\t\n\r"), "\\\\\\t\\n\\r");
});

Deno.test("copyValue: the text \\N is not confused with null", () => {
  assert.equal(copyValue("\\N"), "\\\\N");
  assert.notEqual(copyValue("\\N"), copyValue(null));
});

Deno.test("copyRow: tab-separated, newline-terminated, nulls as \\N", () => {
  assert.equal(copyRow(["500001", null, "A\tB", 7, ""]), "500001\t\\N\tA\\tB\t7\t\n");
  assert.equal(copyRow([]), "\n");
  assert.equal(copyRow([null]), "\\N\n");
  assert.equal(copyRow(["x\ny", "c:\\dir"]), "x\\ny\tc:\\\\dir\n");
});

Deno.test("copyValue: a NUL character is refused, never sent to fail the COPY unexplained", () => {
  assert.throws(() => copyValue("a\0b"), RangeError);
  assert.throws(() => copyRow(["ok", "a\0b"], false), RangeError);
  assert.equal(needsEscape("a\0b"), true, "so a row holding one is never sent as plain");
});
