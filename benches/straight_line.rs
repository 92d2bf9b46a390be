//! Straight-line benchmarks: six cases users recognise — Rosenbrock 2-D, Ackley 2-D,
//! the logistic loss of one sample `wrt(w, b)` over 4 features, the product of 16 variables, the
//! 3×3 Jacobian of perceptron net inputs, and the Hessian of Rosenbrock. For each, side by side in
//! one run:
//!
//! - the function alone;
//! - an expert's hand-written analytic derivative, and the same with the value;
//! - the generated companion (`_gradient`, `_jacobian` or `_hessian`), and the one with the value
//!   (`_value_and_gradient`, `_value_and_jacobian`, `_value_gradient_and_hessian`);
//! - num-dual 0.15's `gradient` / `jacobian` / `hessian` of a generic version of the function
//!   (vector dual numbers of static size; they return the value too);
//! - central finite differences (2n evaluations; for the Hessian, the usual second differences).
//!
//! Run with `cargo bench --bench straight_line`. After divan's table, a summary measures every
//! variant of a case in alternating batches (so that all see the same machine state) and prints
//! the ratios, then the nanoseconds.

// The functions are written the way users write them; the hand-written derivatives the way an
// expert does.
#![allow(missing_docs, clippy::needless_range_loop)]

mod support;

use std::f64::consts::{E, PI, TAU};
use support::{interleaved_ns, Summary};

use divan::black_box;
use dual::gradient;
use nalgebra::SVector;
use num_dual::{Dual2SVec64, DualNum, DualSVec64};

fn main() {
    sanity_check();
    divan::main();
    // Like divan: benchmark mode with `--bench` (which `cargo bench` passes) unless `--test`;
    // otherwise (`cargo test --benches`) each benchmark runs once, and no summary.
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--bench") && !args.iter().any(|a| a == "--test") {
        ratio_summary();
    }
}

/// Central differences: the step `cbrt(eps) · max(1, |x|)`.
fn step(v: f64) -> f64 {
    6.0554544523933395e-6 * v.abs().max(1.0)
}

/// The central-difference gradient of `f` at `x` (2n evaluations).
#[inline]
fn central_gradient<const N: usize>(f: impl Fn([f64; N]) -> f64, x: [f64; N]) -> [f64; N] {
    let mut g = [0.0; N];
    let mut p = x;
    for i in 0..N {
        let h = step(x[i]);
        p[i] = x[i] + h;
        let fp = f(p);
        p[i] = x[i] - h;
        let fm = f(p);
        p[i] = x[i];
        g[i] = (fp - fm) / (2.0 * h);
    }
    g
}

// ---------------------------------------------------------------------------------------------
// 1. Rosenbrock 2-D (and 6. its Hessian)
// ---------------------------------------------------------------------------------------------

const ROSENBROCK_AT: (f64, f64) = (-1.2, 1.0);

#[gradient(hessian)]
fn rosenbrock(x: f64, y: f64) -> f64 {
    (1.0 - x).powi(2) + 100.0 * (y - x * x).powi(2)
}

#[inline]
fn rosenbrock_gradient_hand(x: f64, y: f64) -> [f64; 2] {
    let gy = 200.0 * (y - x * x);
    [-2.0 * (x * gy + (1.0 - x)), gy]
}

#[inline]
fn rosenbrock_value_and_gradient_hand(x: f64, y: f64) -> (f64, [f64; 2]) {
    let u = 1.0 - x;
    let t = y - x * x;
    let gy = 200.0 * t;
    (u * u + 100.0 * t * t, [-2.0 * (x * gy + u), gy])
}

#[inline]
fn rosenbrock_hessian_hand(x: f64, y: f64) -> [[f64; 2]; 2] {
    let hxy = -400.0 * x;
    [[1200.0 * x * x - 400.0 * y + 2.0, hxy], [hxy, 200.0]]
}

