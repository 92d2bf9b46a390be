use dual::gradient;

#[gradient]
fn positive_part(x: [f64; 4]) -> f64 {
    let kept: f64 = x.iter().inspect(|v| println!("{v}")).sum();
    let smooth: f64 = x.windows(2).map(|w| (w[1] - w[0]).powi(2)).sum();
    let doubled = x.map(|v| 2.0 * v);
    let largest = x.iter().copied().max_by(f64::total_cmp);
    let counted: f64 = x.iter().filter(|v| **v > 1.0).enumerate().map(|(i, v)| i as f64 * v).sum();
    kept + smooth + doubled[0] + largest.unwrap_or(0.0) + counted
}

fn main() {}
