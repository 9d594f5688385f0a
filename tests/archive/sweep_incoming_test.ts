/**
 * Partial downloads left by a killed process are swept; downloads in flight
 * (a replica's, on a shared data directory) and archived bodies are not.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DEFAULT_INCOMING_AGE_MS, RawArchive } from "../../src/archive/raw_archive.ts";
import { memoryLogger } from "../support/env.ts";
import { waitUntil, withTimeout } from "../support/wait.ts";

const RAW_ARCHIVE = new URL("../../src/archive/raw_archive.ts", import.meta.url).href;

async function writeAged(path: string, bytes: number, ageMs: number): Promise<void> {
  await Deno.writeFile(path, new Uint8Array(bytes));
  const t = new Date(Date.now() - ageMs);
  await Deno.utime(path, t, t);
}

Deno.test("sweepIncoming: removes only old partial downloads, counts and logs them", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const archive = new RawArchive(dir);
    const { log, lines } = memoryLogger();
    assert.deepEqual(await archive.sweepIncoming({ log }), { files: 0, bytes: 0 }, "no raw/ yet");
    const stored = await archive.store(new Blob(["a,b\n1,2\n"]).stream(), {
      maxBytes: 1000,
      prefixBytes: 16,
    });
    const hour = 3_600_000;
    const raw = archive.root;
    await writeAged(join(raw, `.incoming-${crypto.randomUUID()}`), 1000, hour);
    await writeAged(
      join(raw, `.incoming-${crypto.randomUUID()}`),
      234,
      DEFAULT_INCOMING_AGE_MS + 1000,
    );
    const inFlight = join(raw, `.incoming-${crypto.randomUUID()}`);
    await writeAged(inFlight, 77, 60_000);
    await Deno.mkdir(join(raw, ".incoming-not-a-file"));
    const old = new Date(Date.now() - 30 * 24 * hour);
    await Deno.utime(stored.path, old, old);

    assert.deepEqual(await archive.sweepIncoming({ log }), { files: 2, bytes: 1234 });
    await Deno.stat(inFlight);
    await Deno.stat(stored.path);
    await Deno.stat(join(raw, ".incoming-not-a-file"));
    const names = (await Array.fromAsync(Deno.readDir(raw))).map((e) => e.name).sort();
    assert.equal(names.filter((n) => n.startsWith(".incoming-")).length, 2);
    const line = lines.map((l) => JSON.parse(l)).find((l) =>
      l.event === "archive.incoming_swept" && l.files === 2
    );
    assert.ok(line, lines.join("\n"));
    assert.equal(line.level, "info");
    assert.equal(line.bytes, 1234);
    assert.equal(line.older_than_s, DEFAULT_INCOMING_AGE_MS / 1000);

    // A shorter age, as a caller may choose: the minute-old file goes too.
    assert.deepEqual(await archive.sweepIncoming({ olderThanMs: 30_000 }), { files: 1, bytes: 77 });
    await assert.rejects(Deno.stat(inFlight), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sweepIncoming: the partial file of a process killed mid-download is swept at the next start", async () => {
  const dir = await Deno.makeTempDir();
  // A process that streams a body into the archive and never finishes it.
  const script = `
    import { RawArchive } from ${JSON.stringify(RAW_ARCHIVE)};
    setInterval(() => {}, 1000); // alive until killed
    const body = new ReadableStream({
      start(c) { c.enqueue(new Uint8Array(4096)); },
      pull() { return new Promise(() => {}); },
    });
    await new RawArchive(${JSON.stringify(dir)}).store(body, { maxBytes: 1e9, prefixBytes: 16 });
  `;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", script],
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    const archive = new RawArchive(dir);
    const partial = await waitUntil(async () => {
      const entries = await Array.fromAsync(Deno.readDir(archive.root)).catch(() => []);
      for (const e of entries) {
        if (!e.name.startsWith(".incoming-")) continue;
        const path = join(archive.root, e.name);
        if ((await Deno.stat(path)).size === 4096) return path;
      }
      return undefined;
    }, { what: "the child's partial download", timeoutMs: 30_000 });
    child.kill("SIGKILL");
    await withTimeout(child.status, { what: "the killed child to end" });
    assert.deepEqual(await archive.sweepIncoming(), { files: 0, bytes: 0 }, "too young to sweep");
    const later = new Date(Date.now() + DEFAULT_INCOMING_AGE_MS + 1000);
    assert.deepEqual(await archive.sweepIncoming({ now: later }), { files: 1, bytes: 4096 });
    await assert.rejects(Deno.stat(partial), Deno.errors.NotFound);
  } finally {
    try {
      child.kill("SIGKILL");
    } catch {
      // Already ended.
    }
    await child.status;
    await Deno.remove(dir, { recursive: true });
  }
});