#[inline]
#[allow(clippy::type_complexity)]
fn rosenbrock_value_gradient_and_hessian_hand(x: f64, y: f64) -> (f64, [f64; 2], [[f64; 2]; 2]) {
    let u = 1.0 - x;
    let x2 = x * x;
    let t = y - x2;
    let gy = 200.0 * t;
    let hxy = -400.0 * x;
    (
        u * u + 100.0 * t * t,
        [-2.0 * (x * gy + u), gy],
        [[1200.0 * x2 - 400.0 * y + 2.0, hxy], [hxy, 200.0]],
    )
}

fn rosenbrock_generic<D: DualNum<Primitive = f64> + Copy>(x: D, y: D) -> D {
    (-x + 1.0).powi(2) + (y - x * x).powi(2) * 100.0
}

#[inline]
fn rosenbrock_num_dual(x: f64, y: f64) -> (f64, SVector<f64, 2>) {
    num_dual::gradient(
        |v: SVector<DualSVec64<2>, 2>| rosenbrock_generic(v[0], v[1]),
        &SVector::from([x, y]),
    )
}

#[inline]
fn rosenbrock_fd(x: f64, y: f64) -> [f64; 2] {
    central_gradient(|v| rosenbrock(v[0], v[1]), [x, y])
}

#[inline]
#[allow(clippy::type_complexity)]
fn rosenbrock_hessian_num_dual(x: f64, y: f64) -> (f64, SVector<f64, 2>, nalgebra::Matrix2<f64>) {
    num_dual::hessian(
        |v: SVector<Dual2SVec64<2>, 2>| rosenbrock_generic(v[0], v[1]),
        &SVector::from([x, y]),
    )
}

/// Second central differences (step `eps^(1/4) · max(1, |x|)`): 1 + 2n + 4·n(n−1)/2 evaluations.
#[inline]
fn rosenbrock_hessian_fd(x: f64, y: f64) -> [[f64; 2]; 2] {
    let f = |v: [f64; 2]| rosenbrock(v[0], v[1]);
    let p = [x, y];
    let h = p.map(|v| 1.220703125e-4 * v.abs().max(1.0));
    let f0 = f(p);
    let mut m = [[0.0; 2]; 2];
    for i in 0..2 {
        let mut q = p;
        q[i] = p[i] + h[i];
        let fp = f(q);
        q[i] = p[i] - h[i];
        let fm = f(q);
        m[i][i] = (fp - 2.0 * f0 + fm) / (h[i] * h[i]);
        for j in i + 1..2 {
            let at = |si: f64, sj: f64| {
                let mut q = p;
                q[i] += si * h[i];
                q[j] += sj * h[j];
                f(q)
            };
            let v = (at(1.0, 1.0) - at(1.0, -1.0) - at(-1.0, 1.0) + at(-1.0, -1.0))
                / (4.0 * h[i] * h[j]);
            m[i][j] = v;
            m[j][i] = v;
        }
    }
    m
}

// ---------------------------------------------------------------------------------------------
// 2. Ackley 2-D
// ---------------------------------------------------------------------------------------------

const ACKLEY_AT: (f64, f64) = (0.3, -0.7);

#[gradient]
fn ackley(x: f64, y: f64) -> f64 {
    let r = (0.5 * (x * x + y * y)).sqrt();
    let c = 0.5 * ((2.0 * PI * x).cos() + (2.0 * PI * y).cos());
    -20.0 * (-0.2 * r).exp() - c.exp() + E + 20.0
}

/// ∂/∂x = 2·e^(−0.2r)·x/r + π·e^c·sin(2πx), and the same in y.
#[inline]
fn ackley_gradient_hand(x: f64, y: f64) -> [f64; 2] {
    let r = (0.5 * (x * x + y * y)).sqrt();
    let (sx, cx) = (TAU * x).sin_cos();
    let (sy, cy) = (TAU * y).sin_cos();
    let a = 2.0 * (-0.2 * r).exp() / r;
    let b = PI * (0.5 * (cx + cy)).exp();
    [a * x + b * sx, a * y + b * sy]
}

