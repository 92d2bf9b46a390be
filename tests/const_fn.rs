//! `const fn` companions: when the annotated function is a `const fn`, every
//! companion is a `const fn`, so derivatives can be evaluated by the compiler and checked by
//! `const` assertions (`const _: () = assert!(..);` fails the build, not a test, when wrong).
//! Each case is also checked at run time on inputs the compiler cannot see (`black_box`), against
//! exact values and finite differences: gradients, value-and-gradient, `wrt` with constant
//! parameters, run-time indices, branches and early return, `abs`/`max`/`min`/`clamp`/`signum`,
//! calls to other annotated `const fn`s, Jacobians of array and tuple results, Hessians of
//! polynomials, `f32`, and methods.

// Annotated functions whose original is only used through its companions are not dead code.
#![allow(dead_code)]
// `const` assertions compare floats exactly on purpose: the values are exact.
#![allow(clippy::float_cmp)]
// `abs`, `max`, `min`, `clamp` and `signum` are `const fn` since Rust 1.85, later than the
// workspace's `rust-version`; the `const fn`s below that use them need 1.85 or newer.
#![allow(clippy::incompatible_msrv)]

mod common;

use common::*;
use dual::gradient;
use std::hint::black_box;

// ---------------------------------------------------------------------------------------------
// The issue's example
// ---------------------------------------------------------------------------------------------

/// f(x, y) = x²y + y, ∇f = (2xy, x² + 1).
#[gradient]
const fn f(x: f64, y: f64) -> f64 {
    x * x * y + y
}

const G: [f64; 2] = f_gradient(1.0, 2.0);
const _: () = assert!(G[0] == 4.0);
const _: () = assert!(G[1] == 2.0);

const VG: (f64, [f64; 2]) = f_value_and_gradient(3.0, 2.0);
const _: () = assert!(VG.0 == 20.0);
const _: () = assert!(VG.1[0] == 12.0 && VG.1[1] == 10.0);

/// The original is still a `const fn`.
const F: f64 = f(3.0, 2.0);
const _: () = assert!(F == 20.0);

#[test]
fn issue_example_at_compile_time_and_run_time() {
    assert_eq!(G, [4.0, 2.0]);
    assert_eq!(VG, (20.0, [12.0, 10.0]));
    for (x, y) in grid2(&linspace(-3.0, 3.0, 7), &linspace(-2.0, 2.0, 5)) {
        let (x, y) = (black_box(x), black_box(y));
        assert_eq!(
            f_gradient(x, y),
            [2.0 * x * y, x * x + 1.0],
            "at ({x}, {y})"
        );
        assert_eq!(
            f_value_and_gradient(x, y),
            (x * x * y + y, [2.0 * x * y, x * x + 1.0]),
            "at ({x}, {y})"
        );
    }
}

/// A companion of a `const fn` in a `static` and in an array length.
static G_STATIC: [f64; 2] = f_gradient(2.0, 0.5);
const LEN: usize = f_gradient(1.0, 2.0)[0] as usize;
const ARR: [u8; LEN] = [7; LEN];

#[test]
fn usable_in_static_and_array_length() {
    assert_eq!(G_STATIC, [2.0, 5.0]);
    assert_eq!(ARR.len(), 4);
}

// ---------------------------------------------------------------------------------------------
// Division, unary minus, comparisons, `if`, early return
// ---------------------------------------------------------------------------------------------

/// x > y: −xy / (1 + x²); otherwise y / (1 + x²) − x.
#[gradient]
const fn rational(x: f64, y: f64) -> f64 {
    let d = 1.0 + x * x;
    if x > y {
        -(x * y) / d
    } else {
        y / d - x
    }
}

fn rational_gradient_exact(x: f64, y: f64) -> [f64; 2] {
    let d = 1.0 + x * x;
    if x > y {
        [-(y * d - x * y * 2.0 * x) / (d * d), -x / d]
    } else {
        [-2.0 * x * y / (d * d) - 1.0, 1.0 / d]
    }
}

