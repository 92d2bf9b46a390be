use dual::gradient;

// Places a local array or tuple of differentiated values does not have.
#[gradient]
#[allow(unconditional_panic)]
fn f(x: f64) -> f64 {
    let mut a = [0.0, 0.0, 0.0];
    a[3] = x;
    let mut s = 0.0;
    s.0 = x;
    let q = (x, x);
    let r = q.2;
    let e = a[3];
    // A pair where a float is expected.
    let w = q * 2.0;
    a[0] + s + r + e + w
}

// Writing a differentiated value through a reference.
#[gradient]
fn g(x: f64, out: &mut f64) -> f64 {
    *out = x * 2.0;
    x
}

fn main() {}
