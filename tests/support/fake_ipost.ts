/**
 * A local stand-in for Energy Transfer's ipost site, on loopback, with fault
 * modes. It checks every request's path and query the way the real site is
 * called (domain.md), and answers 400 to anything else, so tests also prove
 * the URL is right.
 *
 * @module
 */
import { toIpostDate } from "../../src/domain/gas_day.ts";

/** One scripted answer. */
export type FakeReply =
  | { kind: "csv"; body: string | Uint8Array; contentType?: string; chunkBytes?: number }
  | { kind: "status"; status: number; retryAfter?: string; body?: string }
  | { kind: "hang" }
  | { kind: "html" }
  | { kind: "empty" }
  | { kind: "header_only" }
  | { kind: "garbage" }
  | { kind: "oversize"; bytes: number }
  | { kind: "slow_body"; body: string; delayMs: number }
  /**
   * A `Content-Length` shorter than the body: every byte of `body` is sent,
   * but the client reads only the first `contentLength` (a file cut short
   * that still looks like a whole HTTP answer).
   */
  | { kind: "short_length"; body: string | Uint8Array; contentLength: number };

/** A request the server saw. */
export interface SeenRequest {
  /** Path. */
  path: string;
  /** Query parameters. */
  query: Record<string, string>;
  /** Pair key `ASSET|YYYY-MM-DD|code` (empty when the request was malformed). */
  key: string;
  /** Status answered (0 while the answer is being prepared). */
  status: number;
  /** When it arrived (ms since epoch). */
  at: number;
  /** `User-Agent` header (tells replicas apart when each has its own). */
  userAgent: string;
  /** `Authorization` header (empty when none): a URL's userinfo arrives as Basic auth. */
  authorization: string;
  /** `If-None-Match` header (empty when none). */
  ifNoneMatch: string;
  /** `If-Modified-Since` header (empty when none). */
  ifModifiedSince: string;
  /**
   * When the last byte of a streamed CSV body was handed over (ms since
   * epoch); unset while it streams, and for ever when the client gave up.
   */
  doneAt?: number;
}

/** Options for {@linkcode startFakeIpost}. */
export interface FakeIpostOptions {
  /**
   * Awaited before every well-formed request is answered (default: none), e.g.
   * to hold answers until a test has seen what it needs.
   */
  beforeAnswer?: (req: SeenRequest) => Promise<void>;
  /**
   * Send `ETag` and `Last-Modified` with CSV answers, and answer 304 to a
   * request whose `If-None-Match` names the body it would get (default off:
   * whether the real site sends validators is not known).
   */
  validators?: boolean;
  /** Loopback address to listen on (default `127.0.0.1`; `127.0.0.2` ... are distinct hosts). */
  hostname?: string;
}

/** The real header line of the report. */
export const TW_HEADER =
  '"Loc","Loc Zn","Loc Name","Loc Purp Desc","Loc/QTI","Flow Ind","DC","OPC","TSQ","OAC","IT","Auth Overrun Ind","Nom Cap Exceed Ind","All Qty Avail","Qty Reason"\r\n';

/** The messenger family's documented header (21 columns), padded as its cells are. */
export const MESSENGER_HEADER = [
  "Loc     ",
  "Loc Name",
  "Loc Purp Desc",
  "Loc/QTI",
  "DC",
  "OPC",
  "TSQ",
  "OAC",
  "Loc Zn  ",
  "IT",
  "Flow Ind",
  "State",
  "County",
  "Operator",
  "OBA",
  "G/T",
  "Miles",
  "EGM",
  "Flw Cntl",
  "All Qty Avail",
  "Qty Reason",
].map((h) => `"${h}"`).join(",") + "\r\n";

/** The messenger family's path (no asset in it: the query names it). */
const MESSENGER_PATH = "/ipost/capacity/operationally-available-by-location";

/** `cycleDesc` names to codes, as the messenger family spells them. */
const CYCLE_NAMES: Record<string, number> = {
  "Timely": 0,
  "Evening": 1,
  "Intraday 1": 3,
  "Intraday 2": 4,
  "Intraday 3": 7,
  "Final": 5,
};

const EXPECTED_FIXED: Record<string, string> = { f: "csv", extension: "csv" };

/** Key of a pair: `TW|2024-01-17|0`. */
export function pairKey(asset: string, gasDay: string, cycleCode: number): string {
  return `${asset}|${gasDay}|${cycleCode}`;
}