#[inline]
fn ackley_value_and_gradient_hand(x: f64, y: f64) -> (f64, [f64; 2]) {
    let r = (0.5 * (x * x + y * y)).sqrt();
    let (sx, cx) = (TAU * x).sin_cos();
    let (sy, cy) = (TAU * y).sin_cos();
    let e1 = (-0.2 * r).exp();
    let e2 = (0.5 * (cx + cy)).exp();
    let a = 2.0 * e1 / r;
    let b = PI * e2;
    (-20.0 * e1 - e2 + E + 20.0, [a * x + b * sx, a * y + b * sy])
}

fn ackley_generic<D: DualNum<Primitive = f64> + Copy>(x: D, y: D) -> D {
    let r = ((x * x + y * y) * 0.5).sqrt();
    let c = ((x * TAU).cos() + (y * TAU).cos()) * 0.5;
    (r * -0.2).exp() * -20.0 - c.exp() + E + 20.0
}

#[inline]
fn ackley_num_dual(x: f64, y: f64) -> (f64, SVector<f64, 2>) {
    num_dual::gradient(
        |v: SVector<DualSVec64<2>, 2>| ackley_generic(v[0], v[1]),
        &SVector::from([x, y]),
    )
}

#[inline]
fn ackley_fd(x: f64, y: f64) -> [f64; 2] {
    central_gradient(|v| ackley(v[0], v[1]), [x, y])
}

// ---------------------------------------------------------------------------------------------
// 3. Logistic loss of one sample, wrt(w, b), 4 features
// ---------------------------------------------------------------------------------------------

const W: [f64; 4] = [0.3, -0.7, 1.1, 0.25];
const B: f64 = -0.4;
const FEATURES: [f64; 4] = [0.5, -1.2, 0.8, 2.0];
const LABEL: f64 = 1.0;

#[gradient(wrt(w, b))]
fn logistic(w: [f64; 4], b: f64, x: [f64; 4], y: f64) -> f64 {
    let z = w[0] * x[0] + w[1] * x[1] + w[2] * x[2] + w[3] * x[3] + b;
    let p = 1.0 / (1.0 + (-z).exp());
    -(y * p.ln() + (1.0 - y) * (1.0 - p).ln())
}

/// ∂L/∂z = σ(z) − y; ∂L/∂w = (σ(z) − y)·x, ∂L/∂b = σ(z) − y.
#[inline]
fn logistic_gradient_hand(w: [f64; 4], b: f64, x: [f64; 4], y: f64) -> ([f64; 4], f64) {
    let z = w[0] * x[0] + w[1] * x[1] + w[2] * x[2] + w[3] * x[3] + b;
    let d = 1.0 / (1.0 + (-z).exp()) - y;
    ([d * x[0], d * x[1], d * x[2], d * x[3]], d)
}

#[inline]
fn logistic_value_and_gradient_hand(
    w: [f64; 4],
    b: f64,
    x: [f64; 4],
    y: f64,
) -> (f64, ([f64; 4], f64)) {
    let z = w[0] * x[0] + w[1] * x[1] + w[2] * x[2] + w[3] * x[3] + b;
    let p = 1.0 / (1.0 + (-z).exp());
    let d = p - y;
    (
        -(y * p.ln() + (1.0 - y) * (1.0 - p).ln()),
        ([d * x[0], d * x[1], d * x[2], d * x[3]], d),
    )
}

fn logistic_generic<D: DualNum<Primitive = f64> + Copy>(
    v: SVector<D, 5>,
    x: [f64; 4],
    y: f64,
) -> D {
    let z = v[0] * x[0] + v[1] * x[1] + v[2] * x[2] + v[3] * x[3] + v[4];
    let p = ((-z).exp() + 1.0).recip();
    -(p.ln() * y + (-p + 1.0).ln() * (1.0 - y))
}

#[inline]
fn logistic_num_dual(w: [f64; 4], b: f64, x: [f64; 4], y: f64) -> (f64, SVector<f64, 5>) {
    num_dual::gradient(
        |v: SVector<DualSVec64<5>, 5>| logistic_generic(v, x, y),
        &SVector::from([w[0], w[1], w[2], w[3], b]),
    )
}

#[inline]
fn logistic_fd(w: [f64; 4], b: f64, x: [f64; 4], y: f64) -> ([f64; 4], f64) {
    let g = central_gradient(
        |p| logistic([p[0], p[1], p[2], p[3]], p[4], x, y),
        [w[0], w[1], w[2], w[3], b],
    );
    ([g[0], g[1], g[2], g[3]], g[4])
}

