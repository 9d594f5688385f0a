-- Polling state of each (source, gas day, cycle): what the daemon knows about
-- it and when to look again. Kept in the database so a restart resumes where
-- it stopped and replicas share one view.
CREATE TABLE poll_state (
  source           text        NOT NULL,
  asset            text        NOT NULL,
  gas_day          date        NOT NULL,
  cycle            text        NOT NULL,
  -- pending: claimed by a poller, no answer recorded yet; not_posted: asked,
  -- no data yet; loaded: data loaded (or unchanged); failed: a fetch or load
  -- failed and will be retried.
  status           text        NOT NULL CHECK (status IN ('pending', 'not_posted', 'loaded', 'failed')),
  -- Consecutive answers without data (not posted, or failed); 0 once loaded.
  attempts         integer     NOT NULL DEFAULT 0,
  first_checked_at timestamptz NOT NULL DEFAULT now(),
  last_checked_at  timestamptz NOT NULL DEFAULT now(),
  next_check_at    timestamptz NOT NULL,
  last_sha256      text,
  last_error       text,
  PRIMARY KEY (source, gas_day, cycle)
);
CREATE INDEX poll_state_next_idx ON poll_state (next_check_at);
