/**
 * Every table, view, column and function of the schema carries a comment
 * (migration 007 writes them), so a later migration that adds one without a
 * comment fails here.
 */
import assert from "node:assert/strict";
import type { Queryable } from "../../src/db/database.ts";
import { migrate } from "../../src/db/migrate.ts";
import { freshDatabase } from "../support/db.ts";

interface Described {
  /** `table t`, `column t.c` or `function f(args)`. */
  what: string;
  /** The comment, or null when there is none. */
  comment: string | null;
}

/** Every table, view, column and function of `schema` with its comment. */
async function described(db: Queryable, schema: string): Promise<Described[]> {
  const relations = await db.query<Described>(
    `SELECT CASE WHEN c.relkind = 'v' THEN 'view ' ELSE 'table ' END || c.relname AS what,
            obj_description(c.oid, 'pg_class') AS comment
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'f')`,
    [schema],
  );
  const columns = await db.query<Described>(
    `SELECT 'column ' || c.table_name || '.' || c.column_name AS what,
            col_description(format('%I.%I', c.table_schema, c.table_name)::regclass,
                            c.ordinal_position::int) AS comment
     FROM information_schema.columns c
     WHERE c.table_schema = $1`,
    [schema],
  );
  const functions = await db.query<Described>(
    `SELECT 'function ' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')' AS what,
            obj_description(p.oid, 'pg_proc') AS comment
     FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE n.nspname = $1`,
    [schema],
  );
  return [...relations, ...columns, ...functions];
}

/** What lacks a comment (none, or only blanks). */
function uncommented(all: Described[]): string[] {
  return all.filter((d) => !d.comment?.trim()).map((d) => d.what).sort();
}

Deno.test("every table, view, column and function of the schema has a comment", async () => {
  const t = await freshDatabase();
  try {
    // The default schema and another name: the comments follow search_path.
    for (const schema of ["staging", "tec_other"]) {
      await migrate(t.db, { schema });
      const all = await described(t.db, schema);
      const seen = new Set(all.map((d) => d.what));
      // The check must see what it checks: a query that found nothing would pass.
      for (
        const known of [
          "table operational_capacity",
          "table schema_migrations",
          "table cycles",
          "view capacity_latest",
          "view operational_capacity_history",
          "column capacity_changes.oac_change",
          "column poll_state.claim_token",
        ]
      ) {
        assert.ok(seen.has(known), `${schema}: ${known} not listed`);
      }
      assert.ok(
        all.some((d) => d.what.startsWith("function capacity_as_of(")),
        `${schema}: capacity_as_of not listed`,
      );
      assert.deepEqual(uncommented(all), [], `${schema}: without a comment`);
    }
  } finally {
    await t.drop();
  }
});

Deno.test("quantity columns state their unit, Dth/d", async () => {
  const t = await freshDatabase();
  try {
    await migrate(t.db, { schema: "staging" });
    const quantities = (await described(t.db, "staging")).filter((d) =>
      /^column \w+\.(prev_)?(dc|opc|tsq|oac)(_change)?$/.test(d.what)
    );
    // dc/opc/tsq/oac in the table, its retired versions and the history, plus the views'.
    assert.ok(quantities.length >= 4 * 3 + 4 + 9, `only ${quantities.length} quantity columns`);
    const unitless = quantities.filter((d) => !d.comment?.includes("Dth/d")).map((d) => d.what);
    assert.deepEqual(unitless, []);
  } finally {
    await t.drop();
  }
});

Deno.test("a table or column added without a comment is reported", async () => {
  const t = await freshDatabase();
  try {
    await migrate(t.db, { schema: "staging" });
    await t.db.query("CREATE TABLE staging.added_later (id int, note text)");
    await t.db.query("COMMENT ON COLUMN staging.added_later.id IS 'Commented.'");
    await t.db.query("COMMENT ON COLUMN staging.added_later.note IS '  '");
    await t.db.query("CREATE VIEW staging.added_view AS SELECT 1 AS one");
    await t.db.query(
      "CREATE FUNCTION staging.added_fn(int) RETURNS int LANGUAGE sql AS 'SELECT $1'",
    );
    assert.deepEqual(uncommented(await described(t.db, "staging")), [
      "column added_later.note",
      "column added_view.one",
      "function added_fn(integer)",
      "table added_later",
      "view added_view",
    ]);
  } finally {
    await t.drop();
  }
});
