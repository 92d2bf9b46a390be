//! Every built-in math primitive of the support matrix, in method form (`x.sin()`) and path form
//! (`f64::sin(x)`), against its exact analytic derivative and high-accuracy finite differences at
//! many points inside its domain; binary and ternary primitives in each argument; conventions at
//! kinks; and property tests of composite functions against num-dual.

// Annotated functions whose original is only used through its companions are not dead code.
#![allow(dead_code)]

mod common;

use common::*;
use dual::gradient;
use num_dual::{Dual64, DualNum};
use proptest::prelude::*;
use std::f64::consts::{LN_10, LN_2, PI, TAU};

/// Tolerance against the analytic derivative (the engine may use an algebraically equal form).
const EXACT: f64 = 1e-12;
/// Tolerance against Richardson-extrapolated finite differences.
const FD: f64 = 1e-8;

// ---------------------------------------------------------------------------------------------
// Checkers
// ---------------------------------------------------------------------------------------------

/// Checks the two companions of a one-input function at each point: the value equals the original
/// function, both companions agree, the derivative equals `d` (analytic) and, when `fd` is set,
/// the finite-difference derivative of the original function.
#[track_caller]
fn check_unary(
    name: &str,
    f: fn(f64) -> f64,
    grad: fn(f64) -> [f64; 1],
    value_and_grad: fn(f64) -> (f64, [f64; 1]),
    d: impl Fn(f64) -> f64,
    xs: &[f64],
    fd: bool,
) {
    for &x in xs {
        let ctx = format!("{name} at x = {x:?}");
        let [g] = grad(x);
        let (v, [g2]) = value_and_grad(x);
        assert_close_ctx(v, f(x), 1e-14, &format!("value of {ctx}"));
        assert_close_ctx(
            g2,
            g,
            1e-14,
            &format!("_gradient vs _value_and_gradient, {ctx}"),
        );
        assert_close_ctx(g, d(x), EXACT, &format!("analytic derivative, {ctx}"));
        if fd {
            assert_close_ctx(
                g,
                fd_derivative(f, x),
                FD,
                &format!("finite differences, {ctx}"),
            );
        }
    }
}

/// [`check_unary`] for a function of two inputs with analytic gradient `d`.
#[track_caller]
fn check_binary(
    name: &str,
    f: fn(f64, f64) -> f64,
    grad: fn(f64, f64) -> [f64; 2],
    value_and_grad: fn(f64, f64) -> (f64, [f64; 2]),
    d: impl Fn(f64, f64) -> [f64; 2],
    points: &[(f64, f64)],
    fd: bool,
) {
    for &(x, y) in points {
        let ctx = format!("{name} at ({x:?}, {y:?})");
        let g = grad(x, y);
        let (v, g2) = value_and_grad(x, y);
        assert_close_ctx(v, f(x, y), 1e-14, &format!("value of {ctx}"));
        assert_all_close(
            &g2,
            &g,
            1e-14,
            &format!("_gradient vs _value_and_gradient, {ctx}"),
        );
        assert_all_close(&g, &d(x, y), EXACT, &format!("analytic gradient, {ctx}"));
        if fd {
            let num = fd_gradient(|p: [f64; 2]| f(p[0], p[1]), [x, y]);
            assert_all_close(&g, &num, FD, &format!("finite differences, {ctx}"));
        }
    }
}

/// [`check_unary`] for a function of three inputs with analytic gradient `d`.
#[track_caller]
fn check_ternary(
    name: &str,
    f: fn(f64, f64, f64) -> f64,
    grad: fn(f64, f64, f64) -> [f64; 3],
    value_and_grad: fn(f64, f64, f64) -> (f64, [f64; 3]),
    d: impl Fn(f64, f64, f64) -> [f64; 3],
    points: &[[f64; 3]],
    fd: bool,
) {
    for &[x, y, z] in points {
        let ctx = format!("{name} at ({x:?}, {y:?}, {z:?})");
        let g = grad(x, y, z);
        let (v, g2) = value_and_grad(x, y, z);
        assert_close_ctx(v, f(x, y, z), 1e-14, &format!("value of {ctx}"));
        assert_all_close(
            &g2,
            &g,
            1e-14,
            &format!("_gradient vs _value_and_gradient, {ctx}"),
        );
        assert_all_close(&g, &d(x, y, z), EXACT, &format!("analytic gradient, {ctx}"));
        if fd {
            let num = fd_gradient(|p: [f64; 3]| f(p[0], p[1], p[2]), [x, y, z]);
            assert_all_close(&g, &num, FD, &format!("finite differences, {ctx}"));
        }
    }
}

/// Points of the whole real line that a test may use (includes 0).
fn everywhere() -> Vec<f64> {
    linspace(-6.0, 6.0, 49)
}

/// Points of the whole real line except a neighbourhood of 0.
fn nonzero() -> Vec<f64> {
    let mut xs = linspace(-5.0, -0.1, 25);
    xs.extend(linspace(0.1, 5.0, 25));
    xs
}

/// Points of `(0, ∞)`.
fn positive() -> Vec<f64> {
    let mut xs = linspace(0.05, 1.0, 20);
    xs.extend(linspace(1.25, 30.0, 24));
    xs
}

/// Points of the plane away from the origin and from the axes.
fn plane() -> Vec<(f64, f64)> {
    grid2(&nonzero_coarse(), &nonzero_coarse())
}

fn nonzero_coarse() -> Vec<f64> {
    vec![-4.5, -1.7, -0.6, -0.15, 0.15, 0.55, 1.3, 3.9]
}

/// Points of the open quadrant `(0, ∞)²`.
fn quadrant() -> Vec<(f64, f64)> {
    let xs = [0.1, 0.45, 0.9, 1.6, 2.7, 6.5];
    grid2(&xs, &xs)
}

// ---------------------------------------------------------------------------------------------
// Arithmetic operators
// ---------------------------------------------------------------------------------------------

#[gradient]
fn add(x: f64, y: f64) -> f64 {
    x + y
}

#[gradient]
fn sub(x: f64, y: f64) -> f64 {
    x - y
}

#[gradient]
fn mul(x: f64, y: f64) -> f64 {
    x * y
}

#[gradient]
fn div(x: f64, y: f64) -> f64 {
    x / y
}

#[gradient]
fn neg(x: f64) -> f64 {
    -x
}

#[gradient]
fn neg_of_product(x: f64, y: f64) -> f64 {
    -(x * y)
}

#[gradient]
fn const_minus_x(x: f64) -> f64 {
    2.0 - x
}

#[gradient]
fn const_over_x(x: f64) -> f64 {
    3.0 / x
}

#[gradient]
fn x_over_const(x: f64) -> f64 {
    x / 4.0
}

#[gradient]
fn const_plus_x_times_const(x: f64) -> f64 {
    5.0 + x * 7.0
}

#[test]
fn add_derivative_is_1_in_each_argument() {
    check_binary(
        "x + y",
        add,
        add_gradient,
        add_value_and_gradient,
        |_, _| [1.0, 1.0],
        &plane(),
        true,
    );
}

#[test]
fn sub_derivative_is_1_and_minus_1() {
    check_binary(
        "x - y",
        sub,
        sub_gradient,
        sub_value_and_gradient,
        |_, _| [1.0, -1.0],
        &plane(),
        true,
    );
}

#[test]
fn mul_derivative_is_the_other_factor() {
    check_binary(
        "x * y",
        mul,
        mul_gradient,
        mul_value_and_gradient,
        |x, y| [y, x],
        &plane(),
        true,
    );
}

#[test]
fn div_derivative_is_1_over_y_and_minus_x_over_y2() {
    check_binary(
        "x / y",
        div,
        div_gradient,
        div_value_and_gradient,
        |x, y| [1.0 / y, -x / (y * y)],
        &plane(),
        true,
    );
}

#[test]
fn unary_minus_derivative_is_minus_1() {
    check_unary(
        "-x",
        neg,
        neg_gradient,
        neg_value_and_gradient,
        |_| -1.0,
        &everywhere(),
        true,
    );
}

