//! The lecture, retraced with `#[gradient]`: gradients and partial derivatives of x²y + y, the
//! multivariable chain rule (scalar and vector form), the Jacobian of a layer of perceptron net
//! inputs, and gradient descent on the Rosenbrock function.
//!
//! Every derivative is printed three times: from the functions `#[gradient]` generated, from the
//! formula worked out by hand, and the absolute difference of the two.
//!
//! ```sh
//! cargo run --release --example lecture
//! ```

use dual::gradient;

// -------------------------------------------------------------------------------------------------
// 1. Gradient and partial derivatives of f(x, y) = x²y + y:  ∇f = (2xy, x² + 1)
// -------------------------------------------------------------------------------------------------

/// The lecture's first function.
#[gradient]
fn f(x: f64, y: f64) -> f64 {
    x * x * y + y
}

/// A partial derivative is the derivative along one variable with the others held fixed:
/// `wrt(x)` differentiates with respect to `x` only, and `y` is passed through as a constant.
#[gradient(wrt(x))]
fn f_along_x(x: f64, y: f64) -> f64 {
    f(x, y)
}

/// The same, along `y`.
#[gradient(wrt(y))]
fn f_along_y(x: f64, y: f64) -> f64 {
    f(x, y)
}

// -------------------------------------------------------------------------------------------------
// 2. The multivariable chain rule: F(x) = f(g(x), h(x)) with g = 3x and h = x²,
//    F′(x) = ∂f/∂g · g′(x) + ∂f/∂h · h′(x) = 2gh · 3 + (g² + 1) · 2x = 36x³ + 2x
// -------------------------------------------------------------------------------------------------

/// The first inner function.
#[gradient]
fn g(x: f64) -> f64 {
    3.0 * x
}

/// The second inner function.
#[gradient]
fn h(x: f64) -> f64 {
    x * x
}

/// The composition. Each function is annotated separately; the macro applies the chain rule
/// through the generated `f_value_and_gradient`, `g_value_and_gradient` and `h_value_and_gradient`.
#[gradient]
fn big_f(x: f64) -> f64 {
    f(g(x), h(x))
}

// Vector form: u(x) = (g(x), h(x)) maps ℝ → ℝ², its Jacobian is the 2×1 column (3, 2x), and
// F′ = ∇f(u(x)) · J_u(x), a 1×2 row times a 2×1 column.

/// The inner map as one vector-valued function.
#[gradient]
fn u(x: f64) -> [f64; 2] {
    [g(x), h(x)]
}

/// The composition through the vector-valued inner map.
#[gradient]
fn big_f_vector(x: f64) -> f64 {
    let [a, b] = u(x);
    f(a, b)
}

// -------------------------------------------------------------------------------------------------
// 3. The Jacobian of a layer of perceptron net inputs: z = W·x + b, 3 neurons, 2 inputs.
//    ∂zⱼ/∂Wⱼₖ = xₖ,  ∂zⱼ/∂bⱼ = 1,  ∂zⱼ/∂xₖ = Wⱼₖ  (all other entries 0)
// -------------------------------------------------------------------------------------------------

/// Net inputs of a 3×2 layer; `w` is W row by row.
#[gradient]
fn net_inputs(w: [f64; 6], b: [f64; 3], x: [f64; 2]) -> [f64; 3] {
    [
        w[0] * x[0] + w[1] * x[1] + b[0],
        w[2] * x[0] + w[3] * x[1] + b[1],
        w[4] * x[0] + w[5] * x[1] + b[2],
    ]
}

// -------------------------------------------------------------------------------------------------
// 4. Gradient descent on the Rosenbrock function, minimum 0 at (1, 1).
//    ∇ = (−2(1 − x) − 400x(y − x²), 200(y − x²))
// -------------------------------------------------------------------------------------------------

/// The Rosenbrock function.
#[gradient]
fn rosenbrock(x: f64, y: f64) -> f64 {
    (1.0 - x).powi(2) + 100.0 * (y - x * x).powi(2)
}

// -------------------------------------------------------------------------------------------------

/// The largest absolute difference seen, to print a verdict at the end.
struct Report {
    worst: f64,
}

impl Report {
    fn header(&self, title: &str) {
        println!("\n{title}");
        println!(
            "  {:<36} {:>16} {:>16} {:>12}",
            "", "generated", "analytic", "|difference|"
        );
    }

    /// One derivative from the generated functions beside its analytic value.
    fn compare(&mut self, what: &str, generated: f64, analytic: f64) {
        let diff = (generated - analytic).abs();
        self.worst = self.worst.max(diff / analytic.abs().max(1.0));
        println!("  {what:<36} {generated:>16.10} {analytic:>16.10} {diff:>12.1e}");
    }
}

