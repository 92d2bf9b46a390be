//! The engine without the proc-macro boundary: derivative rules against exact derivatives,
//! operation counts of the generated code, and deterministic expansion.

use dual_core::emit::Emitter;
use dual_core::eval::eval;
use dual_core::ir::{NodeId, Op};
use dual_core::pipeline::derive_source;

/// The value and gradient of `fn f(<params>) -> f64 { <body> }` at `point`, computed by
/// interpreting the IR that the engine builds (lowering, rules, simplification, reverse sweep).
fn value_and_gradient(params: &str, body: &str, point: &[f64]) -> (f64, Vec<f64>) {
    let (_, d) = derive_source("", &format!("fn f({params}) -> f64 {{ {body} }}"));
    let (low, adjoints) = (&d.lowered, &d.first);
    let values: Vec<Vec<f64>> = point.iter().map(|v| vec![*v]).collect();
    let value = eval(&low.graph, low.result[0], &values).expect("straight-line value");
    let grad = low
        .inputs
        .iter()
        .map(|leaves| match adjoints.get(&(leaves[0], 0)) {
            Some(&a) => eval(&low.graph, a, &values).expect("straight-line derivative"),
            None => 0.0,
        })
        .collect();
    (value, grad)
}

/// Equal, both NaN, or within 1e-12 relative (floor 1); an infinity agrees only with itself
/// (an infinite tolerance would accept anything: mutation testing found that).
fn close(a: f64, b: f64) -> bool {
    if a.is_infinite() || b.is_infinite() {
        return a == b;
    }
    a == b || a.is_nan() && b.is_nan() || (a - b).abs() <= 1e-12 * (1.0 + a.abs().max(b.abs()))
}

/// `d!(name: "body of x" => |x| exact derivative, [points])`: one line per rule.
macro_rules! d {
    ($name:ident: $body:literal => $deriv:expr, [$($x:expr),*]) => {
        #[test]
        fn $name() {
            let deriv: fn(f64) -> f64 = $deriv;
            for x in [$($x),*] {
                let (_, g) = value_and_gradient("x: f64", $body, &[x]);
                assert!(close(g[0], deriv(x)), "d/dx {} at {}: got {}, want {}", $body, x, g[0], deriv(x));
            }
        }
    };
}

/// `d2!(name: "body of x, y" => |x, y| (∂x, ∂y), [(x, y), …])`.
macro_rules! d2 {
    ($name:ident: $body:literal => $deriv:expr, [$($p:expr),*]) => {
        #[test]
        fn $name() {
            let deriv: fn(f64, f64) -> (f64, f64) = $deriv;
            for (x, y) in [$($p),*] {
                let (_, g) = value_and_gradient("x: f64, y: f64", $body, &[x, y]);
                let (dx, dy) = deriv(x, y);
                assert!(close(g[0], dx) && close(g[1], dy),
                    "∇ {} at ({}, {}): got {:?}, want [{}, {}]", $body, x, y, g, dx, dy);
            }
        }
    };
}

