use dual::gradient;

#[gradient]
fn f(x: f64) -> f64 {
    let scaled = |t: f64| t * x;
    let g = scaled;
    g(2.0)
}

fn main() {}
