use dual::gradient;

fn plain(x: f64) -> f64 {
    x
}

#[gradient]
fn f(x: f64) -> f64 {
    plain(x) * 2.0
}

fn main() {}