d!(neg: "-x" => |_| -1.0, [0.5, -2.0]);
d!(sqrt: "x.sqrt()" => |x| 0.5 / x.sqrt(), [0.25, 2.0, 9.0]);
d!(sqrt_at_zero: "x.sqrt()" => |_| f64::INFINITY, [0.0]);
d!(cbrt: "x.cbrt()" => |x| 1.0 / (3.0 * x.cbrt().powi(2)), [0.5, -8.0, 27.0]);
d!(exp: "x.exp()" => |x| x.exp(), [-1.0, 0.0, 2.5]);
d!(exp2: "x.exp2()" => |x| x.exp2() * std::f64::consts::LN_2, [-1.0, 3.0]);
d!(exp_m1: "x.exp_m1()" => |x| x.exp(), [-1.0, 1e-3, 2.0]);
d!(ln: "x.ln()" => |x| 1.0 / x, [0.5, 3.0]);
d!(log2: "x.log2()" => |x| 1.0 / (x * std::f64::consts::LN_2), [0.5, 3.0]);
d!(log10: "x.log10()" => |x| 1.0 / (x * std::f64::consts::LN_10), [0.5, 3.0]);
d!(ln_1p: "x.ln_1p()" => |x| 1.0 / (1.0 + x), [-0.5, 0.0, 3.0]);
d!(sin: "x.sin()" => |x| x.cos(), [-2.0, 0.3, 1.7]);
d!(cos: "x.cos()" => |x| -x.sin(), [-2.0, 0.3, 1.7]);
d!(tan: "x.tan()" => |x| 1.0 / x.cos().powi(2), [-1.0, 0.3, 1.2]);
d!(asin: "x.asin()" => |x| 1.0 / (1.0 - x * x).sqrt(), [-0.9, 0.0, 0.5]);
d!(acos: "x.acos()" => |x| -1.0 / (1.0 - x * x).sqrt(), [-0.9, 0.0, 0.5]);
d!(atan: "x.atan()" => |x| 1.0 / (1.0 + x * x), [-3.0, 0.0, 0.5]);
d!(sinh: "x.sinh()" => |x| x.cosh(), [-1.0, 0.5]);
d!(cosh: "x.cosh()" => |x| x.sinh(), [-1.0, 0.5]);
d!(tanh: "x.tanh()" => |x| 1.0 / x.cosh().powi(2), [-1.0, 0.0, 0.5]);
d!(asinh: "x.asinh()" => |x| 1.0 / (x * x + 1.0).sqrt(), [-2.0, 0.5]);
d!(acosh: "x.acosh()" => |x| 1.0 / (x * x - 1.0).sqrt(), [1.5, 4.0]);
d!(atanh: "x.atanh()" => |x| 1.0 / (1.0 - x * x), [-0.5, 0.0, 0.9]);
d!(recip: "x.recip()" => |x| -1.0 / (x * x), [-2.0, 0.5]);
// `1 / x` reuses its quotient: −q·q.
d!(one_over_x: "1.0 / x" => |x| -1.0 / (x * x), [-2.0, 0.5, 3.0]);
d!(abs: "x.abs()" => |x| x.signum(), [-2.0, 0.5]);
d!(abs_at_zero: "x.abs()" => |_| 0.0, [0.0, -0.0]);
d!(signum: "x.signum()" => |_| 0.0, [-2.0, 0.5]);
d!(floor: "x.floor()" => |_| 0.0, [-2.5, 0.5]);
d!(ceil: "x.ceil()" => |_| 0.0, [-2.5, 0.5]);
d!(round: "x.round()" => |_| 0.0, [-2.5, 0.3]);
d!(trunc: "x.trunc()" => |_| 0.0, [-2.5, 0.5]);
d!(to_degrees: "x.to_degrees()" => |_| 180.0 / std::f64::consts::PI, [1.0]);
d!(to_radians: "x.to_radians()" => |_| std::f64::consts::PI / 180.0, [1.0]);
d!(powi_3: "x.powi(3)" => |x| 3.0 * x * x, [-2.0, 0.5]);
d!(powi_neg: "x.powi(-2)" => |x| -2.0 / (x * x * x), [-2.0, 0.5]);
d!(powi_0: "x.powi(0)" => |_| 0.0, [-2.0, 0.5]);
d!(powf_const: "x.powf(2.5)" => |x| 2.5 * x.powf(1.5), [0.5, 3.0]);
d!(powf_at_zero: "x.powf(1.5)" => |_| 0.0, [0.0]);
// Whole-number constant exponents take a `powi` form: checked where a wrong exponent shows
// (not at 0 or 1), negative bases included.
d!(powf_whole_2: "x.powf(2.0)" => |x| 2.0 * x, [2.0, -1.5, 0.5]);
d!(powf_whole_3: "x.powf(3.0)" => |x| 3.0 * x * x, [2.0, -1.5, 0.5]);
d!(powf_whole_1: "x.powf(1.0)" => |_| 1.0, [2.0, -1.5]);
d!(powf_whole_0: "x.powf(0.0)" => |_| 0.0, [2.0, -1.5]);
d!(powf_whole_neg: "x.powf(-2.0)" => |x| -2.0 / (x * x * x), [2.0, -1.5, 0.5]);
d!(powf_fraction_neg: "x.powf(-0.5)" => |x| -0.5 * x.powf(-1.5), [2.0, 0.25]);
d!(powi_large: "x.powi(7)" => |x| 7.0 * x.powi(6), [1.3, -2.0]);
d!(path_form: "f64::sin(x) * f64::powi(x, 2)" => |x| x.cos() * x * x + 2.0 * x * x.sin(), [0.7, -1.1]);
d!(consts: "x * std::f64::consts::PI" => |_| std::f64::consts::PI, [2.0]);
d!(square_by_mul: "x * x" => |x| 2.0 * x, [-3.0, 0.5]);
d!(chain: "(x * x).sin().exp()" => |x| (x * x).sin().exp() * (x * x).cos() * 2.0 * x, [0.4, 1.3]);

