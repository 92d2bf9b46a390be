//! Loop benchmarks: `ext_rosenbrock` over `[f64; 32]` (a loop with a
//! constant trip count, unrolled by `#[gradient]`) and its `mse` over 150 samples (a loop over
//! data, a run-time trip count). For each, side by side in one run: the function alone, a
//! hand-written analytic gradient (one fused loop, as an expert writes it), the generated
//! `_gradient` and `_value_and_gradient`, and central finite differences.
//!
//! Run with `cargo bench --bench loops`. After divan's table, a summary measures each generated
//! companion against its hand-written counterpart in alternating batches (so that both see the
//! same machine state) and prints the ratios generated / hand-written.

// The functions are written the way users write loops.
#![allow(missing_docs, clippy::needless_range_loop)]

mod support;

use dual::gradient;
use std::hint::black_box;
use std::sync::LazyLock;
use support::{interleaved_ns, Summary};

fn main() {
    // Build the inputs before timing anything.
    LazyLock::force(&X32);
    LazyLock::force(&DATA);
    // Also under `cargo test --benches` (CI): the comparisons are only fair if they agree.
    sanity_check();
    divan::main();
    // `cargo test --benches` runs each benchmark once with `--test`: no summary then.
    let test_mode = std::env::args().any(|a| a == "--test");
    if !test_mode {
        ratio_summary();
    }
}

// ---------------------------------------------------------------------------------------------
// Deterministic inputs
// ---------------------------------------------------------------------------------------------

/// Deterministic pseudo-random numbers in [-1, 1) (a 64-bit LCG).
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

static X32: LazyLock<[f64; 32]> = LazyLock::new(|| {
    let r = lcg(11, 32);
    std::array::from_fn(|i| 1.2 * r[i])
});

const SAMPLES: usize = 150;

/// 150 samples of 4 features and their targets.
static DATA: LazyLock<(Vec<[f64; 4]>, Vec<f64>)> = LazyLock::new(|| {
    let r = lcg(7, 5 * SAMPLES);
    let xs = (0..SAMPLES)
        .map(|i| [r[5 * i], r[5 * i + 1], r[5 * i + 2], r[5 * i + 3]])
        .collect();
    let ys = (0..SAMPLES).map(|i| r[5 * i + 4]).collect();
    (xs, ys)
});

const W: [f64; 4] = [0.3, -0.7, 1.1, 0.25];
const B: f64 = -0.4;

// ---------------------------------------------------------------------------------------------
// ext_rosenbrock over [f64; 32]
// ---------------------------------------------------------------------------------------------

#[gradient]
fn ext_rosenbrock(x: [f64; 32]) -> f64 {
    let mut s = 0.0;
    for i in 0..31 {
        s += 100.0 * (x[i + 1] - x[i] * x[i]).powi(2) + (1.0 - x[i]).powi(2);
    }
    s
}

/// The hand-written gradient: one fused loop, each term's two contributions at once.
#[inline]
fn ext_rosenbrock_gradient_hand(x: [f64; 32]) -> [f64; 32] {
    let mut g = [0.0; 32];
    for i in 0..31 {
        let t = x[i + 1] - x[i] * x[i];
        g[i] += -400.0 * t * x[i] - 2.0 * (1.0 - x[i]);
        g[i + 1] = 200.0 * t;
    }
    g
}

/// The hand-written value and gradient, in the same loop.
#[inline]
fn ext_rosenbrock_value_and_gradient_hand(x: [f64; 32]) -> (f64, [f64; 32]) {
    let mut f = 0.0;
    let mut g = [0.0; 32];
    for i in 0..31 {
        let t = x[i + 1] - x[i] * x[i];
        let u = 1.0 - x[i];
        f += 100.0 * t * t + u * u;
        g[i] += -400.0 * t * x[i] - 2.0 * u;
        g[i + 1] = 200.0 * t;
    }
    (f, g)
}

/// Central finite differences, step `cbrt(eps) · max(1, |x_i|)`.
fn ext_rosenbrock_fd(x: [f64; 32]) -> [f64; 32] {
    let mut g = [0.0; 32];
    for i in 0..32 {
        let h = 6.0554544523933395e-6 * x[i].abs().max(1.0);
        let mut p = x;
        p[i] = x[i] + h;
        let fp = ext_rosenbrock(p);
        p[i] = x[i] - h;
        let fm = ext_rosenbrock(p);
        g[i] = (fp - fm) / (2.0 * h);
    }
    g
}

#[divan::bench_group(name = "ext_rosenbrock_32")]
mod rosenbrock_benches {
    use super::*;

    #[divan::bench]
    fn a_function() -> f64 {
        ext_rosenbrock(black_box(*X32))
    }

