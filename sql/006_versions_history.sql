-- A faithful record. Every distinct file of a pair is a version in the
-- ledger (first seen, last seen, superseded); the table holds exactly the
-- latest file's rows; the rows a newer file changed or no longer has are kept,
-- closed, in operational_capacity_retired; operational_capacity_history shows
-- every row version with its validity, and capacity_as_of() answers "what
-- was posted for this pair at time T". Works on PostgreSQL 15 (no MERGE ...
-- NOT MATCHED BY SOURCE). Existing installations keep everything: their
-- versions are seeded from the ledger; `tec-pipeline rebuild` re-derives the
-- rest from the raw archive.

-- Versions -------------------------------------------------------------------
ALTER TABLE load_ledger
  ADD COLUMN first_seen_at timestamptz,
  ADD COLUMN last_seen_at  timestamptz,
  ADD COLUMN superseded_at timestamptz,
  ADD COLUMN deleted       integer NOT NULL DEFAULT 0;
ALTER TABLE load_ledger DROP CONSTRAINT load_ledger_status_check;
-- 'replaced': a version a rebuild derived again (its rows were re-derived from
-- the same bytes in fetch order); kept for the audit trail, no longer a version.
ALTER TABLE load_ledger ADD CONSTRAINT load_ledger_status_check
  CHECK (status IN ('loading', 'loaded', 'failed', 'replaced'));

-- Seed: a load's file was first seen when the load began and last seen when
-- it finished; each version is superseded when the pair's next one appeared.
UPDATE load_ledger SET first_seen_at = started_at, last_seen_at = coalesce(finished_at, started_at)
  WHERE status = 'loaded';
UPDATE load_ledger l SET superseded_at = n.next_seen
  FROM (SELECT load_id, lead(first_seen_at) OVER (
          PARTITION BY source, report, gas_day, cycle ORDER BY load_id) AS next_seen
        FROM load_ledger WHERE status = 'loaded') n
  WHERE l.load_id = n.load_id AND n.next_seen IS NOT NULL;
-- Current versions: one per pair.
CREATE INDEX load_ledger_current_idx ON load_ledger (source, report, gas_day, cycle)
  WHERE status = 'loaded' AND superseded_at IS NULL;

-- Row versions ----------------------------------------------------------------
-- Row versions that are no longer current: the row as it was, from the
-- version that wrote it (valid_from) until the version that changed or
-- dropped it (valid_to, load_id_to).
CREATE TABLE operational_capacity_retired (
  asset               text        NOT NULL,
  gas_day             date        NOT NULL,
  cycle               text        NOT NULL,
  source              text        NOT NULL,
  loc                 text        NOT NULL,
  loc_zn              text,
  loc_name            text,
  loc_purp_desc       text,
  loc_qti             text,
  flow_ind            text        NOT NULL,
  dc                  bigint,
  opc                 bigint,
  tsq                 bigint,
  oac                 bigint,
  it                  text,
  auth_overrun_ind    text,
  nom_cap_exceed_ind  text,
  all_qty_avail       text,
  qty_reason          text,
  load_id             bigint      NOT NULL,
  valid_from          timestamptz NOT NULL,
  valid_to            timestamptz NOT NULL,
  load_id_to          bigint      NOT NULL
);
CREATE INDEX operational_capacity_retired_pair_idx
  ON operational_capacity_retired (asset, gas_day, cycle, source, valid_from);

-- Every row version: the current rows (valid from their version's first
-- sighting, valid_to NULL) and the retired ones.
CREATE VIEW operational_capacity_history AS
  SELECT c.asset, c.gas_day, c.cycle, c.source, c.loc, c.loc_zn, c.loc_name, c.loc_purp_desc,
         c.loc_qti, c.flow_ind, c.dc, c.opc, c.tsq, c.oac, c.it, c.auth_overrun_ind,
         c.nom_cap_exceed_ind, c.all_qty_avail, c.qty_reason,
         coalesce(l.first_seen_at, l.started_at) AS valid_from, NULL::timestamptz AS valid_to,
         c.load_id AS load_id_from, NULL::bigint AS load_id_to
  FROM operational_capacity c JOIN load_ledger l ON l.load_id = c.load_id
  UNION ALL
  SELECT r.asset, r.gas_day, r.cycle, r.source, r.loc, r.loc_zn, r.loc_name, r.loc_purp_desc,
         r.loc_qti, r.flow_ind, r.dc, r.opc, r.tsq, r.oac, r.it, r.auth_overrun_ind,
         r.nom_cap_exceed_ind, r.all_qty_avail, r.qty_reason,
         r.valid_from, r.valid_to, r.load_id AS load_id_from, r.load_id_to
  FROM operational_capacity_retired r;

-- What was known of a pair at `at`: every row version valid then. The cycle is
-- its label in any case ('Timely', 'timely', 'Intraday 1').
CREATE FUNCTION capacity_as_of(
  p_asset text, p_gas_day date, p_cycle text, p_at timestamptz, p_source text DEFAULT NULL)
RETURNS SETOF operational_capacity_history
LANGUAGE sql STABLE SET search_path FROM CURRENT AS $$
  SELECT * FROM operational_capacity_history h
  WHERE h.asset = p_asset AND h.gas_day = p_gas_day AND lower(h.cycle) = lower(p_cycle)
    AND (p_source IS NULL OR h.source = p_source)
    AND h.valid_from <= p_at AND (h.valid_to IS NULL OR h.valid_to > p_at)
  ORDER BY h.source, h.loc, h.flow_ind
$$;
