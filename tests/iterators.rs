//! Iterator chains over differentiated arrays, as numeric Rust writes them (argmin's test
//! functions are written this way): each is rewritten into the loop over indices it stands for,
//! kept a loop, and checked against finite differences and exact derivatives at random points.

mod common;

use common::*;
use dual::gradient;
use num_dual::{Dual64, DualNum};
use proptest::prelude::*;

const D: usize = 12;

/// Rosenbrock as argmin writes it: `zip` with `skip(1)`, `map`, `sum`.
#[gradient]
fn rosenbrock(x: [f64; D]) -> f64 {
    x.iter()
        .zip(x.iter().skip(1))
        .map(|(&a, &b)| 100.0 * (b - a * a).powi(2) + (1.0 - a).powi(2))
        .sum::<f64>()
}

/// Rastrigin: `map` with a captured constant, `sum()` without a turbofish.
#[gradient]
fn rastrigin(x: [f64; D], a: f64) -> f64 {
    let s: f64 = x
        .iter()
        .map(|v| v * v - a * (2.0 * std::f64::consts::PI * v).cos())
        .sum();
    a * D as f64 + s
}

/// Ackley: two sums over the same array.
#[gradient]
fn ackley(x: [f64; D]) -> f64 {
    let n = D as f64;
    let sq: f64 = x.iter().map(|v| v * v).sum();
    let cs: f64 = x
        .iter()
        .map(|v| (2.0 * std::f64::consts::PI * v).cos())
        .sum();
    -20.0 * (-0.2 * (sq / n).sqrt()).exp() - (cs / n).exp() + 20.0 + std::f64::consts::E
}

/// `enumerate`, `fold` with a two-parameter closure, `product`, `rev`, `take`, `step_by`.
#[gradient]
fn adapters(x: [f64; D], w: f64) -> f64 {
    let weighted = x
        .iter()
        .enumerate()
        .fold(0.0, |acc, (i, v)| acc + (i as f64 + 1.0) * v * w);
    let p: f64 = x.iter().take(4).map(|v| 1.0 + 0.1 * v).product();
    let tail: f64 = x.iter().rev().step_by(3).map(|v| v.sin()).sum();
    weighted * p + tail
}

/// `fold` with `f64::max` (a soft maximum's stable shift), and a `for` loop over a chain.
#[gradient]
fn log_sum_exp(x: [f64; D]) -> f64 {
    let m = x.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut s = 0.0;
    for e in x.iter().map(|v| (v - m).exp()) {
        s += e;
    }
    m + s.ln()
}

/// Sub-slices: `x[a..b].iter()`.
#[gradient]
fn middle_energy(x: [f64; D]) -> f64 {
    x[2..D - 2].iter().map(|v| v.powi(4)).sum::<f64>()
}

fn point(seed: &[f64], scale: f64) -> [f64; D] {
    std::array::from_fn(|i| scale * seed[i % seed.len()] * (1.0 + 0.03 * i as f64))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn classic_test_functions(seed in proptest::collection::vec(-1.5..1.5f64, 5), a in 1.0..10.0f64) {
        let x = point(&seed, 1.0);
        let (v, g) = rosenbrock_value_and_gradient(x);
        assert_close(v, rosenbrock(x), 1e-14);
        let mut exact = [0.0; D];
        for i in 0..D - 1 {
            let t = x[i + 1] - x[i] * x[i];
            exact[i] += -400.0 * t * x[i] - 2.0 * (1.0 - x[i]);
            exact[i + 1] += 200.0 * t;
        }
        assert_all_close(&g, &exact, 1e-12, "rosenbrock");

        let (v, (gx, ga)) = rastrigin_value_and_gradient(x, a);
        assert_close(v, rastrigin(x, a), 1e-14);
        let two_pi = 2.0 * std::f64::consts::PI;
        let exact: Vec<f64> = x.iter().map(|v| 2.0 * v + a * two_pi * (two_pi * v).sin()).collect();
        assert_all_close(&gx, &exact, 1e-12, "rastrigin dx");
        let da = D as f64 - x.iter().map(|v| (two_pi * v).cos()).sum::<f64>();
        assert_close(ga, da, 1e-12);

        let (v, g) = ackley_value_and_gradient(x);
        assert_close(v, ackley(x), 1e-13);
        assert_all_close(&g, &fd_gradient(ackley, x), 1e-8, "ackley");
    }

    #[test]
    fn every_adapter(seed in proptest::collection::vec(-1.5..1.5f64, 7), w in -2.0..2.0f64) {
        let x = point(&seed, 0.8);
        let (v, (gx, gw)) = adapters_value_and_gradient(x, w);
        assert_close(v, adapters(x, w), 1e-14);
        assert_all_close(&gx, &fd_gradient(|x| adapters(x, w), x), 1e-8, "adapters dx");
        assert_close(gw, fd_derivative(|w| adapters(x, w), w), 1e-8);

        let (v, g) = log_sum_exp_value_and_gradient(x);
        assert_close(v, log_sum_exp(x), 1e-14);
        let s: f64 = x.iter().map(|v| v.exp()).sum();
        let softmax: Vec<f64> = x.iter().map(|v| v.exp() / s).collect();
        assert_all_close(&g, &softmax, 1e-12, "log_sum_exp");

        let (v, g) = middle_energy_value_and_gradient(x);
        assert_close(v, middle_energy(x), 1e-14);
        let exact: Vec<f64> = (0..D)
            .map(|i| if (2..D - 2).contains(&i) { 4.0 * x[i].powi(3) } else { 0.0 })
            .collect();
        assert_all_close(&g, &exact, 1e-13, "middle_energy");
    }
}