// ---------------------------------------------------------------------------------------------
// 4. The product of 16 variables
// ---------------------------------------------------------------------------------------------

const PRODUCT_AT: [f64; 16] = [
    1.05, 0.93, 1.12, 0.87, 1.01, 0.96, 1.08, 0.91, 1.03, 0.99, 1.10, 0.94, 1.06, 0.89, 1.02, 0.97,
];

#[gradient]
fn product16(x: [f64; 16]) -> f64 {
    x[0] * x[1]
        * x[2]
        * x[3]
        * x[4]
        * x[5]
        * x[6]
        * x[7]
        * x[8]
        * x[9]
        * x[10]
        * x[11]
        * x[12]
        * x[13]
        * x[14]
        * x[15]
}

/// Prefix and suffix products: ∂/∂xᵢ = (x₀⋯xᵢ₋₁)·(xᵢ₊₁⋯x₁₅), 3n multiplications.
#[inline]
fn product16_gradient_hand(x: [f64; 16]) -> [f64; 16] {
    let mut g = [0.0; 16];
    let mut prefix = 1.0;
    for i in 0..16 {
        g[i] = prefix;
        prefix *= x[i];
    }
    let mut suffix = 1.0;
    for i in (0..16).rev() {
        g[i] *= suffix;
        suffix *= x[i];
    }
    g
}

#[inline]
fn product16_value_and_gradient_hand(x: [f64; 16]) -> (f64, [f64; 16]) {
    let mut g = [0.0; 16];
    let mut prefix = 1.0;
    for i in 0..16 {
        g[i] = prefix;
        prefix *= x[i];
    }
    let mut suffix = 1.0;
    for i in (0..16).rev() {
        g[i] *= suffix;
        suffix *= x[i];
    }
    (prefix, g)
}

fn product16_generic<D: DualNum<Primitive = f64> + Copy>(x: SVector<D, 16>) -> D {
    let mut p = x[0];
    for i in 1..16 {
        p *= x[i];
    }
    p
}

#[inline]
fn product16_num_dual(x: [f64; 16]) -> (f64, SVector<f64, 16>) {
    num_dual::gradient(
        |v: SVector<DualSVec64<16>, 16>| product16_generic(v),
        &SVector::from(x),
    )
}

#[inline]
fn product16_fd(x: [f64; 16]) -> [f64; 16] {
    central_gradient(product16, x)
}

// ---------------------------------------------------------------------------------------------
// 5. The 3×3 Jacobian of perceptron net inputs z = W·x + b (wrt x)
// ---------------------------------------------------------------------------------------------

const NET_W: [f64; 9] = [0.2, -0.5, 0.9, 1.3, 0.4, -0.8, -0.6, 0.7, 0.1];
const NET_B: [f64; 3] = [0.05, -0.15, 0.3];
const NET_X: [f64; 3] = [0.6, -1.1, 0.35];

#[gradient(wrt(x))]
fn net_inputs(w: [f64; 9], b: [f64; 3], x: [f64; 3]) -> [f64; 3] {
    [
        w[0] * x[0] + w[1] * x[1] + w[2] * x[2] + b[0],
        w[3] * x[0] + w[4] * x[1] + w[5] * x[2] + b[1],
        w[6] * x[0] + w[7] * x[1] + w[8] * x[2] + b[2],
    ]
}

/// ∂z/∂x = W.
#[inline]
fn net_inputs_jacobian_hand(w: [f64; 9], _b: [f64; 3], _x: [f64; 3]) -> [[f64; 3]; 3] {
    [[w[0], w[1], w[2]], [w[3], w[4], w[5]], [w[6], w[7], w[8]]]
}

