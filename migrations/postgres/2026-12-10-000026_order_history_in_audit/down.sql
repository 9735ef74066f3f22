CREATE TABLE order_status_history (
    id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL REFERENCES orders (id),
    from_status TEXT,
    to_status TEXT NOT NULL,
    actor_user_id TEXT NOT NULL REFERENCES users (id),
    at TIMESTAMP NOT NULL,
    note TEXT
);
CREATE INDEX order_status_history_order ON order_status_history (order_id, at);
