-- For analysts: the cycles as a table (posting order and NAESB posting time),
-- two views over the current rows (the latest cycle of each location, and the
-- change from one cycle to the next), and a comment on every table, view,
-- column and function of the schema, so `\d+` and any SQL client say what a
-- column means and in which unit. Plain SQL (no extension), for PostgreSQL 15
-- and later. tests/db/comments_test.ts fails when a later migration leaves a
-- column without a comment.

-- Cycles ----------------------------------------------------------------------
-- `cycle` columns hold the label, which sorts alphabetically (Evening, Final,
-- Intraday 1, ...): join this table and sort by `ord`. It must equal CYCLES
-- (src/domain/cycles.ts) and DEFAULT_POSTING_TIMES (src/schedule/calendar.ts);
-- tests/db/analyst_views_test.ts compares them. Not a foreign key of the data
-- tables: their CHECK already limits `cycle` to these labels, and a per-row
-- RI check would cost the bulk load.
CREATE TABLE cycles (
  id           text     PRIMARY KEY CHECK (id ~ '^[a-z0-9]+$'),
  name         text     NOT NULL UNIQUE,
  code         smallint NOT NULL UNIQUE CHECK (code >= 0),
  ord          smallint NOT NULL UNIQUE CHECK (ord BETWEEN 1 AND 6),
  day_offset   smallint NOT NULL CHECK (day_offset BETWEEN -1 AND 1),
  hour         smallint NOT NULL CHECK (hour BETWEEN 0 AND 23),
  minute       smallint NOT NULL CHECK (minute BETWEEN 0 AND 59),
  posting_time text     NOT NULL
);
INSERT INTO cycles (id, name, code, ord, day_offset, hour, minute, posting_time) VALUES
  ('timely',    'Timely',     0, 1, -1, 17,  0, '5:00 pm the day before'),
  ('evening',   'Evening',    1, 2, -1, 21,  0, '9:00 pm the day before'),
  ('intraday1', 'Intraday 1', 3, 3,  0, 13,  0, '1:00 pm the gas day'),
  ('intraday2', 'Intraday 2', 4, 4,  0, 17, 30, '5:30 pm the gas day'),
  ('intraday3', 'Intraday 3', 7, 5,  0, 22,  0, '10:00 pm the gas day'),
  ('final',     'Final',      5, 6,  1, 11,  0, '11:00 am the day after');

