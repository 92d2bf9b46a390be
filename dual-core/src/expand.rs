//! The pipeline: parse → analyse → lower → differentiate → emit, and the companion functions.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, ToTokens};
use syn::spanned::Spanned;

use crate::diff::{reverse, Adjoints};
use crate::doc::{Doc, Names};
use crate::emit::Emitter;
use crate::ir::{BlockId, NodeId};
use crate::lower::{lower, Lowered};
use crate::options::{self, Options};
use crate::signature::{self, FloatShape, Output, Signature};

/// Expands `#[gradient(args)] item`: the item unchanged, followed by its companions, or by the
/// errors (every problem found, each spanned on the offending tokens).
pub fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        expand_checked(args, item.clone())
    }));
    match result {
        Ok(Ok(companions)) => {
            // Appended in place: the item can be most of the output.
            let mut out = item;
            out.extend(companions);
            out
        }
        Ok(Err(errors)) => {
            let errors = errors.iter().map(syn::Error::to_compile_error);
            quote!(#item #(#errors)*)
        }
        Err(_) => {
            let msg = "internal error in `#[gradient]` (the macro panicked); please report this \
                       function at the `dual` issue tracker";
            quote!(#item ::core::compile_error!(#msg);)
        }
    }
}

fn expand_checked(args: TokenStream, item: TokenStream) -> Result<TokenStream, Vec<syn::Error>> {
    let mut errors = Vec::new();
    let options = match options::parse(args) {
        Ok(o) => o,
        Err(e) => {
            errors.push(e);
            Options::default()
        }
    };
    // Before syn parses (and recurses into) the item.
    if let Err(e) = crate::limits::check(&item) {
        errors.push(e);
        return Err(errors);
    }
    let func: syn::ItemFn = match syn::parse2(item.clone()) {
        Ok(f) => f,
        Err(e) => {
            errors.push(not_a_function(item, e));
            return Err(errors);
        }
    };
    let sig = &func.sig;
    if let Some(a) = &sig.asyncness {
        errors.push(syn::Error::new(
            a.span(),
            "`#[gradient]` cannot differentiate an `async fn`; apply it to an ordinary \
             (synchronous) function",
        ));
    }
    if let Some(v) = &sig.variadic {
        errors.push(syn::Error::new(
            v.span(),
            "variadic functions cannot be differentiated",
        ));
    }
    let analysed = signature::analyse(sig, &options, &mut errors);
    let Some(analysed) = analysed else {
        return Err(errors);
    };
    if let (Some(span), Output::Array(_) | Output::Tuple(_)) = (options.hessian, analysed.output) {
        errors.push(syn::Error::new(
            span,
            "`hessian` needs a function with a scalar result (`-> f64` or `-> f32`); for a vector result \
             use its Jacobian, or differentiate each output separately",
        ));
    }
    let first = lower(&analysed, sig, &func.block, false);
    let second = options
        .hessian
        .map(|_| lower(&analysed, sig, &func.block, true));
    if let (Some(_), Ok(lowered)) = (&sig.constness, &first) {
        if let Some((name, span)) = non_const_primitive(lowered) {
            errors.push(syn::Error::new(
                span,
                format!(
                    "`{name}` cannot be evaluated in a `const fn`, so the derivatives of `{}` \
                     cannot be `const` either; remove `const`, or use only arithmetic, \
                     comparisons, `if`, `abs`, `signum`, `max`, `min`, `clamp`, `recip`, \
                     `to_degrees`, `to_radians`, `floor`, `ceil`, `round` and `trunc`",
                    sig.ident
                ),
            ));
        }
    }
    match (first, second) {
        (Ok(lowered), None) if errors.is_empty() => Ok(companions(&func, &analysed, lowered, None)),
        (Ok(lowered), Some(Ok(twice))) if errors.is_empty() => {
            Ok(companions(&func, &analysed, lowered, Some(twice)))
        }
        (Err(mut body_errors), _) | (Ok(_), Some(Err(mut body_errors))) => {
            errors.append(&mut body_errors);
            Err(errors)
        }
        _ => Err(errors),
    }
}

/// The first primitive of the body that Rust cannot evaluate in a `const fn`.
fn non_const_primitive(lowered: &Lowered) -> Option<(&'static str, Span)> {
    use crate::ir::Op;
    use crate::rules::{Binary, Unary};
    let g = &lowered.graph;
    g.nodes.iter().enumerate().find_map(|(i, op)| {
        let name = match op {
            Op::Unary(
                Unary::Neg
                | Unary::Abs
                | Unary::Signum
                | Unary::Recip
                | Unary::ToDegrees
                | Unary::ToRadians
                | Unary::Floor
                | Unary::Ceil
                | Unary::Round
                | Unary::Trunc,
                _,
            ) => return None,
            Op::Unary(u, _) => u.method(),
            Op::Binary(b @ (Binary::Powf | Binary::Atan2 | Binary::Hypot | Binary::Log), _, _) => {
                b.method()
            }
            Op::MulAdd(..) => "mul_add",
            Op::Powi(..) => "powi",
            _ => return None,
        };
        Some((name, g.spans[i]))
    })
}

fn not_a_function(item: TokenStream, parse_error: syn::Error) -> syn::Error {
    if let Ok(f) = syn::parse2::<syn::TraitItemFn>(item.clone()) {
        return syn::Error::new_spanned(
            &f.sig,
            "`#[gradient]` needs the function's body to differentiate it; this is a declaration \
             without a body (put the attribute on the function that has the body)",
        );
    }
    let what = match syn::parse2::<syn::Item>(item.clone()) {
        Ok(syn::Item::Struct(s)) => Some((s.struct_token.span, "a struct")),
        Ok(syn::Item::Enum(e)) => Some((e.enum_token.span, "an enum")),
        Ok(syn::Item::Impl(i)) => Some((i.impl_token.span, "an impl block")),
        Ok(syn::Item::Trait(t)) => Some((t.trait_token.span, "a trait")),
        Ok(syn::Item::Mod(m)) => Some((m.mod_token.span, "a module")),
        Ok(syn::Item::Const(c)) => Some((c.const_token.span, "a const item")),
        Ok(syn::Item::Static(s)) => Some((s.static_token.span, "a static item")),
        Ok(syn::Item::Type(t)) => Some((t.type_token.span, "a type alias")),
        Ok(other) => Some((other.span(), "this item")),
        Err(_) => None,
    };
    match what {
        Some((span, kind)) => syn::Error::new(
            span,
            format!(
                "`#[gradient]` applies to functions (free functions, methods and associated \
                 functions with a body), not to {kind}"
            ),
        ),
        None => {
            let span = item
                .into_iter()
                .next()
                .map_or_else(Span::call_site, |t| t.span());
            syn::Error::new(
                span,
                format!(
                    "`#[gradient]` applies to functions with a body; this item could not be \
                     read as one ({parse_error})"
                ),
            )
        }
    }
}

/// The derivative code of one lowering: the IR, the sweeps, and how to read the results.
struct Derived<'s> {
    sig: &'s Signature,
    lowered: Lowered,
    /// Top-level blocks in execution order: the forward code, then each reverse sweep.
    program: Vec<BlockId>,
    /// First-order adjoints: `(parameter leaf, output row) → node`.
    first: Adjoints,
    /// Second-order adjoints (Hessian): `(parameter leaf, gradient entry) → node`.
    second: Option<Adjoints>,
}

