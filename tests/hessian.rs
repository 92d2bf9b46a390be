//! `#[gradient(hessian)]`: `NAME_hessian(..) -> [[f64; n]; n]` and
//! `NAME_value_gradient_and_hessian(..) -> (f64, G, [[f64; n]; n])`, n counting the differentiated
//! scalars in parameter order with arrays flattened. Checked against exact values (Rosenbrock,
//! quadratic forms, polynomials), against finite differences of the generated gradient, and
//! against num-dual's hyper-dual numbers evaluating a generic twin of each function (proptest);
//! array parameters, `wrt`, run-time indices, branches and early return, calls through annotated
//! callees; symmetry bit for bit; and the first-order companions of a `hessian` function.

// Annotated functions whose original is only used through its companions are not dead code.
#![allow(dead_code)]

mod common;

use common::*;
use dual::gradient;
use num_dual::{second_derivative, Dual2_64, DualNum, HyperDual64};
use proptest::prelude::*;

/// Tolerance against num-dual and analytic formulas (the engine may use an algebraically equal
/// form of each entry).
const RTOL: f64 = 1e-9;
/// Tolerance against finite differences of the generated gradient.
const FD: f64 = 1e-7;

// ---------------------------------------------------------------------------------------------
// Oracles and checkers
// ---------------------------------------------------------------------------------------------

/// Value, gradient and Hessian of a scalar function of `N` inputs with num-dual hyper-dual
/// numbers: one pass per pair `i <= j`, with `eps1` seeded in direction `i` and `eps2` in `j`.
#[allow(clippy::needless_range_loop)]
fn hd_value_gradient_hessian<const N: usize>(
    f: impl Fn([HyperDual64; N]) -> HyperDual64,
    x: [f64; N],
) -> (f64, [f64; N], [[f64; N]; N]) {
    let value = f(x.map(HyperDual64::from_re)).re;
    let mut grad = [0.0; N];
    let mut hess = [[0.0; N]; N];
    for i in 0..N {
        for j in i..N {
            let args = std::array::from_fn(|k| {
                HyperDual64::new(
                    x[k],
                    if k == i { 1.0 } else { 0.0 },
                    if k == j { 1.0 } else { 0.0 },
                    0.0,
                )
            });
            let r = f(args);
            if i == j {
                grad[i] = r.eps1;
            }
            hess[i][j] = r.eps1eps2;
            hess[j][i] = r.eps1eps2;
        }
    }
    (value, grad, hess)
}

/// The derivative of `f` at `x` by finite differences, robust to the occasional bad Ridders
/// estimate (its early termination can stop on a poor extrapolation, ~1e-6 off, for oscillating
/// functions): the median of [`fd_derivative_h`] with three different initial steps.
fn fd_median(f: impl Fn(f64) -> f64, x: f64) -> f64 {
    let h = default_step(x);
    let mut d = [
        fd_derivative_h(&f, x, h),
        fd_derivative_h(&f, x, 0.7 * h),
        fd_derivative_h(&f, x, 0.45 * h),
    ];
    d.sort_by(f64::total_cmp);
    d[1]
}

/// The Jacobian of a gradient function by finite differences: entry `[i][j]` is the derivative of
/// gradient entry `i` with respect to input `j`. Not symmetric in general (each entry has its own
/// rounding), so compare each entry separately.
fn fd_jacobian_of_gradient<const N: usize>(
    grad: impl Fn([f64; N]) -> [f64; N],
    x: [f64; N],
) -> [[f64; N]; N] {
    std::array::from_fn(|i| {
        std::array::from_fn(|j| {
            fd_median(
                |t| {
                    let mut p = x;
                    p[j] = t;
                    grad(p)[i]
                },
                x[j],
            )
        })
    })
}

/// Asserts that `h[i][j]` and `h[j][i]` are the same `f64`, bit for bit, for every pair.
#[track_caller]
fn assert_symmetric_bits<const N: usize>(h: &[[f64; N]; N], ctx: &str) {
    for i in 0..N {
        for j in 0..i {
            assert!(
                h[i][j].to_bits() == h[j][i].to_bits(),
                "Hessian not exactly symmetric {ctx}: H[{i}][{j}] = {:?} but H[{j}][{i}] = {:?}\n    H = {h:?}",
                h[i][j],
                h[j][i],
            );
        }
    }
}

/// Asserts that the Hessian `h` agrees entry-wise with `expected` to `rtol`.
#[track_caller]
fn assert_hessian_close<const N: usize>(
    h: &[[f64; N]; N],
    expected: &[[f64; N]; N],
    rtol: f64,
    ctx: &str,
) {
    assert_rows_close(h, expected, rtol, ctx);
}

/// A generic function of three inputs, the form num-dual evaluates.
type Generic3 = fn([HyperDual64; 3]) -> HyperDual64;

/// The signature of `NAME_value_gradient_and_hessian` of a function of three scalars.
type Vgh3 = fn(f64, f64, f64) -> (f64, [f64; 3], [[f64; 3]; 3]);

