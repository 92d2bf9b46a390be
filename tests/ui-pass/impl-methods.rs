//! Methods and associated functions in an `impl` block, calls through `self.`, `Self::` and a module
//! path, companions that are `pub`. Must compile without a single warning.
#![deny(warnings)]
#![deny(clippy::all)]

use dual::gradient;

mod shapes {
    use dual::gradient;

    /// Squared length.
    #[gradient]
    pub fn norm2(x: f64, y: f64) -> f64 {
        x * x + y * y
    }
}

struct Spring {
    k: f64,
    rest: f64,
}

impl Spring {
    /// Elastic energy of the spring stretched to `(x, y)`.
    #[gradient]
    pub fn energy(&self, x: f64, y: f64) -> f64 {
        let d = shapes::norm2(x, y).sqrt() - self.rest;
        0.5 * self.k * d * d
    }

    #[gradient]
    fn gravity(height: f64) -> f64 {
        9.81 * height
    }

    #[gradient]
    fn total(&self, x: f64, y: f64) -> f64 {
        self.energy(x, y) + Self::gravity(y)
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * (1.0 + a.abs().max(b.abs()))
}

fn main() {
    let s = Spring { k: 2.0, rest: 1.0 };
    let (x, y) = (3.0, 4.0);
    // d = 4, dE/dx = k d x / |p| = 2 * 4 * 3 / 5
    let [ex, ey] = s.energy_gradient(x, y);
    assert!(close(ex, 4.8) && close(ey, 6.4));
    let (v, _) = s.energy_value_and_gradient(x, y);
    assert!(close(v, s.energy(x, y)));
    let [tx, ty] = s.total_gradient(x, y);
    assert!(close(tx, 4.8) && close(ty, 6.4 + 9.81));
    let (v, _) = s.total_value_and_gradient(x, y);
    assert!(close(v, s.total(x, y)));
    assert_eq!(Spring::gravity_gradient(y), [9.81]);
    let (v, _) = Spring::gravity_value_and_gradient(y);
    assert!(close(v, Spring::gravity(y)));
    let _ = (
        shapes::norm2_gradient(x, y),
        shapes::norm2_value_and_gradient(x, y),
    );
}
