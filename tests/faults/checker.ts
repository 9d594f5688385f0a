/**
 * The fault suite's invariant checker, independent of the loader: it shares
 * neither its CSV parser nor its SQL. Each file is split into physical lines
 * by a plain byte scan, numbered, and parsed by PostgreSQL's own CSV parser
 * (psql `\copy ... (FORMAT csv)`) into a scratch table; which rows are valid
 * follows the README's rules, written here again in SQL; then the pair's rows
 * in the target table are compared with the file's, all 15 columns,
 * NULL-aware.
 *
 * Invariants (README "How a file is loaded"): every pair's rows equal the
 * file its latest successful load names (or the file a scenario says must be
 * there); bad rows are in quarantine under their line number, never in the
 * table; no partial file, no duplicate; every failed ledger row has a one-line
 * reason.
 *
 * @module
 */
import type postgres from "postgres";
import { unclearReason } from "./messages.ts";

/** The 15 report columns: normalised header name and target column. */
const COLUMNS: readonly [string, string][] = [
  ["loc", "loc"],
  ["loc zn", "loc_zn"],
  ["loc name", "loc_name"],
  ["loc purp desc", "loc_purp_desc"],
  ["loc/qti", "loc_qti"],
  ["flow ind", "flow_ind"],
  ["dc", "dc"],
  ["opc", "opc"],
  ["tsq", "tsq"],
  ["oac", "oac"],
  ["it", "it"],
  ["auth overrun ind", "auth_overrun_ind"],
  ["nom cap exceed ind", "nom_cap_exceed_ind"],
  ["all qty avail", "all_qty_avail"],
  ["qty reason", "qty_reason"],
];
const NAMES = COLUMNS.map(([, c]) => c);
const NUMBERS = ["dc", "opc", "tsq", "oac"];
const TEXTS = NAMES.filter((c) => !NUMBERS.includes(c) && c !== "loc" && c !== "flow_ind");
const SCRATCH = "faults_check";

/** How to reach the database (psql uses it too). */
export interface CheckTarget {
  /** An open connection to the test database. */
  sql: postgres.Sql;
  /** Host, port, user and database name, for psql. */
  host: string;
  /** Port. */
  port: number;
  /** User. */
  user: string;
  /** Database name. */
  database: string;
  /** Password, if any (given to psql through PGPASSWORD). */
  password?: string;
}

/** A file a scenario says must be the pair's content at the end. */
export interface ExpectedFile {
  /** Asset code. */
  asset: string;
  /** Gas day, `YYYY-MM-DD`. */
  gasDay: string;
  /** Cycle label (`Timely`, ...). */
  cycle: string;
  /** The file's bytes. */
  body: Uint8Array;
}

/** Options for {@linkcode checkInvariants}. */
export interface CheckOptions extends CheckTarget {
  /** Schema of the program's tables (default `staging`). */
  schema?: string;
  /** The program's data directory (raw archive under `raw/`). */
  dataDir: string;
  /** Files that must be their pair's content at the end. */
  expected?: ExpectedFile[];
}

/** What the checker found. Every count but `files` and `rows` must be 0. */
export interface CheckReport {
  /** Files compared (distinct pairs with a latest load or an expected file). */
  files: number;
  /** Good rows those files hold. */
  rows: number;
  /** Rows of a file that are neither in the table (good) nor in quarantine (bad). */
  lost: number;
  /** Rows or quarantine lines present more than once; loads of the same bytes repeated. */
  duplicated: number;
  /** Rows in the table that the file does not have. */
  extra: number;
  /** Pairs holding part of a file; ledger rows left `loading`. */
  partial: number;
  /** Failed ledger rows whose reason is missing or unclear. */
  unclear: number;
  /** Those reasons, as recorded (`String(error)`). */
  unclearMessages: string[];
  /** One line per finding, for the report. */
  problems: string[];
}

/** `sha256` of bytes, hex. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(d), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Physical lines of a body (CRLF, LF or CR), without their breaks; a final empty line dropped. */
export function splitLines(body: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i < body.length; i++) {
    const b = body[i];
    if (b !== 10 && b !== 13) continue;
    out.push(body.subarray(start, i));
    if (b === 13 && body[i + 1] === 10) i++;
    start = i + 1;
  }
  if (start < body.length) out.push(body.subarray(start));
  return out;
}

