//! Vector results: arrays and tuples of `f64`, Jacobians, calls through `_value_and_jacobian`.
//! Must compile without a single warning.
#![deny(warnings)]
#![deny(clippy::all)]

use dual::gradient;

// Net inputs of two perceptrons with weights `w` (row-major 2x3) on a constant input `x`.
#[gradient(wrt(w))]
fn net_inputs(w: [f64; 6], x: [f64; 3]) -> [f64; 2] {
    [
        w[0] * x[0] + w[1] * x[1] + w[2] * x[2],
        w[3] * x[0] + w[4] * x[1] + w[5] * x[2],
    ]
}

#[gradient]
fn polar(r: f64, theta: f64) -> (f64, f64) {
    let c = theta.cos();
    let s = theta.sin();
    (r * c, r * s)
}

// A vector function that calls another vector function and branches on an active value.
#[gradient]
fn folded(r: f64, theta: f64) -> [f64; 2] {
    let (a, b) = polar(r, theta);
    if a > b {
        return [a - b, a * b];
    }
    [b - a, a * b]
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * (1.0 + a.abs().max(b.abs()))
}

fn main() {
    let x = [1.0, 2.0, 3.0];
    let w = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6];
    let j: [[f64; 6]; 2] = net_inputs_jacobian(w, x);
    assert_eq!(
        j,
        [
            [1.0, 2.0, 3.0, 0.0, 0.0, 0.0],
            [0.0, 0.0, 0.0, 1.0, 2.0, 3.0]
        ]
    );
    let (v, _) = net_inputs_value_and_jacobian(w, x);
    assert_eq!(v, net_inputs(w, x));

    let (r, t) = (2.0, 0.5f64);
    let (v, j): ((f64, f64), [[f64; 2]; 2]) = polar_value_and_jacobian(r, t);
    assert!(close(v.0, polar(r, t).0) && close(v.1, polar(r, t).1));
    assert!(close(j[0][0], t.cos()) && close(j[0][1], -r * t.sin()));
    assert!(close(j[1][0], t.sin()) && close(j[1][1], r * t.cos()));
    let _ = polar_jacobian(r, t);

    for (r, t) in [(2.0, 0.3), (2.0, 1.2)] {
        let (v, j) = folded_value_and_jacobian(r, t);
        assert_eq!(v, folded(r, t));
        let step = 1e-6;
        for (col, (dr, dt)) in [(step, 0.0), (0.0, step)].into_iter().enumerate() {
            let hi = folded(r + dr, t + dt);
            let lo = folded(r - dr, t - dt);
            for (row, jrow) in j.iter().enumerate() {
                let fd = (hi[row] - lo[row]) / (2.0 * step);
                assert!(
                    (jrow[col] - fd).abs() < 1e-6,
                    "{row} {col}: {} vs {fd}",
                    jrow[col]
                );
            }
        }
        let _ = folded_jacobian(r, t);
    }
}
