//! The house's shape, checked from the source: the base layer (the single files at the top of
//! `src/`) imports no capability, and the capability folders import each other one way only.
//! A new import that closes a circle, or a base file that reaches up, fails here with its path.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Modules above the capabilities: they may use any of them.
const COMPOSITION: [&str; 4] = ["lib", "demo", "region_setup", "disclosure"];
/// Paths kept at the crate root for the modules that moved into folders.
const MOVED: [(&str, &str); 5] = [
    ("volumes", "catalog"),
    ("delivery", "ordering"),
    ("orders", "ordering"),
    ("payables", "settlement"),
    ("payable", "settlement"),
];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level modules a file names as `crate::NAME`, with moved paths read as their folder.
fn crate_imports(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (i, _) in text.match_indices("crate::") {
        if text[..i].ends_with('$') {
            continue; // `$crate::` in a macro names this crate's base, wherever it expands
        }
        let name: String = text[i + 7..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
        let name = MOVED.iter().find(|(m, _)| *m == name).map_or(name.clone(), |(_, folder)| folder.to_string());
        out.insert(name);
    }
    out
}

/// Each unit (a base file or a capability folder) and the units it imports.
fn graph() -> (BTreeSet<String>, BTreeMap<String, BTreeSet<String>>) {
    let root = src();
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    let mut base = BTreeSet::new();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let rel = file.strip_prefix(&root).unwrap();
        let mut parts = rel.components().map(|c| c.as_os_str().to_string_lossy().to_string());
        let first = parts.next().unwrap();
        let unit = if rel.components().count() == 1 {
            let name = first.trim_end_matches(".rs").to_string();
            if !COMPOSITION.contains(&name.as_str()) {
                base.insert(name.clone());
            }
            name
        } else {
            first
        };
        let text = fs::read_to_string(&file).unwrap();
        let imports = crate_imports(&text);
        edges.entry(unit.clone()).or_default().extend(imports.into_iter().filter(|m| *m != unit));
    }
    (base, edges)
}

#[test]
fn the_base_layer_imports_no_capability() {
    let (base, edges) = graph();
    let mut reaching_up = Vec::new();
    for b in &base {
        for m in &edges[b] {
            if !base.contains(m) {
                reaching_up.push(format!("{b} -> {m}"));
            }
        }
    }
    assert!(reaching_up.is_empty(), "base modules import capabilities: {reaching_up:?}");
    assert!(base.contains("db") && base.contains("actor") && base.contains("policy"), "base found: {base:?}");
}

