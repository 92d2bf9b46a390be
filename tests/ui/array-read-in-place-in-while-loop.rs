use dual::gradient;

const N: usize = 8;

#[gradient]
fn first_large(x: [f64; N]) -> f64 {
    let mut i = 0;
    let mut s = 0.0;
    while i < N {
        s += x[i];
        i += 1;
    }
    s
}

fn main() {}
