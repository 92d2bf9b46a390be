use dual::gradient;

#[gradient]
fn f(x: f64) -> f64 {
    let ref a = x * 2.0;
    *a * 3.0
}

fn main() {}
