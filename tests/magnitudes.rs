//! Derivative rules at large and tiny magnitudes (1e-8 to 1e8, both signs where the domain
//! allows), against exact derivatives: the other property tests draw arguments of order 1, where
//! a rule that is wrong only by a factor like `x / x` or an exponent off by one for large `x`
//! could hide.

// Annotated functions whose original is only used through its companions are not dead code.
#![allow(dead_code)]

use dual::gradient;
use proptest::prelude::*;
use std::f64::consts::{LN_10, LN_2};

/// `±10^e`, `e` uniform in `[-8, 8]`: magnitudes spread over 16 orders.
fn magnitude() -> impl Strategy<Value = f64> {
    (-8.0..8.0f64, any::<bool>())
        .prop_map(|(e, neg)| if neg { -(10f64.powf(e)) } else { 10f64.powf(e) })
}

/// Positive magnitudes only.
fn positive_magnitude() -> impl Strategy<Value = f64> {
    (-8.0..8.0f64).prop_map(|e| 10f64.powf(e))
}

/// Within a few roundings, relative to the larger magnitude (no absolute floor: tiny values are
/// checked as tightly as large ones).
#[track_caller]
fn rel_close(actual: f64, expected: f64, ctx: &str) {
    let scale = actual.abs().max(expected.abs());
    assert!(
        (actual - expected).abs() <= 1e-13 * scale || actual == expected,
        "{ctx}: got {actual:e}, want {expected:e}"
    );
}

macro_rules! unary {
    ($($name:ident($x:ident) => $body:expr;)*) => {$(
        #[gradient]
        fn $name($x: f64) -> f64 {
            $body
        }
    )*};
}

unary! {
    sqrt(x) => x.sqrt();
    cbrt(x) => x.cbrt();
    ln(x) => x.ln();
    log2(x) => x.log2();
    log10(x) => x.log10();
    recip(x) => x.recip();
    powi3(x) => x.powi(3);
    powi_neg2(x) => x.powi(-2);
    powf_frac(x) => x.powf(2.5);
    powf_whole(x) => x.powf(2.0);
    powf_whole_neg(x) => x.powf(-1.0);
    atan(x) => x.atan();
    asinh(x) => x.asinh();
    tanh(x) => x.tanh();
    abs(x) => x.abs();
    square(x) => x * x;
    ln_1p(x) => x.ln_1p();
}

#[gradient]
fn product(x: f64, y: f64) -> f64 {
    x * y
}

#[gradient]
fn quotient(x: f64, y: f64) -> f64 {
    x / y
}

#[gradient]
fn hypot(x: f64, y: f64) -> f64 {
    x.hypot(y)
}

#[gradient]
fn atan2(x: f64, y: f64) -> f64 {
    x.atan2(y)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn unary_rules_at_any_magnitude(x in magnitude(), p in positive_magnitude()) {
        rel_close(powi3_gradient(x)[0], 3.0 * x * x, "powi(3)");
        rel_close(powi_neg2_gradient(x)[0], -2.0 / (x * x * x), "powi(-2)");
        rel_close(powf_whole_gradient(x)[0], 2.0 * x, "powf(2.0)");
        rel_close(powf_whole_neg_gradient(x)[0], -1.0 / (x * x), "powf(-1.0)");
        rel_close(recip_gradient(x)[0], -1.0 / (x * x), "recip");
        rel_close(cbrt_gradient(x)[0], 1.0 / (3.0 * x.cbrt() * x.cbrt()), "cbrt");
        rel_close(atan_gradient(x)[0], 1.0 / (1.0 + x * x), "atan");
        rel_close(asinh_gradient(x)[0], 1.0 / (x * x + 1.0).sqrt(), "asinh");
        rel_close(abs_gradient(x)[0], x.signum(), "abs");
        rel_close(square_gradient(x)[0], 2.0 * x, "x * x");
        let t = x.tanh();
        rel_close(tanh_gradient(x)[0], 1.0 - t * t, "tanh");

        rel_close(sqrt_gradient(p)[0], 0.5 / p.sqrt(), "sqrt");
        rel_close(ln_gradient(p)[0], 1.0 / p, "ln");
        rel_close(log2_gradient(p)[0], 1.0 / (p * LN_2), "log2");
        rel_close(log10_gradient(p)[0], 1.0 / (p * LN_10), "log10");
        rel_close(powf_frac_gradient(p)[0], 2.5 * p.powf(1.5), "powf(2.5)");
        rel_close(ln_1p_gradient(p)[0], 1.0 / (1.0 + p), "ln_1p");
    }

    #[test]
    fn binary_rules_at_any_magnitude(x in magnitude(), y in magnitude()) {
        let [dx, dy] = product_gradient(x, y);
        rel_close(dx, y, "x * y, ∂x");
        rel_close(dy, x, "x * y, ∂y");
        let [dx, dy] = quotient_gradient(x, y);
        rel_close(dx, 1.0 / y, "x / y, ∂x");
        rel_close(dy, -x / (y * y), "x / y, ∂y");
        let h = x.hypot(y);
        let [dx, dy] = hypot_gradient(x, y);
        rel_close(dx, x / h, "hypot, ∂x");
        rel_close(dy, y / h, "hypot, ∂y");
        // atan2: ∂x = y / (x² + y²), ∂y = -x / (x² + y²), computed without overflow.
        let [dx, dy] = atan2_gradient(x, y);
        let s = x.abs().max(y.abs());
        let (xs, ys) = (x / s, y / s);
        let r2 = (xs * xs + ys * ys) * s;
        rel_close(dx * s, ys / r2 * s, "atan2, ∂x");
        rel_close(dy * s, -xs / r2 * s, "atan2, ∂y");
    }
}
