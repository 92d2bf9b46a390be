//! `f32` functions: a function whose float parameters and result are all `f32`
//! gets `f32` companions of the same shapes as an `f64` function's (`[f32; n]`, `(f32, [f32; n])`,
//! tuples for mixed parameters, `[[f32; n]; M]`, `[[f32; n]; n]`), checked by type ascription and
//! against the companions of the `f64` twin of the same function (relative tolerance 1e-5):
//! scalar, array and mixed parameters, array and tuple results, `wrt` with constant parameters,
//! Hessians, branches, calls between `f32` functions, unsuffixed literals of every form,
//! `std::f32::consts` and the path form `f32::sqrt(x)`. Three of them are also checked against
//! num-dual's `Dual32` (derivatives computed in `f32` by another library).

// Annotated functions whose original is only used through its companions are not dead code.
#![allow(dead_code)]

mod common;

use common::*;
use dual::gradient;
use std::f32::consts::E as E32;

/// Tolerance of an `f32` result against the `f64` result of the same computation.
const RTOL32: f64 = 1e-5;

#[track_caller]
fn assert_close32(actual: &[f32], expected: &[f64], ctx: &str) {
    let actual: Vec<f64> = actual.iter().map(|&a| f64::from(a)).collect();
    assert_all_close(&actual, expected, RTOL32, ctx);
}

#[track_caller]
fn assert_rows_close32<const N: usize>(actual: &[[f32; N]], expected: &[[f64; N]], ctx: &str) {
    assert_eq!(actual.len(), expected.len(), "number of rows: {ctx}");
    for (i, (a, e)) in actual.iter().zip(expected).enumerate() {
        assert_close32(a, e, &format!("{ctx} [row {i}]"));
    }
}

fn to64<const N: usize>(a: [f32; N]) -> [f64; N] {
    a.map(f64::from)
}

