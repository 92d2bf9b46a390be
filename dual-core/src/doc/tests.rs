//! The formulas and documentation of small functions, end to end.

use super::{render, Entry, Names, BUDGET};
use crate::pipeline::derive_source;

/// The gradient of `#[gradient(<args>)] fn f(<params>) -> f64 { <body> }`, rendered: the
/// entries separated by ` | `, then the `where` definitions.
fn grad_with(args: &str, params: &str, body: &str) -> String {
    let src = format!("fn f({params}) -> f64 {{ {body} }}");
    let (front, d) = derive_source(args, &src);
    let names = Names::new(&front.sig, &front.func);
    let f = render(&d.lowered.graph, &names, &d.gradient_row(0), BUDGET);
    let mut parts: Vec<String> = f
        .entries
        .iter()
        .map(|e| match e {
            Entry::Formula(s) => s.clone(),
            Entry::Generated(w) => w.describe(),
        })
        .collect();
    parts.extend(
        f.definitions
            .iter()
            .map(|(n, s)| format!("where {n} = {s}")),
    );
    parts.join(" | ")
}

fn grad(params: &str, body: &str) -> String {
    grad_with("", params, body)
}

const XY: &str = "x: f64, y: f64";

#[test]
#[rustfmt::skip]
fn lecture() {
    assert_eq!(grad(XY, "x * x * y + y"), "2·x·y | x² + 1");
    assert_eq!(grad("x: f64", "3.0 * x"), "3");
    assert_eq!(grad("x: f64", "x * x"), "2·x");
}

#[test]
#[rustfmt::skip]
fn chains() {
    assert_eq!(grad("x: f64", "(x * x).sin().exp()"), "2·x·exp(sin(x²))·cos(x²)");
    assert_eq!(grad("x: f64", "x.sin() * x.cos()"), "cos(x)² − sin(x)²");
    assert_eq!(grad("x: f64", "x.exp().ln()"), "exp(x)/exp(x)"); // nothing cancels
    assert_eq!(grad(XY, "(x * y).sin() + (y * x).cos()"), "y·(cos(x·y) − sin(x·y)) | x·(cos(x·y) − sin(x·y))");
    assert_eq!(grad("x: f64", "f(g(x), h(x))"), "h′(x)·∂₂f(g(x), h(x)) + g′(x)·∂₁f(g(x), h(x))");
}

#[test]
#[rustfmt::skip]
fn quotients_and_powers() {
    assert_eq!(grad(XY, "x / y"), "1/y | −x/y²");
    assert_eq!(grad("x: f64", "x / 4.0"), "0.25");
    assert_eq!(grad("x: f64", "3.0 / x"), "−3/x²");
    assert_eq!(grad("x: f64", "x.recip()"), "−1/x²");
    assert_eq!(grad("x: f64", "x.sqrt()"), "1/(2·√x)");
    assert_eq!(grad("x: f64", "x.cbrt()"), "1/(3·(∛x)²)");
    assert_eq!(grad("x: f64", "x.powi(3)"), "3·x²");
    assert_eq!(grad("x: f64", "x.powi(-2)"), "−2/x³");
    assert_eq!(grad("x: f64", "x.powf(2.5)"), "2.5·x^1.5");
    assert_eq!(grad(XY, "x.powf(y)"), "y·x^(y − 1) | x^y·ln(x)");
    assert_eq!(grad(XY, "x.atan2(y)"), "y/(x² + y²) | −x/(x² + y²)");
}

#[test]
#[rustfmt::skip]
fn functions_and_constants() {
    assert_eq!(grad("x: f64", "x.tanh()"), "1 − tanh(x)²");
    assert_eq!(grad("x: f64", "x.atan()"), "1/(x² + 1)");
    assert_eq!(grad("x: f64", "x.asinh()"), "1/√(x² + 1)");
    assert_eq!(grad("x: f64", "x.exp_m1()"), "exp(x)");
    assert_eq!(grad("x: f64", "x.exp2()"), "2^x·ln(2)");
    assert_eq!(grad("x: f64", "x.ln() + x.log2()"), "1/(x·ln(2)) + 1/x");
    assert_eq!(grad("x: f64", "x * std::f64::consts::PI"), "π");
    assert_eq!(grad("x: f64", "x.to_degrees()"), "180/π");
    assert_eq!(grad("x: f64", "0.1 * x * x"), "x/5");
    assert_eq!(grad("x: f64", "x.abs()"), "sgn(x)");
    assert_eq!(grad(XY, "x.hypot(y)"), "x/hypot(x, y) | y/hypot(x, y)");
    assert_eq!(grad(XY, "x.max(y)"), "(0 if x < y else 1 − [x ≠ x]) | (1 if x < y else [x ≠ x])");
    assert_eq!(grad(XY, "x.clamp(y, 3.0)"), "(0 if x > 3 else 1 − [x < y]) | [x < y]");
    assert_eq!(grad("x: f64", "x.floor() + x"), "1");
}