const LONG: usize = 40;

/// `zip` with a local array, in a function whose loops stay loops (more than 32 iterations):
/// the chain's length is the one written in the declaration, so the loop header reads nothing
/// out of scope (found by the random sample: E0425 on `z`).
#[gradient]
fn zip_with_local(a: [f64; LONG]) -> f64 {
    let mut z = [0.0; LONG];
    for i in 0..LONG {
        z[i] = a[i].sin() * 2.0;
    }
    a.iter().zip(z.iter()).map(|(p, q)| p * q).sum()
}

/// A chain over a slice read in place: the gradient is a `Vec` as long as the slice.
#[gradient(wrt(x))]
fn slice_chain(x: &[f64], w: f64) -> f64 {
    x.iter().map(|v| w * v * v).sum::<f64>()
        + x.iter().rev().step_by(2).map(|v| v.cos()).sum::<f64>()
}

proptest! {
    #[test]
    fn chains_over_local_arrays_and_slices(seed in proptest::collection::vec(-1.5..1.5f64, 7), w in -2.0..2.0f64) {
        let a: [f64; LONG] = std::array::from_fn(|i| seed[i % 7] + 0.01 * i as f64);
        let (v, g) = zip_with_local_value_and_gradient(a);
        assert_close(v, zip_with_local(a), 1e-13);
        // d/da_i (2 a_i sin a_i) = 2 sin a_i + 2 a_i cos a_i
        let exact: Vec<f64> = a.iter().map(|a| 2.0 * a.sin() + 2.0 * a * a.cos()).collect();
        assert_all_close(&g, &exact, 1e-12, "zip_with_local");

        let x: Vec<f64> = seed.clone();
        let g = slice_chain_gradient(&x, w);
        let n = x.len();
        let exact: Vec<f64> = (0..n)
            .map(|i| 2.0 * w * x[i] - if (n - 1 - i) % 2 == 0 { x[i].sin() } else { 0.0 })
            .collect();
        assert_eq!(g.len(), n);
        assert_all_close(&g, &exact, 1e-12, "slice_chain");
    }
}

/// `filter` on the values (a hinge), then `map` and `sum`; and in a `for` over a chain, after a
/// `map`, in a loop kept a loop.
#[gradient]
fn hinge(x: [f64; LONG], w: f64) -> f64 {
    let positive: f64 = x.iter().filter(|v| **v > 0.0).map(|v| w * v * v).sum();
    let mut big = 0.0;
    for v in x.iter().map(|v| v.sin()).filter(|&s| s.abs() > 0.5) {
        big += v * w;
    }
    positive + big
}