#[test]
fn unary_minus_of_product_derivative() {
    check_binary(
        "-(x * y)",
        neg_of_product,
        neg_of_product_gradient,
        neg_of_product_value_and_gradient,
        |x, y| [-y, -x],
        &plane(),
        true,
    );
}

#[test]
fn constant_minus_x_derivative_is_minus_1() {
    check_unary(
        "2 - x",
        const_minus_x,
        const_minus_x_gradient,
        const_minus_x_value_and_gradient,
        |_| -1.0,
        &everywhere(),
        true,
    );
}

#[test]
fn constant_over_x_derivative_is_minus_3_over_x2() {
    check_unary(
        "3 / x",
        const_over_x,
        const_over_x_gradient,
        const_over_x_value_and_gradient,
        |x| -3.0 / (x * x),
        &nonzero(),
        true,
    );
}

#[test]
fn x_over_constant_derivative_is_a_quarter() {
    check_unary(
        "x / 4",
        x_over_const,
        x_over_const_gradient,
        x_over_const_value_and_gradient,
        |_| 0.25,
        &everywhere(),
        true,
    );
}

#[test]
fn constant_plus_x_times_constant_derivative_is_7() {
    check_unary(
        "5 + 7x",
        const_plus_x_times_const,
        const_plus_x_times_const_gradient,
        const_plus_x_times_const_value_and_gradient,
        |_| 7.0,
        &everywhere(),
        true,
    );
}

// ---------------------------------------------------------------------------------------------
// Powers and roots
// ---------------------------------------------------------------------------------------------

#[gradient]
fn powi3_m(x: f64) -> f64 {
    x.powi(3)
}

#[gradient]
fn powi3_p(x: f64) -> f64 {
    f64::powi(x, 3)
}

#[gradient]
fn powi_minus2_m(x: f64) -> f64 {
    x.powi(-2)
}

#[gradient]
fn powi0_m(x: f64) -> f64 {
    x.powi(0)
}

#[gradient]
fn powi1_m(x: f64) -> f64 {
    x.powi(1)
}

#[gradient]
fn powi_n_m(x: f64, n: i32) -> f64 {
    x.powi(n)
}

#[gradient]
fn powf_m(x: f64, y: f64) -> f64 {
    x.powf(y)
}

#[gradient]
fn powf_p(x: f64, y: f64) -> f64 {
    f64::powf(x, y)
}

#[gradient]
fn powf_const_exponent(x: f64) -> f64 {
    x.powf(2.5)
}

#[gradient]
fn powf_const_base(y: f64) -> f64 {
    2.0_f64.powf(y)
}

#[gradient(wrt(x))]
fn powf_wrt_base(x: f64, y: f64) -> f64 {
    x.powf(y)
}

#[gradient(wrt(y))]
fn powf_wrt_exponent(x: f64, y: f64) -> f64 {
    x.powf(y)
}

#[gradient]
fn sqrt_m(x: f64) -> f64 {
    x.sqrt()
}

#[gradient]
fn sqrt_p(x: f64) -> f64 {
    f64::sqrt(x)
}

#[gradient]
fn cbrt_m(x: f64) -> f64 {
    x.cbrt()
}

#[gradient]
fn cbrt_p(x: f64) -> f64 {
    f64::cbrt(x)
}

#[gradient]
fn recip_m(x: f64) -> f64 {
    x.recip()
}

#[gradient]
fn recip_p(x: f64) -> f64 {
    f64::recip(x)
}

#[test]
fn powi_3_method_derivative_is_3x2() {
    check_unary(
        "x.powi(3)",
        powi3_m,
        powi3_m_gradient,
        powi3_m_value_and_gradient,
        |x| 3.0 * x * x,
        &everywhere(),
        true,
    );
}

#[test]
fn powi_3_path_derivative_is_3x2() {
    check_unary(
        "f64::powi(x, 3)",
        powi3_p,
        powi3_p_gradient,
        powi3_p_value_and_gradient,
        |x| 3.0 * x * x,
        &everywhere(),
        true,
    );
}

#[test]
fn powi_minus_2_derivative_is_minus_2_over_x3() {
    check_unary(
        "x.powi(-2)",
        powi_minus2_m,
        powi_minus2_m_gradient,
        powi_minus2_m_value_and_gradient,
        |x| -2.0 / (x * x * x),
        &nonzero(),
        true,
    );
}

#[test]
fn powi_0_derivative_is_0() {
    check_unary(
        "x.powi(0)",
        powi0_m,
        powi0_m_gradient,
        powi0_m_value_and_gradient,
        |_| 0.0,
        &everywhere(),
        true,
    );
}

#[test]
fn powi_1_derivative_is_1() {
    check_unary(
        "x.powi(1)",
        powi1_m,
        powi1_m_gradient,
        powi1_m_value_and_gradient,
        |_| 1.0,
        &everywhere(),
        true,
    );
}

#[test]
fn powi_with_integer_parameter_derivative_is_n_x_to_n_minus_1() {
    for n in [-3, -1, 2, 5] {
        for x in nonzero_coarse() {
            let (v, [d]) = powi_n_m_value_and_gradient(x, n);
            let ctx = format!("x.powi({n}) at {x}");
            assert_close_ctx(v, x.powi(n), 1e-14, &ctx);
            assert_close_ctx(powi_n_m_gradient(x, n)[0], d, 1e-14, &ctx);
            assert_close_ctx(d, n as f64 * x.powi(n - 1), EXACT, &ctx);
        }
    }
}

#[test]
fn powf_method_derivative_in_base_and_exponent() {
    check_binary(
        "x.powf(y)",
        powf_m,
        powf_m_gradient,
        powf_m_value_and_gradient,
        |x, y| [y * x.powf(y - 1.0), x.powf(y) * x.ln()],
        &grid2(
            &[0.2, 0.7, 1.0, 1.9, 3.3],
            &[-2.3, -0.5, 0.0, 0.4, 1.0, 2.7],
        ),
        true,
    );
}

#[test]
fn powf_path_derivative_in_base_and_exponent() {
    check_binary(
        "f64::powf(x, y)",
        powf_p,
        powf_p_gradient,
        powf_p_value_and_gradient,
        |x, y| [y * x.powf(y - 1.0), x.powf(y) * x.ln()],
        &grid2(
            &[0.2, 0.7, 1.0, 1.9, 3.3],
            &[-2.3, -0.5, 0.0, 0.4, 1.0, 2.7],
        ),
        true,
    );
}

#[test]
fn powf_constant_exponent_derivative_is_2_5_x_to_1_5() {
    check_unary(
        "x.powf(2.5)",
        powf_const_exponent,
        powf_const_exponent_gradient,
        powf_const_exponent_value_and_gradient,
        |x| 2.5 * x.powf(1.5),
        &positive(),
        true,
    );
}

#[test]
fn powf_constant_base_derivative_is_ln2_2_to_y() {
    check_unary(
        "2.0_f64.powf(y)",
        powf_const_base,
        powf_const_base_gradient,
        powf_const_base_value_and_gradient,
        |y| LN_2 * 2.0_f64.powf(y),
        &everywhere(),
        true,
    );
}

#[test]
fn powf_wrt_base_only_derivative_is_y_x_to_y_minus_1() {
    for (x, y) in quadrant() {
        let [d] = powf_wrt_base_gradient(x, y);
        assert_close_ctx(d, y * x.powf(y - 1.0), EXACT, &format!("at ({x}, {y})"));
    }
}

#[test]
fn powf_wrt_exponent_only_derivative_is_x_to_y_ln_x() {
    for (x, y) in quadrant() {
        let [d] = powf_wrt_exponent_gradient(x, y);
        assert_close_ctx(d, x.powf(y) * x.ln(), EXACT, &format!("at ({x}, {y})"));
    }
}

#[test]
fn sqrt_method_derivative_is_half_over_sqrt() {
    check_unary(
        "x.sqrt()",
        sqrt_m,
        sqrt_m_gradient,
        sqrt_m_value_and_gradient,
        |x| 0.5 / x.sqrt(),
        &positive(),
        true,
    );
}

#[test]
fn sqrt_path_derivative_is_half_over_sqrt() {
    check_unary(
        "f64::sqrt(x)",
        sqrt_p,
        sqrt_p_gradient,
        sqrt_p_value_and_gradient,
        |x| 0.5 / x.sqrt(),
        &positive(),
        true,
    );
}

