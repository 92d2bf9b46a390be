//! Calls inside annotated functions: the chain rule through annotated callees
//! (by name, by module path, nested, with array arguments and array results), hand-written custom
//! derivatives, and calls whose arguments are all constants.

// Annotated functions whose original is only used through its companions are not dead code.
#![allow(dead_code)]

mod common;

use common::*;
use dual::gradient;

// ---------------------------------------------------------------------------------------------
// Annotated callees
// ---------------------------------------------------------------------------------------------

#[gradient]
fn sq(x: f64) -> f64 {
    x * x
}

#[gradient]
fn prod_plus(a: f64, b: f64) -> f64 {
    a * b + a
}

#[gradient]
fn sin_sq(x: f64) -> f64 {
    let s = x.sin();
    s * s
}

#[gradient]
fn dot_plus(w: [f64; 2], x: f64) -> f64 {
    w[0] * x + w[1] * x * x
}

#[gradient]
fn pair(x: f64) -> [f64; 2] {
    [x * x, x.sin()]
}

#[gradient]
fn polar(r: f64, t: f64) -> (f64, f64) {
    (r * t.cos(), r * t.sin())
}

#[gradient]
fn scaled(x: f64, n: usize) -> f64 {
    x * n as f64
}

#[gradient(wrt(x))]
fn times_constant(x: f64, c: f64) -> f64 {
    x * x * c
}

mod m {
    use dual::gradient;

    #[gradient]
    pub fn cube(x: f64) -> f64 {
        x * x * x
    }

    pub mod inner {
        use dual::gradient;