#[test]
#[rustfmt::skip]
fn shared_subexpressions_get_where_definitions() {
    let body = "let r = (x * x + y * y + 1.0).sqrt(); r.sin() / r";
    assert_eq!(grad(XY, body), "x·(cos(u)/u − sin(u)/u²)/u | y·(cos(u)/u − sin(u)/u²)/u | where u = √(x² + y² + 1)");
    // Short formulas keep their repetitions.
    assert!(!grad(XY, "let r = (x * x + y * y).sqrt(); r.sin() / r").contains("where"));
    // A `where` name is never one of the function's names.
    assert_eq!(grad("x: f64, y: f64, u: f64", &format!("u * {{ {body} }}")).matches("where v = ").count(), 1);
}

#[test]
fn too_large_is_summarised() {
    let body = "(x + 1.0).sin() * (x + 2.0).cos() * (x + 3.0).exp() * (x + 4.0).ln() \
                * (x + 5.0).sqrt() * (x + 6.0).tanh() * (x + 7.0).atan() * (x + 8.0).asinh()";
    assert_eq!(
        grad("x: f64", body),
        "an expression of 59 operations, not shown"
    );
}

#[test]
#[rustfmt::skip]
fn arrays_and_indices() {
    assert_eq!(grad("w: [f64; 3]", "w[0] * w[1] + w[2] * w[2]"), "w[1] | w[0] | 2·w[2]");
    assert_eq!(grad("w: [f64; 2], x: [f64; 2]", "w[0] * x[0] + w[1] * x[1]"), "x[0] | x[1] | w[0] | w[1]");
    assert_eq!(grad_with("wrt(w)", "w: [f64; 2], x: [f64; 2]", "w[0] * x[0] + w[1] * x[1]"), "x[0] | x[1]");
    assert_eq!(grad("w: [f64; 3], i: usize", "w[i] * w[i]"), "2·w[i]·[i = 0] | 2·w[i]·[i = 1] | 2·w[i]·[i = 2]");
}

#[test]
#[rustfmt::skip]
fn values_from_user_code() {
    assert_eq!(grad_with("wrt(x)", "x: f64, c: f64", "c * x * x"), "2·c·x");
    assert_eq!(grad_with("wrt(x)", "x: f64, c: f64", "x * c.sin() * (c * 2.0).max(1.0)"), "sin(c)·max(2·c, 1)");
    assert_eq!(grad("x: f64, n: usize", "x * n as f64"), "n");
    assert_eq!(grad("x: f64", "OFFSETS[1] * x * x"), "2·x·OFFSETS[1]");
    // A rebound parameter or a call's result could mean something else elsewhere.
    let user = "computed by the generated code (it depends on a value computed by user code)";
    assert_eq!(grad_with("wrt(x)", "x: f64, c: f64", "let c = c + 1.0; c * x"), user);
    assert_eq!(grad("x: f64", "helper(2.0) * x"), user);
    assert_eq!(grad("x: f64, n: usize", "x * (n / 2) as f64"), user);
}

#[test]
#[rustfmt::skip]
fn what_cannot_be_written_is_said() {
    let branch = "computed by the generated code (it depends on a branch taken at run time)";
    assert_eq!(grad("x: f64", "if x > 0.0 { x * x } else { -x }"), branch);
    assert_eq!(grad(XY, "if x > y { x * y } else { y }"), format!("{branch} | {branch}"));
    assert_eq!(grad("x: f64", "{ let t = x * x; t }"), "2·x"); // a scope is not a branch
    let looped = "computed by the generated code (it is carried by a run-time loop)";
    assert_eq!(grad("x: f64, n: usize", "let mut s = x; for _k in 0..n { s = s * x; } s"), looped);
    let exponent = "computed by the generated code (it depends on a run-time exponent)";
    assert_eq!(grad("x: f64, i: i32", "x.powi(i)"), exponent);
    assert_eq!(grad("x: f64, w: [f64; 2], i: usize", "x * w[i]"), "w[i] | x·[i = 0] | x·[i = 1]");
}

#[test]
fn deterministic() {
    let body = "let r = (x * x + y * y + 1.0).ln(); r.sin() * r.cos() * (x - y).exp()";
    assert_eq!(grad(XY, body), grad(XY, body));
}

/// The documentation of each companion that `#[gradient(<args>)]` generates for `src`.
fn docs(args: &str, src: &str) -> Vec<String> {
    let out = crate::expand(args.parse().expect("tokens"), src.parse().expect("tokens"));
    let file: syn::File = syn::parse2(out).expect("items");
    file.items
        .iter()
        .skip(1)
        .map(|item| {
            let syn::Item::Fn(f) = item else {
                panic!("a companion function")
            };
            let doc = f
                .attrs
                .iter()
                .find(|a| a.path().is_ident("doc"))
                .expect("a doc");
            let syn::Meta::NameValue(nv) = &doc.meta else {
                panic!("#[doc = ...]")
            };
            let syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) = &nv.value
            else {
                panic!("a string")
            };
            s.value()
        })
        .collect()
}

