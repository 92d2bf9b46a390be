use dual::gradient;

trait Energy {
    #[gradient]
    fn energy(&self, x: f64) -> f64;
}

fn main() {}
