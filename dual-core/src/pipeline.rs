//! The whole compiler, stage by stage: options → limits and the item → signature → lowering →
//! differentiation → the companions' code and docs. The macro, the engine's tests and the
//! benchmarks all go through these functions, so this file is the one place that shows (and
//! decides) how the stages connect. Every stage reports problems to one [`Diagnostics`]; the
//! pipeline goes on as far as it can, so that one compile shows them all.

use proc_macro2::{Span, TokenStream};

use crate::ad::Derivative;
use crate::companions::companions;
use crate::diag::Diagnostics;
use crate::front::item;
use crate::front::options::{self, Options};
use crate::front::signature::{self, Output, Signature};
use crate::ir::prim;
use crate::ir::{Lowered, Method, Op};

/// What the front end read of an annotated function.
pub struct Front {
    /// The function as written.
    pub func: syn::ItemFn,
    /// The attribute's options.
    pub options: Options,
    /// Its signature: which parameters are differentiated, the result's shape.
    pub sig: Signature,
}

/// The companions of `#[gradient(args)] item`, or every problem found.
pub fn compile(args: TokenStream, item: &TokenStream) -> Result<TokenStream, Diagnostics> {
    let mut diag = Diagnostics::new();
    let front = read(args, item, &mut diag);
    let derived = front.as_ref().and_then(|f| derive(f, &mut diag));
    match (front, derived) {
        (Some(front), Some((first, second))) => {
            diag.check(companions(&front.func, &front.sig, &first, second.as_ref()))
        }
        _ => Err(diag),
    }
}

/// The front end: the options, the item as a function, and its signature.
pub fn read(args: TokenStream, item: &TokenStream, diag: &mut Diagnostics) -> Option<Front> {
    let mut options = options::parse(args).unwrap_or_else(|e| {
        diag.push(e);
        Options::default()
    });
    let func = item::read_function(item, diag)?;
    let sig = signature::analyse(&func.sig, &options, diag)?;
    if let (Some(span), Output::Array(_) | Output::Tuple(_)) = (options.hessian, sig.output) {
        diag.error(
            span,
            "`hessian` needs a function with a scalar result (`-> f64` or `-> f32`); for a vector \
             result use its Jacobian, or differentiate each output separately",
        );
    }
    // A Jacobian row, a Hessian row or column per element of an array the macro does not see the
    // length of would need one more dimension in the type; not supported (yet).
    for (_, p, shape) in sig.differentiated() {
        if !shape.in_place() {
            continue;
        }
        if options.hessian.is_some() {
            // Reported once: the body is not lowered for second derivatives.
            options.hessian = None;
            diag.error_spanning(
                &p.ty,
                "a Hessian with respect to an array whose length is not a literal (or a slice) is \
                 not supported; write the length as a literal (`[f64; 4]`), or leave this \
                 parameter out with `wrt(...)`",
            );
        } else if !matches!(sig.output, Output::Scalar) {
            diag.error_spanning(
                &p.ty,
                "a Jacobian with respect to an array whose length is not a literal (or a slice) \
                 is not supported; write the length as a literal (`[f64; 4]`), differentiate each \
                 output separately, or leave this parameter out with `wrt(...)`",
            );
        }
    }
    Some(Front { func, options, sig })
}

/// Lowers the body and differentiates it: once, and with the `hessian` option a second time from
/// a lowering whose calls go through the callees' Hessians. `None` if the body has errors (they
/// are reported).
pub fn derive(front: &Front, diag: &mut Diagnostics) -> Option<(Derivative, Option<Derivative>)> {
    let first = lower(front, false, diag)?;
    if front.func.sig.constness.is_some() {
        check_const(&first, front, diag);
    }
    let second = match front.options.hessian {
        Some(_) => Some(lower(front, true, diag)?),
        None => None,
    };
    if diag.has_errors() {
        return None;
    }
    Some((
        Derivative::new(first, false),
        second.map(|s| Derivative::new(s, true)),
    ))
}

/// Lowers the body (`second_order`: with calls through the callees' Hessians); `None` if it has
/// errors (they are reported).
pub fn lower(front: &Front, second_order: bool, diag: &mut Diagnostics) -> Option<Lowered> {
    crate::lower::lower(
        &front.sig,
        &front.func.sig,
        &front.func.block,
        second_order,
        diag,
    )
}

/// The front end and the first-order derivative of a function given as source text, for the
/// engine's tests and benchmarks. Panics with the first problem if there is one.
pub fn derive_source(args: &str, item: &str) -> (Front, Derivative) {
    let mut diag = Diagnostics::new();
    let args: TokenStream = args.parse().expect("attribute arguments as tokens");
    let item: TokenStream = item.parse().expect("the item as tokens");
    let derived = read(args, &item, &mut diag).and_then(|front| {
        let lowered = lower(&front, false, &mut diag)?;
        Some((front, Derivative::new(lowered, false)))
    });
    match derived {
        Some(done) if !diag.has_errors() => done,
        _ => panic!("{}", diag.errors()[0]),
    }
}

/// A `const fn`'s companions are `const` too, so its body may use only what Rust evaluates in
/// constants: reports the first primitive that it cannot.
fn check_const(lowered: &Lowered, front: &Front, diag: &mut Diagnostics) {
    if let Some((name, span)) = non_const_primitive(lowered) {
        let allowed: Vec<String> = prim::METHODS
            .iter()
            .filter(|m| Method::named(m).is_some_and(|m| m.facts().const_fn))
            .map(|m| format!("`{m}`"))
            .collect();
        diag.error(
            span,
            format!(
                "`{name}` cannot be evaluated in a `const fn`, so the derivatives of `{}` \
                 cannot be `const` either; remove `const`, or use only arithmetic, \
                 comparisons, `if`, {} and {}",
                front.func.sig.ident,
                allowed[..allowed.len() - 1].join(", "),
                allowed[allowed.len() - 1],
            ),
        );
    }
}

/// The first primitive of the body that Rust cannot evaluate in a `const fn`.
fn non_const_primitive(lowered: &Lowered) -> Option<(&'static str, Span)> {
    let g = &lowered.graph;
    g.nodes.iter().enumerate().find_map(|(i, op)| {
        let facts = match op {
            Op::Unary(u, _) => u.facts(),
            Op::Binary(b, _, _) => b.facts(),
            Op::Ternary(t, ..) => t.facts(),
            Op::Powi(..) => Method::Powi.facts(),
            _ => return None,
        };
        (!facts.const_fn).then_some((facts.method, g.spans[i]))
    })
}
