-- The statistics projection: counters kept current by deltas, so every
-- statistic reads a handful of rows whatever the size of the catalogue.
-- Its tables hold just what the counters need (prices, stock, statuses).
CREATE TABLE stats_categories (
  id        UUID PRIMARY KEY,
  name      VARCHAR(100) NOT NULL,
  parent_id UUID,
  depth     INTEGER NOT NULL,
  deleted   BOOLEAN NOT NULL DEFAULT false,
  version   INTEGER NOT NULL
);

CREATE TABLE stats_products (
  id            UUID PRIMARY KEY,
  category_id   UUID NOT NULL,
  price_cents   BIGINT NOT NULL,
  stock         BIGINT NOT NULL DEFAULT 0,
  deleted       BOOLEAN NOT NULL DEFAULT false,
  version       INTEGER NOT NULL,
  stock_version INTEGER NOT NULL DEFAULT 0
);

-- Minimum and maximum prices, overall and per category, by index.
CREATE INDEX stats_products_price ON stats_products (price_cents) WHERE NOT deleted;
CREATE INDEX stats_products_category_price ON stats_products (category_id, price_cents)
  WHERE NOT deleted;

-- Live products per category: how many, the sum of their prices and stock.
CREATE TABLE stats_category_products (
  category_id     UUID PRIMARY KEY,
  product_count   BIGINT NOT NULL DEFAULT 0,
  price_sum_cents NUMERIC NOT NULL DEFAULT 0,
  stock_sum       NUMERIC NOT NULL DEFAULT 0
);

CREATE TABLE stats_orders (
  id          UUID PRIMARY KEY,
  status      TEXT NOT NULL,
  total_cents BIGINT NOT NULL,
  version     INTEGER NOT NULL
);

-- Orders per status, and the sum of their totals.
CREATE TABLE stats_order_status (
  status      TEXT PRIMARY KEY,
  order_count BIGINT NOT NULL DEFAULT 0,
  total_cents NUMERIC NOT NULL DEFAULT 0
);