#[test]
fn cbrt_method_derivative_is_one_third_x_to_minus_two_thirds() {
    check_unary(
        "x.cbrt()",
        cbrt_m,
        cbrt_m_gradient,
        cbrt_m_value_and_gradient,
        |x| 1.0 / (3.0 * x.cbrt() * x.cbrt()),
        &nonzero(),
        true,
    );
}

#[test]
fn cbrt_path_derivative_is_one_third_x_to_minus_two_thirds() {
    check_unary(
        "f64::cbrt(x)",
        cbrt_p,
        cbrt_p_gradient,
        cbrt_p_value_and_gradient,
        |x| 1.0 / (3.0 * x.cbrt() * x.cbrt()),
        &nonzero(),
        true,
    );
}

#[test]
fn recip_method_derivative_is_minus_1_over_x2() {
    check_unary(
        "x.recip()",
        recip_m,
        recip_m_gradient,
        recip_m_value_and_gradient,
        |x| -1.0 / (x * x),
        &nonzero(),
        true,
    );
}

#[test]
fn recip_path_derivative_is_minus_1_over_x2() {
    check_unary(
        "f64::recip(x)",
        recip_p,
        recip_p_gradient,
        recip_p_value_and_gradient,
        |x| -1.0 / (x * x),
        &nonzero(),
        true,
    );
}

// ---------------------------------------------------------------------------------------------
// Exponentials and logarithms
// ---------------------------------------------------------------------------------------------

#[gradient]
fn exp_m(x: f64) -> f64 {
    x.exp()
}

#[gradient]
fn exp_p(x: f64) -> f64 {
    f64::exp(x)
}

#[gradient]
fn exp2_m(x: f64) -> f64 {
    x.exp2()
}

#[gradient]
fn exp2_p(x: f64) -> f64 {
    f64::exp2(x)
}

#[gradient]
fn exp_m1_m(x: f64) -> f64 {
    x.exp_m1()
}

#[gradient]
fn exp_m1_p(x: f64) -> f64 {
    f64::exp_m1(x)
}

#[gradient]
fn ln_m(x: f64) -> f64 {
    x.ln()
}

#[gradient]
fn ln_p(x: f64) -> f64 {
    f64::ln(x)
}

#[gradient]
fn log_m(x: f64, b: f64) -> f64 {
    x.log(b)
}

#[gradient]
fn log_p(x: f64, b: f64) -> f64 {
    f64::log(x, b)
}

#[gradient]
fn log_const_base(x: f64) -> f64 {
    x.log(3.0)
}

#[gradient(wrt(b))]
fn log_wrt_base(x: f64, b: f64) -> f64 {
    x.log(b)
}

#[gradient]
fn log2_m(x: f64) -> f64 {
    x.log2()
}

#[gradient]
fn log2_p(x: f64) -> f64 {
    f64::log2(x)
}

#[gradient]
fn log10_m(x: f64) -> f64 {
    x.log10()
}

#[gradient]
fn log10_p(x: f64) -> f64 {
    f64::log10(x)
}

#[gradient]
fn ln_1p_m(x: f64) -> f64 {
    x.ln_1p()
}

#[gradient]
fn ln_1p_p(x: f64) -> f64 {
    f64::ln_1p(x)
}

fn log_gradient_exact(x: f64, b: f64) -> [f64; 2] {
    [1.0 / (x * b.ln()), -x.ln() / (b * b.ln() * b.ln())]
}

fn log_points() -> Vec<(f64, f64)> {
    grid2(
        &[0.1, 0.5, 1.0, 2.0, 7.5, 40.0],
        &[0.2, 0.5, 1.5, 2.0, 10.0],
    )
}

#[test]
fn exp_method_derivative_is_exp() {
    check_unary(
        "x.exp()",
        exp_m,
        exp_m_gradient,
        exp_m_value_and_gradient,
        f64::exp,
        &everywhere(),
        true,
    );
}

#[test]
fn exp_path_derivative_is_exp() {
    check_unary(
        "f64::exp(x)",
        exp_p,
        exp_p_gradient,
        exp_p_value_and_gradient,
        f64::exp,
        &everywhere(),
        true,
    );
}

#[test]
fn exp2_method_derivative_is_ln2_exp2() {
    check_unary(
        "x.exp2()",
        exp2_m,
        exp2_m_gradient,
        exp2_m_value_and_gradient,
        |x| LN_2 * x.exp2(),
        &everywhere(),
        true,
    );
}

#[test]
fn exp2_path_derivative_is_ln2_exp2() {
    check_unary(
        "f64::exp2(x)",
        exp2_p,
        exp2_p_gradient,
        exp2_p_value_and_gradient,
        |x| LN_2 * x.exp2(),
        &everywhere(),
        true,
    );
}

#[test]
fn exp_m1_method_derivative_is_exp() {
    check_unary(
        "x.exp_m1()",
        exp_m1_m,
        exp_m1_m_gradient,
        exp_m1_m_value_and_gradient,
        f64::exp,
        &everywhere(),
        true,
    );
}

#[test]
fn exp_m1_path_derivative_is_exp() {
    check_unary(
        "f64::exp_m1(x)",
        exp_m1_p,
        exp_m1_p_gradient,
        exp_m1_p_value_and_gradient,
        f64::exp,
        &everywhere(),
        true,
    );
}

#[test]
fn ln_method_derivative_is_1_over_x() {
    check_unary(
        "x.ln()",
        ln_m,
        ln_m_gradient,
        ln_m_value_and_gradient,
        |x| 1.0 / x,
        &positive(),
        true,
    );
}

#[test]
fn ln_path_derivative_is_1_over_x() {
    check_unary(
        "f64::ln(x)",
        ln_p,
        ln_p_gradient,
        ln_p_value_and_gradient,
        |x| 1.0 / x,
        &positive(),
        true,
    );
}

#[test]
fn log_method_derivative_in_argument_and_base() {
    check_binary(
        "x.log(b)",
        log_m,
        log_m_gradient,
        log_m_value_and_gradient,
        log_gradient_exact,
        &log_points(),
        true,
    );
}

#[test]
fn log_path_derivative_in_argument_and_base() {
    check_binary(
        "f64::log(x, b)",
        log_p,
        log_p_gradient,
        log_p_value_and_gradient,
        log_gradient_exact,
        &log_points(),
        true,
    );
}

#[test]
fn log_constant_base_derivative_is_1_over_x_ln3() {
    check_unary(
        "x.log(3.0)",
        log_const_base,
        log_const_base_gradient,
        log_const_base_value_and_gradient,
        |x| 1.0 / (x * 3.0_f64.ln()),
        &positive(),
        true,
    );
}

#[test]
fn log_wrt_base_only_derivative() {
    for (x, b) in log_points() {
        let [d] = log_wrt_base_gradient(x, b);
        assert_close_ctx(
            d,
            log_gradient_exact(x, b)[1],
            EXACT,
            &format!("at ({x}, {b})"),
        );
    }
}

#[test]
fn log2_method_derivative_is_1_over_x_ln2() {
    check_unary(
        "x.log2()",
        log2_m,
        log2_m_gradient,
        log2_m_value_and_gradient,
        |x| 1.0 / (x * LN_2),
        &positive(),
        true,
    );
}

#[test]
fn log2_path_derivative_is_1_over_x_ln2() {
    check_unary(
        "f64::log2(x)",
        log2_p,
        log2_p_gradient,
        log2_p_value_and_gradient,
        |x| 1.0 / (x * LN_2),
        &positive(),
        true,
    );
}

#[test]
fn log10_method_derivative_is_1_over_x_ln10() {
    check_unary(
        "x.log10()",
        log10_m,
        log10_m_gradient,
        log10_m_value_and_gradient,
        |x| 1.0 / (x * LN_10),
        &positive(),
        true,
    );
}

#[test]
fn log10_path_derivative_is_1_over_x_ln10() {
    check_unary(
        "f64::log10(x)",
        log10_p,
        log10_p_gradient,
        log10_p_value_and_gradient,
        |x| 1.0 / (x * LN_10),
        &positive(),
        true,
    );
}

