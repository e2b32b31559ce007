-- The order saga worker (services/saga): where it stands in the global order,
-- and which sagas it must resume after a restart. Both live beside the events
-- they are derived from; neither is the truth (the saga streams are): a lost
-- update is repaired by replaying from the checkpoint.

-- Position of the last event whose saga decisions are appended. Advanced
-- after a batch's saga events are appended; a crash in between replays the
-- batch, which the saga decider ignores (it ignores repeated inputs).
CREATE TABLE saga_checkpoints (
  name           TEXT PRIMARY KEY,
  transaction_id XID8 NOT NULL,
  position       BIGINT NOT NULL,
  updated_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Every saga the worker has seen, with its last known status: the unfinished
-- ones are resumed on start (their pending commands sent again, their
-- timeouts armed). `version` is the saga stream's version the row reflects;
-- an update never moves it back.
CREATE TABLE saga_instances (
  saga_id    UUID PRIMARY KEY,
  order_id   UUID NOT NULL,
  status     TEXT NOT NULL,
  version    INTEGER NOT NULL,
  -- When the running step or the saga times out; NULL when no step runs.
  deadline   TIMESTAMPTZ,
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX saga_instances_unfinished ON saga_instances (deadline)
  WHERE status NOT IN ('completed', 'compensated');
