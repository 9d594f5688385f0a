/**
 * `db copy-to`: move an embedded store into a PostgreSQL server, for a user
 * who outgrows one process. Every table of the schema (except the migration
 * record and the rebuild's working set, which the target keeps for itself),
 * in foreign-key order, in one transaction on the target: all or nothing.
 *
 * Idempotent, and safe for the target: a table is copied only into an empty
 * one; a table that already holds exactly the source's rows (a copy run
 * before, a table the migrations fill) is left as it is; any other content
 * stops the copy before anything is written. Every table is then verified:
 * the same row count and the same fingerprint (an order-free hash of every
 * row's text) on both sides, or the transaction is rolled back.
 *
 * @module
 */
import { type Database, type Queryable, quoteIdent, type Transaction } from "./database.ts";
import { copyOut } from "./pglite.ts";

/** What happened to one table. */
export interface TableCopy {
  /** Table name. */
  table: string;
  /** Its rows (the same on both sides afterwards). */
  rows: number;
  /** `copied`, or `present` (the target already held exactly these rows). */
  status: "copied" | "present";
}

/** The target holds other rows: nothing was written. */
export class CopyConflictError extends Error {
  /** Build the error. */
  constructor(readonly table: string, source: number, target: number) {
    super(
      `the target's ${table} already holds other rows (${target}; the embedded store has ` +
        `${source}): copy-to fills an empty schema, or one that is already a copy of this store. ` +
        "Nothing was written",
    );
    this.name = "CopyConflictError";
  }
}

/** Not copied: the target's own record of its migrations, and a rebuild's working set. */
const NOT_COPIED = new Set(["schema_migrations", "rebuild_request"]);

/** Base tables of `schema`, parents before the tables that reference them. */
async function tablesInOrder(db: Queryable, schema: string): Promise<string[]> {
  const rows = await db.query<{ name: string; parents: string[] }>(
    `SELECT c.relname AS name,
       coalesce(array_agg(p.relname) FILTER (WHERE p.relname IS NOT NULL AND p.oid <> c.oid),
                '{}') AS parents
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     LEFT JOIN pg_constraint f ON f.conrelid = c.oid AND f.contype = 'f'
     LEFT JOIN pg_class p ON p.oid = f.confrelid
     WHERE n.nspname = $1 AND c.relkind = 'r' GROUP BY c.relname ORDER BY c.relname`,
    [schema],
  );
  const order: string[] = [];
  const pending = new Map(rows.map((r) => [r.name, new Set(r.parents)]));
  while (pending.size > 0) {
    const ready = [...pending].filter(([, ps]) => [...ps].every((p) => !pending.has(p)));
    if (ready.length === 0) throw new Error(`foreign keys of ${schema} form a cycle`);
    for (const [name] of ready) {
      order.push(name);
      pending.delete(name);
    }
  }
  return order.filter((t) => !NOT_COPIED.has(t));
}

async function columnsOf(db: Queryable, schema: string, table: string): Promise<string[]> {
  const rows = await db.query<{ name: string }>(
    `SELECT a.attname AS name FROM pg_attribute a
     WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped
       AND a.attgenerated = '' ORDER BY a.attnum`,
    [`${quoteIdent(schema)}.${quoteIdent(table)}`],
  );
  return rows.map((r) => quoteIdent(r.name));
}

/** Rows and an order-free hash of their text (UTC, ISO dates on both sides). */
async function fingerprint(db: Queryable, table: string, columns: string[]) {
  const [r] = await db.query<{ n: number; h: string }>(
    `SELECT count(*)::int AS n,
       coalesce(sum(hashtextextended(ROW(${columns.join(", ")})::text, 0)::numeric), 0)::text AS h
     FROM ${table}`,
  );
  return r;
}

/** Identity columns of the copied tables continue after the highest copied value. */
async function advanceIdentities(tx: Transaction, schema: string, tables: string[]) {
  const ids = await tx.query<{ tbl: string; col: string }>(
    `SELECT c.relname AS tbl, a.attname AS col FROM pg_attribute a
     JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND a.attidentity <> '' AND c.relname = ANY($2::text[])`,
    [schema, tables],
  );
  for (const { tbl, col } of ids) {
    const t = `${quoteIdent(schema)}.${quoteIdent(tbl)}`;
    await tx.query(
      `SELECT setval(pg_get_serial_sequence($1, $2), max(${quoteIdent(col)})) FROM ${t}
       HAVING max(${quoteIdent(col)}) IS NOT NULL`,
      [t, col],
    );
  }
}

/**
 * Copy the embedded `source`'s schema into `target` (both migrated to the
 * same version by the caller), in one transaction on the target.
 *
 * @throws {CopyConflictError} when a target table holds other rows (nothing is written)
 */
export async function copyStore(
  source: Database,
  target: Database,
  schema: string,
  onTable?: (t: TableCopy) => void,
): Promise<TableCopy[]> {
  const tables = await tablesInOrder(source, schema);
  return await target.transaction(async (tx) => {
    await tx.query("SET LOCAL TimeZone = 'UTC'");
    await tx.query("SET LOCAL DateStyle = 'ISO, YMD'");
    const done: TableCopy[] = [];
    for (const table of tables) {
      const t = await copyTable(source, tx, schema, table);
      done.push(t);
      onTable?.(t);
    }
    await advanceIdentities(
      tx,
      schema,
      done.filter((t) => t.status === "copied").map((t) => t.table),
    );
    return done;
  });
}

async function copyTable(
  source: Database,
  tx: Transaction,
  schema: string,
  table: string,
): Promise<TableCopy> {
  const name = `${quoteIdent(schema)}.${quoteIdent(table)}`;
  const columns = await columnsOf(source, schema, table);
  const [from, before] = [
    await fingerprint(source, name, columns),
    await fingerprint(tx, name, columns),
  ];
  // Both empty counts as present: a second run reports nothing copied.
  if (before.n === from.n && before.h === from.h) {
    return { table, rows: from.n, status: "present" };
  }
  if (before.n > 0) throw new CopyConflictError(table, from.n, before.n);
  await tx.copyIn(
    `COPY ${name} (${columns.join(", ")}) FROM STDIN`,
    copyOut(source, name, columns),
  );
  const after = await fingerprint(tx, name, columns);
  if (after.n !== from.n || after.h !== from.h) {
    throw new Error(
      `${table}: the copy does not match the embedded store (${after.n} rows against ${from.n})`,
    );
  }
  return { table, rows: from.n, status: "copied" };
}
