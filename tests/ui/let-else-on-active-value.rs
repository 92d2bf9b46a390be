use dual::gradient;

// `let … else` on data is supported; here the scrutinee reads a differentiated value.
#[gradient]
fn f(x: f64) -> f64 {
    let Some(y) = (x > 0.0).then_some(x) else {
        return 0.0;
    };
    y * y
}

fn main() {}
