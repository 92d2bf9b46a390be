use dual::gradient;

// `sin` cannot be evaluated in a `const fn`: the error must point at the user's `sin`.
#[gradient]
const fn f(x: f64) -> f64 {
    x.sin() * 2.0
}

fn main() {}
