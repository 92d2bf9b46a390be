//! Hessians, `f32` functions and `const fn` companions (issue 4): the generated code must compile
//! without a single warning, including companions the user never calls.
#![deny(warnings)]
#![deny(clippy::all)]

use dual::gradient;

#[gradient(hessian)]
fn g(x: f64) -> f64 {
    x.sin() * x
}

// Branch, early return, a `hessian` callee, `wrt` with a pass-through index.
#[gradient(wrt(w, b), hessian)]
fn f(w: [f64; 2], x: f64, b: f64, i: usize) -> f64 {
    let r = w[0] * x + w[1] + b;
    if r > 10.0 {
        return r;
    }
    let s = if w[i] > 0.0 { g(w[i] * b) } else { b * b };
    r * r + s
}

// Private, only the Hessian used.
#[gradient(hessian)]
fn rosenbrock(x: f64, y: f64) -> f64 {
    (1.0 - x) * (1.0 - x) + 100.0 * (y - x * x) * (y - x * x)
}

#[gradient(hessian)]
fn f32_fn(x: f32, y: f32) -> f32 {
    (x * y).exp() + std::f32::consts::PI * f32::sqrt(1.0 + x * x)
}

#[gradient]
fn f32_vec(x: f32) -> [f32; 2] {
    [x * x, 0.5 * x]
}

#[gradient(hessian)]
const fn poly(x: f64, y: f64) -> f64 {
    x * x * y - y / 2.0
}

#[gradient]
const fn clamped(x: f64) -> f64 {
    if x > 1.0 {
        x.abs() * 2.0
    } else {
        -x * x
    }
}

const PH: [[f64; 2]; 2] = poly_hessian(1.0, 2.0);
const _: () = assert!(PH[0][0] == 4.0 && PH[0][1] == 2.0 && PH[1][1] == 0.0);
const CG: [f64; 1] = clamped_gradient(3.0);
const _: () = assert!(CG[0] == 2.0);

pub struct S {
    pub k: f64,
}

impl S {
    #[gradient(hessian)]
    pub fn energy(&self, x: f64) -> f64 {
        self.k * x * x * x
    }
}

fn main() {
    let (_, (gw, gb), h) = f_value_gradient_and_hessian([1.0, 2.0], 0.5, 0.25, 1);
    assert!(gw[0].is_finite() && gb.is_finite() && h[0][2] == h[2][0]);
    assert_eq!(
        rosenbrock_hessian(1.0, 1.0),
        [[802.0, -400.0], [-400.0, 200.0]]
    );
    let h32: [[f32; 2]; 2] = f32_fn_hessian(0.5, 0.25);
    assert!(h32[0][1] == h32[1][0]);
    let j: [[f32; 1]; 2] = f32_vec_jacobian(2.0);
    assert_eq!(j, [[4.0], [0.5]]);
    assert_eq!(S { k: 2.0 }.energy_hessian(1.0), [[12.0]]);
    assert_eq!(PH[1][0], 2.0);
}
