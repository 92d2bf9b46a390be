//! The hygiene gauntlet: every feature of `#[gradient]` under the strictest lints.
//!
//! This one file is the library of two workspace members, `dual-hygiene-2021`
//! (`hygiene/edition2021`) and `dual-hygiene-2024` (`hygiene/edition2024`), so the CI's
//! `cargo clippy --workspace --all-targets -- -D warnings` compiles the expansion of `#[gradient]`
//! with the lints below and the rules of both editions, and `cargo test --workspace` runs the
//! tests at the bottom. (The companions carry `#[allow(unused, unreachable_code, clippy::…)]`, so
//! clippy checks the user's functions as re-emitted and what the allow does not cover; rustc's
//! other lints, e.g. `unused_qualifications`, apply to the companions in full.) The user code here uses names that look like the generated temporaries
//! (`__t0`, `__c0`, `__k0`, `__i0`, `__v0`, `__dual_broke`), names of math functions (`sin`, `exp`,
//! `sqrt`, …) for variables and for annotated functions, and has `num_traits::Float` in scope beside
//! the inherent `f64` methods that the generated code calls. The generated code must compile
//! without a warning, and must contain no `unsafe` (`forbid` below; `dual-core/tests/no_unsafe.rs`
//! checks the tokens too).
//!
//! `cargo fmt` formats this file once per package, with the 2021 and the 2024 style editions; keep
//! it in a shape both agree on (`rustfmt --edition 2021` and `--edition 2024` give the same file).
#![forbid(unsafe_code)]
#![deny(warnings, missing_docs, unused_qualifications, trivial_numeric_casts)]
#![deny(clippy::all, clippy::pedantic)]

use dual::gradient;
use num_traits::Float;

// ---------------------------------------------------------------------------------------------
// Straight-line code, and every family of the built-in math
// ---------------------------------------------------------------------------------------------

/// Straight-line code whose parameters and locals are named like the generated locals.
#[gradient]
#[must_use]
pub fn temporaries(__t0: f64, __t1: f64) -> f64 {
    let __t2 = __t0 * __t1;
    let __c0 = __t2.sin();
    let __k0 = 2.0;
    let __v1 = __c0 * __k0 + __t0;
    let __i0 = -__v1 / __t1;
    let __dual_broke = __v1 * __i0;
    let __dual_ret = __dual_broke + __t1;
    __dual_ret * 1.0
}

/// Arithmetic: `+ - * /`, unary `-`, `mul_add`, `recip`; variables named like math functions.
#[gradient]
#[must_use]
pub fn arithmetic(sin: f64, exp: f64) -> f64 {
    let recip = -sin / exp + sin * exp - 1.0;
    let mul_add = sin.mul_add(exp, recip);
    mul_add.recip() + f64::mul_add(sin, 2.0, exp) + f64::recip(exp)
}

/// Powers and roots: `powi`, `powf`, `sqrt`, `cbrt`, `hypot`, in method and path form.
#[gradient]
#[must_use]
pub fn powers(sqrt: f64, powf: f64) -> f64 {
    let cbrt = sqrt.powi(3) + powf.powf(1.5) + sqrt.powf(powf);
    let hypot = (sqrt * sqrt + 1.0).sqrt() + cbrt.cbrt();
    hypot + sqrt.hypot(powf) + f64::powi(powf, -2) + f64::sqrt(powf) + f64::hypot(1.0, sqrt)
}

/// Exponentials and logarithms: `exp`, `exp2`, `exp_m1`, `ln`, `log`, `log2`, `log10`, `ln_1p`.
#[gradient]
#[must_use]
pub fn logarithms(exp: f64, ln: f64) -> f64 {
    let log = exp.exp() + exp.exp2() + exp.exp_m1();
    let log2 = ln.ln() + ln.log(exp) + ln.log2() + ln.log10() + ln.ln_1p();
    log * log2 + f64::exp(ln) + f64::ln(exp) + f64::log(ln, 3.0)
}

/// Trigonometry: `sin` … `atan2`, `to_degrees`, `to_radians`, and `std::f64::consts`.
#[gradient]
#[must_use]
pub fn trigonometry(cos: f64, tan: f64) -> f64 {
    let sin = cos.sin() * cos.cos() + tan.tan();
    let asin = (0.5 * cos).asin() + (0.5 * tan).acos() + cos.atan() + cos.atan2(tan);
    let atan = cos.to_degrees() + tan.to_radians() + std::f64::consts::PI * cos;
    sin + asin + atan + f64::sin(tan) + f64::atan2(tan, cos) + std::f64::consts::FRAC_PI_2
}

/// Hyperbolic functions.
#[gradient]
#[must_use]
pub fn hyperbolic(sinh: f64, cosh: f64) -> f64 {
    let tanh = sinh.sinh() + sinh.cosh() * cosh.tanh();
    let atanh = sinh.asinh() + cosh.acosh() + (0.5 * sinh).atanh();
    tanh * atanh + f64::tanh(cosh) + f64::cosh(sinh)
}

