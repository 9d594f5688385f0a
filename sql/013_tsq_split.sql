-- Family A's split TSQ: FGT is said (by one public scraper) to publish
-- `TSQ (Rec)` and `TSQ (Del)` where TW publishes one `TSQ`. Such a file keeps
-- both parts here and its `tsq` is their sum (the loader derives it), so every
-- view over `tsq` reads it as it reads TW's. Files with one TSQ leave both
-- NULL. Nothing existing is changed; the history view gains the two columns
-- at its end (CREATE OR REPLACE VIEW can only append).

ALTER TABLE operational_capacity
  ADD COLUMN tsq_rec bigint CHECK (tsq_rec >= 0),
  ADD COLUMN tsq_del bigint CHECK (tsq_del >= 0);

ALTER TABLE operational_capacity_retired
  ADD COLUMN tsq_rec bigint,
  ADD COLUMN tsq_del bigint;

CREATE OR REPLACE VIEW operational_capacity_history AS
  SELECT c.asset, c.gas_day, c.cycle, c.source, c.loc, c.loc_zn, c.loc_name, c.loc_purp_desc,
         c.loc_qti, c.flow_ind, c.dc, c.opc, c.tsq, c.oac, c.it, c.auth_overrun_ind,
         c.nom_cap_exceed_ind, c.all_qty_avail, c.qty_reason,
         coalesce(l.first_seen_at, l.started_at) AS valid_from, NULL::timestamptz AS valid_to,
         c.load_id AS load_id_from, NULL::bigint AS load_id_to,
         c.tsq_rec, c.tsq_del
  FROM operational_capacity c JOIN load_ledger l ON l.load_id = c.load_id
  UNION ALL
  SELECT r.asset, r.gas_day, r.cycle, r.source, r.loc, r.loc_zn, r.loc_name, r.loc_purp_desc,
         r.loc_qti, r.flow_ind, r.dc, r.opc, r.tsq, r.oac, r.it, r.auth_overrun_ind,
         r.nom_cap_exceed_ind, r.all_qty_avail, r.qty_reason,
         r.valid_from, r.valid_to, r.load_id AS load_id_from, r.load_id_to,
         r.tsq_rec, r.tsq_del
  FROM operational_capacity_retired r;

DO $$
DECLARE
  rel text;
BEGIN
  FOREACH rel IN ARRAY ARRAY['operational_capacity', 'operational_capacity_retired',
                             'operational_capacity_history']
  LOOP
    EXECUTE format('COMMENT ON COLUMN %I.tsq_rec IS %L', rel,
      'Scheduled receipts (TSQ (Rec)), Dth/d, where the file splits TSQ (FGT); tsq is then '
      'tsq_rec + tsq_del (NULL when either is). NULL when the file has one TSQ.');
    EXECUTE format('COMMENT ON COLUMN %I.tsq_del IS %L', rel,
      'Scheduled deliveries (TSQ (Del)), Dth/d, where the file splits TSQ (FGT); see tsq_rec. '
      'NULL when the file has one TSQ.');
  END LOOP;
END
$$;
