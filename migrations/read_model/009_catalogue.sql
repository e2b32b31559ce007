-- The catalogue: the products that the lists and searches show (deleted and
-- archived ones are out of it; a product stays readable by id). The list
-- queries read these views, so a rule that takes products out of the
-- catalogue is written here once, not in each query. The partial indexes
-- (WHERE NOT deleted) still serve them, since this condition implies theirs.
-- The projection writes the tables themselves: a rebuild fills tables in a
-- schema of its own, where these views are not.
CREATE VIEW catalogue AS SELECT * FROM products WHERE NOT deleted AND NOT archived;
CREATE VIEW catalogue_rows AS SELECT * FROM product_rows WHERE NOT deleted AND NOT archived;
