use dual::gradient;

fn norm(w: &[f64]) -> f64 {
    w.iter().map(|v| v * v).sum::<f64>().sqrt()
}

#[gradient]
fn f(x: [f64; 6], y: [f64; 5]) -> f64 {
    // A window passed on as a whole.
    let a: f64 = x.windows(2).zip(y.iter()).map(|(w, v)| norm(w) * v).sum();
    // A pair holding a window, not taken apart by the closure's pattern.
    let b: f64 = x.windows(2).zip(y.iter()).map(|p| p.0[0] * p.1).sum();
    a + b
}

fn main() {}