#[test]
fn ln_1p_method_derivative_is_1_over_1_plus_x() {
    check_unary(
        "x.ln_1p()",
        ln_1p_m,
        ln_1p_m_gradient,
        ln_1p_m_value_and_gradient,
        |x| 1.0 / (1.0 + x),
        &linspace(-0.9, 6.0, 47),
        true,
    );
}

#[test]
fn ln_1p_path_derivative_is_1_over_1_plus_x() {
    check_unary(
        "f64::ln_1p(x)",
        ln_1p_p,
        ln_1p_p_gradient,
        ln_1p_p_value_and_gradient,
        |x| 1.0 / (1.0 + x),
        &linspace(-0.9, 6.0, 47),
        true,
    );
}

// ---------------------------------------------------------------------------------------------
// Trigonometric functions
// ---------------------------------------------------------------------------------------------

#[gradient]
fn sin_m(x: f64) -> f64 {
    x.sin()
}

#[gradient]
fn sin_p(x: f64) -> f64 {
    f64::sin(x)
}

#[gradient]
fn cos_m(x: f64) -> f64 {
    x.cos()
}

#[gradient]
fn cos_p(x: f64) -> f64 {
    f64::cos(x)
}

#[gradient]
fn tan_m(x: f64) -> f64 {
    x.tan()
}

#[gradient]
fn tan_p(x: f64) -> f64 {
    f64::tan(x)
}

#[gradient]
fn asin_m(x: f64) -> f64 {
    x.asin()
}

#[gradient]
fn asin_p(x: f64) -> f64 {
    f64::asin(x)
}

#[gradient]
fn acos_m(x: f64) -> f64 {
    x.acos()
}

#[gradient]
fn acos_p(x: f64) -> f64 {
    f64::acos(x)
}

#[gradient]
fn atan_m(x: f64) -> f64 {
    x.atan()
}

#[gradient]
fn atan_p(x: f64) -> f64 {
    f64::atan(x)
}

#[gradient]
fn atan2_m(y: f64, x: f64) -> f64 {
    y.atan2(x)
}

#[gradient]
fn atan2_p(y: f64, x: f64) -> f64 {
    f64::atan2(y, x)
}

#[gradient(wrt(y))]
fn atan2_wrt_y(y: f64, x: f64) -> f64 {
    y.atan2(x)
}

#[gradient(wrt(x))]
fn atan2_wrt_x(y: f64, x: f64) -> f64 {
    y.atan2(x)
}

#[gradient]
fn atan2_const_receiver(x: f64) -> f64 {
    1.0_f64.atan2(x)
}

fn atan2_gradient_exact(y: f64, x: f64) -> [f64; 2] {
    let r2 = x * x + y * y;
    [x / r2, -y / r2]
}

fn open_unit_interval() -> Vec<f64> {
    linspace(-0.95, 0.95, 39)
}

#[test]
fn sin_method_derivative_is_cos() {
    check_unary(
        "x.sin()",
        sin_m,
        sin_m_gradient,
        sin_m_value_and_gradient,
        f64::cos,
        &everywhere(),
        true,
    );
}

#[test]
fn sin_path_derivative_is_cos() {
    check_unary(
        "f64::sin(x)",
        sin_p,
        sin_p_gradient,
        sin_p_value_and_gradient,
        f64::cos,
        &everywhere(),
        true,
    );
}

#[test]
fn cos_method_derivative_is_minus_sin() {
    check_unary(
        "x.cos()",
        cos_m,
        cos_m_gradient,
        cos_m_value_and_gradient,
        |x| -x.sin(),
        &everywhere(),
        true,
    );
}

#[test]
fn cos_path_derivative_is_minus_sin() {
    check_unary(
        "f64::cos(x)",
        cos_p,
        cos_p_gradient,
        cos_p_value_and_gradient,
        |x| -x.sin(),
        &everywhere(),
        true,
    );
}

#[test]
fn tan_method_derivative_is_1_over_cos2() {
    check_unary(
        "x.tan()",
        tan_m,
        tan_m_gradient,
        tan_m_value_and_gradient,
        |x| 1.0 / (x.cos() * x.cos()),
        &linspace(-1.4, 1.4, 29),
        true,
    );
}

#[test]
fn tan_path_derivative_is_1_over_cos2() {
    check_unary(
        "f64::tan(x)",
        tan_p,
        tan_p_gradient,
        tan_p_value_and_gradient,
        |x| 1.0 / (x.cos() * x.cos()),
        &linspace(-1.4, 1.4, 29),
        true,
    );
}

#[test]
fn asin_method_derivative_is_1_over_sqrt_1_minus_x2() {
    check_unary(
        "x.asin()",
        asin_m,
        asin_m_gradient,
        asin_m_value_and_gradient,
        |x| 1.0 / (1.0 - x * x).sqrt(),
        &open_unit_interval(),
        true,
    );
}

#[test]
fn asin_path_derivative_is_1_over_sqrt_1_minus_x2() {
    check_unary(
        "f64::asin(x)",
        asin_p,
        asin_p_gradient,
        asin_p_value_and_gradient,
        |x| 1.0 / (1.0 - x * x).sqrt(),
        &open_unit_interval(),
        true,
    );
}

#[test]
fn acos_method_derivative_is_minus_1_over_sqrt_1_minus_x2() {
    check_unary(
        "x.acos()",
        acos_m,
        acos_m_gradient,
        acos_m_value_and_gradient,
        |x| -1.0 / (1.0 - x * x).sqrt(),
        &open_unit_interval(),
        true,
    );
}

#[test]
fn acos_path_derivative_is_minus_1_over_sqrt_1_minus_x2() {
    check_unary(
        "f64::acos(x)",
        acos_p,
        acos_p_gradient,
        acos_p_value_and_gradient,
        |x| -1.0 / (1.0 - x * x).sqrt(),
        &open_unit_interval(),
        true,
    );
}

#[test]
fn atan_method_derivative_is_1_over_1_plus_x2() {
    check_unary(
        "x.atan()",
        atan_m,
        atan_m_gradient,
        atan_m_value_and_gradient,
        |x| 1.0 / (1.0 + x * x),
        &everywhere(),
        true,
    );
}

#[test]
fn atan_path_derivative_is_1_over_1_plus_x2() {
    check_unary(
        "f64::atan(x)",
        atan_p,
        atan_p_gradient,
        atan_p_value_and_gradient,
        |x| 1.0 / (1.0 + x * x),
        &everywhere(),
        true,
    );
}

#[test]
fn atan2_method_derivative_in_y_and_x_in_all_quadrants() {
    check_binary(
        "y.atan2(x)",
        atan2_m,
        atan2_m_gradient,
        atan2_m_value_and_gradient,
        atan2_gradient_exact,
        &plane(),
        true,
    );
}

#[test]
fn atan2_path_derivative_in_y_and_x_in_all_quadrants() {
    check_binary(
        "f64::atan2(y, x)",
        atan2_p,
        atan2_p_gradient,
        atan2_p_value_and_gradient,
        atan2_gradient_exact,
        &plane(),
        true,
    );
}

#[test]
fn atan2_wrt_y_only_derivative_is_x_over_r2() {
    for (y, x) in plane() {
        let [d] = atan2_wrt_y_gradient(y, x);
        assert_close_ctx(
            d,
            x / (x * x + y * y),
            EXACT,
            &format!("at y = {y}, x = {x}"),
        );
    }
}

#[test]
fn atan2_wrt_x_only_derivative_is_minus_y_over_r2() {
    for (y, x) in plane() {
        let [d] = atan2_wrt_x_gradient(y, x);
        assert_close_ctx(
            d,
            -y / (x * x + y * y),
            EXACT,
            &format!("at y = {y}, x = {x}"),
        );
    }
}

#[test]
fn atan2_with_constant_receiver_derivative_is_minus_1_over_1_plus_x2() {
    check_unary(
        "1.0_f64.atan2(x)",
        atan2_const_receiver,
        atan2_const_receiver_gradient,
        atan2_const_receiver_value_and_gradient,
        |x| -1.0 / (1.0 + x * x),
        &everywhere(),
        true,
    );
}

