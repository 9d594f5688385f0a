/**
 * The raw archive: every body fetched, kept under the data directory and named
 * by its sha256, with one JSON line per request that returned it. Any load can
 * be traced to, and replayed from, the exact bytes it came from.
 *
 * Layout: `<dir>/raw/<first two hex>/<sha256>.body` and `<sha256>.requests.jsonl`.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { dirname, join } from "node:path";
import { TerminalError, TransientError } from "../domain/errors.ts";
import type { Logger } from "../log/logger.ts";

/**
 * Thrown when a body exceeds the configured cap; nothing is kept. Terminal:
 * the same request will send the same body.
 */
export class BodyTooLargeError extends TerminalError {
  /** Build the error. */
  constructor(readonly limit: number) {
    super(`body larger than max_body_bytes (${limit} bytes); refused`);
    this.name = "BodyTooLargeError";
  }
}

/**
 * The archive could not be written: a full disk, a read-only mount, a data
 * directory that is a file. A local fault, never a network one, and transient
 * (freeing space or fixing the mount clears it).
 */
export class ArchiveError extends TransientError {
  /** What was being written. */
  readonly path: string;
  /** Build the error; `reason` is the OS's words (e.g. "No space left on device"). */
  constructor(path: string, reason: string, options?: ErrorOptions) {
    super(`cannot write the raw archive at ${path}: ${reason}`, options);
    this.name = "ArchiveError";
    this.path = path;
  }
}

/** Deno's message without its "(os error N): op 'path'" tail (the path is said once, by us). */
function osReason(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return m.replace(/ \(os error \d+\)[\s\S]*$/, "");
}

/** `e`, a failure to write `path`, as an {@linkcode ArchiveError} (kept as it is if it is one). */
export function archiveError(path: string, e: unknown): ArchiveError {
  return e instanceof ArchiveError ? e : new ArchiveError(path, osReason(e), { cause: e });
}

/** Run a file-system write, turning its failure into an {@linkcode ArchiveError} naming `path`. */
async function onDisk<T>(path: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw archiveError(path, e);
  }
}

/** The nearest of `dir` and its ancestors that exists and is not a directory. */
async function fileInTheWay(dir: string): Promise<string | undefined> {
  for (let p = dir;; p = dirname(p)) {
    const info = await Deno.stat(p).catch(() => undefined);
    if (info && !info.isDirectory) return p;
    if (dirname(p) === p) return undefined;
  }
}

/** `mkdir -p dir`; a file where a directory should be is named as such. */
async function makeDir(dir: string): Promise<void> {
  try {
    await Deno.mkdir(dir, { recursive: true });
  } catch (e) {
    const blocker = e instanceof Deno.errors.NotADirectory || e instanceof Deno.errors.AlreadyExists
      ? await fileInTheWay(dir)
      : undefined;
    const reason = blocker ? `${blocker} is a regular file, not a directory` : osReason(e);
    throw new ArchiveError(dir, reason, { cause: e });
  }
}

/** A stored body. */
export interface StoredBody {
  /** Lower-case hex sha256 of the bytes. */
  sha256: string;
  /** Size in bytes. */
  bytes: number;
  /** Path of the stored file. */
  path: string;
  /** First bytes (for classification). */
  prefix: Uint8Array;
  /** Last bytes (to tell a body cut short); empty when none were asked for. */
  suffix: Uint8Array;
}

/** What is recorded about each request that returned a body. */
export interface RequestRecord {
  /** URL requested. */
  url: string;
  /** Source name. */
  source: string;
  /** Asset code. */
  asset: string;
  /** Gas day requested. */
  gasDay: string;
  /** Cycle code requested. */
  cycle: number;
  /** HTTP status. */
  status: number;
  /** Response headers. */
  headers: Record<string, string>;
  /** When the body was received (ISO 8601). */
  fetchedAt: string;
}

const SHA_RE = /^[0-9a-f]{64}$/;

/** One line of an archive's request logs (see {@linkcode RawArchive.allRequests}). */
export type ArchivedRequest =
  | { sha256: string; record: RequestRecord; unreadable?: undefined }
  | { sha256: string; unreadable: string; record?: undefined };

