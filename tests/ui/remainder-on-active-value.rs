use dual::gradient;

#[gradient]
fn f(x: f64) -> f64 {
    let r = x % 1.0;
    r * x
}

fn main() {}
