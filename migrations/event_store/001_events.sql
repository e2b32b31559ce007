-- The event store: one row per event, the system of record.
CREATE TABLE events (
  id             BIGSERIAL PRIMARY KEY,
  event_id       UUID NOT NULL UNIQUE,
  aggregate_id   UUID NOT NULL,
  aggregate_type VARCHAR(255) NOT NULL,
  event_type     VARCHAR(255) NOT NULL,
  event_data     JSONB NOT NULL,
  event_metadata JSONB NOT NULL DEFAULT '{}'::jsonb,
  -- Position of the event in its stream, from 1.
  event_version  INTEGER NOT NULL,
  -- Version of the event's payload shape, lifted by upcasters on read.
  schema_version INTEGER NOT NULL DEFAULT 1,
  -- Read gap-safely by (transaction_id, id) below the oldest running transaction.
  transaction_id XID8 NOT NULL DEFAULT pg_current_xact_id(),
  -- Start of the appending transaction.
  created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
  UNIQUE (aggregate_id, event_version)
);

-- The global order, and reads by type in that order.
CREATE INDEX events_global_order ON events (transaction_id, id);
CREATE INDEX events_by_type ON events (event_type, transaction_id, id);
-- Reads by time range. Rows arrive in time order, so a BRIN index finds a range from a few
-- block summaries and costs next to nothing per insert, where a B-tree costs every append.
CREATE INDEX events_by_time ON events USING brin (created_at);

-- Current version of every stream: the row an append checks and advances.
CREATE TABLE streams (
  aggregate_id   UUID PRIMARY KEY,
  aggregate_type VARCHAR(255) NOT NULL,
  version        INTEGER NOT NULL
);

-- Results of handled commands, so a retried command id returns the first result:
-- a JSON array of {streamId, nextVersion, positions: [[transactionId, id], ...]}.
CREATE TABLE command_results (
  command_id  UUID PRIMARY KEY,
  result      JSONB NOT NULL,
  created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE snapshots (
  id               BIGSERIAL PRIMARY KEY,
  aggregate_id     UUID NOT NULL,
  aggregate_type   VARCHAR(255) NOT NULL,
  -- {"state": ...}: the folded state, as the aggregate's toSnapshot made it.
  snapshot_data    JSONB NOT NULL,
  -- Stream version the snapshot was taken at.
  snapshot_version INTEGER NOT NULL,
  -- Version of the state's shape; a snapshot of another shape is ignored.
  state_schema     INTEGER NOT NULL DEFAULT 1,
  created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
  UNIQUE (aggregate_id, state_schema, snapshot_version)
);
