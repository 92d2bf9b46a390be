use dual::gradient;

trait Squash {
    fn squash(self) -> f64;
    fn level(self) -> i32;
}

impl Squash for f64 {
    fn squash(self) -> f64 {
        self / (1.0 + self.abs())
    }
    fn level(self) -> i32 {
        self as i32
    }
}

#[gradient]
fn f(x: f64) -> f64 {
    x.squash() * 2.0
}

// The same problem bound to a variable of another type: reported once.
#[gradient]
fn g(x: f64) -> f64 {
    let n: i32 = x.level();
    x * n as f64
}

fn main() {}
