-- The order-line sanity limit (policy kind order_limit): a line may ask at most twice the
-- hospital's annual agreed volume, or 10,000 packs without one; 100 packs are always allowed. Its initial version for every
-- existing region; new regions get it from region_setup.
INSERT INTO region_policies (id, region_id, kind, effective_from, params, note, created_by, created_at)
SELECT gen_random_uuid()::text, id, 'order_limit', DATE '2000-01-01', '{"max_multiple_of_agreed":"2","max_packs_without_volume":10000,"always_allowed_packs":100}', 'initial policy', NULL, now() FROM regions;
