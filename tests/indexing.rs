//! Indexing differentiated arrays by indices known only at run time (`x[k]`, `x[I]`).
#![allow(dead_code)]

use dual::gradient;

const I: usize = 2;

#[gradient]
fn pick(x: [f64; 4], k: usize) -> f64 {
    x[k] * x[k] + x[I]
}

#[gradient]
fn pick_in_branch(x: [f64; 3], k: usize, y: f64) -> f64 {
    let mut s = y;
    if y > 0.0 {
        let j = k + 1;
        s = x[j].sin() * y;
    }
    s * x[0]
}

#[gradient(wrt(m))]
fn row_dot(m: [f64; 6], k: usize, v: [f64; 2]) -> f64 {
    let r = [[m[0], m[1]], [m[2], m[3]], [m[4], m[5]]];
    let row = r[k];
    row[0] * v[0] + row[1] * v[1]
}

#[test]
fn runtime_index_selects_the_partial() {
    let x = [1.0, 2.0, 3.0, 4.0];
    for k in 0..4 {
        let g = pick_gradient(x, k);
        let mut want = [0.0; 4];
        want[k] += 2.0 * x[k];
        want[I] += 1.0;
        assert_eq!(g, want, "k = {k}");
    }
}

#[test]
fn runtime_index_inside_a_branch() {
    let x = [0.5, -1.0, 2.0];
    for (k, y) in [(0, 2.0), (1, 0.5), (0, -1.0)] {
        let (v, g) = pick_in_branch_value_and_gradient(x, k, y);
        assert_eq!(v, pick_in_branch(x, k, y));
        let j = k + 1;
        let (mut gx, gy) = ([0.0; 3], if y > 0.0 { x[j].sin() * x[0] } else { x[0] });
        if y > 0.0 {
            gx[j] = x[j].cos() * y * x[0];
            gx[0] += x[j].sin() * y;
        } else {
            gx[0] = y;
        }
        assert_eq!(g, (gx, gy), "k = {k}, y = {y}");
    }
}

#[test]
fn runtime_index_of_rows() {
    let m = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
    let v = [0.5, -2.0];
    for k in 0..3 {
        let g = row_dot_gradient(m, k, v);
        let mut want = [[0.0; 2]; 3];
        want[k] = v;
        assert_eq!(
            g,
            [want[0][0], want[0][1], want[1][0], want[1][1], want[2][0], want[2][1]]
        );
    }
}

#[test]
#[should_panic(expected = "index out of bounds")]
fn runtime_index_out_of_bounds_panics_like_the_function() {
    let _ = pick_gradient([1.0; 4], 7);
}

#[gradient]
fn linear_pick(a: f64, b: f64, k: usize) -> f64 {
    let v = [a, b];
    v[k] * 2.0
}

#[test]
#[should_panic(expected = "index out of bounds")]
fn gradient_alone_checks_the_index_like_the_function() {
    // The gradient does not need the value v[k], but the function would panic: so does it.
    let _ = linear_pick_gradient(1.0, 2.0, 5);
}

#[test]
fn gradient_of_a_linear_pick() {
    assert_eq!(linear_pick_gradient(1.0, 2.0, 1), [0.0, 2.0]);
}

/// A local array of the parameter's elements in another order, indexed in a loop kept a loop:
/// it reads the permuted element, not the parameter's element at that index.
#[allow(clippy::needless_range_loop)] // the loop over indices is what is tested
#[gradient(wrt(x))]
fn pick_permuted(x: [f64; 3], w: [f64; 40]) -> f64 {
    let y = [x[2], x[0], x[1]];
    let mut s = 0.0;
    for k in 0..40 {
        s += y[k % 3] * y[k % 3] * w[k];
    }
    s
}

#[test]
fn runtime_index_of_a_permuted_parameter() {
    let x = [1.0, 2.0, 3.0];
    let w: [f64; 40] = std::array::from_fn(|k| 0.1 * k as f64 - 1.0);
    let gx = pick_permuted_gradient(x, w);
    let source = [2, 0, 1];
    let mut want = [0.0; 3];
    for (k, wk) in w.iter().enumerate() {
        let j = source[k % 3];
        want[j] += 2.0 * x[j] * wk;
    }
    for (j, (g, want)) in gx.iter().zip(want).enumerate() {
        assert!((g - want).abs() < 1e-12, "x[{j}]: {g} vs {want}");
    }
}
