use dual::gradient;

#[gradient]
fn f(x: f64) -> f64 {
    let y: f64;
    let z = x * y;
    y = 2.0;
    z + y
}

// Assigned in a run-time loop but with no value before it.
#[gradient]
fn g(x: f64, n: usize) -> f64 {
    let s: f64;
    let mut k = 0;
    while k < n {
        s = x * x;
        k += 1;
    }
    s
}

fn main() {}