-- Views -----------------------------------------------------------------------
-- Both read the current rows and partition by the location's identity, so a
-- filter on asset and gas_day (the primary key's prefix) is pushed into them
-- and reads one day through the key; the whole table costs one sort, never a
-- self-join.

-- Per location of a gas day, the row of the latest cycle that has it. A
-- location absent from a later file (searchType NOM lists only scheduled
-- ones) keeps its earlier cycle's row: `cycle` says which.
CREATE VIEW capacity_latest AS
  SELECT DISTINCT ON (c.asset, c.gas_day, c.source, c.loc, c.flow_ind)
         c.asset, c.gas_day, c.source, c.loc, c.flow_ind, c.cycle, y.ord AS cycle_ord,
         c.loc_zn, c.loc_name, c.loc_purp_desc, c.loc_qti, c.dc, c.opc, c.tsq, c.oac,
         round(c.tsq::numeric / nullif(c.opc, 0), 4) AS utilisation,
         c.it, c.auth_overrun_ind, c.nom_cap_exceed_ind, c.all_qty_avail, c.qty_reason,
         c.load_id, c.updated_at
  FROM operational_capacity c JOIN cycles y ON y.name = c.cycle
  ORDER BY c.asset, c.gas_day, c.source, c.loc, c.flow_ind, y.ord DESC;

-- Per location and cycle, the change from the location's previous cycle of the
-- same gas day. The first cycle of a location's day is included, with NULL
-- previous values and deltas: it is where the day's figures start, and any
-- filter on a delta (`opc_change <> 0`) leaves it out anyway.
CREATE VIEW capacity_changes AS
  SELECT asset, gas_day, source, loc, flow_ind, cycle, cycle_ord, prev_cycle, loc_zn, loc_name,
         prev_opc, opc, opc - prev_opc AS opc_change,
         prev_tsq, tsq, tsq - prev_tsq AS tsq_change,
         prev_oac, oac, oac - prev_oac AS oac_change,
         round(prev_tsq::numeric / nullif(prev_opc, 0), 4) AS prev_utilisation,
         round(tsq::numeric / nullif(opc, 0), 4) AS utilisation,
         prev_load_id, load_id
  FROM (
    SELECT c.asset, c.gas_day, c.source, c.loc, c.flow_ind, c.cycle, y.ord AS cycle_ord,
           c.loc_zn, c.loc_name, c.opc, c.tsq, c.oac, c.load_id,
           lag(c.cycle) OVER w AS prev_cycle, lag(c.opc) OVER w AS prev_opc,
           lag(c.tsq) OVER w AS prev_tsq, lag(c.oac) OVER w AS prev_oac,
           lag(c.load_id) OVER w AS prev_load_id
    FROM operational_capacity c JOIN cycles y ON y.name = c.cycle
    WINDOW w AS (PARTITION BY c.asset, c.gas_day, c.source, c.loc, c.flow_ind ORDER BY y.ord)
  ) s;

-- Comments: tables --------------------------------------------------------------
COMMENT ON TABLE schema_migrations IS
  'Migrations applied to this schema (sql/NNN_*.sql, embedded in the program), one row each.';
COMMENT ON COLUMN schema_migrations.version IS 'Migration number, NNN of the file name.';
COMMENT ON COLUMN schema_migrations.name IS 'File name without .sql, e.g. 001_init.';
COMMENT ON COLUMN schema_migrations.checksum IS
  'sha256 (hex) of the migration text as applied; an edited applied migration is an error.';
COMMENT ON COLUMN schema_migrations.applied_at IS 'When the migration was applied.';

COMMENT ON TABLE cycles IS
  'The six nomination cycles: label, Energy Transfer code, posting order and the NAESB WGQ '
  'posting time in Central Clock Time. Join on name = cycle and ORDER BY ord to sort cycles '
  '(the labels sort alphabetically).';
COMMENT ON COLUMN cycles.id IS
  'Identifier used in config.yaml and --params cycle=..., e.g. intraday1.';
COMMENT ON COLUMN cycles.name IS
  'Label as stored in every cycle column, e.g. Intraday 1.';
COMMENT ON COLUMN cycles.code IS
  'Energy Transfer''s cycle= request code: 0 Timely, 1 Evening, 3 Intraday 1, 4 Intraday 2, '
  '7 Intraday 3, 5 Final (2 and 6 unused).';
COMMENT ON COLUMN cycles.ord IS 'Posting order within a gas day, 1 (Timely) to 6 (Final).';
COMMENT ON COLUMN cycles.day_offset IS
  'Day of the posting relative to the gas day''s date: -1 the day before, 0 the gas day, 1 the '
  'day after.';
COMMENT ON COLUMN cycles.hour IS
  'Hour (0-23) of the expected posting, Central Clock Time (America/Chicago, DST applies).';
COMMENT ON COLUMN cycles.minute IS
  'Minute (0-59) of the expected posting, Central Clock Time.';
COMMENT ON COLUMN cycles.posting_time IS
  'The expected posting time in words, e.g. 5:00 pm the day before. Scheduled quantities per '
  'the NAESB WGQ timeline; Final has no published time (seen by late morning the day after).';

COMMENT ON TABLE load_ledger IS
  'One row per file the program tried to load. A successful load writes its row in the same '
  'transaction as its data; each distinct loaded file of a pair is a version.';
COMMENT ON COLUMN load_ledger.load_id IS 'Identity of the load; rows name it in their load_id.';
COMMENT ON COLUMN load_ledger.source IS 'Configured source (sources[].name) that fetched the file.';
COMMENT ON COLUMN load_ledger.report IS
  'Report of the file, e.g. operationally-available (and so the table its rows went to).';
COMMENT ON COLUMN load_ledger.asset IS 'Pipeline asset code, e.g. TW (Transwestern).';
COMMENT ON COLUMN load_ledger.gas_day IS
  'Gas day of the request (9:00 am to 9:00 am Central, named by the date it starts).';
COMMENT ON COLUMN load_ledger.cycle IS 'Cycle label of the request (see cycles.name).';
COMMENT ON COLUMN load_ledger.url IS 'URL fetched, without credentials or secret parameters.';
COMMENT ON COLUMN load_ledger.sha256 IS
  'sha256 (hex) of the file''s bytes; names the raw archive file data_dir/raw/<2 hex>/<sha256>.body.';
COMMENT ON COLUMN load_ledger.bytes IS 'Size of the file, bytes.';
COMMENT ON COLUMN load_ledger.rows_read IS 'Data rows read from the file (header excluded).';
COMMENT ON COLUMN load_ledger.inserted IS 'Rows this load inserted (keys new to the pair).';
COMMENT ON COLUMN load_ledger.updated IS 'Rows this load changed.';
COMMENT ON COLUMN load_ledger.unchanged IS 'Rows of the file already stored with the same values.';
COMMENT ON COLUMN load_ledger.quarantined IS 'Rows of the file sent to quarantine.';
COMMENT ON COLUMN load_ledger.status IS
  'loading (in progress), loaded, failed, or replaced (a version a rebuild derived again; kept '
  'for the audit trail, no longer a version).';
COMMENT ON COLUMN load_ledger.error IS 'Why a failed load failed (one line).';
COMMENT ON COLUMN load_ledger.forced IS 'Loaded with --force (the same-bytes check skipped).';
COMMENT ON COLUMN load_ledger.started_at IS 'When the load began.';
COMMENT ON COLUMN load_ledger.finished_at IS 'When the load committed or failed.';
COMMENT ON COLUMN load_ledger.terminal IS
  'A failure the same bytes will hit again (a missing header, say): a re-fetch of these bytes '
  'is answered from the ledger, not loaded again. Only on failed rows.';
COMMENT ON COLUMN load_ledger.first_seen_at IS
  'When this version (file) of the pair was first fetched; its rows are valid from then.';
COMMENT ON COLUMN load_ledger.last_seen_at IS
  'When the same file was last fetched unchanged.';
COMMENT ON COLUMN load_ledger.superseded_at IS
  'When the pair''s next version appeared; NULL while this version is current.';
COMMENT ON COLUMN load_ledger.deleted IS
  'Rows of the pair''s previous version this file no longer has (kept, closed, in '
  'operational_capacity_retired).';


COMMENT ON TABLE quarantine IS
  'Rows of a file that could not be loaded, with enough to find and fix them (the rest of the '
  'file loads).';
COMMENT ON COLUMN quarantine.id IS 'Identity of the quarantined row.';
COMMENT ON COLUMN quarantine.load_id IS 'The load (load_ledger.load_id) whose file held the row.';
COMMENT ON COLUMN quarantine.source IS 'Configured source of the load.';
COMMENT ON COLUMN quarantine.report IS 'Report of the load, e.g. operationally-available.';
COMMENT ON COLUMN quarantine.asset IS 'Pipeline asset code of the load, e.g. TW.';
COMMENT ON COLUMN quarantine.gas_day IS 'Gas day of the load.';
COMMENT ON COLUMN quarantine.cycle IS 'Cycle label of the load (see cycles.name).';
COMMENT ON COLUMN quarantine.sha256 IS 'sha256 (hex) of the file (its raw archive name).';
COMMENT ON COLUMN quarantine.line_no IS 'Physical line of the record in the file, 1 = header.';
COMMENT ON COLUMN quarantine.raw_line IS
  'The record as published, made storable: NUL shown as U+2400, invalid UTF-8 as U+FFFD.';
COMMENT ON COLUMN quarantine.reason IS 'Why the row was refused, naming the column and field.';
COMMENT ON COLUMN quarantine.created_at IS 'When the row was quarantined.';

COMMENT ON TABLE poll_state IS
  'The daemon''s memory per pair (source, report, gas_day, cycle): what it knows and when to '
  'look again; shared by replicas, kept across restarts.';
COMMENT ON COLUMN poll_state.source IS 'Configured source.';
COMMENT ON COLUMN poll_state.report IS 'Report, e.g. operationally-available.';
COMMENT ON COLUMN poll_state.asset IS 'Pipeline asset code, e.g. TW.';
COMMENT ON COLUMN poll_state.gas_day IS 'Gas day.';
COMMENT ON COLUMN poll_state.cycle IS 'Cycle label (see cycles.name).';
COMMENT ON COLUMN poll_state.status IS
  'pending (claimed, no answer yet), not_posted (asked, no data yet), loaded (loaded or '
  'unchanged), failed (a fetch or load failed; retried).';
COMMENT ON COLUMN poll_state.attempts IS
  'Consecutive answers without data (not posted, or failed); 0 once loaded.';
COMMENT ON COLUMN poll_state.first_checked_at IS 'When the pair was first asked for.';
COMMENT ON COLUMN poll_state.last_checked_at IS 'When the pair was last asked for.';
COMMENT ON COLUMN poll_state.next_check_at IS 'When the pair is due to be asked for again.';
COMMENT ON COLUMN poll_state.last_sha256 IS 'sha256 (hex) of the last file loaded for the pair.';
COMMENT ON COLUMN poll_state.last_error IS 'The last failure (one line, no secrets).';
COMMENT ON COLUMN poll_state.claim_token IS
  'Token of the sweep that holds the pair (its lease is renewed while it runs); NULL when nobody '
  'does.';

COMMENT ON TABLE operational_capacity IS
  'Operationally available capacity as currently posted: the latest file''s rows, one per '
  '(asset, gas_day, cycle, source, loc, flow_ind). Quantities in Dth/d; a missing quantity is '
  'NULL, never 0; text verbatim.';
COMMENT ON TABLE operational_capacity_retired IS
  'Row versions no longer current: a row as a version wrote it, valid from valid_from until the '
  'version that changed or dropped it (valid_to, load_id_to). Quantities in Dth/d.';

-- The identity and the 15 report columns mean the same in the table, its
-- retired versions and every view over them: one list keeps them equal. A name
-- a relation lacks is skipped (tests/db/comments_test.ts catches a column left
-- without a comment); the columns proper to each follow.
DO $$
DECLARE
  rel text;
  col record;
BEGIN
  FOREACH rel IN ARRAY ARRAY['operational_capacity', 'operational_capacity_retired',
                             'operational_capacity_history', 'capacity_latest', 'capacity_changes']
  LOOP
    FOR col IN SELECT * FROM (VALUES
      ('asset', 'Pipeline asset code, e.g. TW (Transwestern).'),
      ('gas_day', 'Gas day (9:00 am to 9:00 am Central, named by the date it starts), from the '
        'request (the file carries none).'),
      ('cycle', 'Cycle label (see cycles.name): Timely, Evening, Intraday 1, Intraday 2, '
        'Intraday 3, Final. Sorts alphabetically: order by cycles.ord.'),
      ('source', 'Configured source (sources[].name) whose file the row came from.'),
      ('loc', 'Location (Loc), text: digits on TW, letters or leading zeros elsewhere.'),
      ('loc_zn', 'Location zone (Loc Zn).'),
      ('loc_name', 'Location name (Loc Name), verbatim (leading or doubled spaces kept).'),
      ('loc_purp_desc', 'Location purpose (Loc Purp Desc): MQ delivery, M2 receipt.'),
      ('loc_qti', 'Location quantity type indicator (Loc/QTI): DPQ delivery, RPQ receipt.'),
      ('flow_ind', 'Flow direction (Flow Ind): D delivery, R receipt (B, BD elsewhere); a '
        'location that is both has a row for each.'),
      ('dc', 'Design capacity (DC), Dth/d; NULL when not posted.'),
      ('opc', 'Operating capacity (OPC), Dth/d; NULL when not posted.'),
      ('tsq', 'Total scheduled quantity (TSQ), Dth/d; NULL when not posted.'),
      ('oac', 'Operationally available capacity (OAC), Dth/d: OPC - TSQ on complete TW rows '
        '(floored at 0 on some pipelines); NULL when not posted.'),
      ('it', 'Interruptible service available (IT): Y or N.'),
      ('auth_overrun_ind', 'Authorised overrun available (Auth Overrun Ind): Y or N.'),
      ('nom_cap_exceed_ind', 'Nominations exceed capacity (Nom Cap Exceed Ind): Y or N.'),
      ('all_qty_avail', 'All quantities available (All Qty Avail): N when a quantity is missing.'),
      ('qty_reason', 'Which quantities are missing (Qty Reason), ;-separated, verbatim.'),
      ('load_id', 'The load (load_ledger.load_id) that wrote these values.')
    ) AS t(name, text)
    LOOP
      IF EXISTS (SELECT 1 FROM pg_attribute
                 WHERE attrelid = to_regclass(quote_ident(rel)) AND attname = col.name
                   AND attnum > 0 AND NOT attisdropped) THEN
        EXECUTE format('COMMENT ON COLUMN %I.%I IS %L', rel, col.name, col.text);
      END IF;
    END LOOP;
  END LOOP;
END
$$;

COMMENT ON COLUMN operational_capacity.load_id IS
  'The load (load_ledger.load_id) that last wrote this row''s values (and so the raw file).';
COMMENT ON COLUMN operational_capacity.first_loaded_at IS 'When the row was first inserted.';
COMMENT ON COLUMN operational_capacity.updated_at IS 'When the row''s values last changed.';

COMMENT ON COLUMN operational_capacity_retired.load_id IS
  'The version (load_ledger.load_id) that wrote this row version.';
COMMENT ON COLUMN operational_capacity_retired.valid_from IS
  'From when this row version was posted (its version''s first sighting).';
COMMENT ON COLUMN operational_capacity_retired.valid_to IS
  'Until when: the first sighting of the version that changed or dropped it (exclusive).';
COMMENT ON COLUMN operational_capacity_retired.load_id_to IS
  'The version (load_ledger.load_id) that changed or dropped it.';

COMMENT ON VIEW operational_capacity_history IS
  'Every row version of operational_capacity: the current rows (valid_to NULL) and the retired '
  'ones, each valid from valid_from (inclusive) to valid_to (exclusive). Quantities in Dth/d.';
COMMENT ON COLUMN operational_capacity_history.valid_from IS
  'From when the row version was posted: its version''s first sighting (inclusive).';
COMMENT ON COLUMN operational_capacity_history.valid_to IS
  'Until when (exclusive); NULL for a current row.';
COMMENT ON COLUMN operational_capacity_history.load_id_from IS
  'The version (load_ledger.load_id) that wrote this row version.';
COMMENT ON COLUMN operational_capacity_history.load_id_to IS
  'The version that changed or dropped it; NULL for a current row.';

COMMENT ON FUNCTION capacity_as_of(text, date, text, timestamptz, text) IS
  'The capacity of (asset, gas day, cycle) as known at time T: capacity_as_of(p_asset, '
  'p_gas_day, p_cycle, p_at, p_source DEFAULT NULL) returns the operational_capacity_history '
  'rows valid at p_at (valid_from <= p_at < valid_to), of every source unless p_source names '
  'one, ordered by source, loc, flow_ind. Empty before the pair''s first file was seen.';

COMMENT ON VIEW capacity_latest IS
  'Per location (asset, gas_day, source, loc, flow_ind), the current row of the latest cycle '
  '(by cycles.ord) that has it, with utilisation. Filter on asset and gas_day to read one day '
  'through the primary key. Quantities in Dth/d.';
COMMENT ON COLUMN capacity_latest.cycle IS
  'The latest cycle (by cycles.ord) of the gas day that has this location.';
COMMENT ON COLUMN capacity_latest.cycle_ord IS 'cycles.ord of cycle: 1 Timely to 6 Final.';
COMMENT ON COLUMN capacity_latest.utilisation IS
  'tsq / opc as a fraction (0.25 = 25 %), rounded to 4 places; NULL when opc is 0 or NULL or '
  'tsq is NULL.';
COMMENT ON COLUMN capacity_latest.updated_at IS 'When the row''s values last changed.';

COMMENT ON VIEW capacity_changes IS
  'Per location (asset, gas_day, source, loc, flow_ind) and cycle, the change of opc, tsq and '
  'oac from the location''s previous cycle of the same gas day (by cycles.ord). The first cycle '
  'of a location''s day is included with NULL previous values and deltas. Filter on asset and '
  'gas_day to read one day through the primary key. Quantities in Dth/d.';
COMMENT ON COLUMN capacity_changes.cycle_ord IS 'cycles.ord of cycle: 1 Timely to 6 Final.';
COMMENT ON COLUMN capacity_changes.prev_cycle IS
  'The location''s previous cycle of the gas day (by cycles.ord); NULL for its first.';
COMMENT ON COLUMN capacity_changes.prev_opc IS 'opc of prev_cycle, Dth/d.';
COMMENT ON COLUMN capacity_changes.opc_change IS
  'opc - prev_opc, Dth/d; NULL when either is NULL.';
COMMENT ON COLUMN capacity_changes.prev_tsq IS 'tsq of prev_cycle, Dth/d.';
COMMENT ON COLUMN capacity_changes.tsq_change IS
  'tsq - prev_tsq, Dth/d; NULL when either is NULL.';
COMMENT ON COLUMN capacity_changes.prev_oac IS 'oac of prev_cycle, Dth/d.';
COMMENT ON COLUMN capacity_changes.oac_change IS
  'oac - prev_oac, Dth/d; NULL when either is NULL.';
COMMENT ON COLUMN capacity_changes.prev_utilisation IS
  'prev_tsq / prev_opc as a fraction, rounded to 4 places; NULL when prev_opc is 0 or NULL.';
COMMENT ON COLUMN capacity_changes.utilisation IS
  'tsq / opc as a fraction (0.25 = 25 %), rounded to 4 places; NULL when opc is 0 or NULL or '
  'tsq is NULL.';
COMMENT ON COLUMN capacity_changes.prev_load_id IS 'The load that wrote prev_cycle''s values.';
COMMENT ON COLUMN capacity_changes.load_id IS 'The load that wrote this cycle''s values.';
