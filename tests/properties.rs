//! Property tests: gradients and Jacobians of multi-input composite functions (exp, ln, sin,
//! products, divisions, branches, early returns, calls, arrays) against num-dual, an independent
//! forward-mode oracle, on random inputs.

// Annotated functions whose original is only used through its companions are not dead code.
#![allow(dead_code)]

mod common;

use common::*;
use dual::gradient;
use num_dual::{Dual64, DualNum};
use proptest::prelude::*;

const RTOL: f64 = 1e-9;

fn d(c: f64) -> Dual64 {
    Dual64::from_re(c)
}

// ---------------------------------------------------------------------------------------------
// Functions under test, each with its num-dual twin
// ---------------------------------------------------------------------------------------------

#[gradient]
fn smooth(x: f64, y: f64, z: f64) -> f64 {
    (x * y).exp() * z.sin() + (1.0 + x * x).ln() / (1.0 + y * y) - z * x / (2.0 + y.cos())
}

fn smooth_nd([x, y, z]: [Dual64; 3]) -> Dual64 {
    (x * y).exp() * z.sin() + (x * x + 1.0).ln() / (y * y + 1.0) - z * x / (y.cos() + 2.0)
}

#[gradient]
fn rational(x: f64, y: f64, z: f64) -> f64 {
    let p = x * y * z - 2.0 * x + y;
    let q = 1.0 + x * x + 0.5 * z * z;
    p / q - y / (3.0 + y * y) * (z - x)
}

fn rational_nd([x, y, z]: [Dual64; 3]) -> Dual64 {
    let p = x * y * z - x * 2.0 + y;
    let q = x * x + z * z * 0.5 + 1.0;
    p / q - y / (y * y + 3.0) * (z - x)
}

#[gradient]
fn branchy(x: f64, y: f64) -> f64 {
    if x > y {
        x.exp() * y
    } else if x * y > 1.0 {
        (x - y).sin() * x
    } else {
        x / (1.0 + y * y)
    }
}

fn branchy_nd([x, y]: [Dual64; 2]) -> Dual64 {
    if x.re > y.re {
        x.exp() * y
    } else if x.re * y.re > 1.0 {
        (x - y).sin() * x
    } else {
        x / (y * y + 1.0)
    }
}

#[gradient]
fn accumulating(x: f64, y: f64, z: f64) -> f64 {
    let mut acc = x * y;
    acc += z.sin() * x;
    if acc > 0.0 {
        acc *= 1.0 + y * y;
    } else {
        acc -= (x * z).cos();
    }
    if z < -1.5 {
        return acc / (2.0 + x * x);
    }
    acc /= 1.5 + z.exp();
    let (a, b) = (acc * acc, acc - y);
    (a + 1.0).sqrt() + b * x
}

fn accumulating_nd([x, y, z]: [Dual64; 3]) -> Dual64 {
    let mut acc = x * y;
    acc += z.sin() * x;
    if acc.re > 0.0 {
        acc *= y * y + 1.0;
    } else {
        acc -= (x * z).cos();
    }
    if z.re < -1.5 {
        return acc / (x * x + 2.0);
    }
    acc /= z.exp() + 1.5;
    let (a, b) = (acc * acc, acc - y);
    (a + 1.0).sqrt() + b * x
}

#[gradient]
fn layer(w: [f64; 4], x: f64) -> f64 {
    let z = w[0] * x + w[1];
    let s = 1.0 / (1.0 + (-z).exp());
    w[2] * s + w[3] * (z * 0.5).tanh() * x
}

fn layer_nd([w0, w1, w2, w3, x]: [Dual64; 5]) -> Dual64 {
    let z = w0 * x + w1;
    let s = ((-z).exp() + 1.0).recip();
    w2 * s + w3 * (z * 0.5).tanh() * x
}