fn main() {
    let mut report = Report { worst: 0.0 };

    // 1. ∇(x²y + y)
    report.header("1. f(x, y) = x²y + y,  ∇f = (2xy, x² + 1)");
    for (x, y) in [(3.0, 2.0), (-1.5, 0.5), (0.1, -4.0)] {
        let (value, [dfdx, dfdy]) = f_value_and_gradient(x, y);
        report.compare(&format!("f({x}, {y})"), value, x * x * y + y);
        report.compare(&format!("∂f/∂x at ({x}, {y})"), dfdx, 2.0 * x * y);
        report.compare(&format!("∂f/∂y at ({x}, {y})"), dfdy, x * x + 1.0);
        // The partial derivatives on their own, with the other variable held fixed.
        let [along_x] = f_along_x_gradient(x, y);
        let [along_y] = f_along_y_gradient(x, y);
        report.compare("  … with wrt(x) alone", along_x, 2.0 * x * y);
        report.compare("  … with wrt(y) alone", along_y, x * x + 1.0);
        assert_eq!(f_along_x(x, y), f_along_y(x, y));
    }

    // 2. The chain rule, scalar form.
    report.header("2. F(x) = f(g(x), h(x)), g = 3x, h = x²,  F′(x) = 36x³ + 2x");
    for x in [2.0, -0.5, 1.25] {
        let (value, [generated]) = big_f_value_and_gradient(x);
        report.compare(&format!("F({x})"), value, 9.0 * x.powi(4) + x * x);
        report.compare(&format!("F′({x})"), generated, 36.0 * x.powi(3) + 2.0 * x);
        // The same derivative assembled by hand from the three separate gradients.
        let [dfdg, dfdh] = f_gradient(g(x), h(x));
        let ([dg], [dh]) = (g_gradient(x), h_gradient(x));
        report.compare(
            "  ∂f/∂g·g′ + ∂f/∂h·h′",
            dfdg * dg + dfdh * dh,
            36.0 * x.powi(3) + 2.0 * x,
        );
    }

    // 2'. The chain rule, vector form: F′ = ∇f(u) · J_u.
    report.header("2'. F = f ∘ u with u(x) = (g(x), h(x)),  F′ = ∇f(u) · J_u = 36x³ + 2x");
    let x = 2.0;
    let (inner, [[du0], [du1]]) = u_value_and_jacobian(x);
    assert_eq!(inner, u(x));
    report.compare("J_u[0][0] = g′(2) = 3", du0, 3.0);
    report.compare("J_u[1][0] = h′(2) = 2x", du1, 2.0 * x);
    let [dfdg, dfdh] = f_gradient(inner[0], inner[1]);
    report.compare("∇f(u) · J_u at x = 2", dfdg * du0 + dfdh * du1, 292.0);
    let [generated] = big_f_vector_gradient(x);
    report.compare("F′(2) through u's Jacobian", generated, 292.0);
    assert_eq!(big_f_vector(x), big_f(x));

    // 3. Jacobian of the perceptron net inputs.
    let w = [0.5, -1.0, 2.0, 0.25, -1.5, 3.0];
    let b = [0.1, -0.2, 0.3];
    let x = [2.0, -3.0];
    report.header("3. z = W·x + b for a 3×2 layer: the 3×11 Jacobian ∂z/∂(W, b, x)");
    let (z, jac) = net_inputs_value_and_jacobian(w, b, x);
    assert_eq!(z, net_inputs(w, b, x));
    // Columns 0..6 are W (row by row), 6..9 are b, 9..11 are x.
    for (j, row) in jac.iter().enumerate() {
        report.compare(
            &format!("z{j}"),
            z[j],
            w[2 * j] * x[0] + w[2 * j + 1] * x[1] + b[j],
        );
        for k in 0..2 {
            report.compare(&format!("∂z{j}/∂W{j}{k} = x{k}"), row[2 * j + k], x[k]);
        }
        report.compare(&format!("∂z{j}/∂b{j} = 1"), row[6 + j], 1.0);
        for k in 0..2 {
            report.compare(&format!("∂z{j}/∂x{k} = W{j}{k}"), row[9 + k], w[2 * j + k]);
        }
        let zeros = (0..9).filter(|&c| c / 2 != j && c != 6 + j);
        let largest_other = zeros.map(|c| row[c].abs()).fold(0.0, f64::max);
        report.compare(
            &format!("other 6 entries of row {j} (max |·|)"),
            largest_other,
            0.0,
        );
    }
    println!("  ∂z/∂x is W itself:");
    for row in &jac {
        println!("    [{:>5}, {:>5}]", row[9], row[10]);
    }

    // 4. Gradient descent on Rosenbrock.
    report.header("4. Rosenbrock (1 − x)² + 100(y − x²)², gradient at the start (−1.2, 1)");
    let (x0, y0) = (-1.2, 1.0);
    let [gx, gy] = rosenbrock_gradient(x0, y0);
    report.compare(
        "∂/∂x = −2(1 − x) − 400x(y − x²)",
        gx,
        -2.0 * (1.0 - x0) - 400.0 * x0 * (y0 - x0 * x0),
    );
    report.compare("∂/∂y = 200(y − x²)", gy, 200.0 * (y0 - x0 * x0));

    println!("\n  gradient descent, step size 1e-3:");
    println!(
        "  {:>6} {:>12} {:>12} {:>12} {:>12}",
        "step", "x", "y", "loss", "|∇|"
    );
    let rate = 1e-3;
    let (mut x, mut y) = (x0, y0);
    let first = rosenbrock(x, y);
    for step in 0..=20_000 {
        let (loss, [gx, gy]) = rosenbrock_value_and_gradient(x, y);
        if [0, 1, 2, 5, 10, 100, 1_000, 5_000, 10_000, 20_000].contains(&step) {
            println!(
                "  {step:>6} {x:>12.6} {y:>12.6} {loss:>12.3e} {:>12.3e}",
                gx.hypot(gy)
            );
        }
        x -= rate * gx;
        y -= rate * gy;
    }
    let last = rosenbrock(x, y);
    assert!(last < 1e-6 * first, "gradient descent did not converge");

    println!(
        "\nLargest difference between generated and analytic derivatives (relative to \
         max(1, |analytic|)): {:.1e}",
        report.worst
    );
    assert!(report.worst < 1e-12);
}
