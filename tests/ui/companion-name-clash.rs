//! A user function already named like a companion of an annotated function (issue 5): what rustc
//! reports. (The issue asks for a spanned error that says how to resolve the clash.)
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
