-- One identity for a pair: (source, report, asset, gas day, cycle). Before, a
-- pair was (asset, gas day, cycle), so two sources of one asset (searchType
-- ALL and NOM, say) overwrote each other's rows, "unchanged" checks and locks.
-- Every existing row keeps the source that loaded it (its load's ledger row
-- names it); nothing is dropped.

-- Rows: the source is part of the key.
ALTER TABLE operational_capacity ADD COLUMN source text;
UPDATE operational_capacity t SET source = l.source
  FROM load_ledger l WHERE l.load_id = t.load_id;
-- A row whose load is unknown cannot have been written by this program (rows
-- and their ledger row commit together); should one exist, it is kept under
-- the asset's most recent source rather than dropped.
UPDATE operational_capacity t SET source = coalesce(
    (SELECT l.source FROM load_ledger l WHERE l.asset = t.asset ORDER BY l.load_id DESC LIMIT 1),
    lower(t.asset))
  WHERE t.source IS NULL;
ALTER TABLE operational_capacity ALTER COLUMN source SET NOT NULL;
ALTER TABLE operational_capacity DROP CONSTRAINT operational_capacity_pkey;
ALTER TABLE operational_capacity ADD PRIMARY KEY (asset, gas_day, cycle, source, loc, flow_ind);

-- Ledger: which report a load was (and so which table its rows went to).
ALTER TABLE load_ledger ADD COLUMN report text NOT NULL DEFAULT 'operationally-available';
ALTER TABLE load_ledger ALTER COLUMN report DROP DEFAULT;
CREATE INDEX load_ledger_identity_idx ON load_ledger (source, report, gas_day, cycle, load_id DESC);
DROP INDEX load_ledger_pair_idx;

-- Quarantine: the same identity as the ledger row it belongs to.
ALTER TABLE quarantine ADD COLUMN source text, ADD COLUMN report text;
UPDATE quarantine q SET source = l.source, report = l.report
  FROM load_ledger l WHERE l.load_id = q.load_id;
ALTER TABLE quarantine ALTER COLUMN source SET NOT NULL, ALTER COLUMN report SET NOT NULL;

-- Poll state: one row per pair of one source's report.
ALTER TABLE poll_state ADD COLUMN report text NOT NULL DEFAULT 'operationally-available';
ALTER TABLE poll_state ALTER COLUMN report DROP DEFAULT;
ALTER TABLE poll_state DROP CONSTRAINT poll_state_pkey;
ALTER TABLE poll_state ADD PRIMARY KEY (source, report, gas_day, cycle);
