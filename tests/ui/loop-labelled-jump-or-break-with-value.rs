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

// A labelled `continue` out of an inner loop: not supported either; use a flag, or let the inner
// loop run with a plain `continue`.
#[gradient]
fn lower_triangle(x: [f64; 4]) -> f64 {
    let mut s = 0.0;
    'rows: for i in 0..4 {
        for j in 0..4 {
            if j > i {
                continue 'rows;
            }
            s += x[i] * x[j];
        }
    }
    s
}

fn main() {
    let _ = three_terms(2.0);
    let _ = lower_triangle([1.0; 4]);
}
