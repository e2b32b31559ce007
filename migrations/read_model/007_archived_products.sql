-- Archived products: out of the catalogue (no list, search or counter shows
-- them) yet readable by id and restorable. The partial indexes of 002 and 004
-- still serve the lists, whose conditions imply theirs (NOT deleted).
ALTER TABLE products ADD COLUMN archived BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE stats_products ADD COLUMN archived BOOLEAN NOT NULL DEFAULT false;

-- product_rows is p.* at its creation: recreated so that it shows the column.
CREATE OR REPLACE VIEW product_rows AS
  SELECT p.id, p.name, p.description, p.price_cents, p.category_id, p.category_name,
    p.deleted, p.version, p.created_at, p.updated_at,
    coalesce((SELECT s.stock FROM product_stock s WHERE s.product_id = p.id), 0) AS stock,
    p.archived
  FROM products p;
