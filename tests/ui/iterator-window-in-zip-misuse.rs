use dual::gradient;

fn norm(w: &[f64]) -> f64 {
    w.iter().map(|v| v * v).sum::<f64>().sqrt()
}

#[gradient]
fn f(x: [f64; 6], y: [f64; 5]) -> f64 {
    x.windows(2).zip(y.iter()).map(|(w, v)| norm(w) * v).sum()
}

fn main() {}