#[inline]
fn net_inputs_value_and_jacobian_hand(
    w: [f64; 9],
    b: [f64; 3],
    x: [f64; 3],
) -> ([f64; 3], [[f64; 3]; 3]) {
    (
        [
            w[0] * x[0] + w[1] * x[1] + w[2] * x[2] + b[0],
            w[3] * x[0] + w[4] * x[1] + w[5] * x[2] + b[1],
            w[6] * x[0] + w[7] * x[1] + w[8] * x[2] + b[2],
        ],
        [[w[0], w[1], w[2]], [w[3], w[4], w[5]], [w[6], w[7], w[8]]],
    )
}

fn net_inputs_generic<D: DualNum<Primitive = f64> + Copy>(
    w: [f64; 9],
    b: [f64; 3],
    x: SVector<D, 3>,
) -> SVector<D, 3> {
    SVector::from([
        x[0] * w[0] + x[1] * w[1] + x[2] * w[2] + b[0],
        x[0] * w[3] + x[1] * w[4] + x[2] * w[5] + b[1],
        x[0] * w[6] + x[1] * w[7] + x[2] * w[8] + b[2],
    ])
}

#[inline]
fn net_inputs_num_dual(
    w: [f64; 9],
    b: [f64; 3],
    x: [f64; 3],
) -> (SVector<f64, 3>, nalgebra::Matrix3<f64>) {
    num_dual::jacobian(
        |v: SVector<DualSVec64<3>, 3>| net_inputs_generic(w, b, v),
        &SVector::from(x),
    )
}

/// Central differences, one column per input (2n evaluations of the vector function).
#[inline]
fn net_inputs_fd(w: [f64; 9], b: [f64; 3], x: [f64; 3]) -> [[f64; 3]; 3] {
    let mut jac = [[0.0; 3]; 3];
    let mut p = x;
    for k in 0..3 {
        let h = step(x[k]);
        p[k] = x[k] + h;
        let fp = net_inputs(w, b, p);
        p[k] = x[k] - h;
        let fm = net_inputs(w, b, p);
        p[k] = x[k];
        for i in 0..3 {
            jac[i][k] = (fp[i] - fm[i]) / (2.0 * h);
        }
    }
    jac
}

// ---------------------------------------------------------------------------------------------
// divan
// ---------------------------------------------------------------------------------------------

/// One divan group per case: `a` the function, `b`/`c` hand-written/generated derivative,
/// `d`/`e` hand-written/generated value and derivative, `f` num-dual, `g` central differences.
macro_rules! case_group {
    ($group:ident, $name:literal, ($($arg:expr),*),
     $function:path, $hand:path, $generated:path, $hand_v:path, $generated_v:path,
     $num_dual:path, $fd:path) => {
        #[divan::bench_group(name = $name)]
        mod $group {
            use super::*;

            #[divan::bench]
            fn a_function() -> impl Sized {
                $function($(black_box($arg)),*)
            }

            #[divan::bench]
            fn b_hand() -> impl Sized {
                $hand($(black_box($arg)),*)
            }

            #[divan::bench]
            fn c_generated() -> impl Sized {
                $generated($(black_box($arg)),*)
            }

            #[divan::bench]
            fn d_hand_with_value() -> impl Sized {
                $hand_v($(black_box($arg)),*)
            }

            #[divan::bench]
            fn e_generated_with_value() -> impl Sized {
                $generated_v($(black_box($arg)),*)
            }

            #[divan::bench]
            fn f_num_dual() -> impl Sized {
                $num_dual($(black_box($arg)),*)
            }

            #[divan::bench]
            fn g_central_differences() -> impl Sized {
                $fd($(black_box($arg)),*)
            }
        }
    };
}