/// Checks the three second-order-relevant companions of a three-scalar `hessian` function at
/// `p`: the Hessian against num-dual (`twin`) and against finite differences of the generated
/// gradient (unless `fd` is false: near a branch boundary the differences would straddle it),
/// exact symmetry, and the value and gradient of every companion.
#[track_caller]
#[allow(clippy::too_many_arguments)]
fn check_three(
    name: &str,
    f: fn(f64, f64, f64) -> f64,
    grad: fn(f64, f64, f64) -> [f64; 3],
    hess: fn(f64, f64, f64) -> [[f64; 3]; 3],
    vgh: Vgh3,
    twin: Generic3,
    p: [f64; 3],
    fd: bool,
) {
    let [x, y, z] = p;
    let ctx = format!("{name} at {p:?}");
    let h = hess(x, y, z);
    let (v, g, h2) = vgh(x, y, z);
    let (nv, ng, nh) = hd_value_gradient_hessian(twin, p);

    assert_symmetric_bits(&h, &ctx);
    assert_symmetric_bits(&h2, &format!("{ctx} (_value_gradient_and_hessian)"));
    assert_close_ctx(v, f(x, y, z), 1e-14, &format!("value of {ctx}"));
    assert_close_ctx(v, nv, 1e-12, &format!("value vs num-dual, {ctx}"));
    assert_all_close(&g, &grad(x, y, z), 1e-14, &format!("gradient, {ctx}"));
    assert_all_close(&g, &ng, RTOL, &format!("gradient vs num-dual, {ctx}"));
    assert_hessian_close(
        &h2,
        &h,
        1e-14,
        &format!("_hessian vs _value_gradient_and_hessian, {ctx}"),
    );
    assert_hessian_close(&h, &nh, RTOL, &format!("Hessian vs num-dual, {ctx}"));
    if fd {
        let num = fd_jacobian_of_gradient(|q: [f64; 3]| grad(q[0], q[1], q[2]), p);
        assert_hessian_close(
            &h,
            &num,
            FD,
            &format!("Hessian vs finite differences of the gradient, {ctx}"),
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Rosenbrock: exact values
// ---------------------------------------------------------------------------------------------

/// The Rosenbrock function, minimum 0 at (1, 1).
#[gradient(hessian)]
fn rosenbrock(x: f64, y: f64) -> f64 {
    let a = 1.0 - x;
    let b = y - x * x;
    a * a + 100.0 * b * b
}

/// The same, written with `powi`.
#[gradient(hessian)]
fn rosenbrock_powi(x: f64, y: f64) -> f64 {
    (1.0 - x).powi(2) + 100.0 * (y - x.powi(2)).powi(2)
}

/// ∇²f = [[1200x² − 400y + 2, −400x], [−400x, 200]].
fn rosenbrock_hessian_exact(x: f64, y: f64) -> [[f64; 2]; 2] {
    [
        [1200.0 * x * x - 400.0 * y + 2.0, -400.0 * x],
        [-400.0 * x, 200.0],
    ]
}

/// Points where every intermediate value is a small dyadic rational, so any order of evaluation
/// gives the exact result.
const DYADIC_POINTS: [(f64, f64); 8] = [
    (1.0, 1.0),
    (0.0, 0.0),
    (-1.5, 2.0),
    (0.5, -0.25),
    (2.0, 3.0),
    (-1.0, 1.0),
    (0.25, 0.0625),
    (-3.0, -2.5),
];

#[test]
fn rosenbrock_hessian_at_the_minimum() {
    let h: [[f64; 2]; 2] = rosenbrock_hessian(1.0, 1.0);
    assert_eq!(h, [[802.0, -400.0], [-400.0, 200.0]]);
    let (v, g, h): (f64, [f64; 2], [[f64; 2]; 2]) = rosenbrock_value_gradient_and_hessian(1.0, 1.0);
    assert_eq!(v, 0.0);
    assert_eq!(g, [0.0, 0.0]);
    assert_eq!(h, [[802.0, -400.0], [-400.0, 200.0]]);
}

#[test]
fn rosenbrock_hessian_exact_values() {
    // At the origin: [[2, 0], [0, 200]].
    assert_eq!(rosenbrock_hessian(0.0, 0.0), [[2.0, 0.0], [0.0, 200.0]]);
    // At (-1.5, 2): 1200·2.25 − 800 + 2 = 1902, −400·(−1.5) = 600.
    assert_eq!(
        rosenbrock_hessian(-1.5, 2.0),
        [[1902.0, 600.0], [600.0, 200.0]]
    );
    for (x, y) in DYADIC_POINTS {
        assert_eq!(
            rosenbrock_hessian(x, y),
            rosenbrock_hessian_exact(x, y),
            "at ({x}, {y})"
        );
        let (v, g, h) = rosenbrock_value_gradient_and_hessian(x, y);
        assert_eq!(v, rosenbrock(x, y), "value at ({x}, {y})");
        assert_eq!(
            g,
            [
                -2.0 * (1.0 - x) - 400.0 * x * (y - x * x),
                200.0 * (y - x * x)
            ],
            "gradient at ({x}, {y})"
        );
        assert_eq!(h, rosenbrock_hessian_exact(x, y), "at ({x}, {y})");
    }
}

#[test]
fn rosenbrock_powi_hessian_matches_exact_values() {
    for (x, y) in DYADIC_POINTS {
        assert_rows_close(
            &rosenbrock_powi_hessian(x, y),
            &rosenbrock_hessian_exact(x, y),
            1e-15,
            &format!("powi form at ({x}, {y})"),
        );
    }
    for (x, y) in grid2(&linspace(-2.0, 2.0, 9), &linspace(-1.0, 3.0, 9)) {
        assert_rows_close(
            &rosenbrock_powi_hessian(x, y),
            &rosenbrock_hessian_exact(x, y),
            1e-14,
            &format!("powi form at ({x}, {y})"),
        );
        assert_rows_close(
            &rosenbrock_hessian(x, y),
            &rosenbrock_hessian_exact(x, y),
            1e-14,
            &format!("at ({x}, {y})"),
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Array parameter [f64; 3]
// ---------------------------------------------------------------------------------------------

/// The Rosenbrock function in three dimensions; its Hessian is tridiagonal.
#[gradient(hessian)]
fn rosenbrock3(v: [f64; 3]) -> f64 {
    let a = v[1] - v[0] * v[0];
    let b = v[2] - v[1] * v[1];
    100.0 * a * a + (1.0 - v[0]) * (1.0 - v[0]) + 100.0 * b * b + (1.0 - v[1]) * (1.0 - v[1])
}

fn rosenbrock3_hessian_exact([x, y, z]: [f64; 3]) -> [[f64; 3]; 3] {
    [
        [1200.0 * x * x - 400.0 * y + 2.0, -400.0 * x, 0.0],
        [-400.0 * x, 202.0 + 1200.0 * y * y - 400.0 * z, -400.0 * y],
        [0.0, -400.0 * y, 200.0],
    ]
}

#[test]
fn array_parameter_hessian_shape_and_exact_values() {
    let h: [[f64; 3]; 3] = rosenbrock3_hessian([1.0, 1.0, 1.0]);
    assert_eq!(
        h,
        [
            [802.0, -400.0, 0.0],
            [-400.0, 1002.0, -400.0],
            [0.0, -400.0, 200.0]
        ]
    );
    let (v, g, h): (f64, [f64; 3], [[f64; 3]; 3]) =
        rosenbrock3_value_gradient_and_hessian([1.0, 1.0, 1.0]);
    assert_eq!((v, g), (0.0, [0.0, 0.0, 0.0]));
    assert_eq!(h, rosenbrock3_hessian([1.0, 1.0, 1.0]));
    for p in [
        [0.0, 0.0, 0.0],
        [-1.5, 2.0, 0.5],
        [0.5, -0.25, 3.0],
        [2.0, 3.0, -1.0],
        [-0.75, 1.25, 2.5],
    ] {
        assert_eq!(
            rosenbrock3_hessian(p),
            rosenbrock3_hessian_exact(p),
            "at {p:?}"
        );
    }
}

/// Exp, sin, ln_1p and products of the three entries of one array parameter.
#[gradient(hessian)]
fn arr_mixed(v: [f64; 3]) -> f64 {
    let p = v[0] * v[1];
    p.exp() * v[2].sin() + (v[1] * v[1] + v[2] * v[2]).ln_1p() * v[0]
        - p * v[2] / (2.0 + v[0].cos())
}

fn arr_mixed_g<D: DualNum<Primitive = f64> + Copy>(v: [D; 3]) -> D {
    let p = v[0] * v[1];
    p.exp() * v[2].sin() + (v[1] * v[1] + v[2] * v[2]).ln_1p() * v[0]
        - p * v[2] / (v[0].cos() + 2.0)
}

#[test]
fn array_parameter_hessian_matches_num_dual_and_finite_differences() {
    for a in linspace(-1.5, 1.5, 4) {
        for b in linspace(-1.2, 1.8, 4) {
            for cc in linspace(-2.0, 2.0, 5) {
                let p = [a, b, cc];
                let ctx = format!("arr_mixed at {p:?}");
                let h = arr_mixed_hessian(p);
                let (v, g, h2) = arr_mixed_value_gradient_and_hessian(p);
                let (nv, ng, nh) = hd_value_gradient_hessian(arr_mixed_g, p);
                assert_symmetric_bits(&h, &ctx);
                assert_close_ctx(v, nv, 1e-12, &ctx);
                assert_all_close(&g, &ng, RTOL, &ctx);
                assert_all_close(&g, &arr_mixed_gradient(p), 1e-14, &ctx);
                assert_hessian_close(&h, &nh, RTOL, &ctx);
                assert_hessian_close(&h2, &h, 1e-14, &ctx);
                let num = fd_jacobian_of_gradient(arr_mixed_gradient, p);
                assert_hessian_close(&h, &num, FD, &format!("finite differences, {ctx}"));
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Functions mixing exp / sin / ln_1p / products, against num-dual and finite differences
// ---------------------------------------------------------------------------------------------

#[gradient(hessian)]
fn mixed(x: f64, y: f64, z: f64) -> f64 {
    (x * y).exp() * z.sin() + (x * x + y * y).ln_1p() * z - x * y * z
}

fn mixed_g<D: DualNum<Primitive = f64> + Copy>([x, y, z]: [D; 3]) -> D {
    (x * y).exp() * z.sin() + (x * x + y * y).ln_1p() * z - x * y * z
}

#[gradient(hessian)]
fn mixed2(x: f64, y: f64, z: f64) -> f64 {
    let s = (x * y).sin();
    let e = (s - z).exp();
    let mut acc = e * x;
    acc += (x * x * e).ln_1p() * s / (1.0 + y * y);
    acc -= z * z * x.sin() * y.cos();
    acc
}

fn mixed2_g<D: DualNum<Primitive = f64> + Copy>([x, y, z]: [D; 3]) -> D {
    let s = (x * y).sin();
    let e = (s - z).exp();
    let mut acc = e * x;
    acc += (x * x * e).ln_1p() * s / (y * y + 1.0);
    acc -= z * z * x.sin() * y.cos();
    acc
}

/// Reused intermediate values, divisions and a wider set of primitives (tanh, sqrt, atan2, powf,
/// powi, cbrt, recip, hypot, asinh), each entering the second derivative through its own rule.
#[gradient(hessian)]
fn wide(x: f64, y: f64, z: f64) -> f64 {
    let r = x.hypot(y);
    let t = (x * z).tanh();
    let q = (1.0 + y * y).sqrt();
    let w = y.atan2(2.0 + z * z);
    t * r + q.powf(1.5) * w - (x - z).powi(3) / (3.0 + q)
        + (1.0 + r).cbrt() * z.asinh()
        + (2.0 + x * x).recip() * y
}

fn wide_g<D: DualNum<Primitive = f64> + Copy>([x, y, z]: [D; 3]) -> D {
    let r = (x * x + y * y).sqrt();
    let t = (x * z).tanh();
    let q = (y * y + 1.0).sqrt();
    let w = y.atan2(z * z + 2.0);
    t * r + q.powf(1.5) * w - (x - z).powi(3) / (q + 3.0)
        + (r + 1.0).cbrt() * z.asinh()
        + (x * x + 2.0).recip() * y
}

/// More primitives: exp2, exp_m1, ln, log2, log10, log(base), cos, tan, sinh, cosh, atan,
/// mul_add, to_degrees.
#[gradient(hessian)]
fn wide2(x: f64, y: f64, z: f64) -> f64 {
    let a = (1.0 + x * x + y * y).ln();
    let b = (2.0 + z.cos()).log2() * x.exp2();
    let c = (3.0 + y.sin()).log10() * z.exp_m1() + (6.0 + x * z).log(3.0);
    let d = (0.5 * y).tan() * (0.3 * x).sinh() + (0.2 * z).cosh() * y.atan();
    a * b + c - d + x.mul_add(y, z * z) * 0.25 + (x * y).to_degrees() * 0.01
}

fn wide2_g<D: DualNum<Primitive = f64> + Copy>([x, y, z]: [D; 3]) -> D {
    let a = (x * x + y * y + 1.0).ln();
    let b = (z.cos() + 2.0).log2() * x.exp2();
    let cc = (y.sin() + 3.0).log10() * z.exp_m1() + (x * z + 6.0).log(3.0);
    let d = (y * 0.5).tan() * (x * 0.3).sinh() + (z * 0.2).cosh() * y.atan();
    a * b + cc - d + (x * y + z * z) * 0.25 + (x * y) * (180.0 / std::f64::consts::PI) * 0.01
}

/// A product of four inputs: every off-diagonal entry is the product of the other two, every
/// diagonal entry 0.
#[gradient(hessian)]
fn prod4(a: f64, b: f64, c: f64, d: f64) -> f64 {
    a * b * c * d
}

#[test]
fn product_of_four_exact() {
    let h: [[f64; 4]; 4] = prod4_hessian(2.0, 3.0, 5.0, 7.0);
    assert_eq!(
        h,
        [
            [0.0, 35.0, 21.0, 15.0],
            [35.0, 0.0, 14.0, 10.0],
            [21.0, 14.0, 0.0, 6.0],
            [15.0, 10.0, 6.0, 0.0],
        ]
    );
}

/// One-input functions against num-dual's `Dual2` (second derivative) at many points.
#[gradient(hessian)]
fn wave(x: f64) -> f64 {
    (2.0 * x).sin() * x.exp() / (1.0 + x * x) + (x * x).ln_1p()
}

fn wave_g<D: DualNum<Primitive = f64> + Copy>(x: D) -> D {
    (x * 2.0).sin() * x.exp() / (x * x + 1.0) + (x * x).ln_1p()
}

#[test]
fn one_input_second_derivative_matches_dual2() {
    for x in linspace(-4.0, 4.0, 41) {
        let h: [[f64; 1]; 1] = wave_hessian(x);
        let (v, g, h2): (f64, [f64; 1], [[f64; 1]; 1]) = wave_value_gradient_and_hessian(x);
        let (nv, ng, nh) = second_derivative(wave_g::<Dual2_64>, x);
        let ctx = format!("wave at {x}");
        assert_close_ctx(v, nv, 1e-13, &ctx);
        assert_close_ctx(g[0], ng, RTOL, &ctx);
        assert_close_ctx(h[0][0], nh, RTOL, &ctx);
        assert_close_ctx(h2[0][0], h[0][0], 1e-14, &ctx);
        assert_close_ctx(
            h[0][0],
            fd_median(|t| wave_gradient(t)[0], x),
            FD,
            &format!("finite differences, {ctx}"),
        );
    }
}

/// A linear function has the zero Hessian (no materialised garbage, exactly 0).
#[gradient(hessian)]
fn linear(x: f64, y: f64) -> f64 {
    2.0 * x - y + 3.0
}

#[test]
fn linear_function_has_zero_hessian() {
    for (x, y) in grid2(&[-2.0, 0.0, 1.5], &[-1.0, 0.5, 7.0]) {
        assert_eq!(linear_hessian(x, y), [[0.0, 0.0], [0.0, 0.0]]);
        assert_eq!(
            linear_value_gradient_and_hessian(x, y),
            (2.0 * x - y + 3.0, [2.0, -1.0], [[0.0, 0.0], [0.0, 0.0]])
        );
    }
}

#[test]
fn mixed_functions_on_a_grid() {
    let xs = [-1.7, -0.6, 0.0, 0.35, 1.3];
    let ys = [-1.1, -0.2, 0.45, 1.6];
    let zs = [-2.2, -0.5, 0.0, 0.9, 2.4];
    for &x in &xs {
        for &y in &ys {
            for &z in &zs {
                let p = [x, y, z];
                check_three(
                    "mixed",
                    mixed,
                    mixed_gradient,
                    mixed_hessian,
                    mixed_value_gradient_and_hessian,
                    mixed_g,
                    p,
                    true,
                );
                check_three(
                    "mixed2",
                    mixed2,
                    mixed2_gradient,
                    mixed2_hessian,
                    mixed2_value_gradient_and_hessian,
                    mixed2_g,
                    p,
                    true,
                );
                check_three(
                    "wide",
                    wide,
                    wide_gradient,
                    wide_hessian,
                    wide_value_gradient_and_hessian,
                    wide_g,
                    p,
                    true,
                );
                check_three(
                    "wide2",
                    wide2,
                    wide2_gradient,
                    wide2_hessian,
                    wide2_value_gradient_and_hessian,
                    wide2_g,
                    p,
                    true,
                );
            }
        }
    }
}

fn coord() -> impl Strategy<Value = f64> {
    -2.0..2.0_f64
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    // Finite differences are a second oracle only where they are reliable at every random
    // point: not for `wide` near the singularity of `hypot` at x = y = 0, nor for `outer`,
    // whose nested exp/cos oscillate too fast for the default step (Ridders then stops on a
    // poor estimate, ~1e-6 off), nor across a branch boundary (`branchy`). The grid tests
    // above check those three against finite differences at points where they are reliable.

    #[test]
    fn mixed_hessian_matches_num_dual(x in coord(), y in coord(), z in coord()) {
        check_three(
            "mixed",
            mixed,
            mixed_gradient,
            mixed_hessian,
            mixed_value_gradient_and_hessian,
            mixed_g,
            [x, y, z],
            true,
        );
    }

    #[test]
    fn mixed2_hessian_matches_num_dual(x in coord(), y in coord(), z in coord()) {
        check_three(
            "mixed2",
            mixed2,
            mixed2_gradient,
            mixed2_hessian,
            mixed2_value_gradient_and_hessian,
            mixed2_g,
            [x, y, z],
            true,
        );
    }

    #[test]
    fn wide_hessian_matches_num_dual(x in coord(), y in coord(), z in coord()) {
        check_three(
            "wide",
            wide,
            wide_gradient,
            wide_hessian,
            wide_value_gradient_and_hessian,
            wide_g,
            [x, y, z],
            false,
        );
    }

    #[test]
    fn wide2_hessian_matches_num_dual(x in coord(), y in coord(), z in coord()) {
        check_three(
            "wide2",
            wide2,
            wide2_gradient,
            wide2_hessian,
            wide2_value_gradient_and_hessian,
            wide2_g,
            [x, y, z],
            true,
        );
    }

    #[test]
    fn outer_hessian_matches_num_dual(x in coord(), y in coord(), z in coord()) {
        check_three(
            "outer",
            outer,
            outer_gradient,
            outer_hessian,
            outer_value_gradient_and_hessian,
            outer_g,
            [x, y, z],
            false,
        );
    }

    #[test]
    fn branchy_hessian_matches_num_dual(x in -3.0..3.0_f64, y in -3.0..3.0_f64, z in coord()) {
        check_three(
            "branchy",
            branchy,
            branchy_gradient,
            branchy_hessian,
            branchy_value_gradient_and_hessian,
            branchy_g,
            [x, y, z],
            false,
        );
    }

    #[test]
    fn array_hessian_matches_num_dual(a in coord(), b in coord(), cc in coord()) {
        let p = [a, b, cc];
        let h = arr_mixed_hessian(p);
        let (_, _, nh) = hd_value_gradient_hessian(arr_mixed_g, p);
        let ctx = format!("arr_mixed at {p:?}");
        assert_symmetric_bits(&h, &ctx);
        assert_hessian_close(&h, &nh, RTOL, &ctx);
    }

    #[test]
    fn rosenbrock_hessian_matches_formula(x in -3.0..3.0_f64, y in -3.0..3.0_f64) {
        let h = rosenbrock_hessian(x, y);
        let ctx = format!("at ({x}, {y})");
        assert_symmetric_bits(&h, &ctx);
        // The (0, 0) entry is a difference of terms up to ~1e4: allow their rounding.
        assert_hessian_close(&h, &rosenbrock_hessian_exact(x, y), 1e-11, &ctx);
    }
}

// ---------------------------------------------------------------------------------------------
// Symmetry, bit for bit
// ---------------------------------------------------------------------------------------------

/// Asymmetric structure: a reverse-over-forward or forward-over-reverse scheme that computed
/// H[i][j] and H[j][i] separately would round them differently.
#[gradient(hessian)]
fn lopsided(a: f64, b: f64, c: f64, d: f64) -> f64 {
    let u = a.sin() * b.exp() / (1.0 + c * c);
    let v = (a * b * c).tanh() * a * a * a - b.atan2(d + 3.0);
    let w = (0.2 * u * v + d).exp() * (c - a) / (2.0 + d * d);
    u * v * w + (u * u / (1.5 + v * v)).ln_1p() * d
}

#[test]
fn hessians_are_exactly_symmetric() {
    let pts = linspace(-1.2, 1.1, 7);
    for &a in &pts {
        for &b in &pts {
            for &cc in &[-1.3, 0.2, 1.1] {
                for &d in &[-0.8, 0.4, 1.9] {
                    let ctx = format!("lopsided at {:?}", [a, b, cc, d]);
                    let h = lopsided_hessian(a, b, cc, d);
                    assert_symmetric_bits(&h, &ctx);
                    let (_, _, h2) = lopsided_value_gradient_and_hessian(a, b, cc, d);
                    assert_symmetric_bits(&h2, &ctx);
                    let h = mixed_hessian(a, b, cc);
                    assert_symmetric_bits(&h, &format!("mixed at {:?}", [a, b, cc]));
                    let h = wide_hessian(a, b, d);
                    assert_symmetric_bits(&h, &format!("wide at {:?}", [a, b, d]));
                    let h = wide2_hessian(a, b, d);
                    assert_symmetric_bits(&h, &format!("wide2 at {:?}", [a, b, d]));
                }
            }
        }
    }
}

fn lopsided_g<D: DualNum<Primitive = f64> + Copy>([a, b, cc, d]: [D; 4]) -> D {
    let u = a.sin() * b.exp() / (cc * cc + 1.0);
    let v = (a * b * cc).tanh() * a * a * a - b.atan2(d + 3.0);
    let w = (u * v * 0.2 + d).exp() * (cc - a) / (d * d + 2.0);
    u * v * w + (u * u / (v * v + 1.5)).ln_1p() * d
}

#[test]
fn lopsided_hessian_matches_num_dual() {
    let pts = linspace(-1.2, 1.1, 5);
    for &a in &pts {
        for &b in &pts {
            for &cc in &[-1.3, 0.2, 1.1] {
                for &d in &[-0.8, 0.4, 1.9] {
                    let p = [a, b, cc, d];
                    let ctx = format!("lopsided at {p:?}");
                    let h = lopsided_hessian(a, b, cc, d);
                    let (_, _, nh) = hd_value_gradient_hessian(lopsided_g, p);
                    assert_hessian_close(&h, &nh, 1e-8, &ctx);
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// `wrt` combined with `hessian`
// ---------------------------------------------------------------------------------------------

/// Differentiated: `w` (two scalars) and `b`; `x` is a constant float, `j` a run-time index.
/// n = 3 (w[0], w[1], b), G = ([f64; 2], f64).
#[gradient(wrt(w, b), hessian)]
fn fit(w: [f64; 2], x: f64, b: f64, j: usize) -> f64 {
    let r = w[0] * x + w[1] * x.sin() + b - 1.0;
    r * r + w[j] * w[j] * b
}

/// r² has Hessian 2·∇r·∇rᵀ with ∇r = (x, sin x, 1); w[j]²·b adds 2b at (j, j) and 2w[j] at
/// (j, b) and (b, j).
fn fit_hessian_exact(w: [f64; 2], x: f64, b: f64, j: usize) -> [[f64; 3]; 3] {
    let dr = [x, x.sin(), 1.0];
    let mut h: [[f64; 3]; 3] =
        std::array::from_fn(|i| std::array::from_fn(|k| 2.0 * dr[i] * dr[k]));
    h[j][j] += 2.0 * b;
    h[j][2] += 2.0 * w[j];
    h[2][j] += 2.0 * w[j];
    h
}

#[test]
fn wrt_with_array_and_scalar_and_passthrough_index() {
    for j in 0..2 {
        for &(w, x, b) in &[
            ([0.5, -1.25], 0.75, 2.0),
            ([-2.0, 3.0], -1.5, -0.5),
            ([1.0, 1.0], 0.0, 0.0),
            ([0.3, 0.7], 2.2, 1.4),
        ] {
            let ctx = format!("fit at w = {w:?}, x = {x}, b = {b}, j = {j}");
            let h: [[f64; 3]; 3] = fit_hessian(w, x, b, j);
            let (v, (gw, gb), h2): (f64, ([f64; 2], f64), [[f64; 3]; 3]) =
                fit_value_gradient_and_hessian(w, x, b, j);
            let (gw1, gb1): ([f64; 2], f64) = fit_gradient(w, x, b, j);
            assert_symmetric_bits(&h, &ctx);
            assert_rows_close(&h, &fit_hessian_exact(w, x, b, j), 1e-14, &ctx);
            assert_rows_close(&h2, &h, 1e-14, &ctx);
            assert_close_ctx(v, fit(w, x, b, j), 1e-14, &ctx);
            assert_all_close(&[gw[0], gw[1], gb], &[gw1[0], gw1[1], gb1], 1e-14, &ctx);
            let num = fd_gradient(|p: [f64; 3]| fit([p[0], p[1]], x, p[2], j), [w[0], w[1], b]);
            assert_all_close(&[gw[0], gw[1], gb], &num, 1e-8, &ctx);
        }
    }
}

/// `wrt` names the parameters out of order: the Hessian is still in parameter order (x, z).
#[gradient(wrt(z, x), hessian)]
fn partial_xz(x: f64, y: f64, z: f64) -> f64 {
    x * x * y * z + z.sin() * x
}

#[test]
fn wrt_subset_in_parameter_order() {
    for &(x, y, z) in &[(1.0, 2.0, 0.5), (-0.5, 3.0, -1.25), (2.0, -1.0, 2.0)] {
        let h: [[f64; 2]; 2] = partial_xz_hessian(x, y, z);
        let expected = [
            [2.0 * y * z, 2.0 * x * y + z.cos()],
            [2.0 * x * y + z.cos(), -x * z.sin()],
        ];
        let ctx = format!("at ({x}, {y}, {z})");
        assert_symmetric_bits(&h, &ctx);
        assert_rows_close(&h, &expected, 1e-14, &ctx);
        let (v, g, _): (f64, [f64; 2], [[f64; 2]; 2]) =
            partial_xz_value_gradient_and_hessian(x, y, z);
        assert_close_ctx(v, partial_xz(x, y, z), 1e-15, &ctx);
        assert_all_close(
            &g,
            &[2.0 * x * y * z + z.sin(), x * x * y + z.cos() * x],
            1e-14,
            &ctx,
        );
    }
}

/// A single differentiated scalar among constants: [[f64; 1]; 1].
#[gradient(wrt(y), hessian)]
fn only_y(x: f64, y: f64, n: i32) -> f64 {
    x * y.powi(n) + y * y * x
}

#[test]
fn wrt_single_scalar() {
    let h: [[f64; 1]; 1] = only_y_hessian(3.0, 2.0, 4);
    // ∂²/∂y² = x·n(n−1)·y^(n−2) + 2x = 3·12·4 + 6 = 150.
    assert_close(h[0][0], 150.0, 1e-15);
    let (v, g, h2) = only_y_value_gradient_and_hessian(3.0, 2.0, 4);
    assert_close(v, 3.0 * 16.0 + 12.0, 1e-15);
    // ∂/∂y = x·n·y^(n−1) + 2xy = 3·4·8 + 12 = 108.
    assert_close(g[0], 108.0, 1e-15);
    assert_eq!(h2, h);
}

/// A loop over `0..w.len()` of a data array: the macro knows the length, so the trip count is
/// constant and a Hessian can be taken through the loop.
#[allow(clippy::needless_range_loop)] // the loop over the length is what is tested
#[gradient(wrt(x, y), hessian)]
fn weighted_quartic(x: f64, y: f64, w: [f64; 3]) -> f64 {
    let mut s = 0.0;
    for i in 0..w.len() {
        s += w[i] * (x * (i as f64 + 1.0) + y).powi(4);
    }
    s
}

// A trip count given to `macro_rules!` as an `$n:expr` fragment (an invisible group around
// `2 + 1`): still constant, so a Hessian can be taken through the loop.
macro_rules! power_sum {
    ($name:ident, $n:expr) => {
        /// x + x² + … + xⁿ.
        #[gradient(hessian)]
        fn $name(x: f64) -> f64 {
            let (mut p, mut s) = (1.0, 0.0);
            for _ in 0..$n {
                p *= x;
                s += p;
            }
            s
        }
    };
}

power_sum!(power_sum_3, 2 + 1);

#[test]
fn loop_bound_from_a_macro_fragment() {
    for x in [-1.5, 0.5, 2.0] {
        // (x + x² + x³)'' = 2 + 6x
        assert_close(power_sum_3_hessian(x)[0][0], 2.0 + 6.0 * x, 1e-14);
    }
}

#[test]
fn loop_over_the_length_of_a_data_array() {
    let w = [0.5, -1.0, 2.0];
    for (x, y) in [(0.3, -0.7), (1.2, 0.4)] {
        // ∂²/∂x² = Σ 12 wᵢ (i+1)² uᵢ², ∂²/∂x∂y = Σ 12 wᵢ (i+1) uᵢ², ∂²/∂y² = Σ 12 wᵢ uᵢ².
        let mut exact = [[0.0; 2]; 2];
        for (i, wi) in w.iter().enumerate() {
            let c = i as f64 + 1.0;
            let u2 = (x * c + y).powi(2);
            exact[0][0] += 12.0 * wi * c * c * u2;
            exact[0][1] += 12.0 * wi * c * u2;
            exact[1][1] += 12.0 * wi * u2;
        }
        exact[1][0] = exact[0][1];
        let h = weighted_quartic_hessian(x, y, w);
        for (row, want) in h.iter().zip(&exact) {
            assert_all_close(row, want, 1e-13, "weighted_quartic");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Run-time indices
// ---------------------------------------------------------------------------------------------

/// `v[i]² v[j] + v[0]`: with i ≠ j, H[i][i] = 2v[j], H[i][j] = H[j][i] = 2v[i]; with i = j the
/// term is v[i]³ and H[i][i] = 6v[i].
#[gradient(hessian)]
fn pick(v: [f64; 3], i: usize, j: usize) -> f64 {
    v[i] * v[i] * v[j] + v[0]
}

#[test]
fn run_time_indices() {
    let v = [1.5, -2.0, 3.0];
    for i in 0..3 {
        for j in 0..3 {
            let mut expected = [[0.0; 3]; 3];
            if i == j {
                expected[i][i] = 6.0 * v[i];
            } else {
                expected[i][i] = 2.0 * v[j];
                expected[i][j] = 2.0 * v[i];
                expected[j][i] = 2.0 * v[i];
            }
            let h: [[f64; 3]; 3] = pick_hessian(v, i, j);
            assert_eq!(h, expected, "i = {i}, j = {j}");
            let (val, g, h2) = pick_value_gradient_and_hessian(v, i, j);
            assert_eq!(val, pick(v, i, j), "i = {i}, j = {j}");
            assert_eq!(g, pick_gradient(v, i, j), "i = {i}, j = {j}");
            assert_eq!(h2, expected, "i = {i}, j = {j}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Branches and early return
// ---------------------------------------------------------------------------------------------

/// `if` as expression: H of x²y where x > y, of xy³ elsewhere.
#[gradient(hessian)]
fn branch(x: f64, y: f64) -> f64 {
    if x > y {
        x * x * y
    } else {
        x * y * y * y
    }
}

#[test]
fn branch_hessian_of_the_branch_taken() {
    // x > y: [[2y, 2x], [2x, 0]].
    assert_eq!(branch_hessian(3.0, 2.0), [[4.0, 6.0], [6.0, 0.0]]);
    assert_eq!(branch_hessian(0.5, -1.5), [[-3.0, 1.0], [1.0, 0.0]]);
    // x <= y: [[0, 3y²], [3y², 6xy]].
    assert_eq!(branch_hessian(2.0, 3.0), [[0.0, 27.0], [27.0, 36.0]]);
    assert_eq!(branch_hessian(-1.0, 0.5), [[0.0, 0.75], [0.75, -3.0]]);
    // The tie takes the `else` branch.
    assert_eq!(branch_hessian(2.0, 2.0), [[0.0, 12.0], [12.0, 24.0]]);
    assert_eq!(
        branch_value_gradient_and_hessian(3.0, 2.0),
        (18.0, [12.0, 9.0], [[4.0, 6.0], [6.0, 0.0]])
    );
    assert_eq!(
        branch_value_gradient_and_hessian(2.0, 3.0),
        (54.0, [27.0, 54.0], [[0.0, 27.0], [27.0, 36.0]])
    );
}

/// Early return: p² when p = xy > 1, else eˣy + p.
#[gradient(hessian)]
fn early(x: f64, y: f64) -> f64 {
    let p = x * y;
    if p > 1.0 {
        return p * p;
    }
    let q = x.exp() * y;
    q + p
}

#[test]
fn early_return_hessian() {
    // Returned early: p² = x²y², H = [[2y², 4xy], [4xy, 2x²]].
    assert_eq!(early_hessian(2.0, 3.0), [[18.0, 24.0], [24.0, 8.0]]);
    assert_eq!(early_hessian(-0.5, -4.0), [[32.0, 8.0], [8.0, 0.5]]);
    // Fell through: H = [[eˣy, eˣ + 1], [eˣ + 1, 0]].
    for &(x, y) in &[(0.5, 1.0), (-1.0, 2.0), (0.0, 0.0), (1.5, -0.25)] {
        let ex = f64::exp(x);
        let h = early_hessian(x, y);
        let ctx = format!("at ({x}, {y})");
        assert_symmetric_bits(&h, &ctx);
        assert_rows_close(&h, &[[ex * y, ex + 1.0], [ex + 1.0, 0.0]], 1e-15, &ctx);
        let (v, g, _) = early_value_gradient_and_hessian(x, y);
        assert_close_ctx(v, ex * y + x * y, 1e-15, &ctx);
        assert_all_close(&g, &[ex * y + y, ex + x], 1e-15, &ctx);
    }
}

/// Statement `if`s, `else if`, a nested early return and compound assignment, against num-dual.
#[gradient(hessian)]
fn branchy(x: f64, y: f64, z: f64) -> f64 {
    let mut acc = x * y + z.sin();
    if x > y {
        acc *= x.exp();
    } else if x * y > 1.0 {
        acc = (x - y).sin() * acc + 0.5 * x;
    } else {
        acc /= 1.0 + y * y;
    }
    if z < -1.0 {
        if acc > 0.0 {
            return acc * acc * z;
        }
        acc -= z * z * x;
    }
    acc * (1.0 + z * x)
}

fn branchy_g<D: DualNum<Primitive = f64> + Copy>([x, y, z]: [D; 3]) -> D {
    let mut acc = x * y + z.sin();
    if x > y {
        acc *= x.exp();
    } else if (x * y).re() > 1.0 {
        acc = (x - y).sin() * acc + x * 0.5;
    } else {
        acc /= y * y + 1.0;
    }
    if z.re() < -1.0 {
        if acc.re() > 0.0 {
            return acc * acc * z;
        }
        acc -= z * z * x;
    }
    acc * (z * x + 1.0)
}

#[test]
fn branchy_covers_every_path() {
    // One point per path: x > y; x ≤ y and xy > 1; otherwise; each with z ≥ −1, and z < −1
    // with acc positive (early return) and negative.
    let points = [
        [2.0, 1.0, 0.5],
        [1.5, 2.0, 0.5],
        [-1.0, 0.5, 0.5],
        [2.0, 1.0, -1.5],
        [2.0, -1.0, -1.5],
        [1.5, 2.0, -1.3],
        [-1.0, 0.5, -1.7],
        [0.2, 0.5, -1.2],
    ];
    for p in points {
        check_three(
            "branchy",
            branchy,
            branchy_gradient,
            branchy_hessian,
            branchy_value_gradient_and_hessian,
            branchy_g,
            p,
            true,
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Calls through callees annotated with `hessian`
// ---------------------------------------------------------------------------------------------

#[gradient(hessian)]
fn g3(x: f64) -> f64 {
    3.0 * x
}

#[gradient(hessian)]
fn h_sq(x: f64) -> f64 {
    x * x
}

/// The lecture's f(g(x), h(x)) = g²h + h with g = 3x, h = x²: f = 9x⁴ + x², f″ = 108x² + 2.
#[gradient(hessian)]
fn lecture_f(x: f64) -> f64 {
    let a = g3(x);
    let b = h_sq(x);
    a * a * b + b
}

#[test]
fn chain_through_annotated_callees_exact() {
    for x in [-3.0, -1.5, -1.0, 0.0, 0.5, 1.0, 2.0, 4.0] {
        let (v, g, h) = lecture_f_value_gradient_and_hessian(x);
        assert_eq!(v, 9.0 * x * x * x * x + x * x, "at {x}");
        assert_eq!(g, [36.0 * x * x * x + 2.0 * x], "at {x}");
        assert_eq!(h, [[108.0 * x * x + 2.0]], "at {x}");
        assert_eq!(lecture_f_hessian(x), [[108.0 * x * x + 2.0]], "at {x}");
    }
}

/// A callee's own companions, used by the callers below.
#[test]
fn callee_value_gradient_and_hessian() {
    let (v, g, h): (f64, [f64; 1], [[f64; 1]; 1]) = h_sq_value_gradient_and_hessian(3.0);
    assert_eq!((v, g, h), (9.0, [6.0], [[2.0]]));
    let (v, g, h) = inner_value_gradient_and_hessian(0.5, -1.0);
    let (nv, ng, nh) = hd_value_gradient_hessian(|[x, y]| inner_g(x, y), [0.5, -1.0]);
    assert_close(v, nv, 1e-15);
    assert_all_close(&g, &ng, 1e-14, "inner gradient");
    assert_rows_close(&h, &nh, 1e-14, "inner Hessian");
}

#[gradient(hessian)]
fn inner(x: f64, y: f64) -> f64 {
    x.sin() * y + y.exp() * 0.5
}

fn inner_g<D: DualNum<Primitive = f64> + Copy>(x: D, y: D) -> D {
    x.sin() * y + y.exp() * 0.5
}

/// Two calls to the same two-input callee, one with composite arguments, one with the result of
/// the first call: the chain rule of second order goes through both.
#[gradient(hessian)]
fn outer(x: f64, y: f64, z: f64) -> f64 {
    let a = inner(x * z, y - z);
    a * a.cos() + inner(a, x) * y
}

fn outer_g<D: DualNum<Primitive = f64> + Copy>([x, y, z]: [D; 3]) -> D {
    let a = inner_g(x * z, y - z);
    a * a.cos() + inner_g(a, x) * y
}

/// A callee with an array parameter (its Hessian is 3×3, flattened) called with an array literal
/// of composite arguments.
#[gradient(hessian)]
fn arr_callee(w: [f64; 2], s: f64) -> f64 {
    w[0] * w[1] * s + (w[0] - s).exp()
}

#[gradient(hessian)]
fn arr_caller(x: f64, y: f64) -> f64 {
    arr_callee([x * y, x + y], y.sin()) * x
}

fn arr_caller_g<D: DualNum<Primitive = f64> + Copy>([x, y]: [D; 2]) -> D {
    let w = [x * y, x + y];
    let s = y.sin();
    (w[0] * w[1] * s + (w[0] - s).exp()) * x
}

/// A callee differentiated only in `x` (`wrt`), with a trailing constant argument.
#[gradient(wrt(x), hessian)]
fn cubed_times(x: f64, c: f64) -> f64 {
    c * x * x * x
}

/// f = 2(xy)³ + y: H = [[12xy³, 18x²y²], [18x²y², 12x³y]].
#[gradient(hessian)]
fn uses_cubed(x: f64, y: f64) -> f64 {
    cubed_times(x * y, 2.0) + y
}

#[test]
fn chain_through_callees_against_num_dual() {
    for x in linspace(-1.5, 1.5, 7) {
        for y in linspace(-1.2, 1.8, 6) {
            let ctx = format!("arr_caller at ({x}, {y})");
            let h = arr_caller_hessian(x, y);
            let (v, g, nh) = hd_value_gradient_hessian(arr_caller_g, [x, y]);
            assert_symmetric_bits(&h, &ctx);
            assert_rows_close(&h, &nh, RTOL, &ctx);
            let (v1, g1, h1) = arr_caller_value_gradient_and_hessian(x, y);
            assert_close_ctx(v1, v, 1e-13, &ctx);
            assert_all_close(&g1, &g, RTOL, &ctx);
            assert_rows_close(&h1, &h, 1e-14, &ctx);
            let num =
                fd_jacobian_of_gradient(|p: [f64; 2]| arr_caller_gradient(p[0], p[1]), [x, y]);
            assert_rows_close(&h, &num, FD, &format!("finite differences, {ctx}"));
            for z in [-1.1, 0.3, 1.7] {
                check_three(
                    "outer",
                    outer,
                    outer_gradient,
                    outer_hessian,
                    outer_value_gradient_and_hessian,
                    outer_g,
                    [x, y, z],
                    true,
                );
            }
        }
    }
}

#[test]
fn chain_through_callee_with_wrt_and_trailing_constant() {
    for &(x, y) in &[(1.0, 1.0), (2.0, -1.0), (-0.5, 3.0), (0.0, 2.0)] {
        let (v, g, h) = uses_cubed_value_gradient_and_hessian(x, y);
        let p = x * y;
        assert_eq!(v, 2.0 * p * p * p + y, "at ({x}, {y})");
        assert_eq!(g, [6.0 * p * p * y, 6.0 * p * p * x + 1.0], "at ({x}, {y})");
        assert_eq!(
            h,
            [
                [12.0 * x * y * y * y, 18.0 * x * x * y * y],
                [18.0 * x * x * y * y, 12.0 * x * x * x * y]
            ],
            "at ({x}, {y})"
        );
    }
}

/// Callees by module path: `m::cube(..)` goes through `m::cube_value_gradient_and_hessian`.
mod m {
    use dual::gradient;

    #[gradient(hessian)]
    pub fn cube(x: f64) -> f64 {
        x * x * x
    }
}

/// f = (x + y)³ + x: H = 6(x + y)·[[1, 1], [1, 1]].
#[gradient(hessian)]
fn by_path(x: f64, y: f64) -> f64 {
    m::cube(x + y) + x
}

#[test]
fn chain_through_callee_by_module_path() {
    for &(x, y) in &[(1.0, 1.0), (2.0, -0.5), (-1.5, 0.25)] {
        let s = 6.0 * (x + y);
        assert_eq!(by_path_hessian(x, y), [[s, s], [s, s]], "at ({x}, {y})");
    }
}

/// Not annotated: imagine it comes from elsewhere. log(1 + eˣ).
fn softplus(x: f64) -> f64 {
    x.max(0.0) + (-x.abs()).exp().ln_1p()
}

/// Hand-written second-order companion: value, σ(x) and σ(x)(1 − σ(x)).
fn softplus_value_gradient_and_hessian(x: f64) -> (f64, [f64; 1], [[f64; 1]; 1]) {
    let s = 1.0 / (1.0 + (-x).exp());
    (softplus(x), [s], [[s * (1.0 - s)]])
}

fn softplus_value_and_gradient(x: f64) -> (f64, [f64; 1]) {
    let (v, g, _) = softplus_value_gradient_and_hessian(x);
    (v, g)
}

/// A custom second-order derivative: the caller's Hessian uses the hand-written companion.
/// f = softplus(wx): H = σ′(wx)·[[x², wx], [wx, w²]] + σ(wx)·[[0, 1], [1, 0]].
#[gradient(hessian)]
fn loss(w: f64, x: f64) -> f64 {
    softplus(w * x)
}

#[test]
fn custom_second_order_derivative() {
    for &(w, x) in &[(0.0, 3.0), (0.5, -1.5), (-2.0, 0.75), (1.25, 2.0)] {
        let z = w * x;
        let s = 1.0 / (1.0 + (-z).exp());
        let ds = s * (1.0 - s);
        let expected = [[ds * x * x, ds * w * x + s], [ds * w * x + s, ds * w * w]];
        let ctx = format!("at ({w}, {x})");
        let h = loss_hessian(w, x);
        assert_symmetric_bits(&h, &ctx);
        assert_rows_close(&h, &expected, 1e-14, &ctx);
        let (v, g, _) = loss_value_gradient_and_hessian(w, x);
        assert_close_ctx(v, softplus(z), 1e-15, &ctx);
        assert_all_close(&g, &[s * x, s * w], 1e-15, &ctx);
    }
    // σ(0) = 1/2, σ′(0) = 1/4: at (0, 3), H = [[9/4, 1/2], [1/2, 0]].
    assert_eq!(loss_hessian(0.0, 3.0), [[2.25, 0.5], [0.5, 0.0]]);
}

/// Methods and associated functions: companions are methods, `self.g(..)` and `Self::g(..)` go
/// through the callee's `_value_gradient_and_hessian` method.
struct Model {
    k: f64,
}

impl Model {
    #[gradient(hessian)]
    fn spring(&self, x: f64) -> f64 {
        0.5 * self.k * x * x
    }

    #[gradient(hessian)]
    fn gravity(h: f64) -> f64 {
        9.75 * h * h
    }

    /// E = k(xy)²/2 + 9.75y² + x: H = [[k y², 2kxy], [2kxy, kx² + 19.5]].
    #[gradient(hessian)]
    fn energy(&self, x: f64, y: f64) -> f64 {
        self.spring(x * y) + Self::gravity(y) + x
    }
}

#[test]
fn methods_and_associated_functions() {
    let model = Model { k: 4.0 };
    let h: [[f64; 1]; 1] = model.spring_hessian(3.0);
    assert_eq!(h, [[4.0]]);
    assert_eq!(Model::gravity_hessian(2.0), [[19.5]]);
    for &(x, y) in &[(1.0, 2.0), (-0.5, 1.5), (2.0, -3.0)] {
        let (v, g, h) = model.energy_value_gradient_and_hessian(x, y);
        assert_eq!(v, 2.0 * x * x * y * y + 9.75 * y * y + x, "at ({x}, {y})");
        assert_eq!(
            g,
            [4.0 * x * y * y + 1.0, 4.0 * x * x * y + 19.5 * y],
            "at ({x}, {y})"
        );
        let expected = [
            [4.0 * y * y, 8.0 * x * y],
            [8.0 * x * y, 4.0 * x * x + 19.5],
        ];
        assert_eq!(h, expected, "at ({x}, {y})");
        assert_eq!(model.energy_hessian(x, y), expected, "at ({x}, {y})");
    }
}

// ---------------------------------------------------------------------------------------------
// Piecewise primitives and primitives with several active arguments
// ---------------------------------------------------------------------------------------------

/// abs, max, min, clamp, signum, floor: piecewise linear, so away from kinks they contribute
/// only through the products around them.
#[gradient(hessian)]
fn piecewise(x: f64, y: f64) -> f64 {
    x.abs() * y
        + x.max(y) * x.min(2.0 * y)
        + (x * y).clamp(-1.0, 1.0) * x
        + x.signum() * y * y
        + x.floor() * y
}

#[test]
fn piecewise_hessians() {
    // (1.5, 2): |x|y → [[0, 1], [1, 0]]; max → y, min → x: xy → [[0, 1], [1, 0]];
    // clamp saturated (xy = 3): 1·x → 0; signum = 1: y² → [[0, 0], [0, 2]]; floor·y → 0.
    assert_eq!(piecewise_hessian(1.5, 2.0), [[0.0, 2.0], [2.0, 2.0]]);
    // (−0.5, 1): |x|y → [[0, −1], [−1, 0]]; max → y, min → x: [[0, 1], [1, 0]];
    // clamp inside (xy = −0.5): x²y → [[2y, 2x], [2x, 0]] = [[2, −1], [−1, 0]];
    // signum = −1: −y² → [[0, 0], [0, −2]].
    assert_eq!(piecewise_hessian(-0.5, 1.0), [[2.0, -1.0], [-1.0, -2.0]]);
    // (3, −1): |x|y → [[0, 1], [1, 0]]; max → x, min → 2y: 2xy → [[0, 2], [2, 0]];
    // clamp saturated (xy = −3): −x → 0; signum = 1: y² → [[0, 0], [0, 2]].
    assert_eq!(piecewise_hessian(3.0, -1.0), [[0.0, 3.0], [3.0, 2.0]]);
}

/// powf with an active exponent, log with an active base, atan2, hypot and mul_add with every
/// argument active.
#[gradient(hessian)]
fn several_args(x: f64, y: f64, z: f64) -> f64 {
    x.powf(y) + z.log(x) + y.atan2(z) * x + x.hypot(z) * y + x.mul_add(y, z) * z
}

fn several_args_g<D: DualNum<Primitive = f64> + Copy>([x, y, z]: [D; 3]) -> D {
    x.powd(y) + z.ln() / x.ln() + y.atan2(z) * x + (x * x + z * z).sqrt() * y + (x * y + z) * z
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn several_active_arguments_match_num_dual(
        x in 1.5..3.0_f64, y in -2.0..2.0_f64, z in 0.5..3.0_f64,
    ) {
        check_three(
            "several_args",
            several_args,
            several_args_gradient,
            several_args_hessian,
            several_args_value_gradient_and_hessian,
            several_args_g,
            [x, y, z],
            true,
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Quadratic forms: exactly 2A (symmetric A) and A + Aᵀ (any A)
// ---------------------------------------------------------------------------------------------

const A: [[f64; 3]; 3] = [[2.0, -1.0, 3.0], [-1.0, 4.0, 0.5], [3.0, 0.5, -5.0]];

/// xᵀAx with a symmetric `const` matrix.
#[gradient(hessian)]
fn quad(x: [f64; 3]) -> f64 {
    A[0][0] * x[0] * x[0]
        + A[0][1] * x[0] * x[1]
        + A[0][2] * x[0] * x[2]
        + A[1][0] * x[1] * x[0]
        + A[1][1] * x[1] * x[1]
        + A[1][2] * x[1] * x[2]
        + A[2][0] * x[2] * x[0]
        + A[2][1] * x[2] * x[1]
        + A[2][2] * x[2] * x[2]
}

/// xᵀBx + cᵀx with the matrix and the vector passed as constants by reference.
#[gradient(hessian)]
fn quad_param(x: [f64; 3], b: &[[f64; 3]; 3], c: &[f64; 3]) -> f64 {
    let mut s = c[0] * x[0] + c[1] * x[1] + c[2] * x[2];
    s += x[0] * (b[0][0] * x[0] + b[0][1] * x[1] + b[0][2] * x[2]);
    s += x[1] * (b[1][0] * x[0] + b[1][1] * x[1] + b[1][2] * x[2]);
    s += x[2] * (b[2][0] * x[0] + b[2][1] * x[1] + b[2][2] * x[2]);
    s
}

#[test]
fn quadratic_form_hessian_is_exactly_two_a() {
    let two_a = A.map(|row| row.map(|a| 2.0 * a));
    for x in [
        [0.0, 0.0, 0.0],
        [1.0, 2.0, 3.0],
        [-0.7, 1.3, 2.9],
        [1e3, -1e-3, 5.5],
    ] {
        let h: [[f64; 3]; 3] = quad_hessian(x);
        assert_eq!(h, two_a, "at {x:?}");
        let (_, g, h2) = quad_value_gradient_and_hessian(x);
        assert_eq!(h2, two_a, "at {x:?}");
        // ∇ = 2Ax.
        let expected: [f64; 3] =
            std::array::from_fn(|i| 2.0 * (A[i][0] * x[0] + A[i][1] * x[1] + A[i][2] * x[2]));
        assert_all_close(&g, &expected, 1e-14, &format!("gradient at {x:?}"));
    }
}

#[test]
fn quadratic_form_with_any_matrix_gives_a_plus_a_transpose() {
    let b = [[1.0, 2.0, -3.0], [0.5, -4.0, 7.0], [6.0, 0.25, 2.0]];
    let c = [1.0, -2.0, 0.5];
    let expected: [[f64; 3]; 3] =
        std::array::from_fn(|i| std::array::from_fn(|j| b[i][j] + b[j][i]));
    for x in [[0.0, 0.0, 0.0], [1.0, 2.0, 3.0], [-0.7, 1.3, 2.9]] {
        let h = quad_param_hessian(x, &b, &c);
        assert_eq!(h, expected, "at {x:?}");
        let sym = A.map(|row| row.map(|a| a * 0.5));
        assert_eq!(quad_param_hessian(x, &sym, &c), A, "at {x:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// The first-order companions of a `hessian` function
// ---------------------------------------------------------------------------------------------

#[test]
fn first_order_companions_still_correct() {
    for &(x, y, z) in &[(0.3, -0.7, 1.1), (-1.2, 0.4, -0.5), (1.0, 1.0, 1.0)] {
        let ctx = format!("mixed at ({x}, {y}, {z})");
        let g: [f64; 3] = mixed_gradient(x, y, z);
        let (v, g2): (f64, [f64; 3]) = mixed_value_and_gradient(x, y, z);
        let (_, ng, _) = hd_value_gradient_hessian(mixed_g, [x, y, z]);
        assert_close_ctx(v, mixed(x, y, z), 1e-15, &ctx);
        assert_all_close(&g, &ng, RTOL, &ctx);
        assert_all_close(&g2, &g, 1e-15, &ctx);
        let num = fd_gradient(|p: [f64; 3]| mixed(p[0], p[1], p[2]), [x, y, z]);
        assert_all_close(&g, &num, 1e-8, &ctx);
    }
    let (v, g): (f64, [f64; 2]) = rosenbrock_value_and_gradient(-1.5, 2.0);
    assert_eq!(v, 2.5 * 2.5 + 100.0 * 0.25 * 0.25);
    assert_eq!(g, [-5.0 + 600.0 * -0.25, 200.0 * -0.25]);
    assert_eq!(rosenbrock_gradient(-1.5, 2.0), g);
    let (v, (gw, gb)): (f64, ([f64; 2], f64)) = fit_value_and_gradient([1.0, 2.0], 0.0, 3.0, 1);
    // r = b − 1 = 2, f = r² + w[1]²b = 4 + 12.
    assert_eq!(v, 16.0);
    assert_eq!(gw, [0.0, 12.0]);
    assert_eq!(gb, 4.0 + 4.0);
    let g: [f64; 3] = pick_gradient([1.5, -2.0, 3.0], 1, 2);
    assert_eq!(g, [1.0, -12.0, 4.0]);
}

/// The oracle itself on a known Hessian, so that a broken oracle cannot decide a test.
#[test]
fn oracle_self_check() {
    let (v, g, h) = hd_value_gradient_hessian(
        |[x, y]: [HyperDual64; 2]| x * x * x * y + y.sin() * x,
        [2.0, 0.5],
    );
    assert_close(v, 4.0 + 0.5f64.sin() * 2.0, 1e-15);
    assert_all_close(
        &g,
        &[12.0 * 0.5 + 0.5f64.sin(), 8.0 + 0.5f64.cos() * 2.0],
        1e-15,
        "g",
    );
    assert_rows_close(
        &h,
        &[
            [6.0 * 2.0 * 0.5, 3.0 * 4.0 + 0.5f64.cos()],
            [3.0 * 4.0 + 0.5f64.cos(), -(0.5f64.sin()) * 2.0],
        ],
        1e-15,
        "H",
    );
    let h = fd_jacobian_of_gradient(
        |p: [f64; 2]| [3.0 * p[0] * p[0] * p[1], p[0] * p[0] * p[0]],
        [2.0, 0.5],
    );
    assert_rows_close(&h, &[[6.0, 12.0], [12.0, 0.0]], 1e-10, "fd");
}
