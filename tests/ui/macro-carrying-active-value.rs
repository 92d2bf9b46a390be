use dual::gradient;

macro_rules! double {
    ($e:expr) => {
        $e * 2.0
    };
}

#[gradient]
fn f(x: f64) -> f64 {
    let y = double!(x);
    y + 1.0
}

fn main() {}