// (1, 0): x > y, ∇ = (0, −1/2).
const R1: [f64; 2] = rational_gradient(1.0, 0.0);
const _: () = assert!(R1[0] == 0.0 && R1[1] == -0.5);
// (0, 1): ∇ = (−1, 1).
const R2: [f64; 2] = rational_gradient(0.0, 1.0);
const _: () = assert!(R2[0] == -1.0 && R2[1] == 1.0);
// (1, 3): d = 2, ∇ = (−6/4 − 1, 1/2).
const R3: (f64, [f64; 2]) = rational_value_and_gradient(1.0, 3.0);
const _: () = assert!(R3.0 == 0.5 && R3.1[0] == -2.5 && R3.1[1] == 0.5);

/// Early return and compound assignment.
#[gradient]
const fn early(x: f64, y: f64) -> f64 {
    let mut acc = x * y;
    if acc > 4.0 {
        return acc * acc;
    }
    acc += 2.0 * x;
    acc *= y;
    acc - x / 4.0
}

// (2, 3): acc = 6 > 4, f = x²y², ∇ = (2xy², 2x²y) = (36, 24).
const E1: [f64; 2] = early_gradient(2.0, 3.0);
const _: () = assert!(E1[0] == 36.0 && E1[1] == 24.0);
// (1, 2): f = (xy + 2x)y − x/4 = xy² + 2xy − x/4, ∇ = (y² + 2y − 1/4, 2xy + 2x) = (7.75, 6).
const E2: [f64; 2] = early_gradient(1.0, 2.0);
const _: () = assert!(E2[0] == 7.75 && E2[1] == 6.0);

#[test]
fn branches_at_run_time() {
    for (x, y) in grid2(&linspace(-2.5, 2.5, 11), &linspace(-2.0, 3.0, 11)) {
        let (x, y) = (black_box(x), black_box(y));
        let ctx = format!("at ({x}, {y})");
        assert_all_close(
            &rational_gradient(x, y),
            &rational_gradient_exact(x, y),
            1e-14,
            &format!("rational {ctx}"),
        );
        // Away from the boundary of the early return, against finite differences.
        if (x * y - 4.0).abs() > 0.2 {
            let num = fd_gradient(|p: [f64; 2]| early(p[0], p[1]), [x, y]);
            assert_all_close(&early_gradient(x, y), &num, 1e-8, &format!("early {ctx}"));
        }
    }
    assert_eq!(R1, [0.0, -0.5]);
    assert_eq!(R2, [-1.0, 1.0]);
    assert_eq!(R3, (0.5, [-2.5, 0.5]));
    assert_eq!(E1, [36.0, 24.0]);
    assert_eq!(E2, [7.75, 6.0]);
}

// ---------------------------------------------------------------------------------------------
// abs, max, min, clamp, signum (const on this toolchain)
// ---------------------------------------------------------------------------------------------

/// The Huber loss: x²/2 inside [−d, d], d(|x| − d/2) outside.
#[gradient]
const fn huber(x: f64, d: f64) -> f64 {
    let a = x.abs();
    if a <= d {
        0.5 * x * x
    } else {
        d * (a - 0.5 * d)
    }
}

// Inside: ∇ = (x, 0).
const H1: [f64; 2] = huber_gradient(0.5, 1.0);
const _: () = assert!(H1[0] == 0.5 && H1[1] == 0.0);
// Outside, x < 0: ∇ = (−d, |x| − d) = (−1, 2).
const H2: [f64; 2] = huber_gradient(-3.0, 1.0);
const _: () = assert!(H2[0] == -1.0 && H2[1] == 2.0);

/// max, min, clamp and signum of differentiated values.
#[gradient]
const fn piecewise(x: f64, y: f64) -> f64 {
    x.max(y) * 2.0 + x.min(0.5 * y) + (x * y).clamp(-1.0, 1.0) + x.signum() * y
}

fn piecewise_gradient_exact(x: f64, y: f64) -> [f64; 2] {
    let mut g = [0.0, 0.0];
    if x >= y {
        g[0] += 2.0;
    } else {
        g[1] += 2.0;
    }
    if x <= 0.5 * y {
        g[0] += 1.0;
    } else {
        g[1] += 0.5;
    }
    let p = x * y;
    if (-1.0..=1.0).contains(&p) {
        g[0] += y;
        g[1] += x;
    }
    g[1] += x.signum();
    g
}

