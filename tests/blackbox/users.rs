//! User administration and sessions, black-box: an officer switches a user off, resets a
//! password or changes a role, and the user's token is refused on its very next request; who
//! may grant what; the tenant wall; a user's own password; failed sign-ins lock an account and
//! a client address, with a growing delay, an audit event and an administrator's unlock.

use crate::fixtures::*;
use crate::tenancy::second_region;
use jicai_tests::{on_both_databases, Client, Env, Server, DEMO_PASSWORD};
use serde_json::{json, Value};

fn sign_in(c: &Client, username: &str, password: &str) -> (u16, Value, Option<String>) {
    let result = c.request("POST", "/api/v1/auth/login").send_json(json!({"username": username, "password": password}));
    let response = match result {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("transport error: {e}"),
    };
    let status = response.status();
    let retry_after = response.header("Retry-After").map(str::to_string);
    let body: Value = response.into_json().unwrap_or(Value::Null);
    (status, body, retry_after)
}

fn signed_in(env: &Env, username: &str, password: &str) -> Client {
    let mut c = env.server.client();
    let (status, body, _) = sign_in(&c, username, password);
    assert_eq!(status, 200, "sign in {username}: {body}");
    c.token = Some(body["token"].as_str().unwrap().to_string());
    c
}

/// The administration list's row of `username`, as `caller` sees it (None when absent).
fn listed(caller: &Client, username: &str) -> Option<Value> {
    let page = caller.ok(&format!("/api/v1/users?q={username}&per_page=200"));
    page["items"].as_array().unwrap().iter().find(|u| u["username"] == username).cloned()
}

fn id_of(caller: &Client, username: &str) -> String {
    listed(caller, username).unwrap_or_else(|| panic!("{username} listed"))["id"].as_str().unwrap().to_string()
}

