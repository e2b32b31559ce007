-- The integration-event relay (services/relay): the position of the last
-- event published to NATS JetStream and acknowledged by it. Advanced in the
-- transaction after a batch's publishes were acknowledged; a crash in between
-- publishes the batch again, which the broker drops by its Nats-Msg-Id.
CREATE TABLE relay_checkpoints (
  name           TEXT PRIMARY KEY,
  transaction_id XID8 NOT NULL,
  position       BIGINT NOT NULL,
  updated_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
