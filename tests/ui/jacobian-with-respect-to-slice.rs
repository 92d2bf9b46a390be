use dual::gradient;

#[gradient(wrt(x))]
fn moments(x: &[f64]) -> [f64; 2] {
    let mut s = 0.0;
    let mut q = 0.0;
    for i in 0..x.len() {
        s += x[i];
        q += x[i] * x[i];
    }
    [s, q]
}

fn main() {}