        #[gradient]
        pub fn exp_half(x: f64) -> f64 {
            (0.5 * x).exp()
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Callers
// ---------------------------------------------------------------------------------------------

#[gradient]
fn calls_scalar_callee(x: f64, y: f64) -> f64 {
    sq(x) * y
}

#[gradient]
fn calls_callee_with_active_expression(x: f64, y: f64) -> f64 {
    sq(x * y + 1.0)
}

#[gradient]
fn calls_two_argument_callee(x: f64, y: f64) -> f64 {
    prod_plus(x * y, y.sin())
}

#[gradient]
fn calls_two_argument_callee_with_same_value(x: f64) -> f64 {
    prod_plus(x, x)
}

#[gradient]
fn calls_module_callee(x: f64) -> f64 {
    m::cube(x) + m::inner::exp_half(x)
}

#[gradient]
fn calls_nested(x: f64) -> f64 {
    sq(sq(x))
}

#[gradient]
fn calls_nested_three_deep(x: f64) -> f64 {
    sin_sq(sq(m::cube(x)))
}

#[gradient]
fn calls_callee_twice(x: f64, y: f64) -> f64 {
    sq(x) + sq(y) * sq(x - y)
}

#[gradient]
fn calls_array_parameter_callee(x: f64, y: f64) -> f64 {
    dot_plus([x, y * y], y)
}

#[gradient]
fn destructures_array_result(x: f64) -> f64 {
    let [a, b] = pair(x);
    a * b
}

#[gradient]
fn indexes_array_result(x: f64, y: f64) -> f64 {
    let v = pair(x * y);
    v[0] + 3.0 * v[1]
}

#[gradient]
fn weighted(w: f64, x: f64) -> f64 {
    w * x.sin()
}

/// Data floats whose type the code does not write (`let q = d[1];`), passed before a
/// differentiated argument: the callee's gradient has an entry for them, skipped.
#[allow(clippy::ptr_arg)] // `&Vec<f64>` on purpose: indexing it gives a float too
#[gradient(wrt(x))]
fn data_floats_before_differentiated_argument(x: f64, d: &[f64], v: &Vec<f64>, n: usize) -> f64 {
    let q = d[1];
    let (p, r) = (d[0], v[0]);
    // A float by its use in a tuple, in a cast, and as the receiver of a float method.
    let m = d.iter().fold(0.0, |a, b| a + b);
    let (t, _) = (m * 2.0, 1.0);
    let m2 = d.iter().fold(1.0, |a, b| a * b);
    let idx = (m2 * 0.0) as usize;
    let s = d.iter().fold(0.5, |a, b| a - b);
    let c = s.cos();
    // An integer method on an integer parameter: it stays an integer.
    let n2 = n.pow(2);
    weighted(q, x)
        + weighted(p, x) * weighted(r, x)
        + scaled(x, n)
        + weighted(-q, x)
        + weighted(m, x) * t
        + weighted(m2, x) * (1 + idx) as f64
        + weighted(s, x) * c
        + x * n2 as f64
}

/// The first element, through a function the macro does not see into.
fn first_of(d: &[f64]) -> f64 {
    d[0]
}

/// Data floats known to be floats only by their arithmetic (`d[2] - 0.5`), passed before a
/// differentiated argument: their entries of the callee's gradient are skipped too.
#[allow(clippy::needless_late_init)] // an assignment statement is one of the uses tested
#[gradient(wrt(x))]
fn data_arithmetic_before_differentiated_argument(x: f64, d: &[f64]) -> f64 {
    let h = d[2] - 0.5;
    // A float by one operand, by the argument of `max`, by `f64::sqrt`.
    let total = d.iter().sum::<f64>() * 2.0;
    let larger = d.iter().sum::<f64>().max(0.5);
    let root = f64::sqrt(d[1]);
    let negated = -(d[0] * 2.0);
    // A float by one operand of unseen type (`first_of(d) * 0.5`), by `max`'s argument.
    let half = first_of(d) * 0.5;
    let at_least = first_of(d).max(0.25);
    // A float by its use in an array literal (`[first * 2.0, 1.0]`).
    let first = first_of(d);
    let pair = [first * 2.0, 1.0];
    // Floats by their use on the right of an assignment, under a negation.
    let (second, third) = (first_of(&d[1..]), first_of(&d[2..]));
    let twice;
    twice = second * 2.0;
    let negated_third = -third * 2.0;
    // A float by its use in a statement (`m > 1.0`).
    let m = d.iter().sum::<f64>();
    let mut above = 0;
    if m > 1.0 {
        above += 1;
    }
    weighted(m, x) * above as f64
        + weighted(negated, x)
        + weighted(half, x)
        + weighted(at_least, x)
        + weighted(first, x) * pair[1]
        + weighted(second, x) * twice
        + weighted(third, x) * negated_third
        + weighted(h, x)
        + weighted(d[0] * 2.0, x)
        + weighted(total, x)
        + weighted(larger, x)
        + weighted(root, x)
}

// Functions made by `macro_rules!`: an `$e:expr` fragment reaches the macro as an invisible group,
// and a data float it computes is still known to be one.
macro_rules! weighted_by {
    ($($name:ident($d:ident) => $weight:expr;)*) => {$(
        #[gradient(wrt(x))]
        fn $name(x: f64, $d: &[f64]) -> f64 {
            let h = $weight;
            weighted(h, x) + weighted($weight, x)
        }
    )*};
}

weighted_by! {
    weighted_by_difference(d) => d[1] - d[0];
    weighted_by_first(d) => d[0];
}

// A variable learnt to be a float only inside a fragment (`total * 0.5`).
macro_rules! weighted_by_sum {
    ($name:ident($d:ident, $total:ident) => $weight:expr) => {
        #[gradient(wrt(x))]
        fn $name(x: f64, $d: &[f64]) -> f64 {
            let $total = first_of(&$d[1..]) + first_of($d);
            let h = $weight;
            weighted($total, x) + weighted(h, x)
        }
    };
}

weighted_by_sum!(weighted_by_half_sum(d, total) => total * 0.5);

#[gradient(wrt(x))]
fn gated(on: bool, x: f64) -> f64 {
    if on {
        x * x
    } else {
        x
    }
}

/// A comparison of data passed as an argument: a `bool`, which has no entry in the callee's
/// gradient.
#[gradient(wrt(x))]
fn calls_with_data_comparison(x: f64, d: &[f64]) -> f64 {
    let far = d[1] - d[0] > 1.0;
    gated(d[0] > 0.0, x) + gated(far, x)
}

#[gradient]
fn powers(x: f64) -> (f64, f64, f64) {
    (x, x * x, x * x * x)
}

/// A result that shadows the one its call reads (`let p = polar(p.0, p.2)`): how `p` is used
/// afterwards, not the call's own arguments, says what the new `p` holds.
#[gradient]
fn shadowed_tuple_result(x: f64) -> f64 {
    let p = powers(x);
    let p = polar(p.0, p.2);
    p.0 + p.1
}

#[gradient]
fn fields_of_tuple_result(r: f64, t: f64) -> f64 {
    let p = polar(r, t);
    p.0 * p.1 + p.1
}

#[gradient]
fn indexes_typed_array_result(x: f64, y: f64) -> f64 {
    let v: [f64; 2] = pair(x * y);
    v[0] + 3.0 * v[1]
}

#[gradient]
fn destructures_tuple_result(r: f64, t: f64) -> f64 {
    let (a, b) = polar(r, t);
    a * a + b
}

#[gradient]
fn calls_with_inactive_arguments(x: f64, n: usize) -> f64 {
    scaled(x, n) * scaled(x, 3)
}

#[gradient]
fn calls_wrt_restricted_callee(x: f64) -> f64 {
    times_constant(x.sin(), 4.0)
}

#[gradient]
fn vector_caller(x: f64, y: f64) -> [f64; 2] {
    [sq(x), prod_plus(x, y)]
}

#[gradient]
fn calls_callee_in_branch(x: f64) -> f64 {
    if x > 1.0 {
        sq(x)
    } else {
        m::cube(x)
    }
}

#[test]
fn scalar_callee_chain_rule() {
    for (x, y) in grid2(&[-2.0, 0.5, 3.0], &[-1.0, 0.25, 2.0]) {
        assert_eq!(
            calls_scalar_callee_gradient(x, y),
            [2.0 * x * y, x * x],
            "at ({x}, {y})"
        );
    }
}

#[test]
fn scalar_callee_with_active_expression_argument() {
    // (xy + 1)²
    for (x, y) in grid2(&[-2.0, 0.5, 3.0], &[-1.0, 0.25, 2.0]) {
        let u = x * y + 1.0;
        assert_all_close(
            &calls_callee_with_active_expression_gradient(x, y),
            &[2.0 * u * y, 2.0 * u * x],
            1e-15,
            &format!("at ({x}, {y})"),
        );
    }
}

#[test]
fn two_argument_callee_chain_rule() {
    // a b + a with a = xy, b = sin y
    for (x, y) in grid2(&[-2.0, 0.5, 3.0], &[-1.0, 0.25, 2.0]) {
        let (a, b) = (x * y, y.sin());
        let expected = [(b + 1.0) * y, (b + 1.0) * x + a * y.cos()];
        let (v, g) = calls_two_argument_callee_value_and_gradient(x, y);
        let ctx = format!("at ({x}, {y})");
        assert_close_ctx(v, a * b + a, 1e-14, &ctx);
        assert_all_close(&g, &expected, 1e-14, &ctx);
    }
}

#[test]
fn two_argument_callee_with_the_same_active_value_in_both_arguments() {
    // x² + x
    for x in [-2.0, 0.5, 3.0] {
        assert_eq!(
            calls_two_argument_callee_with_same_value_gradient(x),
            [2.0 * x + 1.0]
        );
    }
}

#[test]
fn callee_in_module_called_by_path() {
    for x in linspace(-2.0, 2.0, 9) {
        let [d] = calls_module_callee_gradient(x);
        assert_close_ctx(
            d,
            3.0 * x * x + 0.5 * (0.5 * x).exp(),
            1e-14,
            &format!("at {x}"),
        );
    }
}

#[test]
fn nested_calls_g_of_g() {
    // x⁴
    for x in linspace(-2.0, 2.0, 9) {
        assert_eq!(
            calls_nested_value_and_gradient(x),
            (x.powi(4), [4.0 * x * x * x]),
            "at {x}"
        );
    }
}

#[test]
fn nested_calls_three_deep() {
    // sin²(x⁶)
    for x in linspace(-1.2, 1.2, 13) {
        let u = x.powi(6);
        let expected = 2.0 * u.sin() * u.cos() * 6.0 * x.powi(5);
        let [d] = calls_nested_three_deep_gradient(x);
        assert_close_ctx(d, expected, 1e-12, &format!("at {x}"));
        assert_close_ctx(
            d,
            fd_derivative(calls_nested_three_deep, x),
            1e-8,
            &format!("finite differences at {x}"),
        );
    }
}

#[test]
fn same_callee_called_several_times() {
    // x² + y² (x - y)²
    for (x, y) in grid2(&[-2.0, 0.5, 3.0], &[-1.0, 0.25, 2.0]) {
        let d = x - y;
        assert_all_close(
            &calls_callee_twice_gradient(x, y),
            &[2.0 * x + 2.0 * y * y * d, 2.0 * y * d * d - 2.0 * y * y * d],
            1e-14,
            &format!("at ({x}, {y})"),
        );
    }
}

#[test]
fn callee_with_array_parameter_gets_tuple_gradient_through_chain_rule() {
    // w0 x + w1 x² with w = [x, y²], x = y:  x y + y⁴
    for (x, y) in grid2(&[-2.0, 0.5, 3.0], &[-1.0, 0.25, 2.0]) {
        assert_all_close(
            &calls_array_parameter_callee_gradient(x, y),
            &[y, x + 4.0 * y * y * y],
            1e-14,
            &format!("at ({x}, {y})"),
        );
    }
}

#[test]
fn array_result_destructured_with_let_pattern() {
    // x² sin x
    for x in linspace(-3.0, 3.0, 13) {
        let [d] = destructures_array_result_gradient(x);
        assert_close_ctx(
            d,
            2.0 * x * x.sin() + x * x * x.cos(),
            1e-14,
            &format!("at {x}"),
        );
    }
}

#[test]
fn array_result_indexed() {
    // (xy)² + 3 sin(xy)
    for (x, y) in grid2(&[-2.0, 0.5, 3.0], &[-1.0, 0.25, 2.0]) {
        let u = x * y;
        let du = 2.0 * u + 3.0 * u.cos();
        assert_all_close(
            &indexes_array_result_gradient(x, y),
            &[du * y, du * x],
            1e-14,
            &format!("at ({x}, {y})"),
        );
    }
}

#[test]
fn data_floats_of_undeclared_type_as_arguments() {
    let (d, v) = ([0.5, 2.0], vec![-1.5]);
    for x in [-1.0, 0.3, 2.0] {
        let [g] = data_floats_before_differentiated_argument_gradient(x, &d, &v, 3);
        // 2 sin x + (0.5 sin x)(−1.5 sin x) + 3x + 9x − 2 sin x + (2.5 sin x) · 5 + sin x
        // + (−2 sin x) cos(−2)
        let exact = 2.0 * x.cos() - 1.5 * x.sin() * x.cos() + 3.0 + 9.0 - 2.0 * x.cos()
            + 12.5 * x.cos()
            + x.cos()
            - 2.0 * x.cos() * (-2.0f64).cos();
        assert_close(g, exact, 1e-14);
    }
}

#[test]
fn data_arithmetic_as_arguments() {
    let d = [0.5, 2.0, 3.0];
    for x in [-1.0, 0.3, 2.0] {
        let [g] = data_arithmetic_before_differentiated_argument_gradient(x, &d);
        // (5.5 − 1 + 0.25 + 0.5 + 0.5 + 2 · 4 − 3 · 6 + 2.5 + 1 + 11 + 5.5 + √2) cos x
        assert_close(g, (15.75 + 2f64.sqrt()) * x.cos(), 1e-14);
    }
}

#[test]
fn data_floats_from_macro_fragments() {
    let d = [0.5, 2.0];
    for x in [-1.0, 0.3, 2.0] {
        // 2 (d₁ − d₀) cos x, 2 d₀ cos x
        assert_close(
            weighted_by_difference_gradient(x, &d)[0],
            3.0 * x.cos(),
            1e-14,
        );
        assert_close(weighted_by_first_gradient(x, &d)[0], x.cos(), 1e-14);
        // (2.5 + 1.25) cos x
        assert_close(
            weighted_by_half_sum_gradient(x, &d)[0],
            3.75 * x.cos(),
            1e-14,
        );
    }
}

#[test]
fn data_comparisons_as_arguments() {
    for x in [-1.0, 0.3, 2.0] {
        // x² + x: d₀ > 0, d₁ − d₀ ≤ 1
        assert_close(
            calls_with_data_comparison_gradient(x, &[0.5, 1.0])[0],
            2.0 * x + 1.0,
            1e-15,
        );
        // x + x²
        assert_close(
            calls_with_data_comparison_gradient(x, &[-0.5, 1.0])[0],
            1.0 + 2.0 * x,
            1e-15,
        );
        // x + x
        assert_close(
            calls_with_data_comparison_gradient(x, &[-0.5, 0.0])[0],
            2.0,
            1e-15,
        );
    }
}

#[test]
fn tuple_result_shadowing_the_one_it_reads() {
    // x cos x³ + x sin x³
    for x in [-1.5, 0.3, 0.8, 2.0] {
        let t = x * x * x;
        let (v, [g]) = shadowed_tuple_result_value_and_gradient(x);
        assert_close(v, x * t.cos() + x * t.sin(), 1e-14);
        let exact = t.cos() + t.sin() + 3.0 * t * (t.cos() - t.sin());
        assert_close(g, exact, 1e-13);
    }
}

#[test]
fn tuple_result_fields() {
    // r² cos t sin t + r sin t
    for (r, t) in grid2(&[-2.0, 0.5, 3.0], &[-1.0, 0.25, 2.0]) {
        let (c, s) = (t.cos(), t.sin());
        assert_all_close(
            &fields_of_tuple_result_gradient(r, t),
            &[2.0 * r * c * s + s, r * r * (c * c - s * s) + r * c],
            1e-14,
            &format!("at ({r}, {t})"),
        );
    }
}

#[test]
fn array_result_with_type_annotation_indexed() {
    // (xy)² + 3 sin(xy)
    for (x, y) in grid2(&[-2.0, 0.5, 3.0], &[-1.0, 0.25, 2.0]) {
        let u = x * y;
        let du = 2.0 * u + 3.0 * u.cos();
        assert_all_close(
            &indexes_typed_array_result_gradient(x, y),
            &[du * y, du * x],
            1e-14,
            &format!("at ({x}, {y})"),
        );
    }
}

#[test]
fn tuple_result_destructured() {
    // r² cos² t + r sin t
    for (r, t) in grid2(&[0.5, 2.0], &[-1.0, 0.3, 2.5]) {
        let expected = [
            2.0 * r * t.cos() * t.cos() + t.sin(),
            -2.0 * r * r * t.cos() * t.sin() + r * t.cos(),
        ];
        assert_all_close(
            &destructures_tuple_result_gradient(r, t),
            &expected,
            1e-14,
            &format!("at ({r}, {t})"),
        );
    }
}

#[test]
fn callee_with_inactive_arguments() {
    // 3 n x²
    assert_eq!(calls_with_inactive_arguments_gradient(2.0, 5), [60.0]);
    assert_eq!(calls_with_inactive_arguments_gradient(-1.0, 0), [0.0]);
}

#[test]
fn callee_restricted_by_wrt_with_constant_in_other_parameter() {
    // 4 sin² x
    for x in linspace(-2.0, 2.0, 9) {
        let [d] = calls_wrt_restricted_callee_gradient(x);
        assert_close_ctx(d, 8.0 * x.sin() * x.cos(), 1e-14, &format!("at {x}"));
    }
}

#[test]
fn vector_result_of_calls_jacobian() {
    let (v, j) = vector_caller_value_and_jacobian(3.0, 2.0);
    assert_eq!(v, [9.0, 9.0]);
    assert_eq!(j, [[6.0, 0.0], [3.0, 3.0]]);
}

#[test]
fn callee_in_each_branch() {
    assert_eq!(calls_callee_in_branch_gradient(2.0), [4.0]);
    assert_eq!(calls_callee_in_branch_gradient(-2.0), [12.0]);
}

// ---------------------------------------------------------------------------------------------
// Hand-written custom derivatives
// ---------------------------------------------------------------------------------------------

/// Not annotated: the macro cannot see inside it.
fn opaque(x: f64) -> f64 {
    x.sin()
}

/// A deliberately recognisable derivative (7 instead of cos x): only a caller that really uses
/// this function gets it.
fn opaque_value_and_gradient(x: f64) -> (f64, [f64; 1]) {
    (opaque(x), [7.0])
}

#[gradient]
fn uses_opaque(x: f64) -> f64 {
    opaque(x) * 2.0
}

#[gradient]
fn uses_opaque_of_active_expression(x: f64, y: f64) -> f64 {
    opaque(x * y) + y
}

/// log(1 + eˣ) computed stably with a branch, and its hand-written derivative, the logistic
/// function.
fn softplus(x: f64) -> f64 {
    if x > 0.0 {
        x + (-x).exp().ln_1p()
    } else {
        x.exp().ln_1p()
    }
}

fn softplus_value_and_gradient(x: f64) -> (f64, [f64; 1]) {
    (softplus(x), [1.0 / (1.0 + (-x).exp())])
}

#[gradient]
fn uses_softplus(x: f64, y: f64) -> f64 {
    softplus(x * y) * y
}

mod custom {
    pub fn plain_norm(v: [f64; 2]) -> f64 {
        (v[0] * v[0] + v[1] * v[1]).sqrt()
    }

    pub fn plain_norm_value_and_gradient(v: [f64; 2]) -> (f64, [f64; 2]) {
        let n = plain_norm(v);
        (n, [v[0] / n, v[1] / n])
    }
}

#[gradient]
fn uses_custom_by_path(x: f64, y: f64) -> f64 {
    custom::plain_norm([x, y]) * x
}

#[test]
fn hand_written_derivative_is_used_by_the_caller() {
    assert_eq!(uses_opaque_gradient(0.3), [14.0]);
    let (v, g) = uses_opaque_value_and_gradient(0.3);
    assert_close(v, 2.0 * 0.3_f64.sin(), 1e-15);
    assert_eq!(g, [14.0]);
}

#[test]
fn hand_written_derivative_gets_the_chain_rule() {
    // d/dx opaque(xy) = 7 y, d/dy = 7 x + 1
    assert_eq!(
        uses_opaque_of_active_expression_gradient(2.0, 3.0),
        [21.0, 15.0]
    );
}

#[test]
fn hand_written_softplus_derivative_matches_finite_differences() {
    for (x, y) in grid2(&[-3.0, -0.4, 0.7, 2.5], &[-1.5, 0.5, 2.0]) {
        let g = uses_softplus_gradient(x, y);
        let fd = fd_gradient(|p: [f64; 2]| uses_softplus(p[0], p[1]), [x, y]);
        assert_all_close(&g, &fd, 1e-8, &format!("at ({x}, {y})"));
    }
}

#[test]
fn hand_written_derivative_found_by_module_path() {
    // x √(x² + y²)
    for (x, y) in grid2(&[-2.0, 0.5, 3.0], &[-1.0, 0.25, 2.0]) {
        let r = x.hypot(y);
        assert_all_close(
            &uses_custom_by_path_gradient(x, y),
            &[r + x * x / r, x * y / r],
            1e-14,
            &format!("at ({x}, {y})"),
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Calls with constant arguments only
// ---------------------------------------------------------------------------------------------

/// Not annotated and no hand-written derivative: fine when its arguments are constants.
fn helper(c: f64) -> f64 {
    c * 3.0 + 1.0
}

#[gradient]
fn constant_call_times_active(x: f64) -> f64 {
    helper(2.0) * x
}

#[gradient(wrt(x))]
fn constant_parameter_call_times_active(x: f64, c: f64) -> f64 {
    helper(c) * x * x
}

#[gradient]
fn annotated_callee_with_constant_argument(x: f64) -> f64 {
    sq(3.0) * x + m::cube(2.0)
}

#[gradient]
fn std_function_of_constants(x: f64, data: &[f64]) -> f64 {
    let largest = data.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let l = data.len() as f64;
    x * largest + l.sqrt() * x
}

#[test]
fn unannotated_call_with_constant_argument_multiplies_active_value() {
    assert_eq!(constant_call_times_active_gradient(5.0), [7.0]);
    assert_eq!(
        constant_call_times_active_value_and_gradient(5.0),
        (35.0, [7.0])
    );
}

#[test]
fn unannotated_call_with_constant_parameter_argument() {
    // helper(c) x², helper(2) = 7
    assert_eq!(
        constant_parameter_call_times_active_gradient(3.0, 2.0),
        [42.0]
    );
}

#[test]
fn annotated_callee_with_constant_argument_is_a_constant() {
    assert_eq!(annotated_callee_with_constant_argument_gradient(5.0), [9.0]);
    assert_eq!(annotated_callee_with_constant_argument(5.0), 53.0);
}

#[test]
fn std_functions_on_constant_data() {
    let data = [1.0, 4.0, -2.0, 3.5];
    assert_eq!(std_function_of_constants_gradient(1.5, &data), [4.0 + 2.0]);
}

// ---- constant arguments whose type the caller cannot see, after the differentiated ones ----

#[gradient]
fn k_times_square(x: f64, k: f64) -> f64 {
    k * x * x
}

const K: f64 = 3.0;

struct Holder {
    k: f64,
}

impl Holder {
    #[gradient]
    fn field_argument(&self, x: f64) -> f64 {
        k_times_square(x, self.k)
    }
}

#[gradient]
fn const_argument(x: f64) -> f64 {
    k_times_square(x, K)
}

#[gradient]
fn cast_argument(x: f64, n: usize) -> f64 {
    k_times_square(x, n as f64)
}

#[gradient]
fn data_argument(x: f64, data: &[f64]) -> f64 {
    k_times_square(x, data[0])
}

#[gradient]
fn layer(w: [f64; 2], b: f64, x: f64) -> f64 {
    (w[0] * x + w[1] * x * x + b).tanh()
}

#[gradient(wrt(x))]
fn layer_input_only(w: [f64; 2], b: f64, x: f64) -> f64 {
    layer(w, b, x)
}

#[gradient]
fn round_trip_cast(x: f64) -> f64 {
    (x as i64) as f64 * x
}

#[gradient]
fn macro_receiver(x: f64) -> f64 {
    let digits = format!("{}", x).len() as f64;
    digits * x
}

#[test]
fn constant_arguments_of_unknown_type_after_the_differentiated_ones() {
    // d/dx k x² = 2 k x
    assert_eq!(Holder { k: 2.0 }.field_argument_gradient(1.5), [6.0]);
    assert_eq!(const_argument_gradient(1.5), [9.0]);
    assert_eq!(cast_argument_gradient(1.5, 4), [12.0]);
    assert_eq!(data_argument_gradient(1.5, &[5.0, 1.0]), [15.0]);
}

#[test]
fn undifferentiated_array_argument_of_a_differentiated_callee() {
    let (w, b, x) = ([0.3, -0.2], 0.1, 0.7);
    let z: f64 = w[0] * x + w[1] * x * x + b;
    let want = (1.0 - z.tanh().powi(2)) * (w[0] + 2.0 * w[1] * x);
    assert_close(layer_input_only_gradient(w, b, x)[0], want, 1e-15);
}

#[test]
fn integer_round_trip_is_a_constant_factor() {
    assert_eq!(round_trip_cast_gradient(2.7), [2.0]);
    assert_eq!(round_trip_cast_gradient(-1.5), [-1.0]);
}

#[test]
fn macro_receiver_reads_the_primal() {
    assert_eq!(macro_receiver_gradient(2.5), [3.0]);
    assert_eq!(macro_receiver_gradient(10.0), [2.0]);
}

// --- a constant argument computed from float constants, before a differentiated one -----------

/// `c` is a float the caller computes from constants (`f64::sin(0.7) + 2.0`): known to be a float,
/// so it is matched to `prod_plus`'s first parameter (the caller cannot see the callee's
/// signature; an argument of unknown type there would be ambiguous).
#[gradient]
fn calls_with_computed_constant_first(x: f64) -> f64 {
    let c = f64::sin(0.7) + 2.0;
    let d = (0.5f64).ln() * 3.0;
    prod_plus(c, x) + prod_plus(d.exp(), x * x)
}

#[test]
fn constants_computed_from_float_constants_are_floats_at_calls() {
    let c = f64::sin(0.7) + 2.0;
    let d = (0.5f64).ln() * 3.0;
    for x in [-1.5, 0.3, 2.0] {
        // prod_plus(a, b) = a·b + a: ∂/∂b = a.
        let expected = c + d.exp() * 2.0 * x;
        let (v, [g]) = calls_with_computed_constant_first_value_and_gradient(x);
        assert_eq!(v.to_bits(), calls_with_computed_constant_first(x).to_bits());
        assert_close(g, expected, 1e-14);
    }
}

// --- user values visibly of float type, before a differentiated argument ----------------------

/// `n as f64`, a float-only method on a call's result, a variable updated with a float: each is
/// known to be a float, so it is matched to `prod_plus`'s first parameter.
#[gradient]
fn calls_with_user_floats_first(x: f64, n: usize) -> f64 {
    let k = n as f64;
    let c = sq(0.5).sqrt().clamp(0.0, 1.0);
    let mut d = sq(3.0);
    d -= 0.25;
    prod_plus(k, x) + prod_plus(c, x) + prod_plus(d, x) + prod_plus((n as f64).sqrt(), x)
}

#[test]
fn user_values_visibly_of_float_type_are_floats_at_calls() {
    for (x, n) in [(-1.5, 0), (0.3, 4), (2.0, 9)] {
        // prod_plus(a, b) = a·b + a: ∂/∂b = a.
        let k = n as f64;
        let expected = k + 0.5 + (9.0 - 0.25) + k.sqrt();
        let (v, [g]) = calls_with_user_floats_first_value_and_gradient(x, n);
        assert_eq!(v.to_bits(), calls_with_user_floats_first(x, n).to_bits());
        assert_close(g, expected, 1e-14);
    }
}

/// A value of user code of undeclared type (`sq(0.7)`'s result) that the body uses as a float
/// (`v * v + 1.5`, `v < 0.5`) is a float at a later call; integers used with integers are not.
#[gradient]
fn calls_with_value_used_as_float_first(x: f64, n: usize) -> f64 {
    let v = sq(0.7);
    let w = (v * v + 1.5).sqrt();
    let i = n * 2 + 1;
    let u = sq(0.2);
    let z = if u < 0.5 { prod_plus(u, x) } else { x };
    prod_plus(v, x) * w + z * i as f64
}

#[test]
fn values_used_as_floats_are_floats_at_calls() {
    let (v, u) = (0.49_f64, 0.04_f64);
    let w = (v * v + 1.5).sqrt();
    for (x, n) in [(-1.5, 0), (0.3, 4), (2.0, 9)] {
        // prod_plus(a, b) = a·b + a: ∂/∂b = a.
        let expected = v * w + u * (2 * n + 1) as f64;
        let (value, [g]) = calls_with_value_used_as_float_first_value_and_gradient(x, n);
        assert_eq!(
            value.to_bits(),
            calls_with_value_used_as_float_first(x, n).to_bits()
        );
        assert_close(g, expected, 1e-14);
    }
}

/// Data reductions whose type the code writes (`sum::<f64>()`, `fold(0.0, …)`), passed before a
/// differentiated argument.
#[gradient(wrt(x))]
fn data_reductions_as_arguments(x: f64, d: &[f64]) -> f64 {
    let total = d.iter().sum::<f64>();
    let product = d.iter().product::<f64>();
    let largest = d.iter().fold(0.0, |a: f64, b| a.max(*b));
    weighted(total, x) + weighted(product, x) + weighted(largest, x)
}

#[test]
fn data_reductions_of_known_type_as_arguments() {
    let d = [0.5, 2.0, 3.0];
    for x in [-1.0, 0.3, 2.0] {
        // (5.5 + 3 + 3) cos x
        assert_close(
            data_reductions_as_arguments_gradient(x, &d)[0],
            11.5 * x.cos(),
            1e-14,
        );
    }
}

/// A call whose tuple result is used beside an unrelated constant index (`w[3]`): only the
/// result's own uses say its shape.
#[gradient]
fn vector_call_beside_other_indexing(x: f64, w: [f64; 4]) -> f64 {
    let p = polar(x, w[0]);
    p.0 * w[3] + p.1
}

/// A typed local data array passed to an array parameter of a differentiated callee.
#[gradient(wrt(x))]
fn typed_data_array_as_argument(x: f64, d: &[f64]) -> f64 {
    let w: [f64; 2] = [d[0], d[1]];
    dot_plus(w, x)
}

#[test]
fn less_common_call_arguments_and_results() {
    let w: [f64; 4] = [0.5, 1.0, 2.0, 3.0];
    let x = 1.5;
    let (c, s) = (w[0].cos(), w[0].sin());
    let g = vector_call_beside_other_indexing_gradient(x, w);
    // x cos w₀ · w₃ + x sin w₀
    assert_close(g.0, c * w[3] + s, 1e-15);
    assert_all_close(&g.1, &[-x * s * w[3] + x * c, 0.0, 0.0, x * c], 1e-15, "dw");
    // d₀ + 2 d₁ x
    assert_close(
        typed_data_array_as_argument_gradient(x, &[0.5, 2.0])[0],
        0.5 + 4.0 * x,
        1e-15,
    );
}

/// A tuple result whose type the `let` writes, then taken apart whole.
#[gradient]
fn typed_tuple_result_taken_apart(r: f64, t: f64) -> f64 {
    let p: (f64, f64) = polar(r, t);
    let (a, b) = p;
    a * b
}

#[test]
fn typed_tuple_results_taken_apart() {
    let (r, t) = (1.5f64, 0.5f64);
    // r² cos t sin t
    let g = typed_tuple_result_taken_apart_gradient(r, t);
    assert_close(g[0], 2.0 * r * t.cos() * t.sin(), 1e-15);
    assert_close(g[1], r * r * (2.0 * t).cos(), 1e-14);
}

#[gradient(wrt(x))]
fn shifted_power(n: i32, x: f64) -> f64 {
    x.powi(n)
}

/// An integer used as `powi`'s exponent, then passed before a differentiated argument.
#[gradient(wrt(x))]
fn integer_exponent_passed_on(x: f64, k: i32) -> f64 {
    let m = k + 1;
    x.powi(m) + shifted_power(m, x)
}

#[test]
fn integer_exponents_passed_on() {
    // 2 · 3x²
    assert_close(
        integer_exponent_passed_on_gradient(1.5, 2)[0],
        6.0 * 2.25,
        1e-14,
    );
}

/// An array result whose type the `let` writes, then taken apart whole.
#[gradient]
fn typed_array_result_taken_apart(x: f64, y: f64) -> f64 {
    let v: [f64; 2] = pair(x * y);
    let [a, b] = v;
    a + 3.0 * b
}

#[test]
fn typed_array_results_taken_apart() {
    let (x, y) = (0.5f64, 1.5f64);
    // (xy)² + 3 sin(xy)
    let d = 2.0 * x * y + 3.0 * (x * y).cos();
    assert_all_close(
        &typed_array_result_taken_apart_gradient(x, y),
        &[d * y, d * x],
        1e-14,
        "",
    );
}
