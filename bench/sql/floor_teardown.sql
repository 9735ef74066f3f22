DROP TABLE IF EXISTS floor_plan, floor_dist, floor_agreed_volumes, floor_orders, floor_order_lines,
  floor_deliveries, floor_delivery_lines, floor_acceptances,
  floor_payables, floor_audit_events, floor_journal_entries, floor_journal_lines;