fn actions(admin: &Client, user_id: &str) -> Vec<String> {
    let page = admin.ok(&format!("/api/v1/audit-events?entity_type=user&entity_id={user_id}&per_page=200"));
    let mut out: Vec<String> =
        page["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap().to_string()).collect();
    out.reverse();
    out
}

on_both_databases!(changes_to_a_user_reach_their_next_request);

fn changes_to_a_user_reach_their_next_request(backend: jicai_tests::Backend) {
    let Some(env) = Env::demo(backend, Some(NOW)) else { return };
    let bureau = env.login("bureau1");
    let admin = env.login("admin");
    let hospital = env.login("hospital1");

    // A bureau officer lists the users of the region, with organisation and last sign-in;
    // no enterprise user, no admin.
    let row = listed(&bureau, "hospital1").expect("hospital1 in the region's list");
    assert!(row["org_name"].as_str().unwrap().contains("医院"), "{row}");
    assert!(row["last_sign_in_at"].is_string(), "{row}");
    assert!(row.get("password_hash").is_none() && row.get("session_version").is_none());
    assert!(listed(&bureau, "supplier1").is_none());
    assert!(listed(&bureau, "admin").is_none());
    let page = bureau.ok("/api/v1/users?role=hospital_buyer&active=true&per_page=5");
    assert_eq!(page["items"].as_array().unwrap().len(), 5);
    assert!(page["total"].as_i64().unwrap() >= 20, "{page}");
    assert_eq!(hospital.get("/api/v1/users").status, 403);
    let hospital_id = id_of(&bureau, "hospital1");

    // Switched off: the token held is refused on the next request, and signing in too.
    let r = bureau.post(&format!("/api/v1/users/{hospital_id}/deactivate"), &json!({}));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["active"], false);
    let r = hospital.get("/api/v1/orders");
    assert_eq!((r.status, r.code()), (401, "account_disabled"), "{}", r.body);
    assert_eq!(sign_in(&env.server.client(), "hospital1", DEMO_PASSWORD).0, 401);
    // Switched on: a fresh sign-in works; the token from before stays refused.
    let r = bureau.post(&format!("/api/v1/users/{hospital_id}/activate"), &json!({}));
    assert_eq!((r.status, r.body["active"].clone()), (200, json!(true)), "{}", r.body);
    let r = hospital.get("/api/v1/orders");
    assert_eq!((r.status, r.code()), (401, "session_revoked"), "{}", r.body);
    let hospital = env.login("hospital1");
    assert_eq!(hospital.get("/api/v1/orders").status, 200);

    // A password reset: a refused one changes nothing; then the old password and token end.
    let hospital2 = env.login("hospital2");
    let hospital2_id = id_of(&bureau, "hospital2");
    let r = bureau.post(&format!("/api/v1/users/{hospital2_id}/password"), &json!({"password": "short"}));
    assert_eq!((r.status, r.code(), r.body["error"]["field"].clone()), (422, "weak_password", json!("password")));
    assert_eq!(hospital2.get("/api/v1/me").status, 200);
    let r = bureau.post(&format!("/api/v1/users/{hospital2_id}/password"), &json!({"password": "handed-over-9"}));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(hospital2.get("/api/v1/me").code(), "session_revoked");
    assert_eq!(sign_in(&env.server.client(), "hospital2", DEMO_PASSWORD).0, 401);
    signed_in(&env, "hospital2", "handed-over-9");

    // A role change, within the same kind of organisation: the next request is refused, the
    // next sign-in carries the new role.
    let bureau2 = env.login("bureau2");
    let bureau2_id = id_of(&bureau, "bureau2");
    let r = bureau.post(&format!("/api/v1/users/{bureau2_id}/role"), &json!({"role": "hospital_buyer"}));
    assert_eq!((r.status, r.code()), (422, "role_mismatch"), "{}", r.body);
    let r = bureau.post(&format!("/api/v1/users/{bureau2_id}/role"), &json!({"role": "fund_officer"}));
    assert_eq!((r.status, r.body["role"].clone()), (200, json!("fund_officer")), "{}", r.body);
    assert_eq!(bureau2.get("/api/v1/tenders").code(), "session_revoked");
    let me = env.login("bureau2").ok("/api/v1/me");
    assert_eq!(me["role"], "fund_officer");

    // What a bureau officer may grant, and not on their own account.
    let hospital_org = listed(&bureau, "hospital3").unwrap()["org_id"].clone();
    let r = bureau.post(
        "/api/v1/users",
        &json!({"username": "buyer-new", "password": "long enough", "role": "admin", "org_id": hospital_org}),
    );
    assert_eq!((r.status, r.code()), (403, "role_not_grantable"), "{}", r.body);
    let r = bureau.post("/api/v1/users", &json!({"username": "buyer-new", "display_name": "新采购员", "password": "long enough", "role": "hospital_buyer", "org_id": hospital_org}));
    assert_eq!(r.status, 201, "{}", r.body);
    signed_in(&env, "buyer-new", "long enough");
    let supplier_id = id_of(&admin, "supplier1");
    assert_eq!(bureau.post(&format!("/api/v1/users/{supplier_id}/deactivate"), &json!({})).status, 404);
    let bureau_id = id_of(&bureau, "bureau1");
    let r = bureau.post(&format!("/api/v1/users/{bureau_id}/deactivate"), &json!({}));
    assert_eq!((r.status, r.code()), (409, "own_account"), "{}", r.body);

    // Another region's officer sees none of it and changes none of it.
    let (bureau_gz, _, _) = second_region(&env);
    assert!(listed(&bureau_gz, "hospital1").is_none());
    let r = bureau_gz.post(&format!("/api/v1/users/{hospital_id}/deactivate"), &json!({}));
    assert_eq!((r.status, r.code()), (404, "not_found"));
    assert_eq!(hospital.get("/api/v1/me").status, 200);

    // Every change is audited on the user.
    assert_eq!(actions(&bureau, &hospital_id), ["create", "deactivate", "activate"]);
    assert_eq!(actions(&bureau, &hospital2_id), ["create", "reset_password"]);
    assert_eq!(actions(&admin, &bureau2_id), ["create", "change_role"]);
}

on_both_databases!(a_user_changes_their_own_password);

