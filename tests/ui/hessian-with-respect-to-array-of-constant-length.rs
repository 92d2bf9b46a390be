use dual::gradient;

const N: usize = 8;

#[gradient(hessian)]
fn energy(x: [f64; N]) -> f64 {
    let mut s = 0.0;
    for i in 0..N {
        s += x[i] * x[i];
    }
    s
}

fn main() {}