case_group!(
    rosenbrock_group,
    "1_rosenbrock_gradient",
    (ROSENBROCK_AT.0, ROSENBROCK_AT.1),
    rosenbrock,
    rosenbrock_gradient_hand,
    rosenbrock_gradient,
    rosenbrock_value_and_gradient_hand,
    rosenbrock_value_and_gradient,
    rosenbrock_num_dual,
    rosenbrock_fd
);
case_group!(
    ackley_group,
    "2_ackley_gradient",
    (ACKLEY_AT.0, ACKLEY_AT.1),
    ackley,
    ackley_gradient_hand,
    ackley_gradient,
    ackley_value_and_gradient_hand,
    ackley_value_and_gradient,
    ackley_num_dual,
    ackley_fd
);
case_group!(
    logistic_group,
    "3_logistic_gradient",
    (W, B, FEATURES, LABEL),
    logistic,
    logistic_gradient_hand,
    logistic_gradient,
    logistic_value_and_gradient_hand,
    logistic_value_and_gradient,
    logistic_num_dual,
    logistic_fd
);
case_group!(
    product_group,
    "4_product16_gradient",
    (PRODUCT_AT),
    product16,
    product16_gradient_hand,
    product16_gradient,
    product16_value_and_gradient_hand,
    product16_value_and_gradient,
    product16_num_dual,
    product16_fd
);
case_group!(
    net_group,
    "5_net_inputs_jacobian",
    (NET_W, NET_B, NET_X),
    net_inputs,
    net_inputs_jacobian_hand,
    net_inputs_jacobian,
    net_inputs_value_and_jacobian_hand,
    net_inputs_value_and_jacobian,
    net_inputs_num_dual,
    net_inputs_fd
);
case_group!(
    hessian_group,
    "6_rosenbrock_hessian",
    (ROSENBROCK_AT.0, ROSENBROCK_AT.1),
    rosenbrock,
    rosenbrock_hessian_hand,
    rosenbrock_hessian,
    rosenbrock_value_gradient_and_hessian_hand,
    rosenbrock_value_gradient_and_hessian,
    rosenbrock_hessian_num_dual,
    rosenbrock_hessian_fd
);

// ---------------------------------------------------------------------------------------------
// Ratio summary
// ---------------------------------------------------------------------------------------------

/// A batch runner: `n` calls of `$f($(black_box($arg)),*)`, each result black-boxed.
macro_rules! runner {
    ($f:path, ($($arg:expr),*)) => {
        &mut |n: u32| {
            for _ in 0..n {
                black_box($f($(black_box($arg)),*));
            }
        }
    };
}

/// The seven variants of a case, in the order of [`case_group!`].
macro_rules! measure {
    ($rounds:expr, $args:tt, $($f:path),*) => {
        interleaved_ns(&mut [$(runner!($f, $args)),*], $rounds, Summary::Median)
    };
}

/// Nanoseconds of one case: function, hand, generated, hand+value, generated+value, num-dual, FD.
struct Case {
    name: &'static str,
    ns: Vec<f64>,
}

fn geomean(v: impl Iterator<Item = f64>) -> f64 {
    let (mut s, mut n) = (0.0, 0.0);
    for x in v {
        s += x.ln();
        n += 1.0;
    }
    (s / n).exp()
}

