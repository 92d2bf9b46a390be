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

// A constant trip count, but longer than the loops that are unrolled, and not of the form kept a
// loop (it reads an element an earlier iteration wrote).
#[gradient]
fn h(x: f64) -> f64 {
    let mut p = [0.0; 5000];
    p[0] = x;
    let mut s = 0.0;
    for k in 1..5000 {
        p[k] = 0.5 * p[k - 1] + 1e-3;
        s += p[k];
    }
    s * x
}

fn main() {}
