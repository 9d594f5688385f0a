-- The messenger report family (PEPL, TGC, ROVER, SER, GR: the
-- operationally-available-by-location report, 21 columns) in a table of its
-- own, with its retired row versions and history view exactly as family A's
-- (the loader is the same, generic over the layout), and one view,
-- `capacity`, over the columns every family shares, for the dashboard, the
-- export and analysts. Nothing existing is changed.

-- Rows ------------------------------------------------------------------------
CREATE TABLE messenger_capacity (
  asset              text    NOT NULL,
  gas_day            date    NOT NULL,
  cycle              text    NOT NULL CHECK (cycle IN ('Timely', 'Evening', 'Intraday 1',
                                                       'Intraday 2', 'Intraday 3', 'Final')),
  source             text    NOT NULL,
  loc                text    NOT NULL,
  loc_name           text,
  loc_purp_desc      text,
  loc_purp_desc_raw  text,
  loc_qti            text,
  dc                 bigint  CHECK (dc >= 0),
  opc                bigint  CHECK (opc >= 0),
  tsq                bigint  CHECK (tsq >= 0),
  oac                bigint  CHECK (oac >= 0),
  loc_zn             text,
  it                 text,
  flow_ind           text    NOT NULL,
  state              text,
  county             text,
  operator           text,
  oba                text,
  g_t                text,
  miles              bigint,
  egm                text,
  flw_cntl           text,
  all_qty_avail      text,
  qty_reason         text,
  -- As in operational_capacity: neither a foreign key nor indexed (bulk loads).
  load_id            bigint      NOT NULL,
  first_loaded_at    timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (asset, gas_day, cycle, source, loc, flow_ind)
);

CREATE TABLE messenger_capacity_retired (
  asset              text        NOT NULL,
  gas_day            date        NOT NULL,
  cycle              text        NOT NULL,
  source             text        NOT NULL,
  loc                text        NOT NULL,
  loc_name           text,
  loc_purp_desc      text,
  loc_purp_desc_raw  text,
  loc_qti            text,
  dc                 bigint,
  opc                bigint,
  tsq                bigint,
  oac                bigint,
  loc_zn             text,
  it                 text,
  flow_ind           text        NOT NULL,
  state              text,
  county             text,
  operator           text,
  oba                text,
  g_t                text,
  miles              bigint,
  egm                text,
  flw_cntl           text,
  all_qty_avail      text,
  qty_reason         text,
  load_id            bigint      NOT NULL,
  valid_from         timestamptz NOT NULL,
  valid_to           timestamptz NOT NULL,
  load_id_to         bigint      NOT NULL
);
CREATE INDEX messenger_capacity_retired_pair_idx
  ON messenger_capacity_retired (asset, gas_day, cycle, source, valid_from);

CREATE VIEW messenger_capacity_history AS
  SELECT c.asset, c.gas_day, c.cycle, c.source, c.loc, c.loc_name, c.loc_purp_desc,
         c.loc_purp_desc_raw, c.loc_qti, c.dc, c.opc, c.tsq, c.oac, c.loc_zn, c.it, c.flow_ind,
         c.state, c.county, c.operator, c.oba, c.g_t, c.miles, c.egm, c.flw_cntl,
         c.all_qty_avail, c.qty_reason,
         coalesce(l.first_seen_at, l.started_at) AS valid_from, NULL::timestamptz AS valid_to,
         c.load_id AS load_id_from, NULL::bigint AS load_id_to
  FROM messenger_capacity c JOIN load_ledger l ON l.load_id = c.load_id
  UNION ALL
  SELECT r.asset, r.gas_day, r.cycle, r.source, r.loc, r.loc_name, r.loc_purp_desc,
         r.loc_purp_desc_raw, r.loc_qti, r.dc, r.opc, r.tsq, r.oac, r.loc_zn, r.it, r.flow_ind,
         r.state, r.county, r.operator, r.oba, r.g_t, r.miles, r.egm, r.flw_cntl,
         r.all_qty_avail, r.qty_reason,
         r.valid_from, r.valid_to, r.load_id AS load_id_from, r.load_id_to
  FROM messenger_capacity_retired r;

-- Every family --------------------------------------------------------------------
-- The shared columns of every report table, current rows. A filter on asset
-- and gas_day reaches each table's primary key (UNION ALL pushes it down).
-- A later family adds its table here with CREATE OR REPLACE VIEW.
CREATE VIEW capacity AS
  SELECT 'operationally-available'::text AS report, asset, gas_day, cycle, source, loc,
         loc_name AS name, loc_zn AS zone, flow_ind AS flow, loc_purp_desc AS purpose,
         dc, opc, tsq, oac, round(tsq::numeric / nullif(opc, 0), 4) AS utilisation,
         load_id, updated_at
  FROM operational_capacity
  UNION ALL
  SELECT 'operationally-available-by-location'::text, asset, gas_day, cycle, source, loc,
         loc_name, loc_zn, flow_ind, loc_purp_desc,
         dc, opc, tsq, oac, round(tsq::numeric / nullif(opc, 0), 4),
         load_id, updated_at
  FROM messenger_capacity;

