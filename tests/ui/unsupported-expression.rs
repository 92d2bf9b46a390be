use dual::gradient;

#[gradient]
fn f(x: f64) -> f64 {
    let y = if let Some(c) = Some(x) { c } else { x };
    y + 1.0
}

fn main() {}
