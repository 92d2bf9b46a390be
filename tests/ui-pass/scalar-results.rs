//! Scalar results: gradients, `wrt`, calls, branches, early return, compound assignment, macros in
//! statement position, path-form math and constants. Must compile without a single warning.
#![deny(warnings)]
#![deny(clippy::all)]

use dual::gradient;

/// The lecture's first example.
#[gradient]
fn f(x: f64, y: f64) -> f64 {
    x * x * y + y
}

#[gradient]
fn g(x: f64) -> f64 {
    3.0 * x
}

#[gradient]
fn h(x: f64) -> f64 {
    x * x
}

// Chain rule through the companions of `g` and `h`.
#[gradient]
fn composed(x: f64) -> f64 {
    let a = g(x);
    let b = h(x);
    a * a * b + b
}

// Linear: the gradient uses none of the parameters.
#[gradient]
fn linear(x: f64, y: f64) -> f64 {
    2.0 * x - y
}

// `wrt` restricts the differentiated parameters; `k` and `n` are constants passed through, and `n`
// does not influence the gradient at all.
#[gradient(wrt(x))]
fn scaled(x: f64, k: f64, n: usize) -> f64 {
    let mut s = x * k;
    s += n as f64;
    s *= x;
    s -= 1.;
    s /= 2.0f64;
    s
}

#[gradient]
fn piecewise(x: f64) -> f64 {
    if x < 0.0 {
        return -x;
    }
    let y = if x > 2.0 {
        x.ln() + 1e-3
    } else if x > 1.0 {
        x * x
    } else {
        x.sin()
    };
    println!("piecewise({x}) = {y}");
    assert!(y.is_finite(), "y must be finite");
    debug_assert!(y >= 0.0);
    y
}

#[gradient]
fn math(x: f64, y: f64) -> f64 {
    const HALF: f64 = 0.5;
    let a = x.powi(3) + x.powf(y) + f64::sqrt(x) + x.cbrt() + x.exp() + x.exp2() + x.exp_m1();
    let b = x.ln() + x.log(3.0) + x.log2() + x.log10() + x.ln_1p();
    let c = x.sin() + f64::cos(x) + x.tan() + (HALF * x).asin() + (HALF * x).acos() + x.atan();
    let d = x.atan2(y) + x.sinh() + x.cosh() + x.tanh() + x.asinh() + (x + 1.0).acosh();
    let e = (HALF * x).atanh() + x.hypot(y) + x.recip() + x.mul_add(y, 1.0) + (x - y).abs();
    let k = x.max(y) + x.min(y) + x.clamp(0.0, 1.0) + x.to_degrees() + y.to_radians();
    let m = (x - y).signum() * x + x.floor() + x.ceil() + x.round() + x.trunc();
    let n = std::f64::consts::PI * x + core::f64::consts::E * y;
    a + b + c + d + e + k + m + n
}

#[gradient]
fn array_input(x: [f64; 3]) -> f64 {
    x[0] * x[1] + x[2].exp()
}

#[gradient]
fn mixed_input(w: [f64; 2], b: f64, data: &[f64]) -> f64 {
    let scale = data.iter().sum::<f64>();
    (w[0] * w[1] + b) * scale
}

// A tuple of active values read by field; a cast of an active value to an integer is a constant
// (derivative zero, like `trunc`).
#[gradient]
fn tuple_and_cast(x: f64) -> f64 {
    let p = (x, 2.0 * x);
    let n = x as i64;
    p.0 * p.1 + n as f64 * x
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * (1.0 + a.abs().max(b.abs()))
}

fn main() {
    let [dx, dy] = f_gradient(3.0, 2.0);
    assert!(close(dx, 12.0) && close(dy, 10.0));
    let (v, [dx, dy]) = f_value_and_gradient(3.0, 2.0);
    assert!(close(v, 20.0) && close(dx, 12.0) && close(dy, 10.0));
    assert!(close(f(3.0, 2.0), 20.0));

    let _ = (g(1.0), g_gradient(1.0), g_value_and_gradient(1.0));
    let _ = (h(1.0), h_gradient(1.0), h_value_and_gradient(1.0));
    let [d] = composed_gradient(2.0);
    assert!(close(d, 36.0 * 8.0 + 4.0));
    let (v, [d]) = composed_value_and_gradient(1.0);
    assert!(close(v, composed(1.0)) && close(d, 38.0));

    assert_eq!(linear_gradient(1.0, 2.0), [2.0, -1.0]);
    let (v, _) = linear_value_and_gradient(1.0, 2.0);
    assert!(close(v, linear(1.0, 2.0)));

    let [d] = scaled_gradient(2.0, 3.0, 4);
    // s = ((x k + n) x - 1) / 2, ds/dx = (2 k x + n) / 2
    assert!(close(d, (2.0 * 3.0 * 2.0 + 4.0) / 2.0));
    let (v, _) = scaled_value_and_gradient(2.0, 3.0, 4);
    assert!(close(v, scaled(2.0, 3.0, 4)));

    assert_eq!(piecewise_gradient(-2.0), [-1.0]);
    assert!(close(piecewise_gradient(1.5)[0], 3.0));
    assert!(close(piecewise_gradient(3.0)[0], 1.0 / 3.0));
    assert!(close(piecewise_gradient(0.5)[0], 0.5f64.cos()));
    let (v, _) = piecewise_value_and_gradient(0.5);
    assert!(close(v, piecewise(0.5)));

    let (x, y) = (0.7, 0.3);
    let (v, [dx, dy]) = math_value_and_gradient(x, y);
    assert!(close(v, math(x, y)));
    let step = 1e-6;
    let fd_x = (math(x + step, y) - math(x - step, y)) / (2.0 * step);
    let fd_y = (math(x, y + step) - math(x, y - step)) / (2.0 * step);
    assert!(
        (dx - fd_x).abs() < 1e-5 * (1.0 + fd_x.abs()),
        "{dx} vs {fd_x}"
    );
    assert!(
        (dy - fd_y).abs() < 1e-5 * (1.0 + fd_y.abs()),
        "{dy} vs {fd_y}"
    );
    let _ = math_gradient(x, y);

    let g3: [f64; 3] = array_input_gradient([1.0, 2.0, 0.0]);
    assert!(close(g3[0], 2.0) && close(g3[1], 1.0) && close(g3[2], 1.0));
    let (v, _) = array_input_value_and_gradient([1.0, 2.0, 0.0]);
    assert!(close(v, array_input([1.0, 2.0, 0.0])));

    // 2 x^2 + trunc(x) x: derivative 4 x + trunc(x)
    let (v, [d]) = tuple_and_cast_value_and_gradient(2.5);
    assert!(close(v, tuple_and_cast(2.5)) && close(d, 12.0));
    let _ = tuple_and_cast_gradient(2.5);

    let data = [1.0, 2.0];
    let (gw, gb): ([f64; 2], f64) = mixed_input_gradient([2.0, 5.0], 1.0, &data);
    assert!(close(gw[0], 15.0) && close(gw[1], 6.0) && close(gb, 3.0));
    let (v, _) = mixed_input_value_and_gradient([2.0, 5.0], 1.0, &data);
    assert!(close(v, mixed_input([2.0, 5.0], 1.0, &data)));
}
