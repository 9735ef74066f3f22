//! Domain operations tested below the binary: the demo seeded into a temporary SQLite file, the
//! operations called directly as a signed-in user would call them, and the rules checked in what
//! they return. Faster to read and to run than the black-box suite, which keeps the HTTP side.

use chrono::{DateTime, Days, Utc};
use diesel::prelude::*;
use jicai_domain::actor::Actor;
use jicai_domain::clock::shanghai_date;
use jicai_domain::db::{run_migrations, DbConnection, DbUrl};
use jicai_domain::ordering::delivery::{self, AcceptanceMode, DeliveryView};
use jicai_domain::ordering::orders::{self, OrderView};
use jicai_domain::schema::{agreed_volumes, bid_distributors, order_lines, payables, products, users, winning_bids};
use jicai_domain::DomainError;
use serde_json::json;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A demo database of its own in a temporary folder, removed when the fixture is dropped.
struct Fixture {
    conn: DbConnection,
    now: DateTime<Utc>,
    dir: PathBuf,
}

impl Fixture {
    fn demo(now: &str) -> Fixture {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "jicai-domain-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let url = DbUrl::parse(&format!("sqlite://{}", dir.join("jicai.db").display())).unwrap();
        let mut conn = url.establish().unwrap();
        run_migrations(&mut conn).unwrap();
        let now = DateTime::parse_from_rfc3339(now).unwrap().with_timezone(&Utc);
        let sealing = jicai_domain::tender::seal::SealingKey::from_hex(&"17".repeat(32)).unwrap();
        jicai_domain::demo::seed(&mut conn, &sealing, now).unwrap();
        Fixture { conn, now, dir }
    }

    /// The signed-in user `username`, as the server would hand it to an operation.
    fn actor(&mut self, username: &str) -> Actor {
        let (id, version): (String, i32) = users::table
            .filter(users::username.eq(username))
            .select((users::id, users::session_version))
            .first(&mut self.conn)
            .unwrap();
        jicai_domain::identity::current_session(&mut self.conn, &id, version).unwrap()
    }

    /// The winning bid of a generic: its id, unit price (1/10,000 yuan) and pack size.
    fn bid(&mut self, generic: &str) -> (String, i64, i64) {
        winning_bids::table
            .inner_join(products::table)
            .filter(products::generic_name.eq(generic))
            .select((winning_bids::id, winning_bids::unit_price, products::pack_size))
            .first(&mut self.conn)
            .unwrap()
    }

    fn order(
        &mut self,
        hospital: &Actor,
        supplier: &Actor,
        generic: &str,
        packs: i64,
    ) -> Result<OrderView, DomainError> {
        let (bid, price, pack) = self.bid(generic);
        let input = json!({"supplier_id": supplier.org_id, "lines": [{"winning_bid_id": bid, "quantity": packs * pack,
            "unit_price": format!("{}.{:04}", price / 10_000, price % 10_000)}]});
        orders::place_order(&mut self.conn, hospital, serde_json::from_value(input).unwrap(), self.now)
    }

    /// Ships a confirmed order whole, in one delivery note.
    fn ship_all(&mut self, supplier: &Actor, order: &OrderView) -> DeliveryView {
        let lines: Vec<_> = order
            .lines
            .iter()
            .map(|l| {
                json!({"order_line_id": l.id, "quantity": l.quantity, "lot_no": "D2611",
                "production_date": "2026-06-01", "expiry_date": "2031-12-31"})
            })
            .collect();
        let input = serde_json::from_value(json!({"order_id": order.summary.id, "lines": lines})).unwrap();
        delivery::ship(&mut self.conn, supplier, input, self.now).unwrap()
    }

