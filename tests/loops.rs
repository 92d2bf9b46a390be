//! Loops over differentiated values.
//!
//! Loops whose trip count is known at compile time (constant ranges, `0..=k`, `len()` of arrays,
//! `for xi in x` over a differentiated array) are unrolled; loops whose trip count is known only
//! at run time (`0..n`, `a..=b`, `0..xs.len()` of a slice, over data, `while`, `loop`) carry
//! sums in a fused accumulated-gradient loop and other single floats by forward tangents;
//! `break` and `continue` work in both. Every form is checked against
//! Richardson-extrapolated finite differences at random points (proptest), plus exact values for
//! Horner's rule and x^n by repeated multiplication, the issue's `ext_rosenbrock` and `mse`,
//! zero iterations, nesting both ways, a Jacobian through loops and a Hessian through an unrolled
//! loop. The misuses are compile-fail cases in `tests/ui/`.

// The bodies below are written the way users write loops, including forms clippy would rewrite.
#![allow(
    dead_code,
    clippy::needless_range_loop,
    clippy::assign_op_pattern,
    clippy::while_let_loop,
    clippy::explicit_counter_loop,
    clippy::manual_memcpy,
    clippy::int_plus_one,
    clippy::unnecessary_cast
)]

mod common;

use common::*;
use dual::gradient;
use proptest::prelude::*;

/// Tolerance against finite differences, relative to the larger magnitude with a floor of 1.
const FD: f64 = 1e-8;
/// Tolerance between two companions that compute the same quantity.
const SAME: f64 = 1e-14;
/// Tolerance between a function and the value of its companion where a run-time loop sums into
/// a variable that does not start at 0, or sums several times per iteration: the companion adds
/// the increments of each iteration together first (see
/// `runtime_sum_value_is_not_reassociated`).
const REASSOCIATED: f64 = 1e-13;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// Gradient of `f` at `x` by Ridders' finite differences with the initial step `h0` in every
/// coordinate (for functions with branches: a small step does not cross the switch).
fn fd_gradient_h<const N: usize>(f: impl Fn([f64; N]) -> f64, x: [f64; N], h0: f64) -> [f64; N] {
    std::array::from_fn(|i| {
        fd_derivative_h(
            |t| {
                let mut y = x;
                y[i] = t;
                f(y)
            },
            x[i],
            h0,
        )
    })
}

/// The Jacobian of a gradient function by finite differences: entry `[i][j]` is the derivative
/// of gradient entry `i` with respect to input `j`.
fn fd_jacobian_of_gradient<const N: usize>(
    grad: impl Fn([f64; N]) -> [f64; N],
    x: [f64; N],
) -> [[f64; N]; N] {
    let columns: [[f64; N]; N] = std::array::from_fn(|j| {
        std::array::from_fn(|i| {
            fd_derivative(
                |t| {
                    let mut y = x;
                    y[j] = t;
                    grad(y)[i]
                },
                x[j],
            )
        })
    });
    std::array::from_fn(|i| std::array::from_fn(|j| columns[j][i]))
}

/// Distance of `t` from the nearest integer.
fn frac_margin(t: f64) -> f64 {
    (t - t.round()).abs()
}

fn coord() -> impl Strategy<Value = f64> {
    -2.0..2.0_f64
}

fn data(max_len: usize) -> impl Strategy<Value = Vec<f64>> {
    proptest::collection::vec(-2.0..2.0_f64, 0..max_len)
}

fn pairs(max_len: usize) -> impl Strategy<Value = (Vec<f64>, Vec<f64>)> {
    proptest::collection::vec((-2.0..2.0_f64, -2.0..2.0_f64), 0..max_len)
        .prop_map(|v| v.into_iter().unzip())
}

fn samples(max_len: usize) -> impl Strategy<Value = (Vec<[f64; 4]>, Vec<f64>)> {
    proptest::collection::vec(
        (proptest::array::uniform4(-2.0..2.0_f64), -2.0..2.0_f64),
        0..max_len,
    )
    .prop_map(|v| v.into_iter().unzip())
}

