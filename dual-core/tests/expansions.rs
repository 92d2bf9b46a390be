//! Snapshots of what `#[gradient]` generates: every annotated function written in the workspace's
//! tests, examples, benchmarks and hygiene crates, expanded by the engine and printed with
//! prettyplease into `tests/expansions/<folder>__<file>.txt`, one snapshot per source file.
//!
//! A change to the generated code shows up here as a diff to review, like any other change
//! (pin-project keeps its expansions the same way). When the change is intended, write the
//! snapshots anew with `DUAL_BLESS=1 cargo test -p dual-core --test expansions`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

mod annotated;

use annotated::annotated_functions;

/// The folders (relative to the workspace root) whose `.rs` files are read, recursively.
const SOURCES: &[&str] = &["tests", "examples", "benches", "hygiene"];

/// Files left out: the random sample is generated, checked against num-dual point by point, and
/// its expansion (several megabytes) is not read by anyone.
const LEFT_OUT: &[&str] = &["random_sample.rs"];

#[test]
fn expansions_match_the_snapshots() {
    // Deeply nested test inputs need more stack than a test thread has, in syn and in the engine.
    std::thread::Builder::new()
        .stack_size(1 << 28)
        .spawn(check_all)
        .unwrap()
        .join()
        .unwrap();
}

fn check_all() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let snapshots = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/expansions");
    let bless = std::env::var_os("DUAL_BLESS").is_some();
    let mut files = Vec::new();
    for dir in SOURCES {
        rust_files(&root.join(dir), &mut files);
    }
    files.sort();
    let mut expected_names = Vec::new();
    let mut mismatches = Vec::new();
    for file in &files {
        let Some(text) = expansions_of(file) else {
            continue;
        };
        let rel = file
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let name = format!("{}.txt", rel.trim_end_matches(".rs").replace('/', "__"));
        let path = snapshots.join(&name);
        expected_names.push(name.clone());
        if bless {
            std::fs::create_dir_all(&snapshots).unwrap();
            std::fs::write(&path, &text).unwrap();
            continue;
        }
        let old = std::fs::read_to_string(&path).unwrap_or_default();
        if old != text {
            let line = old
                .lines()
                .zip(text.lines())
                .position(|(a, b)| a != b)
                .unwrap_or_else(|| old.lines().count().min(text.lines().count()));
            mismatches.push(format!("{name} (first difference at line {})", line + 1));
        }
    }
    if !bless {
        // A snapshot whose source file is gone (or no longer annotates anything) is stale.
        for entry in std::fs::read_dir(&snapshots).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            if !expected_names.contains(&name) {
                mismatches.push(format!(
                    "{name} (stale: no annotated function in its source)"
                ));
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "expansions differ from their snapshots in:\n  {}\n(review with `DUAL_BLESS=1 cargo test -p \
         dual-core --test expansions` then `git diff dual-core/tests/expansions`)",
        mismatches.join("\n  ")
    );
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != "target") {
                rust_files(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs")
            && !path
                .file_name()
                .is_some_and(|n| LEFT_OUT.iter().any(|l| n == *l))
        {
            out.push(path);
        }
    }
}

/// The expansions of the annotated functions of one file, in source order; `None` if it has none
/// (or is not Rust that syn reads, such as a UI test's deliberately malformed input).
fn expansions_of(file: &Path) -> Option<String> {
    let src = std::fs::read_to_string(file).unwrap();
    let found = annotated_functions(&src)?;
    if found.is_empty() {
        return None;
    }
    let mut text = String::new();
    for (name, args, item) in found {
        let out = dual_core::expand(args.clone(), item);
        let shown = match syn::parse2::<syn::File>(out.clone()) {
            // A declaration without a body (the attribute misplaced on a trait method) parses as
            // verbatim tokens, which prettyplease does not print.
            Ok(f) if !f.items.iter().any(|i| matches!(i, syn::Item::Verbatim(_))) => {
                prettyplease::unparse(&f)
            }
            Ok(_) => out.to_string(),
            // Items of an `impl` block, and outputs that are not a file.
            Err(_) => match syn::parse2::<ImplItems>(out.clone()) {
                Ok(items) => items.pretty(),
                Err(_) => out.to_string(),
            },
        };
        writeln!(text, "// ===== #[gradient({args})] fn {name}\n{shown}").unwrap();
    }
    Some(text)
}

/// Methods and their companions, printed as the items of an `impl` block.
struct ImplItems(Vec<syn::ImplItem>);

impl syn::parse::Parse for ImplItems {
    fn parse(input: syn::parse::ParseStream) -> syn::Result<Self> {
        let mut items = Vec::new();
        while !input.is_empty() {
            items.push(input.parse()?);
        }
        Ok(ImplItems(items))
    }
}

impl ImplItems {
    fn pretty(&self) -> String {
        let items = &self.0;
        let block: syn::File = syn::parse_quote! {
            impl __Snapshot { #(#items)* }
        };
        prettyplease::unparse(&block)
    }
}