fn ratio_summary() {
    const ROUNDS: usize = 101;
    let (rx, ry) = ROSENBROCK_AT;
    let (ax, ay) = ACKLEY_AT;
    let cases = [
        Case {
            name: "rosenbrock grad",
            ns: measure!(
                ROUNDS,
                (rx, ry),
                rosenbrock,
                rosenbrock_gradient_hand,
                rosenbrock_gradient,
                rosenbrock_value_and_gradient_hand,
                rosenbrock_value_and_gradient,
                rosenbrock_num_dual,
                rosenbrock_fd
            ),
        },
        Case {
            name: "ackley grad",
            ns: measure!(
                ROUNDS,
                (ax, ay),
                ackley,
                ackley_gradient_hand,
                ackley_gradient,
                ackley_value_and_gradient_hand,
                ackley_value_and_gradient,
                ackley_num_dual,
                ackley_fd
            ),
        },
        Case {
            name: "logistic grad",
            ns: measure!(
                ROUNDS,
                (W, B, FEATURES, LABEL),
                logistic,
                logistic_gradient_hand,
                logistic_gradient,
                logistic_value_and_gradient_hand,
                logistic_value_and_gradient,
                logistic_num_dual,
                logistic_fd
            ),
        },
        Case {
            name: "product16 grad",
            ns: measure!(
                ROUNDS,
                (PRODUCT_AT),
                product16,
                product16_gradient_hand,
                product16_gradient,
                product16_value_and_gradient_hand,
                product16_value_and_gradient,
                product16_num_dual,
                product16_fd
            ),
        },
        Case {
            name: "net 3x3 jacobian",
            ns: measure!(
                ROUNDS,
                (NET_W, NET_B, NET_X),
                net_inputs,
                net_inputs_jacobian_hand,
                net_inputs_jacobian,
                net_inputs_value_and_jacobian_hand,
                net_inputs_value_and_jacobian,
                net_inputs_num_dual,
                net_inputs_fd
            ),
        },
        Case {
            name: "rosenbrock hessian",
            ns: measure!(
                ROUNDS,
                (rx, ry),
                rosenbrock,
                rosenbrock_hessian_hand,
                rosenbrock_hessian,
                rosenbrock_value_gradient_and_hessian_hand,
                rosenbrock_value_gradient_and_hessian,
                rosenbrock_hessian_num_dual,
                rosenbrock_hessian_fd
            ),
        },
    ];

    println!();
    println!("Ratios (median ns per call, all variants of a case in alternating batches, {ROUNDS} rounds):");
    println!(
        "{:<19} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}",
        "case", "gen/hand", "gv/hv", "gen/fn", "hand/fn", "nd/hand", "nd/hv", "FD/hand",
    );
    for c in &cases {
        let [f, h, g, hv, gv, nd, fd] = c.ns[..] else {
            unreachable!()
        };
        println!(
            "{:<19} {:>8.3} {:>8.3} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>8.2}",
            c.name,
            g / h,
            gv / hv,
            g / f,
            h / f,
            nd / h,
            nd / hv,
            fd / h,
        );
    }
    let gm = |k: usize, d: usize| geomean(cases.iter().map(|c| c.ns[k] / c.ns[d]));
    println!(
        "{:<19} {:>8.3} {:>8.3} {:>8} {:>8} {:>8.2} {:>8.2} {:>8.2}",
        "geometric mean",
        gm(2, 1),
        gm(4, 3),
        "",
        "",
        gm(5, 1),
        gm(5, 3),
        gm(6, 1),
    );
    println!();
    println!("Nanoseconds per call (medians):");
    println!(
        "{:<19} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "case", "function", "hand", "generated", "hand+v", "gen+v", "num-dual", "central FD",
    );
    for c in &cases {
        print!("{:<19}", c.name);
        for v in &c.ns {
            print!(" {v:>9.2}");
        }
        println!();
    }
    println!();
    println!("gen/hand = generated derivative (_gradient, _jacobian, _hessian) / hand-written;");
    println!("gv/hv = generated with value (_value_and_gradient, _value_and_jacobian,");
    println!(
        "_value_gradient_and_hessian) / hand-written with value; gen/fn, hand/fn = derivative"
    );
    println!(
        "/ the function alone; nd = num-dual (which also returns the value: nd/hv compares it"
    );
    println!("with the hand-written value and derivative); FD = central finite differences.");
}

// ---------------------------------------------------------------------------------------------
// Sanity check: every variant computes the same derivative (so the comparison is fair)
// ---------------------------------------------------------------------------------------------

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * a.abs().max(b.abs()).max(1.0)
}

fn all_close(a: &[f64], b: &[f64], tol: f64) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(&x, &y)| close(x, y, tol))
}