/// Piecewise functions; predicates, which carry no derivative, in conditions.
#[gradient]
#[must_use]
pub fn piecewise(abs: f64, max: f64) -> f64 {
    let min = abs.abs() + abs.signum() + abs.max(max) + abs.min(max) + abs.clamp(-1.0, 1.0);
    let floor = abs.floor() + max.ceil() + abs.round() + max.trunc();
    let clamp = if min.is_finite() && !max.is_nan() {
        min * floor
    } else {
        min
    };
    clamp + f64::max(abs, 0.5) + f64::abs(max)
}

/// An annotated function named like a math function; callers use it by its name.
#[gradient(hessian)]
#[must_use]
pub fn sqrt(x: f64) -> f64 {
    x.sqrt()
}

/// Annotated functions named like math functions, in a module.
pub mod math {
    use dual::gradient;

    /// `exp`, by another name.
    #[gradient(hessian)]
    #[must_use]
    pub fn exp(x: f64) -> f64 {
        x.exp()
    }

    /// `ln`, by another name.
    #[gradient]
    #[must_use]
    pub fn ln(x: f64) -> [f64; 1] {
        [x.ln()]
    }
}

/// A generic helper written against `num_traits::Float`, whose methods share the names of the
/// inherent `f64` methods that the generated code calls.
#[must_use]
pub fn float_norm<T: Float>(a: T, b: T) -> T {
    a.hypot(b).sqrt()
}

// ---------------------------------------------------------------------------------------------
// Branches, early `return`, late initialisation, mutation
// ---------------------------------------------------------------------------------------------

/// Branches on differentiated values, early `return`, `let y;` assigned later, mutation of a
/// local, of an array element and of a tuple field.
#[gradient(hessian)]
#[must_use]
pub fn branches(x: f64, y: f64) -> f64 {
    let __c0 = x * y;
    if __c0 > 4.0 {
        return __c0.sqrt();
    }
    let z;
    if x > y {
        z = x - y;
    } else if x > 0.0 {
        z = 0.5 * x;
    } else {
        return y * y;
    }
    let mut acc = z;
    acc += x;
    acc *= 2.0;
    acc -= y;
    acc /= 1.5;
    let mut pair = [0.0; 2];
    pair[1] = acc;
    pair[0] += x;
    let mut tup = (y, 1.0);
    tup.0 *= pair[1];
    tup.1 -= pair[0];
    tup.0 + tup.1
}

/// `if` as an expression, and a user `bool` named like a generated condition.
#[gradient]
#[must_use]
pub fn conditions(x: f64, y: f64) -> f64 {
    let __c1 = x > y;
    let __v0 = if __c1 { x * x } else { y.exp() };
    let a = if __v0 > 1.0 {
        __v0
    } else if __v0 > -4.0 {
        0.25 * __v0
    } else {
        0.5 * __v0 + 1.0
    };
    a * a
}

// ---------------------------------------------------------------------------------------------
// Loops
// ---------------------------------------------------------------------------------------------

/// Unrolled loops over an array, with `continue` and `break`, an index named like a generated
/// one and an integer exponent named like a generated one.
#[gradient(hessian)]
#[must_use]
pub fn unrolled(x: [f64; 4], __i0: usize, __k0: i32) -> f64 {
    let mut s = 0.0;
    for xi in x {
        if xi < 0.0 {
            continue;
        }
        s += xi * xi;
        if s > 100.0 {
            break;
        }
    }
    let mut p = 1.0;
    for i in 0..3 {
        p *= x[i + 1] - x[i];
    }
    s + p + x[__i0].powi(__k0) + x[0].mul_add(x[1], x[2]) + x[3].clamp(-1.0, 1.0)
}

/// Loops with a run-time trip count: a sum (fused), a product (forward tangents), a `while` and a
/// `loop` carrying values, a loop over a slice; a user flag named like the generated one.
#[gradient(wrt(a, b))]
#[must_use]
pub fn runtime(a: f64, b: f64, n: u32, xs: &[f64]) -> f64 {
    let mut sum = 0.0;
    for i in 0..n {
        sum += (a * f64::from(i) - b).powi(2);
    }
    let mut prod = 1.0;
    for xi in xs {
        if *xi < 0.0 {
            continue;
        }
        prod *= 1.0 + 0.01 * a * xi;
    }
    let mut step = 0;
    let mut root = b;
    while step < xs.len() {
        root = 0.5 * (root + 2.0 / root);
        step += 1;
    }
    let mut __dual_broke = a;
    loop {
        __dual_broke *= 0.5;
        if __dual_broke < 0.1 {
            break;
        }
    }
    sum + prod + root + __dual_broke
}

