//! Backup and restore, black-box: a live demo is backed up while it serves and takes orders,
//! restored into a fresh database, verified (every audit chain links, the journal balances) and
//! served from; a tampered audit event is named by `jicai audit verify`.

use crate::fixtures::*;
use jicai_tests::{cli, cli_result, fresh_database, on_both_databases, sealing_key_file, sql, Env, Server};

on_both_databases!(a_live_backup_restores_verifies_and_serves);

fn a_live_backup_restores_verifies_and_serves(backend: jicai_tests::Backend) {
    let Some(env) = Env::demo(backend, Some(NOW)) else { return };
    let url = env.server.database_url.clone();
    let hospital = env.login("hospital1");
    let supplier_org = org_id(&env.login("supplier1"));
    let bid = bid(&hospital, "依折麦布片");
    let before = place(&hospital, &supplier_org, &bid, 1);
    // Every chain of the live demo verifies (on PostgreSQL too: the hash covers the time as
    // the database keeps it, to the microsecond).
    assert!(cli(&url, Some(NOW), &["audit", "verify"]).contains("verified"));

    // Backed up while the server keeps taking orders.
    let dir = jicai_tests::work_dir().join(format!("backup-{}", id(&before)));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("jicai.backup");
    let writer = {
        let hospital = hospital.clone();
        let (supplier_org, bid) = (supplier_org.clone(), bid.clone());
        std::thread::spawn(move || (0..5).map(|_| place(&hospital, &supplier_org, &bid, 1)).collect::<Vec<_>>().len())
    };
    let text = cli(&url, Some(NOW), &["backup", file.to_str().unwrap()]);
    assert!(text.contains("backed up"), "{text}");
    assert_eq!(writer.join().unwrap(), 5);
    // A backup never overwrites.
    let (ok, text) = cli_result(&url, Some(NOW), &["backup", file.to_str().unwrap()], None);
    assert!(!ok && text.contains("exists"), "{text}");

    // Restored into a fresh database, verified on the way.
    let restored = fresh_database(backend).unwrap();
    let text = cli(&restored, Some(NOW), &["restore", file.to_str().unwrap()]);
    assert!(text.contains("verified: every chain links, every entry balances"), "{text}");
    // Not into a database that holds data.
    let (ok, text) = cli_result(&restored, Some(NOW), &["restore", file.to_str().unwrap()], None);
    assert!(!ok, "{text}");
    assert!(cli(&url, Some(NOW), &["audit", "verify"]).contains("verified"));

    // Served from the restored copy (with the original's sealing key, kept apart from backups).
    std::fs::copy(sealing_key_file(&url), sealing_key_file(&restored)).unwrap();
    let server = Server::start(&restored, Some(NOW));
    let h = server.login("hospital1");
    let order = h.ok(&format!("/api/v1/orders/{}", id(&before)));
    assert_eq!(order["order_no"], before["order_no"]);
    let balances = server.login("fund1").ok("/api/v1/ledger/balances");
    assert_eq!(balances, env.login("fund1").ok("/api/v1/ledger/balances"), "the same books");

    // A tampered event is named by the verification.
    let event =
        sql(&url, "SELECT id FROM audit_events WHERE entity_type = 'order' ORDER BY id LIMIT 1").1.trim().to_string();
    let tamper = match backend {
        jicai_tests::Backend::Sqlite => format!(
            "DROP TRIGGER audit_events_no_update; UPDATE audit_events SET after_json = '{{}}' WHERE id = '{event}';"
        ),
        jicai_tests::Backend::Postgres => format!(
            "ALTER TABLE audit_events DISABLE TRIGGER USER; UPDATE audit_events SET after_json = '{{}}' WHERE id = '{event}';"
        ),
    };
    let (ok, text) = sql(&restored, &tamper);
    assert!(ok, "{text}");
    let (ok, text) = cli_result(&restored, Some(NOW), &["audit", "verify"], None);
    assert!(!ok, "{text}");
    assert!(text.contains(&format!("breaks at event {event}")), "{text}");
}
