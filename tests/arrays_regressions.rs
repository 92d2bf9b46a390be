//! Programs the random sample found the array lowering to mishandle (each compiled to code that
//! did not compile), checked against finite differences.

#![allow(clippy::needless_range_loop, clippy::needless_late_init)]

mod common;

use common::*;
use dual::gradient;

const LEN: usize = 40;
const R: usize = 4;
const C: usize = 6;

#[gradient]
fn h4(x: f64) -> f64 {
    x.sin() * 0.5 + x * x * 0.1
}

#[gradient]
fn h2(v: [f64; 3]) -> f64 {
    v[0] * v[1] + v[2].cos()
}

/// Nested loops whose inner loop carries a recurrence.
#[gradient]
fn m1(x: f64, w: [f64; R * C]) -> f64 {
    let mut y = [0.0; R];
    for i in 0..R {
        let mut s = x * 0.5;
        for j in 0..C {
            s = (s * 0.9 + w[i * C + j]).tanh();
        }
        y[i] = s;
    }
    y[0] + y[R - 1] * x
}

/// ... a call in the inner loop.
#[gradient]
fn m2(x: f64, w: [f64; R * C]) -> f64 {
    let mut y = [0.0; R];
    for i in 0..R {
        let mut s = x * 0.5;
        for j in 0..C {
            s += h4(w[i * C + j] * x);
        }
        y[i] = s;
    }
    y[1] * y[2]
}

/// A `return` under an `if` before a loop kept a loop.
#[gradient]
fn r1(x0: f64, a: [f64; LEN]) -> f64 {
    if x0 < 0.0 {
        return x0;
    }
    let mut z = [0.0; LEN];
    for i in 0..LEN {
        z[i] = a[i] * x0;
    }
    z[1] * z[2]
}

/// Conditions in a loop reading a carried float or a body temporary.
#[gradient]
fn t3(x0: f64, a: [f64; LEN]) -> f64 {
    let mut v = x0;
    for i in 0..LEN {
        if a[i] <= v {
            v = x0.tanh();
        } else {
            v += 0.05 * x0;
        }
    }
    v
}

#[gradient]
fn t4(x0: f64, a: [f64; LEN]) -> f64 {
    let mut s: f64 = 0.0;
    for i in 0..LEN {
        let v = a[i] * x0;
        if v <= 0.5 {
            s = x0.tanh();
        } else {
            s += 0.05 * x0;
        }
    }
    s
}

/// A loop reading an earlier loop's result through a nonlinearity.
#[gradient]
fn e8(x0: f64, a: [f64; LEN]) -> f64 {
    let mut s = x0;
    for i in 0..LEN {
        s += 0.05 * a[i];
    }
    let mut t: f64 = 0.0;
    for _i in 0..LEN {
        t += 0.05 * s.tanh();
    }
    t
}

/// An unused call in a loop that writes a local array.
#[gradient]
fn k6(x1: f64, x2: f64, a: [f64; LEN]) -> f64 {
    let mut z = [0.0; LEN];
    for i in 0..LEN {
        z[i] = a[i] * x2.sin();
        let _v = h2([x1.cos(), x1, x1]);
    }
    z[0] + z[LEN - 1]
}

/// A top-level `if` reading a local array an earlier loop's `if` read.
#[gradient]
fn u2(x0: f64, a: [f64; LEN]) -> f64 {
    let mut z = [0.0; LEN];
    for i in 0..LEN {
        z[i] = a[i] * x0;
    }
    let mut s: f64 = 0.0;
    for i in 0..LEN {
        if z[i] <= x0 {
            s = z[i].tanh();
        } else {
            s += 0.05 * x0;
        }
    }
    let v: f64;
    if x0 > z[0] {
        v = x0;
    } else {
        v = s;
    }
    v
}

fn array(seed: f64) -> [f64; LEN] {
    std::array::from_fn(|i| ((i as f64) * 0.37 + seed).sin())
}

fn matrix(seed: f64) -> [f64; R * C] {
    std::array::from_fn(|i| ((i as f64) * 0.53 + seed).cos() * 0.8)
}

/// The gradient with respect to the scalars (finite differences) and the array (spot checks).
fn check_scalar(g: f64, f: impl Fn(f64) -> f64, x: f64, what: &str) {
    assert_close_ctx(g, fd_derivative(f, x), 1e-7, what);
}

#[test]
fn nested_loops_with_recurrences_and_calls() {
    for (x, seed) in [(0.3, 0.1), (-0.7, 1.3), (1.1, -0.4)] {
        let w = matrix(seed);
        let (v, (gx, gw)) = m1_value_and_gradient(x, w);
        assert_close(v, m1(x, w), 1e-14);
        check_scalar(gx, |x| m1(x, w), x, "m1 dx");
        assert_all_close(&gw, &fd_gradient(|w| m1(x, w), w), 1e-7, "m1 dw");
        let (v, (gx, gw)) = m2_value_and_gradient(x, w);
        assert_close(v, m2(x, w), 1e-14);
        check_scalar(gx, |x| m2(x, w), x, "m2 dx");
        assert_all_close(&gw, &fd_gradient(|w| m2(x, w), w), 1e-7, "m2 dw");
    }
}

