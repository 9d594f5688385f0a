-- tec-pipeline schema, version 1. Runs inside the configured schema (search_path
-- is set by the migrator). Nothing here or in any later migration drops data.

-- One row per file the program tried to load. A successful load writes its row
-- in the same transaction as the data; a failed one leaves status 'failed'.
CREATE TABLE load_ledger (
  load_id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  source       text        NOT NULL,
  asset        text        NOT NULL,
  gas_day      date        NOT NULL,
  cycle        text        NOT NULL,
  url          text,
  sha256       text        NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  bytes        bigint      NOT NULL CHECK (bytes >= 0),
  rows_read    integer     NOT NULL DEFAULT 0,
  inserted     integer     NOT NULL DEFAULT 0,
  updated      integer     NOT NULL DEFAULT 0,
  unchanged    integer     NOT NULL DEFAULT 0,
  quarantined  integer     NOT NULL DEFAULT 0,
  status       text        NOT NULL CHECK (status IN ('loading', 'loaded', 'failed')),
  error        text,
  forced       boolean     NOT NULL DEFAULT false,
  started_at   timestamptz NOT NULL DEFAULT now(),
  finished_at  timestamptz
);
CREATE INDEX load_ledger_pair_idx ON load_ledger (asset, gas_day, cycle, load_id DESC);
CREATE INDEX load_ledger_sha_idx ON load_ledger (sha256);

-- Operationally available capacity, one row per (asset, gas day, cycle, loc,
-- flow direction): a location that is both a delivery and a receipt point
-- appears twice, and both rows are kept.
CREATE TABLE operational_capacity (
  asset               text    NOT NULL,
  gas_day             date    NOT NULL,
  cycle               text    NOT NULL CHECK (cycle IN ('Timely', 'Evening', 'Intraday 1',
                                                        'Intraday 2', 'Intraday 3', 'Final')),
  loc                 text    NOT NULL,
  loc_zn              text,
  loc_name            text,
  loc_purp_desc       text,
  loc_qti             text,
  flow_ind            text    NOT NULL,
  dc                  bigint  CHECK (dc >= 0),
  opc                 bigint  CHECK (opc >= 0),
  tsq                 bigint  CHECK (tsq >= 0),
  oac                 bigint  CHECK (oac >= 0),
  it                  text,
  auth_overrun_ind    text,
  nom_cap_exceed_ind  text,
  all_qty_avail       text,
  qty_reason          text,
  -- The load (load_ledger.load_id) that last wrote this row's values. Neither a
  -- foreign key nor indexed: a per-row RI check or a second index would
  -- dominate bulk-load time (and an index on it rules out HOT updates); rows
  -- are only ever written by the loader, in the same transaction as their
  -- ledger row.
  load_id             bigint      NOT NULL,
  first_loaded_at     timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (asset, gas_day, cycle, loc, flow_ind)
);

-- Rows that could not be loaded, with enough to find and fix them.
CREATE TABLE quarantine (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  load_id     bigint      NOT NULL REFERENCES load_ledger (load_id),
  asset       text        NOT NULL,
  gas_day     date        NOT NULL,
  cycle       text        NOT NULL,
  sha256      text        NOT NULL,
  line_no     integer     NOT NULL,
  raw_line    text        NOT NULL,
  reason      text        NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX quarantine_load_idx ON quarantine (load_id);
