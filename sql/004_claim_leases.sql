-- A claim belongs to the sweep that made it: the sweep's token is stored with
-- each pair it claims, the sweep renews every lease that still carries its
-- token while it runs, and a recorded look or a release clears the token. A
-- holder that dies stops renewing, so its pairs are due again one short lease
-- after its last renewal instead of one long lease after the claim. Rows
-- written before this migration carry no token: nobody holds them.
ALTER TABLE poll_state ADD COLUMN claim_token uuid;
-- The renewal's lookup: the few pairs one sweep holds.
CREATE INDEX poll_state_claim_idx ON poll_state (claim_token) WHERE claim_token IS NOT NULL;
