use dual::gradient;

// A Hessian through a loop whose trip count is known only at run time: not supported (loops
// with a constant trip count are unrolled and fine).
#[gradient(hessian)]
fn squared_error(w: f64, data: &[f64]) -> f64 {
    let mut l = 0.0;
    for v in data {
        l += (w * v - 1.0).powi(2);
    }
    l
}

fn main() {
    let _ = squared_error(2.0, &[1.0, 2.0]);
}
