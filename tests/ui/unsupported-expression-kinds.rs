use dual::gradient;

// Expressions that cannot hold a differentiated value, each a spanned error in one compile.
#[gradient]
fn f(x: f64) -> f64 {
    let r = 0.0..x;
    let b = async { x };
    let u = unsafe { x * 2.0 };
    drop(b);
    r.end + u
}

fn main() {}
