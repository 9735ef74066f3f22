//! OCDS 1.1 open data, black-box: the demo's release and record packages, fetched without a
//! token, validate with no error against the OCDS 1.1 package schemas and the release schema
//! patched with the extensions used (vendored in `tests/ocds-schema/`, no network), and say
//! what a reader of the data would check: a tender in bidding shows no bid, an opened tender's
//! bids carry their prices and its awards are its winners, a contract holds the agreed
//! volume, a paid payable is a met milestone and a transaction. `libcoveocds` runs too when
//! it is installed; its verdict is printed, never required.

use crate::fixtures::*;
use jicai_tests::{on_both_databases, Client, Env, Server};
use jsonschema::{Draft, Retrieve, Uri, Validator};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

const CORE: &str = "https://standard.open-contracting.org/schema/1__1__5/";

fn schema_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("ocds-schema")
}

fn read(rel: &str) -> Value {
    let path = schema_dir().join(rel);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// RFC 7386 JSON merge patch: how an extension's `release-schema.json` applies to the core.
fn merge_patch(target: &mut Value, patch: &Value) {
    match patch {
        Value::Object(p) => {
            if !target.is_object() {
                *target = Value::Object(Default::default());
            }
            let t = target.as_object_mut().expect("object");
            for (k, v) in p {
                if v.is_null() {
                    t.remove(k);
                } else {
                    merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
        }
        other => *target = other.clone(),
    }
}

/// The core release schema with the bids, medicines and contract buyer extensions applied.
fn release_schema() -> Value {
    let mut schema = read("1__1__5/release-schema.json");
    for ext in ["bids", "medicines", "contract_buyer"] {
        merge_patch(&mut schema, &read(&format!("extensions/{ext}/release-schema.json")));
    }
    schema
}

/// Serves the OCDS schemas' `$ref` URLs from the vendored files.
struct Vendored(HashMap<String, Value>);

impl Retrieve for Vendored {
    fn retrieve(&self, uri: &Uri<String>) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        self.0.get(uri.as_str()).cloned().ok_or_else(|| format!("not vendored: {uri}").into())
    }
}

struct Schemas {
    releases: Validator,
    records: Validator,
}

impl Schemas {
    fn load() -> Schemas {
        let mut files = HashMap::new();
        files.insert(format!("{CORE}release-schema.json"), release_schema());
        files.insert(
            format!("{CORE}versioned-release-validation-schema.json"),
            read("1__1__5/versioned-release-validation-schema.json"),
        );
        let build = |name: &str| {
            jsonschema::options()
                .with_draft(Draft::Draft4)
                .should_validate_formats(true)
                .with_retriever(Vendored(files.clone()))
                .build(&read(&format!("1__1__5/{name}")))
                .unwrap_or_else(|e| panic!("{name}: {e}"))
        };
        Schemas { releases: build("release-package-schema.json"), records: build("record-package-schema.json") }
    }

    /// The validation errors of a package, each with its place.
    fn errors(&self, package: &Value) -> Vec<String> {
        let v = if package.get("records").is_some() { &self.records } else { &self.releases };
        v.iter_errors(package).map(|e| format!("{}: {e}", e.instance_path())).collect()
    }
}

/// Fetches a package without a token and checks it: 0 validation errors, ocids with the
/// configured prefix, release ids unique. Returns it and counts the releases checked.
fn valid(anon: &Client, schemas: &Schemas, path: &str, checked: &mut usize, prefix: &str) -> Value {
    let package = anon.ok(path);
    let errors = schemas.errors(&package);
    assert!(errors.is_empty(), "{path}: {} validation errors: {errors:#?}", errors.len());
    let releases: Vec<&Value> = match package.get("records") {
        Some(records) => records
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|r| r["releases"].as_array().unwrap().iter().chain([&r["compiledRelease"]]))
            .collect(),
        None => package["releases"].as_array().unwrap().iter().collect(),
    };
    let mut ids = std::collections::BTreeSet::new();
    for r in &releases {
        assert!(r["ocid"].as_str().unwrap().starts_with(&format!("{prefix}-")), "{path}: {}", r["ocid"]);
        assert!(ids.insert(r["id"].as_str().unwrap().to_string()), "{path}: release id {} twice", r["id"]);
    }
    *checked += releases.len();
    package
}

fn tender_with_status<'a>(tenders: &'a [Value], status: &str) -> &'a Value {
    tenders.iter().find(|t| t["status"] == status).unwrap_or_else(|| panic!("no demo tender at {status}"))
}

