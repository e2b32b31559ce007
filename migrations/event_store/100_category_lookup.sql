-- Write-side lookup of categories, for the invariants that span aggregates:
-- a sibling name is unique (case-insensitive), a category with children
-- cannot be deleted, a child or a product needs a live category. The command
-- service updates it in the same transaction as every category append (the
-- append's `effects`), so two racing commands cannot both pass. Never read by
-- the query side.
CREATE TABLE category_lookup (
  category_id UUID PRIMARY KEY,
  -- NULL for a root.
  parent_id   UUID,
  name        TEXT NOT NULL,
  -- The name as shared/domain/shared/rules.ts nameKey() keys it: trimmed,
  -- NFC-normalised, lower-cased.
  name_key    TEXT NOT NULL,
  deleted     BOOLEAN NOT NULL DEFAULT false,
  -- The category stream's version after its last append: a command that
  -- decided on a category it does not write checks this did not move.
  version     INTEGER NOT NULL
);

-- Unique live sibling names; the roots share the all-zero parent key.
CREATE UNIQUE INDEX category_lookup_sibling_name ON category_lookup
  ((COALESCE(parent_id, '00000000-0000-0000-0000-000000000000'::uuid)), name_key)
  WHERE NOT deleted;

CREATE INDEX category_lookup_children ON category_lookup (parent_id) WHERE NOT deleted;

-- Backfill from categories recorded before this table existed. A live name
-- that already clashed keeps its row, under a key that cannot clash again.
WITH streams AS (
  SELECT aggregate_id AS id, max(event_version) AS version, min(id) AS first,
    bool_or(event_type = 'CategoryDeleted') AS deleted
  FROM events WHERE aggregate_type = 'Category' GROUP BY aggregate_id
), named AS (
  SELECT DISTINCT ON (aggregate_id) aggregate_id AS id,
    CASE event_type WHEN 'CategoryCreated' THEN event_data->>'name'
      ELSE event_data->>'newName' END AS name
  FROM events
  WHERE aggregate_type = 'Category' AND event_type IN ('CategoryCreated', 'CategoryUpdated')
  ORDER BY aggregate_id, event_version DESC
), parented AS (
  SELECT DISTINCT ON (aggregate_id) aggregate_id AS id,
    (CASE event_type WHEN 'CategoryCreated' THEN event_data->>'parentId'
      ELSE event_data->>'newParentId' END)::uuid AS parent_id
  FROM events
  WHERE aggregate_type = 'Category' AND event_type IN ('CategoryCreated', 'CategoryMoved')
  ORDER BY aggregate_id, event_version DESC
), ranked AS (
  SELECT s.id, p.parent_id, n.name, lower(normalize(btrim(n.name), NFC)) AS name_key,
    s.deleted, s.version,
    row_number() OVER (
      PARTITION BY COALESCE(p.parent_id, '00000000-0000-0000-0000-000000000000'::uuid),
        lower(normalize(btrim(n.name), NFC)), s.deleted
      ORDER BY s.first) AS rank
  FROM streams s JOIN named n USING (id) LEFT JOIN parented p USING (id)
)
INSERT INTO category_lookup (category_id, parent_id, name, name_key, deleted, version)
SELECT id, parent_id, name,
  CASE WHEN rank > 1 AND NOT deleted THEN name_key || '#' || id::text ELSE name_key END,
  deleted, version
FROM ranked;
