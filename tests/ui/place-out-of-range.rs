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
    a[0] + s + r
}

fn main() {}
