use dual::gradient;

// The options are wrong; the original function must still be emitted, so that `main`, which calls
// it normally, compiles: the only error is the macro's, no "cannot find function `f`".
#[gradient(wrt(z))]
fn f(x: f64) -> f64 {
    x * x
}

fn main() {
    let v = f(1.5);
    assert_eq!(v, 2.25);
}
