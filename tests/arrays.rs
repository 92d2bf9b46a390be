//! Arrays and loops at scale: array parameters whose length the macro does not see (module
//! constants, const generic parameters, `&[f64; N]` and slices named in `wrt`), loops kept as
//! loops (sums, products, recurrences, nested loops, local arrays written in one loop and read in
//! another, run-time trip counts), each against high-accuracy finite differences and num-dual at
//! random points; out-of-bounds indices panic as the function does; the expansion does not grow
//! with the lengths.

// The functions are written the way users write loops over arrays.
#![allow(clippy::needless_range_loop)]

mod common;

use common::*;
use dual::gradient;
use num_dual::{Dual64, DualNum};
use proptest::prelude::*;

const LEN: usize = 40;
const ROWS: usize = 5;
const COLS: usize = 8;

/// Module constant: a weighted sum of squares with a neighbour term.
#[gradient]
fn chain_energy(x: [f64; LEN]) -> f64 {
    let mut s = 0.0;
    for i in 0..LEN - 1 {
        let d = x[i + 1] - x[i];
        s += 0.5 * d * d + 0.1 * x[i].sin();
    }
    s + x[LEN - 1] * x[LEN - 1]
}

fn chain_energy_nd(x: [Dual64; LEN]) -> Dual64 {
    let mut s = Dual64::from(0.0);
    for i in 0..LEN - 1 {
        let d = x[i + 1] - x[i];
        s += d * d * 0.5 + x[i].sin() * 0.1;
    }
    s + x[LEN - 1] * x[LEN - 1]
}

/// A product (its adjoint changes every iteration: stored, read back last first).
#[gradient]
fn product_of_terms(x: [f64; LEN], a: f64) -> f64 {
    let mut p = 1.0;
    for i in 0..LEN {
        p *= 1.0 + 0.05 * (a * x[i]).tanh();
    }
    p
}

fn product_of_terms_nd(x: [Dual64; LEN], a: Dual64) -> Dual64 {
    let mut p = Dual64::from(1.0);
    for i in 0..LEN {
        p *= (a * x[i]).tanh() * 0.05 + 1.0;
    }
    p
}

/// Nested loops filling a local array, a recurrence (max) and a log-sum-exp over it.
#[gradient]
fn layer_lse(w: [f64; ROWS * COLS], b: [f64; ROWS], x: &[f64; COLS]) -> f64 {
    let mut z = [0.0; ROWS];
    for r in 0..ROWS {
        let mut s = b[r];
        for c in 0..COLS {
            s += w[r * COLS + c] * x[c];
        }
        z[r] = s.tanh();
    }
    let mut m = z[0];
    for r in 1..ROWS {
        m = m.max(z[r]);
    }
    let mut se = 0.0;
    for r in 0..ROWS {
        se += (z[r] - m).exp();
    }
    m + se.ln()
}

/// Accumulating into a local array (`+=` at computed indices), then reading it back.
#[gradient]
fn histogram_energy(x: [f64; LEN]) -> f64 {
    let mut h = [0.0; COLS];
    for i in 0..LEN {
        h[i % COLS] += x[i] * x[i];
    }
    let mut e = 0.0;
    for k in 0..COLS {
        e += (1.0 + h[k]).ln();
    }
    e
}

/// A const generic length.
#[gradient]
fn generic_norm<const N: usize>(x: [f64; N]) -> f64 {
    let mut s = 0.0;
    for i in 0..N {
        s += x[i] * x[i] * (i as f64 + 1.0);
    }
    s.sqrt()
}

/// A `while` loop before a loop over a const generic array: arrays are read in place again
/// after the `while` (whose derivative is carried forwards), as the unknown length requires.
#[gradient(wrt(x, a))]
fn power_then_norm<const N: usize>(x: &[f64; N], a: f64) -> f64 {
    let mut p = a;
    let mut k = 0;
    while k < 3 {
        p *= a;
        k += 1;
    }
    let mut s = 0.0;
    for i in 0..N {
        s += p * x[i] * x[i];
    }
    s
}