#[test]
fn branches_returns_and_chained_loops() {
    // Points away from the kinks of the branches (where finite differences cross them).
    for (x, seed) in [(0.3, 0.1), (-0.6, 0.3), (1.1, -0.4), (0.05, 2.0)] {
        let a = array(seed);
        for (name, f, g) in [
            (
                "r1",
                r1 as fn(f64, [f64; LEN]) -> f64,
                r1_gradient as fn(f64, [f64; LEN]) -> (f64, [f64; LEN]),
            ),
            ("t3", t3, t3_gradient),
            ("t4", t4, t4_gradient),
            ("e8", e8, e8_gradient),
            ("u2", u2, u2_gradient),
        ] {
            let (gx, ga) = g(x, a);
            check_scalar(gx, |x| f(x, a), x, name);
            assert_all_close(&ga, &fd_gradient(|a| f(x, a), a), 1e-6, name);
        }
        let (g1, g2, ga) = k6_gradient(x, x + 0.2, a);
        check_scalar(g1, |x1| k6(x1, x + 0.2, a), x, "k6 dx1");
        check_scalar(g2, |x2| k6(x, x2, a), x + 0.2, "k6 dx2");
        assert_all_close(&ga, &fd_gradient(|a| k6(x, x + 0.2, a), a), 1e-7, "k6 da");
    }
}

/// After a `return` under an `if`, a loop reads a float computed after the `if`, nonlinearly.
#[gradient]
fn after_return(x: f64) -> f64 {
    if x < 0.0 {
        return x;
    }
    let v = x.sin();
    let mut t = 0.0;
    for _ in 0..LEN {
        t += v.tanh();
    }
    t
}

/// ... or in a condition.
#[gradient]
fn after_return_condition(x: f64) -> f64 {
    if x > 0.0 {
        return x;
    }
    let v = x.sin();
    let mut s = 0.0;
    for _ in 0..LEN {
        if v > -0.5 {
            s += x * v;
        }
    }
    s
}

#[test]
fn loops_after_an_early_return() {
    for x in [0.3, 1.2, -0.4, -1.3] {
        check_scalar(after_return_gradient(x)[0], after_return, x, "after_return");
        let g = after_return_condition_gradient(x)[0];
        check_scalar(g, after_return_condition, x, "after_return_condition");
    }
}

/// A kept loop that only stores into a local array, inside a block declaring a name of its own:
/// the backward sweep skipped the block (its adjoints live in the array's adjoint array, not on
/// nodes), so the derivative was silently zero. Found when `std::array::from_fn` was lowered.
#[gradient]
fn stores_in_scope(x: [f64; LEN], w: f64) -> f64 {
    let mut y = [0.0; LEN];
    {
        let c = 2usize;
        for k in 0..LEN {
            y[k] = x[k] * w * c as f64;
        }
    }
    y[3] * y[5]
}

/// ... in branches on data; and a sum in such a block, whose recomputed body read the block's
/// name out of scope (E0425).
#[gradient]
fn stores_in_branches(x: [f64; LEN], w: f64, flag: bool) -> f64 {
    let mut y = [0.0; LEN];
    if flag {
        let c = 2usize;
        for k in 0..LEN {
            y[k] = x[k] * w * c as f64;
        }
    } else {
        let d = 3usize;
        for k in 0..LEN {
            y[k] = x[k] * x[k] * d as f64;
        }
    }
    let mut s = 0.0;
    {
        let c = 0.5;
        for k in 0..LEN {
            s += x[k] * w * c;
        }
    }
    y[3] + y[5] * s
}

#[test]
fn kept_loops_in_blocks_with_names() {
    for (w, seed) in [(0.7, 0.1), (-1.3, 0.3), (0.4, -0.4)] {
        let a = array(seed);
        let (ga, gw) = stores_in_scope_gradient(a, w);
        assert_all_close(
            &ga,
            &fd_gradient(|a| stores_in_scope(a, w), a),
            1e-7,
            "scope da",
        );
        check_scalar(gw, |w| stores_in_scope(a, w), w, "scope dw");
        for flag in [true, false] {
            let (ga, gw) = stores_in_branches_gradient(a, w, flag);
            let f = |a, w| stores_in_branches(a, w, flag);
            assert_all_close(&ga, &fd_gradient(|a| f(a, w), a), 1e-7, "branches da");
            check_scalar(gw, |w| f(a, w), w, "branches dw");
        }
    }
}

// Found by mutation testing (docs/mutants.md): shapes no other test had.

