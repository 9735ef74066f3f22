//! Verifies the rules the API enforces on whatever is in the database (generated or not):
//! every query counts the rows that break one rule; all counts must be zero.

use diesel::prelude::*;
use diesel::sql_types::BigInt;
use jicai_domain::db::DbConnection;
use jicai_domain::policy::DeadlineRule;
use jicai_domain::schema::payables;
use jicai_domain::settlement::rules::due_date;

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// (rule, SQL counting the violations). Money: prices in 1/10000 yuan, amounts in fen, so
/// `(Σ qty × price + 50) / 100` is Σ qty × price rounded half-up to the fen (non-negative).
const RULES: &[(&str, &str)] = &[
    (
        "order line price equals the winning bid's price",
        "SELECT COUNT(*) AS n FROM order_lines l JOIN winning_bids b ON b.id = l.bid_id WHERE l.unit_price <> b.unit_price",
    ),
    (
        "order line amount = quantity × price, half-up to the fen",
        "SELECT COUNT(*) AS n FROM order_lines WHERE amount <> (quantity * unit_price + 50) / 100",
    ),
    (
        "order total = Σ line amounts",
        "SELECT COUNT(*) AS n FROM orders o WHERE o.total_amount <> (SELECT COALESCE(SUM(l.amount), 0) FROM order_lines l WHERE l.order_id = o.id)",
    ),
    (
        "in-volume + above-volume = quantity (winning lines)",
        "SELECT COUNT(*) AS n FROM order_lines WHERE kind = 'winning' AND in_volume_qty + above_volume_qty <> quantity",
    ),
    (
        "agreed quantity = demand × ratio, half-up",
        "SELECT COUNT(*) AS n FROM agreed_volumes WHERE agreed_qty <> (reported_demand * ratio_bp + 5000) / 10000",
    ),
    (
        "ordered quantity of an agreed volume = Σ its order lines",
        "SELECT COUNT(*) AS n FROM agreed_volumes v WHERE v.ordered_qty <> (SELECT COALESCE(SUM(l.quantity), 0) FROM order_lines l WHERE l.agreed_volume_id = v.id)",
    ),
    (
        "Σ in-volume ≤ agreed quantity",
        "SELECT COUNT(*) AS n FROM agreed_volumes v WHERE v.agreed_qty < (SELECT COALESCE(SUM(l.in_volume_qty), 0) FROM order_lines l WHERE l.agreed_volume_id = v.id)",
    ),
    (
        "accepted quantity of an agreed volume = Σ its winning lines accepted within its dates",
        "SELECT COUNT(*) AS n FROM agreed_volumes v WHERE v.accepted_qty <> (SELECT COALESCE(SUM(d.accepted_qty), 0) FROM delivery_lines d JOIN order_lines l ON l.id = d.order_line_id JOIN acceptances a ON a.delivery_id = d.delivery_id WHERE l.agreed_volume_id = v.id AND l.kind = 'winning' AND a.status = 'confirmed' AND a.acceptance_date >= v.year_start AND a.acceptance_date <= v.year_end)",
    ),
    (
        "every other accepted line is an off-volume purchase",
        "SELECT COUNT(*) AS n FROM delivery_lines d JOIN order_lines l ON l.id = d.order_line_id JOIN acceptances a ON a.delivery_id = d.delivery_id LEFT JOIN agreed_volumes v ON v.id = l.agreed_volume_id WHERE a.status = 'confirmed' AND d.accepted_qty > 0 AND NOT (l.kind = 'winning' AND v.id IS NOT NULL AND a.acceptance_date >= v.year_start AND a.acceptance_date <= v.year_end) AND NOT EXISTS (SELECT 1 FROM off_volume_purchases o WHERE o.delivery_line_id = d.id AND o.qty = d.accepted_qty)",
    ),
    (
        "accepted + rejected = shipped, reason when rejected",
        "SELECT COUNT(*) AS n FROM delivery_lines WHERE accepted_qty IS NOT NULL AND (accepted_qty + rejected_qty <> quantity OR (rejected_qty > 0 AND reject_reason IS NULL))",
    ),
    (
        "order line accepted = Σ accepted on its delivery lines",
        "SELECT COUNT(*) AS n FROM order_lines l WHERE l.accepted_qty <> (SELECT COALESCE(SUM(d.accepted_qty), 0) FROM delivery_lines d WHERE d.order_line_id = l.id)",
    ),
    (
        "one payable per confirmed acceptance",
        "SELECT COUNT(*) AS n FROM acceptances a WHERE a.status = 'confirmed' AND NOT EXISTS (SELECT 1 FROM payables p WHERE p.acceptance_id = a.id)",
    ),
    (
        "payable amount = Σ accepted × price, half-up to the fen",
        "SELECT COUNT(*) AS n FROM (SELECT p.amount AS a, (SELECT COALESCE(SUM(d.accepted_qty * l.unit_price), 0) FROM delivery_lines d JOIN order_lines l ON l.id = d.order_line_id WHERE d.delivery_id = p.delivery_id) AS s FROM payables p) x WHERE NOT (x.a * 100 <= x.s + 50 AND x.s + 50 < x.a * 100 + 100)",
    ),
    (
        "payable's order and delivery numbers = its order's and delivery's",
        "SELECT COUNT(*) AS n FROM payables p JOIN orders o ON o.id = p.order_id JOIN deliveries d ON d.id = p.delivery_id WHERE p.order_no <> o.order_no OR p.delivery_no <> d.delivery_no",
    ),
    (
        "payable acceptance date = the acceptance's",
        "SELECT COUNT(*) AS n FROM payables p JOIN acceptances a ON a.id = p.acceptance_id WHERE a.acceptance_date IS NULL OR a.acceptance_date <> p.acceptance_date",
    ),
    (
        "invoices match the payable exactly",
        "SELECT COUNT(*) AS n FROM payables p WHERE p.invoiced_on IS NOT NULL AND p.amount <> (SELECT COALESCE(SUM(i.amount), 0) FROM invoices i WHERE i.payable_id = p.id)",
    ),
    (
        "paid ⇔ one payment of the full amount",
        "SELECT COUNT(*) AS n FROM payables p WHERE (p.stage = 'paid') <> EXISTS (SELECT 1 FROM payments x WHERE x.payable_id = p.id AND x.amount = p.amount AND x.amount = p.paid_amount)",
    ),
    (
        "paid ≤ payable",
        "SELECT COUNT(*) AS n FROM payables WHERE paid_amount > amount",
    ),
    (
        "batch total and count = Σ items",
        "SELECT COUNT(*) AS n FROM payment_batches b WHERE b.total_amount <> (SELECT COALESCE(SUM(i.amount), 0) FROM payment_batch_items i WHERE i.batch_id = b.id) OR b.item_count <> (SELECT COUNT(*) FROM payment_batch_items i WHERE i.batch_id = b.id)",
    ),
    (
        "maker-checker: approver ≠ preparer",
        "SELECT COUNT(*) AS n FROM payment_batches WHERE approved_by IS NOT NULL AND approved_by = prepared_by",
    ),
    (
        "journal entries balance (debits = credits)",
        "SELECT COUNT(*) AS n FROM (SELECT entry_id FROM journal_lines GROUP BY entry_id HAVING SUM(debit) <> SUM(credit)) x",
    ),
    (
        "every payment is posted (cover + payment entries)",
        "SELECT COUNT(*) AS n FROM payments x WHERE (SELECT COUNT(*) FROM journal_entries e WHERE e.source_type = 'payment' AND e.source_id = x.id) <> 2",
    ),
    (
        "prepayment balance never negative",
        "SELECT COUNT(*) AS n FROM (SELECT party_id FROM journal_lines WHERE account = 'hospital_prepayment' GROUP BY party_id HAVING SUM(credit) - SUM(debit) < 0) x",
    ),
    (
        "each supplier's payable balance = what its payables still owe",
        "SELECT COUNT(*) AS n FROM (SELECT supplier_id, SUM(amount - credited_amount - paid_amount) AS owed FROM payables GROUP BY supplier_id) o \
         WHERE o.owed <> COALESCE((SELECT SUM(credit) - SUM(debit) FROM journal_lines j WHERE j.account = 'supplier_payable' AND j.party_id = o.supplier_id), 0)",
    ),
];