d2!(add: "x + y" => |_, _| (1.0, 1.0), [(1.0, 2.0)]);
d2!(sub: "x - y" => |_, _| (1.0, -1.0), [(1.0, 2.0)]);
d2!(mul: "x * y" => |x, y| (y, x), [(1.5, -2.0)]);
d2!(div: "x / y" => |x, y| (1.0 / y, -x / (y * y)), [(1.5, -2.0), (3.0, 0.25)]);
d2!(powf: "x.powf(y)" => |x, y| (y * x.powf(y - 1.0), x.powf(y) * x.ln()), [(1.5, 2.3), (0.4, -1.2)]);
d2!(atan2: "x.atan2(y)" => |x, y| (y / (x * x + y * y), -x / (x * x + y * y)), [(1.0, 2.0), (-0.5, -3.0)]);
d2!(hypot: "x.hypot(y)" => |x, y| (x / x.hypot(y), y / x.hypot(y)), [(3.0, 4.0), (-1.0, 0.5)]);
d2!(log: "x.log(y)" => |x, y| (1.0 / (x * y.ln()), -x.ln() / (y * y.ln() * y.ln())), [(3.0, 2.0), (0.5, 10.0)]);
d2!(max: "x.max(y)" => |x, y| if x >= y { (1.0, 0.0) } else { (0.0, 1.0) }, [(3.0, 2.0), (1.0, 2.0)]);
d2!(max_tie_goes_to_receiver: "x.max(y)" => |_, _| (1.0, 0.0), [(2.0, 2.0)]);
d2!(min: "x.min(y)" => |x, y| if x <= y { (1.0, 0.0) } else { (0.0, 1.0) }, [(3.0, 2.0), (1.0, 2.0)]);
d2!(min_tie_goes_to_receiver: "x.min(y)" => |_, _| (1.0, 0.0), [(2.0, 2.0)]);
d2!(mul_add: "x.mul_add(y, x)" => |x, y| (y + 1.0, x), [(1.5, 2.0)]);
d2!(mul_add_all: "x.mul_add(y, y * y)" => |x, y| (y, x + 2.0 * y), [(1.5, 2.0)]);
d2!(clamp_inside: "x.clamp(y, 3.0)" => |_, _| (1.0, 0.0), [(1.0, 0.5), (3.0, 0.5), (0.5, 0.5)]);
d2!(clamp_below: "x.clamp(y, 3.0)" => |_, _| (0.0, 1.0), [(0.0, 0.5)]);
d2!(clamp_above: "x.clamp(y, 3.0)" => |_, _| (0.0, 0.0), [(4.0, 0.5)]);
// The upper bound differentiated: its partial is 1 only above it.
d2!(clamp_hi_above: "x.clamp(-1.0, y)" => |_, _| (0.0, 1.0), [(3.0, 2.0)]);
d2!(clamp_hi_inside: "x.clamp(-1.0, y)" => |_, _| (1.0, 0.0), [(0.5, 2.0), (-1.0, 2.0)]);
d2!(clamp_hi_below: "x.clamp(-1.0, y)" => |_, _| (0.0, 0.0), [(-3.0, 2.0)]);
d2!(shared_subexpression: "(x * y).sin() + (y * x).cos()" => |x, y| {
    let c = (x * y).cos() - (x * y).sin(); (c * y, c * x)
}, [(0.3, 1.2)]);
d2!(variable_used_twice_in_one_op: "(x * y) * (x * y)" => |x, y| (2.0 * x * y * y, 2.0 * x * x * y), [(0.3, 1.2)]);
d2!(lecture_gradient: "x * x * y + y" => |x, y| (2.0 * x * y, x * x + 1.0), [(3.0, 2.0), (-1.5, 0.25)]);
d2!(per_partial_singularity: "x.ln() - y * y" => |_, y| (f64::INFINITY, -2.0 * y), [(0.0, 1.0)]);
// One partial's singularity does not contaminate the others, and x·(½/√x) is ½·√x (0 at 0).
d2!(per_partial_isolation: "x * x.sqrt() + y" => |_, _| (0.0, 1.0), [(0.0, 3.0)]);
d2!(x_sqrt_x: "x * x.sqrt() + y" => |x, _| (1.5 * x.sqrt(), 1.0), [(0.25, 3.0), (4.0, -1.0)]);
// Conditions on an unrolled loop's counter, decided at compile time: the branch each counter
// value takes.
d2!(counter_eq: "let mut s = 0.0; for i in 0..3 { if i == 1 { s += x.sin(); } else { s += y * y; } } s"
    => |x, y| (x.cos(), 4.0 * y), [(0.3, 0.7)]);
