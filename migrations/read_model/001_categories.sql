-- Trigram indexes serve the substring searches (ILIKE '%term%') of categories and products.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- Where each projection has got to in the global event order.
CREATE TABLE projection_checkpoints (
  projection     TEXT PRIMARY KEY,
  transaction_id XID8 NOT NULL DEFAULT '0'::xid8,
  position       BIGINT NOT NULL DEFAULT 0,
  updated_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- The categories projection. Every table below belongs to it alone, so it can
-- be rebuilt without reading another projection's tables.
CREATE TABLE categories (
  id            UUID PRIMARY KEY,
  name          VARCHAR(100) NOT NULL,
  description   TEXT,
  parent_id     UUID,
  -- Ancestors from the root to this category, inclusive: [{id, name}].
  path          JSONB NOT NULL,
  depth         INTEGER NOT NULL,
  -- Live subcategories and live products, kept current by the projection.
  child_count   INTEGER NOT NULL DEFAULT 0,
  product_count INTEGER NOT NULL DEFAULT 0,
  deleted       BOOLEAN NOT NULL DEFAULT false,
  -- Version of the category's stream last applied.
  version       INTEGER NOT NULL,
  created_at    TIMESTAMPTZ NOT NULL,
  updated_at    TIMESTAMPTZ NOT NULL
);

CREATE INDEX categories_parent ON categories (parent_id, name, id) WHERE NOT deleted;
CREATE INDEX categories_name ON categories (name, id) WHERE NOT deleted;
CREATE INDEX categories_lower_name ON categories (lower(name)) WHERE NOT deleted;
CREATE INDEX categories_name_trgm ON categories USING gin (name gin_trgm_ops) WHERE NOT deleted;
-- Finds the descendants of a category (path @> '[{"id": ...}]') when it is renamed or moved.
CREATE INDEX categories_path ON categories USING gin (path jsonb_path_ops);

-- Which category each product is in, as far as the categories projection knows:
-- the source of product_count.
CREATE TABLE category_products (
  product_id  UUID PRIMARY KEY,
  category_id UUID NOT NULL,
  deleted     BOOLEAN NOT NULL DEFAULT false,
  version     INTEGER NOT NULL
);

CREATE INDEX category_products_category ON category_products (category_id) WHERE NOT deleted;

-- The part of a category path below the category with id $2 ([] when it is
-- not on the path): what a descendant keeps when that category moves.
CREATE FUNCTION category_path_below(path JSONB, id TEXT) RETURNS JSONB
LANGUAGE sql IMMUTABLE STRICT AS $$
  SELECT coalesce(jsonb_agg(t.e ORDER BY t.i), '[]'::jsonb)
  FROM jsonb_array_elements($1) WITH ORDINALITY AS t(e, i)
  WHERE t.i > (
    SELECT min(s.j) FROM jsonb_array_elements($1) WITH ORDINALITY AS s(f, j)
    WHERE s.f->>'id' = $2
  )
$$;

-- A category path with the category of id $2 renamed to $3.
CREATE FUNCTION category_path_renamed(path JSONB, id TEXT, name TEXT) RETURNS JSONB
LANGUAGE sql IMMUTABLE STRICT AS $$
  SELECT coalesce(jsonb_agg(
    CASE WHEN t.e->>'id' = $2 THEN jsonb_set(t.e, '{name}', to_jsonb($3)) ELSE t.e END
    ORDER BY t.i
  ), '[]'::jsonb)
  FROM jsonb_array_elements($1) WITH ORDINALITY AS t(e, i)
$$;