// ---------------------------------------------------------------------------------------------
// Hyperbolic functions
// ---------------------------------------------------------------------------------------------

#[gradient]
fn sinh_m(x: f64) -> f64 {
    x.sinh()
}

#[gradient]
fn sinh_p(x: f64) -> f64 {
    f64::sinh(x)
}

#[gradient]
fn cosh_m(x: f64) -> f64 {
    x.cosh()
}

#[gradient]
fn cosh_p(x: f64) -> f64 {
    f64::cosh(x)
}

#[gradient]
fn tanh_m(x: f64) -> f64 {
    x.tanh()
}

#[gradient]
fn tanh_p(x: f64) -> f64 {
    f64::tanh(x)
}

#[gradient]
fn asinh_m(x: f64) -> f64 {
    x.asinh()
}

#[gradient]
fn asinh_p(x: f64) -> f64 {
    f64::asinh(x)
}

#[gradient]
fn acosh_m(x: f64) -> f64 {
    x.acosh()
}

#[gradient]
fn acosh_p(x: f64) -> f64 {
    f64::acosh(x)
}

#[gradient]
fn atanh_m(x: f64) -> f64 {
    x.atanh()
}

#[gradient]
fn atanh_p(x: f64) -> f64 {
    f64::atanh(x)
}

fn above_one() -> Vec<f64> {
    let mut xs = linspace(1.05, 2.0, 20);
    xs.extend(linspace(2.5, 20.0, 8));
    xs
}

#[test]
fn sinh_method_derivative_is_cosh() {
    check_unary(
        "x.sinh()",
        sinh_m,
        sinh_m_gradient,
        sinh_m_value_and_gradient,
        f64::cosh,
        &everywhere(),
        true,
    );
}

#[test]
fn sinh_path_derivative_is_cosh() {
    check_unary(
        "f64::sinh(x)",
        sinh_p,
        sinh_p_gradient,
        sinh_p_value_and_gradient,
        f64::cosh,
        &everywhere(),
        true,
    );
}

#[test]
fn cosh_method_derivative_is_sinh() {
    check_unary(
        "x.cosh()",
        cosh_m,
        cosh_m_gradient,
        cosh_m_value_and_gradient,
        f64::sinh,
        &everywhere(),
        true,
    );
}

#[test]
fn cosh_path_derivative_is_sinh() {
    check_unary(
        "f64::cosh(x)",
        cosh_p,
        cosh_p_gradient,
        cosh_p_value_and_gradient,
        f64::sinh,
        &everywhere(),
        true,
    );
}

#[test]
fn tanh_method_derivative_is_1_minus_tanh2() {
    check_unary(
        "x.tanh()",
        tanh_m,
        tanh_m_gradient,
        tanh_m_value_and_gradient,
        |x| 1.0 / (x.cosh() * x.cosh()),
        &everywhere(),
        true,
    );
}

#[test]
fn tanh_path_derivative_is_1_minus_tanh2() {
    check_unary(
        "f64::tanh(x)",
        tanh_p,
        tanh_p_gradient,
        tanh_p_value_and_gradient,
        |x| 1.0 / (x.cosh() * x.cosh()),
        &everywhere(),
        true,
    );
}

#[test]
fn asinh_method_derivative_is_1_over_sqrt_x2_plus_1() {
    check_unary(
        "x.asinh()",
        asinh_m,
        asinh_m_gradient,
        asinh_m_value_and_gradient,
        |x| 1.0 / (x * x + 1.0).sqrt(),
        &everywhere(),
        true,
    );
}

#[test]
fn asinh_path_derivative_is_1_over_sqrt_x2_plus_1() {
    check_unary(
        "f64::asinh(x)",
        asinh_p,
        asinh_p_gradient,
        asinh_p_value_and_gradient,
        |x| 1.0 / (x * x + 1.0).sqrt(),
        &everywhere(),
        true,
    );
}

#[test]
fn acosh_method_derivative_is_1_over_sqrt_x2_minus_1() {
    check_unary(
        "x.acosh()",
        acosh_m,
        acosh_m_gradient,
        acosh_m_value_and_gradient,
        |x| 1.0 / (x * x - 1.0).sqrt(),
        &above_one(),
        true,
    );
}

#[test]
fn acosh_path_derivative_is_1_over_sqrt_x2_minus_1() {
    check_unary(
        "f64::acosh(x)",
        acosh_p,
        acosh_p_gradient,
        acosh_p_value_and_gradient,
        |x| 1.0 / (x * x - 1.0).sqrt(),
        &above_one(),
        true,
    );
}

#[test]
fn atanh_method_derivative_is_1_over_1_minus_x2() {
    check_unary(
        "x.atanh()",
        atanh_m,
        atanh_m_gradient,
        atanh_m_value_and_gradient,
        |x| 1.0 / (1.0 - x * x),
        &open_unit_interval(),
        true,
    );
}

#[test]
fn atanh_path_derivative_is_1_over_1_minus_x2() {
    check_unary(
        "f64::atanh(x)",
        atanh_p,
        atanh_p_gradient,
        atanh_p_value_and_gradient,
        |x| 1.0 / (1.0 - x * x),
        &open_unit_interval(),
        true,
    );
}

// ---------------------------------------------------------------------------------------------
// hypot, mul_add
// ---------------------------------------------------------------------------------------------

#[gradient]
fn hypot_m(x: f64, y: f64) -> f64 {
    x.hypot(y)
}

#[gradient]
fn hypot_p(x: f64, y: f64) -> f64 {
    f64::hypot(x, y)
}

#[gradient(wrt(y))]
fn hypot_wrt_y(x: f64, y: f64) -> f64 {
    x.hypot(y)
}

#[gradient]
fn mul_add_m(x: f64, a: f64, b: f64) -> f64 {
    x.mul_add(a, b)
}

#[gradient]
fn mul_add_p(x: f64, a: f64, b: f64) -> f64 {
    f64::mul_add(x, a, b)
}

#[gradient(wrt(x))]
fn mul_add_wrt_receiver(x: f64, a: f64, b: f64) -> f64 {
    x.mul_add(a, b)
}

#[gradient(wrt(a))]
fn mul_add_wrt_factor(x: f64, a: f64, b: f64) -> f64 {
    x.mul_add(a, b)
}

#[gradient(wrt(b))]
fn mul_add_wrt_addend(x: f64, a: f64, b: f64) -> f64 {
    x.mul_add(a, b)
}

#[gradient]
fn mul_add_nonlinear(x: f64, y: f64) -> f64 {
    (x * x).mul_add(y.sin(), x * y)
}

fn hypot_gradient_exact(x: f64, y: f64) -> [f64; 2] {
    let r = (x * x + y * y).sqrt();
    [x / r, y / r]
}

fn mul_add_points() -> Vec<[f64; 3]> {
    let cs = [-2.5, -0.75, 0.5, 1.25, 3.0];
    let mut points = Vec::new();
    for &x in &cs {
        for &a in &cs {
            for &b in &[-1.0, 0.0, 2.0] {
                points.push([x, a, b]);
            }
        }
    }
    points
}

#[test]
fn hypot_method_derivative_is_x_over_r_and_y_over_r() {
    check_binary(
        "x.hypot(y)",
        hypot_m,
        hypot_m_gradient,
        hypot_m_value_and_gradient,
        hypot_gradient_exact,
        &plane(),
        true,
    );
}

#[test]
fn hypot_path_derivative_is_x_over_r_and_y_over_r() {
    check_binary(
        "f64::hypot(x, y)",
        hypot_p,
        hypot_p_gradient,
        hypot_p_value_and_gradient,
        hypot_gradient_exact,
        &plane(),
        true,
    );
}

#[test]
fn hypot_wrt_argument_only_derivative_is_y_over_r() {
    for (x, y) in plane() {
        let [d] = hypot_wrt_y_gradient(x, y);
        assert_close_ctx(d, y / x.hypot(y), EXACT, &format!("at ({x}, {y})"));
    }
}

#[test]
fn mul_add_method_derivative_in_each_argument() {
    check_ternary(
        "x.mul_add(a, b)",
        mul_add_m,
        mul_add_m_gradient,
        mul_add_m_value_and_gradient,
        |x, a, _| [a, x, 1.0],
        &mul_add_points(),
        true,
    );
}

