//! Excel in, black-box: a real published result table (the national 7th batch's rows, saved as
//! XLSX) imports into a region's batch cleanly; a sheet with bad cells is previewed with every
//! bad row and column, and a commit of it writes nothing; the corrected sheet commits all rows;
//! a CSV with Chinese headers loads agreed volumes; monthly settlements and retention inputs are
//! named as people write them; templates download.

use crate::fixtures::*;
use jicai_tests::{on_both_databases, Env};
use serde_json::{json, Value};

/// The published rows (the project's sample of the national result tables, vendored as
/// `domain/demo/vbp-winning-rows.csv`), as read by a spreadsheet.
fn published_rows() -> Vec<Vec<String>> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../domain/demo/vbp-winning-rows.csv");
    let mut reader = csv::ReaderBuilder::new().has_headers(false).from_path(path).expect("the published sample");
    reader.records().map(|r| r.unwrap().iter().map(str::to_string).collect()).collect()
}

fn errors(report: &Value) -> Vec<(u64, String, String)> {
    report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["row"].as_u64().unwrap(),
                e["column"].as_str().unwrap().to_string(),
                e["code"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

on_both_databases!(a_published_result_table_imports_from_excel);

fn a_published_result_table_imports_from_excel(backend: jicai_tests::Backend) {
    let Some(env) = Env::demo(backend, Some(NOW)) else { return };
    // A second region runs the same national batches: its bureau creates them, then
    // loads the published table as it is.
    let (bureau, hospital, _) = crate::tenancy::second_region(&env);
    for (name, doc) in
        [("国家组织药品集中采购 第七批", "国联采字〔2022〕1号"), ("国家组织药品集中采购 第八批", "国联采字〔2023〕1号")]
    {
        let r = bureau.post(
            "/api/v1/batches",
            &json!({
            "name": name, "level": "national", "category": "drug",
            "document_no": doc, "cycle_start": "2026-01-01", "cycle_end": "2027-12-31"}),
        );
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let rows = published_rows();
    assert_eq!(rows.len(), 12, "a header and 11 winners");
    let path = "/api/v1/imports/winning-bids";

    // A sheet with two bad cells: every one is listed, by row and column, and nothing is written.
    let mut bad = rows.clone();
    bad[2][7] = "1,192.7x".into();
    bad[5][6] = "不存在的企业".into();
    let r = bureau.post_file(path, XLSX, &xlsx(&bad));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        (r.body["rows"].as_u64(), r.body["valid_rows"].as_u64(), &r.body["committed"]),
        (Some(11), Some(9), &json!(false)),
        "{}",
        r.body["errors"]
    );
    assert_eq!(
        errors(&r.body),
        [
            (3, "price_per_pack_cny".to_string(), "invalid_amount".to_string()),
            (6, "winning_enterprise".to_string(), "unknown_enterprise".to_string()),
        ]
    );
    assert_eq!(r.body["columns_ignored"], json!(["generic_name_en", "dosage_form"]));
    let r = bureau.post_file(&format!("{path}?commit=true"), XLSX, &xlsx(&bad));
    assert_eq!((r.status, r.code()), (422, "sheet_has_errors"), "{}", r.body);
    assert_eq!(r.body["error"]["details"]["errors"].as_array().unwrap().len(), 2);
    assert_eq!(bureau.ok("/api/v1/winning-bids")["total"], 0, "a refused sheet writes nothing");

    // Supply regions by code or name, each with its role (主供/备供); another role is refused.
    let mut regions: Vec<Vec<String>> = rows[..3].to_vec();
    regions[0].push("供应地区".into());
    regions[1].push("440100：备供".into());
    regions[2].push("广州市：主力".into());
    let r = bureau.post_file(path, XLSX, &xlsx(&regions));
    assert_eq!(errors(&r.body), [(3, "供应地区".to_string(), "invalid_supply_role".to_string())], "{}", r.body);

    // The published table as it is: a preview writes nothing, a commit writes all 11.
    let r = bureau.post_file(path, XLSX, &xlsx(&rows));
    assert_eq!((r.status, r.body["valid_rows"].as_u64()), (200, Some(11)), "{}", r.body);
    assert!(r.body["errors"].as_array().unwrap().is_empty(), "{}", r.body);
    assert_eq!(bureau.ok("/api/v1/winning-bids")["total"], 0, "a preview writes nothing");
    let r = bureau.post_file(&format!("{path}?commit=true"), XLSX, &xlsx(&rows));
    assert_eq!((r.status, &r.body["committed"]), (200, &json!(true)), "{}", r.body);
    let bids = bureau.ok("/api/v1/winning-bids?per_page=50");
    assert_eq!(bids["total"], 11);
    let iopamidol =
        bids["items"].as_array().unwrap().iter().find(|b| b["product"]["generic_name"] == "碘帕醇注射液").unwrap();
    assert_eq!(
        (iopamidol["pack_price"].as_str(), iopamidol["enterprise_name"].as_str()),
        (Some("1192.79"), Some("Shanghai Bracco Sine Pharmaceutical"))
    );
    assert_eq!(
        iopamidol["supply_regions"],
        json!([{"region_code": "440100", "role": "primary"}]),
        "the importing region supplies by default"
    );
    // The same sheet again: every row is a duplicate now, and nothing more is written.
    let r = bureau.post_file(&format!("{path}?commit=true"), XLSX, &xlsx(&rows));
    assert_eq!((r.status, r.code()), (422, "sheet_has_errors"));
    assert_eq!(bureau.ok("/api/v1/winning-bids")["total"], 11);

    // Agreed volumes from a CSV with Chinese headers, by hospital and product names.
    let csv = "\u{feff}医疗机构,通用名,规格,包装,中选企业,报送需求量\n\
               广州市第一人民医院,碘帕醇注射液,100 ml:37 g(I),10瓶/盒,Shanghai Bracco Sine Pharmaceutical,1200\n\
               广州市第一人民医院,依折麦布片,10 mg,30片/盒,Sandoz (Lek Pharmaceuticals d.d.),36000.0\n";
    let r = bureau.post_file("/api/v1/imports/agreed-volumes?commit=true", "text/csv", csv.as_bytes());
    assert_eq!((r.status, &r.body["committed"]), (200, &json!(true)), "{}", r.body);
    let volumes = hospital.ok("/api/v1/agreed-volumes?per_page=50");
    assert_eq!(volumes["total"], 2);

    // Who may import what; an unknown import; a file of another type.
    let r = hospital.post_file(path, XLSX, &xlsx(&rows));
    assert_eq!((r.status, r.code()), (403, "forbidden"));
    let r = bureau.post_file("/api/v1/imports/orders", XLSX, &xlsx(&rows));
    assert_eq!((r.status, r.code()), (404, "unknown_import"));
    let r = bureau.post_file(path, "application/pdf", b"%PDF");
    assert_eq!((r.status, r.code()), (415, "unsupported_media_type"));
    let r = bureau.post_file(path, "text/csv", "批次,通用名\n".as_bytes());
    assert_eq!((r.status, r.code()), (422, "missing_columns"), "{}", r.body);
}

on_both_databases!(templates_download_and_monthly_settlements_import);

fn templates_download_and_monthly_settlements_import(backend: jicai_tests::Backend) {
    let Some(env) = Env::demo(backend, Some(NOW)) else { return };
    let fund = env.login("fund1");
    // Each template opens as a workbook whose header the import reads back.
    for kind in
        ["products", "winning-bids", "agreed-volumes", "listed-products", "monthly-settlements", "retention-inputs"]
    {
        let resp = fund.request("GET", &format!("/api/v1/imports/{kind}/template")).call().unwrap();
        assert_eq!(resp.header("Content-Type"), Some(XLSX));
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut resp.into_reader(), &mut bytes).unwrap();
        use calamine::Reader;
        let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        let sheet = book.worksheet_range_at(0).unwrap().unwrap();
        let header: Vec<String> = sheet.rows().next().unwrap().iter().map(|c| c.to_string()).collect();
        assert!(header.iter().all(|h| !h.is_empty()), "{kind}: {header:?}");
        assert!(
            header.iter().any(|h| h.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))),
            "{kind}: Chinese headers"
        );
    }
    let csv = fund.request("GET", "/api/v1/imports/monthly-settlements/template?format=csv").call().unwrap();
    assert!(csv.into_string().unwrap().starts_with("\u{feff}医疗机构,结算月份,结算金额"));

    // The fund's monthly settlements, one bad row previewed, then the fixed sheet committed.
    let bad = xlsx(&[
        &["医疗机构", "结算月份", "结算金额"][..],
        &["深圳市人民医院", "2026-12", "1800000.00"],
        &["不在本区的医院", "2026-12", "10.00"],
        &["深圳市人民医院", "12月", "abc"],
    ]);
    let r = fund.post_file("/api/v1/imports/monthly-settlements", XLSX, &bad);
    assert_eq!(r.status, 200, "{}", r.body);
    let mut got = errors(&r.body);
    got.sort();
    assert_eq!(
        got,
        [
            (3, "医疗机构".to_string(), "unknown_hospital".to_string()),
            (4, "结算月份".to_string(), "invalid_month".to_string()),
            (4, "结算金额".to_string(), "invalid_amount".to_string()),
        ]
    );
    let hospital_id = org_id(&env.login("hospital1"));
    let owed = || {
        fund.ok(&format!("/api/v1/hospital-statements?hospital_id={hospital_id}&month=2026-12"))
            ["closing_settlement_owed"]
            .as_str()
            .unwrap()
            .parse::<f64>()
            .unwrap()
    };
    let before = owed();
    let good = xlsx(&[&["医疗机构", "结算月份", "结算金额"][..], &["深圳市人民医院", "2026-12", "1800000.00"]]);
    let r = fund.post_file("/api/v1/imports/monthly-settlements?commit=true", XLSX, &good);
    assert_eq!((r.status, &r.body["committed"]), (200, &json!(true)), "{}", r.body);
    assert_eq!(owed() - before, 1_800_000.0, "the fund owes the hospital the month's settlement");
    // A bureau officer does not record the fund's settlements.
    let r = env.login("bureau1").post_file("/api/v1/imports/monthly-settlements", XLSX, &good);
    assert_eq!((r.status, r.code()), (403, "forbidden"));
}