    #[divan::bench]
    fn b_hand_gradient() -> [f64; 32] {
        ext_rosenbrock_gradient_hand(black_box(*X32))
    }

    #[divan::bench]
    fn c_generated_gradient() -> [f64; 32] {
        ext_rosenbrock_gradient(black_box(*X32))
    }

    #[divan::bench]
    fn d_hand_value_and_gradient() -> (f64, [f64; 32]) {
        ext_rosenbrock_value_and_gradient_hand(black_box(*X32))
    }

    #[divan::bench]
    fn e_generated_value_and_gradient() -> (f64, [f64; 32]) {
        ext_rosenbrock_value_and_gradient(black_box(*X32))
    }

    #[divan::bench]
    fn f_central_differences() -> [f64; 32] {
        ext_rosenbrock_fd(black_box(*X32))
    }
}

// ---------------------------------------------------------------------------------------------
// mse over 150 samples, wrt(w, b)
// ---------------------------------------------------------------------------------------------

#[gradient(wrt(w, b))]
fn mse(w: [f64; 4], b: f64, xs: &[[f64; 4]], ys: &[f64]) -> f64 {
    let mut l = 0.0;
    for i in 0..xs.len() {
        let z = w[0] * xs[i][0] + w[1] * xs[i][1] + w[2] * xs[i][2] + w[3] * xs[i][3] + b;
        l += (z - ys[i]).powi(2);
    }
    l / xs.len() as f64
}

/// The hand-written gradient: one pass over the data accumulating the residual times each
/// feature; the factor 2 / n applied once at the end.
#[inline]
fn mse_gradient_hand(w: [f64; 4], b: f64, xs: &[[f64; 4]], ys: &[f64]) -> ([f64; 4], f64) {
    let (mut g0, mut g1, mut g2, mut g3, mut gb) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for (x, y) in xs.iter().zip(ys) {
        let r = w[0] * x[0] + w[1] * x[1] + w[2] * x[2] + w[3] * x[3] + b - y;
        g0 += r * x[0];
        g1 += r * x[1];
        g2 += r * x[2];
        g3 += r * x[3];
        gb += r;
    }
    let s = 2.0 / xs.len() as f64;
    ([g0 * s, g1 * s, g2 * s, g3 * s], gb * s)
}

/// The hand-written value and gradient, in the same pass.
#[inline]
fn mse_value_and_gradient_hand(
    w: [f64; 4],
    b: f64,
    xs: &[[f64; 4]],
    ys: &[f64],
) -> (f64, ([f64; 4], f64)) {
    let (mut l, mut g0, mut g1, mut g2, mut g3, mut gb) = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    for (x, y) in xs.iter().zip(ys) {
        let r = w[0] * x[0] + w[1] * x[1] + w[2] * x[2] + w[3] * x[3] + b - y;
        l += r * r;
        g0 += r * x[0];
        g1 += r * x[1];
        g2 += r * x[2];
        g3 += r * x[3];
        gb += r;
    }
    let n = xs.len() as f64;
    let s = 2.0 / n;
    (l / n, ([g0 * s, g1 * s, g2 * s, g3 * s], gb * s))
}

/// Central finite differences in the 5 differentiated scalars.
fn mse_fd(w: [f64; 4], b: f64, xs: &[[f64; 4]], ys: &[f64]) -> ([f64; 4], f64) {
    let mut p = [w[0], w[1], w[2], w[3], b];
    let mut g = [0.0; 5];
    for i in 0..5 {
        let v = p[i];
        let h = 6.0554544523933395e-6 * v.abs().max(1.0);
        p[i] = v + h;
        let fp = mse([p[0], p[1], p[2], p[3]], p[4], xs, ys);
        p[i] = v - h;
        let fm = mse([p[0], p[1], p[2], p[3]], p[4], xs, ys);
        p[i] = v;
        g[i] = (fp - fm) / (2.0 * h);
    }
    ([g[0], g[1], g[2], g[3]], g[4])
}

#[divan::bench_group(name = "mse_150")]
mod mse_benches {
    use super::*;

    fn data() -> (&'static [[f64; 4]], &'static [f64]) {
        (black_box(&DATA.0), black_box(&DATA.1))
    }

    #[divan::bench]
    fn a_function() -> f64 {
        let (xs, ys) = data();
        mse(black_box(W), black_box(B), xs, ys)
    }

    #[divan::bench]
    fn b_hand_gradient() -> ([f64; 4], f64) {
        let (xs, ys) = data();
        mse_gradient_hand(black_box(W), black_box(B), xs, ys)
    }

