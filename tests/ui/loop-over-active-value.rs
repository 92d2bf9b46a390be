use dual::gradient;

// A loop whose trip count is only known at run time, carrying a product from one iteration to
// the next: not supported yet.
#[gradient]
fn power(x: f64, n: usize) -> f64 {
    let mut p = 1.0;
    for _ in 0..n {
        p *= x;
    }
    p
}

fn main() {
    let _ = power(2.0, 3);
}
