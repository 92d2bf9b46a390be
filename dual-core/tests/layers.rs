//! The engine's layers point down only. Each module may name (`crate::…`) only the modules listed
//! for it here; unit tests (after `#[cfg(test)]`) may use anything.
//!
//! ```text
//! expand → pipeline → companions → { front, lower, ad, emit, doc } → ir
//!                                    lower → front, tokens; emit → tokens; all → diag
//! ```

use std::path::Path;

/// `(module, the modules it may name)`.
const ALLOWED: &[(&str, &[&str])] = &[
    ("ir", &["ir"]),
    ("diag", &["ir"]),
    ("tokens", &["ir"]),
    ("eval", &["ir"]),
    ("front", &["front", "diag", "ir"]),
    // The run-time loop's derivative is built when the loop is closed (its outputs, which the
    // code after the loop reads, are created with their partials): the one call from lowering
    // into differentiation, `ad::loops::carry_derivatives`.
    (
        "lower",
        &["lower", "front", "diag", "ir", "tokens", "ad::loops"],
    ),
    ("ad", &["ad", "ir"]),
    ("emit", &["emit", "ir", "tokens"]),
    ("doc", &["doc", "front", "ir"]),
    (
        "companions",
        &["ad", "doc", "emit", "front", "ir", "tokens"],
    ),
    (
        "pipeline",
        &["ad", "companions", "diag", "front", "ir", "lower"],
    ),
    ("expand", &["pipeline"]),
];

#[test]
fn modules_name_only_the_layers_below_them() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut violations = Vec::new();
    let mut files = Vec::new();
    collect(&src, &mut files);
    for file in files {
        let rel = file
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        if rel == "lib.rs" || rel.ends_with("/tests.rs") {
            continue;
        }
        let module = rel.split('/').next().unwrap().trim_end_matches(".rs");
        let Some((_, allowed)) = ALLOWED.iter().find(|(m, _)| *m == module) else {
            violations.push(format!("{rel}: module `{module}` has no entry in ALLOWED"));
            continue;
        };
        let text = std::fs::read_to_string(&file).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap();
        for (line_no, line) in code.lines().enumerate() {
            let line = line.split("//").next().unwrap();
            let mut rest = line;
            while let Some(at) = rest.find("crate::") {
                let path: String = rest[at + 7..]
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                    .collect();
                let ok = allowed
                    .iter()
                    .any(|a| path == *a || path.starts_with(&format!("{a}::")) || path.is_empty());
                if !ok {
                    violations.push(format!("{rel}:{}: `crate::{path}`", line_no + 1));
                }
                rest = &rest[at + 7..];
            }
        }
    }
    assert!(
        violations.is_empty(),
        "modules naming layers they may not:\n  {}",
        violations.join("\n  ")
    );
}

fn collect(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}
