use dual::gradient;

// A Hessian is defined for a scalar result only: `hessian` on a function returning an array must
// be an error spanned on the option or the return type.
#[gradient(hessian)]
fn f(x: f64, y: f64) -> [f64; 2] {
    [x * y, x + y]
}

fn main() {}