/// Deterministic pseudo-random numbers in [-1, 1) (a 64-bit LCG), for fixed data sets.
fn lcg(seed: u64, n: usize) -> Vec<f64> {
    let mut s = seed;
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The examples
// ---------------------------------------------------------------------------------------------

#[gradient]
fn ext_rosenbrock(x: [f64; 32]) -> f64 {
    let mut s = 0.0;
    for i in 0..31 {
        s += 100.0 * (x[i + 1] - x[i] * x[i]).powi(2) + (1.0 - x[i]).powi(2);
    }
    s
}

/// The analytic gradient of [`ext_rosenbrock`].
fn ext_rosenbrock_grad_analytic(x: [f64; 32]) -> [f64; 32] {
    let mut g = [0.0; 32];
    for i in 0..31 {
        let t = x[i + 1] - x[i] * x[i];
        g[i] += -400.0 * t * x[i] - 2.0 * (1.0 - x[i]);
        g[i + 1] += 200.0 * t;
    }
    g
}

#[gradient(wrt(w, b))]
fn mse(w: [f64; 4], b: f64, xs: &[[f64; 4]], ys: &[f64]) -> f64 {
    let mut l = 0.0;
    for i in 0..xs.len() {
        let z = w[0] * xs[i][0] + w[1] * xs[i][1] + w[2] * xs[i][2] + w[3] * xs[i][3] + b;
        l += (z - ys[i]).powi(2);
    }
    l / xs.len() as f64
}

/// The analytic gradient of [`mse`].
fn mse_grad_analytic(w: [f64; 4], b: f64, xs: &[[f64; 4]], ys: &[f64]) -> ([f64; 4], f64) {
    let mut gw = [0.0; 4];
    let mut gb = 0.0;
    for (x, y) in xs.iter().zip(ys) {
        let r = w[0] * x[0] + w[1] * x[1] + w[2] * x[2] + w[3] * x[3] + b - y;
        for k in 0..4 {
            gw[k] += 2.0 * r * x[k];
        }
        gb += 2.0 * r;
    }
    let n = xs.len() as f64;
    (gw.map(|g| g / n), gb / n)
}

fn mse_data(n: usize) -> (Vec<[f64; 4]>, Vec<f64>) {
    let r = lcg(7, 5 * n);
    let xs = (0..n)
        .map(|i| [r[5 * i], r[5 * i + 1], r[5 * i + 2], r[5 * i + 3]])
        .collect();
    let ys = (0..n).map(|i| r[5 * i + 4]).collect();
    (xs, ys)
}

#[test]
fn ext_rosenbrock_at_the_minimum_and_at_fixed_points() {
    let ones = [1.0; 32];
    assert_eq!(ext_rosenbrock_value_and_gradient(ones), (0.0, [0.0; 32]));
    let zeros = [0.0; 32];
    let (v, g) = ext_rosenbrock_value_and_gradient(zeros);
    assert_eq!(v, 31.0);
    let mut expected = [-2.0; 32];
    expected[31] = 0.0;
    assert_eq!(g, expected);
    let x: [f64; 32] = std::array::from_fn(|i| lcg(3, 32)[i] * 1.5);
    let (v, g) = ext_rosenbrock_value_and_gradient(x);
    assert_eq!(v, ext_rosenbrock(x));
    assert_all_close(&g, &ext_rosenbrock_grad_analytic(x), 1e-13, "analytic");
    assert_all_close(
        &g,
        &fd_gradient(ext_rosenbrock, x),
        FD,
        "finite differences",
    );
    assert_all_close(&ext_rosenbrock_gradient(x), &g, SAME, "_gradient");
}

#[test]
fn mse_over_150_samples() {
    let (xs, ys) = mse_data(150);
    let w = [0.3, -0.7, 1.1, 0.25];
    let b = -0.4;
    let (v, (gw, gb)) = mse_value_and_gradient(w, b, &xs, &ys);
    assert_eq!(v, mse(w, b, &xs, &ys));
    let (aw, ab) = mse_grad_analytic(w, b, &xs, &ys);
    assert_all_close(&gw, &aw, 1e-13, "analytic w");
    assert_close_ctx(gb, ab, 1e-13, "analytic b");
    let fd = fd_gradient(
        |p: [f64; 5]| mse([p[0], p[1], p[2], p[3]], p[4], &xs, &ys),
        [w[0], w[1], w[2], w[3], b],
    );
    assert_all_close(
        &[gw[0], gw[1], gw[2], gw[3], gb],
        &fd,
        FD,
        "finite differences",
    );
    assert_eq!(mse_gradient(w, b, &xs, &ys), (gw, gb));
}

#[test]
fn mse_over_zero_samples_agrees_with_the_function() {
    // 0 / 0: the function itself is NaN; so is its value through the companion, and so is the
    // gradient (d/dw of 0 / 0 is 0 · (1 / 0)).
    let w = [0.3, -0.7, 1.1, 0.25];
    let v = mse(w, 0.5, &[], &[]);
    assert!(v.is_nan());
    let (cv, (gw, gb)) = mse_value_and_gradient(w, 0.5, &[], &[]);
    assert!(cv.is_nan(), "companion value {cv}");
    assert!(
        gw.iter().all(|g| g.is_nan()) && gb.is_nan(),
        "gradient of 0/0 {gw:?} {gb}"
    );
    let (gw2, gb2) = mse_gradient(w, 0.5, &[], &[]);
    assert!(gw2.iter().all(|g| g.is_nan()) && gb2.is_nan());
}

// ---------------------------------------------------------------------------------------------
// Exact values: Horner's rule and x^n by repeated multiplication (constant trip counts)
// ---------------------------------------------------------------------------------------------

/// A variable of undeclared type, read from data, that a run-time loop makes differentiated.
#[gradient(wrt(x))]
fn becomes_differentiated(x: f64, d: &[f64], n: usize) -> f64 {
    let mut s = d[0].sin();
    let mut k = 0;
    while k < n {
        s = s * 0.5 + x;
        k += 1;
    }
    s
}

#[test]
fn data_variable_made_differentiated_by_a_runtime_loop() {
    for n in [0, 1, 4] {
        let (v, [d]) = becomes_differentiated_value_and_gradient(0.3, &[0.8], n);
        assert_eq!(v, becomes_differentiated(0.3, &[0.8], n));
        // s_n = s_0 / 2^n + x (1 + 1/2 + … + 1/2^(n-1))
        assert_close(d, 2.0 * (1.0 - 0.5f64.powi(n as i32)), 1e-15);
    }
}

#[gradient(wrt(x))]
fn horner(x: f64, c: [f64; 6]) -> f64 {
    let mut acc = 0.0;
    for i in 0..c.len() {
        acc = acc * x + c[i];
    }
    acc
}

#[gradient]
fn pow7(x: f64) -> f64 {
    let mut p = 1.0;
    for _ in 0..7 {
        p *= x;
    }
    p
}

#[gradient]
fn pow5_closed_range(x: f64) -> f64 {
    let mut p = x;
    for _ in 1..=4 {
        p = p * x;
    }
    p
}

#[test]
fn horner_exact_values_and_derivatives() {
    let c = [1.0, -2.0, 3.0, 0.5, -4.0, 2.0];
    for x in [0.0, 1.0, -1.0, 2.0, 0.5, -1.5, 3.0, -0.25] {
        // c0 x^5 + c1 x^4 + c2 x^3 + c3 x^2 + c4 x + c5, exact for these dyadic x
        let p = c[0] * x * x * x * x * x
            + c[1] * x * x * x * x
            + c[2] * x * x * x
            + c[3] * x * x
            + c[4] * x
            + c[5];
        let dp = 5.0 * c[0] * x * x * x * x
            + 4.0 * c[1] * x * x * x
            + 3.0 * c[2] * x * x
            + 2.0 * c[3] * x
            + c[4];
        assert_eq!(horner(x, c), p, "value at {x}");
        assert_eq!(horner_value_and_gradient(x, c), (p, [dp]), "at {x}");
        assert_eq!(horner_gradient(x, c), [dp], "at {x}");
    }
}

#[test]
fn x_to_the_n_by_repeated_multiplication_exact() {
    for x in [0.0, 1.0, -1.0, 2.0, -3.0, 0.5, 1.5] {
        let x6 = x * x * x * x * x * x;
        assert_eq!(
            pow7_value_and_gradient(x),
            (x6 * x, [7.0 * x6]),
            "x^7 at {x}"
        );
        assert_eq!(pow7_gradient(x), [7.0 * x6]);
        let x4 = x * x * x * x;
        assert_eq!(
            pow5_closed_range_value_and_gradient(x),
            (x4 * x, [5.0 * x4]),
            "x^5 at {x}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Unrolled loops (trip count known at compile time)
// ---------------------------------------------------------------------------------------------

/// `0..=k` with a constant `k`, a product accumulator `p *= x[i]`, and a sum.
#[gradient]
fn closed_range_product(x: [f64; 5]) -> f64 {
    let mut p = 1.0;
    let mut s = 0.0;
    for i in 0..=4 {
        p *= x[i];
        s += x[i].sin();
    }
    p + s * s
}

/// `0..x.len()` of a differentiated array; reversed constant coefficients `c[c.len() - 1 - i]`;
/// `0..x.len() - 1` and a shifted index `x[i + 1]`.
#[gradient(wrt(x))]
fn len_of_active_array(x: [f64; 4], c: [f64; 4]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        s += c[c.len() - 1 - i] * x[i].exp();
    }
    for i in 0..x.len() - 1 {
        s -= x[i] * x[i + 1];
    }
    s
}

/// `for xi in x` over a differentiated array, with an accumulator that is not a sum.
#[gradient]
fn for_each_element(x: [f64; 6]) -> f64 {
    let mut acc = 1.0;
    for xi in x {
        acc = 0.5 * acc * xi.cos() + xi * xi;
    }
    acc
}

/// Nested unrolled loops with both counters in the index.
#[gradient]
fn nested_unrolled(x: [f64; 9], v: [f64; 3]) -> f64 {
    // vᵀ A v with A = reshape(x, 3, 3), plus Σ_ij sin(A_ij) v_j
    let mut q = 0.0;
    for i in 0..3 {
        let mut row = 0.0;
        for j in 0..3 {
            row += x[i * 3 + j] * v[j];
            q += (x[i * 3 + j]).sin() * v[j];
        }
        q += v[i] * row;
    }
    q
}

/// The counter in arithmetic (`i as f64`), in inactive code (an integer tally, a branch on the
/// counter) and in the index.
#[gradient]
fn counter_in_arithmetic_and_inactive_code(x: [f64; 5], y: f64) -> f64 {
    let mut s = 0.0;
    let mut tally = 0usize;
    for i in 0..5 {
        let w = (i + 1) as f64;
        if i % 2 == 0 {
            tally += i;
        }
        s += w * x[i] * y + (tally as f64) * x[i] * x[i] / w;
    }
    s * y
}

/// Branches on differentiated values inside an unrolled loop: on the inputs and on the
/// accumulator itself.
#[gradient]
fn branches_in_unrolled_loop(x: [f64; 6]) -> f64 {
    let mut s = 0.0;
    for i in 0..6 {
        if x[i] > 0.0 {
            s += x[i] * x[i];
        } else {
            s -= x[i].sin();
        }
        if s > 1.5 {
            s = s.sqrt() * 1.5;
        }
    }
    s
}

/// The values of `s` after each step of [`branches_in_unrolled_loop`], and its input values:
/// used to keep random points away from the switches.
fn branches_in_unrolled_loop_margin(x: [f64; 6]) -> f64 {
    let mut s = 0.0;
    let mut margin = f64::INFINITY;
    for xi in x {
        margin = margin.min(xi.abs());
        if xi > 0.0 {
            s += xi * xi;
        } else {
            s -= xi.sin();
        }
        margin = margin.min((s - 1.5).abs());
        if s > 1.5 {
            s = s.sqrt() * 1.5;
        }
    }
    margin
}

/// A local array of differentiated values written by the loop (`y[i] = …`) and read back.
#[gradient]
fn local_active_array(x: [f64; 8]) -> f64 {
    let mut y = [0.0; 8];
    y[0] = x[0];
    for i in 1..8 {
        y[i] = y[i - 1] * x[i].cos() + x[i];
    }
    let mut s = 0.0;
    for i in 0..8 {
        s += y[i] * y[7 - i];
    }
    s
}

/// `0..c.len()` of a constant `[f64; N]` parameter and `0..K` with a `const` item.
#[gradient(wrt(x))]
fn len_of_constant_array(x: f64, c: [f64; 5]) -> f64 {
    let mut p = 1.0;
    for i in 0..c.len() {
        p *= x - c[i];
    }
    p
}

// ---------------------------------------------------------------------------------------------
// Run-time loops (trip count known only at run time): sums
// ---------------------------------------------------------------------------------------------

/// `for i in 0..n` with two sums, `+=` and `-=`, the counter as a float.
#[gradient]
fn runtime_range(x: f64, y: f64, n: usize) -> f64 {
    let mut s = 0.0;
    let mut t = x;
    for i in 0..n {
        let k = i as f64 + 1.0;
        s += (x * k).sin() / k;
        t -= y * y / (k * k);
        s += x * y / k;
    }
    s * t
}

/// `a..=b` with run-time bounds.
#[gradient]
fn runtime_closed_range(x: f64, a: usize, b: usize) -> f64 {
    let mut s = 0.0;
    for k in a..=b {
        s += (x / (k as f64 + 1.0)).exp();
    }
    s
}

/// `for (x, y) in xs.iter().zip(ys)` over constant data, summing under an `if` on an active value.
#[gradient]
fn zip_over_data(w: f64, b: f64, xs: &[f64], ys: &[f64]) -> f64 {
    let mut loss = 0.0;
    let mut hinge = 0.0;
    for (x, y) in xs.iter().zip(ys) {
        let r = w * x + b - y;
        loss += r * r;
        if r > 0.0 {
            hinge += r;
        } else {
            hinge -= 0.5 * r;
        }
    }
    loss + hinge * w
}

fn zip_over_data_margin(w: f64, b: f64, xs: &[f64], ys: &[f64]) -> f64 {
    xs.iter()
        .zip(ys)
        .map(|(x, y)| (w * x + b - y).abs())
        .fold(f64::INFINITY, f64::min)
}

/// `for v in data` over a `&[f64]`, with an inactive branch on the data.
#[gradient]
fn over_slice(x: f64, y: f64, data: &[f64]) -> f64 {
    let mut s = x * y;
    for v in data {
        if *v > 0.0 {
            s += (x * v).sin() * y;
        } else {
            s -= (y * v).exp() / (1.0 + x * x);
        }
    }
    s
}

/// `while` with a condition on constants (an integer counter).
#[gradient]
fn while_on_constants(x: f64, n: usize) -> f64 {
    let mut s = 0.0;
    let mut k = 0;
    while k < n {
        s += (x + k as f64).ln();
        k += 1;
    }
    s
}

/// `while` with a condition on a differentiated value (`x`) that the loop does not sum.
#[gradient]
fn while_on_active_condition(x: f64, y: f64) -> f64 {
    let mut s = 0.0;
    let mut k = 0usize;
    while (k as f64) < x * x {
        s += (y * k as f64).cos() * x;
        k += 1;
    }
    s + y
}

/// Several sums per loop, used after it in nonlinear ways.
#[gradient]
fn several_sums(a: f64, b: f64, data: &[f64]) -> f64 {
    let mut s0 = 0.0;
    let mut s1 = 0.0;
    let mut s2 = 1.0;
    for i in 0..data.len() {
        let v = data[i];
        s0 += (a * v).exp();
        s1 += a * b * v;
        s2 -= (b * v) * (b * v);
    }
    s0.ln() * s1 + s2 * s2
}

// ---------------------------------------------------------------------------------------------
// Run-time loops carrying values other than sums (forward tangents inside the loop)
// ---------------------------------------------------------------------------------------------

/// x^n by repeated multiplication with `n: usize`.
#[gradient]
fn pow_n(x: f64, n: usize) -> f64 {
    let mut p = 1.0;
    for _ in 0..n {
        p *= x;
    }
    p
}

/// Horner's rule over coefficients in a slice.
#[gradient]
fn horner_slice(x: f64, c: &[f64]) -> f64 {
    let mut acc = 0.0;
    for ci in c {
        acc = acc * x + ci;
    }
    acc
}

/// A sum whose increment reads its running value.
#[gradient]
fn compounded(x: f64, data: &[f64]) -> f64 {
    let mut s = 0.0;
    for v in data {
        s += x * v + 0.1 * s;
    }
    s
}

/// A `while` whose condition reads the value the loop sums into.
#[gradient]
fn sum_until_ten(x: f64) -> f64 {
    let mut s = 0.0;
    while s < 10.0 {
        s += x * x + 0.5;
    }
    s * x
}

/// Newton's iteration for √a, a fixed number of steps.
#[gradient]
fn newton_sqrt(a: f64, n: usize) -> f64 {
    let mut y = 1.0;
    for _ in 0..n {
        y = 0.5 * (y + a / y);
    }
    y
}

/// Newton's iteration for √a until converged: a `while` on the carried value.
#[gradient]
fn newton_sqrt_converged(a: f64) -> f64 {
    let mut y = a.max(1.0);
    let mut k = 0;
    while k < 100 && (y * y - a).abs() > 1e-15 * a {
        y = 0.5 * (y + a / y);
        k += 1;
    }
    y
}

/// Two carried values feeding each other.
#[gradient]
fn recurrence(x: f64, y: f64, n: usize) -> f64 {
    let mut a = x;
    let mut b = y;
    for _ in 0..n {
        let t = a;
        a = b;
        b = 0.5 * t + b * x.sin();
    }
    a + b * b
}

/// A sum that reads a product carried by the same loop.
#[gradient]
fn discounted(r: f64, g: f64, data: &[f64]) -> f64 {
    let mut disc = 1.0;
    let mut total = 0.0;
    for v in data {
        total += disc * v * g;
        disc *= r;
    }
    total + disc
}

/// A branch on the carried value inside a run-time loop.
#[gradient]
fn clipped_growth(x: f64, data: &[f64]) -> f64 {
    let mut p: f64 = 1.0;
    for v in data {
        if p > 2.0 {
            p = p.sqrt() + x * v;
        } else {
            p *= 1.0 + x * x * v.abs();
        }
    }
    p
}

/// `clipped_growth` in dual numbers (num-dual): the exact derivative to compare with, since the
/// products grow large enough for finite differences to lose digits.
fn clipped_growth_dual(x: f64, data: &[f64]) -> f64 {
    use num_dual::{Dual64, DualNum};
    let x = Dual64::from_re(x).derivative();
    let mut p = Dual64::from_re(1.0);
    for &v in data {
        if p.re > 2.0 {
            p = p.sqrt() + x * v;
        } else {
            p *= x * x * v.abs() + 1.0;
        }
    }
    p.eps
}

fn clipped_growth_margin(x: f64, data: &[f64]) -> f64 {
    let mut p = 1.0_f64;
    let mut margin = f64::INFINITY;
    for v in data {
        margin = margin.min((p - 2.0).abs());
        if p > 2.0 {
            p = p.sqrt() + x * v;
        } else {
            p *= 1.0 + x * x * v.abs();
        }
    }
    margin
}

/// `while` on constants carrying a product.
#[gradient]
fn rising_factorial(x: f64, n: usize) -> f64 {
    let mut p = 1.0;
    let mut k = 0;
    while k < n {
        p *= x + k as f64;
        k += 1;
    }
    p
}

/// A last-value carry: assigned with `=` without reading itself.
#[gradient]
fn last_value(x: f64, data: &[f64]) -> f64 {
    let mut last = x;
    for v in data {
        last = (x * v).sin();
    }
    last
}

/// Products in a run-time loop inside a run-time loop, and a product of run-time sums.
#[gradient]
fn nested_runtime_products(x: f64, xs: &[f64], n: usize) -> f64 {
    let mut s = 0.0;
    for v in xs {
        let mut p = 1.0;
        for _ in 0..n {
            p *= x + v;
        }
        s += p;
    }
    s
}

#[gradient]
fn product_of_runtime_sums(x: f64, xs: &[f64], ys: &[f64]) -> f64 {
    let mut p = 1.0;
    for a in xs {
        let mut s = 0.0;
        for b in ys {
            s += (x * a * b).cos();
        }
        p *= 1.0 + 0.1 * s;
    }
    p
}

/// A Jacobian through a run-time loop carrying a product and a recurrence.
#[gradient]
fn powers_and_series(x: f64, y: f64, n: usize) -> [f64; 2] {
    let mut p = 1.0;
    let mut q = 0.0;
    for _ in 0..n {
        p *= x;
        q = q * y + p;
    }
    [p, q]
}

#[test]
fn x_to_the_n_with_a_runtime_n_exact() {
    for x in [0.0, 1.0, -1.0, 2.0, -3.0, 0.5, 1.5] {
        for n in 0..=10usize {
            let xn = (0..n).fold(1.0, |p, _| p * x);
            let d = if n == 0 {
                0.0
            } else {
                n as f64 * (0..n - 1).fold(1.0, |p, _| p * x)
            };
            assert_eq!(pow_n_value_and_gradient(x, n), (xn, [d]), "x^{n} at {x}");
            assert_eq!(pow_n_gradient(x, n), [d], "x^{n} at {x}");
        }
    }
}

#[test]
fn horner_over_a_slice_exact() {
    let c = [1.0, -2.0, 3.0, 0.5, -4.0, 2.0];
    for x in [0.0, 1.0, -1.0, 2.0, 0.5, -1.5, 3.0, -0.25] {
        let [dp] = horner_gradient(x, c);
        assert_eq!(horner_slice_value_and_gradient(x, &c), (horner(x, c), [dp]));
    }
    assert_eq!(horner_slice_value_and_gradient(2.0, &[]), (0.0, [0.0]));
    assert_eq!(horner_slice_value_and_gradient(2.0, &[5.0]), (5.0, [0.0]));
}

#[test]
fn forward_tangent_loops_exact_small_cases() {
    // s_1 = x, s_2 = 1.1 x + 2 x
    assert_eq!(
        compounded_value_and_gradient(2.0, &[1.0, 2.0]),
        (6.2, [3.1])
    );
    // x = 2: 4.5, 9, 13.5 (three iterations); s x = 3 (x² + 0.5) x, derivative 9x² + 1.5
    assert_eq!(sum_until_ten_value_and_gradient(2.0), (27.0, [37.5]));
    // (x)(x + 1)(x + 2) at 2: 24, derivative 3x² + 6x + 2 = 26
    assert_eq!(rising_factorial_value_and_gradient(2.0, 3), (24.0, [26.0]));
    assert_eq!(rising_factorial_value_and_gradient(2.0, 0), (1.0, [0.0]));
    assert_eq!(last_value_value_and_gradient(0.5, &[]), (0.5, [1.0]));
    assert_eq!(
        recurrence_value_and_gradient(0.5, 3.0, 0),
        (9.5, [1.0, 6.0])
    );
    assert_eq!(
        discounted_value_and_gradient(0.5, 2.0, &[]),
        (1.0, [0.0, 0.0])
    );
    assert_eq!(newton_sqrt_value_and_gradient(4.0, 0), (1.0, [0.0]));
    assert_eq!(
        powers_and_series_value_and_jacobian(2.0, 3.0, 0),
        ([1.0, 0.0], [[0.0, 0.0], [0.0, 0.0]])
    );
    // p = x², q = x y + x²
    assert_eq!(
        powers_and_series_value_and_jacobian(2.0, 3.0, 2),
        ([4.0, 10.0], [[4.0, 0.0], [3.0 + 4.0, 2.0]])
    );
}

#[test]
fn newton_converged_gradient_is_that_of_the_square_root() {
    for a in [0.01, 0.5, 2.0, 9.0, 1e4] {
        let (v, [d]) = newton_sqrt_converged_value_and_gradient(a);
        assert_eq!(v, newton_sqrt_converged(a));
        assert_close_ctx(v, a.sqrt(), 1e-15, &format!("√{a}"));
        assert_close_ctx(d, 0.5 / a.sqrt(), 1e-12, &format!("d√{a}"));
    }
}

// ---------------------------------------------------------------------------------------------
// break, continue and `loop`
// ---------------------------------------------------------------------------------------------

/// `break` under an `if` on a differentiated value in an unrolled loop.
#[gradient]
fn sum_until_large(x: [f64; 6]) -> f64 {
    let mut s = 0.0;
    for i in 0..6 {
        if x[i] > 1.0 {
            break;
        }
        s += x[i] * x[i].sin();
    }
    s
}

fn sum_until_large_margin(x: [f64; 6]) -> f64 {
    let mut margin = f64::INFINITY;
    for xi in x {
        margin = margin.min((xi - 1.0).abs());
        if xi > 1.0 {
            break;
        }
    }
    margin
}

/// `continue` under an `if` on a differentiated value in an unrolled loop carrying a product.
#[gradient]
fn product_skipping_negatives(x: [f64; 6]) -> f64 {
    let mut p = 1.0;
    for xi in x {
        if xi < 0.0 {
            continue;
        }
        p *= 1.0 + xi;
    }
    p
}

/// `break` on the carried value in a run-time loop.
#[gradient]
fn grow_until_three(x: f64, data: &[f64]) -> f64 {
    let mut p = 1.0;
    for v in data {
        p *= 1.0 + x * v * v;
        if p > 3.0 {
            break;
        }
    }
    p
}

fn grow_until_three_margin(x: f64, data: &[f64]) -> f64 {
    let mut p = 1.0_f64;
    let mut margin = f64::INFINITY;
    for v in data {
        p *= 1.0 + x * v * v;
        margin = margin.min((p - 3.0).abs());
        if p > 3.0 {
            break;
        }
    }
    margin
}

/// `continue` on a differentiated value in a run-time loop that sums.
#[gradient]
fn sum_of_positive_residuals(w: f64, b: f64, xs: &[f64]) -> f64 {
    let mut s = 0.0;
    for x in xs {
        let r = w * x + b;
        if r < 0.0 {
            continue;
        }
        s += r * r * r;
    }
    s
}

fn residual_margin(w: f64, b: f64, xs: &[f64]) -> f64 {
    xs.iter()
        .map(|x| (w * x + b).abs())
        .fold(f64::INFINITY, f64::min)
}

/// `loop { … break; }` on an integer counter, carrying a product and a sum.
#[gradient]
fn loop_with_counter(x: f64, n: usize) -> f64 {
    let mut s = 0.0;
    let mut p = 1.0;
    let mut k = 0;
    loop {
        if k == n {
            break;
        }
        p *= x;
        s += p / (k as f64 + 1.0);
        k += 1;
    }
    s
}

/// `loop { … break; }` on a differentiated value.
#[gradient]
fn loop_until_ten(x: f64) -> f64 {
    let mut s = 0.0;
    loop {
        s += x * x + 0.5;
        if s > 10.0 {
            break;
        }
    }
    s * x
}

/// `break` in an inner loop leaves only that loop.
#[gradient]
fn break_inner_only(x: [f64; 3], data: &[f64]) -> f64 {
    let mut s = 0.0;
    for xi in x {
        for v in data {
            if *v < 0.0 {
                break;
            }
            s += (xi * v).sin();
        }
        s += xi;
    }
    s
}

#[test]
fn break_continue_and_loop_exact_small_cases() {
    // stops at x[1] = 2: only the first term
    let x = [0.5, 2.0, 0.1, 0.2, 0.3, 0.4];
    let (v, g) = sum_until_large_value_and_gradient(x);
    assert_eq!(v, 0.5 * 0.5_f64.sin());
    assert_eq!(
        g,
        [0.5_f64.sin() + 0.5 * 0.5_f64.cos(), 0.0, 0.0, 0.0, 0.0, 0.0]
    );
    // (1 + 1)(1 + 3), skipping the negatives
    assert_eq!(
        product_skipping_negatives_value_and_gradient([1.0, -2.0, 3.0, -0.5, 0.0, -1.0]),
        (8.0, [4.0, 0.0, 2.0, 0.0, 8.0, 0.0])
    );
    // x + x²/2 + x³/3 at 2, derivative 1 + x + x²
    assert_eq!(loop_with_counter_value_and_gradient(2.0, 3).1, [7.0]);
    assert_close(loop_with_counter(2.0, 3), 2.0 + 2.0 + 8.0 / 3.0, 1e-15);
    assert_eq!(loop_with_counter_value_and_gradient(2.0, 0), (0.0, [0.0]));
    // x = 2: 4.5, 9, 13.5; 3 (x² + 0.5) x, derivative 9x² + 1.5
    assert_eq!(loop_until_ten_value_and_gradient(2.0), (27.0, [37.5]));
    // data stops at the negative entry each time: s = Σ sin(xi · 1) + xi
    let (v, g) = break_inner_only_value_and_gradient([0.5, 1.0, 2.0], &[1.0, -1.0, 5.0]);
    assert_close(
        v,
        0.5_f64.sin() + 1.0_f64.sin() + 2.0_f64.sin() + 3.5,
        1e-15,
    );
    assert_all_close(
        &g,
        &[
            0.5_f64.cos() + 1.0,
            1.0_f64.cos() + 1.0,
            2.0_f64.cos() + 1.0,
        ],
        1e-15,
        "break inner",
    );
}

// ---------------------------------------------------------------------------------------------
// Nested: unrolled inside run-time and run-time inside unrolled
// ---------------------------------------------------------------------------------------------

/// An unrolled loop (product) inside a run-time loop (sum).
#[gradient]
fn unrolled_inside_runtime(w: [f64; 3], data: &[f64]) -> f64 {
    let mut s = 0.0;
    for v in data {
        let mut p = 1.0;
        for j in 0..3 {
            p *= w[j] + v;
        }
        for wj in w {
            s += wj * v;
        }
        s += p;
    }
    s
}

/// A run-time loop (sum) inside an unrolled loop (non-sum accumulator).
#[gradient]
fn runtime_inside_unrolled(w: [f64; 3], data: &[f64]) -> f64 {
    let mut acc = 0.0;
    for j in 0..3 {
        let mut s = 0.0;
        for v in data {
            s += (w[j] * v).sin();
        }
        acc = acc * w[j] + s;
    }
    acc
}

/// A run-time loop inside a run-time loop.
#[gradient]
fn runtime_inside_runtime(x: f64, y: f64, xs: &[f64], ys: &[f64]) -> f64 {
    let mut s = 0.0;
    for a in xs {
        for b in ys {
            s += (x * a - y * b).cos();
        }
    }
    s
}

// ---------------------------------------------------------------------------------------------
// Zero iterations of run-time loops
// ---------------------------------------------------------------------------------------------

#[gradient]
fn zero_trip_sum(x: f64, data: &[f64]) -> f64 {
    let mut s = x * x;
    for v in data {
        s += x * v;
    }
    s
}

#[test]
fn zero_iterations_of_runtime_loops() {
    for x in [-1.5, 0.0, 0.75, 2.0] {
        assert_eq!(zero_trip_sum_value_and_gradient(x, &[]), (x * x, [2.0 * x]));
        assert_eq!(zero_trip_sum_gradient(x, &[]), [2.0 * x]);
        let y = 0.3;
        assert_eq!(runtime_range_value_and_gradient(x, y, 0), (0.0, [0.0, 0.0]));
        assert_eq!(
            runtime_closed_range_value_and_gradient(x, 3, 2),
            (0.0, [0.0])
        );
        assert_eq!(
            zip_over_data_value_and_gradient(x, y, &[], &[]),
            (0.0, [0.0, 0.0])
        );
        assert_eq!(over_slice_value_and_gradient(x, y, &[]), (x * y, [y, x]));
        assert_eq!(
            while_on_constants_value_and_gradient(x + 3.0, 0),
            (0.0, [0.0])
        );
        // x² ≤ 0 only at x = 0: no iteration there.
        assert_eq!(
            while_on_active_condition_value_and_gradient(0.0, y),
            (y, [0.0, 1.0])
        );
        assert_eq!(
            unrolled_inside_runtime_value_and_gradient([x, y, 1.0], &[]),
            (0.0, [0.0; 3])
        );
        assert_eq!(
            runtime_inside_unrolled_value_and_gradient([x, y, 1.0], &[]),
            (0.0, [0.0; 3])
        );
        assert_eq!(
            runtime_inside_runtime_value_and_gradient(x, y, &[1.0], &[]),
            (0.0, [0.0, 0.0])
        );
        assert_eq!(
            runtime_inside_runtime_value_and_gradient(x, y, &[], &[1.0]),
            (0.0, [0.0, 0.0])
        );
    }
}

#[gradient]
fn sum_from_a_nonzero_start(x: f64, data: &[f64]) -> f64 {
    let mut s = x;
    for v in data {
        s += v;
    }
    s
}

#[test]
fn runtime_sum_value_is_not_reassociated() {
    // The function: (1 + 1e-16) + 1e-16 = 1 (each addition rounds back to 1).
    // Reassociated: 1 + (1e-16 + 1e-16) = 1 + 2.2e-16.
    let data = [1e-16, 1e-16];
    assert_eq!(sum_from_a_nonzero_start(1.0, &data), 1.0);
    assert_eq!(
        sum_from_a_nonzero_start_value_and_gradient(1.0, &data).0,
        1.0
    );
}

#[test]
fn runtime_sum_value_agrees_with_the_function_up_to_rounding() {
    let data = [1e-16, 1e-16];
    let (v, g) = sum_from_a_nonzero_start_value_and_gradient(1.0, &data);
    assert_close(v, sum_from_a_nonzero_start(1.0, &data), REASSOCIATED);
    assert_eq!(g, [1.0]);
}

#[test]
fn zero_iterations_with_a_nan_result_agree_with_the_function() {
    let (v, g) = several_sums_value_and_gradient(0.5, 1.5, &[]);
    let f = several_sums(0.5, 1.5, &[]);
    assert!(f.is_nan() && v.is_nan(), "function {f}, companion {v}");
    assert!(g.iter().all(|d| d.is_nan()), "{g:?}");
}

#[test]
fn runtime_range_counts_every_iteration() {
    // n = 1: s = sin(x) + x y, t = x - y², result s t
    let (x, y) = (0.7, -1.3);
    let (v, g) = runtime_range_value_and_gradient(x, y, 1);
    let (s, t) = (x.sin() + x * y, x - y * y);
    assert_close(v, s * t, 1e-15);
    assert_all_close(
        &g,
        &[(x.cos() + y) * t + s, x * t + s * (-2.0 * y)],
        1e-14,
        "n = 1",
    );
}

// ---------------------------------------------------------------------------------------------
// Jacobians through loops, a Hessian through an unrolled loop
// ---------------------------------------------------------------------------------------------

/// Prefix products and running sums: a vector result written inside an unrolled loop.
#[gradient]
fn prefix_products(x: [f64; 5]) -> [f64; 5] {
    let mut y = [0.0; 5];
    let mut p = 1.0;
    for i in 0..5 {
        p *= x[i];
        y[i] = p + x[i].sin();
    }
    y
}

/// Moments of data weighted by differentiated parameters: a vector result from run-time sums.
#[gradient]
fn weighted_moments(a: f64, b: f64, data: &[f64]) -> [f64; 3] {
    let mut s0 = 0.0;
    let mut s1 = 0.0;
    let mut s2 = 0.0;
    for v in data {
        let w = (a * v + b).exp();
        s0 += w;
        s1 += w * v;
        s2 += w * v * v;
    }
    [s0, s1 / s0, s2 / s0 - (s1 / s0) * (s1 / s0)]
}

#[gradient(hessian)]
fn rosenbrock_hessian_loop(x: [f64; 6]) -> f64 {
    let mut s = 0.0;
    for i in 0..5 {
        s += 100.0 * (x[i + 1] - x[i] * x[i]).powi(2) + (1.0 - x[i]).powi(2);
    }
    let mut p = 1.0;
    for xi in x {
        p *= 1.0 + 0.1 * xi.sin();
    }
    s + p
}

#[test]
fn hessian_through_unrolled_loop_at_the_rosenbrock_minimum() {
    let x = [1.0; 6];
    let h = rosenbrock_hessian_loop_hessian(x);
    let fd = fd_jacobian_of_gradient(rosenbrock_hessian_loop_gradient, x);
    assert_rows_close(&h, &fd, 1e-7, "at 1");
    for (i, row) in h.iter().enumerate() {
        for (j, &hij) in row.iter().enumerate() {
            assert_eq!(hij.to_bits(), h[j][i].to_bits(), "symmetry at ({i}, {j})");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Known engine bugs (ignored until fixed): `for` over an iterator of differentiated values other
// than a range or the array itself compiles, but the loop variable is taken as a constant, so
// the gradient is silently 0.
// ---------------------------------------------------------------------------------------------

#[gradient]
fn sum_over_iter(x: [f64; 3]) -> f64 {
    let mut s = 0.0;
    for xi in x.iter() {
        s += xi * xi;
    }
    s
}

#[gradient]
fn sum_over_array_literal(a: f64, b: f64) -> f64 {
    let mut s = 0.0;
    for v in [a, b, a * b] {
        s += v * v;
    }
    s
}

#[gradient]
fn sum_over_zip_with_active(x: [f64; 3], c: &[f64]) -> f64 {
    let mut s = 0.0;
    for (xi, ci) in x.iter().zip(c) {
        s += xi * ci;
    }
    s
}

#[test]

fn iterating_a_differentiated_array_by_iter() {
    assert_eq!(sum_over_iter_gradient([1.0, 2.0, 3.0]), [2.0, 4.0, 6.0]);
}

#[test]
fn iterating_an_array_literal_of_differentiated_values() {
    // a² + b² + a²b²
    assert_eq!(sum_over_array_literal_gradient(2.0, 3.0), [40.0, 30.0]);
}

#[test]

fn zipping_a_differentiated_array_with_data() {
    assert_eq!(
        sum_over_zip_with_active_gradient([1.0, 2.0, 3.0], &[4.0, 5.0, 6.0]),
        [4.0, 5.0, 6.0]
    );
}

// ---------------------------------------------------------------------------------------------
// Property tests against finite differences
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn ext_rosenbrock_matches_fd(x in proptest::array::uniform32(coord())) {
        let (v, g) = ext_rosenbrock_value_and_gradient(x);
        prop_assert_eq!(v, ext_rosenbrock(x));
        let ctx = format!("at {x:?}");
        assert_all_close(&g, &fd_gradient(ext_rosenbrock, x), FD, &ctx);
        assert_all_close(&g, &ext_rosenbrock_grad_analytic(x), 1e-12, &ctx);
        assert_all_close(&ext_rosenbrock_gradient(x), &g, SAME, &ctx);
    }

    #[test]
    fn mse_matches_fd(
        w in proptest::array::uniform4(coord()),
        b in coord(),
        (xs, ys) in samples(40),
    ) {
        prop_assume!(!xs.is_empty());
        let (v, (gw, gb)) = mse_value_and_gradient(w, b, &xs, &ys);
        prop_assert_eq!(v, mse(w, b, &xs, &ys));
        let ctx = format!("at w = {w:?}, b = {b}, {} samples", xs.len());
        let fd = fd_gradient(
            |p: [f64; 5]| mse([p[0], p[1], p[2], p[3]], p[4], &xs, &ys),
            [w[0], w[1], w[2], w[3], b],
        );
        let g = [gw[0], gw[1], gw[2], gw[3], gb];
        assert_all_close(&g, &fd, FD, &ctx);
        let (aw, ab) = mse_grad_analytic(w, b, &xs, &ys);
        assert_all_close(&g, &[aw[0], aw[1], aw[2], aw[3], ab], 1e-12, &ctx);
        let (gw2, gb2) = mse_gradient(w, b, &xs, &ys);
        assert_all_close(&[gw2[0], gw2[1], gw2[2], gw2[3], gb2], &g, SAME, &ctx);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn horner_matches_fd(x in coord(), c in proptest::array::uniform6(coord())) {
        let (v, g) = horner_value_and_gradient(x, c);
        prop_assert_eq!(v, horner(x, c));
        let fd = fd_derivative(|t| horner(t, c), x);
        assert_close_ctx(g[0], fd, FD, &format!("at {x}, c = {c:?}"));
    }

    #[test]
    fn pow7_matches_fd(x in coord()) {
        let (v, g) = pow7_value_and_gradient(x);
        prop_assert_eq!(v, pow7(x));
        assert_close_ctx(g[0], fd_derivative(pow7, x), FD, &format!("at {x}"));
        let (v, g) = pow5_closed_range_value_and_gradient(x);
        prop_assert_eq!(v, pow5_closed_range(x));
        assert_close_ctx(g[0], fd_derivative(pow5_closed_range, x), FD, &format!("at {x}"));
    }

    #[test]
    fn closed_range_product_matches_fd(x in proptest::array::uniform5(coord())) {
        let (v, g) = closed_range_product_value_and_gradient(x);
        prop_assert_eq!(v, closed_range_product(x));
        assert_all_close(&g, &fd_gradient(closed_range_product, x), FD, &format!("at {x:?}"));
        assert_all_close(&closed_range_product_gradient(x), &g, SAME, "_gradient");
    }

    #[test]
    fn len_of_active_array_matches_fd(
        x in proptest::array::uniform4(coord()),
        c in proptest::array::uniform4(coord()),
    ) {
        let (v, g) = len_of_active_array_value_and_gradient(x, c);
        prop_assert_eq!(v, len_of_active_array(x, c));
        let fd = fd_gradient(|p| len_of_active_array(p, c), x);
        assert_all_close(&g, &fd, FD, &format!("at {x:?}, c = {c:?}"));
    }

    #[test]
    fn for_each_element_matches_fd(x in proptest::array::uniform6(coord())) {
        let (v, g) = for_each_element_value_and_gradient(x);
        prop_assert_eq!(v, for_each_element(x));
        assert_all_close(&g, &fd_gradient(for_each_element, x), FD, &format!("at {x:?}"));
    }

    #[test]
    fn nested_unrolled_matches_fd(
        x in proptest::array::uniform9(coord()),
        v in proptest::array::uniform3(coord()),
    ) {
        let (val, (gx, gv)) = nested_unrolled_value_and_gradient(x, v);
        prop_assert_eq!(val, nested_unrolled(x, v));
        let ctx = format!("at x = {x:?}, v = {v:?}");
        assert_all_close(&gx, &fd_gradient(|p| nested_unrolled(p, v), x), FD, &ctx);
        assert_all_close(&gv, &fd_gradient(|p| nested_unrolled(x, p), v), FD, &ctx);
    }

    #[test]
    fn counter_in_arithmetic_matches_fd(x in proptest::array::uniform5(coord()), y in coord()) {
        let (v, (gx, gy)) = counter_in_arithmetic_and_inactive_code_value_and_gradient(x, y);
        prop_assert_eq!(v, counter_in_arithmetic_and_inactive_code(x, y));
        let ctx = format!("at x = {x:?}, y = {y}");
        let fx = fd_gradient(|p| counter_in_arithmetic_and_inactive_code(p, y), x);
        assert_all_close(&gx, &fx, FD, &ctx);
        let fy = fd_derivative(|t| counter_in_arithmetic_and_inactive_code(x, t), y);
        assert_close_ctx(gy, fy, FD, &ctx);
    }

    #[test]
    fn branches_in_unrolled_loop_match_fd(x in proptest::array::uniform6(coord())) {
        prop_assume!(branches_in_unrolled_loop_margin(x) > 0.05);
        let (v, g) = branches_in_unrolled_loop_value_and_gradient(x);
        prop_assert_eq!(v, branches_in_unrolled_loop(x));
        let fd = fd_gradient_h(branches_in_unrolled_loop, x, 1e-3);
        assert_all_close(&g, &fd, FD, &format!("at {x:?}"));
    }

    #[test]
    fn local_active_array_matches_fd(x in proptest::array::uniform8(coord())) {
        let (v, g) = local_active_array_value_and_gradient(x);
        prop_assert_eq!(v, local_active_array(x));
        assert_all_close(&g, &fd_gradient(local_active_array, x), FD, &format!("at {x:?}"));
    }

    #[test]
    fn len_of_constant_array_matches_fd(x in coord(), c in proptest::array::uniform5(coord())) {
        let (v, [g]) = len_of_constant_array_value_and_gradient(x, c);
        prop_assert_eq!(v, len_of_constant_array(x, c));
        let fd = fd_derivative(|t| len_of_constant_array(t, c), x);
        assert_close_ctx(g, fd, FD, &format!("at {x}, c = {c:?}"));
    }

    #[test]
    fn runtime_range_matches_fd(x in coord(), y in coord(), n in 0usize..20) {
        let (v, g) = runtime_range_value_and_gradient(x, y, n);
        assert_close_ctx(v, runtime_range(x, y, n), REASSOCIATED, "value");
        let ctx = format!("at ({x}, {y}), n = {n}");
        // Exact: f = s·t with s = Σ sin(xk)/k + xy/k, t = x − y²·Σ 1/k² (k = 1..n).
        let (mut s, mut t, mut ds_dx, mut ds_dy, mut dt_dy) = (0.0, x, 0.0, 0.0, 0.0);
        for i in 0..n {
            let k = i as f64 + 1.0;
            s += (x * k).sin() / k + x * y / k;
            t -= y * y / (k * k);
            ds_dx += (x * k).cos() + y / k;
            ds_dy += x / k;
            dt_dy -= 2.0 * y / (k * k);
        }
        assert_all_close(&g, &[ds_dx * t + s, ds_dy * t + s * dt_dy], 1e-12, &ctx);
        // Finite differences of sin(18x)-like terms lose digits: a looser tolerance.
        let fd = fd_gradient(|p: [f64; 2]| runtime_range(p[0], p[1], n), [x, y]);
        assert_all_close(&g, &fd, 1e-6, &ctx);
        assert_all_close(&runtime_range_gradient(x, y, n), &g, SAME, "_gradient");
    }

    #[test]
    fn runtime_closed_range_matches_fd(x in coord(), a in 0usize..6, len in 0usize..8) {
        // b = a + len - 1 ranges from one below a (zero iterations) upwards
        let b = (a + len).wrapping_sub(1);
        prop_assume!(b != usize::MAX);
        let (v, [g]) = runtime_closed_range_value_and_gradient(x, a, b);
        prop_assert_eq!(v, runtime_closed_range(x, a, b));
        let fd = fd_derivative(|t| runtime_closed_range(t, a, b), x);
        assert_close_ctx(g, fd, FD, &format!("at {x}, {a}..={b}"));
    }

    #[test]
    fn zip_over_data_matches_fd(w in coord(), b in coord(), (xs, ys) in pairs(24)) {
        prop_assume!(zip_over_data_margin(w, b, &xs, &ys) > 0.05);
        let (v, g) = zip_over_data_value_and_gradient(w, b, &xs, &ys);
        prop_assert_eq!(v, zip_over_data(w, b, &xs, &ys));
        let fd = fd_gradient_h(|p: [f64; 2]| zip_over_data(p[0], p[1], &xs, &ys), [w, b], 1e-3);
        assert_all_close(&g, &fd, FD, &format!("at ({w}, {b}), {} pairs", xs.len()));
    }

    #[test]
    fn over_slice_matches_fd(x in coord(), y in coord(), data in data(24)) {
        let (v, g) = over_slice_value_and_gradient(x, y, &data);
        assert_close_ctx(v, over_slice(x, y, &data), REASSOCIATED, "value");
        let fd = fd_gradient(|p: [f64; 2]| over_slice(p[0], p[1], &data), [x, y]);
        assert_all_close(&g, &fd, FD, &format!("at ({x}, {y}), data = {data:?}"));
    }

    #[test]
    fn while_on_constants_matches_fd(x in 0.5..3.0_f64, n in 0usize..16) {
        let (v, [g]) = while_on_constants_value_and_gradient(x, n);
        prop_assert_eq!(v, while_on_constants(x, n));
        let fd = fd_derivative_h(|t| while_on_constants(t, n), x, 0.1);
        assert_close_ctx(g, fd, FD, &format!("at {x}, n = {n}"));
    }

    #[test]
    fn while_on_active_condition_matches_fd(x in coord(), y in coord()) {
        // The trip count ⌈x²⌉ is piecewise constant: keep the steps inside one piece.
        prop_assume!(frac_margin(x * x) > 0.05);
        let (v, g) = while_on_active_condition_value_and_gradient(x, y);
        prop_assert_eq!(v, while_on_active_condition(x, y));
        let fd = fd_gradient_h(|p: [f64; 2]| while_on_active_condition(p[0], p[1]), [x, y], 1e-3);
        assert_all_close(&g, &fd, FD, &format!("at ({x}, {y})"));
    }

    #[test]
    fn several_sums_match_fd(a in coord(), b in coord(), data in data(24)) {
        prop_assume!(!data.is_empty());
        let (v, g) = several_sums_value_and_gradient(a, b, &data);
        assert_close_ctx(v, several_sums(a, b, &data), REASSOCIATED, "value");
        let fd = fd_gradient(|p: [f64; 2]| several_sums(p[0], p[1], &data), [a, b]);
        assert_all_close(&g, &fd, FD, &format!("at ({a}, {b}), data = {data:?}"));
    }

    #[test]
    fn unrolled_inside_runtime_matches_fd(w in proptest::array::uniform3(coord()), data in data(24)) {
        let (v, g) = unrolled_inside_runtime_value_and_gradient(w, &data);
        assert_close_ctx(v, unrolled_inside_runtime(w, &data), REASSOCIATED, "value");
        let fd = fd_gradient(|p| unrolled_inside_runtime(p, &data), w);
        assert_all_close(&g, &fd, FD, &format!("at {w:?}, data = {data:?}"));
    }

    #[test]
    fn runtime_inside_unrolled_matches_fd(w in proptest::array::uniform3(coord()), data in data(24)) {
        let (v, g) = runtime_inside_unrolled_value_and_gradient(w, &data);
        prop_assert_eq!(v, runtime_inside_unrolled(w, &data));
        let fd = fd_gradient(|p| runtime_inside_unrolled(p, &data), w);
        assert_all_close(&g, &fd, FD, &format!("at {w:?}, data = {data:?}"));
    }

    #[test]
    fn runtime_inside_runtime_matches_fd(x in coord(), y in coord(), xs in data(12), ys in data(12)) {
        let (v, g) = runtime_inside_runtime_value_and_gradient(x, y, &xs, &ys);
        assert_close_ctx(v, runtime_inside_runtime(x, y, &xs, &ys), REASSOCIATED, "value");
        let fd = fd_gradient(|p: [f64; 2]| runtime_inside_runtime(p[0], p[1], &xs, &ys), [x, y]);
        assert_all_close(&g, &fd, FD, &format!("at ({x}, {y})"));
    }

    #[test]
    fn pow_n_matches_fd(x in coord(), n in 0usize..12) {
        let (v, [g]) = pow_n_value_and_gradient(x, n);
        prop_assert_eq!(v, pow_n(x, n));
        assert_close_ctx(g, fd_derivative(|t| pow_n(t, n), x), FD, &format!("x^{n} at {x}"));
    }

    #[test]
    fn horner_slice_matches_fd(x in coord(), c in data(10)) {
        let (v, [g]) = horner_slice_value_and_gradient(x, &c);
        prop_assert_eq!(v, horner_slice(x, &c));
        let fd = fd_derivative(|t| horner_slice(t, &c), x);
        assert_close_ctx(g, fd, FD, &format!("at {x}, c = {c:?}"));
    }

    #[test]
    fn compounded_matches_fd(x in coord(), data in data(24)) {
        let (v, [g]) = compounded_value_and_gradient(x, &data);
        prop_assert_eq!(v, compounded(x, &data));
        let fd = fd_derivative(|t| compounded(t, &data), x);
        assert_close_ctx(g, fd, FD, &format!("at {x}, data = {data:?}"));
    }

    #[test]
    fn sum_until_ten_matches_fd(x in coord()) {
        // The trip count ⌈10 / (x² + 0.5)⌉ is piecewise constant: keep the steps in one piece.
        prop_assume!(frac_margin(10.0 / (x * x + 0.5)) > 0.05);
        let (v, [g]) = sum_until_ten_value_and_gradient(x);
        prop_assert_eq!(v, sum_until_ten(x));
        let fd = fd_derivative_h(sum_until_ten, x, 1e-4);
        assert_close_ctx(g, fd, FD, &format!("at {x}"));
    }

    #[test]
    fn newton_sqrt_matches_fd(a in 0.1..4.0_f64, n in 0usize..8) {
        let (v, [g]) = newton_sqrt_value_and_gradient(a, n);
        prop_assert_eq!(v, newton_sqrt(a, n));
        let fd = fd_derivative_h(|t| newton_sqrt(t, n), a, 0.05);
        assert_close_ctx(g, fd, FD, &format!("at {a}, n = {n}"));
    }

    #[test]
    fn recurrence_matches_fd(x in coord(), y in coord(), n in 0usize..12) {
        let (v, g) = recurrence_value_and_gradient(x, y, n);
        prop_assert_eq!(v, recurrence(x, y, n));
        let fd = fd_gradient(|p: [f64; 2]| recurrence(p[0], p[1], n), [x, y]);
        assert_all_close(&g, &fd, FD, &format!("at ({x}, {y}), n = {n}"));
    }

    #[test]
    fn discounted_matches_fd(r in coord(), g in coord(), data in data(16)) {
        let (v, grad) = discounted_value_and_gradient(r, g, &data);
        prop_assert_eq!(v, discounted(r, g, &data));
        let ctx = format!("at ({r}, {g}), data = {data:?}");
        // Exact: ∂/∂r = Σ k r^(k-1) v_k g + n r^(n-1), ∂/∂g = Σ r^k v_k.
        let power = |k: usize| if k == 0 { 0.0 } else { k as f64 * r.powi(k as i32 - 1) };
        let dr = data.iter().enumerate().map(|(k, v)| power(k) * v * g).sum::<f64>()
            + power(data.len());
        let dg: f64 = data.iter().enumerate().map(|(k, v)| r.powi(k as i32) * v).sum();
        assert_all_close(&grad, &[dr, dg], 1e-12, &ctx);
        // Finite differences lose about 1e-8 here when the terms cancel: a looser check.
        let fd = fd_gradient(|p: [f64; 2]| discounted(p[0], p[1], &data), [r, g]);
        assert_all_close(&grad, &fd, 1e-6, &ctx);
    }

    #[test]
    fn clipped_growth_matches_fd(x in coord(), data in data(16)) {
        prop_assume!(clipped_growth_margin(x, &data) > 0.05);
        let (v, [g]) = clipped_growth_value_and_gradient(x, &data);
        prop_assert_eq!(v, clipped_growth(x, &data));
        let fd = fd_derivative_h(|t| clipped_growth(t, &data), x, 1e-5);
        assert_close_ctx(g, fd, 1e-6, &format!("at {x}, data = {data:?}"));
        assert_close_ctx(g, clipped_growth_dual(x, &data), 1e-11, &format!("at {x}, data = {data:?}"));
    }

    #[test]
    fn rising_factorial_matches_fd(x in coord(), n in 0usize..8) {
        let (v, [g]) = rising_factorial_value_and_gradient(x, n);
        prop_assert_eq!(v, rising_factorial(x, n));
        let fd = fd_derivative(|t| rising_factorial(t, n), x);
        assert_close_ctx(g, fd, FD, &format!("at {x}, n = {n}"));
    }

    #[test]
    fn last_value_matches_fd(x in coord(), data in data(6)) {
        let (v, [g]) = last_value_value_and_gradient(x, &data);
        prop_assert_eq!(v, last_value(x, &data));
        let fd = fd_derivative(|t| last_value(t, &data), x);
        assert_close_ctx(g, fd, FD, &format!("at {x}, data = {data:?}"));
    }

    #[test]
    fn nested_runtime_products_match_fd(x in coord(), xs in data(8), n in 0usize..6) {
        let (v, [g]) = nested_runtime_products_value_and_gradient(x, &xs, n);
        assert_close_ctx(v, nested_runtime_products(x, &xs, n), REASSOCIATED, "value");
        let fd = fd_derivative(|t| nested_runtime_products(t, &xs, n), x);
        assert_close_ctx(g, fd, FD, &format!("at {x}, xs = {xs:?}, n = {n}"));
    }

    #[test]
    fn product_of_runtime_sums_matches_fd(x in coord(), xs in data(8), ys in data(8)) {
        let (v, [g]) = product_of_runtime_sums_value_and_gradient(x, &xs, &ys);
        prop_assert_eq!(v, product_of_runtime_sums(x, &xs, &ys));
        let fd = fd_derivative(|t| product_of_runtime_sums(t, &xs, &ys), x);
        assert_close_ctx(g, fd, FD, &format!("at {x}, xs = {xs:?}, ys = {ys:?}"));
    }

    #[test]
    fn powers_and_series_jacobian_matches_fd(x in coord(), y in coord(), n in 0usize..10) {
        let (v, j) = powers_and_series_value_and_jacobian(x, y, n);
        prop_assert_eq!(v, powers_and_series(x, y, n));
        let fd = fd_jacobian(|p: [f64; 2]| powers_and_series(p[0], p[1], n), [x, y]);
        assert_rows_close(&j, &fd, FD, &format!("at ({x}, {y}), n = {n}"));
        assert_rows_close(&powers_and_series_jacobian(x, y, n), &j, SAME, "_jacobian");
    }

    #[test]
    fn break_in_unrolled_loop_matches_fd(x in proptest::array::uniform6(coord())) {
        prop_assume!(sum_until_large_margin(x) > 0.05);
        let (v, g) = sum_until_large_value_and_gradient(x);
        prop_assert_eq!(v, sum_until_large(x));
        let fd = fd_gradient_h(sum_until_large, x, 1e-3);
        assert_all_close(&g, &fd, FD, &format!("at {x:?}"));
    }

    #[test]
    fn continue_in_unrolled_loop_matches_fd(x in proptest::array::uniform6(coord())) {
        prop_assume!(x.iter().all(|xi| xi.abs() > 0.05));
        let (v, g) = product_skipping_negatives_value_and_gradient(x);
        prop_assert_eq!(v, product_skipping_negatives(x));
        let fd = fd_gradient_h(product_skipping_negatives, x, 1e-3);
        assert_all_close(&g, &fd, FD, &format!("at {x:?}"));
    }

    #[test]
    fn break_in_runtime_loop_matches_fd(x in coord(), data in data(16)) {
        prop_assume!(grow_until_three_margin(x, &data) > 0.05);
        let (v, [g]) = grow_until_three_value_and_gradient(x, &data);
        prop_assert_eq!(v, grow_until_three(x, &data));
        let fd = fd_derivative_h(|t| grow_until_three(t, &data), x, 1e-5);
        assert_close_ctx(g, fd, FD, &format!("at {x}, data = {data:?}"));
    }

    #[test]
    fn continue_in_runtime_loop_matches_fd(w in coord(), b in coord(), xs in data(24)) {
        prop_assume!(residual_margin(w, b, &xs) > 0.05);
        let (v, g) = sum_of_positive_residuals_value_and_gradient(w, b, &xs);
        prop_assert_eq!(v, sum_of_positive_residuals(w, b, &xs));
        let fd = fd_gradient_h(
            |p: [f64; 2]| sum_of_positive_residuals(p[0], p[1], &xs),
            [w, b],
            1e-3,
        );
        assert_all_close(&g, &fd, FD, &format!("at ({w}, {b}), xs = {xs:?}"));
    }

    #[test]
    fn loop_with_counter_matches_fd(x in coord(), n in 0usize..10) {
        let (v, [g]) = loop_with_counter_value_and_gradient(x, n);
        assert_close_ctx(v, loop_with_counter(x, n), REASSOCIATED, "value");
        let fd = fd_derivative(|t| loop_with_counter(t, n), x);
        assert_close_ctx(g, fd, FD, &format!("at {x}, n = {n}"));
    }

    #[test]
    fn loop_until_ten_matches_fd(x in coord()) {
        prop_assume!(frac_margin(10.0 / (x * x + 0.5)) > 0.05);
        let (v, [g]) = loop_until_ten_value_and_gradient(x);
        prop_assert_eq!(v, loop_until_ten(x));
        let fd = fd_derivative_h(loop_until_ten, x, 1e-4);
        assert_close_ctx(g, fd, FD, &format!("at {x}"));
    }

    #[test]
    fn break_inner_only_matches_fd(x in proptest::array::uniform3(coord()), data in data(12)) {
        let (v, g) = break_inner_only_value_and_gradient(x, &data);
        assert_close_ctx(v, break_inner_only(x, &data), REASSOCIATED, "value");
        let fd = fd_gradient(|p| break_inner_only(p, &data), x);
        assert_all_close(&g, &fd, FD, &format!("at {x:?}, data = {data:?}"));
    }

    #[test]
    fn prefix_products_jacobian_matches_fd(x in proptest::array::uniform5(coord())) {
        let (v, j) = prefix_products_value_and_jacobian(x);
        prop_assert_eq!(v, prefix_products(x));
        assert_rows_close(&j, &fd_jacobian(prefix_products, x), FD, &format!("at {x:?}"));
        assert_rows_close(&prefix_products_jacobian(x), &j, SAME, "_jacobian");
    }

    #[test]
    fn weighted_moments_jacobian_matches_fd(a in -1.0..1.0_f64, b in coord(), data in data(24)) {
        prop_assume!(!data.is_empty());
        let (v, j) = weighted_moments_value_and_jacobian(a, b, &data);
        prop_assert_eq!(v, weighted_moments(a, b, &data));
        let fd = fd_jacobian(|p: [f64; 2]| weighted_moments(p[0], p[1], &data), [a, b]);
        assert_rows_close(&j, &fd, FD, &format!("at ({a}, {b}), data = {data:?}"));
        assert_rows_close(&weighted_moments_jacobian(a, b, &data), &j, SAME, "_jacobian");
    }

    #[test]
    fn hessian_through_unrolled_loop_matches_fd_of_gradient(x in proptest::array::uniform6(coord())) {
        let (v, g, h) = rosenbrock_hessian_loop_value_gradient_and_hessian(x);
        prop_assert_eq!(v, rosenbrock_hessian_loop(x));
        let ctx = format!("at {x:?}");
        assert_all_close(&g, &rosenbrock_hessian_loop_gradient(x), SAME, &ctx);
        assert_all_close(&g, &fd_gradient(rosenbrock_hessian_loop, x), FD, &ctx);
        let fd = fd_jacobian_of_gradient(rosenbrock_hessian_loop_gradient, x);
        assert_rows_close(&h, &fd, 1e-7, &ctx);
        assert_rows_close(&rosenbrock_hessian_loop_hessian(x), &h, SAME, &ctx);
    }
}

// ---- conditions on the counter of an unrolled loop are decided at compile time ----

#[gradient]
fn neighbours(x: [f64; 4]) -> f64 {
    let mut s = 0.0;
    for i in 0..4 {
        if i + 1 < 4 {
            s += x[i] * x[i + 1];
        }
    }
    s
}

#[test]
fn a_branch_on_the_counter_that_is_never_taken_is_not_lowered() {
    // s = x0 x1 + x1 x2 + x2 x3
    let x = [1.0, 2.0, 3.0, 4.0];
    assert_eq!(neighbours_gradient(x), [2.0, 4.0, 6.0, 3.0]);
}

// ---- a variable shadowed inside a run-time loop after it is updated ----

#[gradient]
fn shadowed_in_body(x: f64, data: &[f64]) -> f64 {
    let mut y = x;
    for v in data {
        y *= v;
        let y = 2.0 * y;
        assert!(y.is_finite());
    }
    y
}

#[test]
fn shadowing_inside_a_run_time_loop() {
    // y = x · Π data
    let data = [2.0, 3.0, 0.5];
    let (v, g) = shadowed_in_body_value_and_gradient(1.5, &data);
    assert_eq!(v, shadowed_in_body(1.5, &data));
    assert_eq!(g, [3.0]);
}

// ---- elements of `x.iter()` are references in the user's code ----

#[gradient]
fn positive_part(x: [f64; 4]) -> f64 {
    let mut s = 0.0;
    for (i, xi) in x.iter().enumerate() {
        if *xi > 0.0 {
            s += *xi * (i as f64 + 1.0);
        }
        debug_assert!(xi.is_finite());
    }
    s
}

#[test]
fn dereferenced_iter_elements_in_conditions_and_macros() {
    let x = [1.0, -2.0, 3.0, 0.5];
    assert_eq!(positive_part(x), 1.0 + 9.0 + 2.0);
    assert_eq!(positive_part_gradient(x), [1.0, 0.0, 3.0, 4.0]);
}

// --- run-time loops carrying a float that user code computed -----------------------------------

/// A carried float that starts from a value computed by user code, with a declared type.
#[gradient]
fn carried_from_user_value(x: f64, n: usize) -> f64 {
    let mut s: f64 = 2.0f64.sin();
    for _ in 0..n {
        s += x;
        s *= 0.9;
    }
    s
}

/// The same without a type annotation (the macro learns from the loop that `s` is a float), in a
/// `while` loop whose update is not a sum.
#[gradient]
fn carried_untyped(x: f64, n: usize) -> f64 {
    let mut s = 2.0f64.sin() + f64::from(u8::try_from(n % 3).unwrap_or(0));
    let mut i = 0;
    while i < n {
        s = s * x.cos() + 0.5;
        i += 1;
    }
    s
}

#[test]
fn runtime_loops_carry_floats_computed_by_user_code() {
    for n in [0, 1, 2, 5] {
        for x in [-1.3, 0.2, 0.7] {
            // s_k = (s_{k-1} + x)·0.9: ds_k/dx = (ds_{k-1}/dx + 1)·0.9.
            let mut d = 0.0;
            for _ in 0..n {
                d = (d + 1.0) * 0.9;
            }
            let (v, [g]) = carried_from_user_value_value_and_gradient(x, n);
            assert_eq!(v.to_bits(), carried_from_user_value(x, n).to_bits());
            assert_close_ctx(g, d, 1e-14, &format!("carried_from_user_value({x}, {n})"));
            let [g] = carried_untyped_gradient(x, n);
            let fd = fd_derivative(|x| carried_untyped(x, n), x);
            assert_close_ctx(g, fd, 1e-8, &format!("carried_untyped({x}, {n})"));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Found by mutation testing (docs/mutants.md): shapes no other test had
// ---------------------------------------------------------------------------------------------

/// Two run-time loops starting from the same value with different bodies: their derivatives
/// are distinct computations (the engine once could have merged them as one).
#[gradient]
fn twin_runtime_loops(x: f64, n: usize) -> f64 {
    let mut a = x;
    let mut i = 0;
    while i < n {
        a = (0.9 * a).sin();
        i += 1;
    }
    let mut b = x;
    let mut j = 0;
    while j < n {
        b = (0.8 * b).cos();
        j += 1;
    }
    a + 2.0 * b
}

/// A run-time loop carrying two floats that mix (a rotation with a decay): each end value
/// depends on both starting values.
#[gradient]
fn mixing_runtime_loop(x: f64, y: f64, n: usize) -> f64 {
    let (mut a, mut b) = (x, y);
    let mut i = 0;
    while i < n {
        let t = 0.9 * a - 0.3 * b.sin();
        b = 0.3 * a + 0.8 * b;
        a = t;
        i += 1;
    }
    a * a + b
}

const KEPT: usize = 40;

/// An array parameter read both in a kept loop and at constant indices: the constant reads'
/// adjoints join the loop's adjoint array.
#[gradient]
fn loop_and_constant_reads(x: [f64; KEPT]) -> f64 {
    let mut s = 0.0;
    for k in 0..KEPT {
        s += x[k] * x[k];
    }
    s * x[0] + x[KEPT - 1].sin()
}

proptest! {
    #[test]
    fn mutation_found_shapes(x in -1.5..1.5f64, y in -1.5..1.5f64, n in 0usize..6) {
        let (v, g) = twin_runtime_loops_value_and_gradient(x, n);
        assert_close(v, twin_runtime_loops(x, n), SAME);
        assert_close(g[0], fd_derivative(|x| twin_runtime_loops(x, n), x), FD);

        let (v, g) = mixing_runtime_loop_value_and_gradient(x, y, n);
        assert_close(v, mixing_runtime_loop(x, y, n), SAME);
        assert_close(g[0], fd_derivative(|x| mixing_runtime_loop(x, y, n), x), FD);
        assert_close(g[1], fd_derivative(|y| mixing_runtime_loop(x, y, n), y), FD);

        let arr: [f64; KEPT] = std::array::from_fn(|i| x + 0.05 * i as f64 * y);
        let (v, g) = loop_and_constant_reads_value_and_gradient(arr);
        assert_close(v, loop_and_constant_reads(arr), REASSOCIATED);
        let s: f64 = arr.iter().map(|v| v * v).sum();
        let mut exact: [f64; KEPT] = std::array::from_fn(|k| 2.0 * arr[k] * arr[0]);
        exact[0] += s;
        exact[KEPT - 1] += arr[KEPT - 1].cos();
        assert_all_close(&g, &exact, 1e-12, "loop and constant reads");
    }
}

/// A block of data code that jumps (`{ let t = d[i]; if t < 0.0 { continue; } }`): the jump
/// belongs to the differentiated loop around it, unrolled (`0..4`) or not (`0..n`).
#[gradient(wrt(x))]
fn skips_in_a_block(x: [f64; 4], d: [f64; 4], n: usize) -> f64 {
    let mut s = 0.0;
    for i in 0..4 {
        {
            let t = d[i];
            if t < 0.0 {
                continue;
            }
        }
        s += x[i] * d[i];
    }
    for i in 0..n {
        {
            if d[i % 4] > 1.0 {
                break;
            }
        }
        s += x[i % 4] * x[i % 4];
    }
    s
}

#[test]
fn jumps_in_blocks_of_data_code() {
    let x = [0.5, -1.5, 2.0, 0.25];
    let d = [0.5, -2.0, 1.5, 3.0];
    for n in 0..6 {
        // The first loop skips i = 1 (d₁ < 0); the second stops at i = 2 (d₂ > 1).
        let mut exact = [d[0], 0.0, d[2], d[3]];
        for i in 0..n.min(2) {
            exact[i] += 2.0 * x[i];
        }
        let g = skips_in_a_block_gradient(x, d, n);
        assert_all_close(&g, &exact, SAME, &format!("n = {n}"));
    }
}

/// Loops over the elements of a long array (`for v in x`, `for &v in &x`, `.iter().enumerate()`):
/// kept loops, as the loop over its indices is, whatever the length (not unrolled into 3 × 100
/// copies of the body).
#[gradient]
fn element_loops(x: [f64; 100]) -> f64 {
    let mut s = 0.0;
    for v in x {
        s += v * v;
    }
    for &v in &x {
        s += v.sin();
    }
    for (i, v) in x.iter().enumerate() {
        s += v * i as f64;
    }
    s
}

/// Longer than the 4,096 iterations that are unrolled.
#[gradient]
fn long_element_loop(x: [f64; 5000]) -> f64 {
    let mut s = 0.0;
    for v in x {
        s += (v * 0.5).cos();
    }
    s
}

/// A `break`: not of the kept form, so unrolled as before.
#[gradient]
fn element_loop_until_negative(x: [f64; 40]) -> f64 {
    let mut s = 0.0;
    for v in x {
        if v < 0.0 {
            break;
        }
        s += v * v;
    }
    s
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn loops_over_elements_of_long_arrays(seed in proptest::collection::vec(-2.0..2.0f64, 8), stop in 0usize..40) {
        let x: [f64; 100] = std::array::from_fn(|i| seed[i % 8] + 0.01 * i as f64);
        let (v, g) = element_loops_value_and_gradient(x);
        let exact_v: f64 = x.iter().enumerate().map(|(i, v)| v * v + v.sin() + v * i as f64).sum();
        assert_close(v, exact_v, 1e-13);
        let exact: Vec<f64> = x.iter().enumerate().map(|(i, v)| 2.0 * v + v.cos() + i as f64).collect();
        assert_all_close(&g, &exact, SAME, "element_loops");

        let y: [f64; 5000] = std::array::from_fn(|i| seed[i % 8] * (1.0 + 1e-4 * i as f64));
        let g = long_element_loop_gradient(y);
        let exact: Vec<f64> = y.iter().map(|v| -0.5 * (v * 0.5).sin()).collect();
        assert_all_close(&g, &exact, SAME, "long_element_loop");

        let z: [f64; 40] = std::array::from_fn(|i| if i == stop { -1.0 } else { seed[i % 8].abs() + 0.1 });
        let g = element_loop_until_negative_gradient(z);
        let exact: Vec<f64> = (0..40).map(|i| if i < stop { 2.0 * z[i] } else { 0.0 }).collect();
        assert_all_close(&g, &exact, SAME, "element_loop_until_negative");
    }
}

/// A range without an end, left by `break` (`for k in 0.. { if k >= n { break; } … }`); the
/// comparison `k >= n` teaches nothing that counts as the loop changing `n` (it was refused so).
#[gradient(wrt(x))]
fn open_range_until(x: [f64; 40], n: usize) -> f64 {
    let mut s = 0.0;
    for k in 0.. {
        if k >= n {
            break;
        }
        s += x[k] * x[k];
    }
    s
}

#[test]
fn open_ranges_left_by_break() {
    let x: [f64; 40] = std::array::from_fn(|i| 0.1 * i as f64 - 1.0);
    for n in [0, 1, 17, 40] {
        let exact: Vec<f64> = (0..40)
            .map(|k| if k < n { 2.0 * x[k] } else { 0.0 })
            .collect();
        assert_all_close(
            &open_range_until_gradient(x, n),
            &exact,
            SAME,
            &format!("n = {n}"),
        );
    }
}

/// A product over `0..N - 1` of a const generic `N`: a bound that is not a plain name, which the
/// stack tape of a nonlinear recurrence cannot be sized by in stable Rust.
#[gradient]
fn generic_chain_product<const N: usize>(x: [f64; N]) -> f64 {
    let mut p = 1.0;
    for i in 0..N - 1 {
        p *= 1.0 + 0.1 * x[i] * x[i + 1];
    }
    p
}

fn start_of(d: &[f64]) -> f64 {
    d[0]
}

/// A variable of a type the macro cannot see (`start_of(d)`) that a `while` loop makes
/// differentiated.
#[gradient(wrt(x))]
fn scaled_from_data_start(x: f64, d: &[f64], n: usize) -> f64 {
    let mut s = start_of(d);
    let mut k = 0;
    while k < n {
        s = s * x;
        k += 1;
    }
    s
}

/// A small array zipped with a slice read in place: the slice decides the loop over indices.
#[gradient(wrt(x, y))]
fn small_zipped_with_slice(x: [f64; 4], y: &[f64]) -> f64 {
    let mut s = 0.0;
    for (a, b) in x.iter().zip(y.iter()) {
        s += a * b * b;
    }
    s
}

#[test]
fn loops_over_less_common_bounds_and_sources() {
    let x: [f64; 7] = [0.5, -1.0, 2.0, 0.25, 1.5, -0.5, 1.0];
    assert_all_close(
        &generic_chain_product_gradient(x),
        &fd_gradient(generic_chain_product, x),
        FD,
        "generic_chain_product",
    );
    for n in 0..5 {
        let g = scaled_from_data_start_gradient(1.5, &[2.0], n)[0];
        let exact = if n == 0 {
            0.0
        } else {
            2.0 * n as f64 * 1.5f64.powi(n as i32 - 1)
        };
        assert_close(g, exact, 1e-14);
    }
    let y = [1.0, -2.0, 0.5, 3.0, 4.0];
    let (gx, gy) = small_zipped_with_slice_gradient([0.5, -1.0, 2.0, 0.25], &y);
    assert_all_close(&gx, &[1.0, 4.0, 0.25, 9.0], SAME, "dx");
    assert_all_close(&gy, &[1.0, 4.0, 2.0, 1.5, 0.0], SAME, "dy");
}

/// A `for` over the elements of a const generic array (read in place).
#[gradient]
fn generic_element_loop<const N: usize>(x: [f64; N]) -> f64 {
    let mut s = 0.0;
    for v in x.iter() {
        s += v * v * v;
    }
    s
}

#[test]
fn element_loops_over_const_generic_arrays() {
    let x = [0.5, -1.0, 2.0];
    assert_eq!(generic_element_loop_gradient(x), [0.75, 3.0, 12.0]);
}