fn money(v: &Value) -> f64 {
    v.as_str().and_then(|s| s.parse().ok()).or_else(|| v.as_f64()).unwrap_or_else(|| panic!("not money: {v}"))
}

/// Runs `libcoveocds` on a package when it is installed and can reach the standard (the
/// network, or a zip of the standard repository named by `OCDS_STANDARD_ZIP`), and says what
/// it found; a report with validation errors fails the test.
fn libcove(package: &Value, name: &str) {
    let installed = std::process::Command::new("libcoveocds").arg("--help").output().is_ok_and(|o| o.status.success());
    if !installed {
        println!("libcoveocds: not installed, skipped");
        return;
    }
    let file = jicai_tests::work_dir().join(format!("{name}.json"));
    std::fs::write(&file, package.to_string()).unwrap();
    let mut cmd = std::process::Command::new("libcoveocds");
    cmd.args(["-s", "1.1"]);
    if let Ok(zip) = std::env::var("OCDS_STANDARD_ZIP") {
        cmd.args(["--standard-zip", &zip]);
    }
    let out = cmd.arg(&file).output().expect("libcoveocds runs");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    if report.is_null() {
        let err = String::from_utf8_lossy(&out.stderr);
        println!("libcoveocds {name}: no report (exit {:?}): {}", out.status.code(), err.lines().last().unwrap_or(""));
        return;
    }
    println!(
        "libcoveocds {name}: validation errors {}, additional checks {}, extensions {}, open codelist values outside the lists {}",
        report["validation_errors"], report["additional_checks"], report["extensions"]["invalid_extension"],
        report["additional_open_codelist_values"].as_object().map_or(0, |m| m.len()),
    );
    assert_eq!(report["validation_errors"], serde_json::json!([]), "libcoveocds {name}");
}

on_both_databases!(open_data);

