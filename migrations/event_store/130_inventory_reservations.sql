-- Write-side record of each order's reservation of each product: what the
-- inventory commands need to reserve and release once per order. It lives
-- beside the inventory stream rather than in its state, so a product's state
-- (and its snapshot) stays the same size however many orders it has had. The
-- command service writes it in the same transaction as the inventory append.
CREATE TABLE inventory_reservations (
  product_id UUID NOT NULL,
  order_id   UUID NOT NULL,
  -- Units reserved; 0 when the order was closed before it reserved any.
  quantity   INTEGER NOT NULL,
  released   BOOLEAN NOT NULL DEFAULT false,
  PRIMARY KEY (product_id, order_id)
);

-- Backfill from the reservations recorded before this table existed.
INSERT INTO inventory_reservations (product_id, order_id, quantity, released)
SELECT (event_data->>'productId')::uuid, (event_data->>'orderId')::uuid,
  coalesce(max((event_data->>'quantity')::int) FILTER (WHERE event_type = 'InventoryReserved'), 0),
  bool_or(event_type = 'InventoryReleased')
FROM events
WHERE aggregate_type = 'Inventory' AND event_type IN ('InventoryReserved', 'InventoryReleased')
GROUP BY 1, 2;
