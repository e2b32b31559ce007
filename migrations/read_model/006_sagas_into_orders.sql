-- The sagas projection became part of the orders projection: an order and
-- its saga are read together and must be as of one checkpoint. The merged
-- projection resumes from the older of the two checkpoints; its handlers
-- compare versions, so events that one of the tables already holds change
-- nothing when they are applied again.
UPDATE projection_checkpoints o
SET transaction_id = s.transaction_id, position = s.position, updated_at = now()
FROM projection_checkpoints s
WHERE o.projection = 'orders' AND s.projection = 'sagas'
  AND (s.transaction_id, s.position) < (o.transaction_id, o.position);

-- No sagas checkpoint: saga_states never received a batch, so replay from the start.
UPDATE projection_checkpoints
SET transaction_id = '0'::xid8, position = 0, updated_at = now()
WHERE projection = 'orders'
  AND NOT EXISTS (SELECT 1 FROM projection_checkpoints WHERE projection = 'sagas');

-- No orders checkpoint: the merged projection starts from the beginning anyway.
DELETE FROM projection_checkpoints WHERE projection = 'sagas';

-- Dead letters of the sagas projection are the orders projection's now.
DELETE FROM projection_dead_letters s
USING projection_dead_letters o
WHERE s.projection = 'sagas' AND o.projection = 'orders'
  AND o.transaction_id = s.transaction_id AND o.position = s.position;
UPDATE projection_dead_letters SET projection = 'orders' WHERE projection = 'sagas';
