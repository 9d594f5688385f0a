-- Parameters ignored: a file carries no gas day or cycle, so when requests
-- of one source for different (gas day, cycle) pairs get the very same bytes,
-- the site may have ignored the parameters and answered its latest posting
-- (one public scraper says the messenger endpoint does; another found them
-- honoured). The loader records it on the later version instead of trusting
-- the stamp silently; the log, a metric and /status say so too.
ALTER TABLE load_ledger ADD COLUMN same_bytes_as bigint;
-- /status counts the flagged versions per source.
CREATE INDEX load_ledger_same_bytes_idx ON load_ledger (source, load_id)
  WHERE same_bytes_as IS NOT NULL;

COMMENT ON COLUMN load_ledger.same_bytes_as IS
  'Set when this version''s bytes (sha256) equal those of an earlier loaded version of another '
  '(gas_day, cycle) of the same source and report: the load_id of the earliest such version. '
  'The site may have ignored the gas day or cycle asked for, so the rows may be stamped with a '
  'day or cycle they are not. NULL otherwise.';
