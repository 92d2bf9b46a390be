use dual::gradient;

#[gradient]
fn f(x: f64) -> f64 {
    let z = 'b: {
        if x > 1.0 {
            break 'b x;
        }
        x * x
    };
    z + 1.0
}

fn main() {}
