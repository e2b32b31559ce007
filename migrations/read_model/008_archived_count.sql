-- Archived products counted by delta, per category, as the live ones are: the
-- archived count of productStatistics then reads the counters, not every product.
ALTER TABLE stats_category_products ADD COLUMN archived_count BIGINT NOT NULL DEFAULT 0;

INSERT INTO stats_category_products AS s (category_id, archived_count)
SELECT category_id, count(*) FROM stats_products WHERE archived AND NOT deleted
GROUP BY category_id
ON CONFLICT (category_id) DO UPDATE SET archived_count = EXCLUDED.archived_count;