/// Points exactly representable in `f32` (so both twins see the same inputs).
fn points32() -> Vec<(f32, f32)> {
    let xs: [f32; 7] = [-2.5, -1.25, -0.375, 0.0, 0.625, 1.5, 2.75];
    let ys: [f32; 5] = [-1.75, -0.5, 0.25, 1.0, 2.125];
    xs.iter()
        .flat_map(|&x| ys.iter().map(move |&y| (x, y)))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Scalar parameters, scalar result
// ---------------------------------------------------------------------------------------------

#[gradient]
fn smooth32(x: f32, y: f32) -> f32 {
    x * x * y + (0.5 * x).sin() * y.exp() - 3.0 * y / (1.0 + x * x) + (x * y).tanh()
}

#[gradient]
fn smooth64(x: f64, y: f64) -> f64 {
    x * x * y + (0.5 * x).sin() * y.exp() - 3.0 * y / (1.0 + x * x) + (x * y).tanh()
}

#[test]
fn scalar_function_signatures_are_f32() {
    let g: [f32; 2] = smooth32_gradient(1.0, 2.0);
    let (v, g2): (f32, [f32; 2]) = smooth32_value_and_gradient(1.0, 2.0);
    assert_close32(&g, &to64(g2), "_gradient vs _value_and_gradient");
    assert_close32(&[v], &[f64::from(smooth32(1.0, 2.0))], "value");
    let f: fn(f32, f32) -> [f32; 2] = smooth32_gradient;
    let vf: fn(f32, f32) -> (f32, [f32; 2]) = smooth32_value_and_gradient;
    assert_close32(&f(0.5, 0.25), &to64(vf(0.5, 0.25).1), "through fn pointers");
}

#[test]
fn scalar_function_matches_f64_twin() {
    for (x, y) in points32() {
        let ctx = format!("smooth32 at ({x}, {y})");
        let (v, g) = smooth32_value_and_gradient(x, y);
        let (v64, g64) = smooth64_value_and_gradient(f64::from(x), f64::from(y));
        assert_close32(&[v], &[v64], &format!("value of {ctx}"));
        assert_close32(&g, &g64, &ctx);
        assert_close32(&smooth32_gradient(x, y), &to64(g), &ctx);
    }
}

// ---------------------------------------------------------------------------------------------
// Literals of every form, f32 constants, path-form math
// ---------------------------------------------------------------------------------------------

/// Unsuffixed literals (`2.`, `1e-1`, `0.5`, `3.0`), a suffixed one, `std::f32::consts` by full
/// path and by `use` (renamed), and the path form `f32::sqrt(..)`, `f32::sin(..)`, `f32::powi(..)`,
/// `f32::atan2(..)`, `f32::max(..)`.
#[gradient]
fn literals32(x: f32, y: f32) -> f32 {
    let a = 2. * x + 1e-1 * y * y - 0.5;
    let b = std::f32::consts::PI * f32::sin(x) + E32 * y;
    let c = f32::sqrt(1.0 + x * x) * f32::powi(y, 3) + f32::atan2(y, 2.0 + x * x);
    let d = f32::max(x, 0.25 * y) * 1.5f32 + f32::exp(0.1 * x * y);
    a * b + c - d / 3.0 + std::f32::consts::FRAC_PI_4 * x
}

#[gradient]
fn literals64(x: f64, y: f64) -> f64 {
    let a = 2. * x + 1e-1 * y * y - 0.5;
    let b = std::f64::consts::PI * f64::sin(x) + std::f64::consts::E * y;
    let c = f64::sqrt(1.0 + x * x) * f64::powi(y, 3) + f64::atan2(y, 2.0 + x * x);
    let d = f64::max(x, 0.25 * y) * 1.5f64 + f64::exp(0.1 * x * y);
    a * b + c - d / 3.0 + std::f64::consts::FRAC_PI_4 * x
}

#[test]
fn literals_constants_and_path_forms() {
    for (x, y) in points32() {
        // Away from the kink of `max`.
        if (x - 0.25 * y).abs() < 0.1 {
            continue;
        }
        let ctx = format!("literals32 at ({x}, {y})");
        let (v, g) = literals32_value_and_gradient(x, y);
        let (v64, g64) = literals64_value_and_gradient(f64::from(x), f64::from(y));
        assert_close32(&[v], &[v64], &format!("value of {ctx}"));
        assert_close32(&g, &g64, &ctx);
        // And the f64 twin is right, by finite differences.
        let num = fd_gradient(
            |p: [f64; 2]| literals64(p[0], p[1]),
            [f64::from(x), f64::from(y)],
        );
        assert_all_close(&g64, &num, 1e-8, &ctx);
    }
}

/// An exact case: ∂/∂x (π·x) = π in f32.
#[gradient]
fn pi_times(x: f32) -> f32 {
    std::f32::consts::PI * x
}

#[test]
fn f32_constant_is_the_f32_value() {
    let g: [f32; 1] = pi_times_gradient(3.0);
    assert_eq!(g, [std::f32::consts::PI]);
}

// ---------------------------------------------------------------------------------------------
// Array parameters
// ---------------------------------------------------------------------------------------------

#[gradient]
fn arr32(v: [f32; 3]) -> f32 {
    v[0] * v[1] * v[2] + (v[0] - v[2]).cos() * v[1].exp() + f32::sqrt(1.0 + v[2] * v[2])
}

#[gradient]
fn arr64(v: [f64; 3]) -> f64 {
    v[0] * v[1] * v[2] + (v[0] - v[2]).cos() * v[1].exp() + f64::sqrt(1.0 + v[2] * v[2])
}

/// Mixed array and scalar: G is a tuple `([f32; 2], f32)`.
#[gradient]
fn affine32(w: [f32; 2], b: f32) -> f32 {
    let s = w[0] * 0.75 + w[1] * -1.5 + b;
    s * s + (w[0] * b).sin()
}

#[gradient]
fn affine64(w: [f64; 2], b: f64) -> f64 {
    let s = w[0] * 0.75 + w[1] * -1.5 + b;
    s * s + (w[0] * b).sin()
}

#[test]
fn array_parameters() {
    for (x, y) in points32() {
        let p = [x, y, 0.5 * x - y];
        let ctx = format!("arr32 at {p:?}");
        let g: [f32; 3] = arr32_gradient(p);
        let (v, g2): (f32, [f32; 3]) = arr32_value_and_gradient(p);
        let (v64, g64) = arr64_value_and_gradient(p.map(f64::from));
        assert_close32(&g, &to64(g2), &ctx);
        assert_close32(&[v], &[v64], &ctx);
        assert_close32(&g, &g64, &ctx);

        let ctx = format!("affine32 at ({x}, {y})");
        let (gw, gb): ([f32; 2], f32) = affine32_gradient([x, y], 0.5);
        let (v, (gw2, gb2)): (f32, ([f32; 2], f32)) = affine32_value_and_gradient([x, y], 0.5);
        let (v64, (gw64, gb64)) = affine64_value_and_gradient([f64::from(x), f64::from(y)], 0.5);
        assert_close32(&[gw[0], gw[1], gb], &to64([gw2[0], gw2[1], gb2]), &ctx);
        assert_close32(&[v], &[v64], &ctx);
        assert_close32(&[gw[0], gw[1], gb], &[gw64[0], gw64[1], gb64], &ctx);
    }
}

// ---------------------------------------------------------------------------------------------
// Vector results: array and tuple
// ---------------------------------------------------------------------------------------------

#[gradient]
fn polar32(r: f32, t: f32) -> (f32, f32) {
    (r * t.cos(), r * t.sin())
}

#[gradient]
fn polar64(r: f64, t: f64) -> (f64, f64) {
    (r * t.cos(), r * t.sin())
}

#[gradient]
fn field32(x: f32, y: f32) -> [f32; 3] {
    [x * y, x.exp() - y, (x * x + y * y + 1.0).ln()]
}

#[gradient]
fn field64(x: f64, y: f64) -> [f64; 3] {
    [x * y, x.exp() - y, (x * x + y * y + 1.0).ln()]
}

#[test]
fn tuple_result_jacobian() {
    for (x, y) in points32() {
        let ctx = format!("polar32 at ({x}, {y})");
        let j: [[f32; 2]; 2] = polar32_jacobian(x, y);
        let ((a, b), j2): ((f32, f32), [[f32; 2]; 2]) = polar32_value_and_jacobian(x, y);
        let ((a64, b64), j64) = polar64_value_and_jacobian(f64::from(x), f64::from(y));
        assert_rows_close32(&j, &j2.map(to64), &ctx);
        assert_close32(&[a, b], &[a64, b64], &ctx);
        assert_rows_close32(&j, &j64, &ctx);
    }
}

#[test]
fn array_result_jacobian() {
    for (x, y) in points32() {
        let ctx = format!("field32 at ({x}, {y})");
        let j: [[f32; 2]; 3] = field32_jacobian(x, y);
        let (v, j2): ([f32; 3], [[f32; 2]; 3]) = field32_value_and_jacobian(x, y);
        let (v64, j64) = field64_value_and_jacobian(f64::from(x), f64::from(y));
        assert_rows_close32(&j, &j2.map(to64), &ctx);
        assert_close32(&v, &v64, &ctx);
        assert_rows_close32(&j, &j64, &ctx);
    }
}

// ---------------------------------------------------------------------------------------------
// `wrt`, constant parameters, `as f32`
// ---------------------------------------------------------------------------------------------

/// Only `x` is differentiated; `k` is a constant `f32`, `n` an integer cast with `as f32`.
#[gradient(wrt(x))]
fn scaled32(x: f32, k: f32, n: usize) -> f32 {
    k * x * x + (n as f32) * x.sin()
}

#[gradient(wrt(x))]
fn scaled64(x: f64, k: f64, n: usize) -> f64 {
    k * x * x + (n as f64) * x.sin()
}

/// `wrt` picks the array and one scalar out of three float parameters.
#[gradient(wrt(w, c))]
fn pick32(w: [f32; 2], b: f32, c: f32) -> f32 {
    w[0] * b + w[1] * c * c + b * c
}

#[test]
fn wrt_with_constant_parameters() {
    for (x, k) in points32() {
        for n in [0usize, 1, 3] {
            let ctx = format!("scaled32 at x = {x}, k = {k}, n = {n}");
            let g: [f32; 1] = scaled32_gradient(x, k, n);
            let (v, g2): (f32, [f32; 1]) = scaled32_value_and_gradient(x, k, n);
            let (v64, g64) = scaled64_value_and_gradient(f64::from(x), f64::from(k), n);
            assert_close32(&g, &to64(g2), &ctx);
            assert_close32(&[v], &[v64], &ctx);
            assert_close32(&g, &g64, &ctx);
        }
    }
    // ∂/∂w = (b, c²), ∂/∂c = 2w[1]c + b; b is a constant.
    let (gw, gc): ([f32; 2], f32) = pick32_gradient([2.0, 3.0], 0.5, 1.5);
    assert_eq!(gw, [0.5, 2.25]);
    assert_eq!(gc, 2.0 * 3.0 * 1.5 + 0.5);
}

// ---------------------------------------------------------------------------------------------
// Branches, early return, calls
// ---------------------------------------------------------------------------------------------

#[gradient]
fn branchy32(x: f32, y: f32) -> f32 {
    if x > y {
        return x * x * y;
    }
    let t = if x * y > 0.5 {
        (x - y).sin()
    } else {
        x / (1.0 + y * y)
    };
    t * y + x
}

#[gradient]
fn branchy64(x: f64, y: f64) -> f64 {
    if x > y {
        return x * x * y;
    }
    let t = if x * y > 0.5 {
        (x - y).sin()
    } else {
        x / (1.0 + y * y)
    };
    t * y + x
}

#[gradient]
fn sq32(x: f32) -> f32 {
    x * x
}

#[gradient]
fn norm32(a: f32, b: f32) -> f32 {
    f32::sqrt(a * a + b * b)
}

/// Calls to other `f32` functions: chain rule through their `f32` companions.
#[gradient]
fn composed32(x: f32, y: f32) -> f32 {
    let s = sq32(x + y);
    norm32(s, x * y) + sq32(y)
}

#[test]
fn branches_and_early_return() {
    for (x, y) in points32() {
        let ctx = format!("branchy32 at ({x}, {y})");
        let (v, g) = branchy32_value_and_gradient(x, y);
        let (v64, g64) = branchy64_value_and_gradient(f64::from(x), f64::from(y));
        assert_close32(&[v], &[v64], &ctx);
        assert_close32(&g, &g64, &ctx);
    }
}

#[test]
fn calls_between_f32_functions() {
    for (x, y) in points32() {
        let ctx = format!("composed32 at ({x}, {y})");
        let (v, g): (f32, [f32; 2]) = composed32_value_and_gradient(x, y);
        let (x64, y64) = (f64::from(x), f64::from(y));
        let s = (x64 + y64) * (x64 + y64);
        let p = x64 * y64;
        let r = (s * s + p * p).sqrt();
        let expected_v = r + y64 * y64;
        // ∂r/∂s = s / r, ∂r/∂p = p / r; ∂s = 2(x + y)·(1, 1), ∂p = (y, x).
        let (rs, rp) = if r == 0.0 { (0.0, 0.0) } else { (s / r, p / r) };
        let expected_g = [
            rs * 2.0 * (x64 + y64) + rp * y64,
            rs * 2.0 * (x64 + y64) + rp * x64 + 2.0 * y64,
        ];
        assert_close32(&[v], &[expected_v], &ctx);
        if r != 0.0 {
            assert_close32(&g, &expected_g, &ctx);
        }
    }
    let g: [f32; 1] = sq32_gradient(1.5);
    assert_eq!(g, [3.0]);
}

// ---------------------------------------------------------------------------------------------
// Hessians of f32 functions
// ---------------------------------------------------------------------------------------------

#[gradient(hessian)]
fn hess32(x: f32, y: f32) -> f32 {
    (x * y).sin() * x + y.exp() * x * x - 0.5 * y * y * y
}

#[gradient(hessian)]
fn hess64(x: f64, y: f64) -> f64 {
    (x * y).sin() * x + y.exp() * x * x - 0.5 * y * y * y
}

#[gradient(hessian)]
fn rosen32(v: [f32; 2]) -> f32 {
    let a = 1.0 - v[0];
    let b = v[1] - v[0] * v[0];
    a * a + 100. * b * b
}

#[test]
fn hessian_of_f32_function() {
    for (x, y) in points32() {
        let ctx = format!("hess32 at ({x}, {y})");
        let h: [[f32; 2]; 2] = hess32_hessian(x, y);
        let (v, g, h2): (f32, [f32; 2], [[f32; 2]; 2]) = hess32_value_gradient_and_hessian(x, y);
        let (v64, g64, h64) = hess64_value_gradient_and_hessian(f64::from(x), f64::from(y));
        assert_eq!(
            h[0][1].to_bits(),
            h[1][0].to_bits(),
            "{ctx}: not exactly symmetric"
        );
        assert_rows_close32(&h, &h2.map(to64), &ctx);
        assert_close32(&[v], &[v64], &ctx);
        assert_close32(&g, &g64, &ctx);
        assert_rows_close32(&h, &h64, &ctx);
        let g1: [f32; 2] = hess32_gradient(x, y);
        assert_close32(&g1, &to64(g), &ctx);
    }
    // Exact at (1, 1) and at (-1.5, 2).
    let h: [[f32; 2]; 2] = rosen32_hessian([1.0, 1.0]);
    assert_eq!(h, [[802.0, -400.0], [-400.0, 200.0]]);
    assert_eq!(
        rosen32_hessian([-1.5, 2.0]),
        [[1902.0, 600.0], [600.0, 200.0]]
    );
    let (v, g, _): (f32, [f32; 2], [[f32; 2]; 2]) = rosen32_value_gradient_and_hessian([1.0, 1.0]);
    assert_eq!((v, g), (0.0, [0.0, 0.0]));
}

/// A Hessian through a branch and an `f32` callee with `hessian`.
#[gradient(hessian)]
fn bump32(x: f32) -> f32 {
    (1.0 + x * x).ln()
}

#[gradient(hessian)]
fn through32(x: f32, y: f32) -> f32 {
    if x > y {
        bump32(x * y) * y
    } else {
        bump32(x - y) + x * x * y
    }
}

#[gradient(hessian)]
fn bump64(x: f64) -> f64 {
    (1.0 + x * x).ln()
}

#[gradient(hessian)]
fn through64(x: f64, y: f64) -> f64 {
    if x > y {
        bump64(x * y) * y
    } else {
        bump64(x - y) + x * x * y
    }
}

#[test]
fn hessian_through_branch_and_callee() {
    for (x, y) in points32() {
        let ctx = format!("through32 at ({x}, {y})");
        let (v, g, h): (f32, [f32; 2], [[f32; 2]; 2]) = through32_value_gradient_and_hessian(x, y);
        let (v64, g64, h64) = through64_value_gradient_and_hessian(f64::from(x), f64::from(y));
        assert_close32(&[v], &[v64], &ctx);
        assert_close32(&g, &g64, &ctx);
        assert_rows_close32(&h, &h64, &ctx);
        assert_eq!(
            h[0][1].to_bits(),
            h[1][0].to_bits(),
            "{ctx}: not exactly symmetric"
        );
    }
}

/// An `f64` parameter left out with `wrt` is a constant of an `f32` function.
#[gradient(wrt(x))]
fn with_f64_constant(x: f32, k: f64) -> f32 {
    x * x * (k as f32)
}

#[test]
fn f64_constant_parameter_outside_wrt() {
    let g: [f32; 1] = with_f64_constant_gradient(1.5, 2.0);
    assert_eq!(g, [6.0]);
    let (v, g): (f32, [f32; 1]) = with_f64_constant_value_and_gradient(-2.0, 0.5);
    assert_eq!((v, g), (2.0, [-2.0]));
}

// ---------------------------------------------------------------------------------------------
// Against num-dual in `f32`: an oracle that is neither the macro nor its `f64` twin
// ---------------------------------------------------------------------------------------------

use num_dual::{Dual32, DualNum};

fn smooth_nd(x: Dual32, y: Dual32) -> Dual32 {
    x * x * y + (x * 0.5).sin() * y.exp() - y * 3.0 / (x * x + 1.0) + (x * y).tanh()
}

fn branchy_nd(x: Dual32, y: Dual32) -> Dual32 {
    if x.re > y.re {
        return x * x * y;
    }
    let t = if (x * y).re > 0.5 {
        (x - y).sin()
    } else {
        x / (y * y + 1.0)
    };
    t * y + x
}

fn literals_nd(x: Dual32, y: Dual32) -> Dual32 {
    let a = x * 2. + y * y * 1e-1 - 0.5;
    let b = x.sin() * std::f32::consts::PI + y * E32;
    let c = (x * x + 1.0).sqrt() * y.powi(3) + y.atan2(x * x + 2.0);
    let m = if x.re >= (y * 0.25).re { x } else { y * 0.25 };
    let d = m * 1.5f32 + (x * y * 0.1).exp();
    a * b + c - d / 3.0 + x * std::f32::consts::FRAC_PI_4
}

/// The `f32` gradient of `f` by num-dual, one seeded pass per input.
fn nd_gradient32(f: fn(Dual32, Dual32) -> Dual32, x: f32, y: f32) -> (f32, [f32; 2]) {
    let v = f(Dual32::from_re(x), Dual32::from_re(y)).re;
    let dx = f(Dual32::new(x, 1.0), Dual32::from_re(y)).eps;
    let dy = f(Dual32::from_re(x), Dual32::new(y, 1.0)).eps;
    (v, [dx, dy])
}

/// Within a few `f32` roundings of each other, relative to the larger magnitude (floor 1).
#[track_caller]
fn assert_close_f32(actual: &[f32], expected: &[f32], ctx: &str) {
    for (a, e) in actual.iter().zip(expected) {
        let scale = a.abs().max(e.abs()).max(1.0);
        assert!((a - e).abs() <= 2e-5 * scale, "{ctx}: {a} vs num-dual {e}");
    }
}

#[test]
fn f32_companions_match_num_dual_in_f32() {
    type Companion = fn(f32, f32) -> (f32, [f32; 2]);
    type Twin = fn(Dual32, Dual32) -> Dual32;
    let cases: [(&str, Companion, Twin); 3] = [
        ("smooth", smooth32_value_and_gradient, smooth_nd),
        ("branchy", branchy32_value_and_gradient, branchy_nd),
        ("literals", literals32_value_and_gradient, literals_nd),
    ];
    for (x, y) in points32() {
        for (name, companion, twin) in cases {
            // Away from the kinks of `branchy` and `max` (where a rounding picks the branch).
            if (x - y).abs() < 1e-3 || (x * y - 0.5).abs() < 1e-3 || (x - 0.25 * y).abs() < 1e-3 {
                continue;
            }
            let (v, g) = companion(x, y);
            let (nv, ng) = nd_gradient32(twin, x, y);
            assert_close_f32(&[v], &[nv], &format!("{name} value at ({x}, {y})"));
            assert_close_f32(&g, &ng, &format!("{name} gradient at ({x}, {y})"));
        }
    }
}
