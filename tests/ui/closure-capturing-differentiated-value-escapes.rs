use dual::gradient;

#[gradient]
fn f(x: f64) -> f64 {
    let scaled = |t: f64| t * x;
    let g = scaled;
    g(2.0)
}

// A closure written inside a tuple: reported once, with no follow-on error where the tuple's
// other field is used.
#[gradient]
fn in_a_tuple(x: f64) -> f64 {
    let p = (|t: f64| t * x, 1.0);
    p.1 * x
}

fn main() {}
