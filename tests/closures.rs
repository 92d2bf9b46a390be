//! Local closures bound with `let`, called with differentiated arguments or capturing
//! differentiated values: differentiated where they are called (inlined), checked against exact
//! derivatives and finite differences.

#![allow(clippy::needless_range_loop)]

mod common;

use common::*;
use dual::gradient;
use proptest::prelude::*;

/// The Lévy function's helper closure, as argmin writes it.
#[gradient]
fn levy_like(x: f64, y: f64) -> f64 {
    let w = |v: f64| 1.0 + (v - 1.0) / 4.0;
    let (wx, wy) = (w(x), w(y));
    (std::f64::consts::PI * wx).sin().powi(2)
        + (wx - 1.0).powi(2) * (1.0 + 10.0 * (std::f64::consts::PI * wy).sin().powi(2))
}

/// A closure capturing a differentiated value, called twice, and once with a constant.
#[gradient]
fn capturing(x: f64, a: f64) -> f64 {
    let scaled = |t: f64| (a * t).tanh() + a;
    scaled(x) * scaled(x + 1.0) + scaled(0.5)
}

/// A closure used in an iterator chain over a differentiated array.
#[gradient]
fn mapped(v: [f64; 8], k: f64) -> f64 {
    let f = |t: f64| (k * t).sin();
    v.iter().copied().map(f).sum::<f64>()
}

/// A closure that captures nothing differentiated, used both on data (where the code calls it as
/// written) and on a differentiated value (inlined).
#[gradient(wrt(x))]
fn on_data_and_values(x: f64, data: &[f64]) -> f64 {
    let sq = |t: f64| t * t;
    let scale = sq(data[0]) + data.iter().map(|&d| sq(d)).sum::<f64>();
    scale * sq(x)
}

#[test]
fn closures_used_on_data() {
    let data = [0.5, -2.0];
    for x in [-1.5, 0.25, 2.0] {
        let (v, [d]) = on_data_and_values_value_and_gradient(x, &data);
        // scale = 0.25 + 0.25 + 4
        assert_close(v, 4.5 * x * x, 1e-15);
        assert_close(d, 9.0 * x, 1e-15);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn closures_are_inlined(x in -2.0..2.0f64, y in -2.0..2.0f64) {
        let (v, g) = levy_like_value_and_gradient(x, y);
        assert_close(v, levy_like(x, y), 1e-14);
        assert_all_close(&g, &fd_gradient(|p: [f64; 2]| levy_like(p[0], p[1]), [x, y]), 1e-8, "levy");

        let (v, g) = capturing_value_and_gradient(x, y);
        assert_close(v, capturing(x, y), 1e-14);
        assert_all_close(&g, &fd_gradient(|p: [f64; 2]| capturing(p[0], p[1]), [x, y]), 1e-8, "capturing");

        let arr: [f64; 8] = std::array::from_fn(|i| x + 0.1 * i as f64);
        let (v, (gv, gk)) = mapped_value_and_gradient(arr, y);
        assert_close(v, mapped(arr, y), 1e-14);
        let exact: Vec<f64> = arr.iter().map(|t| y * (y * t).cos()).collect();
        assert_all_close(&gv, &exact, 1e-13, "mapped dv");
        let dk: f64 = arr.iter().map(|t| t * (y * t).cos()).sum();
        assert_close(gk, dk, 1e-13);
    }
}
