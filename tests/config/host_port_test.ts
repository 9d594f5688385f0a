import assert from "node:assert/strict";
import { hostPortProblem, parseHostPort } from "../../src/config/host_port.ts";
import { parseHostPort as fromServer } from "../../src/health/server.ts";

Deno.test("host_port: the health server re-exports the same parser", () => {
  assert.equal(fromServer, parseHostPort);
});

Deno.test("hostPortProblem: undefined exactly when parseHostPort accepts", () => {
  for (const ok of ["127.0.0.1:0", "0.0.0.0:8080", "[::1]:8080", "localhost:65535", " a.b:1 "]) {
    assert.equal(hostPortProblem(ok), undefined, ok);
    assert.doesNotThrow(() => parseHostPort(ok, "k"), ok);
  }
  const cases: [string, string][] = [
    ["0.0.0.0:65536", "port 65536 out of range 0-65535"],
    ["8080", "missing ':port'"],
    ["::1:8080", "IPv6 addresses must be in brackets"],
    ["bad_host!:80", 'invalid host "bad_host!"'],
  ];
  for (const [bad, why] of cases) {
    assert.equal(
      hostPortProblem(bad),
      "expected host:port such as 0.0.0.0:8080, 127.0.0.1:0 or [::1]:8080, " +
        `got ${JSON.stringify(bad)} (${why})`,
    );
    assert.throws(() => parseHostPort(bad, "k"), new RegExp(why.replace(/[!"]/g, ".")));
  }
});
