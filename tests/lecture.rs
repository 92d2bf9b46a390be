//! The lecture's worked examples: the gradient of x²y + y, the chain rule through separately
//! annotated functions, and the Jacobian of a layer of perceptron net inputs.

// Annotated functions whose original is only used through its companions are not dead code.
#![allow(dead_code)]

mod common;

use common::*;
use dual::gradient;

// ---------------------------------------------------------------------------------------------
// ∇(x²y + y) = (2xy, x² + 1)
// ---------------------------------------------------------------------------------------------

#[gradient]
fn f(x: f64, y: f64) -> f64 {
    x * x * y + y
}

#[test]
fn f_at_3_2_has_gradient_12_10() {
    assert_eq!(f_gradient(3.0, 2.0), [12.0, 10.0]);
}

#[test]
fn f_at_3_2_has_value_20_and_gradient_12_10() {
    assert_eq!(f_value_and_gradient(3.0, 2.0), (20.0, [12.0, 10.0]));
}

#[test]
fn f_original_function_still_returns_20_at_3_2() {
    assert_eq!(f(3.0, 2.0), 20.0);
}

#[test]
fn f_gradient_is_2xy_and_x2_plus_1_on_a_grid() {
    // Multiples of 0.25 in [-4, 4]: every product below is exact.
    let xs = linspace(-4.0, 4.0, 33);
    for (x, y) in grid2(&xs, &xs) {
        assert_eq!(
            f_gradient(x, y),
            [2.0 * x * y, x * x + 1.0],
            "gradient of x²y + y at ({x}, {y})"
        );
    }
}

#[test]
fn f_gradient_is_2xy_and_x2_plus_1_at_irregular_points() {
    let xs = [-7.3, -1.0 / 3.0, 0.1, 2.0_f64.sqrt(), 123.456];
    let ys = [-2.5e3, -0.7, 1e-8, 3.3, 17.0];
    for (x, y) in grid2(&xs, &ys) {
        let (value, grad) = f_value_and_gradient(x, y);
        let ctx = format!("at ({x}, {y})");
        assert_close_ctx(value, x * x * y + y, 1e-14, &ctx);
        assert_all_close(&grad, &[2.0 * x * y, x * x + 1.0], 1e-14, &ctx);
    }
}

#[test]
fn f_gradient_matches_finite_differences() {
    for (x, y) in grid2(&linspace(-2.0, 2.0, 5), &linspace(-1.5, 1.5, 4)) {
        let fd = fd_gradient(|v: [f64; 2]| f(v[0], v[1]), [x, y]);
        assert_all_close(&f_gradient(x, y), &fd, 1e-9, &format!("at ({x}, {y})"));
    }
}

// ---------------------------------------------------------------------------------------------
// Chain rule: f(g(x), h(x)) with g = 3x, h = x², each annotated separately
// ---------------------------------------------------------------------------------------------

#[gradient]
fn g(x: f64) -> f64 {
    3.0 * x
}

#[gradient]
fn h(x: f64) -> f64 {
    x * x
}

#[gradient]
fn composed(x: f64) -> f64 {
    f(g(x), h(x))
}

#[test]
fn g_derivative_is_3() {
    for x in linspace(-5.0, 5.0, 21) {
        assert_eq!(g_gradient(x), [3.0], "g'({x})");
    }
}

#[test]
fn h_derivative_is_2x() {
    for x in linspace(-5.0, 5.0, 21) {
        assert_eq!(h_value_and_gradient(x), (x * x, [2.0 * x]), "h at {x}");
    }
}

#[test]
fn composed_value_is_9x4_plus_x2() {
    for x in linspace(-3.0, 3.0, 25) {
        let (value, _) = composed_value_and_gradient(x);
        assert_close_ctx(
            value,
            9.0 * x.powi(4) + x * x,
            1e-15,
            &format!("composed({x})"),
        );
        assert_close_ctx(
            value,
            composed(x),
            1e-15,
            &format!("companion vs original at {x}"),
        );
    }
}

#[test]
fn composed_derivative_is_36x3_plus_2x() {
    for x in linspace(-3.0, 3.0, 25) {
        let [d] = composed_gradient(x);
        assert_close_ctx(
            d,
            36.0 * x.powi(3) + 2.0 * x,
            1e-15,
            &format!("composed'({x})"),
        );
    }
}

#[test]
fn composed_derivative_at_2_is_292() {
    // 36·8 + 4
    assert_eq!(composed_gradient(2.0), [292.0]);
}

#[test]
fn composed_derivative_matches_finite_differences_at_irregular_points() {
    for x in [-2.71, -0.3, 0.017, 1.0 / 7.0, 4.4] {
        let [d] = composed_gradient(x);
        assert_close_ctx(d, fd_derivative(composed, x), 1e-9, &format!("at {x}"));
    }
}

// ---------------------------------------------------------------------------------------------
// Jacobian of a layer of perceptron net inputs: z_j = w[2j]·x0 + w[2j+1]·x1 (+ b_j)
// ---------------------------------------------------------------------------------------------

