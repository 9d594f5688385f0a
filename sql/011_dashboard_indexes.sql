-- The dashboard's location page reads one location over weeks or a year of
-- gas days: without these, every row of the asset in the range is read (a
-- year of TW: 630k rows, ~0.6 s); with them, only the location's (~2k rows,
-- milliseconds). Measured by `deno task bench` (the dashboard case), against
-- the load case's cost of maintaining one more index.
CREATE INDEX operational_capacity_loc_idx ON operational_capacity (asset, loc, gas_day);
CREATE INDEX operational_capacity_retired_loc_idx
  ON operational_capacity_retired (asset, loc, gas_day);