pub struct Report {
    pub lines: Vec<(String, i64)>,
}

impl Report {
    pub fn ok(&self) -> bool {
        self.lines.iter().all(|(_, n)| *n == 0)
    }
}

pub fn check(conn: &mut DbConnection) -> Result<Report, String> {
    let mut lines = Vec::new();
    for (rule, sql) in RULES {
        let c: Count = diesel::sql_query(*sql).get_result(conn).map_err(|e| format!("{rule}: {e}"))?;
        lines.push((rule.to_string(), c.n));
    }
    // Foreign keys (the generator loads with per-row FK triggers off): SQLite checks them all;
    // on PostgreSQL the references of the settlement chain are checked here.
    let fk_sql = match conn {
        DbConnection::Sqlite(_) => "SELECT COUNT(*) AS n FROM pragma_foreign_key_check",
        DbConnection::Postgresql(_) => {
            "SELECT COUNT(*) AS n FROM payables p LEFT JOIN acceptances a ON a.id = p.acceptance_id \
             LEFT JOIN deliveries d ON d.id = p.delivery_id LEFT JOIN orders o ON o.id = p.order_id \
             LEFT JOIN organizations h ON h.id = p.hospital_id LEFT JOIN organizations s ON s.id = p.supplier_id \
             WHERE a.id IS NULL OR d.id IS NULL OR o.id IS NULL OR h.id IS NULL OR s.id IS NULL"
        }
    };
    let c: Count = diesel::sql_query(fk_sql).get_result(conn).map_err(|e| format!("foreign keys: {e}"))?;
    lines.push(("foreign keys resolve".into(), c.n));
    // Due dates by the domain's own deadline rule (the generated region keeps the default).
    let dates: Vec<(chrono::NaiveDate, chrono::NaiveDate)> = payables::table
        .select((payables::acceptance_date, payables::due_date))
        .load(conn)
        .map_err(|e| e.to_string())?;
    let rule = DeadlineRule::default();
    let bad = dates.iter().filter(|(a, d)| due_date(rule, *a) != *d).count() as i64;
    lines.push(("due date = acceptance date + 30 calendar days".into(), bad));
    let total: i64 = payables::table.count().get_result(conn).map_err(|e| e.to_string())?;
    lines.push((format!("(information) payables checked: {total}; must be > 0"), if total > 0 { 0 } else { 1 }));
    Ok(Report { lines })
}