#[gradient(wrt(w))]
fn net(w: [f64; 6], x0: f64, x1: f64) -> [f64; 3] {
    [
        w[0] * x0 + w[1] * x1,
        w[2] * x0 + w[3] * x1,
        w[4] * x0 + w[5] * x1,
    ]
}

#[gradient]
fn net_all(w: [f64; 6], x0: f64, x1: f64) -> [f64; 3] {
    [
        w[0] * x0 + w[1] * x1,
        w[2] * x0 + w[3] * x1,
        w[4] * x0 + w[5] * x1,
    ]
}

#[gradient(wrt(w, b))]
fn net_with_bias(w: [f64; 6], b: [f64; 3], x0: f64, x1: f64) -> [f64; 3] {
    [
        w[0] * x0 + w[1] * x1 + b[0],
        w[2] * x0 + w[3] * x1 + b[1],
        w[4] * x0 + w[5] * x1 + b[2],
    ]
}

const W: [f64; 6] = [0.5, -1.25, 2.0, 0.75, -3.0, 1.5];

#[test]
fn net_jacobian_wrt_weights_has_inputs_in_each_neurons_columns() {
    let (x0, x1) = (2.0, -3.0);
    let jac: [[f64; 6]; 3] = net_jacobian(W, x0, x1);
    assert_eq!(
        jac,
        [
            [x0, x1, 0.0, 0.0, 0.0, 0.0],
            [0.0, 0.0, x0, x1, 0.0, 0.0],
            [0.0, 0.0, 0.0, 0.0, x0, x1],
        ]
    );
}

#[test]
fn net_value_and_jacobian_returns_the_net_inputs() {
    let (x0, x1) = (2.0, -3.0);
    let (z, jac) = net_value_and_jacobian(W, x0, x1);
    assert_eq!(z, [0.5 * 2.0 + 1.25 * 3.0, 4.0 - 2.25, -6.0 - 4.5]);
    assert_eq!(z, net(W, x0, x1));
    assert_eq!(jac, net_jacobian(W, x0, x1));
}

#[test]
fn net_jacobian_rows_at_many_inputs() {
    for (x0, x1) in grid2(&linspace(-2.0, 2.0, 9), &linspace(-1.0, 3.0, 9)) {
        let jac = net_jacobian(W, x0, x1);
        for (j, row) in jac.iter().enumerate() {
            let mut expected = [0.0; 6];
            expected[2 * j] = x0;
            expected[2 * j + 1] = x1;
            assert_eq!(*row, expected, "row {j} at x = ({x0}, {x1})");
        }
    }
}

#[test]
fn net_all_jacobian_has_weights_in_the_input_columns() {
    let (x0, x1) = (0.25, 4.0);
    let jac: [[f64; 8]; 3] = net_all_jacobian(W, x0, x1);
    assert_eq!(
        jac,
        [
            [x0, x1, 0.0, 0.0, 0.0, 0.0, W[0], W[1]],
            [0.0, 0.0, x0, x1, 0.0, 0.0, W[2], W[3]],
            [0.0, 0.0, 0.0, 0.0, x0, x1, W[4], W[5]],
        ]
    );
}

#[test]
fn net_with_bias_jacobian_flattens_weights_then_biases() {
    let (x0, x1) = (-1.5, 0.5);
    let b = [0.1, 0.2, 0.3];
    let (z, jac): ([f64; 3], [[f64; 9]; 3]) = net_with_bias_value_and_jacobian(W, b, x0, x1);
    assert_eq!(z, net_with_bias(W, b, x0, x1));
    assert_eq!(
        jac,
        [
            [x0, x1, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0],
            [0.0, 0.0, x0, x1, 0.0, 0.0, 0.0, 1.0, 0.0],
            [0.0, 0.0, 0.0, 0.0, x0, x1, 0.0, 0.0, 1.0],
        ]
    );
}

// A perceptron with a logistic activation: ∂σ(z)/∂w = σ(z)(1 − σ(z)) · (1, x0, x1).
#[gradient(wrt(w))]
fn neuron(w: [f64; 3], x0: f64, x1: f64) -> f64 {
    let z = w[0] + w[1] * x0 + w[2] * x1;
    1.0 / (1.0 + (-z).exp())
}

#[test]
fn neuron_gradient_is_sigmoid_slope_times_inputs() {
    let w = [0.3, -0.8, 1.1];
    for (x0, x1) in grid2(&linspace(-2.0, 2.0, 5), &linspace(-2.0, 2.0, 5)) {
        let z = w[0] + w[1] * x0 + w[2] * x1;
        let s = 1.0 / (1.0 + (-z).exp());
        let slope = s * (1.0 - s);
        let grad: [f64; 3] = neuron_gradient(w, x0, x1);
        assert_all_close(
            &grad,
            &[slope, slope * x0, slope * x1],
            1e-13,
            &format!("at x = ({x0}, {x1})"),
        );
    }
}