proptest! {
    #[test]
    fn filter_guards_the_loop(seed in proptest::collection::vec(-1.5..1.5f64, 7), w in -2.0..2.0f64) {
        let x: [f64; LONG] = std::array::from_fn(|i| seed[i % 7] + 0.013 * i as f64);
        let (v, (gx, gw)) = hinge_value_and_gradient(x, w);
        assert_close(v, hinge(x, w), 1e-13);
        let exact: Vec<f64> = x
            .iter()
            .map(|&v| {
                let hinge = if v > 0.0 { 2.0 * w * v } else { 0.0 };
                let big = if v.sin().abs() > 0.5 { w * v.cos() } else { 0.0 };
                hinge + big
            })
            .collect();
        assert_all_close(&gx, &exact, 1e-12, "hinge dx");
        let exact_w: f64 = x.iter().filter(|v| **v > 0.0).map(|v| v * v).sum::<f64>()
            + x.iter().map(|v| v.sin()).filter(|s| s.abs() > 0.5).sum::<f64>();
        assert_close(gw, exact_w, 1e-12);
    }
}

/// Rosenbrock over `windows(2)`, as many write it; in a short array (unrolled) and a long one
/// (kept a loop).
#[gradient]
fn rosenbrock_windows(x: [f64; D]) -> f64 {
    x.windows(2)
        .map(|w| 100.0 * (w[1] - w[0] * w[0]).powi(2) + (1.0 - w[0]).powi(2))
        .sum()
}

#[gradient]
fn rosenbrock_windows_long(x: [f64; LONG]) -> f64 {
    x.windows(2)
        .map(|w| 100.0 * (w[1] - w[0] * w[0]).powi(2) + (1.0 - w[0]).powi(2))
        .sum()
}

/// The exact gradient of Rosenbrock's function.
fn rosenbrock_exact<const N: usize>(x: [f64; N]) -> [f64; N] {
    let mut g = [0.0; N];
    for i in 0..N - 1 {
        let t = x[i + 1] - x[i] * x[i];
        g[i] += -400.0 * t * x[i] - 2.0 * (1.0 - x[i]);
        g[i + 1] += 200.0 * t;
    }
    g
}

/// `chunks` (the last one shorter), `chunks_exact`, windows of a sub-slice in a `for` loop, a
/// window's sub-slice iterated, `len()` of a chunk.
#[gradient]
fn slices_of(x: [f64; D], w: f64) -> f64 {
    let pairs: f64 = x
        .chunks(5)
        .map(|c| c[0] * c.iter().sum::<f64>() * c.len() as f64)
        .sum();
    let triples: f64 = x.chunks_exact(3).map(|c| w * c[2] - c[0]).product();
    let mut s = 0.0;
    for t in x[1..].windows(3) {
        s += t[1..].iter().map(|v| v * t[0]).sum::<f64>();
    }
    pairs + triples + s
}

#[gradient]
fn slices_of_long(x: [f64; LONG], w: f64) -> f64 {
    let pairs: f64 = x
        .chunks(7)
        .map(|c| c[0] * c.iter().sum::<f64>() * c.len() as f64)
        .sum();
    let triples: f64 = x
        .chunks_exact(3)
        .map(|c| 1.0 + 0.1 * w * c[2] - 0.1 * c[0])
        .product();
    let mut s = 0.0;
    for t in x[1..].windows(3) {
        s += t[1..].iter().map(|v| v * t[0]).sum::<f64>();
    }
    pairs + triples + s
}

/// `chain` into `map`, `sum`, `fold` after `rev`, and a `for` loop (one loop per part).
#[gradient]
fn chained(x: [f64; D], y: [f64; 3]) -> f64 {
    let mut t = 0.0;
    for v in x.iter().chain(y.iter()).map(|v| v * v) {
        t += v.sin();
    }
    let e: f64 = x.iter().chain(&y).map(|v| v.exp()).sum();
    let f = x.iter().chain(y.iter()).rev().fold(0.0, |a, v| a * 0.5 + v);
    e + t + f
}

/// `max_by`, `min_by` (a reversed comparator is a maximum), `reduce` with `f64::min` and with a
/// closure.
#[gradient]
fn extremes(x: [f64; D]) -> f64 {
    let m = *x.iter().max_by(|a, b| a.total_cmp(b)).unwrap();
    let n = x
        .iter()
        .copied()
        .min_by(|a, b| b.partial_cmp(a).unwrap())
        .unwrap();
    let r = x.iter().copied().reduce(f64::min).expect("items");
    let q = x.iter().map(|v| v * v).reduce(|a, b| a + b).unwrap();
    2.0 * m + n + r * r + q
}

#[gradient]
fn extremes_long(x: [f64; LONG]) -> f64 {
    let m = x.iter().copied().max_by(f64::total_cmp).unwrap();
    let r = x.iter().copied().min_by(|a, b| a.total_cmp(b)).unwrap();
    m * r
}