#[test]
fn mul_add_path_derivative_in_each_argument() {
    check_ternary(
        "f64::mul_add(x, a, b)",
        mul_add_p,
        mul_add_p_gradient,
        mul_add_p_value_and_gradient,
        |x, a, _| [a, x, 1.0],
        &mul_add_points(),
        true,
    );
}

#[test]
fn mul_add_wrt_receiver_only_derivative_is_a() {
    for [x, a, b] in mul_add_points() {
        assert_eq!(
            mul_add_wrt_receiver_gradient(x, a, b),
            [a],
            "at {x}, {a}, {b}"
        );
    }
}

#[test]
fn mul_add_wrt_factor_only_derivative_is_x() {
    for [x, a, b] in mul_add_points() {
        assert_eq!(
            mul_add_wrt_factor_gradient(x, a, b),
            [x],
            "at {x}, {a}, {b}"
        );
    }
}

#[test]
fn mul_add_wrt_addend_only_derivative_is_1() {
    for [x, a, b] in mul_add_points() {
        assert_eq!(
            mul_add_wrt_addend_gradient(x, a, b),
            [1.0],
            "at {x}, {a}, {b}"
        );
    }
}

#[test]
fn mul_add_of_active_expressions_derivative() {
    check_binary(
        "(x * x).mul_add(y.sin(), x * y)",
        mul_add_nonlinear,
        mul_add_nonlinear_gradient,
        mul_add_nonlinear_value_and_gradient,
        |x, y| [2.0 * x * y.sin() + y, x * x * y.cos() + x],
        &plane(),
        true,
    );
}

// ---------------------------------------------------------------------------------------------
// abs, signum, max, min, clamp (piecewise; conventions at the kinks)
// ---------------------------------------------------------------------------------------------

#[gradient]
fn abs_m(x: f64) -> f64 {
    x.abs()
}

#[gradient]
fn abs_p(x: f64) -> f64 {
    f64::abs(x)
}

#[gradient]
fn signum_m(x: f64) -> f64 {
    x.signum()
}

#[gradient]
fn signum_p(x: f64) -> f64 {
    f64::signum(x)
}

#[gradient]
fn signum_times_x(x: f64) -> f64 {
    x.signum() * x * x
}

#[gradient]
fn max_m(x: f64, y: f64) -> f64 {
    x.max(y)
}

#[gradient]
fn max_p(x: f64, y: f64) -> f64 {
    f64::max(x, y)
}

#[gradient]
fn min_m(x: f64, y: f64) -> f64 {
    x.min(y)
}

#[gradient]
fn min_p(x: f64, y: f64) -> f64 {
    f64::min(x, y)
}

#[gradient]
fn relu(x: f64) -> f64 {
    x.max(0.0)
}

#[gradient]
fn max_const_receiver(x: f64) -> f64 {
    2.0_f64.max(x)
}

#[gradient]
fn min_const_argument(x: f64) -> f64 {
    x.min(1.0)
}

#[gradient]
fn clamp_m(x: f64, lo: f64, hi: f64) -> f64 {
    x.clamp(lo, hi)
}

#[gradient]
fn clamp_p(x: f64, lo: f64, hi: f64) -> f64 {
    f64::clamp(x, lo, hi)
}

#[gradient]
fn clamp_const_bounds(x: f64) -> f64 {
    x.clamp(-1.0, 1.0)
}

fn max_gradient_exact(x: f64, y: f64) -> [f64; 2] {
    if x > y {
        [1.0, 0.0]
    } else {
        [0.0, 1.0]
    }
}

fn min_gradient_exact(x: f64, y: f64) -> [f64; 2] {
    if x < y {
        [1.0, 0.0]
    } else {
        [0.0, 1.0]
    }
}

/// Pairs that are never tied (the tie convention has its own tests).
fn untied_pairs() -> Vec<(f64, f64)> {
    let xs = [-3.0, -1.1, 0.2, 0.9, 2.6];
    let ys = [-2.5, -0.6, 0.45, 1.7, 3.3];
    grid2(&xs, &ys)
}

fn clamp_gradient_exact(x: f64, lo: f64, hi: f64) -> [f64; 3] {
    if x < lo {
        [0.0, 1.0, 0.0]
    } else if x > hi {
        [0.0, 0.0, 1.0]
    } else {
        [1.0, 0.0, 0.0]
    }
}

/// Strictly below, strictly inside and strictly above `[lo, hi]`.
fn clamp_points() -> Vec<[f64; 3]> {
    let mut points = Vec::new();
    for (lo, hi) in [(-1.0, 1.0), (0.5, 4.0), (-3.0, -2.0)] {
        for x in linspace(lo - 2.1, hi + 2.1, 14) {
            if x != lo && x != hi {
                points.push([x, lo, hi]);
            }
        }
    }
    points
}

#[test]
fn abs_method_derivative_is_signum_away_from_0() {
    check_unary(
        "x.abs()",
        abs_m,
        abs_m_gradient,
        abs_m_value_and_gradient,
        f64::signum,
        &nonzero(),
        true,
    );
}

#[test]
fn abs_path_derivative_is_signum_away_from_0() {
    check_unary(
        "f64::abs(x)",
        abs_p,
        abs_p_gradient,
        abs_p_value_and_gradient,
        f64::signum,
        &nonzero(),
        true,
    );
}

#[test]
fn abs_derivative_at_0_is_0() {
    assert_eq!(abs_m_gradient(0.0), [0.0]);
    assert_eq!(abs_p_gradient(0.0), [0.0]);
    assert_eq!(abs_m_value_and_gradient(0.0), (0.0, [0.0]));
}

#[test]
fn signum_method_derivative_is_0() {
    check_unary(
        "x.signum()",
        signum_m,
        signum_m_gradient,
        signum_m_value_and_gradient,
        |_| 0.0,
        &nonzero(),
        true,
    );
    assert_eq!(signum_m_gradient(0.0), [0.0]);
}

#[test]
fn signum_path_derivative_is_0() {
    check_unary(
        "f64::signum(x)",
        signum_p,
        signum_p_gradient,
        signum_p_value_and_gradient,
        |_| 0.0,
        &nonzero(),
        true,
    );
    assert_eq!(signum_p_gradient(0.0), [0.0]);
}

#[test]
fn signum_times_x_squared_derivative_is_2_abs_x() {
    check_unary(
        "x.signum() * x * x",
        signum_times_x,
        signum_times_x_gradient,
        signum_times_x_value_and_gradient,
        |x| 2.0 * x.abs(),
        &nonzero(),
        true,
    );
}

#[test]
fn max_method_derivative_goes_to_the_larger_argument() {
    check_binary(
        "x.max(y)",
        max_m,
        max_m_gradient,
        max_m_value_and_gradient,
        max_gradient_exact,
        &untied_pairs(),
        true,
    );
}

#[test]
fn max_path_derivative_goes_to_the_larger_argument() {
    check_binary(
        "f64::max(x, y)",
        max_p,
        max_p_gradient,
        max_p_value_and_gradient,
        max_gradient_exact,
        &untied_pairs(),
        true,
    );
}

#[test]
fn min_method_derivative_goes_to_the_smaller_argument() {
    check_binary(
        "x.min(y)",
        min_m,
        min_m_gradient,
        min_m_value_and_gradient,
        min_gradient_exact,
        &untied_pairs(),
        true,
    );
}

#[test]
fn min_path_derivative_goes_to_the_smaller_argument() {
    check_binary(
        "f64::min(x, y)",
        min_p,
        min_p_gradient,
        min_p_value_and_gradient,
        min_gradient_exact,
        &untied_pairs(),
        true,
    );
}

#[test]
fn max_at_a_tie_gives_the_derivative_to_the_receiver() {
    for t in [-2.0, 0.0, 1.5] {
        assert_eq!(max_m_gradient(t, t), [1.0, 0.0], "x.max(y) at x = y = {t}");
        assert_eq!(
            max_p_gradient(t, t),
            [1.0, 0.0],
            "f64::max(x, y) at x = y = {t}"
        );
    }
}

