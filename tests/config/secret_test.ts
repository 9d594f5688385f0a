import assert from "node:assert/strict";
import { isSecretParam, redactUrl, safeUrl, safeUrlsIn } from "../../src/log/redact.ts";
import { show } from "../../src/config/validate.ts";

const IPOST =
  "/ipost/TW/capacity/operationally-available?f=csv&extension=csv&asset=TW&gasDay=01%2F17%2F2024&cycle=0&searchType=ALL&searchString=&locType=ALL&locZone=ALL";

Deno.test("safeUrl: strips userinfo, masks secret parameters, keeps everything else byte for byte", () => {
  assert.equal(
    safeUrl(`https://user:pw@twtransfer.example.com${IPOST}`),
    `https://twtransfer.example.com${IPOST}`,
  );
  assert.equal(safeUrl(`https://only-a-token@h.example${IPOST}`), `https://h.example${IPOST}`);
  assert.equal(
    safeUrl(
      `https://h.example${IPOST}&access_token=abc&apiKey=k&X-Amz-Signature=s&X-Amz-Credential=c&sig=z&password=p&keep=1`,
    ),
    `https://h.example${IPOST}&access_token=***&apiKey=***&X-Amz-Signature=***&X-Amz-Credential=***&sig=***&password=***&keep=1`,
  );
  // Nothing to hide: exactly as given, no normalisation.
  for (
    const u of [`https://h.example${IPOST}`, "file:///tmp/a b.csv", "http://H.example:80/x?a=%2f"]
  ) {
    assert.equal(safeUrl(u), u);
  }
  assert.equal(safeUrl("not a url ?token=abc"), "not a url ?token=***");
  assert.equal(safeUrl("https://u:p@[bad"), "https://[bad");
});

Deno.test("isSecretParam: credentials by name, the report's own parameters never", () => {
  for (
    const n of [
      "token",
      "access_token",
      "apiKey",
      "api_key",
      "key",
      "password",
      "passwd",
      "pwd",
      "secret",
      "client_secret",
      "signature",
      "X-Amz-Signature",
      "sig",
      "auth",
      "Authorization",
      "session_id",
      "code",
    ]
  ) {
    assert.ok(isSecretParam(n), n);
  }
  for (
    const n of [
      "f",
      "extension",
      "asset",
      "gasDay",
      "cycle",
      "searchType",
      "searchString",
      "locType",
      "locZone",
    ]
  ) {
    assert.ok(!isSecretParam(n), n);
  }
});

Deno.test("safeUrlsIn / redactUrl: URLs inside messages and log lines", () => {
  assert.equal(
    safeUrlsIn("error sending request for url (http://u:pw@host.invalid/x?token=abc): dns error"),
    "error sending request for url (http://host.invalid/x?token=***): dns error",
  );
  assert.equal(safeUrlsIn("no url here"), "no url here");
  // The logger's last line keeps a connection URL's user (for diagnosis), never its password.
  assert.equal(
    redactUrl('{"url":"http://h/x?a=1&token=abc","db":"postgres://tec:pw@db/tec"}'),
    '{"url":"http://h/x?a=1&token=***","db":"postgres://tec:***@db/tec"}',
  );
  // A configuration error quotes the value without its credential.
  assert.equal(show("https://u:pw@h.example/path"), '"https://h.example/path"');
});
