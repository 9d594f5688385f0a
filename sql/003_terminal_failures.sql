-- A failed load whose cause the same bytes will hit again (a missing or
-- repeated header, say) is marked terminal: the loader then answers a re-fetch
-- of those bytes from the ledger instead of loading them, and writing, again.
-- Rows written before this migration stay non-terminal (retried once more).
ALTER TABLE load_ledger ADD COLUMN terminal boolean NOT NULL DEFAULT false;
ALTER TABLE load_ledger ADD CONSTRAINT load_ledger_terminal_failed
  CHECK (NOT terminal OR status = 'failed');
-- The loader's lookup: a terminal failure of this pair with these bytes.
CREATE INDEX load_ledger_terminal_idx ON load_ledger (asset, gas_day, cycle, sha256, load_id DESC)
  WHERE terminal;
