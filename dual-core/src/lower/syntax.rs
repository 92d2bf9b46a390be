//! Predicates on syn trees that need nothing but the syntax: which methods are float math, which
//! expressions are float constants, what a pattern binds, whether code jumps out.

use proc_macro2::{TokenStream, TokenTree};
use quote::ToTokens;
use syn::visit::Visit;
use syn::{Expr, Ident, Lit, Pat, UnOp};

use crate::front::types::float_type_function;
use crate::ir::Method;

use super::operators::arithmetic;

/// Whether the method is one of the float methods `#[gradient]` differentiates.
pub(super) fn is_math_method(name: &str) -> bool {
    Method::named(name).is_some()
}

/// A call that is not a built-in float method (`g(x)`, `m::g(x)`, `self.g(x)`).
pub(super) fn is_user_call(e: &Expr) -> bool {
    match e {
        Expr::MethodCall(m) => !is_math_method(&m.method.to_string()),
        Expr::Call(c) => {
            match &*c.func {
                Expr::Path(p) => !p.path.segments.last().is_some_and(|s| {
                    is_math_method(&s.ident.to_string()) && p.path.segments.len() > 1
                }),
                _ => false,
            }
        }
        _ => false,
    }
}

pub(super) fn int_literal(e: &Expr) -> Option<i32> {
    match e {
        Expr::Lit(syn::ExprLit {
            lit: Lit::Int(n), ..
        }) => n.base10_parse().ok(),
        Expr::Unary(u) if matches!(u.op, UnOp::Neg(_)) => int_literal(&u.expr).map(|n| -n),
        Expr::Paren(p) => int_literal(&p.expr),
        _ => None,
    }
}

/// `std::f64::consts::PI` and friends.
pub(super) fn float_const(path: &syn::Path) -> Option<f64> {
    use std::f64::consts as c;
    let segs = segment_names(path);
    if segs.len() < 2 || segs[segs.len() - 2] != "consts" {
        return None;
    }
    Some(match segs.last()?.as_str() {
        "PI" => c::PI,
        "TAU" => c::TAU,
        "E" => c::E,
        "SQRT_2" => c::SQRT_2,
        "LN_2" => c::LN_2,
        "LN_10" => c::LN_10,
        "LOG2_E" => c::LOG2_E,
        "LOG10_E" => c::LOG10_E,
        "LOG2_10" => c::LOG2_10,
        "LOG10_2" => c::LOG10_2,
        "FRAC_PI_2" => c::FRAC_PI_2,
        "FRAC_PI_3" => c::FRAC_PI_3,
        "FRAC_PI_4" => c::FRAC_PI_4,
        "FRAC_PI_6" => c::FRAC_PI_6,
        "FRAC_PI_8" => c::FRAC_PI_8,
        "FRAC_1_PI" => c::FRAC_1_PI,
        "FRAC_2_PI" => c::FRAC_2_PI,
        "FRAC_2_SQRT_PI" => c::FRAC_2_SQRT_PI,
        "FRAC_1_SQRT_2" => c::FRAC_1_SQRT_2,
        _ => return None,
    })
}

/// Float literals, arrays / tuples / negations of them: kept symbolic so that they fold.
pub(super) fn is_float_const_expr(e: &Expr, float: crate::ir::FloatTy) -> bool {
    let this = |e: &Expr| is_float_const_expr(e, float);
    match e {
        Expr::Lit(syn::ExprLit {
            lit: Lit::Float(_), ..
        }) => true,
        Expr::Unary(u) if matches!(u.op, UnOp::Neg(_)) => this(&u.expr),
        Expr::Paren(p) => this(&p.expr),
        Expr::Array(a) => !a.elems.is_empty() && a.elems.iter().all(this),
        // `[0.0; N]` of any length: with a length the macro does not see, an array of the IR.
        Expr::Repeat(r) => this(&r.expr),
        Expr::Tuple(t) => !t.elems.is_empty() && t.elems.iter().all(this),
        Expr::Path(p) => float_const(&p.path).is_some(),
        // Arithmetic and float math on constants (`f64::sin(0.7) + 2.0`, `(2.0f64).ln()`): a
        // float, so that a variable holding it is known to be one (a call's argument, a value a
        // loop carries).
        Expr::Binary(b) => arithmetic(&b.op).is_some() && this(&b.left) && this(&b.right),
        Expr::MethodCall(m) => {
            is_math_method(&m.method.to_string()) && this(&m.receiver) && m.args.iter().all(this)
        }
        Expr::Call(c) => {
            float_type_function(&c.func)
                .is_some_and(|(ty, method)| ty == float.name() && is_math_method(&method))
                && !c.args.is_empty()
                && c.args.iter().all(this)
        }
        _ => false,
    }
}

/// Whether a differentiated method is one that integers have too (`abs`, `max`, …).
pub(super) fn is_int_and_float_method(name: &str) -> bool {
    Method::named(name).is_some_and(|m| m.facts().on_integers)
}

/// Whether a method exists on `f64` and not on integers (`sin`, `sqrt`, `powi`, `floor`, …).
pub(super) fn is_float_only_method(name: &str) -> bool {
    name == "fract" || Method::named(name).is_some_and(|m| !m.facts().on_integers)
}

/// The names of a path's segments (`["f64", "sin"]` for `f64::sin`).
pub(super) fn segment_names(path: &syn::Path) -> Vec<String> {
    path.segments.iter().map(|s| s.ident.to_string()).collect()
}