d2!(counter_not: "let mut s = 0.0; for i in 0..3 { if !(i < 2) { s += x.sin(); } else { s += y * y; } } s"
    => |x, y| (x.cos(), 4.0 * y), [(0.3, 0.7)]);
d2!(counter_le_or: "let mut s = 0.0; for i in 0..4 { if i <= 1 || i == 3 { s += x.sin(); } else { s += y * y; } } s"
    => |x, y| (3.0 * x.cos(), 2.0 * y), [(0.3, 0.7)]);
d2!(counter_ge_and: "let mut s = 0.0; for i in 0..4 { if i >= 1 && i != 2 && i > 0 { s += x.sin(); } else { s += y * y; } } s"
    => |x, y| (2.0 * x.cos(), 4.0 * y), [(0.3, 0.7)]);

/// Live interior nodes (operations) of the code emitted for `roots`.
fn count_ops(src: &str, with_gradient: bool) -> usize {
    let (_, d) = derive_source("", src);
    let low = &d.lowered;
    let mut roots: Vec<NodeId> = low.result.clone();
    if with_gradient {
        roots.extend(d.first.values());
    }
    let e = Emitter::new(&low.graph, &roots);
    (0..low.graph.nodes.len())
        .filter(|&i| e.is_live(NodeId(i as u32)) && !low.graph.nodes[i].is_leaf())
        .filter(|&i| !matches!(low.graph.nodes[i], Op::Call { .. }))
        .count()
}

#[test]
fn product_of_16_costs_a_small_multiple_of_the_function() {
    let factors: Vec<String> = (0..16).map(|i| format!("x[{i}]")).collect();
    let src = format!("fn p(x: [f64; 16]) -> f64 {{ {} }}", factors.join(" * "));
    let primal = count_ops(&src, false);
    let both = count_ops(&src, true);
    println!("product of 16: function {primal} ops, value and gradient {both} ops");
    assert_eq!(primal, 15);
    // Reverse accumulation: 15 products, then 14 adjoint products down the chain and one per
    // factor — not 16 products of 15 factors (240).
    assert!(
        both <= 3 * primal,
        "value and gradient took {both} operations"
    );
}

