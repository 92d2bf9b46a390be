//! The compile errors of the UI tests, checked at the engine: every `tests/ui/*.rs` case is
//! expanded by `dual_core::expand`, and the errors it reports (message, line and column) must be
//! exactly the macro's errors its `.stderr` records. The UI tests (`tests/ui.rs`, trybuild) check
//! the same through rustc, at seconds per case; this check takes milliseconds, so it also runs in
//! the mutation-testing command (`scripts/mutants.sh`), where it is what notices a mutant that
//! changes which error is reported, or where.
//!
//! The cases under `tests/ui-pass` must expand without any error.

use std::path::{Path, PathBuf};

use proc_macro2::{TokenStream, TokenTree};

mod annotated;

use annotated::annotated_functions;

/// `(message, line, column)`, the column counted from 1 as rustc shows it.
type Reported = (String, usize, usize);

#[test]
fn ui_cases_report_what_their_stderr_records() {
    let cases = cases("tests/ui");
    assert!(cases.len() > 40, "the UI cases were not found");
    let mut mismatches = Vec::new();
    for case in &cases {
        let stderr = std::fs::read_to_string(case.with_extension("stderr"))
            .unwrap_or_else(|_| panic!("{} has no .stderr", case.display()));
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let mut expected = recorded(&stderr, &name);
        let mut found = reported(case);
        expected.sort();
        found.sort();
        if expected != found {
            mismatches.push(format!(
                "{name}:\n  .stderr: {expected:?}\n  engine:  {found:?}"
            ));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn ui_pass_cases_expand_without_errors() {
    let cases = cases("tests/ui-pass");
    assert!(!cases.is_empty(), "the ui-pass cases were not found");
    for case in &cases {
        let found = reported(case);
        assert!(found.is_empty(), "{}: {found:?}", case.display());
    }
}

fn cases(dir: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .collect();
    files.sort();
    files
}

/// The errors the engine reports for the annotated functions of `file`.
fn reported(file: &Path) -> Vec<Reported> {
    let src = std::fs::read_to_string(file).unwrap();
    // Deeply nested cases need more stack than a test thread has; token streams stay on the
    // thread that made them.
    std::thread::Builder::new()
        .stack_size(1 << 28)
        .spawn(move || {
            // A case that syn cannot read is one rustc rejects before the macro runs.
            let Some(functions) = annotated_functions(&src) else {
                return Vec::new();
            };
            let mut found = Vec::new();
            for (_, args, item) in functions {
                compile_errors(dual_core::expand(args, item), &mut found);
            }
            found
        })
        .unwrap()
        .join()
        .unwrap()
}

/// The `compile_error!("…")` invocations of `tokens`, located where their first token is (as
/// rustc locates them).
fn compile_errors(tokens: TokenStream, out: &mut Vec<Reported>) {
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    for (i, token) in tokens.iter().enumerate() {
        match token {
            TokenTree::Ident(id) if id == "compile_error" => {
                let Some(TokenTree::Group(args)) = tokens.get(i + 2) else {
                    continue;
                };
                let message: syn::LitStr = syn::parse2(args.stream()).unwrap();
                let start = id.span().start();
                out.push((message.value(), start.line, start.column + 1));
            }
            TokenTree::Group(g) => compile_errors(g.stream(), out),
            _ => {}
        }
    }
}

/// The errors without an error code (rustc's own have one) that `stderr` locates in `file`.
fn recorded(stderr: &str, file: &str) -> Vec<Reported> {
    let mut out = Vec::new();
    let mut lines = stderr.lines();
    while let Some(line) = lines.next() {
        let Some(message) = line.strip_prefix("error: ") else {
            continue;
        };
        let Some(location) = lines.next().and_then(|l| l.trim().strip_prefix("--> ")) else {
            continue;
        };
        let mut parts = location.rsplitn(3, ':');
        let (column, line, path) = (parts.next(), parts.next(), parts.next());
        if path.is_some_and(|p| p.ends_with(file)) {
            out.push((
                message.to_string(),
                line.unwrap().parse().unwrap(),
                column.unwrap().parse().unwrap(),
            ));
        }
    }
    out
}
