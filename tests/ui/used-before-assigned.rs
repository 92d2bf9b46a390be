use dual::gradient;

#[gradient]
fn f(x: f64) -> f64 {
    let y: f64;
    let z = x * y;
    y = 2.0;
    z + y
}

fn main() {}