/** A running fake server. */
export interface FakeIpost {
  /** Base URL, e.g. `http://127.0.0.1:40123`. */
  url: string;
  /** Every request seen, in order. */
  requests: SeenRequest[];
  /**
   * Script the answers for a pair: replies are used in order, the last one
   * repeats; or a function of the pair's request count (from 0). Unscripted
   * pairs get the default reply. A key `ASSET|YYYY-MM-DD|code|NOM` answers one `searchType` only.
   */
  script(key: string, replies: FakeReply[] | ((n: number) => FakeReply)): void;
  /** The reply of unscripted pairs (header-only, i.e. not posted, at first). */
  setDefault(reply: (key: string) => FakeReply): void;
  /** Requests seen for one pair. */
  count(key: string): number;
  /** Stop the server. */
  close(): Promise<void>;
}

/** Start the fake on 127.0.0.1 (or `o.hostname`) with an OS-chosen port. */
export function startFakeIpost(o: FakeIpostOptions = {}): FakeIpost {
  const scripts = new Map<
    string,
    { replies: FakeReply[] | ((n: number) => FakeReply); used: number }
  >();
  let fallback: (key: string) => FakeReply = () => ({ kind: "header_only" });
  const requests: SeenRequest[] = [];
  const hanging = new Set<AbortController>();

  const handler = async (req: Request): Promise<Response> => {
    const u = new URL(req.url);
    const query = Object.fromEntries(u.searchParams);
    const m = /^\/ipost\/([A-Z0-9]+)\/capacity\/operationally-available$/.exec(u.pathname);
    const seen: SeenRequest = {
      path: u.pathname,
      query,
      key: "",
      status: 0,
      at: Date.now(),
      userAgent: req.headers.get("user-agent") ?? "",
      authorization: req.headers.get("authorization") ?? "",
      ifNoneMatch: req.headers.get("if-none-match") ?? "",
      ifModifiedSince: req.headers.get("if-modified-since") ?? "",
    };
    requests.push(seen);
    const bad = (why: string) => {
      seen.status = 400;
      return new Response(`bad request: ${why}`, { status: 400 });
    };
    const messenger = u.pathname === MESSENGER_PATH;
    if (!m && !messenger) return bad(`unknown path ${u.pathname}`);
    for (const [k, v] of Object.entries(EXPECTED_FIXED)) {
      if (query[k] !== v) return bad(`${k} must be ${v}`);
    }
    const asset = m ? m[1] : query.asset ?? "";
    if (m && query.asset !== m[1]) {
      return bad(`asset must be the bare code ${m[1]}, got ${query.asset}`);
    }
    if (!/^[A-Z0-9]+$/.test(asset)) return bad(`asset must be a bare code, got ${query.asset}`);
    const us = /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(query.gasDay ?? "");
    if (!us) return bad(`gasDay must be MM/DD/YYYY, got ${query.gasDay}`);
    if (!/[?&]gasDay=\d{2}%2F\d{2}%2F\d{4}(&|$)/.test(u.search)) {
      return bad("gasDay must be URL-encoded");
    }
    let code: number;
    if (messenger) {
      const c = CYCLE_NAMES[query.cycleDesc ?? ""];
      if (c === undefined) return bad(`unknown cycleDesc ${query.cycleDesc}`);
      if (/[?&]cycleDesc=[^&]*\+/.test(u.search)) return bad("cycleDesc spaces must be %20");
      if (query.pointCd !== "" || query.name !== "") return bad("pointCd= and name= expected");
      code = c;
    } else {
      if (!/^[013457]$/.test(query.cycle ?? "")) return bad(`unknown cycle ${query.cycle}`);
      if (!query.searchType) return bad("searchType missing");
      code = Number(query.cycle);
    }
    const gasDay = `${us[3]}-${us[1]}-${us[2]}`;
    if (toIpostDate(gasDay) !== query.gasDay) return bad("gasDay round trip");
    seen.key = pairKey(asset, gasDay, code);
    // A script for `KEY|<searchType>` answers that search type only (two sources of one asset).
    const s = scripts.get(`${seen.key}|${query.searchType}`) ?? scripts.get(seen.key);
    let reply = fallback(seen.key);
    if (s) {
      reply = typeof s.replies === "function"
        ? s.replies(s.used)
        : s.replies[Math.min(s.used, s.replies.length - 1)];
      s.used++;
    }
    await o.beforeAnswer?.(seen);
    const header = messenger ? MESSENGER_HEADER : TW_HEADER;
    const tag = o.validators && reply.kind === "csv" ? etagOf(reply.body) : undefined;
    if (tag !== undefined && seen.ifNoneMatch === tag) {
      seen.status = 304;
      return new Response(null, { status: 304, headers: { etag: tag } });
    }
    const res = await answer(reply, hanging, () => (seen.doneAt = Date.now()), header);
    if (tag !== undefined) {
      res.headers.set("etag", tag);
      res.headers.set("last-modified", "Wed, 17 Jan 2024 23:05:00 GMT");
    }
    seen.status = res.status;
    return res;
  };

  const ac = new AbortController();
  const server = Deno.serve({
    hostname: o.hostname ?? "127.0.0.1",
    port: 0,
    signal: ac.signal,
    onListen: () => {},
  }, handler);
  const addr = server.addr as Deno.NetAddr;
  return {
    url: `http://${o.hostname ?? "127.0.0.1"}:${addr.port}`,
    requests,
    script(key, replies) {
      scripts.set(key, { replies, used: 0 });
    },
    setDefault(reply) {
      fallback = reply;
    },
    count(key) {
      return requests.filter((r) => r.key === key).length;
    },
    async close() {
      for (const h of hanging) h.abort();
      ac.abort();
      await server.finished;
    },
  };
}

