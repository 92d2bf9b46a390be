use dual::gradient;

// A loop whose trip count is only known at run time may carry single floats (sums, products, any
// update), but not an array it writes to.
#[gradient]
fn power(x: f64, n: usize) -> f64 {
    let mut p = [1.0, 0.0];
    for _ in 0..n {
        p[0] *= x;
        p[1] += p[0];
    }
    p[1]
}

fn main() {
    let _ = power(2.0, 3);
}
