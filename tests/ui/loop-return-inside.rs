use dual::gradient;

// `return` from inside a loop over differentiated values: not supported; compute the result
// after the loop.
#[gradient]
fn first_large(x: [f64; 4]) -> f64 {
    for i in 0..4 {
        if x[i] > 1.0 {
            return x[i] * x[i];
        }
    }
    0.0
}

fn main() {
    let _ = first_large([0.5, 2.0, 0.1, 0.2]);
}
