use dual::gradient;

#[gradient]
fn f(x: f64, n: usize) -> f64 {
    let mut v = vec![0.0; n];
    v[0] = x * 2.0;
    v[0]
}

fn main() {}
