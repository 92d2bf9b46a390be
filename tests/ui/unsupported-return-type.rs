use dual::gradient;

#[gradient]
fn f(_x: f64) -> Vec<f64> {
    Vec::new()
}

fn main() {}
