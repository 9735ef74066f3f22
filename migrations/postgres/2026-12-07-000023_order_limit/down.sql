DELETE FROM region_policies WHERE kind = 'order_limit';