/// What an expression is, for messages.
pub(super) fn expr_kind(e: &Expr) -> &'static str {
    match e {
        Expr::Struct(_) => "a struct literal",
        Expr::Unsafe(_) => "an `unsafe` block",
        Expr::Async(_) => "an `async` block",
        Expr::TryBlock(_) => "a `try` block",
        Expr::Const(_) => "a `const` block",
        Expr::Try(_) => "the `?` operator",
        Expr::Range(_) => "a range",
        Expr::Let(_) => "a `let` condition",
        Expr::Break(_) => "`break`",
        Expr::Continue(_) => "`continue`",
        Expr::Yield(_) => "`yield`",
        Expr::Await(_) => "`.await`",
        Expr::Infer(_) => "`_`",
        _ => "this expression",
    }
}

/// The names a pattern binds, in order.
pub(super) fn pattern_idents(pat: &Pat, out: &mut Vec<Ident>) {
    struct V<'a>(&'a mut Vec<Ident>);
    impl<'ast> Visit<'ast> for V<'_> {
        fn visit_pat_ident(&mut self, p: &'ast syn::PatIdent) {
            self.0.push(p.ident.clone());
            syn::visit::visit_pat_ident(self, p);
        }
    }
    V(out).visit_pat(pat);
}

/// Whether the expression contains `return` (outside closures and items).
pub(super) fn contains_return(e: &Expr) -> bool {
    struct V(bool);
    impl<'ast> Visit<'ast> for V {
        fn visit_expr_return(&mut self, _: &'ast syn::ExprReturn) {
            self.0 = true;
        }
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
        fn visit_item(&mut self, _: &'ast syn::Item) {}
        fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}
    }
    let mut v = V(false);
    v.visit_expr(e);
    v.0
}

/// Whether the expression contains `break` or `continue` of the enclosing loop (not of a loop
/// nested in it, nor in closures).
pub(super) fn contains_loop_jump(e: &Expr) -> bool {
    struct V(bool);
    impl<'ast> Visit<'ast> for V {
        fn visit_expr_break(&mut self, _: &'ast syn::ExprBreak) {
            self.0 = true;
        }
        fn visit_expr_continue(&mut self, _: &'ast syn::ExprContinue) {
            self.0 = true;
        }
        fn visit_expr_for_loop(&mut self, f: &'ast syn::ExprForLoop) {
            self.visit_expr(&f.expr);
        }
        fn visit_expr_while(&mut self, w: &'ast syn::ExprWhile) {
            self.visit_expr(&w.cond);
        }
        fn visit_expr_loop(&mut self, _: &'ast syn::ExprLoop) {}
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut v = V(false);
    v.visit_expr(e);
    v.0
}

/// Whether macro tokens contain an assignment (`x = `, `x += `, …).
pub(super) fn assigns_in_tokens(ts: TokenStream) -> bool {
    let mut prev_ident = false;
    let tokens: Vec<TokenTree> = ts.into_iter().collect();
    for (i, tt) in tokens.iter().enumerate() {
        match tt {
            TokenTree::Group(g) => {
                if assigns_in_tokens(g.stream()) {
                    return true;
                }
                prev_ident = false;
            }
            TokenTree::Ident(_) => prev_ident = true,
            TokenTree::Punct(p) => {
                let c = p.as_char();
                let next_eq =
                    matches!(tokens.get(i + 1), Some(TokenTree::Punct(q)) if q.as_char() == '=');
                let prev_is_op = i > 0
                    && matches!(&tokens[i - 1], TokenTree::Punct(q) if "=!<>".contains(q.as_char()));
                if prev_ident && c == '=' && !next_eq && !prev_is_op {
                    return true;
                }
                if prev_ident && "+-*/".contains(c) && next_eq {
                    return true;
                }
                prev_ident = false;
            }
            TokenTree::Literal(_) => prev_ident = false,
        }
    }
    false
}

/// The variable at the root of a place expression (`x`, `x[i]`, `x.0`).
pub(super) fn place_root(e: &Expr) -> Option<Ident> {
    match e {
        Expr::Path(p) => p.path.get_ident().cloned(),
        Expr::Paren(p) => place_root(&p.expr),
        Expr::Index(ix) => place_root(&ix.expr),
        Expr::Field(f) => place_root(&f.base),
        _ => None,
    }
}

/// The first `break` or `continue` of a loop body (outside nested loops and closures) that has a
/// label or a value.
pub(super) fn find_labelled_jump(body: &syn::Block) -> Option<TokenStream> {
    struct V(Option<TokenStream>);
    impl<'ast> Visit<'ast> for V {
        fn visit_expr_break(&mut self, b: &'ast syn::ExprBreak) {
            if b.label.is_some() || b.expr.is_some() {
                self.0.get_or_insert_with(|| b.to_token_stream());
            }
        }
        fn visit_expr_continue(&mut self, c: &'ast syn::ExprContinue) {
            if c.label.is_some() {
                self.0.get_or_insert_with(|| c.to_token_stream());
            }
        }
        fn visit_expr_for_loop(&mut self, _: &'ast syn::ExprForLoop) {}
        fn visit_expr_while(&mut self, _: &'ast syn::ExprWhile) {}
        fn visit_expr_loop(&mut self, _: &'ast syn::ExprLoop) {}
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut v = V(None);
    v.visit_block(body);
    v.0
}