#[test]
fn chain_of_100_nested_operations_is_linear() {
    let mut body = String::from("x");
    for i in 0..100 {
        body = match i % 4 {
            0 => format!("({body}).sin()"),
            1 => format!("({body}) * 1.1"),
            2 => format!("({body}).tanh()"),
            _ => format!("({body}) + x"),
        };
    }
    let src = format!("fn c(x: f64) -> f64 {{ {body} }}");
    let primal = count_ops(&src, false);
    let both = count_ops(&src, true);
    println!("chain of 100: function {primal} ops, value and gradient {both} ops");
    assert_eq!(primal, 100);
    assert!(
        both <= 4 * primal,
        "value and gradient took {both} operations"
    );
}

/// A function with branches, an early return, a call and a run-time loop, with `hessian`-free
/// options (each `HashMap` in the expander is seeded differently, per instance and per process).
fn determinism_sample() -> String {
    let src = quote::quote! {
        fn f(x: f64, y: [f64; 3], k: usize, data: &[f64]) -> [f64; 2] {
            let mut a = x * y[0];
            if a > 1.0 { a = a.sin() * y[1]; } else { a += y[2].exp(); }
            if x < -3.0 { return [a, x]; }
            let mut s = 0.0;
            for d in data { s += (d * x).tanh() + g(a, *d); }
            [a * x + s, a.hypot(y[k.min(2) - k.min(2)])]
        }
    };
    dual_core::expand(quote::quote!(), src).to_string()
}

#[test]
fn expansion_is_deterministic() {
    let first = determinism_sample();
    assert!(first.contains("f_value_and_jacobian") && !first.contains("compile_error"));
    for _ in 0..5 {
        assert_eq!(determinism_sample(), first);
    }
}

/// Child mode of [`expansion_is_identical_across_processes`]: prints the expansion.
#[test]
fn determinism_child() {
    if std::env::var_os("DUAL_DETERMINISM_CHILD").is_some() {
        print!("<<<{}>>>", determinism_sample());
    }
}

/// The same input gives byte-identical output in another process (another hash seed).
#[test]
fn expansion_is_identical_across_processes() {
    let here = determinism_sample();
    for _ in 0..3 {
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "determinism_child",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("DUAL_DETERMINISM_CHILD", "1")
            .output()
            .unwrap();
        let stdout = String::from_utf8(out.stdout).unwrap();
        let start = stdout.find("<<<").expect("the child printed its expansion") + 3;
        let end = stdout.rfind(">>>").unwrap();
        assert_eq!(&stdout[start..end], here);
    }
}

/// The body of the `f_gradient` companion that `#[gradient]` emits for
/// `fn f(x: f64, y: f64) -> f64 { body }`, as token text.
fn gradient_body(body: &str) -> String {
    companion_body("gradient", body)
}

/// The body of the companion `f_{companion}` for `fn f(x: f64, y: f64) -> f64 { body }`.
fn companion_body(companion: &str, body: &str) -> String {
    companion_body_of("x: f64, y: f64", companion, body)
}

/// The body of the companion `f_{companion}` for `fn f(params) -> f64 { body }`.
fn companion_body_of(params: &str, companion: &str, body: &str) -> String {
    let item: proc_macro2::TokenStream = format!("fn f({params}) -> f64 {{ {body} }}")
        .parse()
        .unwrap();
    let out = dual_core::expand(quote::quote!(), item).to_string();
    let start = out
        .find(&format!("fn f_{companion} ("))
        .expect("the companion");
    let open = start + out[start..].find('{').unwrap();
    let mut depth = 0;
    for (i, c) in out[open..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return out[open..=open + i].to_string();
                }
            }
            _ => {}
        }
    }
    unreachable!("unbalanced braces")
}

/// The rules' shortcuts, which change the code but not the values (so only the code shows them):
/// a whole-number constant exponent differentiates through `powi`, a constant exponent has no
/// `ln` partial, and `1 / y` reuses its quotient (`-q·q`, no second division).
#[test]
fn rule_shortcuts_show_in_the_code() {
    let whole = gradient_body("x.powf(3.0) + y");
    assert!(!whole.contains("powf"), "{whole}");
    let fraction = gradient_body("x.powf(2.5) + y");
    assert!(
        fraction.contains("powf") && !fraction.contains("ln"),
        "{fraction}"
    );
    let variable = gradient_body("x.powf(y)");
    assert!(variable.contains("ln"), "{variable}");
    let reciprocal = gradient_body("1.0 / x + y");
    assert_eq!(reciprocal.matches(" / ").count(), 1, "{reciprocal}");
    let quotient = gradient_body("x / y");
    // x / y, 1 / y and (x / y) / y.
    assert_eq!(quotient.matches(" / ").count(), 3, "{quotient}");
}