#[gradient]
fn vector_field(x: f64, y: f64, z: f64) -> [f64; 3] {
    let r2 = x * x + y * y + z * z;
    let e = (-0.5 * r2).exp();
    [x * e, y * z * e, (1.0 + r2).ln() * x.sin()]
}

fn vector_field_nd([x, y, z]: [Dual64; 3]) -> [Dual64; 3] {
    let r2 = x * x + y * y + z * z;
    let e = (r2 * -0.5).exp();
    [x * e, y * z * e, (r2 + 1.0).ln() * x.sin()]
}

#[gradient]
fn tuple_field(x: f64, y: f64) -> (f64, f64) {
    let u = x * y;
    if u > 0.0 {
        (u.sqrt() * x, y / (1.0 + u))
    } else {
        (x - y, u.exp())
    }
}

fn tuple_field_nd([x, y]: [Dual64; 2]) -> [Dual64; 2] {
    let u = x * y;
    if u.re > 0.0 {
        [u.sqrt() * x, y / (u + 1.0)]
    } else {
        [x - y, u.exp()]
    }
}

#[gradient]
fn sigmoid(t: f64) -> f64 {
    1.0 / (1.0 + (-t).exp())
}

#[gradient]
fn squared_error(a: f64, b: f64) -> f64 {
    let e = a - b;
    e * e
}

#[gradient]
fn with_calls(x: f64, y: f64, target: f64) -> f64 {
    let h = sigmoid(x * y + 0.5);
    let o = sigmoid(h * x - y);
    squared_error(o, target) + 0.1 * sigmoid(target).ln()
}

fn sigmoid_nd(t: Dual64) -> Dual64 {
    ((-t).exp() + 1.0).recip()
}

fn with_calls_nd([x, y, target]: [Dual64; 3]) -> Dual64 {
    let h = sigmoid_nd(x * y + 0.5);
    let o = sigmoid_nd(h * x - y);
    let e = o - target;
    e * e + sigmoid_nd(target).ln() * 0.1
}

#[gradient]
fn many_inputs(v: [f64; 6]) -> f64 {
    let a = v[0] * v[1] - v[2] / (1.0 + v[3] * v[3]);
    let b = (v[4] * v[5]).sin() + (v[0] - v[5]).exp();
    a * b + v[2].max(v[4]) * v[1].abs()
}

fn many_inputs_nd(v: [Dual64; 6]) -> Dual64 {
    let a = v[0] * v[1] - v[2] / (v[3] * v[3] + d(1.0));
    let b = (v[4] * v[5]).sin() + (v[0] - v[5]).exp();
    a * b + nd_max(v[2], v[4]) * nd_abs(v[1])
}

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

fn coord() -> impl Strategy<Value = f64> {
    -2.0..2.0_f64
}

