use dual::gradient;

#[gradient]
fn f(x: f64) -> f64 {
    let pair: (f64, u8) = (x * 2.0, 1);
    pair.0
}

fn main() {}
