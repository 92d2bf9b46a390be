use dual::gradient;

mod m {
    pub fn plain(x: f64) -> f64 {
        x
    }
}

#[gradient]
fn f(x: f64) -> f64 {
    m::plain(x) * 2.0
}

fn main() {}
