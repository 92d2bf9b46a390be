use dual::gradient;

fn norm(w: &[f64]) -> f64 {
    w.iter().map(|v| v * v).sum::<f64>().sqrt()
}

// Each of these is a spanned error, all in one compile.
#[gradient]
fn f(x: [f64; 6], y: [f64; 2]) -> f64 {
    // A comparator that does not compare the items themselves.
    let a = x.iter().max_by(|a, b| a.abs().total_cmp(&b.abs())).unwrap();
    // The `Option` of `max_by`, not unwrapped.
    let b = x.iter().copied().min_by(f64::total_cmp).unwrap_or(0.0);
    // A position-counting adapter after `chain`.
    let c: f64 = x.iter().chain(y.iter()).skip(1).sum();
    // A window passed on as a whole.
    let d: f64 = x.windows(2).map(|w| norm(w)).sum();
    // A chunk passed on as a whole by `fold`'s closure.
    let g = x.chunks(3).fold(0.0, |acc, c| acc + norm(c));
    // `break` in a loop over a chain.
    let mut e = 0.0;
    for v in x.iter().chain(y.iter()) {
        if *v > 1.0 {
            break;
        }
        e += v;
    }
    a + b + c + d + e + g
}

fn main() {}