-- Comments ----------------------------------------------------------------------
COMMENT ON TABLE messenger_capacity IS
  'Operationally available capacity by location (messenger family: PEPL, TGC, ROVER, SER, GR) '
  'as currently posted: the latest file''s rows, one per (asset, gas_day, cycle, source, loc, '
  'flow_ind). Cells trimmed of their space padding; quantities in Dth/d, a missing one NULL, '
  'never 0.';
COMMENT ON TABLE messenger_capacity_retired IS
  'Row versions of messenger_capacity no longer current: a row as a version wrote it, valid '
  'from valid_from until the version that changed or dropped it (valid_to, load_id_to).';
COMMENT ON VIEW messenger_capacity_history IS
  'Every row version of messenger_capacity: the current rows (valid_to NULL) and the retired '
  'ones, each valid from valid_from (inclusive) to valid_to (exclusive). Quantities in Dth/d.';
COMMENT ON VIEW capacity IS
  'The columns every report family shares, over the current rows of each family''s table '
  '(operational_capacity, messenger_capacity): one row per (report, asset, gas_day, cycle, '
  'source, loc, flow). Quantities in Dth/d. Filter on asset and gas_day to read through the '
  'primary keys.';

DO $$
DECLARE
  rel text;
  col record;
BEGIN
  FOREACH rel IN ARRAY ARRAY['messenger_capacity', 'messenger_capacity_retired',
                             'messenger_capacity_history', 'capacity']
  LOOP
    FOR col IN SELECT * FROM (VALUES
      ('report', 'Report of the row''s table: operationally-available (family A: TW, FGT, FEP, '
        'TGR) or operationally-available-by-location (messenger: PEPL, TGC, ROVER, SER, GR).'),
      ('asset', 'Pipeline asset code, e.g. PEPL (Panhandle Eastern).'),
      ('gas_day', 'Gas day (9:00 am to 9:00 am Central, named by the date it starts), from the '
        'request (the file carries none).'),
      ('cycle', 'Cycle label (see cycles.name): Timely, Evening, Intraday 1, Intraday 2, '
        'Intraday 3, Final. Sorts alphabetically: order by cycles.ord.'),
      ('source', 'Configured source (sources[].name) whose file the row came from.'),
      ('loc', 'Location (Loc), text, trimmed: leading zeros and letters kept (00387, LEE8).'),
      ('loc_name', 'Location name (Loc Name), trimmed; may contain commas.'),
      ('name', 'Location name (Loc Name).'),
      ('loc_purp_desc', 'Location purpose as a family-A code: MQ delivery, M2 receipt '
        '(published spelled out: Delivery Location, Receipt Location).'),
      ('purpose', 'Location purpose code: MQ delivery, M2 receipt (family-A codes for every '
        'family).'),
      ('loc_purp_desc_raw', 'Location purpose as published (Loc Purp Desc), trimmed, e.g. '
        'Delivery Location.'),
      ('loc_qti', 'Location quantity type indicator (Loc/QTI): DPQ delivery, RPQ receipt.'),
      ('dc', 'Design capacity (DC), Dth/d; NULL when not posted.'),
      ('opc', 'Operating capacity (OPC), Dth/d; NULL when not posted.'),
      ('tsq', 'Total scheduled quantity (TSQ), Dth/d; NULL when not posted.'),
      ('oac', 'Operationally available capacity (OAC), Dth/d; NULL when not posted.'),
      ('loc_zn', 'Location zone (Loc Zn), trimmed, e.g. MKT, FLD, Z-2.'),
      ('zone', 'Location zone (Loc Zn).'),
      ('it', 'Interruptible service available (IT): Y or N.'),
      ('flow_ind', 'Flow direction (Flow Ind): D delivery, R receipt (B or BD bidirectional). A '
        'location that is both has a row for each.'),
      ('flow', 'Flow direction (Flow Ind): D delivery, R receipt, B or BD bidirectional.'),
      ('state', 'State of the location (State), e.g. MO.'),
      ('county', 'County of the location (County).'),
      ('operator', 'Operator of the location (Operator); may contain commas.'),
      ('oba', 'Operational balancing agreement in place (OBA): Y or N.'),
      ('g_t', 'Gathering or transmission (G/T), as published, e.g. T.'),
      ('miles', 'Miles (Miles), a signed whole number as published (negative values occur).'),
      ('egm', 'Electronic gas measurement (EGM): Y or N.'),
      ('flw_cntl', 'Flow control (Flw Cntl): Y or N.'),
      ('all_qty_avail', 'All quantities available (All Qty Avail): N when a quantity is missing.'),
      ('qty_reason', 'Which quantities are missing (Qty Reason), ;-separated, verbatim.'),
      ('utilisation', 'tsq / opc as a fraction (0.25 = 25 %), rounded to 4 places; NULL when '
        'opc is 0 or NULL or tsq is NULL.'),
      ('load_id', 'The load (load_ledger.load_id) that wrote these values.'),
      ('first_loaded_at', 'When the row was first inserted.'),
      ('updated_at', 'When the row''s values last changed.'),
      ('valid_from', 'From when this row version was posted (its version''s first sighting, '
        'inclusive).'),
      ('valid_to', 'Until when (exclusive): the first sighting of the version that changed or '
        'dropped it; NULL for a current row.'),
      ('load_id_from', 'The version (load_ledger.load_id) that wrote this row version.'),
      ('load_id_to', 'The version (load_ledger.load_id) that changed or dropped it; NULL for a '
        'current row.')
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
