//! Compile-fail and compile-pass UI tests of `#[gradient]`, run with trybuild.
//!
//! `tests/ui/*.rs`: one misuse per file (plus one file with several problems); each must fail to
//! compile with exactly the diagnostics recorded in its `.stderr` file.
//! `tests/ui-pass/*.rs`: programs that must compile under `#![deny(warnings)]` and run.
//!
//! Regenerate the `.stderr` files with `TRYBUILD=overwrite cargo test --test ui`, then read them.

// Annotated functions whose original is only used through its companions are not dead code.
#![allow(dead_code)]

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
    t.pass("tests/ui-pass/*.rs");
}