impl Derived<'_> {
    fn new(sig: &Signature, mut lowered: Lowered, second_order: bool) -> Derived<'_> {
        let mut program = vec![BlockId(0)];
        let first = reverse(&mut lowered.graph, &program, &lowered.result);
        program.push(first.block);
        let second = second_order.then(|| {
            let entries: Vec<NodeId> = lowered_leaves(sig, &lowered)
                .iter()
                .map(|leaf| match first.adjoints.get(&(*leaf, 0)) {
                    Some(&a) => a,
                    None => lowered.graph.num(0.0),
                })
                .collect();
            let rev = reverse(&mut lowered.graph, &program, &entries);
            program.push(rev.block);
            rev.adjoints
        });
        Derived {
            sig,
            lowered,
            program,
            first: first.adjoints,
            second,
        }
    }

    /// The differentiated scalars, in parameter order, arrays flattened.
    fn leaves(&self) -> Vec<NodeId> {
        lowered_leaves(self.sig, &self.lowered)
    }

    /// Row `row` of the first derivatives, one entry per differentiated scalar.
    fn row(&self, adjoints: &Adjoints, row: usize) -> Vec<Option<NodeId>> {
        self.leaves()
            .iter()
            .map(|leaf| adjoints.get(&(*leaf, row as u32)).copied())
            .collect()
    }

    /// The upper triangle of the Hessian (row i, column j ≥ i), which is all that is computed.
    fn hessian(&self) -> Vec<Vec<Option<NodeId>>> {
        let second = self.second.as_ref().expect("a second-order sweep");
        let n = self.leaves().len();
        (0..n).map(|i| self.row(second, i)).collect()
    }

    fn roots(&self, value: bool, gradient: bool, hessian: bool) -> Vec<NodeId> {
        let mut roots = Vec::new();
        if value {
            roots.extend(&self.lowered.result);
        }
        if gradient {
            for r in 0..self.lowered.result.len() {
                roots.extend(self.row(&self.first, r).into_iter().flatten());
            }
        }
        if hessian {
            for (i, row) in self.hessian().into_iter().enumerate() {
                roots.extend(row.into_iter().skip(i).flatten());
            }
        }
        roots
    }

    /// The emitter for these roots and the statements that compute them.
    fn body(&self, roots: &[NodeId]) -> (Emitter<'_>, TokenStream) {
        let e = Emitter::new(&self.lowered.graph, roots);
        let mut code: TokenStream = self
            .sig
            .params
            .iter()
            .enumerate()
            .filter(|(i, p)| {
                p.differentiated && p.name.is_some() && !self.lowered.inputs[*i].is_empty()
            })
            .map(|(i, p)| {
                let name = p.name.as_ref().expect("named").to_token_stream();
                let array = matches!(p.float, Some(FloatShape::Array(_)));
                e.bind_param(&name, &self.lowered.inputs[i], array)
            })
            .collect();
        for b in &self.program {
            code.extend(e.block(*b));
        }
        (e, code)
    }
}

