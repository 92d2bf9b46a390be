use dual::gradient;

#[gradient]
fn f(x: f64, n: usize) -> f64 {
    let mut z = [0.0, 1.0];
    let mut k = 0;
    while k < n {
        z[1] = z[0] + x;
        k += 1;
    }
    z[1]
}

#[gradient]
fn g(x: f64, n: usize) -> f64 {
    let mut t = (0.0, 1.0);
    let mut k = 0;
    while k < n {
        t.0 = t.1 + x;
        k += 1;
    }
    t.0
}

fn main() {}
