//! Hygiene gauntlet (issue 5): every feature of `#[gradient]` under the strictest lints, with user
//! names that look like the generated temporaries (`__t0`, `__c1`, `__dual_broke`, …) or like
//! math functions (`sin`, `exp` as variables), and a local `f64`-looking shadowing of nothing.
//! The generated code must compile without a warning and contain no `unsafe`.
#![forbid(unsafe_code)]
#![deny(warnings, missing_docs, unused_qualifications, trivial_numeric_casts)]
#![deny(clippy::all, clippy::pedantic)]

use dual::gradient;

/// Straight-line code whose locals are named like the generated ones.
#[gradient]
#[must_use]
pub fn temporaries(__t0: f64, __t1: f64) -> f64 {
    let __t2 = __t0 * __t1;
    let __c0 = __t2.sin();
    let __k0 = 2.0;
    let __v1 = __c0 * __k0 + __t0;
    let __dual_broke = __v1 * __v1;
    let __dual_ret = __dual_broke + __t1;
    __dual_ret * 1.0
}

/// Variables named like math functions, and a function named like one.
#[gradient]
#[must_use]
pub fn mathy(sin: f64, exp: f64) -> f64 {
    let cos = sin.cos();
    let ln = exp.exp().ln();
    let sqrt = (sin * sin + 1.0).sqrt();
    let max = cos.max(ln);
    let powi = max.powi(2);
    sin.sin() * exp + powi + sqrt
}

/// Branches on differentiated values, early `return`, `let y;` assigned later, mutation.
#[gradient(hessian)]
#[must_use]
pub fn branches(x: f64, y: f64) -> f64 {
    let __c1 = x * y;
    if __c1 > 4.0 {
        return __c1.sqrt();
    }
    let z;
    if x > y {
        z = x - y;
    } else if x > 0.0 {
        z = 0.5 * x;
    } else {
        z = y * y;
    }
    let mut acc = z;
    acc += x;
    acc *= 2.0;
    acc
}

/// An unrolled loop over an array, with `continue` and `break`.
#[gradient]
#[must_use]
pub fn unrolled(x: [f64; 4]) -> f64 {
    let mut s = 0.0;
    for (i, &xi) in x.iter().enumerate() {
        if xi < 0.0 {
            continue;
        }
        s += xi * f64::from(u32::try_from(i).unwrap_or(0));
        if s > 100.0 {
            break;
        }
    }
    s + x[0].mul_add(x[1], x[2]) + x[3].clamp(-1.0, 1.0)
}

/// A loop with a run-time trip count: a sum (fused) and a product (forward tangents).
#[gradient(wrt(a, b))]
#[must_use]
pub fn runtime(a: f64, b: f64, xs: &[f64]) -> f64 {
    let mut sum = 0.0;
    let mut prod = 1.0;
    for xi in xs {
        sum += (a * xi - b).powi(2);
        prod *= 1.0 + 0.01 * a * xi;
    }
    let mut step = 0;
    let mut root = b;
    while step < xs.len() {
        root = 0.5 * (root + 2.0 / root);
        step += 1;
    }
    sum + prod + root
}

/// A vector result, calls to other annotated functions (scalar and vector).
#[gradient]
#[must_use]
pub fn polar(r: f64, t: f64) -> [f64; 2] {
    [r * t.cos(), r * t.sin()]
}

/// Calls through the chain rule.
#[gradient]
#[must_use]
pub fn calls(r: f64, t: f64) -> f64 {
    let [x, y] = polar(r, t);
    temporaries(x, y) + mathy(x, 1.0)
}

/// A tuple result.
#[gradient]
#[must_use]
pub fn tuple(x: f64) -> (f64, f64) {
    (x.exp2(), x.tanh())
}

/// `f32` and `const fn`.
#[gradient(hessian)]
#[must_use]
pub const fn cubic(x: f32, y: f32) -> f32 {
    x * x * x - 2.0 * x * y + y.abs().max(1.0)
}

/// Methods in an `impl` block.
pub struct Spring {
    /// Stiffness.
    pub k: f64,
}

impl Spring {
    /// Elastic energy.
    #[gradient]
    #[must_use]
    pub fn energy(&self, x: f64) -> f64 {
        0.5 * self.k * x * x
    }

    /// Energy plus gravity.
    #[gradient]
    #[must_use]
    pub fn total(&self, x: f64) -> f64 {
        self.energy(x) + Self::gravity(x)
    }

    /// Potential energy.
    #[gradient]
    #[must_use]
    pub fn gravity(h: f64) -> f64 {
        9.81 * h
    }
}

/// A hand-written derivative.
#[must_use]
pub fn softplus(x: f64) -> f64 {
    x.max(0.0) + (-x.abs()).exp().ln_1p()
}

/// The derivative of [`softplus`].
#[must_use]
pub fn softplus_value_and_gradient(x: f64) -> (f64, [f64; 1]) {
    (softplus(x), [1.0 / (1.0 + (-x).exp())])
}

/// A custom derivative in use.
#[gradient]
#[must_use]
pub fn uses_custom(w: f64, x: f64) -> f64 {
    softplus(w * x) + std::f64::consts::PI * w
}

/// Evaluated by the compiler.
const H: [[f32; 2]; 2] = cubic_hessian(1.0, 2.0);

fn main() {
    let _ = H;
    let _ = temporaries_gradient(1.0, 2.0);
    let _ = mathy_value_and_gradient(0.5, 0.25);
    let _ = branches_hessian(1.0, 2.0);
    let _ = unrolled_gradient([1.0, -2.0, 3.0, 4.0]);
    let _ = runtime_gradient(1.0, 2.0, &[1.0, 2.0]);
    let _ = calls_gradient(1.0, 0.5);
    let _ = tuple_jacobian(0.5);
    let s = Spring { k: 2.0 };
    let _ = s.total_gradient(1.0);
    let _ = uses_custom_gradient(0.5, 2.0);
}
