-- The orders projection. Money is integer cents; items keep the decimal
-- strings of the order as it was placed.
CREATE TABLE orders (
  id               UUID PRIMARY KEY,
  customer_id      UUID NOT NULL,
  status           TEXT NOT NULL,
  -- [{productId, productName, quantity, unitPrice, discountRate, lineTotal}]
  items            JSONB NOT NULL,
  subtotal_cents   BIGINT NOT NULL,
  tax_cents        BIGINT NOT NULL,
  shipping_cents   BIGINT NOT NULL,
  total_cents      BIGINT NOT NULL,
  -- {street, city, postalCode}
  shipping_address JSONB NOT NULL,
  cancel_reason    TEXT,
  version          INTEGER NOT NULL,
  created_at       TIMESTAMPTZ NOT NULL,
  updated_at       TIMESTAMPTZ NOT NULL
);

CREATE INDEX orders_created ON orders (created_at DESC, id DESC);
CREATE INDEX orders_customer ON orders (customer_id, created_at DESC, id DESC);
CREATE INDEX orders_status ON orders (status, created_at DESC, id DESC);

-- The sagas projection: where each order's saga stands.
CREATE TABLE saga_states (
  saga_id         UUID PRIMARY KEY,
  order_id        UUID NOT NULL UNIQUE,
  status          TEXT NOT NULL,
  completed_steps TEXT[] NOT NULL,
  current_step    TEXT,
  failure_reason  TEXT,
  started_at      TIMESTAMPTZ NOT NULL,
  completed_at    TIMESTAMPTZ,
  -- The saga's state as the domain folds it, to apply the next event to.
  state           JSONB NOT NULL,
  version         INTEGER NOT NULL
);