/** The lines of a text file, streamed. */
async function* linesOf(path: string): AsyncGenerator<string> {
  const file = await Deno.open(path, { read: true });
  let rest = "";
  for await (const text of file.readable.pipeThrough(new TextDecoderStream())) {
    const parts = (rest + text).split("\n");
    rest = parts.pop()!;
    yield* parts;
  }
  if (rest !== "") yield rest;
}

/** A request log line as a record, or why it is not one. */
function parseRecord(line: string): RequestRecord | string {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return "not JSON";
  }
  const r = v as Partial<RequestRecord> | null;
  if (typeof r !== "object" || r === null) return "not a JSON object";
  for (const k of ["url", "source", "gasDay", "fetchedAt"] as const) {
    if (typeof r[k] !== "string") return `"${k}" is not a string`;
  }
  if (!/^\d{4}-\d{2}-\d{2}$/.test(r.gasDay!)) return `"gasDay" ${r.gasDay} is not YYYY-MM-DD`;
  if (!Number.isInteger(r.cycle)) return `"cycle" is not a cycle code`;
  if (Number.isNaN(Date.parse(r.fetchedAt!))) return `"fetchedAt" ${r.fetchedAt} is not a time`;
  return r as RequestRecord;
}

/** The last `size` bytes of a stream, in a ring: memory stays `size` whatever the stream. */
class Tail {
  readonly #ring: Uint8Array;
  #end = 0; // where the next byte goes
  #len = 0;

  constructor(size: number) {
    this.#ring = new Uint8Array(size);
  }