    #[divan::bench]
    fn c_generated_gradient() -> ([f64; 4], f64) {
        let (xs, ys) = data();
        mse_gradient(black_box(W), black_box(B), xs, ys)
    }

    #[divan::bench]
    fn d_hand_value_and_gradient() -> (f64, ([f64; 4], f64)) {
        let (xs, ys) = data();
        mse_value_and_gradient_hand(black_box(W), black_box(B), xs, ys)
    }

    #[divan::bench]
    fn e_generated_value_and_gradient() -> (f64, ([f64; 4], f64)) {
        let (xs, ys) = data();
        mse_value_and_gradient(black_box(W), black_box(B), xs, ys)
    }

    #[divan::bench]
    fn f_central_differences() -> ([f64; 4], f64) {
        let (xs, ys) = data();
        mse_fd(black_box(W), black_box(B), xs, ys)
    }
}

// ---------------------------------------------------------------------------------------------
// Ratio summary
// ---------------------------------------------------------------------------------------------

/// A batch runner: `n` calls of `$f($(black_box($arg)),*)`, each result black-boxed.
macro_rules! runner {
    ($f:path, $($arg:expr),*) => {
        &mut |n: u32| {
            for _ in 0..n {
                black_box($f($(black_box($arg)),*));
            }
        }
    };
}

fn print_case(name: &str, ns: &[f64]) {
    let [function, hand_g, gen_g, hand_vg, gen_vg, fd] = ns else {
        unreachable!()
    };
    println!(
        "{name:<18} {function:>9.1} {hand_g:>9.1} {gen_g:>9.1} {hand_vg:>9.1} {gen_vg:>9.1} {fd:>10.1}   {:>6.3} {:>6.3}   {:>6.2} {:>6.2}",
        gen_g / hand_g,
        gen_vg / hand_vg,
        gen_g / function,
        fd / gen_g,
    );
}

fn ratio_summary() {
    const ROUNDS: usize = 61;
    println!();
    println!("ns per call, fastest of {ROUNDS} alternating batches of about 0.5 ms each:");
    println!(
        "{:<18} {:>9} {:>9} {:>9} {:>9} {:>9} {:>10}   {:>6} {:>6}   {:>6} {:>6}",
        "case",
        "function",
        "hand g",
        "gen g",
        "hand v+g",
        "gen v+g",
        "central FD",
        "g/hand",
        "vg/hnd",
        "g/func",
        "FD/gen",
    );
    let x = *X32;
    let ns = interleaved_ns(
        &mut [
            runner!(ext_rosenbrock, x),
            runner!(ext_rosenbrock_gradient_hand, x),
            runner!(ext_rosenbrock_gradient, x),
            runner!(ext_rosenbrock_value_and_gradient_hand, x),
            runner!(ext_rosenbrock_value_and_gradient, x),
            runner!(ext_rosenbrock_fd, x),
        ],
        ROUNDS,
        Summary::Fastest,
    );
    print_case("ext_rosenbrock_32", &ns);
    let (xs, ys) = (&DATA.0[..], &DATA.1[..]);
    let ns = interleaved_ns(
        &mut [
            runner!(mse, W, B, xs, ys),
            runner!(mse_gradient_hand, W, B, xs, ys),
            runner!(mse_gradient, W, B, xs, ys),
            runner!(mse_value_and_gradient_hand, W, B, xs, ys),
            runner!(mse_value_and_gradient, W, B, xs, ys),
            runner!(mse_fd, W, B, xs, ys),
        ],
        ROUNDS,
        Summary::Fastest,
    );
    print_case("mse_150", &ns);
    println!();
    println!("g/hand = generated _gradient / hand-written gradient; vg/hnd = generated");
    println!("_value_and_gradient / hand-written value and gradient (targets: <= 1.25);");
    println!(
        "g/func = generated _gradient / the function; FD/gen = central differences / generated."
    );
}

/// The hand-written gradients agree with the generated ones (so the comparison is fair).
fn sanity_check() {
    let x = *X32;
    let (v, g) = ext_rosenbrock_value_and_gradient(x);
    let (hv, hg) = ext_rosenbrock_value_and_gradient_hand(x);
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1.0);
    assert!(close(v, hv) && g.iter().zip(hg).all(|(&a, b)| close(a, b)));
    let (xs, ys) = (&DATA.0[..], &DATA.1[..]);
    let (v, (gw, gb)) = mse_value_and_gradient(W, B, xs, ys);
    let (hv, (hw, hb)) = mse_value_and_gradient_hand(W, B, xs, ys);
    assert!(close(v, hv) && close(gb, hb) && gw.iter().zip(hw).all(|(&a, b)| close(a, b)));
}
