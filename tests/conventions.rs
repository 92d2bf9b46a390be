//! Edge-case conventions of the generated code, pinned: the values in `docs/conventions.md`.
//!
//! Kinks (abs, max/min at a tie, clamp at its bounds, the step functions), singular points
//! (sqrt and ln at 0, powf with base 0), NaN and infinity propagation, per-partial isolation, and
//! the places where the simplifier's rewrites differ from IEEE evaluation of the expression as
//! written (the sign of a zero). Every check compares bit patterns (`-0.0` is not `0.0`, NaN is
//! NaN).

// Annotated functions whose original is only used through its companions are not dead code.
#![allow(dead_code)]

use dual::gradient;

const INF: f64 = f64::INFINITY;
const NAN: f64 = f64::NAN;

/// Bitwise equality of two gradients (NaN equals NaN, `0.0` differs from `-0.0`).
#[track_caller]
fn same<const N: usize>(got: [f64; N], want: [f64; N]) {
    let bits = |v: [f64; N]| v.map(|x| if x.is_nan() { u64::MAX } else { x.to_bits() });
    assert!(bits(got) == bits(want), "got {got:?}, want {want:?}");
}

#[track_caller]
fn same1(got: f64, want: f64) {
    same([got], [want]);
}

// --- kinks -------------------------------------------------------------------------------------

#[gradient]
fn abs(x: f64) -> f64 {
    x.abs()
}

#[test]
fn abs_at_zero_is_zero() {
    same(abs_gradient(0.0), [0.0]);
    // sign0(−0) = −0 · 0: the derivative at −0 is a zero too (of either sign).
    assert_eq!(abs_gradient(-0.0)[0], 0.0);
    same(abs_gradient(2.0), [1.0]);
    same(abs_gradient(-2.0), [-1.0]);
    same(abs_gradient(NAN), [NAN]);
}

#[gradient]
fn max(x: f64, y: f64) -> f64 {
    x.max(y)
}

#[gradient]
fn min(x: f64, y: f64) -> f64 {
    x.min(y)
}

#[gradient]
fn max_path(x: f64, y: f64) -> f64 {
    f64::max(y, x)
}

#[test]
fn max_min_tie_goes_to_the_receiver() {
    same(max_gradient(2.0, 2.0), [1.0, 0.0]);
    same(min_gradient(2.0, 2.0), [1.0, 0.0]);
    // In path form the receiver is the first argument (here `y`).
    same(max_path_gradient(2.0, 2.0), [0.0, 1.0]);
    // ±0 compare equal: a tie.
    same(max_gradient(0.0, -0.0), [1.0, 0.0]);
    same(max_gradient(1.0, 2.0), [0.0, 1.0]);
    same(min_gradient(1.0, 2.0), [1.0, 0.0]);
}

#[test]
fn max_min_with_a_nan_operand() {
    // `f64::max` ignores a NaN operand: max(1, NaN) = 1 and max(NaN, 1) = 1.
    assert_eq!(max(1.0, NAN), 1.0);
    assert_eq!(max(NAN, 1.0), 1.0);
    // The derivative goes to the operand the value comes from.
    same(max_gradient(NAN, 1.0), [0.0, 1.0]);
    same(max_gradient(1.0, NAN), [1.0, 0.0]);
    same(min_gradient(1.0, NAN), [1.0, 0.0]);
    same(min_gradient(NAN, 1.0), [0.0, 1.0]);
}

#[gradient]
fn clamp(x: f64, lo: f64, hi: f64) -> f64 {
    x.clamp(lo, hi)
}

#[test]
fn clamp_bounds_are_inclusive() {
    same(clamp_gradient(0.0, 0.0, 1.0), [1.0, 0.0, 0.0]); // at lo
    same(clamp_gradient(1.0, 0.0, 1.0), [1.0, 0.0, 0.0]); // at hi
    same(clamp_gradient(0.5, 0.0, 1.0), [1.0, 0.0, 0.0]);
    same(clamp_gradient(-1.0, 0.0, 1.0), [0.0, 1.0, 0.0]); // below: lo is hit
    same(clamp_gradient(2.0, 0.0, 1.0), [0.0, 0.0, 1.0]); // above: hi is hit
    same(clamp_gradient(1.0, 1.0, 1.0), [1.0, 0.0, 0.0]); // lo = hi = x
                                                          // NaN passes through clamp, and so does the derivative.
    assert!(clamp(NAN, 0.0, 1.0).is_nan());
    same(clamp_gradient(NAN, 0.0, 1.0), [1.0, 0.0, 0.0]);
}

#[gradient]
fn steps(x: f64) -> f64 {
    x.floor() + x.ceil() + x.round() + x.trunc() + x.signum()
}

#[test]
fn step_functions_have_derivative_zero() {
    for x in [-2.5, -0.5, -0.0, 0.0, 0.5, 1.0, 2.5] {
        same(steps_gradient(x), [0.0]);
    }
    // Also at the jumps, at infinity and at NaN: the derivative of a step is the constant 0.
    same(steps_gradient(INF), [0.0]);
    same(steps_gradient(NAN), [0.0]);
}

// --- singular points ---------------------------------------------------------------------------

#[gradient]
fn sqrt(x: f64) -> f64 {
    x.sqrt()
}

#[gradient]
fn ln(x: f64) -> f64 {
    x.ln()
}

#[gradient]
fn pow15(x: f64) -> f64 {
    x.powf(1.5)
}

#[gradient]
fn pow05(x: f64) -> f64 {
    x.powf(0.5)
}

#[gradient]
fn pow3(x: f64) -> f64 {
    x.powf(3.0)
}

#[gradient]
fn powf_both(x: f64, y: f64) -> f64 {
    x.powf(y)
}