/// The index of the largest and smallest element (distinct draws make them unique).
fn arg_extremes(x: &[f64]) -> (usize, usize) {
    let max = (0..x.len()).max_by(|&a, &b| x[a].total_cmp(&x[b])).unwrap();
    let min = (0..x.len()).min_by(|&a, &b| x[a].total_cmp(&x[b])).unwrap();
    (max, min)
}

fn long_point(seed: &[f64], scale: f64) -> [f64; LONG] {
    std::array::from_fn(|i| scale * seed[i % seed.len()] * (1.0 + 0.03 * i as f64))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn windows_chunks_chain_and_extremes(
        seed in proptest::collection::vec(-1.5..1.5f64, 7),
        y in proptest::array::uniform3(-1.5..1.5f64),
        w in -2.0..2.0f64,
    ) {
        let x = point(&seed, 1.0);
        let (v, g) = rosenbrock_windows_value_and_gradient(x);
        assert_close(v, rosenbrock(x), 1e-14);
        assert_all_close(&g, &rosenbrock_exact(x), 1e-12, "rosenbrock windows");
        let xl = long_point(&seed, 1.0);
        let (v, g) = rosenbrock_windows_long_value_and_gradient(xl);
        assert_close(v, rosenbrock_windows_long(xl), 1e-14);
        assert_all_close(&g, &rosenbrock_exact(xl), 1e-12, "rosenbrock windows long");

        let (v, (gx, gw)) = slices_of_value_and_gradient(x, w);
        assert_close(v, slices_of(x, w), 1e-14);
        assert_all_close(&gx, &fd_gradient(|x| slices_of(x, w), x), 1e-8, "slices dx");
        assert_close(gw, fd_derivative(|w| slices_of(x, w), w), 1e-8);
        let (v, (gx, gw)) = slices_of_long_value_and_gradient(xl, w);
        assert_close(v, slices_of_long(xl, w), 1e-14);
        assert_all_close(&gx, &fd_gradient(|x| slices_of_long(x, w), xl), 1e-7, "slices long dx");
        assert_close(gw, fd_derivative(|w| slices_of_long(xl, w), w), 1e-7);

        let (v, (gx, gy)) = chained_value_and_gradient(x, y);
        assert_close(v, chained(x, y), 1e-14);
        assert_all_close(&gx, &fd_gradient(|x| chained(x, y), x), 1e-8, "chained dx");
        assert_all_close(&gy, &fd_gradient(|y| chained(x, y), y), 1e-8, "chained dy");

        // Extremes: exact, away from ties (the draws are distinct with probability one).
        let (v, g) = extremes_value_and_gradient(x);
        assert_close(v, extremes(x), 0.0);
        let (max, min) = arg_extremes(&x);
        let mut exact: [f64; D] = std::array::from_fn(|i| 2.0 * x[i]);
        exact[max] += 3.0;
        exact[min] += 2.0 * x[min];
        assert_all_close(&g, &exact, 1e-14, "extremes");
        let (v, g) = extremes_long_value_and_gradient(xl);
        assert_close(v, extremes_long(xl), 0.0);
        let (max, min) = arg_extremes(&xl);
        let mut exact = [0.0; LONG];
        exact[max] += xl[min];
        exact[min] += xl[max];
        assert_all_close(&g, &exact, 1e-14, "extremes long");
    }
}

/// Arrays built by closures: `x.map(..)` and `std::array::from_fn(..)` (length from the `let`'s
/// type, a turbofish or the result), short and long.
#[gradient]
fn built(x: [f64; D], w: f64) -> f64 {
    let y = x.map(|v| (w * v).sin());
    let z: [f64; D] = std::array::from_fn(|i| y[i] * x[(i + 1) % D]);
    let q = std::array::from_fn::<f64, 3, _>(|i: usize| x[i] * w);
    z.iter().sum::<f64>() + q[2] * q[0]
}

#[gradient]
fn built_long(x: [f64; LONG], w: f64) -> f64 {
    let y = x.map(|v| (w * v).sin());
    let z: [f64; LONG] = std::array::from_fn(|i| y[i] * x[(i + 1) % LONG]);
    z.iter().sum::<f64>()
}

/// A vector result built by `map` and by `from_fn`.
#[gradient]
fn squares(x: [f64; 3]) -> [f64; 3] {
    x.map(|v| v * v)
}

