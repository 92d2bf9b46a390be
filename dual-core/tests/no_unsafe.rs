//! The generated code contains no `unsafe`: representative functions of every construct are
//! expanded, and no `unsafe` token may appear anywhere in the output (blocks, functions, impls,
//! `unsafe(...)` attributes). The hygiene gauntlet (`hygiene/gauntlet.rs`) checks the same at
//! compile time with `#![forbid(unsafe_code)]`; this test checks the tokens themselves.

use proc_macro2::{TokenStream, TokenTree};
use quote::quote;

/// Every identifier in `tokens`, groups included.
fn idents(tokens: TokenStream, out: &mut Vec<String>) {
    for tt in tokens {
        match tt {
            TokenTree::Ident(i) => out.push(i.to_string()),
            TokenTree::Group(g) => idents(g.stream(), out),
            TokenTree::Punct(_) | TokenTree::Literal(_) => {}
        }
    }
}

/// `(attribute arguments, function, a companion the expansion must contain)`.
fn cases() -> Vec<(TokenStream, TokenStream, &'static str)> {
    vec![
        // Straight line, every family of the built-in math, constants, predicates.
        (
            quote!(),
            quote! {
                fn math(x: f64, y: f64) -> f64 {
                    let a = x.mul_add(y, x.recip()) - -y / x;
                    let b = x.powi(3) + x.powf(y) + x.sqrt() + x.cbrt() + x.hypot(y);
                    let c = x.exp() + x.exp2() + x.exp_m1() + x.ln() + x.log(y) + x.log2()
                        + x.log10() + x.ln_1p();
                    let d = x.sin() + x.cos() + x.tan() + x.asin() + x.acos() + x.atan()
                        + x.atan2(y) + x.to_degrees() + x.to_radians();
                    let e = x.sinh() + x.cosh() + x.tanh() + x.asinh() + y.acosh() + x.atanh();
                    let f = x.abs() + x.signum() + x.max(y) + x.min(y) + x.clamp(-1.0, 1.0)
                        + x.floor() + x.ceil() + x.round() + x.trunc();
                    let g = if f.is_finite() { f } else { 0.0 };
                    a + b + c + d + e + g + f64::sin(x) + std::f64::consts::PI * y
                }
            },
            "math_value_and_gradient",
        ),
        // Branches, early return, late initialisation, mutation; Hessian.
        (
            quote!(hessian),
            quote! {
                fn branches(x: f64, y: f64) -> f64 {
                    if x * y > 4.0 {
                        return (x * y).sqrt();
                    }
                    let z;
                    if x > y { z = x - y; } else { z = y * y; }
                    let mut v = [z, 0.0];
                    v[1] += x;
                    let mut t = (v[0], y);
                    t.0 *= 2.0;
                    t.0 + t.1 + v[1]
                }
            },
            "branches_value_gradient_and_hessian",
        ),
        // Unrolled loops with `break` and `continue`, run-time index and exponent.
        (
            quote!(hessian),
            quote! {
                fn unrolled(x: [f64; 4], i: usize, k: i32) -> f64 {
                    let mut s = 0.0;
                    for xi in x {
                        if xi < 0.0 { continue; }
                        s += xi * xi;
                        if s > 100.0 { break; }
                    }
                    for j in 0..3 { s *= x[j + 1] - x[j]; }
                    s + x[i].powi(k)
                }
            },
            "unrolled_hessian",
        ),
        // Run-time loops: a fused sum, forward tangents, `while`, `loop`, `break`; `wrt`.
        (
            quote!(wrt(a, b)),
            quote! {
                fn runtime(a: f64, b: f64, n: usize, xs: &[f64]) -> f64 {
                    let mut sum = 0.0;
                    for i in 0..n { sum += (a * i as f64 - b).powi(2); }
                    let mut prod = 1.0;
                    for xi in xs {
                        if *xi < 0.0 { continue; }
                        prod *= 1.0 + a * xi;
                    }
                    let mut k = 0;
                    let mut root = b;
                    while k < n { root = 0.5 * (root + 2.0 / root); k += 1; }
                    let mut h = a;
                    loop { h *= 0.5; if h < 0.1 { break; } }
                    sum + prod + root + h
                }
            },
            "runtime_gradient",
        ),
        // Calls: scalar, array and tuple callees, a module path, a method, an associated function.
        (
            quote!(),
            quote! {
                fn calls(&self, r: f64, t: f64) -> f64 {
                    let [x, y] = polar(r, t);
                    let (p, q) = m::pair(x);
                    self.energy(p) + Self::gravity(q) + g(x, y)
                }
            },
            "calls_gradient",
        ),
        // A vector result.
        (
            quote!(),
            quote! {
                fn polar(r: f64, t: f64) -> [f64; 2] {
                    [r * t.cos(), r * t.sin()]
                }
            },
            "polar_value_and_jacobian",
        ),
        // `f32` and `const fn`.
        (
            quote!(hessian),
            quote! {
                const fn cubic(x: f32, y: f32) -> f32 {
                    x * x * x - 2.0 * x * y + y.abs().max(1.0)
                }
            },
            "cubic_hessian",
        ),
    ]
}

#[test]
fn generated_code_has_no_unsafe() {
    for (args, item, companion) in cases() {
        let out = dual_core::expand(args, item);
        let mut names = Vec::new();
        idents(out.clone(), &mut names);
        assert!(
            names.iter().any(|n| n == companion),
            "`{companion}` not generated (an error?):\n{out}"
        );
        assert!(
            !names.iter().any(|n| n == "compile_error"),
            "the expansion reports an error:\n{out}"
        );
        assert!(
            !names.iter().any(|n| n == "unsafe"),
            "`unsafe` in the generated code:\n{out}"
        );
    }
}
