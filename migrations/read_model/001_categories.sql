-- Where each projection has got to in the global event order.
CREATE TABLE projection_checkpoints (
  projection     TEXT PRIMARY KEY,
  transaction_id XID8 NOT NULL DEFAULT '0'::xid8,
  position       BIGINT NOT NULL DEFAULT 0,
  updated_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE categories (
  id          UUID PRIMARY KEY,
  name        VARCHAR(100) NOT NULL,
  description TEXT,
  parent_id   UUID,
  -- Ancestors from the root to this category, inclusive: [{id, name}].
  path        JSONB NOT NULL,
  depth       INTEGER NOT NULL,
  deleted     BOOLEAN NOT NULL DEFAULT false,
  version     INTEGER NOT NULL,
  created_at  TIMESTAMPTZ NOT NULL,
  updated_at  TIMESTAMPTZ NOT NULL
);

CREATE INDEX categories_parent ON categories (parent_id) WHERE NOT deleted;
CREATE INDEX categories_name ON categories (lower(name)) WHERE NOT deleted;