#[gradient]
fn scaled(x: [f64; 3], w: f64) -> [f64; 3] {
    std::array::from_fn(|i| x[i] * w)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn arrays_built_by_closures(seed in proptest::collection::vec(-1.5..1.5f64, 7), w in -2.0..2.0f64) {
        let x = point(&seed, 1.0);
        let (v, (gx, gw)) = built_value_and_gradient(x, w);
        assert_close(v, built(x, w), 1e-14);
        assert_all_close(&gx, &fd_gradient(|x| built(x, w), x), 1e-8, "built dx");
        assert_close(gw, fd_derivative(|w| built(x, w), w), 1e-8);
        let xl = long_point(&seed, 1.0);
        let (v, (gx, gw)) = built_long_value_and_gradient(xl, w);
        assert_close(v, built_long(xl, w), 1e-14);
        // Exact: d/dx_j of Σ sin(w x_i) x_{i+1}.
        let exact: Vec<f64> = (0..LONG)
            .map(|j| {
                let prev = (j + LONG - 1) % LONG;
                w * (w * xl[j]).cos() * xl[(j + 1) % LONG] + (w * xl[prev]).sin()
            })
            .collect();
        assert_all_close(&gx, &exact, 1e-12, "built long dx");
        let exact_w: f64 = (0..LONG).map(|i| xl[i] * (w * xl[i]).cos() * xl[(i + 1) % LONG]).sum();
        assert_close(gw, exact_w, 1e-12);

        let y = [x[0], x[1], x[2]];
        let (v, j) = squares_value_and_jacobian(y);
        prop_assert_eq!(v, squares(y));
        prop_assert_eq!(j, [[2.0 * y[0], 0.0, 0.0], [0.0, 2.0 * y[1], 0.0], [0.0, 0.0, 2.0 * y[2]]]);
        let (v, j) = scaled_value_and_jacobian(y, w);
        prop_assert_eq!(v, scaled(y, w));
        prop_assert_eq!(j, [[w, 0.0, 0.0, y[0]], [0.0, w, 0.0, y[1]], [0.0, 0.0, w, y[2]]]);
    }
}

// num-dual twins of the chains above, written with the same adapters over dual numbers: an
// oracle that shares nothing with the macro's rewriting.

fn dsum(it: impl Iterator<Item = Dual64>) -> Dual64 {
    it.fold(Dual64::from_re(0.0), |a, b| a + b)
}

fn slices_of_nd(x: [Dual64; D], w: Dual64) -> Dual64 {
    let pairs = dsum(
        x.chunks(5)
            .map(|c| c[0] * dsum(c.iter().copied()) * c.len() as f64),
    );
    let triples = x
        .chunks_exact(3)
        .map(|c| w * c[2] - c[0])
        .fold(Dual64::from_re(1.0), |a, b| a * b);
    let mut s = Dual64::from_re(0.0);
    for t in x[1..].windows(3) {
        s += dsum(t[1..].iter().map(|v| *v * t[0]));
    }
    pairs + triples + s
}

fn chained_nd(x: [Dual64; D], y: [Dual64; 3]) -> Dual64 {
    let mut t = Dual64::from_re(0.0);
    for v in x.iter().chain(y.iter()).map(|v| *v * *v) {
        t += v.sin();
    }
    let e = dsum(x.iter().chain(&y).map(|v| v.exp()));
    let f = x
        .iter()
        .chain(y.iter())
        .rev()
        .fold(Dual64::from_re(0.0), |a, v| a * 0.5 + *v);
    e + t + f
}

fn built_nd(x: [Dual64; D], w: Dual64) -> Dual64 {
    let y = x.map(|v| (w * v).sin());
    let z: [Dual64; D] = std::array::from_fn(|i| y[i] * x[(i + 1) % D]);
    let q: [Dual64; 3] = std::array::from_fn(|i| x[i] * w);
    dsum(z.iter().copied()) + q[2] * q[0]
}

fn extremes_nd(x: [Dual64; D]) -> Dual64 {
    let m = *x.iter().max_by(|a, b| a.re.total_cmp(&b.re)).unwrap();
    let n = *x.iter().max_by(|a, b| a.re.total_cmp(&b.re)).unwrap();
    let r = *x.iter().min_by(|a, b| a.re.total_cmp(&b.re)).unwrap();
    let q = dsum(x.iter().map(|v| *v * *v));
    m * 2.0 + n + r * r + q
}