  update(chunk: Uint8Array): void {
    const size = this.#ring.length;
    if (size === 0) return;
    if (chunk.byteLength >= size) {
      this.#ring.set(chunk.subarray(chunk.byteLength - size));
      this.#end = 0;
      this.#len = size;
      return;
    }
    const first = Math.min(size - this.#end, chunk.byteLength);
    this.#ring.set(chunk.subarray(0, first), this.#end);
    this.#ring.set(chunk.subarray(first), 0);
    this.#end = (this.#end + chunk.byteLength) % size;
    this.#len = Math.min(size, this.#len + chunk.byteLength);
  }

  bytes(): Uint8Array {
    if (this.#len < this.#ring.length) return this.#ring.slice(0, this.#len);
    const out = new Uint8Array(this.#len);
    out.set(this.#ring.subarray(this.#end));
    out.set(this.#ring.subarray(0, this.#end), this.#ring.length - this.#end);
    return out;
  }
}

/** Hashes, counts and keeps the first and last bytes of a body as it streams past. */
class BodyDigest {
  readonly #hash = createHash("sha256");
  readonly #prefix: Uint8Array;
  readonly #tail: Tail;
  #prefixLen = 0;
  bytes = 0;

  constructor(prefixBytes: number, suffixBytes: number) {
    this.#prefix = new Uint8Array(prefixBytes);
    this.#tail = new Tail(suffixBytes);
  }

  update(chunk: Uint8Array): void {
    this.bytes += chunk.byteLength;
    if (this.#prefixLen < this.#prefix.length) {
      const n = Math.min(this.#prefix.length - this.#prefixLen, chunk.byteLength);
      this.#prefix.set(chunk.subarray(0, n), this.#prefixLen);
      this.#prefixLen += n;
    }
    this.#tail.update(chunk);
    this.#hash.update(chunk);
  }

  result(): Omit<StoredBody, "path"> {
    return {
      sha256: this.#hash.digest("hex"),
      bytes: this.bytes,
      prefix: this.#prefix.slice(0, this.#prefixLen),
      suffix: this.#tail.bytes(),
    };
  }
}

/** The archive rooted at a data directory. */
export class RawArchive {
  readonly #root: string;

  /** Use `<dataDir>/raw`. */
  constructor(dataDir: string) {
    this.#root = join(dataDir, "raw");
  }

  /** The directory the archive writes under (`<dataDir>/raw`). */
  get root(): string {
    return this.#root;
  }

  /** Path of the body with this sha256. */
  bodyPath(sha256: string): string {
    return join(this.#root, sha256.slice(0, 2), `${sha256}.body`);
  }

  /** Path of the request log of this sha256. */
  requestsPath(sha256: string): string {
    return join(this.#root, sha256.slice(0, 2), `${sha256}.requests.jsonl`);
  }

  /**
   * Stream `body` to disk while hashing it; memory stays flat whatever the size.
   * An error reading `body` (the network) passes through as it is; an error
   * writing the disk is an {@linkcode ArchiveError}. Its first `prefixBytes`
   * and last `suffixBytes` (default 0) bytes are kept.
   *
   * @throws {BodyTooLargeError} past `maxBytes` (the partial file is removed)
   * @throws {ArchiveError} when the archive cannot be written (the body is cancelled)
   */
  async store(
    body: ReadableStream<Uint8Array>,
    opts: { maxBytes: number; prefixBytes: number; suffixBytes?: number },
  ): Promise<StoredBody> {
    const root = this.#root;
    const tmp = join(root, `.incoming-${crypto.randomUUID()}`);
    let file: Deno.FsFile;
    try {
      await makeDir(root);
      file = await onDisk(root, () => Deno.open(tmp, { write: true, createNew: true }));
    } catch (e) {
      // Nobody will read the answer: free its connection.
      await body.cancel().catch(() => {});
      throw e;
    }
    const digest = new BodyDigest(opts.prefixBytes, opts.suffixBytes ?? 0);
    let closed = false;
    try {
      for await (const chunk of body) {
        digest.update(chunk);
        if (digest.bytes > opts.maxBytes) throw new BodyTooLargeError(opts.maxBytes);
        await onDisk(root, async () => {
          let off = 0;
          while (off < chunk.byteLength) off += await file.write(chunk.subarray(off));
        });
      }
      file.close();
      closed = true;
      const result = digest.result();
      const path = this.bodyPath(result.sha256);
      await makeDir(dirname(path));
      await onDisk(path, () => Deno.rename(tmp, path));
      return { ...result, path };
    } catch (e) {
      if (!closed) file.close();
      await Deno.remove(tmp).catch(() => {});
      throw e;
    }
  }

  /**
   * Append the request that returned `sha256` to its log.
   *
   * @throws {ArchiveError} when the log cannot be written
   */
  async recordRequest(sha256: string, rec: RequestRecord): Promise<void> {
    const path = this.requestsPath(sha256);
    await onDisk(
      path,
      () => Deno.writeTextFile(path, JSON.stringify(rec) + "\n", { append: true }),
    );
  }

  /** The requests recorded for `sha256`, oldest first (empty when none). */
  async requests(sha256: string): Promise<RequestRecord[]> {
    let text: string;
    try {
      text = await Deno.readTextFile(this.requestsPath(sha256));
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return [];
      throw e;
    }
    return text.split("\n").filter((l) => l.trim() !== "").map((l) =>
      JSON.parse(l) as RequestRecord
    );
  }

  /**
   * Every request record in the archive, file by file (in no particular
   * order), read line by line: memory stays one record file whatever the
   * archive's size. A line that is not a request record is yielded as an
   * `unreadable` entry naming the file and line, never skipped silently.
   *
   * @throws {ArchiveError} when a directory cannot be read
   */
  async *allRequests(): AsyncGenerator<ArchivedRequest> {
    for (const dir of await this.#listDir(this.#root)) {
      if (!/^[0-9a-f]{2}$/.test(dir)) continue;
      for (const name of await this.#listDir(join(this.#root, dir))) {
        const m = /^([0-9a-f]{64})\.requests\.jsonl$/.exec(name);
        if (m) yield* this.#recordsOf(m[1]);
      }
    }
  }

  async #listDir(dir: string): Promise<string[]> {
    try {
      return (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort();
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return [];
      throw archiveError(dir, e);
    }
  }

  async *#recordsOf(sha256: string): AsyncGenerator<ArchivedRequest> {
    const path = this.requestsPath(sha256);
    let n = 0;
    // Streamed: the log of a body fetched often (the header-only "not posted
    // yet" answer) grows with every poll.
    for await (const line of linesOf(path)) {
      n++;
      if (line.trim() === "") continue;
      const record = parseRecord(line);
      yield typeof record === "string"
        ? { sha256, unreadable: `${path}:${n}: ${record}` }
        : { sha256, record };
    }
  }

  /**
   * Resolve a sha256 (full, or a prefix of at least 8 hex digits) to the
   * archived body's hash; `undefined` when absent, an error when ambiguous.
   */
  async find(shaOrPrefix: string): Promise<string | undefined> {
    const p = shaOrPrefix.toLowerCase();
    if (SHA_RE.test(p)) {
      try {
        await Deno.stat(this.bodyPath(p));
        return p;
      } catch (e) {
        if (e instanceof Deno.errors.NotFound) return undefined;
        throw e;
      }
    }
    if (!/^[0-9a-f]{8,63}$/.test(p)) return undefined;
    const matches: string[] = [];
    try {
      for await (const entry of Deno.readDir(join(this.#root, p.slice(0, 2)))) {
        if (entry.name.endsWith(".body") && entry.name.startsWith(p)) {
          matches.push(entry.name.slice(0, 64));
        }
      }
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return undefined;
      throw e;
    }
    if (matches.length > 1) {
      throw new Error(`sha256 prefix ${p} is ambiguous: ${matches.join(", ")}`);
    }
    return matches[0];
  }

  /**
   * Remove the partial downloads (`raw/.incoming-*`, see
   * {@linkcode RawArchive.store}) a killed process left behind, and log how
   * many and how many bytes (`archive.incoming_swept`). Only files unmodified
   * for `olderThanMs` go: a download in flight writes as it goes, and one by
   * a replica sharing the data directory must survive another's start.
   *
   * @throws {ArchiveError} when the archive directory cannot be read or a file removed
   */
  async sweepIncoming(o: SweepIncomingOptions = {}): Promise<SweptIncoming> {
    const olderThanMs = o.olderThanMs ?? DEFAULT_INCOMING_AGE_MS;
    const now = (o.now ?? new Date()).getTime();
    const swept: SweptIncoming = { files: 0, bytes: 0 };
    let entries: Deno.DirEntry[];
    try {
      entries = await Array.fromAsync(Deno.readDir(this.#root));
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return swept;
      throw archiveError(this.#root, e);
    }
    for (const entry of entries) {
      if (!entry.isFile || !entry.name.startsWith(INCOMING_PREFIX)) continue;
      const path = join(this.#root, entry.name);
      try {
        const info = await Deno.lstat(path);
        if (now - (info.mtime?.getTime() ?? now) < olderThanMs) continue;
        await Deno.remove(path);
        swept.files++;
        swept.bytes += info.size;
      } catch (e) {
        // Another replica's sweep, or the rename ending a download, got there first.
        if (e instanceof Deno.errors.NotFound) continue;
        throw archiveError(path, e);
      }
    }
    const fields = { ...swept, dir: this.#root, older_than_s: Math.round(olderThanMs / 1000) };
    if (swept.files > 0) o.log?.info("archive.incoming_swept", fields);
    else o.log?.debug("archive.incoming_swept", fields);
    return swept;
  }
}

/** Name prefix of a body being downloaded (kept in step with {@linkcode RawArchive.store}). */
const INCOMING_PREFIX = ".incoming-";

/**
 * Default age past which a partial download is an orphan: far beyond one
 * attempt at the default `http.timeout_seconds` (30 s), so no download in
 * flight is that old.
 */
export const DEFAULT_INCOMING_AGE_MS = 10 * 60_000;

/** Options for {@linkcode RawArchive.sweepIncoming}. */
export interface SweepIncomingOptions {
  /**
   * Remove only files unmodified for this long. Default
   * {@linkcode DEFAULT_INCOMING_AGE_MS} (10 minutes); keep it above the
   * longest single attempt any process sharing the data directory may make
   * (its `http.timeout_seconds`).
   */
  olderThanMs?: number;
  /** The present, for the age (default: the system clock). */
  now?: Date;
  /** Where to log the count (info when something was removed, else debug). */
  log?: Logger;
}

/** What {@linkcode RawArchive.sweepIncoming} removed. */
export interface SweptIncoming {
  /** Orphan files removed. */
  files: number;
  /** Their total size. */
  bytes: number;
}

/** Hash and measure a local file without loading it into memory (its last `suffixBytes` are kept too). */
export async function hashFile(
  path: string,
  prefixBytes: number,
  suffixBytes = 0,
): Promise<Omit<StoredBody, "path">> {
  const file = await Deno.open(path, { read: true });
  const digest = new BodyDigest(prefixBytes, suffixBytes);
  for await (const chunk of file.readable) digest.update(chunk);
  return digest.result();
}