#[test]
fn min_at_a_tie_gives_the_derivative_to_the_receiver() {
    for t in [-2.0, 0.0, 1.5] {
        assert_eq!(min_m_gradient(t, t), [1.0, 0.0], "x.min(y) at x = y = {t}");
        assert_eq!(
            min_p_gradient(t, t),
            [1.0, 0.0],
            "f64::min(x, y) at x = y = {t}"
        );
    }
}

#[test]
fn relu_derivative_is_step_function() {
    check_unary(
        "x.max(0.0)",
        relu,
        relu_gradient,
        relu_value_and_gradient,
        |x| if x > 0.0 { 1.0 } else { 0.0 },
        &nonzero(),
        true,
    );
}

#[test]
fn relu_at_0_gives_the_derivative_to_the_receiver() {
    assert_eq!(relu_gradient(0.0), [1.0]);
}

#[test]
fn max_with_constant_receiver_derivative_is_1_only_above_it() {
    let xs: Vec<f64> = linspace(-3.05, 6.95, 21);
    check_unary(
        "2.0_f64.max(x)",
        max_const_receiver,
        max_const_receiver_gradient,
        max_const_receiver_value_and_gradient,
        |x| if x > 2.0 { 1.0 } else { 0.0 },
        &xs,
        true,
    );
}

#[test]
fn min_with_constant_argument_derivative_is_1_only_below_it() {
    let xs: Vec<f64> = linspace(-3.05, 6.95, 21);
    check_unary(
        "x.min(1.0)",
        min_const_argument,
        min_const_argument_gradient,
        min_const_argument_value_and_gradient,
        |x| if x < 1.0 { 1.0 } else { 0.0 },
        &xs,
        true,
    );
}

#[test]
fn clamp_method_derivative_goes_to_x_or_the_active_bound() {
    check_ternary(
        "x.clamp(lo, hi)",
        clamp_m,
        clamp_m_gradient,
        clamp_m_value_and_gradient,
        clamp_gradient_exact,
        &clamp_points(),
        true,
    );
}

#[test]
fn clamp_path_derivative_goes_to_x_or_the_active_bound() {
    check_ternary(
        "f64::clamp(x, lo, hi)",
        clamp_p,
        clamp_p_gradient,
        clamp_p_value_and_gradient,
        clamp_gradient_exact,
        &clamp_points(),
        true,
    );
}

#[test]
fn clamp_at_the_bounds_passes_the_derivative_of_x() {
    for (lo, hi) in [(-1.0, 1.0), (0.5, 4.0)] {
        assert_eq!(
            clamp_m_gradient(lo, lo, hi),
            [1.0, 0.0, 0.0],
            "x = lo = {lo}"
        );
        assert_eq!(
            clamp_m_gradient(hi, lo, hi),
            [1.0, 0.0, 0.0],
            "x = hi = {hi}"
        );
        assert_eq!(
            clamp_p_gradient(lo, lo, hi),
            [1.0, 0.0, 0.0],
            "path, x = lo = {lo}"
        );
        assert_eq!(
            clamp_p_gradient(hi, lo, hi),
            [1.0, 0.0, 0.0],
            "path, x = hi = {hi}"
        );
    }
}

#[test]
fn clamp_with_constant_bounds_derivative_is_1_inside_0_outside() {
    check_unary(
        "x.clamp(-1.0, 1.0)",
        clamp_const_bounds,
        clamp_const_bounds_gradient,
        clamp_const_bounds_value_and_gradient,
        |x| if x.abs() < 1.0 { 1.0 } else { 0.0 },
        &linspace(-3.05, 2.95, 31),
        true,
    );
    assert_eq!(clamp_const_bounds_gradient(-1.0), [1.0]);
    assert_eq!(clamp_const_bounds_gradient(1.0), [1.0]);
}

// ---------------------------------------------------------------------------------------------
// Rounding (derivative 0), angle conversion
// ---------------------------------------------------------------------------------------------

#[gradient]
fn floor_m(x: f64) -> f64 {
    x.floor()
}

#[gradient]
fn floor_p(x: f64) -> f64 {
    f64::floor(x)
}

#[gradient]
fn ceil_m(x: f64) -> f64 {
    x.ceil()
}

#[gradient]
fn ceil_p(x: f64) -> f64 {
    f64::ceil(x)
}

#[gradient]
fn round_m(x: f64) -> f64 {
    x.round()
}

#[gradient]
fn round_p(x: f64) -> f64 {
    f64::round(x)
}

#[gradient]
fn trunc_m(x: f64) -> f64 {
    x.trunc()
}

#[gradient]
fn trunc_p(x: f64) -> f64 {
    f64::trunc(x)
}

#[gradient]
fn floor_plus_x(x: f64) -> f64 {
    x.floor() * x + x
}

#[gradient]
fn to_degrees_m(x: f64) -> f64 {
    x.to_degrees()
}

#[gradient]
fn to_degrees_p(x: f64) -> f64 {
    f64::to_degrees(x)
}

#[gradient]
fn to_radians_m(x: f64) -> f64 {
    x.to_radians()
}

#[gradient]
fn to_radians_p(x: f64) -> f64 {
    f64::to_radians(x)
}

/// Points at distance at least 0.2 from integers and half-integers.
fn off_integers() -> Vec<f64> {
    linspace(-4.7, 4.3, 10)
}

/// Integers and half-integers: derivative 0 there too (by convention).
fn integers_and_halves() -> Vec<f64> {
    linspace(-3.0, 3.0, 13)
}

#[test]
fn floor_derivative_is_0() {
    check_unary(
        "x.floor()",
        floor_m,
        floor_m_gradient,
        floor_m_value_and_gradient,
        |_| 0.0,
        &off_integers(),
        true,
    );
    check_unary(
        "f64::floor(x)",
        floor_p,
        floor_p_gradient,
        floor_p_value_and_gradient,
        |_| 0.0,
        &off_integers(),
        true,
    );
    check_unary(
        "x.floor()",
        floor_m,
        floor_m_gradient,
        floor_m_value_and_gradient,
        |_| 0.0,
        &integers_and_halves(),
        false,
    );
}

#[test]
fn ceil_derivative_is_0() {
    check_unary(
        "x.ceil()",
        ceil_m,
        ceil_m_gradient,
        ceil_m_value_and_gradient,
        |_| 0.0,
        &off_integers(),
        true,
    );
    check_unary(
        "f64::ceil(x)",
        ceil_p,
        ceil_p_gradient,
        ceil_p_value_and_gradient,
        |_| 0.0,
        &off_integers(),
        true,
    );
    check_unary(
        "x.ceil()",
        ceil_m,
        ceil_m_gradient,
        ceil_m_value_and_gradient,
        |_| 0.0,
        &integers_and_halves(),
        false,
    );
}

#[test]
fn round_derivative_is_0() {
    check_unary(
        "x.round()",
        round_m,
        round_m_gradient,
        round_m_value_and_gradient,
        |_| 0.0,
        &off_integers(),
        true,
    );
    check_unary(
        "f64::round(x)",
        round_p,
        round_p_gradient,
        round_p_value_and_gradient,
        |_| 0.0,
        &off_integers(),
        true,
    );
    check_unary(
        "x.round()",
        round_m,
        round_m_gradient,
        round_m_value_and_gradient,
        |_| 0.0,
        &integers_and_halves(),
        false,
    );
}

#[test]
fn trunc_derivative_is_0() {
    check_unary(
        "x.trunc()",
        trunc_m,
        trunc_m_gradient,
        trunc_m_value_and_gradient,
        |_| 0.0,
        &off_integers(),
        true,
    );
    check_unary(
        "f64::trunc(x)",
        trunc_p,
        trunc_p_gradient,
        trunc_p_value_and_gradient,
        |_| 0.0,
        &off_integers(),
        true,
    );
    check_unary(
        "x.trunc()",
        trunc_m,
        trunc_m_gradient,
        trunc_m_value_and_gradient,
        |_| 0.0,
        &integers_and_halves(),
        false,
    );
}