/// `[x…, w]` as one point, for the num-dual oracle.
fn join<const N: usize, const M: usize>(x: [f64; N], rest: [f64; M]) -> Vec<f64> {
    x.iter().chain(&rest).copied().collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn new_adapters_against_num_dual(
        seed in proptest::collection::vec(-1.5..1.5f64, 7),
        y in proptest::array::uniform3(-1.5..1.5f64),
        w in -2.0..2.0f64,
    ) {
        let x = point(&seed, 1.0);
        let split = |v: [Dual64; D + 1]| -> ([Dual64; D], Dual64) {
            (std::array::from_fn(|i| v[i]), v[D])
        };
        let p: [f64; D + 1] = join(x, [w]).try_into().unwrap();

        let (v, g) = nd_value_and_gradient(|v| { let (x, w) = split(v); slices_of_nd(x, w) }, p);
        let (mine, (gx, gw)) = slices_of_value_and_gradient(x, w);
        assert_close(mine, v, 1e-14);
        assert_all_close(&join(gx, [gw]), &g, 1e-13, "slices_of vs num-dual");

        let (v, g) = nd_value_and_gradient(|v| { let (x, w) = split(v); built_nd(x, w) }, p);
        let (mine, (gx, gw)) = built_value_and_gradient(x, w);
        assert_close(mine, v, 1e-14);
        assert_all_close(&join(gx, [gw]), &g, 1e-13, "built vs num-dual");

        let p: [f64; D + 3] = join(x, y).try_into().unwrap();
        let (v, g) = nd_value_and_gradient(
            |v: [Dual64; D + 3]| chained_nd(std::array::from_fn(|i| v[i]), [v[D], v[D + 1], v[D + 2]]),
            p,
        );
        let (mine, (gx, gy)) = chained_value_and_gradient(x, y);
        assert_close(mine, v, 1e-14);
        assert_all_close(&join(gx, gy), &g, 1e-13, "chained vs num-dual");

        let (v, g) = nd_value_and_gradient(extremes_nd, x);
        let (mine, gx) = extremes_value_and_gradient(x);
        assert_close(mine, v, 1e-14);
        assert_all_close(&gx, &g, 1e-13, "extremes vs num-dual");
    }
}

/// The expansion of iterator chains does not grow with the array's length: `windows`, `chunks`,
/// `chain`, `max_by` and `map` at 1,000 and at 100,000 elements (every loop longer than the 32
/// iterations below which loops are unrolled) give the same number of tokens.
#[test]
fn expansion_size_does_not_grow_with_the_length() {
    let source = |n: usize| {
        format!(
            "fn f(x: [f64; {n}], y: [f64; 3]) -> f64 {{ \
             let r: f64 = x.windows(2).map(|w| (w[1] - w[0] * w[0]).powi(2)).sum(); \
             let c: f64 = x.chunks(4).map(|c| c[0] * c.len() as f64).sum(); \
             let e: f64 = x.iter().chain(y.iter()).map(|v| v.exp()).sum(); \
             let m = x.iter().copied().max_by(f64::total_cmp).unwrap(); \
             let z = x.map(|v| v.sin()); \
             r + c + e + m + z[0] }}"
        )
    };
    let tokens = |n: usize| {
        let out = dual_core::expand(Default::default(), source(n).parse().unwrap());
        let text = out.to_string();
        assert!(!text.contains("compile_error"), "{text}");
        out.into_iter().count() + text.matches(' ').count()
    };
    assert_eq!(tokens(1_000), tokens(100_000));
}

/// A `for` over a sub-slice of a long array (`x[1..LONG - 1].iter()`): a loop kept a loop.
#[gradient]
fn for_over_sub_slice(x: [f64; LONG], y: f64) -> f64 {
    let mut s = 0.0;
    for v in x[1..LONG - 1].iter() {
        s += v * v * y;
    }
    s
}

#[test]
fn for_loops_over_sub_slices() {
    let x: [f64; LONG] = std::array::from_fn(|i| 0.1 * i as f64 - 1.3);
    let y = 0.7;
    let (gx, gy) = for_over_sub_slice_gradient(x, y);
    let exact: Vec<f64> = (0..LONG)
        .map(|i| {
            if i == 0 || i == LONG - 1 {
                0.0
            } else {
                2.0 * x[i] * y
            }
        })
        .collect();
    assert_all_close(&gx, &exact, 1e-14, "for over a sub-slice: dx");
    assert_close(gy, x[1..LONG - 1].iter().map(|v| v * v).sum::<f64>(), 1e-14);
}