/** Fields of a line by counting commas outside quotes (sizes the scratch table only). */
function fieldCount(line: string): number {
  let n = 1;
  let quoted = false;
  for (const ch of line) {
    if (ch === '"') quoted = !quoted;
    else if (ch === "," && !quoted) n++;
  }
  return n;
}

interface Line {
  no: number;
  text?: string;
  bad?: string;
}

function readLines(body: Uint8Array): Line[] {
  const dec = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
  return splitLines(body).map((bytes, i) => {
    const no = i + 1;
    if (bytes.includes(0)) return { no, bad: "NUL byte" };
    let text: string;
    try {
      text = dec.decode(bytes);
    } catch {
      return { no, bad: "invalid UTF-8" };
    }
    // A quote left open would make PostgreSQL read on into the next line.
    if ((text.match(/"/g)?.length ?? 0) % 2 === 1) return { no, bad: "unbalanced quote" };
    return { no, text };
  });
}

async function psqlCopy(
  t: CheckTarget,
  table: string,
  input: string,
): Promise<{ ok: true } | { ok: false; line?: number; message: string }> {
  const child = new Deno.Command("psql", {
    args: [
      "-X",
      "-q",
      "-v",
      "ON_ERROR_STOP=1",
      "-h",
      t.host,
      "-p",
      String(t.port),
      "-U",
      t.user,
      "-d",
      t.database,
      "-c",
      `\\copy ${table} FROM pstdin WITH (FORMAT csv)`,
    ],
    env: t.password ? { PGPASSWORD: t.password } : {},
    stdin: "piped",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(input)).catch(() => {});
  await w.close().catch(() => {});
  const out = await child.output();
  if (out.code === 0) return { ok: true };
  const text = new TextDecoder().decode(out.stderr);
  const m = /COPY [^,]+, line (\d+)/.exec(text);
  const first = text.split("\n").find((l) => l.startsWith("ERROR:")) ?? text.trim();
  return { ok: false, line: m ? Number(m[1]) : undefined, message: first.trim() };
}

/**
 * Parse one file with PostgreSQL into `faults_check.rows` under its sha256,
 * marking bad rows; returns a problem when the file cannot be judged.
 */
async function stageFile(t: CheckTarget, sha: string, body: Uint8Array): Promise<string[]> {
  const { sql } = t;
  const [{ n }] = await sql`SELECT count(*)::int AS n FROM faults_check.rows WHERE sha256 = ${sha}`;
  if (n > 0) return [];
  const lines = readLines(body);
  const head = lines[0];
  if (!head?.text) return [`file ${sha.slice(0, 12)}: no readable header line`];
  const width = fieldCount(head.text);
  const table = `${SCRATCH}.f_${sha.slice(0, 16)}`;
  const cols = Array.from({ length: width }, (_, i) => `c${i + 1} text`).join(", ");
  await sql.unsafe(`DROP TABLE IF EXISTS ${table}`);
  await sql.unsafe(`CREATE TABLE ${table} (line_no int NOT NULL, ${cols})`);
  let input = lines.filter((l) => l.text !== undefined);
  for (let attempt = 0;; attempt++) {
    const r = await psqlCopy(t, table, input.map((l) => `${l.no},${l.text}\n`).join(""));
    if (r.ok) break;
    // PostgreSQL names the input line it refused: that row is bad, the rest is tried again.
    if (r.line === undefined || attempt >= 50 || input[r.line - 1]?.no === 1) {
      await sql.unsafe(`DROP TABLE ${table}`);
      return [`file ${sha.slice(0, 12)}: PostgreSQL cannot parse it as CSV: ${r.message}`];
    }
    const refused = input[r.line - 1];
    refused.bad = `PostgreSQL CSV: ${r.message}`;
    refused.text = undefined;
    input = input.filter((l) => l !== refused);
    await sql.unsafe(`TRUNCATE ${table}`);
  }
  const [hdr] = await sql.unsafe(`SELECT * FROM ${table} WHERE line_no = 1`);
  const names = Array.from(
    { length: width },
    (_, i) => String(hdr[`c${i + 1}`] ?? "").trim().replace(/\s+/g, " ").toLowerCase(),
  );
  const missing = COLUMNS.filter(([h]) => !names.includes(h)).map(([h]) => h);
  if (missing.length > 0) {
    await sql.unsafe(`DROP TABLE ${table}`);
    return [`file ${sha.slice(0, 12)}: header lacks ${missing.join(", ")}`];
  }
  const pick = COLUMNS.map(([h]) => `c${names.indexOf(h) + 1}`);
  await sql.unsafe(
    `INSERT INTO ${SCRATCH}.rows (sha256, line_no, ${NAMES.join(", ")})
     SELECT $1, line_no, ${pick.join(", ")} FROM ${table} WHERE line_no > 1`,
    [sha],
  );
  await sql.unsafe(`DROP TABLE ${table}`);
  const bad = lines.filter((l) => l.bad !== undefined);
  if (bad.length > 0) {
    await sql`INSERT INTO faults_check.rows (sha256, line_no, bad)
      SELECT ${sha}, * FROM unnest(${bad.map((l) => l.no)}::int[], ${
      bad.map((l) => l.bad!)
    }::text[])`;
  }
  await markInvalid(sql, sha);
  // Fresh rows have no statistics: without them the comparisons below run as nested loops.
  await sql.unsafe(`ANALYZE ${SCRATCH}.rows`);
  return [];
}

/** The README's row rules, in SQL; then both copies of a duplicated key. */
async function markInvalid(sql: postgres.Sql, sha: string): Promise<void> {
  const num = (c: string) => `(${c} IS NULL OR ${c} ~ '^[0-9]{1,18}$')`;
  const yn = (c: string) => `(${c} IS NULL OR ${c} IN ('Y', 'N'))`;
  await sql.unsafe(
    `UPDATE ${SCRATCH}.rows SET bad = 'invalid value' WHERE sha256 = $1 AND bad IS NULL AND NOT (
       coalesce(loc, '') <> '' AND coalesce(flow_ind, '') IN ('D', 'R', 'B', 'BD')
       AND ${NUMBERS.map(num).join(" AND ")}
       AND ${
      ["it", "auth_overrun_ind", "nom_cap_exceed_ind", "all_qty_avail"].map(yn).join(" AND ")
    }
       AND (loc_purp_desc IS NULL OR loc_purp_desc ~ '^[A-Za-z0-9]{2}$')
       AND (loc_qti IS NULL OR loc_qti ~ '^[A-Za-z]{3}$'))`,
    [sha],
  );
  await sql.unsafe(
    `UPDATE ${SCRATCH}.rows r SET bad = 'duplicate key' FROM (
       SELECT loc, flow_ind FROM ${SCRATCH}.rows WHERE sha256 = $1 AND bad IS NULL
       GROUP BY loc, flow_ind HAVING count(*) > 1) d
     WHERE r.sha256 = $1 AND r.bad IS NULL AND r.loc = d.loc AND r.flow_ind = d.flow_ind`,
    [sha],
  );
}

interface Pair {
  asset: string;
  gas_day: string;
  cycle: string;
}

interface Latest {
  load_id: number;
  sha256: string;
}

async function archived(dataDir: string, sha: string): Promise<Uint8Array | undefined> {
  try {
    return await Deno.readFile(`${dataDir}/raw/${sha.slice(0, 2)}/${sha}.body`);
  } catch {
    return undefined;
  }
}

/** Compare one pair with the file that must be its content. */
async function comparePair(
  o: CheckOptions,
  p: Pair,
  sha: string,
  latest: Latest | undefined,
  r: CheckReport,
): Promise<void> {
  const { sql } = o;
  const target = `"${o.schema ?? "staging"}".operational_capacity`;
  const at = `${p.asset} ${p.gas_day} ${p.cycle}`;
  const pair = [p.asset, p.gas_day, p.cycle, sha];
  const same = [...TEXTS.map((c) => `t.${c} IS NOT DISTINCT FROM f.${c}`)]
    .concat(NUMBERS.map((c) => `t.${c}::numeric IS NOT DISTINCT FROM f.${c}::numeric`))
    .join(" AND ");
  const [c] = await sql.unsafe(
    `SELECT
       (SELECT count(*)::int FROM ${SCRATCH}.rows WHERE sha256 = $4 AND bad IS NULL) AS good,
       (SELECT count(*)::int FROM ${target} WHERE asset = $1 AND gas_day = $2::date AND cycle = $3) AS held,
       (SELECT count(*)::int FROM ${SCRATCH}.rows f WHERE f.sha256 = $4 AND f.bad IS NULL
          AND NOT EXISTS (SELECT 1 FROM ${target} t WHERE t.asset = $1 AND t.gas_day = $2::date
            AND t.cycle = $3 AND t.loc = f.loc AND t.flow_ind = f.flow_ind AND ${same})) AS lost,
       (SELECT count(*)::int FROM ${target} t WHERE t.asset = $1 AND t.gas_day = $2::date
          AND t.cycle = $3 AND NOT EXISTS (SELECT 1 FROM ${SCRATCH}.rows f WHERE f.sha256 = $4
            AND f.bad IS NULL AND f.loc = t.loc AND f.flow_ind = t.flow_ind)) AS extra,
       (SELECT (count(*) - count(DISTINCT (loc, flow_ind)))::int FROM ${target}
          WHERE asset = $1 AND gas_day = $2::date AND cycle = $3) AS dup`,
    pair,
  );
  const matches = latest?.sha256 === sha;
  const [q] = await sql.unsafe(
    `SELECT
       (SELECT count(*)::int FROM ${SCRATCH}.rows f WHERE f.sha256 = $2 AND f.bad IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM "${o.schema ?? "staging"}".quarantine q
            WHERE q.load_id = $1 AND q.line_no = f.line_no)) AS unquarantined,
       (SELECT (count(*) - count(DISTINCT line_no))::int FROM "${o.schema ?? "staging"}".quarantine
          WHERE load_id = $1) AS dup`,
    [matches ? latest!.load_id : -1, sha],
  );
  r.files++;
  r.rows += c.good;
  r.lost += c.lost + q.unquarantined;
  r.extra += c.extra;
  r.duplicated += c.dup + q.dup;
  if (c.held !== 0 && c.held !== c.good) {
    r.partial++;
    r.problems.push(`${at}: holds ${c.held} rows, the file has ${c.good} good rows`);
  }
  if (c.lost > 0) r.problems.push(`${at}: ${c.lost} of ${c.good} good rows missing or different`);
  if (q.unquarantined > 0) {
    r.problems.push(`${at}: ${q.unquarantined} bad rows neither loaded nor quarantined`);
  }
  if (c.extra > 0) r.problems.push(`${at}: ${c.extra} rows the file does not have`);
  if (c.dup + q.dup > 0) r.problems.push(`${at}: ${c.dup + q.dup} duplicated rows`);
}

/** Ledger-wide checks: reasons of failures, loads left open, the same bytes loaded twice. */
async function checkLedger(o: CheckOptions, r: CheckReport): Promise<void> {
  const s = `"${o.schema ?? "staging"}"`;
  const failed = await o.sql.unsafe(
    `SELECT load_id::int AS id, error FROM ${s}.load_ledger WHERE status = 'failed' ORDER BY load_id`,
  );
  for (const f of failed) {
    const why = unclearReason(f.error);
    if (!why) continue;
    r.unclear++;
    r.unclearMessages.push(String(f.error));
    r.problems.push(
      `failed load ${f.id}: ${why}: ${JSON.stringify(String(f.error).slice(0, 160))}`,
    );
  }
  const [{ n: open }] = await o.sql.unsafe(
    `SELECT count(*)::int AS n FROM ${s}.load_ledger WHERE status = 'loading'`,
  );
  if (open > 0) {
    r.partial += open;
    r.problems.push(`${open} ledger rows left 'loading' (committed mid-load)`);
  }
  const twice = await o.sql.unsafe(
    `SELECT load_id::int AS id FROM (
       SELECT load_id, forced, sha256,
              lag(sha256) OVER (PARTITION BY asset, gas_day, cycle ORDER BY load_id) AS prev
       FROM ${s}.load_ledger WHERE status = 'loaded') x
     WHERE sha256 = prev AND NOT forced`,
  );
  if (twice.length > 0) {
    r.duplicated += twice.length;
    r.problems.push(`the same bytes loaded again without --force: loads ${twice.map((t) => t.id)}`);
  }
}

/** Check every invariant over the database and the raw archive. */
export async function checkInvariants(o: CheckOptions): Promise<CheckReport> {
  const r: CheckReport = {
    files: 0,
    rows: 0,
    lost: 0,
    duplicated: 0,
    extra: 0,
    partial: 0,
    unclear: 0,
    unclearMessages: [],
    problems: [],
  };
  const { sql } = o;
  const s = `"${o.schema ?? "staging"}"`;
  await sql.unsafe(`CREATE SCHEMA IF NOT EXISTS ${SCRATCH}`);
  await sql.unsafe(
    `CREATE TABLE IF NOT EXISTS ${SCRATCH}.rows (sha256 text NOT NULL, line_no int NOT NULL,
       bad text, ${NAMES.map((c) => `${c} text`).join(", ")})`,
  );
  await sql.unsafe(
    `CREATE INDEX IF NOT EXISTS rows_key ON ${SCRATCH}.rows (sha256, loc, flow_ind)`,
  );
  await sql.unsafe(`ANALYZE ${s}.operational_capacity`);
  const expected = new Map<string, string>();
  for (const e of o.expected ?? []) {
    const sha = await sha256Hex(e.body);
    r.problems.push(...await stageFile(o, sha, e.body));
    expected.set(`${e.asset}|${e.gasDay}|${e.cycle}`, sha);
  }
  const pairs = await sql.unsafe<Pair[]>(
    `SELECT asset, to_char(gas_day, 'YYYY-MM-DD') AS gas_day, cycle FROM ${s}.load_ledger
     UNION SELECT asset, to_char(gas_day, 'YYYY-MM-DD'), cycle FROM ${s}.operational_capacity`,
  );
  const keys = new Set(pairs.map((p) => `${p.asset}|${p.gas_day}|${p.cycle}`));
  for (const k of expected.keys()) {
    if (!keys.has(k)) {
      const [asset, gas_day, cycle] = k.split("|");
      pairs.push({ asset, gas_day, cycle });
    }
  }
  for (const p of pairs) await checkPair(o, p, expected, r);
  await checkLedger(o, r);
  return r;
}

async function checkPair(
  o: CheckOptions,
  p: Pair,
  expected: Map<string, string>,
  r: CheckReport,
): Promise<void> {
  const s = `"${o.schema ?? "staging"}"`;
  const at = `${p.asset} ${p.gas_day} ${p.cycle}`;
  const [latest] = await o.sql.unsafe<Latest[]>(
    `SELECT load_id::int AS load_id, sha256 FROM ${s}.load_ledger
     WHERE asset = $1 AND gas_day = $2::date AND cycle = $3 AND status = 'loaded'
     ORDER BY load_id DESC LIMIT 1`,
    [p.asset, p.gas_day, p.cycle],
  );
  const want = expected.get(`${p.asset}|${p.gas_day}|${p.cycle}`);
  if (want && latest?.sha256 !== want) {
    r.problems.push(
      `${at}: the file posted last (${want.slice(0, 12)}) is not loaded (latest load: ${
        latest ? latest.sha256.slice(0, 12) : "none"
      })`,
    );
  }
  if (latest && !want) {
    // The table must equal the file the ledger names, read back from the archive.
    const body = await archived(o.dataDir, latest.sha256);
    if (!body) r.problems.push(`${at}: archived body of load ${latest.load_id} is missing`);
    else if (await sha256Hex(body) !== latest.sha256) {
      r.problems.push(`${at}: archived body of load ${latest.load_id} does not match its sha256`);
    } else {
      r.problems.push(...await stageFile(o, latest.sha256, body));
      await comparePair(o, p, latest.sha256, latest, r);
    }
    return;
  }
  if (want) return await comparePair(o, p, want, latest, r);
  if (!latest) {
    const [{ n }] = await o.sql.unsafe(
      `SELECT count(*)::int AS n FROM ${s}.operational_capacity
       WHERE asset = $1 AND gas_day = $2::date AND cycle = $3`,
      [p.asset, p.gas_day, p.cycle],
    );
    if (n > 0) {
      r.extra += n;
      r.problems.push(`${at}: ${n} rows but no successful load`);
    }
  }
}
