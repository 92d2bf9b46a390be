use dual::gradient;

// An f64 parameter with an f32 result mixes the two float types: an error spanned on the types.
#[gradient]
fn f(x: f64) -> f32 {
    (x * x) as f32
}

fn main() {}
