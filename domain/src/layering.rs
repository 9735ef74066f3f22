//! The crate's shape, checked: the base layer imports no capability, and the arrows between
//! capability folders point one way (no circle). A new import that breaks either fails here,
//! naming it.

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};
    use std::path::Path;

    /// Modules below the capabilities: storage, money, time, ids, paging, the caller, audit,
    /// outbox, policy storage.
    const BASE: [&str; 16] = [
        "actor",
        "audit",
        "backup",
        "calendar",
        "clock",
        "db",
        "document_numbers",
        "error",
        "failpoint",
        "idempotency",
        "ids",
        "jobruns",
        "money",
        "outbox",
        "paging",
        "policy",
    ];
    /// The capability folders. `region_setup` and `demo` sit above them all.
    const CAPABILITIES: [&str; 12] = [
        "catalog",
        "credit",
        "disclosure",
        "identity",
        "imports",
        "ledger",
        "monitoring",
        "ordering",
        "retention",
        "settlement",
        "standards",
        "tender",
    ];

    /// The crate's re-exported names of capability modules.
    fn capability_of(name: &str) -> Option<&'static str> {
        let name = match name {
            "volumes" => "catalog",
            "orders" | "delivery" => "ordering",
            "payables" => "settlement",
            other => other,
        };
        CAPABILITIES.into_iter().find(|c| *c == name)
    }

    /// The capabilities a source names as `crate::<module>`, its unit tests left out.
    fn imports(text: &str) -> BTreeSet<&'static str> {
        let code = text.split("#[cfg(test)]\nmod tests").next().unwrap_or(text);
        code.match_indices("crate::")
            .filter_map(|(i, _)| {
                let rest = &code[i + 7..];
                let end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(rest.len());
                capability_of(&rest[..end])
            })
            .collect()
    }

    fn sources(path: &Path, out: &mut Vec<String>) {
        if path.is_dir() {
            for entry in std::fs::read_dir(path).unwrap() {
                sources(&entry.unwrap().path(), out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(std::fs::read_to_string(path).unwrap());
        }
    }

    fn src() -> &'static Path {
        Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/src"))
    }

    #[test]
    fn the_base_layer_imports_no_capability() {
        for base in BASE {
            let text = std::fs::read_to_string(src().join(format!("{base}.rs"))).unwrap();
            let found = imports(&text);
            assert!(found.is_empty(), "the base module {base} imports {found:?}");
        }
    }

    #[test]
    fn capability_folders_import_each_other_one_way() {
        let mut edges: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for cap in CAPABILITIES {
            let mut texts = Vec::new();
            sources(&src().join(cap), &mut texts);
            assert!(!texts.is_empty(), "no sources for {cap}");
            let deps = texts.iter().flat_map(|t| imports(t)).filter(|d| *d != cap).collect();
            edges.insert(cap, deps);
        }
        // A depth-first walk; a grey node met again closes a circle.
        fn visit<'a>(
            n: &'a str,
            edges: &BTreeMap<&'a str, BTreeSet<&'a str>>,
            state: &mut BTreeMap<&'a str, u8>,
            path: &mut Vec<&'a str>,
        ) -> Option<Vec<&'a str>> {
            match state.get(n) {
                Some(1) => {
                    let from = path.iter().position(|p| *p == n).unwrap();
                    let mut circle = path[from..].to_vec();
                    circle.push(n);
                    return Some(circle);
                }
                Some(_) => return None,
                None => {}
            }
            state.insert(n, 1);
            path.push(n);
            for m in &edges[n] {
                if let Some(c) = visit(m, edges, state, path) {
                    return Some(c);
                }
            }
            path.pop();
            state.insert(n, 2);
            None
        }
        let mut state = BTreeMap::new();
        for cap in CAPABILITIES {
            if let Some(circle) = visit(cap, &edges, &mut state, &mut Vec::new()) {
                panic!("capability folders import each other in a circle: {}", circle.join(" → "));
            }
        }
        // The walk does find a circle where there is one.
        let mut looped = edges.clone();
        looped.get_mut("identity").unwrap().insert("ordering");
        let found = CAPABILITIES.into_iter().find_map(|c| visit(c, &looped, &mut BTreeMap::new(), &mut Vec::new()));
        assert!(found.is_some(), "a circle through identity → ordering must be found");
    }
}
