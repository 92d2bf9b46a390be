//! 270 chained method calls (issue 5): beyond what the expander reads without risking the compiler's stack, a
//! spanned error instead of a crash; the function itself still compiles.
use dual::gradient;

#[gradient]
fn f(x: f64) -> f64 {
    x.sin().sin().sin().sin().sin().sin().sin().sin().sin().sin()
        .sin().sin().sin().sin().sin().sin().sin().sin().sin().sin()
        .sin().sin().sin().sin().sin().sin().sin().sin().sin().sin()
        .sin().sin().sin().sin().sin().sin().sin().sin().sin().sin()
        .sin().sin().sin().sin().sin().sin().sin().sin().sin().sin()
        .sin().sin().sin().sin().sin().sin().sin().sin().sin().sin()
        .sin().sin().sin().sin().sin().sin().sin().sin().sin().sin()
        .sin().sin().sin().sin().sin().sin().sin().sin().sin().sin()
        .sin().sin().sin().sin().sin().sin().sin().sin().sin().sin()
        .sin().sin().sin().sin().sin().sin().sin().sin().sin().sin()
        .sin().sin().sin().sin().sin().sin().sin().sin().sin().sin()
        .sin().sin().sin().sin().sin().sin().sin().sin().sin().sin()
        .sin().sin().sin().sin().sin().sin().sin().sin().sin().sin()
        .sin().sin().sin().sin().sin().sin().sin().sin().sin().sin()
        .sin().sin().sin().sin().sin().sin().sin().sin().sin().sin()
        .sin().sin().sin().sin().sin().sin().sin().sin().sin().sin()
        .sin().sin().sin().sin().sin().sin().sin().sin().sin().sin()
        .sin().sin().sin().sin().sin().sin().sin().sin().sin().sin()
        .sin().sin().sin().sin().sin().sin().sin().sin().sin().sin()
        .sin().sin().sin().sin().sin().sin().sin().sin().sin().sin()
        .sin().sin().sin().sin().sin().sin().sin().sin().sin().sin()
        .sin().sin().sin().sin().sin().sin().sin().sin().sin().sin()
        .sin().sin().sin().sin().sin().sin().sin().sin().sin().sin()
        .sin().sin().sin().sin().sin().sin().sin().sin().sin().sin()
        .sin().sin().sin().sin().sin().sin().sin().sin().sin().sin()
        .sin().sin().sin().sin().sin().sin().sin().sin().sin().sin()
        .sin().sin().sin().sin().sin().sin().sin().sin().sin().sin()
}

fn main() {
    let _ = f(1.0);
}
