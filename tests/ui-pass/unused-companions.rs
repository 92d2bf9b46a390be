//! A private function of which only one companion is used: the companions the user does not call
//! must not raise `dead_code` warnings (the user cannot put an `#[allow]` on generated items).
#![deny(warnings)]
#![deny(clippy::all)]

use dual::gradient;

#[gradient]
fn f(x: f64, y: f64) -> f64 {
    x * y
}

#[gradient]
fn g(x: f64) -> [f64; 2] {
    [x, 2.0 * x]
}

fn main() {
    assert_eq!(f(2.0, 3.0), 6.0);
    assert_eq!(f_gradient(2.0, 3.0), [3.0, 2.0]);
    assert_eq!(g(1.0), [1.0, 2.0]);
    let (v, _) = g_value_and_jacobian(1.0);
    assert_eq!(v, [1.0, 2.0]);
}