/// The simplifier's rewrites that keep every value (so only the code shows them), each pinned
/// by the code it gives: `value_and_gradient` (V) or `gradient` (G) of
/// `fn f(x: f64, y: f64) -> f64 { body }` contains, or does not contain, a fragment.
#[test]
fn simplifications_show_in_the_code() {
    let rows: [(&str, &str, &[&str], &[&str]); 7] = [
        // a + (-0) == a
        ("V", "x + (-0.0) + y", &["__t0 + __t1"], &["0f64"]),
        // a / -1 == -a
        ("V", "x / -1.0 + y", &["__t1 - __t0"], &[" / "]),
        // (-a) / (-b) == a / b
        (
            "V",
            "(-x) / (-y)",
            &["__t4 = __t0 / __t1"],
            &["- __t0", "- __t1"],
        ),
        // (-a) / b == -(a / b)
        (
            "V",
            "(-x) / y",
            &["__t3 = __t0 / __t1", "__t4 = - __t3"],
            &["- __t0"],
        ),
        // k · (c / u) → (k·c) / u in derivative code
        ("G", "2.0 * x.ln() + y", &["2f64 / __t0"], &["* 2f64"]),
        // k · (c / u) → (k·c) / u when the chain rule multiplies a derivative's reciprocal by a
        // constant: ∂/∂y of −3y / (1 + x²) is −3 / (1 + x²), not (−1 / (1 + x²)) · 3
        (
            "G",
            "x - 3.0 * y / (1.0 + x * x)",
            &["(- 3f64) / "],
            &["(- 1f64)"],
        ),
        // a quotient the function computes is reused, not merged: y · (1/x) stays a product
        (
            "G",
            "let r = 1.0 / x; x.ln() * y + r",
            &["__t1 * __t3"],
            &["__t1 / __t0"],
        ),
    ];
    for (which, body, present, absent) in rows {
        let code = match which {
            "V" => companion_body("value_and_gradient", body),
            _ => gradient_body(body),
        };
        for fragment in present {
            assert!(code.contains(fragment), "{body}: no `{fragment}` in {code}");
        }
        for fragment in absent {
            assert!(!code.contains(fragment), "{body}: `{fragment}` in {code}");
        }
    }
}

/// A kept loop that only carries sums gets the expert's backward loop: each sum's adjoint is
/// computed once before it, the loop runs forwards with nothing carried; a loop carrying a
/// recurrence runs backwards. Mutation testing showed that turning the factoring off changed no
/// value (it is an optimisation), so only the code shows it.
#[test]
fn sums_factor_out_of_the_backward_loop() {
    let array_gradient_body = |body| companion_body_of("x: [f64; 40]", "gradient", body);
    let sums = array_gradient_body(
        "let mut s = 0.0; let mut t = 0.0; \
         for k in 0..40 { s += x[k].sin(); t += x[k] * x[k]; } s * t",
    );
    assert!(!sums.contains(". rev ()"), "{sums}");
    let recurrence =
        array_gradient_body("let mut s = 1.0; for k in 0..40 { s = (s * x[k]).sin(); } s");
    assert!(recurrence.contains(". rev ()"), "{recurrence}");
}