on_both_databases!(retention_inputs_import_by_names);

fn retention_inputs_import_by_names(backend: jicai_tests::Backend) {
    let Some(env) = Env::demo(backend, Some(NOW)) else { return };
    let bureau = env.login("bureau1");
    let hospital_id = org_id(&env.login("hospital1"));
    let header = ["协议年度", "类型", "对象", "数值", "说明"];
    // Every bad cell at once: an unknown kind, a ratio above 1, a hospital of nowhere.
    let bad = xlsx(&[
        &header[..],
        &["1", "其他", "依折麦布片", "1", ""],
        &["1", "参保患者占比", "深圳市人民医院", "1.5", ""],
        &["1", "人工评分", "不存在的医院:rational_use", "85", ""],
    ]);
    let r = bureau.post_file("/api/v1/imports/retention-inputs", XLSX, &bad);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        errors(&r.body),
        [
            (2, "类型".to_string(), "invalid_input_kind".to_string()),
            (3, "数值".to_string(), "invalid_value".to_string()),
            (4, "对象".to_string(), "unknown_hospital".to_string()),
        ]
    );
    // Named as the bureau writes them; the hospital's name becomes its id.
    let good = xlsx(&[
        &header[..],
        &["1", "集采前价格", "黑盒导入片", "6.5", "2019 年加权平均价"],
        &["1", "参保患者占比", "深圳市人民医院", "0.92", ""],
        &["1", "人工评分", "深圳市人民医院：rational_use", "88", "合理用药考核"],
    ]);
    let r = bureau.post_file("/api/v1/imports/retention-inputs?commit=true", XLSX, &good);
    assert_eq!((r.status, &r.body["committed"]), (200, &json!(true)), "{}", r.body);
    let read = |kind: &str| {
        bureau.ok(&format!("/api/v1/retention/inputs?agreement_year=1&kind={kind}&per_page=200"))["items"]
            .as_array()
            .unwrap()
            .clone()
    };
    assert!(read("pre_vbp_price").iter().any(|i| i["subject"] == "黑盒导入片" && i["value"] == "6.5000"));
    assert!(read("insured_share").iter().any(|i| i["subject"] == hospital_id.as_str() && i["value"] == "0.92"));
    let score = format!("{hospital_id}:rational_use");
    assert!(read("manual_score")
        .iter()
        .any(|i| i["subject"] == score.as_str() && i["value"] == "88" && i["comment"] == "合理用药考核"));
}
