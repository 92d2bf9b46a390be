use dual::gradient;

// The body has an error; the original function must still be emitted, so that `main`, which calls
// it normally, compiles: the only error is the macro's, no "cannot find function `f`".
#[gradient]
fn f(x: f64) -> f64 {
    let r = &x;
    *r * 2.0
}

fn main() {
    let v = f(1.5);
    assert_eq!(v, 3.0);
}