#[test]
fn floor_times_x_plus_x_derivative_is_floor_plus_1() {
    check_unary(
        "x.floor() * x + x",
        floor_plus_x,
        floor_plus_x_gradient,
        floor_plus_x_value_and_gradient,
        |x| x.floor() + 1.0,
        &off_integers(),
        true,
    );
}

#[test]
fn to_degrees_method_derivative_is_180_over_pi() {
    check_unary(
        "x.to_degrees()",
        to_degrees_m,
        to_degrees_m_gradient,
        to_degrees_m_value_and_gradient,
        |_| 180.0 / PI,
        &everywhere(),
        true,
    );
}

#[test]
fn to_degrees_path_derivative_is_180_over_pi() {
    check_unary(
        "f64::to_degrees(x)",
        to_degrees_p,
        to_degrees_p_gradient,
        to_degrees_p_value_and_gradient,
        |_| 180.0 / PI,
        &everywhere(),
        true,
    );
}

#[test]
fn to_radians_method_derivative_is_pi_over_180() {
    check_unary(
        "x.to_radians()",
        to_radians_m,
        to_radians_m_gradient,
        to_radians_m_value_and_gradient,
        |_| PI / 180.0,
        &everywhere(),
        true,
    );
}

#[test]
fn to_radians_path_derivative_is_pi_over_180() {
    check_unary(
        "f64::to_radians(x)",
        to_radians_p,
        to_radians_p_gradient,
        to_radians_p_value_and_gradient,
        |_| PI / 180.0,
        &everywhere(),
        true,
    );
}

// ---------------------------------------------------------------------------------------------
// Constants of std::f64::consts
// ---------------------------------------------------------------------------------------------

#[gradient]
fn pi_times_x(x: f64) -> f64 {
    std::f64::consts::PI * x
}

#[gradient]
fn e_to_the_x(x: f64) -> f64 {
    std::f64::consts::E.powf(x)
}

#[gradient]
fn imported_consts(x: f64) -> f64 {
    TAU * x * x + std::f64::consts::FRAC_PI_2 + core::f64::consts::SQRT_2 * x
}

#[gradient]
fn consts_in_sin(x: f64) -> f64 {
    (std::f64::consts::FRAC_PI_4 * x).sin() * std::f64::consts::LN_2
}

#[test]
fn pi_times_x_derivative_is_pi() {
    check_unary(
        "PI * x",
        pi_times_x,
        pi_times_x_gradient,
        pi_times_x_value_and_gradient,
        |_| PI,
        &everywhere(),
        true,
    );
}

#[test]
fn e_to_the_x_derivative_is_e_to_the_x() {
    check_unary(
        "E.powf(x)",
        e_to_the_x,
        e_to_the_x_gradient,
        e_to_the_x_value_and_gradient,
        |x| std::f64::consts::E.powf(x),
        &everywhere(),
        true,
    );
}

#[test]
fn imported_and_qualified_consts_derivative() {
    check_unary(
        "TAU x² + π/2 + √2 x",
        imported_consts,
        imported_consts_gradient,
        imported_consts_value_and_gradient,
        |x| 2.0 * TAU * x + std::f64::consts::SQRT_2,
        &everywhere(),
        true,
    );
}

#[test]
fn consts_inside_sin_derivative() {
    check_unary(
        "sin(π/4 x) ln 2",
        consts_in_sin,
        consts_in_sin_gradient,
        consts_in_sin_value_and_gradient,
        |x| std::f64::consts::FRAC_PI_4 * (std::f64::consts::FRAC_PI_4 * x).cos() * LN_2,
        &everywhere(),
        true,
    );
}

// ---------------------------------------------------------------------------------------------
// Property tests: composites of many primitives against num-dual on random inputs
// ---------------------------------------------------------------------------------------------

#[gradient]
fn trig_mix(x: f64, y: f64) -> f64 {
    (x * y).sin() * x.cos() + (x - y).atan() - y.tanh() / (1.0 + x * x) + f64::tan(0.3 * y)
}

fn trig_mix_nd([x, y]: [Dual64; 2]) -> Dual64 {
    (x * y).sin() * x.cos() + (x - y).atan() - y.tanh() / (x * x + 1.0) + (y * 0.3).tan()
}

#[gradient]
fn exp_log_mix(x: f64, y: f64) -> f64 {
    x.ln() * y.exp2() + (x * y).sqrt() + x.powf(y) + y.cbrt() / x + f64::log10(x + y) - x.log2()
        + (y - 1.0).exp_m1() * (x / 2.0).ln_1p()
        + x.log(1.5 + y)
}

fn exp_log_mix_nd([x, y]: [Dual64; 2]) -> Dual64 {
    x.ln() * y.exp2() + (x * y).sqrt() + x.powd(y) + y.cbrt() / x + (x + y).log10() - x.log2()
        + (y - 1.0).exp_m1() * (x / 2.0).ln_1p()
        + x.ln() / (y + 1.5).ln()
}

#[gradient]
fn hyperbolic_mix(x: f64, y: f64) -> f64 {
    x.sinh() * y.cosh() + (x / 3.0).asinh() * (0.3 * y).atanh() + (x * x + 1.5).acosh()
        - f64::exp(-x * x) * y.recip()
}

fn hyperbolic_mix_nd([x, y]: [Dual64; 2]) -> Dual64 {
    x.sinh() * y.cosh() + (x / 3.0).asinh() * (y * 0.3).atanh() + (x * x + 1.5).acosh()
        - (-(x * x)).exp() * y.recip()
}

#[gradient]
fn geometry_mix(x: f64, y: f64, z: f64) -> f64 {
    x.hypot(y) * z + y.atan2(x) - (z / 2.0).asin() * x.mul_add(y, z) + x.abs() * y.powi(3)
        - (z * 0.4).acos()
        + f64::to_radians(x * z)
}

fn geometry_mix_nd([x, y, z]: [Dual64; 3]) -> Dual64 {
    (x * x + y * y).sqrt() * z + y.atan2(x) - (z / 2.0).asin() * (x * y + z) + nd_abs(x) * y.powi(3)
        - (z * 0.4).acos()
        + x * z * (PI / 180.0)
}

fn nonzero_strategy() -> impl Strategy<Value = f64> {
    prop_oneof![-3.0..-0.05_f64, 0.05..3.0_f64]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn trig_mix_gradient_matches_num_dual(x in -3.0..3.0_f64, y in -3.0..3.0_f64) {
        let (v, g) = trig_mix_value_and_gradient(x, y);
        let (nv, ng) = nd_value_and_gradient(trig_mix_nd, [x, y]);
        assert_close_ctx(v, nv, 1e-12, "value");
        assert_all_close(&g, &ng, 1e-9, &format!("gradient at ({x}, {y})"));
    }

    #[test]
    fn exp_log_mix_gradient_matches_num_dual(x in 0.05..4.0_f64, y in 0.05..3.0_f64) {
        let (v, g) = exp_log_mix_value_and_gradient(x, y);
        let (nv, ng) = nd_value_and_gradient(exp_log_mix_nd, [x, y]);
        assert_close_ctx(v, nv, 1e-12, "value");
        assert_all_close(&g, &ng, 1e-9, &format!("gradient at ({x}, {y})"));
    }

    #[test]
    fn hyperbolic_mix_gradient_matches_num_dual(x in -2.5..2.5_f64, y in nonzero_strategy()) {
        let (v, g) = hyperbolic_mix_value_and_gradient(x, y);
        let (nv, ng) = nd_value_and_gradient(hyperbolic_mix_nd, [x, y]);
        assert_close_ctx(v, nv, 1e-12, "value");
        assert_all_close(&g, &ng, 1e-9, &format!("gradient at ({x}, {y})"));
    }

    #[test]
    fn geometry_mix_gradient_matches_num_dual(
        x in nonzero_strategy(),
        y in -3.0..3.0_f64,
        z in -1.9..1.9_f64,
    ) {
        let (v, g) = geometry_mix_value_and_gradient(x, y, z);
        let (nv, ng) = nd_value_and_gradient(geometry_mix_nd, [x, y, z]);
        assert_close_ctx(v, nv, 1e-12, "value");
        assert_all_close(&g, &ng, 1e-9, &format!("gradient at ({x}, {y}, {z})"));
    }
}
