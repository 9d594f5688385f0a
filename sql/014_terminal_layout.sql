-- A terminal failure is a verdict on bytes as one layout reads them: a
-- release that reads a header it did not (FGT's split TSQ), or a source's new
-- `header_aliases`, reads the same bytes differently. The loader records the
-- fingerprint of the layout it read with and takes a terminal failure as a
-- verdict only under the same fingerprint. Failures recorded before this
-- migration have none: their bytes get one more try, as in migration 003.
ALTER TABLE load_ledger ADD COLUMN layout_sha text
  CHECK (layout_sha IS NULL OR layout_sha ~ '^[0-9a-f]{16}$');

COMMENT ON COLUMN load_ledger.layout_sha IS
  'Of a failed load: fingerprint (16 hex digits) of the layout the file was read with, the '
  'source''s header aliases included. A terminal failure is a verdict on its bytes only for '
  'loads read with the same layout. NULL for a loaded file and for failures recorded before '
  'migration 014.';