/// A long local array filled with a negative literal, then updated.
#[gradient]
fn negative_fill(x: [f64; 64]) -> f64 {
    let mut h = [-1.0; 64];
    for i in 0..64 {
        h[i] += x[i];
    }
    let mut s = 0.0;
    for i in 0..64 {
        s += h[i] * h[i];
    }
    s
}

/// By reference: the same gradient type as by value.
#[gradient(wrt(x))]
fn by_reference(x: &[f64; LEN], c: f64) -> f64 {
    let mut s = 0.0;
    for i in 0..LEN {
        s += (c * x[i]).cos();
    }
    s
}

/// A slice of run-time length: the gradient is a `Vec` of the same length.
#[gradient(wrt(x))]
fn slice_energy(x: &[f64], k: f64) -> f64 {
    let mut s = 0.0;
    for i in 1..x.len() {
        let d = x[i] - x[i - 1];
        s += k * d * d + x[i].exp() * 0.01;
    }
    s
}

/// A recurrence over a run-time trip count, on a literal-length array.
#[gradient]
fn damped(x: [f64; 64], n: usize, a: f64) -> f64 {
    let mut v = 0.0;
    for i in 0..n {
        v = a * v + x[i];
    }
    v * v
}

/// `continue` and `break` in a loop kept a loop: the derivative of the iterations that ran.
#[gradient]
fn until_threshold(x: [f64; LEN], t: f64) -> f64 {
    let mut s = 0.0;
    let mut p = 1.0;
    for i in 0..LEN {
        if x[i] < -1.0 {
            continue;
        }
        s += x[i] * x[i];
        p *= 1.0 + 0.01 * x[i];
        if s > t {
            break;
        }
    }
    s * p
}

/// Matrices `[[f64; C]; R]`: a bilinear form, by module constants.
#[gradient]
fn bilinear(w: [[f64; COLS]; ROWS], x: [f64; COLS], y: [f64; ROWS]) -> f64 {
    let mut s = 0.0;
    for r in 0..ROWS {
        for c in 0..COLS {
            s += y[r] * w[r][c] * x[c];
        }
    }
    s
}

/// A literal-size matrix (its small loops unrolled) and a local matrix filled in a loop.
#[gradient]
fn gram_energy(m: [[f64; 2]; 3]) -> f64 {
    let mut g = [[0.0; COLS]; ROWS];
    for r in 0..ROWS {
        for c in 0..COLS {
            g[r][c] = m[r % 3][c % 2] * (r + c) as f64;
        }
    }
    let mut e = 0.0;
    for r in 0..ROWS {
        for c in 0..COLS {
            e += g[r][c].sin();
        }
    }
    e
}

fn point<const N: usize>(seed: &[f64], scale: f64) -> [f64; N] {
    std::array::from_fn(|i| scale * seed[i % seed.len()] * (1.0 + 0.01 * i as f64))
}

