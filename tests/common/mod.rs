//! Shared helpers of the behaviour tests: independent oracles (Richardson-extrapolated finite
//! differences, num-dual forward mode) and tolerant comparisons with readable failure messages.
//!
//! Each test file uses a different subset of these helpers.
#![allow(dead_code)]

use num_dual::Dual64;

// ---------------------------------------------------------------------------------------------
// Comparisons
// ---------------------------------------------------------------------------------------------

/// Whether `actual` and `expected` agree to `rtol`, relative to the larger magnitude of the two
/// with a floor of 1 (so values near zero are compared with an absolute tolerance of `rtol`).
/// NaN never agrees with anything; infinities agree only with themselves.
pub fn is_close(actual: f64, expected: f64, rtol: f64) -> bool {
    if actual.is_nan() || expected.is_nan() {
        return false;
    }
    if actual.is_infinite() || expected.is_infinite() {
        return actual == expected;
    }
    let scale = actual.abs().max(expected.abs()).max(1.0);
    (actual - expected).abs() <= rtol * scale
}

/// Asserts that `actual` agrees with `expected` to `rtol` (see [`is_close`]).
#[track_caller]
pub fn assert_close(actual: f64, expected: f64, rtol: f64) {
    assert_close_ctx(actual, expected, rtol, "");
}

/// Like [`assert_close`], with a description of what is compared (input point, entry, ...).
#[track_caller]
pub fn assert_close_ctx(actual: f64, expected: f64, rtol: f64, ctx: &str) {
    if !is_close(actual, expected, rtol) {
        let diff = (actual - expected).abs();
        let rel = diff / actual.abs().max(expected.abs()).max(1.0);
        panic!(
            "values differ{sep}{ctx}\n    actual:   {actual:e} ({actual:?})\n    expected: {expected:e} ({expected:?})\n    |diff| = {diff:e}, relative = {rel:e}, rtol = {rtol:e}",
            sep = if ctx.is_empty() { "" } else { ": " },
        );
    }
}

/// Entry-wise [`assert_close_ctx`] of two slices of the same length.
#[track_caller]
pub fn assert_all_close(actual: &[f64], expected: &[f64], rtol: f64, ctx: &str) {
    assert_eq!(
        actual.len(),
        expected.len(),
        "length differs: {ctx}\n    actual:   {actual:?}\n    expected: {expected:?}"
    );
    for (i, (&a, &e)) in actual.iter().zip(expected).enumerate() {
        if !is_close(a, e, rtol) {
            assert_close_ctx(
                a,
                e,
                rtol,
                &format!("{ctx} [entry {i}]\n    actual:   {actual:?}\n    expected: {expected:?}"),
            );
        }
    }
}

/// Row-wise [`assert_all_close`] of two matrices given as slices of rows.
#[track_caller]
pub fn assert_rows_close<const N: usize>(
    actual: &[[f64; N]],
    expected: &[[f64; N]],
    rtol: f64,
    ctx: &str,
) {
    assert_eq!(
        actual.len(),
        expected.len(),
        "number of rows differs: {ctx}"
    );
    for (i, (a, e)) in actual.iter().zip(expected).enumerate() {
        assert_all_close(a, e, rtol, &format!("{ctx} [row {i}]"));
    }
}

// ---------------------------------------------------------------------------------------------
// Points
// ---------------------------------------------------------------------------------------------

/// `n` evenly spaced points from `a` to `b` inclusive.
pub fn linspace(a: f64, b: f64, n: usize) -> Vec<f64> {
    assert!(n >= 2);
    (0..n)
        .map(|i| a + (b - a) * i as f64 / (n - 1) as f64)
        .collect()
}

