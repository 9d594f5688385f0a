-- The working set of `tec-pipeline rebuild`: the raw archive's request records
-- of the range being rebuilt, one row per request, so that each pair is
-- replayed in fetch order without the archive's index held in memory. A run
-- writes under its own run_id and deletes its rows when it ends; rows a killed
-- run left behind are removed by the next run after a day. UNLOGGED: nothing
-- here outlives a crash usefully (the archive is the record).
CREATE UNLOGGED TABLE rebuild_request (
  run_id      uuid        NOT NULL,
  source      text        NOT NULL,
  gas_day     date        NOT NULL,
  cycle       text        NOT NULL,
  fetched_at  timestamptz NOT NULL,
  sha256      text        NOT NULL,
  url         text        NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX rebuild_request_pair_idx
  ON rebuild_request (run_id, gas_day, source, cycle, fetched_at);

COMMENT ON TABLE rebuild_request IS
  'Working set of tec-pipeline rebuild: the raw archive''s request records of the range being '
  'rebuilt (one row per request that returned a body), read back pair by pair in fetch order. '
  'Empty except while a rebuild runs.';
COMMENT ON COLUMN rebuild_request.run_id IS 'The rebuild run that wrote the row.';
COMMENT ON COLUMN rebuild_request.source IS 'Configured source name of the request.';
COMMENT ON COLUMN rebuild_request.gas_day IS 'Gas day requested.';
COMMENT ON COLUMN rebuild_request.cycle IS 'Cycle requested, as its label (Timely ... Final).';
COMMENT ON COLUMN rebuild_request.fetched_at IS 'When the body was received.';
COMMENT ON COLUMN rebuild_request.sha256 IS 'sha256 of the body, its name in the raw archive.';
COMMENT ON COLUMN rebuild_request.url IS 'URL requested, without credentials.';
COMMENT ON COLUMN rebuild_request.created_at IS 'When the run wrote the row (to sweep a killed run''s rows).';