/** A strong ETag for `body` (FNV-1a of its bytes). */
function etagOf(body: string | Uint8Array): string {
  const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
  let h = 0x811c9dc5;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return `"${h.toString(16)}-${bytes.length}"`;
}

/** Sleep `ms`, cut short when `ac` aborts (server closing, client gone). */
function pause(ms: number, ac: AbortController): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    ac.signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}

async function answer(
  reply: FakeReply,
  hanging: Set<AbortController>,
  onDone: () => void,
  header: string,
): Promise<Response> {
  const csv = (body: BodyInit, type = "text/csv") =>
    new Response(body, {
      status: 200,
      headers: {
        "content-type": type,
        "content-disposition": 'attachment; filename="OAC_TW_000000000_01-17-2024_Timely.csv"',
      },
    });
  switch (reply.kind) {
    case "csv": {
      const bytes = typeof reply.body === "string"
        ? new TextEncoder().encode(reply.body)
        : reply.body;
      const size = reply.chunkBytes ?? 16 * 1024;
      let off = 0;
      // Chunked like the real site, so the client's streaming path is exercised.
      const stream = new ReadableStream<Uint8Array>({
        pull(c) {
          if (off >= bytes.length) {
            onDone();
            return c.close();
          }
          c.enqueue(bytes.subarray(off, off + size));
          off += size;
        },
      });
      return csv(stream, reply.contentType);
    }
    case "short_length": {
      const bytes = typeof reply.body === "string"
        ? new TextEncoder().encode(reply.body)
        : reply.body;
      // A stream: given a whole buffer, Deno.serve would set the true length itself.
      const stream = new ReadableStream<Uint8Array>({
        start(c) {
          c.enqueue(bytes);
          onDone();
          c.close();
        },
      });
      return new Response(stream, {
        status: 200,
        headers: { "content-type": "text/csv", "content-length": String(reply.contentLength) },
      });
    }
    case "status":
      return new Response(reply.body ?? `error ${reply.status}`, {
        status: reply.status,
        headers: reply.retryAfter ? { "retry-after": reply.retryAfter } : {},
      });
    case "hang": {
      // Answers only when the server closes; the client must give up first.
      const h = new AbortController();
      hanging.add(h);
      await new Promise<void>((resolve) => {
        h.signal.addEventListener("abort", () => resolve(), { once: true });
      });
      hanging.delete(h);
      return new Response("too late", { status: 504 });
    }
    case "html":
      return csv(
        "<!DOCTYPE html><html><body><h1>No data available</h1></body></html>",
        "text/html; charset=utf-8",
      );
    case "empty":
      return csv("");
    case "header_only":
      return csv(header);
    case "garbage":
      return csv(
        "\u00a7\u00a7 lorem ipsum dolor sit amet; 42 ;;\nnot,a,report\n",
        "application/octet-stream",
      );
    case "oversize": {
      const row = '"1","Z","N","MQ","DPQ","D","1","1","0","1","N","N","N","Y",""\r\n';
      let sent = 0;
      const enc = new TextEncoder();
      const stream = new ReadableStream<Uint8Array>({
        pull(c) {
          if (sent >= reply.bytes) return c.close();
          const chunk = enc.encode((sent === 0 ? TW_HEADER : "") + row.repeat(512));
          sent += chunk.length;
          c.enqueue(chunk);
        },
      });
      return csv(stream);
    }
    case "slow_body": {
      // Half the body, a pause, the rest. The pause ends early when the client
      // cancels or the server closes, so no timer outlives the test.
      const enc = new TextEncoder().encode(reply.body);
      const half = Math.floor(enc.length / 2);
      const h = new AbortController();
      hanging.add(h);
      let step = 0;
      const stream = new ReadableStream<Uint8Array>({
        async pull(c) {
          if (step === 0) c.enqueue(enc.subarray(0, half));
          else if (step === 1) {
            await pause(reply.delayMs, h);
            if (h.signal.aborted) return c.error(new Error("fake ipost closed"));
            c.enqueue(enc.subarray(half));
          } else {
            hanging.delete(h);
            onDone();
            c.close();
          }
          step++;
        },
        cancel() {
          hanging.delete(h);
          h.abort();
        },
      });
      return csv(stream);
    }
  }
}