fn assert_gradient_close(g: &[f64], expected: &[f64], rtol: f64, what: &str) {
    assert_eq!(g.len(), expected.len(), "{what}: length");
    assert_all_close(g, expected, rtol, what);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    #[test]
    fn module_constant_length(seed in proptest::collection::vec(-1.5..1.5f64, 7), scale in 0.2..2.0f64) {
        let x: [f64; LEN] = point(&seed, scale);
        let (v, g) = chain_energy_value_and_gradient(x);
        assert_close(v, chain_energy(x), 1e-14);
        assert_eq!(chain_energy_gradient(x), g);
        let (nv, ng) = nd_value_and_gradient(chain_energy_nd, x);
        assert_close(nv, v, 1e-12);
        assert_gradient_close(&g, &ng, 1e-12, "chain_energy against num-dual");
        assert_gradient_close(&g, &fd_gradient(chain_energy, x), 1e-8, "chain_energy against FD");
    }

    #[test]
    fn product_recurrence(seed in proptest::collection::vec(-1.5..1.5f64, 5), a in -2.0..2.0f64) {
        let x: [f64; LEN] = point(&seed, 1.0);
        let (v, (gx, ga)) = product_of_terms_value_and_gradient(x, a);
        assert_close(v, product_of_terms(x, a), 1e-14);
        let mut args = [0.0; LEN + 1];
        args[..LEN].copy_from_slice(&x);
        args[LEN] = a;
        let nd = |p: [Dual64; LEN + 1]| {
            product_of_terms_nd(std::array::from_fn(|i| p[i]), p[LEN])
        };
        let (_, ng) = nd_value_and_gradient(nd, args);
        assert_gradient_close(&gx, &ng[..LEN], 1e-12, "product dx against num-dual");
        assert_close(ga, ng[LEN], 1e-12);
    }

    #[test]
    fn nested_loops_local_arrays_and_max(
        seed in proptest::collection::vec(-1.0..1.0f64, 11),
        scale in 0.1..3.0f64,
    ) {
        let w: [f64; ROWS * COLS] = point(&seed, scale);
        let b: [f64; ROWS] = point(&seed[3..], 0.5);
        let x: [f64; COLS] = point(&seed[1..], 1.0);
        let (v, (gw, gb)) = layer_lse_value_and_gradient(w, b, &x);
        assert_close(v, layer_lse(w, b, &x), 1e-14);
        assert_eq!(layer_lse_gradient(w, b, &x), (gw, gb));
        let fw = fd_gradient(|w| layer_lse(w, b, &x), w);
        let fb = fd_gradient(|b| layer_lse(w, b, &x), b);
        assert_gradient_close(&gw, &fw, 1e-7, "layer_lse dw");
        assert_gradient_close(&gb, &fb, 1e-7, "layer_lse db");
    }

    #[test]
    fn accumulation_into_a_local_array(seed in proptest::collection::vec(-1.5..1.5f64, 9)) {
        let x: [f64; LEN] = point(&seed, 1.0);
        let (v, g) = histogram_energy_value_and_gradient(x);
        assert_close(v, histogram_energy(x), 1e-14);
        // d/dx_i ln(1 + h_k) = 2 x_i / (1 + h_k) with k = i mod COLS.
        let mut h = [0.0; COLS];
        for i in 0..LEN {
            h[i % COLS] += x[i] * x[i];
        }
        let exact: Vec<f64> = (0..LEN).map(|i| 2.0 * x[i] / (1.0 + h[i % COLS])).collect();
        assert_gradient_close(&g, &exact, 1e-13, "histogram_energy exact");
    }

    #[test]
    fn const_generic_lengths(seed in proptest::collection::vec(-1.5..1.5f64, 6)) {
        let small: [f64; 5] = point(&seed, 1.0);
        let large: [f64; 50] = point(&seed, 1.0);
        for (g, x) in [
            (generic_norm_gradient(small).to_vec(), small.to_vec()),
            (generic_norm_gradient(large).to_vec(), large.to_vec()),
        ] {
            let n: f64 = x.iter().enumerate().map(|(i, v)| v * v * (i as f64 + 1.0)).sum::<f64>().sqrt();
            let value = if x.len() == 5 { generic_norm(small) } else { generic_norm(large) };
            assert_close(value, n, 1e-14);
            let exact: Vec<f64> = x.iter().enumerate().map(|(i, v)| v * (i as f64 + 1.0) / n).collect();
            assert_gradient_close(&g, &exact, 1e-13, "generic_norm");
        }
    }

    #[test]
    fn arrays_in_place_after_a_while_loop(seed in proptest::collection::vec(-1.5..1.5f64, 6), a in -2.0..2.0f64) {
        let x: [f64; 40] = point(&seed, 1.0);
        let (v, (gx, ga)) = power_then_norm_value_and_gradient(&x, a);
        let squares: f64 = x.iter().map(|v| v * v).sum();
        // p = a⁴ after the `while`.
        assert_close(v, a.powi(4) * squares, 1e-13);
        let exact: Vec<f64> = x.iter().map(|v| 2.0 * a.powi(4) * v).collect();
        assert_gradient_close(&gx, &exact, 1e-13, "power_then_norm dx");
        assert_close(ga, 4.0 * a.powi(3) * squares, 1e-13);
    }

    #[test]
    fn negative_fills(seed in proptest::collection::vec(-1.5..1.5f64, 6)) {
        let x: [f64; 64] = point(&seed, 1.0);
        let g = negative_fill_gradient(x);
        let exact: Vec<f64> = x.iter().map(|v| 2.0 * (v - 1.0)).collect();
        assert_gradient_close(&g, &exact, 1e-13, "negative_fill");
    }

    #[test]
    fn by_reference_and_slices(seed in proptest::collection::vec(-1.5..1.5f64, 7), len in 0usize..60, c in -2.0..2.0f64) {
        let x: [f64; LEN] = point(&seed, 1.0);
        let (v, g): (f64, [f64; LEN]) = by_reference_value_and_gradient(&x, c);
        assert_close(v, by_reference(&x, c), 1e-14);
        let exact: Vec<f64> = x.iter().map(|v| -c * (c * v).sin()).collect();
        assert_gradient_close(&g, &exact, 1e-13, "by_reference");

        let data: Vec<f64> = (0..len).map(|i| seed[i % seed.len()] * (1.0 + 0.02 * i as f64)).collect();
        let (v, g): (f64, Vec<f64>) = slice_energy_value_and_gradient(&data, c);
        assert_close(v, slice_energy(&data, c), 1e-14);
        let mut exact = vec![0.0; len];
        for i in 1..len {
            let d = data[i] - data[i - 1];
            exact[i] += 2.0 * c * d + 0.01 * data[i].exp();
            exact[i - 1] -= 2.0 * c * d;
        }
        assert_gradient_close(&g, &exact, 1e-13, "slice_energy");
        assert_eq!(slice_energy_gradient(&data, c), g);
    }

    #[test]
    fn recurrence_over_a_runtime_trip(seed in proptest::collection::vec(-1.0..1.0f64, 8), n in 0usize..=64, a in -0.9..0.9f64) {
        let x: [f64; 64] = point(&seed, 1.0);
        let (v, (gx, _gn, ga)) = (damped_value_and_gradient(x, n, a).0, {
            let (gx, ga) = damped_gradient(x, n, a);
            (gx, (), ga)
        });
        assert_close(v, damped(x, n, a), 1e-14);
        let fx = fd_gradient(|x| damped(x, n, a), x);
        assert_gradient_close(&gx, &fx, 1e-8, "damped dx");
        assert_close(ga, fd_derivative(|a| damped(x, n, a), a), 1e-7);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn continue_and_break(seed in proptest::collection::vec(-1.8..1.8f64, 7), t in 0.5..30.0f64) {
        let x: [f64; LEN] = point(&seed, 1.0);
        let (v, (gx, gt)) = until_threshold_value_and_gradient(x, t);
        assert_close(v, until_threshold(x, t), 1e-14);
        let fx = fd_gradient(|x| until_threshold(x, t), x);
        // Away from the points where an element crosses -1 or the sum crosses t (by more than the
        // finite differences' steps).
        let margin = (0..LEN).all(|i| (x[i] + 1.0).abs() > 0.05);
        let mut s = 0.0;
        let mut crossing = false;
        for i in 0..LEN {
            if x[i] < -1.0 { continue; }
            s += x[i] * x[i];
            crossing |= (s - t).abs() < 0.3;
            if s > t { break; }
        }
        prop_assume!(margin && !crossing);
        assert_gradient_close(&gx, &fx, 1e-7, "until_threshold dx");
        assert_eq!(gt, 0.0);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    #[test]
    fn matrices(seed in proptest::collection::vec(-1.5..1.5f64, 7)) {
        let flat: [f64; ROWS * COLS] = point(&seed, 1.0);
        let w: [[f64; COLS]; ROWS] = std::array::from_fn(|r| std::array::from_fn(|c| flat[r * COLS + c]));
        let x: [f64; COLS] = point(&seed[2..], 0.7);
        let y: [f64; ROWS] = point(&seed[4..], 1.3);
        let (v, (gw, gx, gy)) = bilinear_value_and_gradient(w, x, y);
        assert_close(v, bilinear(w, x, y), 1e-14);
        for r in 0..ROWS {
            let dy: f64 = (0..COLS).map(|c| w[r][c] * x[c]).sum();
            assert_close(gy[r], dy, 1e-13);
            for c in 0..COLS {
                assert_close(gw[r][c], y[r] * x[c], 1e-14);
            }
        }
        for c in 0..COLS {
            let dx: f64 = (0..ROWS).map(|r| y[r] * w[r][c]).sum();
            assert_close(gx[c], dx, 1e-13);
        }

        let m: [[f64; 2]; 3] = std::array::from_fn(|r| std::array::from_fn(|c| seed[(2 * r + c) % seed.len()]));
        let (v, gm) = gram_energy_value_and_gradient(m);
        assert_close(v, gram_energy(m), 1e-14);
        let mut exact = [[0.0; 2]; 3];
        for r in 0..ROWS {
            for c in 0..COLS {
                let k = (r + c) as f64;
                exact[r % 3][c % 2] += k * (m[r % 3][c % 2] * k).cos();
            }
        }
        for r in 0..3 {
            assert_all_close(&gm[r], &exact[r], 1e-12, "gram_energy");
        }
    }
}

#[test]
fn out_of_bounds_indices_panic_as_the_function_does() {
    let short = [0.5_f64; 3];
    let function = std::panic::catch_unwind(|| slice_energy_loop_past_end(&short));
    let companion = std::panic::catch_unwind(|| slice_energy_loop_past_end_gradient(&short));
    assert!(function.is_err() && companion.is_err());
}

/// Reads one element past the end.
#[gradient(wrt(x))]
fn slice_energy_loop_past_end(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() + 1 {
        s += x[i] * x[i];
    }
    s
}

/// The expansion of a loop over an array does not grow with the array's length or the trip count.
#[test]
fn expansion_size_does_not_grow_with_the_length() {
    let source = |n: usize| {
        format!(
            "fn f(x: [f64; {n}]) -> f64 {{ let mut s = 0.0; for i in 0..{m} {{ \
             s += 100.0 * (x[i + 1] - x[i] * x[i]).powi(2) + (1.0 - x[i]).powi(2); }} s }}",
            m = n - 1
        )
    };
    let tokens = |n: usize| {
        let out = dual_core::expand(Default::default(), source(n).parse().unwrap());
        let text = out.to_string();
        assert!(!text.contains("compile_error"), "{text}");
        // The literal lengths themselves appear in the output: count tokens, not characters.
        out.into_iter().count() + text.matches(' ').count()
    };
    assert_eq!(tokens(100), tokens(10_000));
}

/// A nonlinear recurrence over a constant range keeps the values its backward loop needs on the
/// stack: the companions allocate nothing.
#[test]
fn recurrences_over_constant_ranges_do_not_allocate() {
    for bound in ["N", "100"] {
        let source = format!(
            "fn f<const N: usize>(x: [f64; N]) -> f64 {{ let mut p = 1.0; \
             for i in 0..{bound} {{ p *= 1.0 + 0.1 * x[i]; }} p }}"
        );
        let text = dual_core::expand(Default::default(), source.parse().unwrap()).to_string();
        assert!(!text.contains("compile_error"), "{text}");
        assert!(!text.contains("Vec"), "{bound}: {text}");
    }
}

/// Nor does a loop over the array's elements (`for v in x`, `for &v in &x`, `x.iter()`), or a
/// loop whose counter is unnamed (`for _ in 0..n`).
#[test]
fn expansion_of_element_loops_does_not_grow_with_the_length() {
    let tokens = |n: usize| {
        let source = format!(
            "fn f(x: [f64; {n}]) -> f64 {{ let mut s = 0.0; for v in x {{ s += v * v; }} \
             for &v in &x {{ s += v.sin(); }} for v in x.iter() {{ s *= v.cos(); }} \
             for _ in 0..{n} {{ s = 0.5 * s + x[0]; }} s }}"
        );
        let out = dual_core::expand(Default::default(), source.parse().unwrap());
        let text = out.to_string();
        assert!(!text.contains("compile_error"), "{text}");
        out.into_iter().count() + text.matches(' ').count()
    };
    assert_eq!(tokens(100), tokens(10_000));
}