// ---------------------------------------------------------------------------------------------
// Vector results, calls, custom derivatives
// ---------------------------------------------------------------------------------------------

/// A vector result: an array.
#[gradient]
#[must_use]
pub fn polar(r: f64, t: f64) -> [f64; 2] {
    [r * t.cos(), r * t.sin()]
}

/// A vector result: a tuple; `wrt` leaves out the last parameter (a caller passes constants for
/// such parameters only after the differentiated ones).
#[gradient(wrt(x, w))]
#[must_use]
pub fn tuple(x: f64, w: [f64; 2], c: f64) -> (f64, f64) {
    (x.exp2() * w[0], (x * c).tanh() + w[1])
}

/// Calls through the chain rule: scalar, array and tuple callees, by name, by module path, to
/// callees named like math functions.
#[gradient]
#[must_use]
pub fn calls(radius: f64, angle: f64) -> f64 {
    let [x, y] = polar(radius, angle);
    let (first, second) = tuple(x, [y, 1.0], 2.0);
    let [log] = math::ln(1.0 + x * x);
    temporaries(x, y) + arithmetic(first, 2.0 + second) + sqrt(1.0 + y * y) + math::exp(log)
}

/// Calls to callees annotated with `hessian`, in a function differentiated twice.
#[gradient(hessian)]
#[must_use]
pub fn calls_twice(x: f64, y: f64) -> f64 {
    sqrt(1.0 + x * x) * math::exp(y) + branches(x, y)
}

/// A hand-written derivative.
#[must_use]
pub fn softplus(x: f64) -> f64 {
    x.max(0.0) + (-x.abs()).exp().ln_1p()
}

/// The value and derivative of [`softplus`], by hand.
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

// ---------------------------------------------------------------------------------------------
// Arrays, `f32`, `const fn`, methods
// ---------------------------------------------------------------------------------------------

/// An array and a scalar: the gradient is a tuple.
#[gradient]
#[must_use]
pub fn affine(w: [f64; 3], b: f64) -> f64 {
    w[0] * 3.0 + w[1] * w[2] + b
}

/// `f32`, with math and `std::f32::consts`.
#[gradient(hessian)]
#[must_use]
pub fn smooth32(x: f32, y: f32) -> f32 {
    (x * y).exp() + std::f32::consts::PI * f32::sqrt(1.0 + x * x) + y.sin()
}

/// `f32` and `const fn`.
#[gradient(hessian)]
#[must_use]
pub const fn cubic(x: f32, y: f32) -> f32 {
    x * x * x - 2.0 * x * y + y.abs().max(1.0)
}

/// `f64` and `const fn`, with an early `return`.
#[gradient]
#[must_use]
pub const fn clamped(x: f64) -> f64 {
    if x > 1.0 {
        return x.abs() * 2.0;
    }
    -x * x
}

/// The Hessian of [`cubic`] at (1, 2), evaluated by the compiler.
pub const CUBIC_HESSIAN: [[f32; 2]; 2] = cubic_hessian(1.0, 2.0);
const _: () = assert!(CUBIC_HESSIAN[0][1].to_bits() == (-2.0_f32).to_bits());
const _: () = assert!(clamped_gradient(2.0)[0].to_bits() == 2.0_f64.to_bits());

/// A spring, for methods in an `impl` block.
#[derive(Clone, Copy, Debug)]
pub struct Spring {
    /// Stiffness.
    pub k: f64,
}

impl Spring {
    /// Elastic energy.
    #[gradient(hessian)]
    #[must_use]
    pub fn energy(&self, x: f64) -> f64 {
        0.5 * self.k * x * x
    }

    /// Potential energy.
    #[gradient(hessian)]
    #[must_use]
    pub fn gravity(h: f64) -> f64 {
        9.81 * h
    }

    /// Energy plus gravity: calls to a method and an associated function.
    #[gradient(hessian)]
    #[must_use]
    pub fn total(self, x: f64) -> f64 {
        let __t0 = self.energy(x);
        __t0 + Self::gravity(x) + sqrt(x * x + 1.0)
    }
}

// ---------------------------------------------------------------------------------------------
// Private functions used only through their companions: no `dead_code` warning
// ---------------------------------------------------------------------------------------------

/// The lecture's chain rule, `f(g(x), h(x))`, with private functions: only `composite_gradient` is
/// called, and `inner_g` and `inner_h` only by the annotated `composite`.
mod private {
    use dual::gradient;

    #[gradient]
    fn inner_g(x: f64) -> f64 {
        x * x
    }

    #[gradient]
    fn inner_h(x: f64) -> f64 {
        x.sin()
    }

    #[gradient]
    fn composite(x: f64) -> f64 {
        inner_g(x) * inner_h(x) + inner_g(x)
    }

