use dual::gradient;

// `wrt()` names no parameter: there would be nothing to differentiate.
#[gradient(wrt())]
fn f(x: f64, y: f64) -> f64 {
    x * y
}

fn main() {}