/// A kept loop that both stores into a local array and carries sums: the stores' adjoints seed
/// the backward loop, so its sums cannot be factored out of it.
#[gradient]
fn store_and_sum(x: [f64; LEN], w: f64) -> f64 {
    let mut z = [0.0; LEN];
    let mut s = 0.0;
    let mut q = w;
    for k in 0..LEN {
        z[k] = x[k] * w;
        s += x[k] * x[k];
        q += 0.01 * x[k];
    }
    let mut t = 0.0;
    for k in 0..LEN {
        t += z[k] * z[k];
    }
    s * t + q * q
}

#[test]
fn mutation_found_shapes() {
    for (w, seed) in [(0.7, 0.1), (-1.3, 0.3), (0.4, -0.4)] {
        let a = array(seed);
        let (ga, gw) = store_and_sum_gradient(a, w);
        assert_all_close(
            &ga,
            &fd_gradient(|a| store_and_sum(a, w), a),
            1e-7,
            "store and sum da",
        );
        check_scalar(gw, |w| store_and_sum(a, w), w, "store and sum dw");
    }
}

/// Literal lengths above 32: a local array `[0.0; 50]` filled by a loop, and a parameter of
/// literal length read at constant indices (both kept as arrays of the IR, not bags of scalars).
#[gradient]
fn literal_lengths(x: [f64; 50], w: f64) -> f64 {
    let mut z = [0.0; 50];
    for k in 0..50 {
        z[k] = (w * x[k]).sin();
    }
    let mut s = 0.0;
    for k in 0..50 {
        s += z[k] * x[(k + 1) % 50];
    }
    s + x[0] * x[49] + z[7]
}

#[test]
fn literal_lengths_above_32() {
    for (w, seed) in [(0.7, 0.1), (-1.3, 0.3)] {
        let x: [f64; 50] = std::array::from_fn(|i| seed + 0.37 * (i as f64).sin());
        let (gx, gw) = literal_lengths_gradient(x, w);
        assert_all_close(
            &gx,
            &fd_gradient(|x| literal_lengths(x, w), x),
            1e-7,
            "literal dx",
        );
        check_scalar(gw, |w| literal_lengths(x, w), w, "literal dw");
    }
}

/// Local arrays that start from a value other than zero, then are partly overwritten: `[1.0; LEN]`
/// (a `const` length), `[-0.5; 50]` (a long literal one) and a matrix `[[0.25; C]; R]`.
#[gradient]
fn fill_values(x: [f64; LEN], w: f64) -> f64 {
    let mut p = [1.0; LEN];
    for k in 1..LEN {
        p[k] = 1.0 + 0.1 * x[k] * w;
    }
    let mut prod = 1.0;
    for k in 0..LEN {
        prod *= p[k];
    }
    let mut q = [-0.5; 50];
    for k in 0..LEN {
        q[k] = x[k] * w;
    }
    let mut s = 0.0;
    for k in 0..50 {
        s += q[k] * q[k];
    }
    let mut m = [[0.25; C]; R];
    for i in 0..R {
        m[i][0] = x[i] * w;
    }
    let mut t = 0.0;
    for i in 0..R {
        for j in 0..C {
            t += m[i][j] * w;
        }
    }
    prod + s * w + t
}

#[test]
fn fill_values_other_than_zero() {
    for (w, seed) in [(0.7, 0.1), (-1.3, 0.3)] {
        let a = array(seed);
        let (v, (ga, gw)) = fill_values_value_and_gradient(a, w);
        assert_close(v, fill_values(a, w), 1e-14);
        assert_all_close(&ga, &fd_gradient(|a| fill_values(a, w), a), 1e-7, "fill da");
        check_scalar(gw, |w| fill_values(a, w), w, "fill dw");
    }
}

/// `map` of a parenthesised array: was refused as an unsupported iterator adapter.
#[gradient]
fn parenthesised_map(x: [f64; 3], y: f64) -> f64 {
    let z = (x).map(|v| v * y);
    z[0] + z[2]
}

#[test]
fn map_of_a_parenthesised_array() {
    let (gx, gy) = parenthesised_map_gradient([1.0, 2.0, 3.0], 0.5);
    assert_eq!((gx, gy), ([0.5, 0.0, 0.5], 4.0));
}

/// The README's way to write a prefix product in a loop kept a loop: the recurrence in a scalar,
/// the array only written.
#[gradient]
fn prefix_products(x: [f64; LEN]) -> f64 {
    let mut p = [0.0; LEN];
    let mut prev = 1.0;
    for k in 0..LEN {
        prev *= 1.0 + 0.1 * x[k];
        p[k] = prev;
    }
    let mut s = 0.0;
    for k in 0..LEN {
        s += p[k];
    }
    s
}

#[test]
fn prefix_products_through_a_scalar() {
    for seed in [0.1, -0.3] {
        let x = array(seed);
        let g = prefix_products_gradient(x);
        assert_all_close(
            &g,
            &fd_gradient(prefix_products, x),
            1e-7,
            "prefix products",
        );
    }
}
