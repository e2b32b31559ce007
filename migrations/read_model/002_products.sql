-- The products projection: one row per product, with its category's name
-- denormalized. Money is integer cents. Every table below belongs to it alone.
CREATE TABLE products (
  id            UUID PRIMARY KEY,
  name          VARCHAR(200) NOT NULL,
  description   TEXT,
  price_cents   BIGINT NOT NULL,
  category_id   UUID NOT NULL,
  category_name VARCHAR(100),
  deleted       BOOLEAN NOT NULL DEFAULT false,
  -- Version of the product's stream last applied.
  version       INTEGER NOT NULL,
  created_at    TIMESTAMPTZ NOT NULL,
  updated_at    TIMESTAMPTZ NOT NULL
);

-- Every list reads live products only, hence partial indexes; each btree
-- serves one order of the lists (name, price, newest), alone or within a
-- category; the trigram indexes serve substring search (ILIKE '%term%') and
-- the case-insensitive lookup by name (ILIKE 'name').
CREATE INDEX products_name ON products (name, id) WHERE NOT deleted;
CREATE INDEX products_price ON products (price_cents, id) WHERE NOT deleted;
CREATE INDEX products_created ON products (created_at, id) WHERE NOT deleted;
CREATE INDEX products_category_name ON products (category_id, name, id) WHERE NOT deleted;
CREATE INDEX products_name_trgm ON products USING gin (name gin_trgm_ops) WHERE NOT deleted;
CREATE INDEX products_description_trgm ON products USING gin (description gin_trgm_ops)
  WHERE NOT deleted;

-- Units that can still be reserved (the inventory's `available`), apart from
-- the wide, heavily indexed product rows: reservations and releases, the most
-- frequent events of all, then touch one narrow row and its primary key.
CREATE TABLE product_stock (
  product_id UUID PRIMARY KEY,
  stock      INTEGER NOT NULL,
  -- Version of the inventory's stream last applied.
  version    INTEGER NOT NULL
);

-- A product as the queries read it: its row with its stock. The stock is a
-- scalar subquery, so it is looked up by key for the rows returned only,
-- never hash-joined over the whole stock table.
CREATE VIEW product_rows AS
  SELECT p.*,
    coalesce((SELECT s.stock FROM product_stock s WHERE s.product_id = p.id), 0) AS stock
  FROM products p;

-- The names of categories as the products projection knows them, for the
-- denormalized category_name.
CREATE TABLE product_categories (
  id      UUID PRIMARY KEY,
  name    VARCHAR(100) NOT NULL,
  deleted BOOLEAN NOT NULL DEFAULT false,
  version INTEGER NOT NULL
);

-- Live products per category, kept by the projection, so that a list's total
-- count reads a handful of rows instead of counting the table.
CREATE TABLE product_counts (
  category_id UUID PRIMARY KEY,
  live        BIGINT NOT NULL DEFAULT 0
);