/// Every constant of `std::f64::consts` the engine knows is its value: `x·c + c` has the value
/// and the derivative `c`, evaluated from the IR (a constant lowered as opaque tokens would not
/// evaluate).
#[test]
fn float_constants_are_their_values() {
    use std::f64::consts as c;
    let constants = [
        ("PI", c::PI),
        ("TAU", c::TAU),
        ("E", c::E),
        ("SQRT_2", c::SQRT_2),
        ("LN_2", c::LN_2),
        ("LN_10", c::LN_10),
        ("LOG2_E", c::LOG2_E),
        ("LOG10_E", c::LOG10_E),
        ("LOG2_10", c::LOG2_10),
        ("LOG10_2", c::LOG10_2),
        ("FRAC_PI_2", c::FRAC_PI_2),
        ("FRAC_PI_3", c::FRAC_PI_3),
        ("FRAC_PI_4", c::FRAC_PI_4),
        ("FRAC_PI_6", c::FRAC_PI_6),
        ("FRAC_PI_8", c::FRAC_PI_8),
        ("FRAC_1_PI", c::FRAC_1_PI),
        ("FRAC_2_PI", c::FRAC_2_PI),
        ("FRAC_2_SQRT_PI", c::FRAC_2_SQRT_PI),
        ("FRAC_1_SQRT_2", c::FRAC_1_SQRT_2),
    ];
    for (name, value) in constants {
        for path in [
            format!("std::f64::consts::{name}"),
            format!("core::f64::consts::{name}"),
        ] {
            let (v, g) = value_and_gradient("x: f64", &format!("x * {path} + {path}"), &[0.5]);
            assert!(
                close(v, 1.5 * value) && close(g[0], value),
                "{path}: {v}, {g:?}"
            );
        }
    }
}

/// Conditions and loop bounds known at compile time fold: an unrolled loop's `if` on its counter
/// leaves no branch in the code, and `0..x.len()` of a short array unrolls. Values are the same
/// either way (a run-time branch or loop computes them too), so only the code shows it.
#[test]
fn compile_time_conditions_and_lengths_fold() {
    let gradient_of = |body: &str| companion_body_of("x: [f64; 3]", "gradient", body);
    let rows: [(&str, &str); 7] = [
        ("for i in 0..x.len() { s += x[i] * x[i]; }", "for "),
        (
            "for i in 0..(2 * 1) as usize + 1 { s += x[i] * x[i]; }",
            "for ",
        ),
        (
            "for i in 0..(7 / 2 - 5 % 3 + 2) { s += x[i] * x[i]; }",
            "for ",
        ),
        (
            "for i in 0..3 { if !(i == 1) { s += x[i].sin(); } else { s -= x[i]; } }",
            "bool",
        ),
        ("for i in 0..3 { if i == 1 { s += x[i].sin(); } }", "bool"),
        (
            "for i in 0..3 { if i != 1 && i < 2 { s += x[i].sin(); } }",
            "bool",
        ),
        (
            "for i in 0..3 { if i >= 1 || i <= 0 { s += x[i].sin(); } }",
            "bool",
        ),
    ];
    for (body, absent) in rows {
        let code = gradient_of(&format!("let mut s = 0.0; {body} s"));
        assert!(!code.contains(absent), "{body}: `{absent}` in {code}");
    }
}

/// Float constants computed from literals fold into the code (`f64::sin(0.5) * 2.0` is a
/// number there); a call of another function with constant arguments is user code, kept as
/// written and read once.
#[test]
fn constant_expressions_fold() {
    let rows: [(&str, &[&str], &[&str]); 3] = [
        (
            "let k = f64::sin(0.5) * 2.0; x * k + y",
            &["= f64 :: sin (0.5) ;", "* 2f64"],
            &["let k"],
        ),
        (
            "let c = [1.5, -2.0]; x * c[0] + y * c[1]",
            &["{ [1.5f64 , (- 2f64)] }"],
            &["c ["],
        ),
        ("let k = g(2.0); x * k + y", &["let k = g (2.0) ;"], &[]),
    ];
    for (body, present, absent) in rows {
        let code = gradient_body(body);
        for fragment in present {
            assert!(code.contains(fragment), "{body}: no `{fragment}` in {code}");
        }
        for fragment in absent {
            assert!(!code.contains(fragment), "{body}: `{fragment}` in {code}");
        }
    }
}
