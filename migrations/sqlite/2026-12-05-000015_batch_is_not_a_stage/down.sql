UPDATE payables SET stage = 'in_batch' WHERE batch_id IS NOT NULL AND stage IN ('confirmed', 'disputed');
