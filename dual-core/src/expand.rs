//! The pipeline: parse → analyse → lower → differentiate → emit, and the companion functions.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, ToTokens};
use syn::spanned::Spanned;

use crate::diff::{reverse, Reverse};
use crate::emit::Emitter;
use crate::ir::NodeId;
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
        Ok(Ok(companions)) => quote!(#item #companions),
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
    if let Some(c) = &sig.constness {
        errors.push(syn::Error::new(
            c.span(),
            "`#[gradient]` on a `const fn` is not supported yet; remove `const` for now",
        ));
    }
    if let Some(span) = options.hessian {
        errors.push(syn::Error::new(
            span,
            "the `hessian` option is not supported yet; only gradients and Jacobians are \
             generated for now",
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
    match lower(&analysed, sig, &func.block) {
        Ok(lowered) if errors.is_empty() => Ok(companions(&func, &analysed, lowered)),
        Ok(_) => Err(errors),
        Err(mut body_errors) => {
            errors.append(&mut body_errors);
            Err(errors)
        }
    }
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

/// The companion functions of a function whose body lowered without error.
fn companions(func: &syn::ItemFn, sig: &Signature, mut lowered: Lowered) -> TokenStream {
    let Reverse { block, adjoints } = reverse(&mut lowered.graph, &lowered.result);
    let rows = lowered.result.len();
    let g = &lowered.graph;

    // Gradient entries per row, per differentiated parameter.
    let entry = |e: &Emitter, leaf: NodeId, row: usize| -> TokenStream {
        match adjoints.get(&(leaf, row as u32)) {
            Some(&a) => e.node_ref(a),
            None => quote!(0f64),
        }
    };
    let diff_params: Vec<(usize, FloatShape)> =
        sig.differentiated().map(|(i, _, s)| (i, s)).collect();
    let all_scalar = diff_params.iter().all(|(_, s)| *s == FloatShape::Scalar);
    let single_array = diff_params.len() == 1 && !all_scalar;
    let n = sig.n_inputs();

    let gradient_of_row = |e: &Emitter, row: usize| -> TokenStream {
        if all_scalar || single_array {
            let items = diff_params
                .iter()
                .flat_map(|(p, _)| lowered.inputs[*p].iter())
                .map(|leaf| entry(e, *leaf, row));
            quote!([#(#items),*])
        } else {
            let parts = diff_params.iter().map(|(p, shape)| {
                let items: Vec<TokenStream> = lowered.inputs[*p]
                    .iter()
                    .map(|leaf| entry(e, *leaf, row))
                    .collect();
                match shape {
                    FloatShape::Scalar => items[0].clone(),
                    FloatShape::Array(_) => quote!([#(#items),*]),
                }
            });
            quote!((#(#parts,)*))
        }
    };
    let gradient_type = if all_scalar || single_array {
        let n = proc_macro2::Literal::usize_unsuffixed(n);
        quote!([f64; #n])
    } else {
        let parts = diff_params.iter().map(|(_, shape)| match shape {
            FloatShape::Scalar => quote!(f64),
            FloatShape::Array(len) => {
                let len = proc_macro2::Literal::usize_unsuffixed(*len);
                quote!([f64; #len])
            }
        });
        quote!((#(#parts,)*))
    };
    let jacobian_of = |e: &Emitter| -> TokenStream {
        let rows = (0..rows).map(|r| {
            let items = diff_params
                .iter()
                .flat_map(|(p, _)| lowered.inputs[*p].iter())
                .map(|leaf| entry(e, *leaf, r));
            quote!([#(#items),*])
        });
        quote!([#(#rows),*])
    };

    // The differentiated leaves each companion needs, by row.
    let grad_roots: Vec<NodeId> = diff_params
        .iter()
        .flat_map(|(p, _)| lowered.inputs[*p].iter())
        .flat_map(|leaf| (0..rows).filter_map(|r| adjoints.get(&(*leaf, r as u32)).copied()))
        .collect();

    let body = |with_value: bool| -> (Emitter, TokenStream) {
        let mut roots = grad_roots.clone();
        if with_value {
            roots.extend(&lowered.result);
        }
        let e = Emitter::new(g, &roots);
        let params = sig
            .params
            .iter()
            .enumerate()
            .filter(|(i, p)| p.differentiated && !lowered.inputs[*i].is_empty() && p.name.is_some())
            .map(|(i, p)| {
                let name = p.name.as_ref().expect("named").to_token_stream();
                e.bind_param(
                    &name,
                    &lowered.inputs[i],
                    matches!(p.float, Some(FloatShape::Array(_))),
                )
            })
            .collect::<TokenStream>();
        let forward = e.block(crate::ir::BlockId(0));
        let backward = e.block(block);
        (e, quote!(#params #forward #backward))
    };
    let value_of = |e: &Emitter| -> TokenStream {
        let items = lowered.result.iter().map(|n| e.node_ref(*n));
        match sig.output {
            Output::Scalar => e.node_ref(lowered.result[0]),
            Output::Array(_) => quote!([#(#items),*]),
            Output::Tuple(_) => quote!((#(#items,)*)),
        }
    };

    let name = &func.sig.ident;
    let wrt = describe_inputs(sig);
    let result_type = match &func.sig.output {
        syn::ReturnType::Type(_, ty) => ty.to_token_stream(),
        syn::ReturnType::Default => quote!(()),
    };
    let n_lit = proc_macro2::Literal::usize_unsuffixed(n);
    let m_lit = proc_macro2::Literal::usize_unsuffixed(rows);
    let (plain, with_value) = match sig.output {
        Output::Scalar => {
            let (e1, b1) = body(false);
            let g1 = gradient_of_row(&e1, 0);
            let (e2, b2) = body(true);
            let (v2, g2) = (value_of(&e2), gradient_of_row(&e2, 0));
            (
                companion(
                    func,
                    format_ident!("{}_gradient", name),
                    &format!("The gradient of `{name}` with respect to {wrt}."),
                    quote!(#gradient_type),
                    quote!({ #b1 #g1 }),
                ),
                companion(
                    func,
                    format_ident!("{}_value_and_gradient", name),
                    &format!(
                        "The value of `{name}` and its gradient with respect to {wrt}, computed together."
                    ),
                    quote!((f64, #gradient_type)),
                    quote!({ #b2 (#v2, #g2) }),
                ),
            )
        }
        Output::Array(_) | Output::Tuple(_) => {
            let (e1, b1) = body(false);
            let j1 = jacobian_of(&e1);
            let (e2, b2) = body(true);
            let (v2, j2) = (value_of(&e2), jacobian_of(&e2));
            let jac_type = quote!([[f64; #n_lit]; #m_lit]);
            (
                companion(
                    func,
                    format_ident!("{}_jacobian", name),
                    &format!(
                        "The Jacobian of `{name}`: row `i` is the gradient of output `i` with \
                         respect to {wrt}."
                    ),
                    jac_type.clone(),
                    quote!({ #b1 #j1 }),
                ),
                companion(
                    func,
                    format_ident!("{}_value_and_jacobian", name),
                    &format!(
                        "The value of `{name}` and its Jacobian (row `i`: the gradient of output \
                         `i` with respect to {wrt}), computed together."
                    ),
                    quote!((#result_type, #jac_type)),
                    quote!({ #b2 (#v2, #j2) }),
                ),
            )
        }
    };
    quote!(#plain #with_value)
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
    sig.output = syn::parse_quote!(-> #output);
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
