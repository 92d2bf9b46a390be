//! Parentheses nested 130 deep (issue 5): beyond what the expander reads without risking the compiler's stack, a
//! spanned error instead of a crash; the function itself still compiles.
#![allow(unused_parens)]
use dual::gradient;

#[gradient]
fn f(x: f64) -> f64 {
    ((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((x))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))
}

fn main() {
    let _ = f(1.0);
}
