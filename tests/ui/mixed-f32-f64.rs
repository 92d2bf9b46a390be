use dual::gradient;

// A function is all-f32 or all-f64: mixing the two among differentiated parameters is an error
// spanned on the parameter types.
#[gradient]
fn f(x: f32, y: f64) -> f32 {
    x * y as f32
}

fn main() {}
