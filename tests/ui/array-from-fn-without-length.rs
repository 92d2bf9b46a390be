use dual::gradient;

// `from_fn` reading differentiated values needs its length written: a `let` type, a turbofish,
// or the function's result.
#[gradient]
fn f(x: [f64; 3]) -> f64 {
    let z = std::array::from_fn(|i| x[i] * 2.0);
    let y: [f64; 3] = z;
    y[0]
}

fn main() {}