// (2, 3): max → y, min → x (2 ≤ 1.5 false → 0.5y), clamp saturated, signum 1:
// ∇ = (0, 2 + 0.5 + 1).
const P1: [f64; 2] = piecewise_gradient(2.0, 3.0);
const _: () = assert!(P1[0] == 0.0 && P1[1] == 3.5);
// (−0.5, 1): max → y, min → x, clamp inside (p = −0.5), signum −1: ∇ = (1 + 1, 2 − 0.5 − 1).
const P2: [f64; 2] = piecewise_gradient(-0.5, 1.0);
const _: () = assert!(P2[0] == 2.0 && P2[1] == 0.5);

#[test]
fn piecewise_at_run_time() {
    assert_eq!(H1, [0.5, 0.0]);
    assert_eq!(H2, [-1.0, 2.0]);
    assert_eq!(P1, [0.0, 3.5]);
    assert_eq!(P2, [2.0, 0.5]);
    for x in linspace(-3.0, 3.0, 25) {
        let x = black_box(x);
        let d = black_box(1.25);
        let expected = if x.abs() <= d {
            [x, 0.0]
        } else {
            [d * x.signum(), x.abs() - d]
        };
        assert_eq!(huber_gradient(x, d), expected, "huber at {x}");
    }
    for (x, y) in grid2(&linspace(-2.7, 2.3, 11), &linspace(-1.9, 3.1, 11)) {
        let (x, y) = (black_box(x), black_box(y));
        assert_all_close(
            &piecewise_gradient(x, y),
            &piecewise_gradient_exact(x, y),
            1e-15,
            &format!("piecewise at ({x}, {y})"),
        );
    }
}

// ---------------------------------------------------------------------------------------------
// `wrt`, constant parameters, `as f64`, run-time indices, arrays
// ---------------------------------------------------------------------------------------------

/// Only `x`; `k` is a constant float, `n` an integer cast with `as f64`.
#[gradient(wrt(x))]
const fn scaled(x: f64, k: f64, n: usize) -> f64 {
    k * x * x * (n as f64) + x
}

const S: [f64; 1] = scaled_gradient(3.0, 0.5, 4);
// 2kxn + 1 = 13.
const _: () = assert!(S[0] == 13.0);

/// An array parameter indexed by constants and by a run-time index.
#[gradient]
const fn weighted(w: [f64; 3], b: f64, i: usize) -> f64 {
    w[0] * w[1] + w[2] * b + w[i] * w[i] * b
}

// i = 2: ∂w = (w1, w0, b + 2w2b), ∂b = w2 + w2².
const W: ([f64; 3], f64) = weighted_gradient([1.0, 2.0, 3.0], 0.5, 2);
const _: () = assert!(W.0[0] == 2.0 && W.0[1] == 1.0 && W.0[2] == 3.5 && W.1 == 12.0);

#[test]
fn wrt_and_arrays_at_run_time() {
    assert_eq!(S, [13.0]);
    assert_eq!(W, ([2.0, 1.0, 3.5], 12.0));
    for i in 0..3 {
        let w = black_box([0.75, -1.5, 2.25]);
        let b = black_box(-0.5);
        let (gw, gb) = weighted_gradient(w, b, i);
        let num = fd_gradient(
            |p: [f64; 4]| weighted([p[0], p[1], p[2]], p[3], i),
            [w[0], w[1], w[2], b],
        );
        assert_all_close(&[gw[0], gw[1], gw[2], gb], &num, 1e-9, &format!("i = {i}"));
    }
    assert_eq!(scaled_gradient(black_box(-1.0), 2.0, 3), [-11.0]);
}

// ---------------------------------------------------------------------------------------------
// Calls to other annotated const fns
// ---------------------------------------------------------------------------------------------

#[gradient]
const fn sq(x: f64) -> f64 {
    x * x
}

#[gradient]
const fn mul_plus(a: f64, b: f64) -> f64 {
    a * b + a
}

/// sq(xy) + mul_plus(x, y²) = x²y² + xy² + x: ∇ = (2xy² + y² + 1, 2x²y + 2xy).
#[gradient]
const fn calls(x: f64, y: f64) -> f64 {
    sq(x * y) + mul_plus(x, y * y)
}

const C: [f64; 2] = calls_gradient(2.0, 3.0);
const _: () = assert!(C[0] == 46.0 && C[1] == 36.0);

