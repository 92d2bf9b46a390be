use dual::gradient;

#[gradient]
fn positive_part(x: [f64; 4]) -> f64 {
    let kept: f64 = x.iter().inspect(|v| println!("{v}")).sum();
    let running: f64 = x.iter().scan(0.0, |s, v| { *s += v; Some(*s) }).sum();
    let copy = x.to_vec();
    let largest = x.iter().copied().max_by(f64::total_cmp);
    let counted: f64 = x.iter().filter(|v| **v > 1.0).enumerate().map(|(i, v)| i as f64 * v).sum();
    // An iterator kept in a variable.
    let squares = x.iter().map(|v| v * v);
    let total: f64 = squares.sum();
    // A `for` loop over an adapter that is not supported.
    let mut seen = 0.0;
    for v in x.iter().inspect(|v| println!("{v}")) {
        seen += v;
    }
    kept + running + copy[0] + largest.unwrap_or(0.0) + counted + total + seen
}

fn main() {}
