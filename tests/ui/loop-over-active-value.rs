use dual::gradient;

// Loops are the subject of a later issue: until then the error must say they are not supported yet.
#[gradient]
fn f(x: f64) -> f64 {
    let mut s = 0.0;
    for i in 0..3 {
        s += x * i as f64;
    }
    s
}

fn main() {}
