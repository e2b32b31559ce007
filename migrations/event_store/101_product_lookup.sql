-- Write-side lookup of products: which category each live product is in, so
-- a category with live products is not deleted (or its products move with
-- it), and a product is only created in, or moved to, a live category. The
-- command service updates it in the same transaction as every product append.
CREATE TABLE product_lookup (
  product_id  UUID PRIMARY KEY,
  category_id UUID NOT NULL,
  deleted     BOOLEAN NOT NULL DEFAULT false
);

CREATE INDEX product_lookup_live_by_category ON product_lookup (category_id) WHERE NOT deleted;

-- Backfill from products recorded before this table existed.
WITH streams AS (
  SELECT aggregate_id AS id, bool_or(event_type = 'ProductDeleted') AS deleted
  FROM events WHERE aggregate_type = 'Product' GROUP BY aggregate_id
), placed AS (
  SELECT DISTINCT ON (aggregate_id) aggregate_id AS id,
    (CASE event_type WHEN 'ProductCreated' THEN event_data->>'categoryId'
      ELSE event_data->'changes'->>'categoryId' END)::uuid AS category_id
  FROM events
  WHERE aggregate_type = 'Product' AND (event_type = 'ProductCreated'
    OR (event_type = 'ProductUpdated' AND event_data->'changes' ? 'categoryId'))
  ORDER BY aggregate_id, event_version DESC
)
INSERT INTO product_lookup (product_id, category_id, deleted)
SELECT s.id, p.category_id, s.deleted FROM streams s JOIN placed p USING (id);
