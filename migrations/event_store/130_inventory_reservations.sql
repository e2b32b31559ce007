-- Each order's reservation of each product: what the inventory commands need
-- to reserve and release once per order. It lives beside the inventory
-- stream rather than in its state, so a product's state (and its snapshot)
-- stays the same size however many orders it has had.
CREATE TABLE inventory_reservations (
  product_id UUID NOT NULL,
  order_id   UUID NOT NULL,
  -- Units reserved; 0 when the order was closed before it reserved any.
  quantity   INTEGER NOT NULL,
  released   BOOLEAN NOT NULL DEFAULT false,
  PRIMARY KEY (product_id, order_id)
);

-- The events keep it, in their own transaction, whoever appends them: a
-- command service of an older release, still running during an upgrade,
-- records its reservations as the new one does. An order reserves a product
-- once, so a second InventoryReserved for it fails its append on the key.
CREATE FUNCTION inventory_reservation_follows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.event_type = 'InventoryReserved' THEN
    INSERT INTO inventory_reservations (product_id, order_id, quantity)
    VALUES ((NEW.event_data->>'productId')::uuid, (NEW.event_data->>'orderId')::uuid,
      (NEW.event_data->>'quantity')::int);
  ELSE
    INSERT INTO inventory_reservations (product_id, order_id, quantity, released)
    VALUES ((NEW.event_data->>'productId')::uuid, (NEW.event_data->>'orderId')::uuid, 0, true)
    ON CONFLICT (product_id, order_id) DO UPDATE SET released = true;
  END IF;
  RETURN NULL;
END $$;

-- Creating the trigger holds off appends until this migration commits, so
-- the backfill below sees every event the trigger does not.
CREATE TRIGGER inventory_reservations_follow AFTER INSERT ON events
  FOR EACH ROW
  WHEN (NEW.aggregate_type = 'Inventory'
    AND NEW.event_type IN ('InventoryReserved', 'InventoryReleased'))
  EXECUTE FUNCTION inventory_reservation_follows();

-- Backfill from the reservations recorded before.
INSERT INTO inventory_reservations (product_id, order_id, quantity, released)
SELECT (event_data->>'productId')::uuid, (event_data->>'orderId')::uuid,
  coalesce(max((event_data->>'quantity')::int) FILTER (WHERE event_type = 'InventoryReserved'), 0),
  bool_or(event_type = 'InventoryReleased')
FROM events
WHERE aggregate_type = 'Inventory' AND event_type IN ('InventoryReserved', 'InventoryReleased')
GROUP BY 1, 2;
