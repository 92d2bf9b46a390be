use dual::gradient;

#[gradient]
fn f(x: f64) -> f64 {
    let r = &x;
    *r
}

fn main() {}