fn open_data(backend: jicai_tests::Backend) {
    let Some(env) = Env::demo(backend, Some(NOW)) else { return };
    let schemas = Schemas::load();
    let anon = env.server.client();
    let bureau = env.login("bureau1");
    let prefix = "ocds-jicai0";
    let mut checked = 0;

    // Everything public at once, and one region's.
    let bulk = valid(&anon, &schemas, "/api/v1/ocds/bulk", &mut checked, prefix);
    assert_eq!(bulk["version"], "1.1");
    assert_eq!(bulk["publisher"]["name"], "集采直结 Jicai (demo publisher)");
    valid(&anon, &schemas, "/api/v1/ocds/bulk?region=440300", &mut checked, prefix);
    let none = anon.get("/api/v1/ocds/bulk?region=999999");
    assert_eq!((none.status, none.code()), (404, "not_found"));

    // Each tender and batch, as releases and as a record.
    let tenders: Vec<Value> = bureau.ok("/api/v1/tenders")["items"].as_array().unwrap().clone();
    let batches: Vec<Value> = bureau.ok("/api/v1/batches")["items"].as_array().unwrap().clone();
    let mut packages: BTreeMap<String, Value> = BTreeMap::new();
    for (kind, list) in [("tenders", &tenders), ("batches", &batches)] {
        for x in list {
            for what in ["releases", "record"] {
                let path = format!("/api/v1/ocds/{kind}/{}/{what}", id(x));
                packages.insert(path.clone(), valid(&anon, &schemas, &path, &mut checked, prefix));
            }
        }
    }
    println!("OCDS: {checked} releases checked against the schemas, 0 errors ({backend:?})");
    libcove(&bulk, &format!("ocds-bulk-{backend:?}"));

    // A tender in bidding: its document with the max price, and nothing of its bids.
    let bidding = tender_with_status(&tenders, "bidding");
    let pkg = &packages[&format!("/api/v1/ocds/tenders/{}/releases", id(bidding))];
    let releases = pkg["releases"].as_array().unwrap();
    assert_eq!(releases.len(), 1, "only the tender as published");
    assert_eq!(releases[0]["tag"], serde_json::json!(["planning", "tender"]));
    let item = &releases[0]["tender"]["items"][0];
    assert_eq!(money(&item["unit"]["value"]["amount"]), 0.9, "the max valid price per unit");
    assert_eq!(item["unit"]["value"]["currency"], "CNY");
    assert!(item["quantity"].as_i64().unwrap() > 0, "the demand base");
    let text = pkg.to_string();
    assert!(!text.contains("\"bids\"") && !text.contains("\"awards\"") && !text.contains("tenderer"), "{text}");
    // The same by its tender number.
    let by_no = anon.ok(&format!("/api/v1/ocds/tenders/{}/releases", bidding["tender_no"].as_str().unwrap()));
    assert_eq!(by_no["releases"], pkg["releases"]);

    // An opened tender with final results: bids with prices and ranks, awards = the winners.
    let opened = tender_with_status(&tenders, "final");
    let pkg = &packages[&format!("/api/v1/ocds/tenders/{}/releases", id(opened))];
    let releases = pkg["releases"].as_array().unwrap();
    let tags: Vec<&Value> = releases.iter().map(|r| &r["tag"][0]).collect();
    assert_eq!(tags, ["planning", "tenderUpdate", "award", "awardUpdate"]);
    let results = bureau.ok(&format!("/api/v1/tenders/{}/results", id(opened)));
    let official: Vec<&Value> = results[0]["bids"].as_array().unwrap().iter().collect();
    let bids = releases[1]["bids"]["details"].as_array().unwrap();
    assert_eq!(bids.len(), official.len());
    for b in &official {
        let published = bids.iter().find(|d| d["id"] == b["bid_id"]).expect("every bid published");
        assert_eq!(money(&published["value"]["amount"]), money(&b["pack_price"]));
        assert_eq!(published["rank"], b["rank"]);
        assert_eq!(published["tenderers"][0]["id"], b["enterprise_id"]);
        assert_eq!(money(&published["items"][1]["unit"]["value"]["amount"]), money(&b["comparable"]));
        let status = if b["decision"] == "above_max_price" { "disqualified" } else { "valid" };
        assert_eq!(published["status"], status);
    }
    let winners: Vec<&&Value> = official.iter().filter(|b| b["selected"] == true).collect();
    let awards = releases[3]["awards"].as_array().unwrap();
    assert_eq!(awards.len(), winners.len());
    assert!(winners.len() >= 2);
    for w in winners {
        let a = awards.iter().find(|a| a["suppliers"][0]["id"] == w["enterprise_id"]).expect("an award per winner");
        assert_eq!(a["status"], "active");
        assert_eq!(money(&a["value"]["amount"]), money(&w["final_pack_price"]), "the winning pack price");
        assert_eq!(a["relatedBids"][0], w["bid_id"]);
    }
    let record = &packages[&format!("/api/v1/ocds/tenders/{}/record", id(opened))];
    assert_eq!(record["records"][0]["compiledRelease"]["tender"]["status"], "complete");

    // A batch: a contract holds the hospital's agreed volume at the winning price.
    let batch = batches.iter().find(|b| b["name"].as_str().unwrap().contains("第七批")).expect("7th batch");
    let pkg = &packages[&format!("/api/v1/ocds/batches/{}/releases", id(batch))];
    let releases = pkg["releases"].as_array().unwrap();
    let contracts = releases.iter().find(|r| r["tag"][0] == "contract").unwrap()["contracts"].as_array().unwrap();
    assert!(!contracts.is_empty());
    let contract = &contracts[0];
    let volume = bureau.ok(&format!("/api/v1/agreed-volumes/{}", contract["id"].as_str().unwrap()));
    assert_eq!(contract["items"][0]["quantity"], volume["agreed_qty"], "{contract} {volume}");
    assert_eq!(contract["period"]["startDate"], format!("{}T00:00:00+08:00", batch["cycle_start"].as_str().unwrap()));
    assert_eq!(contract["buyer"]["id"], volume["hospital_id"]);
    let award = releases
        .iter()
        .flat_map(|r| r["awards"].as_array().into_iter().flatten())
        .find(|a| a["id"] == contract["awardID"]);
    assert!(award.is_some(), "the contract names its award");

    // A paid payable: a met milestone on its due date or after, and the payment as a
    // transaction from the fund to the supplier.
    let bulk_text = bulk.to_string();
    let paid = bureau.ok("/api/v1/payables?stage=paid&per_page=200");
    let paid = paid["items"].as_array().unwrap();
    assert!(!paid.is_empty());
    let implementation: Vec<&Value> = bulk["releases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["tag"][0] == "implementation")
        .flat_map(|r| r["contracts"].as_array().unwrap().iter())
        .map(|c| &c["implementation"])
        .collect();
    let mut seen = 0;
    for p in paid {
        let no = p["payable_no"].as_str().unwrap();
        if !bulk_text.contains(no) {
            continue; // a payable of a listed (non-winning) product is no part of a process
        }
        seen += 1;
        let milestones: Vec<&Value> = implementation
            .iter()
            .flat_map(|i| i["milestones"].as_array().into_iter().flatten())
            .filter(|m| m["id"] == no)
            .collect();
        assert!(!milestones.is_empty(), "{no} has a milestone");
        for m in &milestones {
            assert_eq!(m["type"], "payment");
            assert_eq!(m["status"], "met", "{m}");
            assert_eq!(m["dateMet"], format!("{}T00:00:00+08:00", p["paid_on"].as_str().unwrap()));
            assert_eq!(m["dueDate"], format!("{}T23:59:59+08:00", p["due_date"].as_str().unwrap()));
        }
        let transactions: Vec<&Value> = implementation
            .iter()
            .flat_map(|i| i["transactions"].as_array().into_iter().flatten())
            .filter(|t| t["id"].as_str().unwrap().starts_with(&format!("{no}-")))
            .collect();
        let sum: f64 = transactions.iter().map(|t| money(&t["value"]["amount"])).sum();
        assert!(
            (sum - money(&p["paid_amount"])).abs() < 0.005,
            "{no}: {sum} paid in transactions, {} paid",
            p["paid_amount"]
        );
        for t in &transactions {
            assert_eq!(t["payer"]["id"], "fund-440300");
            assert_eq!(t["payee"]["id"], p["supplier"]["id"]);
            assert_eq!(t["date"], format!("{}T00:00:00+08:00", p["paid_on"].as_str().unwrap()));
        }
    }
    assert!(seen > 0, "some paid payable is a winning product's");
    // An overdue payable is a milestone not met.
    let overdue = bureau.ok("/api/v1/payables?status=overdue&per_page=200");
    for p in overdue["items"].as_array().unwrap() {
        let no = p["payable_no"].as_str().unwrap();
        for m in implementation
            .iter()
            .flat_map(|i| i["milestones"].as_array().into_iter().flatten())
            .filter(|m| m["id"] == no)
        {
            assert_eq!(m["status"], "notMet", "{m}");
        }
    }

    // Nothing personal: no user, no bank account, no bank reference.
    for p in paid {
        if let Some(r) = p["bank_reference"].as_str() {
            assert!(!bulk_text.contains(r), "bank reference {r} published");
        }
    }
    assert!(!bulk_text.contains("bank_account") && !bulk_text.contains("username"));

    // The OpenAPI document lists the open data without a security requirement.
    let doc = anon.ok("/api/v1/openapi.json");
    let bulk_doc = &doc["paths"]["/api/v1/ocds/bulk"]["get"];
    assert!(bulk_doc.is_object() && bulk_doc["security"].is_null(), "{bulk_doc}");

    // Unknown ids: 404 as JSON; other routes still want a token.
    for path in ["/api/v1/ocds/tenders/nope/releases", "/api/v1/ocds/batches/nope/record"] {
        let r = anon.get(path);
        assert_eq!((r.status, r.code()), (404, "not_found"), "{path}: {}", r.body);
    }
    for path in ["/api/v1/tenders", "/api/v1/payables", &format!("/api/v1/tenders/{}/results", id(opened))] {
        assert_eq!(anon.get(path).status, 401, "{path}");
    }

    // The opened tender put in force: its winners pick their regions, the bureau enacts;
    // its contracts are the new batch's agreed volumes, and the batch is published as the
    // tender's process.
    let suppliers: Vec<(String, Client)> = (3..=7)
        .map(|i| {
            let c = env.login(&format!("supplier{i}"));
            (org_id(&c), c)
        })
        .collect();
    for _ in 0..10 {
        let board = bureau.ok(&format!("/api/v1/tenders/{}/board", id(opened)))[0].clone();
        let next = &board["next"];
        if next.is_null() {
            break;
        }
        let (_, who) = suppliers.iter().find(|(o, _)| *o == next["enterprise_id"]).expect("a demo winner");
        let body = serde_json::json!({"generic_id": board["generic_id"], "region_id": next["choices"][0]});
        let r = who.post(&format!("/api/v1/tenders/{}/picks", id(opened)), &body);
        assert!(r.status == 200 || r.status == 201, "pick: {} {}", r.status, r.body);
    }
    let r = bureau.post(&format!("/api/v1/tenders/{}/enact", id(opened)), &serde_json::json!({}));
    assert!(r.status == 200 || r.status == 201, "enact: {} {}", r.status, r.body);
    let batch_id = r.body["batches"][0].as_str().unwrap().to_string();
    let path = format!("/api/v1/ocds/tenders/{}/releases", id(opened));
    let pkg = valid(&anon, &schemas, &path, &mut checked, prefix);
    let releases = pkg["releases"].as_array().unwrap();
    let contracts = releases.iter().find(|r| r["tag"][0] == "contract").expect("a contract release")["contracts"]
        .as_array()
        .unwrap();
    assert_eq!(contracts.len() as i64, r.body["agreed_volumes"].as_i64().unwrap());
    for c in contracts {
        let volume = bureau.ok(&format!("/api/v1/agreed-volumes/{}", c["id"].as_str().unwrap()));
        assert_eq!(c["items"][0]["quantity"], volume["agreed_qty"]);
        let award = releases[3]["awards"].as_array().unwrap().iter().find(|a| a["id"] == c["awardID"]);
        assert_eq!(award.expect("the winner's award")["items"][0]["classification"]["id"], volume["product_code"]);
    }
    let as_batch = valid(&anon, &schemas, &format!("/api/v1/ocds/batches/{batch_id}/releases"), &mut checked, prefix);
    assert_eq!(as_batch["releases"], pkg["releases"], "the batch is the tender's process");
    valid(&anon, &schemas, &format!("/api/v1/ocds/batches/{batch_id}/record"), &mut checked, prefix);
    let bulk = valid(&anon, &schemas, "/api/v1/ocds/bulk", &mut checked, prefix);
    let ocids: Vec<&str> = bulk["releases"].as_array().unwrap().iter().map(|r| r["ocid"].as_str().unwrap()).collect();
    let tender_ocid = releases[0]["ocid"].as_str().unwrap();
    assert_eq!(ocids.iter().filter(|o| **o == tender_ocid).count(), releases.len(), "each process once");
    println!("OCDS: {checked} releases checked in all, 0 errors ({backend:?})");

    // The ocid prefix comes from the configuration.
    let other = Server::start_with(&env.server.database_url, Some(NOW), &[("JICAI_OCDS_PREFIX", "ocds-213czf")]);
    let mut n = 0;
    valid(&other.client(), &schemas, "/api/v1/ocds/bulk", &mut n, "ocds-213czf");
}

#[test]
fn the_vendored_schemas_catch_what_they_should() {
    let schemas = Schemas::load();
    let release = serde_json::json!({
        "ocid": "ocds-jicai0-x", "id": "1", "date": "2026-11-22T00:00:00Z", "tag": ["tender"],
        "initiationType": "tender",
        "bids": {"details": [{"id": "b", "status": "valid", "rank": 1, "value": {"amount": 4.2, "currency": "CNY"}}]},
        "contracts": [{"id": "c", "awardID": "a", "buyer": {"id": "h", "name": "医院"}}]
    });
    let package = |r: Value| {
        serde_json::json!({"uri": "http://x/p", "version": "1.1", "publishedDate": "2026-11-22T00:00:00Z",
                           "publisher": {"name": "p"}, "releases": [r]})
    };
    assert_eq!(schemas.errors(&package(release.clone())), Vec::<String>::new());
    let mut bad = release.clone();
    bad["bids"]["details"][0]["status"] = serde_json::json!("winning");
    bad["date"] = serde_json::json!("yesterday");
    bad["contracts"][0]["milestones"] = serde_json::json!([{"id": "m", "status": "late"}]);
    let errors = schemas.errors(&package(bad));
    assert_eq!(errors.len(), 3, "{errors:#?}");
}