#[test]
fn sqrt_at_zero_is_plus_infinity() {
    same(sqrt_gradient(0.0), [INF]);
    // 0.5 / √−0 = 0.5 / −0 = −∞.
    same(sqrt_gradient(-0.0), [-INF]);
    same(sqrt_gradient(-1.0), [NAN]);
    same(sqrt_gradient(INF), [0.0]);
}

#[test]
fn ln_at_zero_is_infinite() {
    same1(ln(0.0), -INF);
    same(ln_gradient(0.0), [INF]);
    same(ln_gradient(-0.0), [-INF]);
    same(ln_gradient(INF), [0.0]);
    // ln is NaN below 0, its derivative 1/x is not (the derivative of the formula, not of NaN).
    same(ln_gradient(-1.0), [-1.0]);
}

#[test]
fn powf_with_base_zero() {
    same(pow15_gradient(0.0), [0.0]); // 1.5 · 0^0.5 = 0, not NaN
    same(pow05_gradient(0.0), [INF]); // 0.5 · 0^−0.5 = ∞
    same(pow3_gradient(0.0), [0.0]); // 3 · 0² (as powi) = 0
    same(pow15_gradient(4.0), [3.0]);
    // Base and exponent both differentiated: ∂/∂y = x^y · ln x = 0 · −∞ = NaN at x = 0.
    same(powf_both_gradient(0.0, 1.5), [0.0, NAN]);
    same(powf_both_gradient(2.0, 3.0), [12.0, 8.0 * 2f64.ln()]);
}

// --- NaN and infinity propagation --------------------------------------------------------------

#[gradient]
fn prod(x: f64, y: f64) -> f64 {
    x * y
}

#[gradient]
fn sum_sin(x: f64, y: f64) -> f64 {
    x.sin() + y
}

#[gradient]
fn exp_neg(x: f64) -> f64 {
    (-x).exp()
}

#[gradient]
fn times_zero(x: f64) -> f64 {
    x * 0.0
}

#[test]
fn nan_reaches_only_the_partials_that_read_it() {
    // ∂(xy)/∂x = y, ∂(xy)/∂y = x.
    same(prod_gradient(NAN, 2.0), [2.0, NAN]);
    same(prod_gradient(2.0, NAN), [NAN, 2.0]);
    // ∂/∂x = cos x, ∂/∂y = 1.
    same(sum_sin_gradient(NAN, 1.0), [NAN, 1.0]);
    same(sum_sin_gradient(1.0, NAN), [1f64.cos(), 1.0]);
    let (v, g) = sum_sin_value_and_gradient(1.0, NAN);
    assert!(v.is_nan());
    same(g, [1f64.cos(), 1.0]);
}

#[test]
fn infinities() {
    same(prod_gradient(INF, 2.0), [2.0, INF]);
    same(prod_gradient(INF, 0.0), [0.0, INF]);
    same(sum_sin_gradient(INF, 1.0), [NAN, 1.0]);
    same(exp_neg_gradient(INF), [-0.0]);
    same(exp_neg_gradient(-INF), [-INF]);
    // x · 0 is NaN at ∞ (not folded to 0), but its derivative is the constant 0.
    assert!(times_zero(INF).is_nan());
    let (v, g) = times_zero_value_and_gradient(INF);
    assert!(v.is_nan());
    same(g, [0.0]);
}

// --- per-partial isolation ---------------------------------------------------------------------

#[gradient]
fn ln_minus_square(x0: f64, x1: f64) -> f64 {
    x0.ln() - x1 * x1
}

#[gradient]
fn x_sqrt_x(x0: f64, x1: f64) -> f64 {
    x0 * x0.sqrt() + x1
}

#[test]
fn one_singular_partial_does_not_contaminate_the_others() {
    same(ln_minus_square_gradient(0.0, 1.0), [INF, -2.0]);
    // ∂/∂x₀ (x₀√x₀) = √x₀ + x₀ · ½/√x₀: the derivative code writes x₀ · ½/√x₀ as ½·√x₀, so
    // it is 0 at 0 (the limit), not 0 · ∞ = NaN. ∂/∂x₁ = 1, untouched.
    same(x_sqrt_x_gradient(0.0, 3.0), [0.0, 1.0]);
}

// --- simplifier rewrites against IEEE evaluation -----------------------------------------------

#[gradient]
fn plus_zero(x: f64) -> f64 {
    x + 0.0
}

#[gradient]
fn zero_minus(x: f64) -> f64 {
    0.0 - x
}

#[gradient]
fn minus_zero(x: f64) -> f64 {
    x - 0.0
}

#[gradient]
fn double_neg(x: f64) -> f64 {
    -(-x) * 1.0 / 1.0
}

#[test]
fn zero_signs_after_simplification() {
    // `x + 0 → x`: IEEE gives −0 + 0 = +0; the companion's value is −0.
    same1(plus_zero(-0.0), 0.0);
    same1(plus_zero_value_and_gradient(-0.0).0, -0.0);
    // `0 − x → −x`: IEEE gives 0 − 0 = +0; the companion's value is −0.
    same1(zero_minus(0.0), 0.0);
    same1(zero_minus_value_and_gradient(0.0).0, -0.0);
    // `x − 0 → x` and `−(−x) · 1 / 1 → x` are exact, also for zeros and NaN.
    for x in [-0.0, 0.0, 1.5, INF, -INF] {
        same1(minus_zero_value_and_gradient(x).0, minus_zero(x));
        same1(double_neg_value_and_gradient(x).0, double_neg(x));
    }
    same(plus_zero_gradient(-0.0), [1.0]);
    same(zero_minus_gradient(0.0), [-1.0]);
}
