//! A user function already named like a companion of an annotated function (issue 5): rustc's
//! E0428, pointing at both definitions. An attribute macro sees only the item it is on, so it
//! cannot detect the clash itself; the README's limitations say how to resolve it (rename, or
//! move one into a module).
use dual::gradient;

#[gradient]
fn f(x: f64) -> f64 {
    x * x
}

fn f_gradient(x: f64) -> f64 {
    2.0 * x
}

fn main() {
    let _ = f_gradient(1.0);
}