    /// A type whose annotated method is used only through its companion.
    struct Model {
        scale: f64,
    }

    impl Model {
        #[gradient]
        fn loss(&self, w: f64) -> f64 {
            (w * self.scale - 1.0).powi(2)
        }
    }

    /// The derivatives that use them.
    #[must_use]
    pub fn derivatives(x: f64) -> [f64; 2] {
        let model = Model { scale: 2.0 };
        [composite_gradient(x)[0], model.loss_gradient(x)[0]]
    }
}

pub use private::derivatives;

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * (1.0 + a.abs().max(b.abs()))
    }

    #[test]
    fn companions_agree_with_closed_forms() {
        // ∇(x²y + y)-style checks with the derivative worked out by hand.
        let [dr, dt] = polar_jacobian(2.0, 0.0)[1];
        assert!(close(dr, 0.0) && close(dt, 2.0));
        let [dw, dx] = uses_custom_gradient(0.0, 3.0);
        assert!(close(dw, 1.5 + std::f64::consts::PI) && close(dx, 0.0));
        let (dw, db) = affine_gradient([1.0, 2.0, 3.0], 0.5);
        assert!(close(dw[0], 3.0) && close(dw[1], 3.0) && close(dw[2], 2.0) && close(db, 1.0));
        let spring = Spring { k: 2.0 };
        let [slope] = spring.total_gradient(1.0);
        assert!(close(slope, 2.0 + 9.81 + 1.0 / 2.0_f64.sqrt()));
        let [[curvature]] = spring.total_hessian(1.0);
        assert!(close(curvature, 2.0 + 1.0 / 8.0_f64.sqrt()));
        let point = [1.0, -2.0, 3.0, 4.0];
        let (value, grad) = unrolled_value_and_gradient(point, 2, 2);
        assert!(close(value, unrolled(point, 2, 2)));
        // s = x₀² + x₂² + x₃² (x₁ < 0 skipped), p = (x₁ − x₀)(x₂ − x₁)(x₃ − x₂) = −3·5·1, then
        // x₂², x₀x₁ + x₂, and the clamp of x₃ = 4 at its upper bound (derivative 0).
        let expected = [
            2.0 - 5.0 - 2.0,
            8.0 + 1.0,
            6.0 + 12.0 + 6.0 + 1.0,
            8.0 - 15.0,
        ];
        assert!((0..4).all(|i| close(grad[i], expected[i])), "{grad:?}");
        assert!(float_norm(3.0_f64, 4.0).to_bits() == 5.0_f64.sqrt().to_bits());
    }

    #[test]
    fn companions_agree_with_finite_differences() {
        const STEP: f64 = 1e-6;
        let (x, y) = (0.7, 1.3);
        let fd = |f: fn(f64, f64) -> f64| {
            [
                (f(x + STEP, y) - f(x - STEP, y)) / (2.0 * STEP),
                (f(x, y + STEP) - f(x, y - STEP)) / (2.0 * STEP),
            ]
        };
        let check = |g: [f64; 2], f: fn(f64, f64) -> f64| {
            let n = fd(f);
            assert!((g[0] - n[0]).abs() < 1e-5 && (g[1] - n[1]).abs() < 1e-5);
        };
        check(temporaries_gradient(x, y), temporaries);
        check(arithmetic_gradient(x, y), arithmetic);
        check(powers_gradient(x, y), powers);
        check(logarithms_gradient(x, y), logarithms);
        check(trigonometry_gradient(x, y), trigonometry);
        check(hyperbolic_gradient(x, y + 0.5), |a, b| {
            hyperbolic(a, b + 0.5)
        });
        check(piecewise_gradient(x, y), piecewise);
        check(branches_gradient(x, y), branches);
        check(conditions_gradient(x, y), conditions);
        check(calls_gradient(x, y), calls);
        check(calls_twice_gradient(x, y), calls_twice);
        check(runtime_gradient(x, y, 3, &[1.0, -2.0, 3.0]), |a, b| {
            runtime(a, b, 3, &[1.0, -2.0, 3.0])
        });
        let (value, grad, hess) = calls_twice_value_gradient_and_hessian(x, y);
        assert!(close(value, calls_twice(x, y)));
        assert!(close(grad[1], calls_twice_gradient(x, y)[1]));
        assert!(close(hess[0][1], hess[1][0]));
        let [dc, dl] = derivatives(x);
        let exact = 2.0 * x * x.sin() + x * x * x.cos() + 2.0 * x;
        assert!(close(dc, exact) && close(dl, 4.0 * (2.0 * x - 1.0)));
        let g32 = smooth32_gradient(0.5, 0.25);
        let (v32, _) = smooth32_value_and_gradient(0.5, 0.25);
        assert!((v32 - smooth32(0.5, 0.25)).abs() < 1e-6 && g32[0].is_finite());
    }
}
