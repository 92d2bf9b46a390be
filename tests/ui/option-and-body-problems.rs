use dual::gradient;

// A bad option does not stop the analysis of the body: both problems are reported in one compile.
#[gradient(foo)]
fn f(x: f64) -> f64 {
    let r = &x;
    *r
}

fn main() {}
