//! Every error code the server can answer has a message in the web app's Chinese and English
//! dictionaries (`frontend/src/i18n`), so a user reads the refusal in their language rather than
//! a generic "请求未完成". The codes are read from the sources where refusals are built.

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::{Path, PathBuf};

    /// Codes no user sees: a sentinel that never leaves the domain, and the CLI's own.
    const INTERNAL: [&str; 2] = ["import_rolled_back", "not_a_demo_database"];

    fn files(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                files(&path, ext, out);
            } else if path.extension().is_some_and(|e| e == ext) {
                out.push(path);
            }
        }
    }

    /// The string literal that starts `s` (after spaces), if it is a code: `[a-z][a-z0-9_]*`.
    fn literal(s: &str) -> Option<&str> {
        let s = s.trim_start().strip_prefix('"')?;
        let code = &s[..s.find('"')?];
        let ok = code.starts_with(|c: char| c.is_ascii_lowercase())
            && code.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        ok.then_some(code)
    }

    /// The top-level arguments of the call whose text starts `s` (after its open parenthesis).
    fn args(s: &str) -> Vec<&str> {
        let (mut depth, mut start, mut out, mut in_str) = (0i32, 0, Vec::new(), false);
        for (i, c) in s.char_indices() {
            match c {
                '"' => in_str = !in_str,
                _ if in_str => {}
                '(' | '[' | '{' => depth += 1,
                ')' | ']' | '}' if depth == 0 => {
                    out.push(&s[start..i]);
                    return out;
                }
                ')' | ']' | '}' => depth -= 1,
                ',' if depth == 0 => {
                    out.push(&s[start..i]);
                    start = i + 1;
                }
                _ => {}
            }
        }
        out
    }

    /// The functions that take a refusal's code (`code: &'static str`), with its position:
    /// `DomainError::invalid`, `line_error`, `invalid_line`, the import's `one`…
    fn code_takers(text: &str, out: &mut Vec<(String, usize)>) {
        for (i, _) in text.match_indices("fn ") {
            let rest = &text[i + 3..];
            let Some(open) = rest.find('(') else { continue };
            let name = &rest[..open];
            if name.is_empty() || name == "new" || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                continue;
            }
            let params = args(&rest[open + 1..]);
            if let Some(k) = params.iter().position(|p| p.trim() == "code: &'static str") {
                out.push((name.to_string(), k));
            }
        }
    }

    fn codes_in(text: &str, takers: &[(String, usize)], out: &mut BTreeSet<String>) {
        let mut add = |c: Option<&str>| {
            if let Some(c) = c {
                out.insert(c.to_string());
            }
        };
        // Calls of the functions that take a code, at the code's position.
        for (name, k) in takers {
            let call = format!("{name}(");
            for (i, _) in text.match_indices(&call) {
                let before = text[..i].chars().next_back().unwrap_or(' ');
                if before.is_ascii_alphanumeric() || before == '_' || text[..i].ends_with("fn ") {
                    continue;
                }
                add(args(&text[i + call.len()..]).get(*k).and_then(|a| literal(a)));
            }
        }
        // Problem::new("code", …) and ApiError::new(status, "code", …).
        for (call, k) in [("Problem::new(", 0), ("ApiError::new(", 1)] {
            for (i, _) in text.match_indices(call) {
                add(args(&text[i + call.len()..]).get(k).and_then(|a| literal(a)));
            }
        }
        // The import's cell refusals: Err(("field", "code", message)) or Err(("code", message)).
        for (i, _) in text.match_indices("Err((") {
            let a = args(&text[i + 5..]);
            match (a.first().and_then(|x| literal(x)), a.get(1).and_then(|x| literal(x))) {
                (Some(_), Some(code)) if a.len() >= 3 => add(Some(code)),
                (Some(code), None) => add(Some(code)),
                _ => {}
            }
        }
        // RowError { …, code: "required".into(), … }
        for (i, _) in text.match_indices("code: \"") {
            add(literal(&text[i + 6..]));
        }
    }

    fn dictionary(dir: &Path, lang: &str) -> BTreeSet<String> {
        let mut all = Vec::new();
        files(dir, "ts", &mut all);
        let mut keys = BTreeSet::new();
        for f in all {
            let name = f.file_name().unwrap().to_string_lossy().to_string();
            if name != format!("{lang}.ts") && !name.ends_with(&format!(".{lang}.ts")) {
                continue;
            }
            let text = std::fs::read_to_string(&f).unwrap();
            for (i, _) in text.match_indices("'error.") {
                let rest = &text[i + 7..];
                keys.insert(rest[..rest.find('\'').unwrap()].to_string());
            }
        }
        keys
    }

    #[test]
    fn every_error_code_has_a_chinese_and_an_english_message() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let mut sources = Vec::new();
        files(&root.join("domain/src"), "rs", &mut sources);
        files(&root.join("api/src"), "rs", &mut sources);
        let texts: Vec<String> = sources
            .iter()
            .filter(|f| !f.ends_with("error_codes.rs"))
            .map(|f| std::fs::read_to_string(f).unwrap())
            .collect();
        let mut takers = Vec::new();
        for t in &texts {
            code_takers(t, &mut takers);
        }
        let mut codes = BTreeSet::new();
        for t in &texts {
            codes_in(t, &takers, &mut codes);
        }
        assert!(codes.len() > 150, "the scan finds the codes: {}", codes.len());
        for c in ["price_mismatch", "sheet_has_errors", "invalid_amount", "unknown_enterprise", "required"] {
            assert!(codes.contains(c), "the scan misses {c}");
        }
        let i18n = root.join("frontend/src/i18n");
        for lang in ["zh", "en"] {
            let have = dictionary(&i18n, lang);
            let missing: Vec<&String> =
                codes.iter().filter(|c| !have.contains(*c) && !INTERNAL.contains(&c.as_str())).collect();
            assert!(missing.is_empty(), "error codes without a message in {lang}: {missing:?}");
        }
    }
}