fn lowered_leaves(sig: &Signature, lowered: &Lowered) -> Vec<NodeId> {
    sig.differentiated()
        .flat_map(|(p, _, _)| lowered.inputs[p].iter().copied())
        .collect()
}

fn entry(e: &Emitter, n: Option<NodeId>) -> TokenStream {
    n.map_or_else(|| e.lit(0.0), |n| e.node_ref(n))
}

/// The companion functions of a function whose body lowered without error.
fn companions(
    func: &syn::ItemFn,
    sig: &Signature,
    lowered: Lowered,
    twice: Option<Lowered>,
) -> TokenStream {
    let d = Derived::new(sig, lowered, false);
    let diff_params: Vec<FloatShape> = sig.differentiated().map(|(_, _, s)| s).collect();
    let all_scalar = diff_params.iter().all(|s| *s == FloatShape::Scalar);
    let single_array = diff_params.len() == 1 && !all_scalar;
    let n = proc_macro2::Literal::usize_unsuffixed(sig.n_inputs());
    let f = sig.float.path();

    // The gradient value and type of contract point 3.
    let gradient = |e: &Emitter, row: Vec<Option<NodeId>>| -> TokenStream {
        let mut items = row.into_iter().map(|n| entry(e, n));
        if all_scalar || single_array {
            return quote!([#(#items),*]);
        }
        let parts = diff_params.iter().map(|shape| match shape {
            FloatShape::Scalar => items.next().expect("an entry per scalar"),
            FloatShape::Array(len) => {
                let part: Vec<TokenStream> = items.by_ref().take(*len).collect();
                quote!([#(#part),*])
            }
        });
        quote!((#(#parts,)*))
    };
    let gradient_type = if all_scalar || single_array {
        quote!([#f; #n])
    } else {
        let parts = diff_params.iter().map(|shape| match shape {
            FloatShape::Scalar => quote!(#f),
            FloatShape::Array(len) => {
                let len = proc_macro2::Literal::usize_unsuffixed(*len);
                quote!([#f; #len])
            }
        });
        quote!((#(#parts,)*))
    };
    let matrix = |e: &Emitter, rows: Vec<Vec<Option<NodeId>>>| -> TokenStream {
        let rows = rows.into_iter().map(|row| {
            let items = row.into_iter().map(|n| entry(e, n));
            quote!([#(#items),*])
        });
        quote!([#(#rows),*])
    };
    let value = |d: &Derived, e: &Emitter| -> TokenStream {
        let items = d.lowered.result.iter().map(|n| e.node_ref(*n));
        match sig.output {
            Output::Scalar => e.node_ref(d.lowered.result[0]),
            Output::Array(_) => quote!([#(#items),*]),
            Output::Tuple(_) => quote!((#(#items,)*)),
        }
    };

    let name = &func.sig.ident;
    let wrt = describe_inputs(sig);
    let names = Names::new(sig, func);
    let leaves = d.leaves();
    let doc = Doc::new(&d.lowered.graph, &names, sig, &leaves);
    let mut out = TokenStream::new();
    match sig.output {
        Output::Scalar => {
            let (e, body) = d.body(&d.roots(false, true, false));
            let g = gradient(&e, d.row(&d.first, 0));
            out.extend(companion(
                func,
                format_ident!("{}_gradient", name),
                &format!(
                    "The gradient of `{name}` with respect to {wrt}.\n\n{}",
                    doc.gradient(&d.row(&d.first, 0), false)
                ),
                quote!(#gradient_type),
                quote!({ #body #g }),
            ));
            let (e, body) = d.body(&d.roots(true, true, false));
            let (v, g) = (value(&d, &e), gradient(&e, d.row(&d.first, 0)));
            out.extend(companion(
                func,
                format_ident!("{}_value_and_gradient", name),
                &format!(
                    "The value of `{name}` and its gradient with respect to {wrt}, computed \
                     together.\n\n{}",
                    doc.gradient(&d.row(&d.first, 0), true)
                ),
                quote!((#f, #gradient_type)),
                quote!({ #body (#v, #g) }),
            ));
        }
        Output::Array(_) | Output::Tuple(_) => {
            let rows = d.lowered.result.len();
            let m = proc_macro2::Literal::usize_unsuffixed(rows);
            let jac_type = quote!([[#f; #n]; #m]);
            let jacobian = |e: &Emitter| matrix(e, (0..rows).map(|r| d.row(&d.first, r)).collect());
            let all_rows: Vec<Vec<Option<NodeId>>> =
                (0..rows).map(|r| d.row(&d.first, r)).collect();
            let (e, body) = d.body(&d.roots(false, true, false));
            let j = jacobian(&e);
            out.extend(companion(
                func,
                format_ident!("{}_jacobian", name),
                &format!(
                    "The Jacobian of `{name}`: row `i` is the gradient of output `i` with respect \
                     to {wrt}.\n\n{}",
                    doc.jacobian(&all_rows, false)
                ),
                jac_type.clone(),
                quote!({ #body #j }),
            ));
            let (e, body) = d.body(&d.roots(true, true, false));
            let (v, j) = (value(&d, &e), jacobian(&e));
            let result_type = match &func.sig.output {
                syn::ReturnType::Type(_, ty) => ty.to_token_stream(),
                syn::ReturnType::Default => quote!(()),
            };
            out.extend(companion(
                func,
                format_ident!("{}_value_and_jacobian", name),
                &format!(
                    "The value of `{name}` and its Jacobian (row `i`: the gradient of output `i` \
                     with respect to {wrt}), computed together.\n\n{}",
                    doc.jacobian(&all_rows, true)
                ),
                quote!((#result_type, #jac_type)),
                quote!({ #body (#v, #j) }),
            ));
        }
    }
    if let Some(twice) = twice {
        let h = Derived::new(sig, twice, true);
        // Symmetric by construction: entry (j, i) below the diagonal is entry (i, j).
        let symmetric = |e: &Emitter| -> TokenStream {
            let upper = h.hessian();
            let n = upper.len();
            let full = (0..n)
                .map(|i| (0..n).map(|j| upper[i.min(j)][i.max(j)]).collect())
                .collect();
            matrix(e, full)
        };
        let hess_type = quote!([[#f; #n]; #n]);
        let h_leaves = h.leaves();
        let h_doc = Doc::new(&h.lowered.graph, &names, sig, &h_leaves);
        let upper = h.hessian();
        let h_gradient = h.row(&h.first, 0);
        let (e, body) = h.body(&h.roots(false, false, true));
        let hm = symmetric(&e);
        out.extend(companion(
            func,
            format_ident!("{}_hessian", name),
            &format!(
                "The Hessian of `{name}`: entry `(i, j)` is the second derivative with respect to \
                 the `i`-th and `j`-th of {wrt}. Symmetric by construction.\n\n{}",
                h_doc.hessian(None, &upper)
            ),
            hess_type.clone(),
            quote!({ #body #hm }),
        ));
        let (e, body) = h.body(&h.roots(true, true, true));
        let (v, g, hm) = (
            value(&h, &e),
            gradient(&e, h.row(&h.first, 0)),
            symmetric(&e),
        );
        out.extend(companion(
            func,
            format_ident!("{}_value_gradient_and_hessian", name),
            &format!(
                "The value of `{name}`, its gradient and its Hessian with respect to {wrt}, \
                 computed together (what Newton's method needs, and what callers differentiated \
                 twice use).\n\n{}",
                h_doc.hessian(Some(&h_gradient), &upper)
            ),
            quote!((#f, #gradient_type, #hess_type)),
            quote!({ #body (#v, #g, #hm) }),
        ));
    }
    out
}

/// "`x`, `y` (in this order)" / "`w[0]`…`w[3]`, then `b`".
fn describe_inputs(sig: &Signature) -> String {
    let parts: Vec<String> = sig
        .differentiated()
        .map(|(i, p, s)| {
            let name = p
                .name
                .as_ref()
                .map_or_else(|| format!("parameter {}", i + 1), ToString::to_string);
            match s {
                FloatShape::Scalar => format!("`{name}`"),
                FloatShape::Array(n) => {
                    format!("`{name}[0]`, …, `{name}[{}]`", n.saturating_sub(1))
                }
            }
        })
        .collect();
    if parts.len() == 1 {
        parts[0].clone()
    } else {
        format!("{} (in this order)", parts.join(", "))
    }
}

fn companion(
    func: &syn::ItemFn,
    name: syn::Ident,
    doc: &str,
    output: TokenStream,
    body: TokenStream,
) -> TokenStream {
    let vis = &func.vis;
    let mut sig = func.sig.clone();
    sig.ident = name;
    sig.output = syn::ReturnType::Type(Default::default(), Box::new(syn::Type::Verbatim(output)));
    let cfgs = func
        .attrs
        .iter()
        .filter(|a| a.path().is_ident("cfg") || a.path().is_ident("cfg_attr"));
    let doc = format!(
        "{doc}\n\nGenerated by `#[gradient]` from `{}`.",
        func.sig.ident
    );
    quote! {
        #(#cfgs)*
        #[doc = #doc]
        #[inline]
        #[must_use]
        #[allow(
            unused,
            unreachable_code,
            clippy::all,
            clippy::pedantic,
            clippy::nursery,
            clippy::restriction
        )]
        #vis #sig #body
    }
}