    fn accept_all(&mut self, hospital: &Actor, d: &DeliveryView, mode: AcceptanceMode) -> DeliveryView {
        let lines: Vec<_> = d
            .lines
            .iter()
            .map(|l| json!({"delivery_line_id": l.id, "accepted_qty": l.quantity, "rejected_qty": 0}))
            .collect();
        let input = json!({"received_by": "药库 张伟", "delivered_by": "配送员 刘洋", "lines": lines});
        delivery::record_acceptance(
            &mut self.conn,
            hospital,
            &d.id,
            serde_json::from_value(input).unwrap(),
            mode,
            false,
            self.now,
        )
        .unwrap()
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

const NOW: &str = "2026-11-22T10:00:00+08:00";

#[test]
fn a_confirmed_acceptance_makes_one_payable_due_thirty_days_later() {
    let mut f = Fixture::demo(NOW);
    let (hospital, supplier) = (f.actor("hospital1"), f.actor("supplier1"));
    let order = f.order(&hospital, &supplier, "依折麦布片", 3).unwrap();
    let order = orders::confirm_order(&mut f.conn, &supplier, &order.summary.id, f.now).unwrap();
    let shipped = f.ship_all(&supplier, &order);

    // A draft is not an acceptance yet: no payable.
    let draft = f.accept_all(&hospital, &shipped, AcceptanceMode::Draft);
    let a = draft.acceptance.as_ref().unwrap();
    assert_eq!((a.status.as_str(), a.payable_id.as_deref()), ("draft", None));

    // Confirmed: one payable, for what was accepted, due on the 30th day after acceptance.
    let done = delivery::confirm_acceptance(&mut f.conn, &hospital, &shipped.id, f.now).unwrap();
    let a = done.acceptance.as_ref().unwrap();
    let payable_id = a.payable_id.clone().expect("a payable");
    let payable = jicai_domain::settlement::payable::get_payable(&mut f.conn, &supplier, &payable_id, f.now).unwrap();
    let today = shanghai_date(f.now);
    assert_eq!(payable.acceptance_date, today);
    assert_eq!(payable.due_date, today.checked_add_days(Days::new(30)).unwrap());
    assert_eq!(Some(payable.amount), a.accepted_amount);
    assert_eq!(payable.outstanding, payable.amount);

    // Confirming again changes nothing and says why.
    let again = delivery::confirm_acceptance(&mut f.conn, &hospital, &shipped.id, f.now).unwrap_err();
    assert!(matches!(again, DomainError::Conflict(_)), "{again:?}");
}

#[test]
fn only_the_hospital_orders_and_another_hospital_cannot_see_the_order() {
    let mut f = Fixture::demo(NOW);
    let (hospital, supplier, bureau) = (f.actor("hospital1"), f.actor("supplier1"), f.actor("bureau1"));
    let refused = f.order(&bureau, &supplier, "依折麦布片", 1).unwrap_err();
    assert!(matches!(refused, DomainError::Forbidden(_)), "{refused:?}");
    let order = f.order(&hospital, &supplier, "依折麦布片", 1).unwrap();
    let other = f.actor("hospital2");
    let hidden = orders::get_order(&mut f.conn, &other, &order.summary.id).unwrap_err();
    assert!(matches!(hidden, DomainError::NotFound { .. }), "{hidden:?}");
    assert_eq!(orders::get_order(&mut f.conn, &bureau, &order.summary.id).unwrap().summary.id, order.summary.id);
}

/// The agreed volumes of `hospital` in force today that `supplier` delivers: (id, bid, ordered,
/// accepted), in id order.
fn volumes_supplied(f: &mut Fixture, hospital: &Actor, supplier: &Actor) -> Vec<(String, String, i64, i64)> {
    let today = shanghai_date(f.now);
    agreed_volumes::table
        .inner_join(bid_distributors::table.on(bid_distributors::bid_id.eq(agreed_volumes::bid_id)))
        .filter(agreed_volumes::hospital_id.eq(&hospital.org_id))
        .filter(bid_distributors::enterprise_id.eq(&supplier.org_id))
        .filter(agreed_volumes::year_start.le(today))
        .filter(agreed_volumes::year_end.ge(today))
        .order(agreed_volumes::id)
        .select((agreed_volumes::id, agreed_volumes::bid_id, agreed_volumes::ordered_qty, agreed_volumes::accepted_qty))
        .load(&mut f.conn)
        .unwrap()
}

#[test]
fn each_step_answers_what_reading_it_back_shows_and_every_line_counts_in_its_volume() {
    let mut f = Fixture::demo(NOW);
    let (hospital, supplier) = (f.actor("hospital1"), f.actor("supplier1"));
    let before: Vec<_> = volumes_supplied(&mut f, &hospital, &supplier).into_iter().take(3).collect();
    assert_eq!(before.len(), 3, "the demo gives hospital1 three volumes supplier1 delivers");
    let lines: Vec<_> = before
        .iter()
        .map(|(_, bid, _, _)| {
            let (price, pack): (i64, i64) = winning_bids::table
                .inner_join(products::table)
                .filter(winning_bids::id.eq(bid))
                .select((winning_bids::unit_price, products::pack_size))
                .first(&mut f.conn)
                .unwrap();
            json!({"winning_bid_id": bid, "quantity": 2 * pack,
                "unit_price": format!("{}.{:04}", price / 10_000, price % 10_000)})
        })
        .collect();
    let input = json!({"supplier_id": supplier.org_id, "lines": lines});
    let placed = orders::place_order(&mut f.conn, &hospital, serde_json::from_value(input).unwrap(), f.now).unwrap();
    let id = placed.summary.id.clone();
    let read = |f: &mut Fixture, who: &Actor| json!(orders::get_order(&mut f.conn, who, &id).unwrap());
    assert_eq!(json!(placed), read(&mut f, &hospital));

    // Every line took its quantity from its own volume.
    let ordered: Vec<i64> = placed.lines.iter().map(|l| l.quantity).collect();
    let after = volumes_supplied(&mut f, &hospital, &supplier);
    for ((id, _, was, _), qty) in before.iter().zip(&ordered) {
        let now = after.iter().find(|v| &v.0 == id).unwrap();
        assert_eq!(now.2, was + qty, "volume {id} ordered");
    }

    let confirmed = orders::confirm_order(&mut f.conn, &supplier, &id, f.now).unwrap();
    assert_eq!(confirmed.summary.status, orders::OrderStatus::Confirmed);
    assert_eq!(json!(confirmed), read(&mut f, &supplier));

    let shipped = f.ship_all(&supplier, &confirmed);
    assert_eq!(json!(shipped), json!(delivery::get_delivery(&mut f.conn, &supplier, &shipped.id).unwrap()));
    assert_eq!(read(&mut f, &hospital)["status"], "shipped");

    let accepted = f.accept_all(&hospital, &shipped, AcceptanceMode::Confirm);
    assert_eq!(accepted.status, delivery::DeliveryStatus::Accepted);
    assert!(accepted.acceptance.as_ref().unwrap().payable_id.is_some());
    assert_eq!(json!(accepted), json!(delivery::get_delivery(&mut f.conn, &hospital, &shipped.id).unwrap()));
    let order = read(&mut f, &hospital);
    assert_eq!(order["status"], "completed");
    let line_accepted: Vec<i64> = order_lines::table
        .filter(order_lines::order_id.eq(&id))
        .order(order_lines::line_no)
        .select(order_lines::accepted_qty)
        .load(&mut f.conn)
        .unwrap();
    assert_eq!(line_accepted, ordered);
    // And every line's accepted quantity counts in its volume, for retention.
    let counted = volumes_supplied(&mut f, &hospital, &supplier);
    for ((id, _, _, was), qty) in before.iter().zip(&ordered) {
        let now = counted.iter().find(|v| &v.0 == id).unwrap();
        assert_eq!(now.3, was + qty, "volume {id} accepted");
    }
    // The order's history is its audit trail: each change once, by whom, and the chain holds.
    let history: Vec<_> = order["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| json!([h["from_status"], h["to_status"], h["actor_name"]]))
        .collect();
    let (buyer, seller) = (hospital.label(), supplier.label());
    assert_eq!(
        history,
        [
            json!([null, "submitted", buyer]),
            json!(["submitted", "confirmed", seller]),
            json!(["confirmed", "shipped", seller]),
            json!(["shipped", "completed", buyer]),
        ]
    );
    for (entity, entity_id) in [("order", id.as_str()), ("delivery", shipped.id.as_str())] {
        assert_eq!(jicai_domain::audit::verify_chain(&mut f.conn, entity, entity_id).unwrap(), None, "{entity}");
    }
}

#[test]
fn a_policy_version_added_applies_to_the_very_next_order() {
    let mut f = Fixture::demo(NOW);
    let (hospital, supplier, bureau) = (f.actor("hospital1"), f.actor("supplier1"), f.actor("bureau1"));
    // One pack more than the year's agreed volume: within twice the agreement, as in force.
    let (bid, _, pack) = f.bid("依折麦布片");
    let agreed: i64 = agreed_volumes::table
        .filter(agreed_volumes::hospital_id.eq(&hospital.org_id))
        .filter(agreed_volumes::bid_id.eq(&bid))
        .select(agreed_volumes::agreed_qty)
        .first(&mut f.conn)
        .unwrap();
    let packs = agreed / pack + 1;
    f.order(&hospital, &supplier, "依折麦布片", packs).unwrap();
    // From today, no more than the agreement itself.
    let tighter = json!({"effective_from": shanghai_date(f.now), "note": "收紧",
        "params": {"max_multiple_of_agreed": "1", "max_packs_without_volume": 1, "always_allowed_packs": 1}});
    let version = jicai_domain::region_setup::create_policy(
        &mut f.conn,
        &bureau,
        "order_limit",
        serde_json::from_value(tighter).unwrap(),
        f.now,
    )
    .unwrap();
    match f.order(&hospital, &supplier, "依折麦布片", packs).unwrap_err() {
        DomainError::Invalid(p) => assert_eq!(p.details.as_ref().unwrap()["policy_id"], json!(version.id), "{p:?}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_declined_order_gives_back_what_it_took_from_its_volume() {
    let mut f = Fixture::demo(NOW);
    let (hospital, supplier) = (f.actor("hospital1"), f.actor("supplier1"));
    let bid = f.bid("依折麦布片").0;
    let ordered_of = |f: &mut Fixture| -> i64 {
        agreed_volumes::table
            .filter(agreed_volumes::hospital_id.eq(&hospital.org_id))
            .filter(agreed_volumes::bid_id.eq(&bid))
            .select(agreed_volumes::ordered_qty)
            .first(&mut f.conn)
            .unwrap()
    };
    let was = ordered_of(&mut f);
    let order = f.order(&hospital, &supplier, "依折麦布片", 2).unwrap();
    assert_eq!(ordered_of(&mut f), was + order.lines[0].quantity);
    let declined = orders::decline_order(&mut f.conn, &supplier, &order.summary.id, "缺货", f.now).unwrap();
    assert_eq!(
        (declined.summary.status.as_str(), declined.summary.decline_reason.as_deref()),
        ("declined", Some("缺货"))
    );
    assert_eq!(ordered_of(&mut f), was);
    // A second decision finds the order decided and changes nothing.
    let again = orders::confirm_order(&mut f.conn, &supplier, &order.summary.id, f.now).unwrap_err();
    assert!(matches!(again, DomainError::Conflict(_)), "{again:?}");
    assert_eq!(ordered_of(&mut f), was);
}

#[test]
fn a_payable_keeps_what_was_accepted_and_the_migration_gives_older_payables_the_same() {
    let mut f = Fixture::demo(NOW);
    let (hospital, supplier) = (f.actor("hospital1"), f.actor("supplier1"));
    let order = f.order(&hospital, &supplier, "依折麦布片", 3).unwrap();
    let order = orders::confirm_order(&mut f.conn, &supplier, &order.summary.id, f.now).unwrap();
    let shipped = f.ship_all(&supplier, &order);
    // One unit short of three packs is accepted: no whole number of packs.
    let line = &shipped.lines[0];
    let input = json!({"received_by": "药库 张伟", "delivered_by": "配送员 刘洋", "lines": [{
        "delivery_line_id": line.id, "accepted_qty": line.quantity - 1, "rejected_qty": 1, "reject_reason": "破损"}]});
    let done = delivery::record_acceptance(
        &mut f.conn,
        &hospital,
        &shipped.id,
        serde_json::from_value(input).unwrap(),
        AcceptanceMode::Confirm,
        false,
        f.now,
    )
    .unwrap();
    let payable_id = done.acceptance.unwrap().payable_id.unwrap();
    let payable = jicai_domain::settlement::payable::get_payable(&mut f.conn, &supplier, &payable_id, f.now).unwrap();
    let product = &order.lines[0].product;
    let items = payable.items.lines().unwrap();
    assert_eq!(items.len(), 1);
    let item = &items[0];
    assert_eq!(item.generic_name, "依折麦布片");
    assert_eq!((item.accepted_qty, item.pack_size), (line.quantity - 1, product.pack_size));
    assert_eq!(item.packs, None, "{item:?}");

    // What the migration writes for payables that arose before it is what acceptance writes now.
    let kept: Vec<(String, String)> =
        payables::table.select((payables::id, payables::items)).order(payables::id).load(&mut f.conn).unwrap();
    assert!(kept.len() > 1, "the demo has payables of its own");
    let migration = include_str!("../../migrations/sqlite/2026-12-09-000025_payable_items/up.sql");
    let backfill = &migration[migration.find("UPDATE payables").expect("the backfill")..];
    diesel::update(payables::table).set(payables::items.eq("[]")).execute(&mut f.conn).unwrap();
    diesel::sql_query(backfill).execute(&mut f.conn).unwrap();
    let again: Vec<(String, String)> =
        payables::table.select((payables::id, payables::items)).order(payables::id).load(&mut f.conn).unwrap();
    let parsed = |rows: &[(String, String)]| -> Vec<(String, serde_json::Value)> {
        rows.iter().map(|(id, items)| (id.clone(), serde_json::from_str(items).unwrap())).collect()
    };
    assert_eq!(parsed(&again), parsed(&kept));
}

#[test]
fn an_order_names_a_real_supplier_and_only_its_own_supplier_decides_it() {
    let mut f = Fixture::demo(NOW);
    let (hospital, supplier, other) = (f.actor("hospital1"), f.actor("supplier1"), f.actor("supplier2"));
    let (bid, price, pack) = f.bid("依折麦布片");
    let line = json!({"winning_bid_id": bid, "quantity": pack,
        "unit_price": format!("{}.{:04}", price / 10_000, price % 10_000)});
    // No such supplier: refused on the supplier, whatever the lines say.
    for lines in [json!([line]), json!([{"winning_bid_id": "no-such-bid", "quantity": 1, "unit_price": "1.0000"}])] {
        let input = json!({"supplier_id": "no-such-enterprise", "lines": lines});
        let e = orders::place_order(&mut f.conn, &hospital, serde_json::from_value(input).unwrap(), f.now).unwrap_err();
        match e {
            DomainError::Invalid(p) => assert_eq!(p.field.as_deref(), Some("supplier_id"), "{p:?}"),
            other => panic!("{other:?}"),
        }
    }
    // Placed with supplier1: supplier2 neither sees nor decides it; supplier1 confirms once.
    let order = f.order(&hospital, &supplier, "依折麦布片", 1).unwrap();
    let id = order.summary.id.clone();
    let e = orders::confirm_order(&mut f.conn, &other, &id, f.now).unwrap_err();
    assert!(matches!(e, DomainError::NotFound { .. }), "{e:?}");
    let hospital2 = f.actor("hospital2");
    let e = orders::cancel_order(&mut f.conn, &hospital2, &id, f.now).unwrap_err();
    assert!(matches!(e, DomainError::NotFound { .. }), "{e:?}");
    let confirmed = orders::confirm_order(&mut f.conn, &supplier, &id, f.now).unwrap();
    assert_eq!(confirmed.summary.status, orders::OrderStatus::Confirmed);
    assert_eq!(json!(confirmed), json!(orders::get_order(&mut f.conn, &hospital, &id).unwrap()));
    let e = orders::cancel_order(&mut f.conn, &hospital, &id, f.now).unwrap_err();
    assert!(matches!(e, DomainError::Conflict(_)), "{e:?}");
}

#[test]
fn an_idempotent_write_keeps_what_it_would_keep_without_its_key() {
    use jicai_domain::idempotency::{run_once, IdempotentRequest};
    let mut f = Fixture::demo(NOW);
    let (hospital, supplier) = (f.actor("hospital1"), f.actor("supplier1"));
    let (bid, price, pack) = f.bid("依折麦布片");
    let body = json!({"supplier_id": supplier.org_id, "lines": [{"winning_bid_id": bid, "quantity": pack,
        "unit_price": format!("{}.{:04}", price / 10_000, price % 10_000)}]});
    let orders_now =
        |f: &mut Fixture| -> i64 { jicai_domain::schema::orders::table.count().get_result(&mut f.conn).unwrap() };
    let user_id = hospital.user_id.clone();
    let request = |key: &'static str, bytes: &'static [u8]| IdempotentRequest {
        user_id: &user_id,
        key,
        method: "POST",
        path: "/api/v1/orders",
        body: bytes,
    };
    let now = f.now;
    let place = |conn: &mut DbConnection| {
        let order = orders::place_order(conn, &hospital, serde_json::from_value(body.clone()).unwrap(), now)?;
        Ok((201, json!(order).to_string()))
    };
    let before = orders_now(&mut f);
    // Placed once under its key; the retry answers the same and places nothing more.
    let first = run_once(&mut f.conn, &request("k1", b"order"), now, place).unwrap();
    let again = run_once(&mut f.conn, &request("k1", b"order"), now, place).unwrap();
    assert_eq!((first.replayed, again.replayed, &again.body), (false, true, &first.body));
    assert_eq!(orders_now(&mut f), before + 1);
    // An operation that answers the failure of its own transaction (a preview) keeps nothing of
    // that transaction, and its answer is what is stored.
    let preview = |conn: &mut DbConnection| {
        let tried: Result<(), DomainError> = jicai_domain::db::write_tx(conn, |conn| {
            orders::place_order(conn, &hospital, serde_json::from_value(body.clone()).unwrap(), now)?;
            Err(DomainError::Internal("a preview keeps nothing".into()))
        });
        Ok((200, json!({"would_fail": tried.is_err()}).to_string()))
    };
    let answered = run_once(&mut f.conn, &request("k2", b"preview"), now, preview).unwrap();
    assert_eq!(answered.body, r#"{"would_fail":true}"#);
    assert_eq!(orders_now(&mut f), before + 1);
}

#[test]
fn a_bids_terms_kept_for_orders_show_its_products_new_consistency_standing_at_once() {
    use jicai_domain::catalog::{bid_terms::bid_terms, set_consistency, Consistency};
    let mut f = Fixture::demo(NOW);
    let (bureau, hospital) = (f.actor("bureau1"), f.actor("hospital1"));
    let (bid, _, _) = f.bid("依折麦布片");
    let region = hospital.region_id.clone().expect("a hospital has a region");
    let standing = |f: &mut Fixture| {
        let terms = bid_terms(&mut f.conn, &region, &[bid.as_str()]).unwrap();
        terms[&bid].product.consistency.clone()
    };
    // Read once, so that the process keeps the terms.
    let before = standing(&mut f);
    let next = if before.as_deref() == Some("not_passed") { Consistency::Passed } else { Consistency::NotPassed };
    let product_id = bid_terms(&mut f.conn, &region, &[bid.as_str()]).unwrap()[&bid].product.id.clone();
    set_consistency(&mut f.conn, &bureau, &product_id, Some(next), f.now).unwrap();
    assert_eq!(standing(&mut f).as_deref(), Some(next.as_str()), "the kept terms were read again");
    set_consistency(&mut f.conn, &bureau, &product_id, None, f.now).unwrap();
    assert_eq!(standing(&mut f), None);
}

#[test]
fn a_failed_sign_in_clears_away_the_failures_older_than_the_window() {
    use jicai_domain::identity::{sign_in, SignIn, SignInLimits};
    use jicai_domain::schema::sign_in_failures;
    let mut f = Fixture::demo(NOW);
    let limits = SignInLimits::default();
    let fail = |f: &mut Fixture, username: &str, client: &str, at: DateTime<Utc>| {
        let refused = sign_in(&mut f.conn, &SignIn { username, password: "wrong", client }, &limits, at).unwrap_err();
        assert!(matches!(refused, DomainError::BadCredentials), "{refused:?}");
        sign_in_failures::table
            .select(sign_in_failures::username)
            .order(sign_in_failures::failed_at)
            .load::<String>(&mut f.conn)
            .unwrap()
    };
    let start = f.now;
    fail(&mut f, "hospital1", "10.0.0.1", start);
    // Within the window every failure stays: each counts towards a lock.
    let kept = fail(&mut f, "nobody", "10.0.0.2", start + limits.window - chrono::Duration::seconds(1));
    assert_eq!(kept, ["hospital1", "nobody"]);
    // Past it, anyone's failure clears away those that no longer count.
    let kept = fail(&mut f, "supplier1", "10.0.0.3", start + limits.window + chrono::Duration::seconds(1));
    assert_eq!(kept, ["nobody", "supplier1"]);
}

#[test]
fn an_import_whose_name_lookup_fails_in_the_database_stops_instead_of_calling_the_name_unknown() {
    use jicai_domain::imports::{run, Kind};
    let mut f = Fixture::demo(NOW);
    let bureau = f.actor("bureau1");
    let sheet = |hospital: &str| {
        vec![
            vec!["协议年度".to_string(), "类型".into(), "对象".into(), "数值".into()],
            vec!["1".into(), "参保患者占比".into(), hospital.into(), "0.9".into()],
        ]
    };
    // A name that is not there is the sheet's problem, reported on its row.
    let report = run(&mut f.conn, &bureau, Kind::RetentionInputs, &sheet("不存在的医院"), false, f.now).unwrap();
    assert_eq!(report.errors.len(), 1, "{:?}", report.errors);
    assert_eq!(report.errors[0].column, "对象");
    // A lookup the database fails is not: the import stops with the database's error.
    diesel::sql_query("ALTER TABLE organizations RENAME TO organizations_away").execute(&mut f.conn).unwrap();
    let failed = run(&mut f.conn, &bureau, Kind::RetentionInputs, &sheet("深圳市人民医院"), false, f.now).unwrap_err();
    assert!(matches!(failed, DomainError::Database(_)), "{failed:?}");
}

#[test]
fn an_import_whose_row_the_database_fails_to_write_stops_instead_of_blaming_the_row() {
    use jicai_domain::imports::{run, Kind};
    let mut f = Fixture::demo(NOW);
    let bureau = f.actor("bureau1");
    let sheet = vec![
        vec!["协议年度".to_string(), "类型".into(), "对象".into(), "数值".into()],
        vec!["1".into(), "参保患者占比".into(), "深圳市人民医院".into(), "0.9".into()],
    ];
    let report = run(&mut f.conn, &bureau, Kind::RetentionInputs, &sheet, false, f.now).unwrap();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    // The same sheet while the database cannot write the row: the import stops with its error.
    diesel::sql_query("ALTER TABLE retention_inputs RENAME TO retention_inputs_away").execute(&mut f.conn).unwrap();
    let failed = run(&mut f.conn, &bureau, Kind::RetentionInputs, &sheet, false, f.now).unwrap_err();
    assert!(matches!(failed, DomainError::Database(_)), "{failed:?}");
}

#[test]
fn a_session_read_a_moment_ago_holds_and_a_change_through_this_process_ends_it_at_once() {
    use jicai_domain::identity::{change_user, current_session, UserChange, SESSION_KEPT_FOR};
    let mut f = Fixture::demo(NOW);
    let version = |f: &mut Fixture, id: &str| -> i32 {
        users::table.find(id).select(users::session_version).first(&mut f.conn).unwrap()
    };
    let admin = f.actor("admin");
    let read_at = std::time::Instant::now();
    let buyer = f.actor("hospital1");
    let buyer_version = version(&mut f, &buyer.user_id);
    // Another process switches the buyer off behind this one's back: this process reads the
    // user again once its reading is older than SESSION_KEPT_FOR.
    diesel::update(users::table.find(&buyer.user_id)).set(users::active.eq(false)).execute(&mut f.conn).unwrap();
    let kept = current_session(&mut f.conn, &buyer.user_id, buyer_version);
    if read_at.elapsed() < SESSION_KEPT_FOR {
        assert_eq!(kept.unwrap().user_id, buyer.user_id);
    }
    std::thread::sleep(SESSION_KEPT_FOR);
    let ended = current_session(&mut f.conn, &buyer.user_id, buyer_version).unwrap_err();
    assert!(matches!(ended, DomainError::SessionEnded(_)), "{ended:?}");

    // Through this process, a change ends the session at the very next request.
    let supplier = f.actor("supplier1");
    let supplier_version = version(&mut f, &supplier.user_id);
    change_user(&mut f.conn, &admin, &supplier.user_id, UserChange::Active(false), f.now).unwrap();
    let ended = current_session(&mut f.conn, &supplier.user_id, supplier_version).unwrap_err();
    assert!(matches!(ended, DomainError::SessionEnded(_)), "{ended:?}");
}
