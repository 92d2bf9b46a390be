use dual::gradient;

// `const fn` is the subject of a later issue: until then the error must say it is not supported yet.
#[gradient]
const fn f(x: f64) -> f64 {
    x * 2.0
}

fn main() {}
