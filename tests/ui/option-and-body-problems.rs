use dual::gradient;

// A bad option does not stop the analysis of the body: both problems are reported in one compile.
#[gradient(foo)]
fn f(x: f64) -> f64 {
    let g = |t: f64| t * x;
    g(2.0)
}

fn main() {}