#[test]
fn oracles_agree_with_known_derivatives() {
    check_oracles();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn smooth_gradient_matches_num_dual(x in coord(), y in coord(), z in coord()) {
        let (v, g) = smooth_value_and_gradient(x, y, z);
        let (nv, ng) = nd_value_and_gradient(smooth_nd, [x, y, z]);
        let ctx = format!("at ({x}, {y}, {z})");
        assert_close_ctx(v, nv, 1e-12, &ctx);
        assert_all_close(&g, &ng, RTOL, &ctx);
        assert_all_close(&smooth_gradient(x, y, z), &g, 1e-14, &ctx);
    }

    #[test]
    fn rational_gradient_matches_num_dual(x in coord(), y in coord(), z in coord()) {
        let (v, g) = rational_value_and_gradient(x, y, z);
        let (nv, ng) = nd_value_and_gradient(rational_nd, [x, y, z]);
        let ctx = format!("at ({x}, {y}, {z})");
        assert_close_ctx(v, nv, 1e-12, &ctx);
        assert_all_close(&g, &ng, RTOL, &ctx);
    }

    #[test]
    fn branchy_gradient_matches_num_dual(x in -3.0..3.0_f64, y in -3.0..3.0_f64) {
        let (v, g) = branchy_value_and_gradient(x, y);
        let (nv, ng) = nd_value_and_gradient(branchy_nd, [x, y]);
        let ctx = format!("at ({x}, {y})");
        assert_close_ctx(v, nv, 1e-12, &ctx);
        assert_all_close(&g, &ng, RTOL, &ctx);
    }

    #[test]
    fn accumulating_gradient_matches_num_dual(x in coord(), y in coord(), z in -3.0..2.0_f64) {
        let (v, g) = accumulating_value_and_gradient(x, y, z);
        let (nv, ng) = nd_value_and_gradient(accumulating_nd, [x, y, z]);
        let ctx = format!("at ({x}, {y}, {z})");
        assert_close_ctx(v, nv, 1e-12, &ctx);
        assert_all_close(&g, &ng, RTOL, &ctx);
    }

    #[test]
    fn layer_gradient_matches_num_dual(
        w0 in coord(), w1 in coord(), w2 in coord(), w3 in coord(), x in coord(),
    ) {
        let (v, (gw, gx)) = layer_value_and_gradient([w0, w1, w2, w3], x);
        let (nv, ng) = nd_value_and_gradient(layer_nd, [w0, w1, w2, w3, x]);
        let ctx = format!("at w = {:?}, x = {x}", [w0, w1, w2, w3]);
        assert_close_ctx(v, nv, 1e-12, &ctx);
        assert_all_close(&[gw[0], gw[1], gw[2], gw[3], gx], &ng, RTOL, &ctx);
    }

    #[test]
    fn vector_field_jacobian_matches_num_dual(x in coord(), y in coord(), z in coord()) {
        let (v, j) = vector_field_value_and_jacobian(x, y, z);
        let (nv, nj) = nd_value_and_jacobian(vector_field_nd, [x, y, z]);
        let ctx = format!("at ({x}, {y}, {z})");
        assert_all_close(&v, &nv, 1e-12, &ctx);
        assert_rows_close(&j, &nj, RTOL, &ctx);
        assert_rows_close(&vector_field_jacobian(x, y, z), &j, 1e-14, &ctx);
    }

    #[test]
    fn tuple_field_jacobian_matches_num_dual(x in coord(), y in coord()) {
        let ((v0, v1), j) = tuple_field_value_and_jacobian(x, y);
        let (nv, nj) = nd_value_and_jacobian(tuple_field_nd, [x, y]);
        let ctx = format!("at ({x}, {y})");
        assert_all_close(&[v0, v1], &nv, 1e-12, &ctx);
        assert_rows_close(&j, &nj, RTOL, &ctx);
    }

    #[test]
    fn with_calls_gradient_matches_num_dual(x in coord(), y in coord(), t in -1.0..2.0_f64) {
        let (v, g) = with_calls_value_and_gradient(x, y, t);
        let (nv, ng) = nd_value_and_gradient(with_calls_nd, [x, y, t]);
        let ctx = format!("at ({x}, {y}, {t})");
        assert_close_ctx(v, nv, 1e-12, &ctx);
        assert_all_close(&g, &ng, RTOL, &ctx);
    }

    #[test]
    fn many_inputs_gradient_matches_num_dual(v in proptest::array::uniform6(coord())) {
        let (val, g) = many_inputs_value_and_gradient(v);
        let (nval, ng) = nd_value_and_gradient(many_inputs_nd, v);
        let ctx = format!("at {v:?}");
        assert_close_ctx(val, nval, 1e-12, &ctx);
        assert_all_close(&g, &ng, RTOL, &ctx);
    }

    #[test]
    fn smooth_gradient_matches_finite_differences(x in coord(), y in coord(), z in coord()) {
        let g = smooth_gradient(x, y, z);
        let fd = fd_gradient(|p: [f64; 3]| smooth(p[0], p[1], p[2]), [x, y, z]);
        assert_all_close(&g, &fd, 1e-8, &format!("at ({x}, {y}, {z})"));
    }
}
