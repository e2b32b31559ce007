-- Events a projection's handler threw on. The projection moved on past them;
-- `deno task projections:replay-dead-letters` retries them after a fix and
-- removes those that then apply. A rebuild that succeeds clears its own.
CREATE TABLE projection_dead_letters (
  projection      TEXT NOT NULL,
  -- The event's place in the global order, as the checkpoints keep it.
  transaction_id  XID8 NOT NULL,
  position        BIGINT NOT NULL,
  event_id        UUID NOT NULL,
  event_type      TEXT NOT NULL,
  aggregate_id    UUID NOT NULL,
  -- The handler's error (name and message) at the last attempt.
  error           TEXT NOT NULL,
  attempts        INTEGER NOT NULL DEFAULT 1,
  first_failed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  last_failed_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (projection, transaction_id, position)
);
