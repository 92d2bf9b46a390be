use dual::gradient;

// A Hessian is taken through loops that are unrolled, up to 4,096 iterations; this loop has more.
#[gradient(hessian)]
fn long_sum(x: f64) -> f64 {
    let mut s = 0.0;
    for k in 0..5000 {
        s += (x * k as f64).sin();
    }
    s
}

fn main() {}