fn sanity_check() {
    const EXACT: f64 = 1e-12;
    const FD: f64 = 1e-6;
    let (x, y) = ROSENBROCK_AT;
    let (v, g) = rosenbrock_value_and_gradient(x, y);
    let (hv, hg) = rosenbrock_value_and_gradient_hand(x, y);
    let (nv, ng) = rosenbrock_num_dual(x, y);
    assert!(close(v, hv, EXACT) && close(v, nv, EXACT) && close(v, rosenbrock(x, y), EXACT));
    assert!(all_close(&g, &hg, EXACT) && all_close(&g, &rosenbrock_gradient_hand(x, y), EXACT));
    assert!(all_close(&g, ng.as_slice(), EXACT) && all_close(&g, &rosenbrock_fd(x, y), FD));
    let (_, _, h) = rosenbrock_value_gradient_and_hessian(x, y);
    let flat = |m: [[f64; 2]; 2]| m.concat();
    assert!(all_close(&flat(h), &flat(rosenbrock_hessian(x, y)), EXACT));
    assert!(all_close(
        &flat(h),
        &flat(rosenbrock_hessian_hand(x, y)),
        EXACT
    ));
    assert!(all_close(
        &flat(h),
        &flat(rosenbrock_value_gradient_and_hessian_hand(x, y).2),
        EXACT
    ));
    assert!(all_close(
        &flat(h),
        rosenbrock_hessian_num_dual(x, y).2.as_slice(),
        EXACT
    ));
    assert!(all_close(
        &flat(h),
        &flat(rosenbrock_hessian_fd(x, y)),
        1e-3
    ));

    let (x, y) = ACKLEY_AT;
    let (v, g) = ackley_value_and_gradient(x, y);
    let (hv, hg) = ackley_value_and_gradient_hand(x, y);
    let (nv, ng) = ackley_num_dual(x, y);
    assert!(close(v, hv, EXACT) && close(v, nv, EXACT) && close(v, ackley(x, y), EXACT));
    assert!(all_close(&g, &hg, EXACT) && all_close(&g, &ackley_gradient_hand(x, y), EXACT));
    assert!(all_close(&g, &ackley_gradient(x, y), EXACT));
    assert!(all_close(&g, ng.as_slice(), EXACT) && all_close(&g, &ackley_fd(x, y), FD));

    let five = |(w, b): ([f64; 4], f64)| [w[0], w[1], w[2], w[3], b];
    let (v, g) = logistic_value_and_gradient(W, B, FEATURES, LABEL);
    let (hv, hg) = logistic_value_and_gradient_hand(W, B, FEATURES, LABEL);
    let (nv, ng) = logistic_num_dual(W, B, FEATURES, LABEL);
    assert!(close(v, hv, EXACT) && close(v, nv, EXACT));
    assert!(all_close(&five(g), &five(hg), EXACT));
    assert!(all_close(
        &five(g),
        &five(logistic_gradient(W, B, FEATURES, LABEL)),
        EXACT
    ));
    assert!(all_close(
        &five(g),
        &five(logistic_gradient_hand(W, B, FEATURES, LABEL)),
        EXACT
    ));
    assert!(all_close(&five(g), ng.as_slice(), EXACT));
    assert!(all_close(
        &five(g),
        &five(logistic_fd(W, B, FEATURES, LABEL)),
        FD
    ));

    let x = PRODUCT_AT;
    let (v, g) = product16_value_and_gradient(x);
    let (hv, hg) = product16_value_and_gradient_hand(x);
    let (nv, ng) = product16_num_dual(x);
    assert!(close(v, hv, EXACT) && close(v, nv, EXACT));
    assert!(all_close(&g, &hg, EXACT) && all_close(&g, &product16_gradient(x), EXACT));
    assert!(all_close(&g, &product16_gradient_hand(x), EXACT));
    assert!(all_close(&g, ng.as_slice(), EXACT) && all_close(&g, &product16_fd(x), FD));

    let (v, j) = net_inputs_value_and_jacobian(NET_W, NET_B, NET_X);
    let (hv, hj) = net_inputs_value_and_jacobian_hand(NET_W, NET_B, NET_X);
    let (nv, nj) = net_inputs_num_dual(NET_W, NET_B, NET_X);
    let flat = |m: [[f64; 3]; 3]| m.concat();
    assert!(all_close(&v, &hv, EXACT) && all_close(&v, nv.as_slice(), EXACT));
    assert!(all_close(&flat(j), &flat(hj), EXACT));
    assert!(all_close(
        &flat(j),
        &flat(net_inputs_jacobian(NET_W, NET_B, NET_X)),
        EXACT
    ));
    assert!(all_close(
        &flat(j),
        &flat(net_inputs_jacobian_hand(NET_W, NET_B, NET_X)),
        EXACT
    ));
    // nalgebra stores column-major: compare with the transpose.
    assert!(all_close(&flat(j), nj.transpose().as_slice(), EXACT));
    assert!(all_close(
        &flat(j),
        &flat(net_inputs_fd(NET_W, NET_B, NET_X)),
        FD
    ));
}
