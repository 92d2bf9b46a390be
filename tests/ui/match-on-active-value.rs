use dual::gradient;

#[gradient]
fn f(x: f64) -> f64 {
    match x > 0.0 {
        true => x * x,
        false => -x,
    }
}

fn main() {}