/// Parameters of the model, as data.
pub struct Scale {
    /// The weight of each difference.
    pub w: f64,
}

/// A window named like a field the closure also reads (`w[1] - w[0]` beside `p.w`): only the
/// window is rewritten.
#[gradient(wrt(x))]
fn window_beside_a_field_of_its_name(x: [f64; 6], p: &Scale) -> f64 {
    x.windows(2)
        .map(|w| (w[1] - w[0]) * (w[1] - w[0]) * p.w)
        .sum()
}

#[test]
fn windows_beside_fields_of_the_same_name() {
    let x = [0.5, -1.0, 2.0, 0.25, 1.5, -0.5];
    let p = Scale { w: 3.0 };
    let g = window_beside_a_field_of_its_name_gradient(x, &p);
    let mut exact = [0.0; 6];
    for i in 0..5 {
        let d = 2.0 * p.w * (x[i + 1] - x[i]);
        exact[i + 1] += d;
        exact[i] -= d;
    }
    assert_all_close(&g, &exact, 1e-14, "window_beside_a_field_of_its_name");
}

/// A `filter` whose condition multiplies by a dereferenced item (`2.0 * **v`).
#[gradient]
fn filter_on_a_product(x: [f64; 5]) -> f64 {
    x.iter().filter(|v| 2.0 * **v > 1.0).sum()
}

#[test]
fn products_in_filter_conditions() {
    let x = [0.25, 3.0, -1.0, 0.75, 1.5];
    // the sum of x₁, x₃, x₄ (above 0.5)
    assert_eq!(filter_on_a_product_gradient(x), [0.0, 1.0, 0.0, 1.0, 1.0]);
}

/// A pair of `zip` bound as a whole (`|p| p.0 * p.1`).
#[gradient]
fn zip_pair_bound_whole(x: [f64; 3], y: [f64; 3]) -> f64 {
    x.iter().zip(y.iter()).map(|p| p.0 * p.1).sum()
}

#[test]
fn zip_pairs_bound_whole() {
    let (x, y) = ([0.5, -1.0, 2.0], [3.0, 0.25, -1.5]);
    assert_eq!(zip_pair_bound_whole_gradient(x, y), (y, x));
}

/// A `for` loop over a filtered small array.
#[gradient]
fn for_over_filtered_small_array(x: [f64; 4]) -> f64 {
    let mut s = 0.0;
    for v in x.iter().filter(|v| **v > 0.0) {
        s += v * v;
    }
    s
}

#[test]
fn for_loops_over_filtered_small_arrays() {
    let x = [0.5, -1.0, 2.0, -0.25];
    assert_eq!(
        for_over_filtered_small_array_gradient(x),
        [1.0, 0.0, 4.0, 0.0]
    );
}

/// A closure whose parameter's type is written (`|v: &f64| …`).
#[gradient]
fn typed_closure_parameter(x: [f64; 3]) -> f64 {
    x.iter().map(|v: &f64| v * v).sum()
}

#[test]
fn typed_closure_parameters() {
    assert_eq!(
        typed_closure_parameter_gradient([0.5, -1.0, 2.0]),
        [1.0, -2.0, 4.0]
    );
}

/// A window bound with its type written (`|w: &[f64]| …`).
#[gradient]
fn typed_window_parameter(x: [f64; 4]) -> f64 {
    x.windows(2).map(|w: &[f64]| w[1] * w[0]).sum()
}

#[test]
fn typed_window_parameters() {
    let x = [0.5, -1.0, 2.0, 3.0];
    assert_eq!(
        typed_window_parameter_gradient(x),
        [x[1], x[0] + x[2], x[1] + x[3], x[2]]
    );
}

/// A `for` loop over a mapped small array.
#[gradient]
fn for_over_mapped_small_array(x: [f64; 3]) -> f64 {
    let mut s = 0.0;
    for v in x.iter().map(|t| t * 2.0) {
        s += v * v;
    }
    s
}

#[test]
fn for_loops_over_mapped_small_arrays() {
    assert_eq!(
        for_over_mapped_small_array_gradient([0.5, -1.0, 2.0]),
        [4.0, -8.0, 16.0]
    );
}
