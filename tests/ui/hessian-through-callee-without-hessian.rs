use dual::gradient;

// `g` is annotated without `hessian`, so it has no `g_value_gradient_and_hessian`: the error must
// point at the call `g(..)` in `f`.
#[gradient]
fn g(x: f64) -> f64 {
    x * x
}

#[gradient(hessian)]
fn f(x: f64, y: f64) -> f64 {
    g(x * y) + y
}

fn main() {}
