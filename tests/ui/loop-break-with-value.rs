use dual::gradient;

// `loop` yielding a differentiated value through `break value`: not supported; assign the value
// to a variable declared before the loop and `break;`.
#[gradient]
fn three_terms(x: f64) -> f64 {
    let mut s = 0.0;
    let mut k = 0;
    let total = loop {
        s += x * k as f64;
        k += 1;
        if k == 3 {
            break s;
        }
    };
    total
}

fn main() {
    let _ = three_terms(2.0);
}