fn a_user_changes_their_own_password(backend: jicai_tests::Backend) {
    let Some(env) = Env::demo(backend, Some(NOW)) else { return };
    let first = env.login("hospital3");
    let second = env.login("hospital3");
    let r = first.post("/api/v1/me/password", &json!({"current_password": "not it", "new_password": "a-new-password"}));
    assert_eq!((r.status, r.code()), (422, "wrong_password"), "{}", r.body);
    let r = first.post("/api/v1/me/password", &json!({"current_password": DEMO_PASSWORD, "new_password": "short"}));
    assert_eq!((r.status, r.code()), (422, "weak_password"), "{}", r.body);
    assert_eq!(second.get("/api/v1/me").status, 200, "refusals change nothing");
    let r = first
        .post("/api/v1/me/password", &json!({"current_password": DEMO_PASSWORD, "new_password": "a-new-password"}));
    assert_eq!(r.status, 200, "{}", r.body);
    // The answer is a fresh session; every older one has ended.
    let mut renewed = env.server.client();
    renewed.token = Some(r.body["token"].as_str().unwrap().to_string());
    assert_eq!(renewed.ok("/api/v1/me")["username"], "hospital3");
    assert_eq!(second.get("/api/v1/me").code(), "session_revoked");
    assert_eq!(first.get("/api/v1/me").code(), "session_revoked");
    assert_eq!(sign_in(&env.server.client(), "hospital3", DEMO_PASSWORD).0, 401);
    signed_in(&env, "hospital3", "a-new-password");
}

on_both_databases!(failed_sign_ins_lock_an_account_with_a_growing_delay);

fn failed_sign_ins_lock_an_account_with_a_growing_delay(backend: jicai_tests::Backend) {
    let Some(mut env) = Env::demo(backend, Some(NOW)) else { return };
    let anonymous = env.server.client();
    for _ in 0..5 {
        let (status, body, _) = sign_in(&anonymous, "hospital1", "guess");
        assert_eq!((status, body["error"]["code"].as_str().unwrap()), (401, "bad_credentials"));
    }
    // Locked: even the right password waits, told how long.
    let (status, body, retry_after) = sign_in(&anonymous, "hospital1", DEMO_PASSWORD);
    assert_eq!((status, body["error"]["code"].as_str().unwrap()), (429, "too_many_sign_in_attempts"), "{body}");
    let wait: i64 = retry_after.expect("Retry-After").parse().unwrap();
    assert!((1..=60).contains(&wait), "first lock is a minute: {wait}");
    // Another account from the same address is not locked.
    signed_in(&env, "hospital2", DEMO_PASSWORD);
    // The lock is audited and shown to the officer.
    let bureau = env.login("bureau1");
    let hospital_id = id_of(&bureau, "hospital1");
    assert_eq!(actions(&bureau, &hospital_id), ["create", "sign_in_locked"]);
    assert!(listed(&bureau, "hospital1").unwrap()["locked_until"].is_string());

    // Two minutes on the lock has ended; one more failure locks for twice as long.
    env.restart_at("2026-11-22T10:02:00+08:00");
    let anonymous = env.server.client();
    assert_eq!(sign_in(&anonymous, "hospital1", "guess").0, 401);
    let (status, _, retry_after) = sign_in(&anonymous, "hospital1", DEMO_PASSWORD);
    assert_eq!(status, 429);
    let wait: i64 = retry_after.unwrap().parse().unwrap();
    assert!((61..=120).contains(&wait), "second lock is two minutes: {wait}");
    // An officer lifts it.
    let bureau = env.login("bureau1");
    let r = bureau.post(&format!("/api/v1/users/{hospital_id}/unlock"), &json!({}));
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(listed(&bureau, "hospital1").unwrap()["locked_until"].is_null());
    signed_in(&env, "hospital1", DEMO_PASSWORD);
    assert_eq!(actions(&bureau, &hospital_id), ["create", "sign_in_locked", "unlock"]);

    // Per client address: guesses at many usernames lock the address.
    let url = env.server.database_url.clone();
    env.server = Server::start_with(&url, Some(NOW), &[("JICAI_SIGNIN_MAX_FAILURES_PER_ADDRESS", "3")]);
    let anonymous = env.server.client();
    for name in ["nobody1", "nobody2", "nobody3"] {
        assert_eq!(sign_in(&anonymous, name, "guess").0, 401);
    }
    let (status, body, _) = sign_in(&anonymous, "hospital4", DEMO_PASSWORD);
    assert_eq!((status, body["error"]["code"].as_str().unwrap()), (429, "too_many_sign_in_attempts"), "{body}");
}
