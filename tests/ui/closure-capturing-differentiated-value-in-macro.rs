use dual::gradient;

#[gradient]
fn f(x: f64) -> f64 {
    let scaled = |t: f64| t * x;
    debug_assert!(scaled(1.0).is_finite(), "scaled: {}", scaled(2.0));
    scaled(2.0)
}

fn main() {}
