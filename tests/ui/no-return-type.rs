use dual::gradient;

#[gradient]
fn f(x: f64) {
    println!("{x}");
}

fn main() {}
