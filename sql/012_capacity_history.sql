-- Every row version of every report family, over the columns they share: the
-- `capacity` view's history, as each family's `<table>_history` is its
-- table's. `export --report capacity --as-of T` reads it. A filter on asset
-- and gas_day reaches each family's tables through the views (UNION ALL
-- pushes it down). A later family adds its history view here with CREATE OR
-- REPLACE VIEW, as it adds its table to `capacity`.
CREATE VIEW capacity_history AS
  SELECT 'operationally-available'::text AS report, asset, gas_day, cycle, source, loc,
         loc_name AS name, loc_zn AS zone, flow_ind AS flow, loc_purp_desc AS purpose,
         dc, opc, tsq, oac, round(tsq::numeric / nullif(opc, 0), 4) AS utilisation,
         valid_from, valid_to, load_id_from, load_id_to
  FROM operational_capacity_history
  UNION ALL
  SELECT 'operationally-available-by-location'::text, asset, gas_day, cycle, source, loc,
         loc_name, loc_zn, flow_ind, loc_purp_desc,
         dc, opc, tsq, oac, round(tsq::numeric / nullif(opc, 0), 4),
         valid_from, valid_to, load_id_from, load_id_to
  FROM messenger_capacity_history;

COMMENT ON VIEW capacity_history IS
  'Every row version of every report family''s table over the columns they share (the '
  'capacity view''s columns): current rows (valid_to NULL) and retired ones, each valid from '
  'valid_from (inclusive) to valid_to (exclusive). Quantities in Dth/d. Filter on asset and '
  'gas_day to read through the tables'' keys.';

DO $$
DECLARE
  col record;
BEGIN
  FOR col IN SELECT * FROM (VALUES
    ('report', 'Report of the row''s table: operationally-available (family A: TW, FGT, FEP, '
      'TGR) or operationally-available-by-location (messenger: PEPL, TGC, ROVER, SER, GR).'),
    ('asset', 'Pipeline asset code, e.g. TW or PEPL.'),
    ('gas_day', 'Gas day (9:00 am to 9:00 am Central, named by the date it starts), from the '
      'request (the file carries none).'),
    ('cycle', 'Cycle label (see cycles.name): Timely, Evening, Intraday 1, Intraday 2, '
      'Intraday 3, Final. Sorts alphabetically: order by cycles.ord.'),
    ('source', 'Configured source (sources[].name) whose file the row came from.'),
    ('loc', 'Location (Loc), text: leading zeros and letters kept.'),
    ('name', 'Location name (Loc Name).'),
    ('zone', 'Location zone (Loc Zn).'),
    ('flow', 'Flow direction (Flow Ind): D delivery, R receipt, B or BD bidirectional.'),
    ('purpose', 'Location purpose code: MQ delivery, M2 receipt (family-A codes for every '
      'family).'),
    ('dc', 'Design capacity (DC), Dth/d; NULL when not posted.'),
    ('opc', 'Operating capacity (OPC), Dth/d; NULL when not posted.'),
    ('tsq', 'Total scheduled quantity (TSQ), Dth/d; NULL when not posted.'),
    ('oac', 'Operationally available capacity (OAC), Dth/d; NULL when not posted.'),
    ('utilisation', 'tsq / opc as a fraction (0.25 = 25 %), rounded to 4 places; NULL when '
      'opc is 0 or NULL or tsq is NULL.'),
    ('valid_from', 'From when this row version was posted (its version''s first sighting, '
      'inclusive).'),
    ('valid_to', 'Until when (exclusive): the first sighting of the version that changed or '
      'dropped it; NULL for a current row.'),
    ('load_id_from', 'The version (load_ledger.load_id) that wrote this row version.'),
    ('load_id_to', 'The version (load_ledger.load_id) that changed or dropped it; NULL for a '
      'current row.')
  ) AS t(name, text)
  LOOP
    EXECUTE format('COMMENT ON COLUMN capacity_history.%I IS %L', col.name, col.text);
  END LOOP;
END
$$;
