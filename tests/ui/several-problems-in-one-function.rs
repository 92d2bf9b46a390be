use dual::gradient;

// Three different problems in one function: all three must be reported in one compile.
#[gradient]
fn f(x: f64, y: f64) -> f64 {
    let r = &x;
    let g = match x as i64 { 0 => y, _ => 2.0 * y };
    let (s, _) = x.sin_cos();
    *r + g + s
}

fn main() {}