/// A circle among `nodes` in `edges` (edges to other nodes are ignored), as the path that closes it.
fn find_cycle(nodes: &BTreeSet<String>, edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        nodes: &BTreeSet<String>,
        edges: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in edges.get(node).into_iter().flatten().filter(|n| nodes.contains(*n)) {
            if let Some(c) = visit(next, nodes, edges, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    nodes.iter().find_map(|n| visit(n, nodes, edges, &mut Vec::new(), &mut done))
}

#[test]
fn capability_folders_import_each_other_one_way() {
    let (base, edges) = graph();
    let caps: BTreeSet<String> =
        edges.keys().filter(|k| !base.contains(*k) && !COMPOSITION.contains(&k.as_str())).cloned().collect();
    assert!(caps.len() >= 7, "capability folders found: {caps:?}");
    if let Some(cycle) = find_cycle(&caps, &edges) {
        panic!("capability folders import each other in a circle: {}", cycle.join(" -> "));
    }
}

#[test]
fn nothing_imports_the_disclosure() {
    let (_, edges) = graph();
    let importers: Vec<&String> = edges
        .iter()
        // The demo publishes what it seeded, as an officer would.
        .filter(|(unit, imports)| *unit != "lib" && *unit != "demo" && imports.contains("disclosure"))
        .map(|(u, _)| u)
        .collect();
    assert!(importers.is_empty(), "disclosure reads every capability and is read by none: {importers:?}");
}

#[test]
fn imports_are_read_as_their_folders_and_circles_are_found() {
    let found = crate_imports("use crate::catalog::x; fn f() { crate::ordering::y(); $crate::db::z }");
    assert_eq!(found, ["catalog", "ordering"].into_iter().map(String::from).collect());
    let moved = crate_imports("use crate::payables::PayableRow; use crate::volumes::Ratio;");
    assert_eq!(moved, ["catalog", "settlement"].into_iter().map(String::from).collect());
    let set = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<BTreeSet<String>>();
    let nodes = set(&["a", "b", "c"]);
    let mut edges = BTreeMap::new();
    edges.insert("a".to_string(), set(&["b", "db"]));
    edges.insert("b".to_string(), set(&["c"]));
    assert_eq!(find_cycle(&nodes, &edges), None);
    edges.insert("c".to_string(), set(&["a"]));
    assert_eq!(find_cycle(&nodes, &edges), Some(vec!["a".into(), "b".into(), "c".into(), "a".into()]));
}

/// The rules a newcomer looks for, each in its capability's `rules.rs`, defined nowhere else.
#[test]
fn each_named_rule_lives_in_one_rules_file() {
    let root = src();
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    let named = [
        ("settlement/rules.rs", "due_date"), // due = acceptance + 30 days (the rule in force)
        ("settlement/rules.rs", "attribute_delay"), // whom each overdue day waited on
        ("settlement/rules.rs", "late_interest"), // interest only for the fund's days
        ("settlement/rules.rs", "after_dispute"), // the stage after a dispute is resolved
        ("catalog/rules.rs", "agreed_quantity"), // agreed-volume rounding, per hospital
        ("retention/rules.rs", "generic_line"), // budget and actual of a generic
        ("retention/rules.rs", "surplus"),   // the retention formula
        ("retention/rules.rs", "retained"),
        ("ledger/rules.rs", "split_offset"), // prepayment, then settlement, then receivable
        ("monitoring/rules.rs", "behind_pace"),
        ("tender/rules.rs", "open_generic"),
    ];
    for (home, rule) in named {
        let definition = format!("fn {rule}(");
        let defined_in: Vec<String> = files
            .iter()
            .filter(|f| fs::read_to_string(f).unwrap().contains(&definition))
            .map(|f| f.strip_prefix(&root).unwrap().to_string_lossy().replace('\\', "/"))
            .collect();
        assert_eq!(defined_in, [home], "{rule} is defined in {defined_in:?}, not only in {home}");
    }
}

/// `text` without its attributes (`#[…]`, over as many lines as they take).
fn without_attributes(text: &str) -> String {
    let mut out = String::new();
    let mut depth = 0usize;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if depth == 0 && c == '#' && chars.peek() == Some(&'[') {
            chars.next();
            depth = 1;
        } else if depth > 0 {
            match c {
                '[' => depth += 1,
                ']' => depth -= 1,
                _ => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn attributes_are_left_out_however_many_lines_they_take() {
    let text = "#[derive(\n    Clone,\n    diesel::expression::AsExpression,\n)]\n\
                #[diesel(sql_type = diesel::sql_types::Text)]\npub enum S { A }\nfn f() { diesel::update(t) }";
    let code = without_attributes(text);
    assert!(code.contains("pub enum S { A }") && code.contains("diesel::update(t)"), "{code}");
    assert_eq!(code.matches("diesel::").count(), 1, "{code}");
}

/// A `rules.rs` is pure: it reads no database, so its unit tests need none.
#[test]
fn rules_files_touch_no_database() {
    let root = src();
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    let rules: Vec<&PathBuf> = files.iter().filter(|f| f.file_name().is_some_and(|n| n == "rules.rs")).collect();
    assert!(rules.len() >= 10, "rules files found: {rules:?}");
    for f in rules {
        // Attributes may say how a rule's type is stored (a state's derives): that reads nothing.
        let code = without_attributes(&fs::read_to_string(f).unwrap());
        for impure in ["diesel::", "DbConnection", "crate::schema", "crate::db::", "crate::outbox", "crate::audit"] {
            assert!(!code.contains(impure), "{} uses {impure}", f.display());
        }
    }
}

/// Mail bodies live in a capability's `mails.rs`, out of its operations: a new `Mail {` literal
/// anywhere else fails here.
#[test]
fn mails_are_written_in_mails_files() {
    let root = src();
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    let mails: Vec<&PathBuf> = files.iter().filter(|f| f.file_name().is_some_and(|n| n == "mails.rs")).collect();
    assert!(mails.len() >= 4, "mails files found: {mails:?}");
    for f in &files {
        let name = f.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if name == "mails.rs" || name == "outbox.rs" {
            continue;
        }
        let text = fs::read_to_string(f).unwrap();
        assert!(!text.contains("Mail {"), "{} writes a mail outside a mails.rs", f.display());
    }
}