#[test]
fn calls_at_run_time() {
    assert_eq!(C, [46.0, 36.0]);
    for (x, y) in grid2(&[-2.0, -0.5, 0.0, 1.5], &[-1.0, 0.25, 2.0]) {
        let (x, y) = (black_box(x), black_box(y));
        assert_eq!(
            calls_gradient(x, y),
            [2.0 * x * y * y + y * y + 1.0, 2.0 * x * x * y + 2.0 * x * y],
            "at ({x}, {y})"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Jacobians
// ---------------------------------------------------------------------------------------------

/// [xy − y, x² / (1 + y²)].
#[gradient]
const fn twist(x: f64, y: f64) -> [f64; 2] {
    [x * y - y, x * x / (1.0 + y * y)]
}

// At (3, 1): rows (y, x − 1) = (1, 2) and (2x / (1 + y²), −2x²y / (1 + y²)²) = (3, −4.5).
const J: [[f64; 2]; 2] = twist_jacobian(3.0, 1.0);
const _: () = assert!(J[0][0] == 1.0 && J[0][1] == 2.0);
const _: () = assert!(J[1][0] == 3.0 && J[1][1] == -4.5);
const VJ: ([f64; 2], [[f64; 2]; 2]) = twist_value_and_jacobian(3.0, 1.0);
const _: () = assert!(VJ.0[0] == 2.0 && VJ.0[1] == 4.5);

/// A tuple result.
#[gradient]
const fn sum_and_product(a: f64, b: f64, c: f64) -> (f64, f64) {
    (a + b - c, a * b * c)
}

const T: ((f64, f64), [[f64; 3]; 2]) = sum_and_product_value_and_jacobian(2.0, 3.0, 4.0);
const _: () = assert!(T.0 .0 == 1.0 && T.0 .1 == 24.0);
const _: () = assert!(T.1[0][0] == 1.0 && T.1[0][1] == 1.0 && T.1[0][2] == -1.0);
const _: () = assert!(T.1[1][0] == 12.0 && T.1[1][1] == 8.0 && T.1[1][2] == 6.0);

#[test]
fn jacobians_at_compile_time_and_run_time() {
    assert_eq!(J, [[1.0, 2.0], [3.0, -4.5]]);
    assert_eq!(VJ, ([2.0, 4.5], J));
    assert_eq!(T, ((1.0, 24.0), [[1.0, 1.0, -1.0], [12.0, 8.0, 6.0]]));
    for (x, y) in grid2(&linspace(-2.0, 2.0, 9), &linspace(-1.5, 1.5, 7)) {
        let (x, y) = (black_box(x), black_box(y));
        let num = fd_jacobian(|p: [f64; 2]| twist(p[0], p[1]), [x, y]);
        assert_rows_close(&twist_jacobian(x, y), &num, 1e-9, &format!("at ({x}, {y})"));
    }
}

// ---------------------------------------------------------------------------------------------
// Hessians
// ---------------------------------------------------------------------------------------------

/// p = x³y + 2xy² − y: ∇p = (3x²y + 2y², x³ + 4xy − 1), ∇²p = [[6xy, 3x² + 4y], [3x² + 4y, 4x]].
#[gradient(hessian)]
const fn poly(x: f64, y: f64) -> f64 {
    x * x * x * y + 2.0 * x * y * y - y
}

const PH: [[f64; 2]; 2] = poly_hessian(1.0, 2.0);
const _: () = assert!(PH[0][0] == 12.0 && PH[0][1] == 11.0);
const _: () = assert!(PH[1][0] == 11.0 && PH[1][1] == 4.0);
const PVGH: (f64, [f64; 2], [[f64; 2]; 2]) = poly_value_gradient_and_hessian(1.0, 2.0);
const _: () = assert!(PVGH.0 == 8.0);
const _: () = assert!(PVGH.1[0] == 14.0 && PVGH.1[1] == 8.0);
const _: () = assert!(PVGH.2[0][1] == 11.0);
const PG: [f64; 2] = poly_gradient(1.0, 2.0);
const _: () = assert!(PG[0] == 14.0 && PG[1] == 8.0);

/// A cubic in an array parameter, with a constant float parameter.
#[gradient(wrt(v), hessian)]
const fn cubic(v: [f64; 3], k: f64) -> f64 {
    v[0] * v[1] * v[2] + k * v[0] * v[0] * v[0] - v[2] * v[2] / 2.0
}

// At v = (1, 2, 3), k = 2: [[6kv0, v2, v1], [v2, 0, v0], [v1, v0, −1]].
const CH: [[f64; 3]; 3] = cubic_hessian([1.0, 2.0, 3.0], 2.0);
const _: () = assert!(CH[0][0] == 12.0 && CH[0][1] == 3.0 && CH[0][2] == 2.0);
const _: () = assert!(CH[1][0] == 3.0 && CH[1][1] == 0.0 && CH[1][2] == 1.0);
const _: () = assert!(CH[2][0] == 2.0 && CH[2][1] == 1.0 && CH[2][2] == -1.0);

#[gradient(hessian)]
const fn sq_h(x: f64) -> f64 {
    x * x
}

/// Through a `hessian` callee: sq_h(xy) + x = x²y² + x.
#[gradient(hessian)]
const fn through_callee(x: f64, y: f64) -> f64 {
    sq_h(x * y) + x
}

// At (1, 2): [[2y², 4xy], [4xy, 2x²]] = [[8, 8], [8, 2]].
const TH: [[f64; 2]; 2] = through_callee_hessian(1.0, 2.0);
const _: () = assert!(TH[0][0] == 8.0 && TH[0][1] == 8.0 && TH[1][0] == 8.0 && TH[1][1] == 2.0);

#[test]
fn hessians_at_compile_time_and_run_time() {
    assert_eq!(PH, [[12.0, 11.0], [11.0, 4.0]]);
    assert_eq!(PVGH, (8.0, [14.0, 8.0], [[12.0, 11.0], [11.0, 4.0]]));
    assert_eq!(CH, [[12.0, 3.0, 2.0], [3.0, 0.0, 1.0], [2.0, 1.0, -1.0]]);
    assert_eq!(TH, [[8.0, 8.0], [8.0, 2.0]]);
    for (x, y) in grid2(&[-2.0, -0.5, 0.0, 1.5, 3.0], &[-1.0, 0.25, 2.0]) {
        let (x, y) = (black_box(x), black_box(y));
        let expected = [
            [6.0 * x * y, 3.0 * x * x + 4.0 * y],
            [3.0 * x * x + 4.0 * y, 4.0 * x],
        ];
        assert_eq!(poly_hessian(x, y), expected, "at ({x}, {y})");
        assert_eq!(
            through_callee_hessian(x, y),
            [[2.0 * y * y, 4.0 * x * y], [4.0 * x * y, 2.0 * x * x]],
            "at ({x}, {y})"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// f32, methods
// ---------------------------------------------------------------------------------------------

#[gradient]
const fn f32_poly(x: f32, y: f32) -> f32 {
    x * x * y - y / 4.0
}

const G32: [f32; 2] = f32_poly_gradient(2.0, 3.0);
const _: () = assert!(G32[0] == 12.0 && G32[1] == 3.75);

#[gradient(hessian)]
const fn f32_cube(x: f32) -> f32 {
    x * x * x
}

const H32: [[f32; 1]; 1] = f32_cube_hessian(1.5);
const _: () = assert!(H32[0][0] == 9.0);

struct Spring {
    k: f64,
}

impl Spring {
    /// A method: companions are `const` methods.
    #[gradient]
    const fn energy(&self, x: f64, y: f64) -> f64 {
        0.5 * self.k * (x * x + y * y)
    }

    /// An associated function.
    #[gradient]
    const fn gravity(h: f64) -> f64 {
        9.75 * h
    }
}

const SPRING: Spring = Spring { k: 4.0 };
const SE: [f64; 2] = SPRING.energy_gradient(1.0, -0.5);
const _: () = assert!(SE[0] == 4.0 && SE[1] == -2.0);
const SG: [f64; 1] = Spring::gravity_gradient(10.0);
const _: () = assert!(SG[0] == 9.75);

#[test]
fn f32_and_methods() {
    assert_eq!(G32, [12.0, 3.75]);
    assert_eq!(H32, [[9.0]]);
    assert_eq!(SE, [4.0, -2.0]);
    assert_eq!(SG, [9.75]);
    let s = Spring { k: black_box(2.0) };
    assert_eq!(s.energy_gradient(black_box(3.0), 1.0), [6.0, 2.0]);
    assert_eq!(f32_poly_gradient(black_box(-1.0), 2.0), [-4.0, 0.75]);
}