/// All pairs of the given coordinates.
pub fn grid2(xs: &[f64], ys: &[f64]) -> Vec<(f64, f64)> {
    xs.iter()
        .flat_map(|&x| ys.iter().map(move |&y| (x, y)))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Finite differences (Ridders' Richardson extrapolation of central differences)
// ---------------------------------------------------------------------------------------------

/// Derivative of `f` at `x` by Ridders' method: central differences with steps `h0`, `h0 / 1.4`,
/// `h0 / 1.4²`, ... extrapolated to step 0 (Richardson), returning the estimate with the smallest
/// error estimate. `f` is evaluated only inside `[x - h0, x + h0]`. Typically accurate to about
/// 1e-10 relative or better for smooth functions.
pub fn fd_derivative_h(f: impl Fn(f64) -> f64, x: f64, h0: f64) -> f64 {
    const CON: f64 = 1.4;
    const CON2: f64 = CON * CON;
    const NTAB: usize = 12;
    const SAFE: f64 = 2.0;
    assert!(h0 > 0.0, "initial step must be positive");
    let mut a = [[0.0_f64; NTAB]; NTAB];
    let mut h = h0;
    a[0][0] = (f(x + h) - f(x - h)) / (2.0 * h);
    let mut best = a[0][0];
    let mut err = f64::MAX;
    for i in 1..NTAB {
        h /= CON;
        a[0][i] = (f(x + h) - f(x - h)) / (2.0 * h);
        let mut fac = CON2;
        for j in 1..=i {
            a[j][i] = (a[j - 1][i] * fac - a[j - 1][i - 1]) / (fac - 1.0);
            fac *= CON2;
            let errt = (a[j][i] - a[j - 1][i])
                .abs()
                .max((a[j][i] - a[j - 1][i - 1]).abs());
            if errt <= err {
                err = errt;
                best = a[j][i];
            }
        }
        if (a[i][i] - a[i - 1][i - 1]).abs() >= SAFE * err {
            break;
        }
    }
    best
}

/// Default initial step of the finite differences: 1% of the magnitude of `x`, at least 0.01.
pub fn default_step(x: f64) -> f64 {
    0.01 * x.abs().max(1.0)
}

/// [`fd_derivative_h`] with the [`default_step`].
pub fn fd_derivative(f: impl Fn(f64) -> f64, x: f64) -> f64 {
    fd_derivative_h(f, x, default_step(x))
}

/// Gradient of `f` at `x` by [`fd_derivative`] in each coordinate.
pub fn fd_gradient<const N: usize>(f: impl Fn([f64; N]) -> f64, x: [f64; N]) -> [f64; N] {
    std::array::from_fn(|i| {
        fd_derivative(
            |t| {
                let mut y = x;
                y[i] = t;
                f(y)
            },
            x[i],
        )
    })
}

/// Jacobian (rows = outputs) of `f` at `x` by [`fd_derivative`] in each coordinate.
pub fn fd_jacobian<const N: usize, const M: usize>(
    f: impl Fn([f64; N]) -> [f64; M],
    x: [f64; N],
) -> [[f64; N]; M] {
    std::array::from_fn(|row| {
        std::array::from_fn(|col| {
            fd_derivative(
                |t| {
                    let mut y = x;
                    y[col] = t;
                    f(y)[row]
                },
                x[col],
            )
        })
    })
}

// ---------------------------------------------------------------------------------------------
// num-dual (forward mode, one seeded direction per input)
// ---------------------------------------------------------------------------------------------

/// The inputs as dual numbers with the derivative part seeded in direction `i`.
pub fn seeded<const N: usize>(x: [f64; N], i: usize) -> [Dual64; N] {
    std::array::from_fn(|k| Dual64::new(x[k], if k == i { 1.0 } else { 0.0 }))
}

/// Value and gradient of a scalar function of `N` inputs with num-dual, one pass per input.
pub fn nd_value_and_gradient<const N: usize>(
    f: impl Fn([Dual64; N]) -> Dual64,
    x: [f64; N],
) -> (f64, [f64; N]) {
    let value = f(x.map(Dual64::from_re)).re;
    let grad = std::array::from_fn(|i| f(seeded(x, i)).eps);
    (value, grad)
}

/// Value and Jacobian (rows = outputs) of a vector function with num-dual, one pass per input.
pub fn nd_value_and_jacobian<const N: usize, const M: usize>(
    f: impl Fn([Dual64; N]) -> [Dual64; M],
    x: [f64; N],
) -> ([f64; M], [[f64; N]; M]) {
    let value = f(x.map(Dual64::from_re)).map(|d| d.re);
    let columns: [[Dual64; M]; N] = std::array::from_fn(|i| f(seeded(x, i)));
    let jac = std::array::from_fn(|row| std::array::from_fn(|col| columns[col][row].eps));
    (value, jac)
}

/// `|x|` of a dual number (derivative `signum(x)`, 0 at 0).
pub fn nd_abs(x: Dual64) -> Dual64 {
    if x.re < 0.0 {
        -x
    } else if x.re > 0.0 {
        x
    } else {
        Dual64::new(0.0, 0.0)
    }
}

/// `max(x, y)` of dual numbers; at a tie the derivative of `x`.
pub fn nd_max(x: Dual64, y: Dual64) -> Dual64 {
    if x.re >= y.re {
        x
    } else {
        y
    }
}

/// `min(x, y)` of dual numbers; at a tie the derivative of `x`.
pub fn nd_min(x: Dual64, y: Dual64) -> Dual64 {
    if x.re <= y.re {
        x
    } else {
        y
    }
}

/// Self-checks of the oracles against known derivatives, so that a broken oracle cannot make the
/// behaviour tests pass or fail for the wrong reason. Run from `tests/properties.rs`.
pub fn check_oracles() {
    for x in linspace(-3.0, 3.0, 13) {
        assert_close_ctx(
            fd_derivative(f64::sin, x),
            x.cos(),
            1e-11,
            &format!("fd sin' at {x}"),
        );
        assert_close_ctx(
            fd_derivative(f64::exp, x),
            x.exp(),
            1e-11,
            &format!("fd exp' at {x}"),
        );
        let g = fd_gradient(|v: [f64; 2]| v[0] * v[0] * v[1] + v[1], [x, 2.0]);
        assert_all_close(&g, &[4.0 * x, x * x + 1.0], 1e-10, "fd gradient");
    }
    use num_dual::DualNum;
    let (v, g) = nd_value_and_gradient(|v: [Dual64; 2]| v[0] * v[0].sin() * v[1], [1.5, -2.0]);
    assert_close(v, 1.5 * 1.5_f64.sin() * -2.0, 1e-15);
    assert_all_close(
        &g,
        &[
            (1.5_f64.sin() + 1.5 * 1.5_f64.cos()) * -2.0,
            1.5 * 1.5_f64.sin(),
        ],
        1e-14,
        "num-dual gradient",
    );
}
