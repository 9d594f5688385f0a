-- Two things the daemon records about what it sees: parameters a site seems to
-- ignore, and how late each posting lands.
--
-- Parameters ignored: a file carries no gas day or cycle, so when requests
-- of one source for different (gas day, cycle) pairs get the very same bytes,
-- the site may have ignored the parameters and answered its latest posting
-- (one public scraper says the messenger endpoint does; another found them
-- honoured). The loader records it on the later version instead of trusting
-- the stamp silently; the log, a metric and /status say so too.
ALTER TABLE load_ledger ADD COLUMN same_bytes_as bigint;
-- /status counts the flagged versions per source.
CREATE INDEX load_ledger_same_bytes_idx ON load_ledger (source, load_id)
  WHERE same_bytes_as IS NOT NULL;

COMMENT ON COLUMN load_ledger.same_bytes_as IS
  'Set when this version''s bytes (sha256) equal those of an earlier loaded version of another '
  '(gas_day, cycle) of the same source and report: the load_id of the earliest such version. '
  'The site may have ignored the gas day or cycle asked for, so the rows may be stamped with a '
  'day or cycle they are not. NULL otherwise.';

-- Latency: each pair's nominal posting time (the calendar's, with the
-- source's posting_times) as the daemon claimed it, and when the daemon
-- first found data for it, so that `first_seen_at - expected_at` (how late a
-- file landed after its nominal time) is measured per source, shared by
-- replicas, and shown by /status. Rows from before this migration have
-- neither.
ALTER TABLE poll_state
  ADD COLUMN expected_at   timestamptz,
  ADD COLUMN first_seen_at timestamptz;

COMMENT ON COLUMN poll_state.expected_at IS
  'Nominal posting time of the pair (the NAESB time, or the source''s posting_times), as of the '
  'last claim; the daemon probes from then on.';
COMMENT ON COLUMN poll_state.first_seen_at IS
  'When the daemon first found data for the pair (a look that loaded it); first_seen_at - '
  'expected_at is the posting latency /status and tec_posting_latency_seconds report.';

-- The request budget, per operator (hosts sharing a registered domain by
-- default: every Energy Transfer host is one platform), shared by every
-- command and every replica on this database: each request reserves the
-- operator's next slot here, and a 429 or Retry-After from any of its hosts
-- pauses them all. UNLOGGED: after a crash the budget simply starts afresh.
CREATE UNLOGGED TABLE request_budget (
  operator      text        PRIMARY KEY,
  next_slot_at  timestamptz NOT NULL,
  paused_until  timestamptz,
  paused_by     text,
  requests      bigint      NOT NULL DEFAULT 0,
  updated_at    timestamptz NOT NULL DEFAULT now()
);

COMMENT ON TABLE request_budget IS
  'The request budget per operator (sources[].operator, default the registered domain of the '
  'host), shared by every process on this database: requests start 60/requests_per_minute s '
  'apart; a 429 or Retry-After from any host of the operator pauses all of them.';
COMMENT ON COLUMN request_budget.operator IS 'Operator, e.g. energytransfer.com.';
COMMENT ON COLUMN request_budget.next_slot_at IS
  'When the next request to the operator may start (the last reserved slot plus the interval).';
COMMENT ON COLUMN request_budget.paused_until IS
  'Until when the operator asked to be left alone (429 or Retry-After); NULL if never.';
COMMENT ON COLUMN request_budget.paused_by IS 'Host whose answer set paused_until.';
COMMENT ON COLUMN request_budget.requests IS 'Slots reserved since the row was made.';
COMMENT ON COLUMN request_budget.updated_at IS 'When a slot was last reserved or a pause set.';

-- Conditional requests: the validators the site gave with a version's file
-- (ETag, Last-Modified), sent back as If-None-Match / If-Modified-Since when
-- the pair is fetched again; a 304 is the same version seen again.
ALTER TABLE load_ledger
  ADD COLUMN etag          text,
  ADD COLUMN last_modified text;

COMMENT ON COLUMN load_ledger.etag IS
  'ETag the site sent with this version''s file, if any; sent back as If-None-Match.';
COMMENT ON COLUMN load_ledger.last_modified IS
  'Last-Modified the site sent with this version''s file, if any; sent back as '
  'If-Modified-Since.';
