use dual::gradient;

// A `return` inside a labelled block of data code would leave the companion, not the function.
#[gradient]
fn f(x: f64, n: usize) -> f64 {
    let mut scale = 1.0;
    'pick: {
        if n == 0 {
            return 0.0;
        }
        if n > 2 {
            break 'pick;
        }
        scale = 2.0;
    }
    scale * x
}

fn main() {}
