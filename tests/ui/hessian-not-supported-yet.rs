use dual::gradient;

// `hessian` is the subject of a later issue: until then the error must say it is not supported yet.
#[gradient(hessian)]
fn f(x: f64, y: f64) -> f64 {
    x * x * y
}

fn main() {}