#[test]
#[rustfmt::skip]
fn gradient_docs() {
    let d = docs("", "fn f(x: f64, y: f64) -> f64 { x * x * y + y }");
    let formulas = "- `∂f/∂x = 2·x·y`\n- `∂f/∂y = x² + 1`";
    assert_eq!(d[0], format!("The gradient of `f` with respect to `x`, `y` (in this order).\n\nReturns `[∂f/∂x, ∂f/∂y]` at the given point:\n\n{formulas}\n\nGenerated by `#[gradient]` from `f`."));
    assert!(d[1].contains(&format!("Returns `(value, [∂f/∂x, ∂f/∂y])` at the given point, with\n\n{formulas}\n\n")));
    let d = docs("", "fn g(w: [f64; 2], b: f64) -> f64 { w[0] * w[1] + b.max(0.0) }");
    assert!(d[0].contains("Returns `([∂g/∂w[0], ∂g/∂w[1]], ∂g/∂b)` at the given point:\n\n- `∂g/∂w[0] = w[1]`\n- `∂g/∂w[1] = w[0]`\n- `∂g/∂b = (0 if b < 0 else 1 − [b ≠ b])`\n\n(A bracket `[c]` is 1 when the condition `c` holds, else 0.)"));
}

#[test]
#[rustfmt::skip]
fn jacobian_docs() {
    let src = "fn layer(w: [f64; 6], b: [f64; 3], x: [f64; 2]) -> [f64; 3] {
        [w[0] * x[0] + w[1] * x[1] + b[0], w[2] * x[0] + w[3] * x[1] + b[1], w[4] * x[0] + w[5] * x[1] + b[2]]
    }";
    let d = docs("", src);
    assert!(d[0].contains("Returns the 3 × 11 Jacobian, whose row `i` is `[∂layer[i]/∂w[0], ∂layer[i]/∂w[1], ∂layer[i]/∂w[2], …, ∂layer[i]/∂x[1]]`. Its nonzero entries:\n\n- `∂layer[0]/∂w[0] = x[0]`\n"));
    assert!(d[0].contains("- `∂layer[2]/∂w[5] = x[1]`\n- … (3 more)\n\nAll other entries are 0."));
    assert_eq!(d[0].matches("\n- `").count(), 12);
    let d = docs("", "fn polar(r: f64, t: f64) -> (f64, f64) { (r * t.cos(), r * t.sin()) }");
    assert!(d[1].contains("Returns `(value, J)` with `J` the 2 × 2 Jacobian, whose row `i` is `[∂polar.i/∂r, ∂polar.i/∂t]`. Its nonzero entries:\n\n- `∂polar.0/∂r = cos(t)`\n- `∂polar.0/∂t = −r·sin(t)`\n- `∂polar.1/∂r = sin(t)`\n- `∂polar.1/∂t = r·cos(t)`\n\nGenerated"));
}

#[test]
#[rustfmt::skip]
fn hessian_docs() {
    let src = "fn rosenbrock(x: f64, y: f64) -> f64 { (1.0 - x).powi(2) + 100.0 * (y - x * x).powi(2) }";
    let d = docs("hessian", src);
    let hessian = "the symmetric 2 × 2 matrix `[[∂²rosenbrock/∂x², ∂²rosenbrock/∂x∂y], [∂²rosenbrock/∂y∂x, ∂²rosenbrock/∂y²]]`, with nonzero entries on and above the diagonal:\n\n- `∂²rosenbrock/∂x² = −400·(y − x²) + 800·x² + 2`\n- `∂²rosenbrock/∂x∂y = −400·x`\n- `∂²rosenbrock/∂y² = 200`\n\nGenerated";
    assert!(d[2].contains(&format!("Returns {hessian}")));
    assert!(d[3].contains(&format!("Returns `(value, [∂rosenbrock/∂x, ∂rosenbrock/∂y], H)` at the given point: the gradient\n\n- `∂rosenbrock/∂x = −400·x·(y − x²) − 2·(1 − x)`\n- `∂rosenbrock/∂y = 200·(y − x²)`\n\nand the Hessian `H`, {hessian}")));
    let d = docs("hessian", "fn sum3(v: [f64; 3]) -> f64 { v[0] * v[0] + v[1] + v[2] }");
    assert!(d[2].contains("whose entry `[i][j]` is the second derivative with respect to the `i`-th and the `j`-th variable, with nonzero entries on and above the diagonal:\n\n- `∂²sum3/∂v[0]² = 2`\n\nAll other entries on and above the diagonal are 0."));
}
