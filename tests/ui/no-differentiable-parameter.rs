use dual::gradient;

#[gradient]
fn f(n: usize, scale: &f64) -> f64 {
    n as f64 * *scale
}

fn main() {}
