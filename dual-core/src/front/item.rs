//! The annotated item: read as a function, or a spanned error that says what it is instead.

use proc_macro2::{Span, TokenStream};
use syn::spanned::Spanned;

use crate::diag::Diagnostics;
use crate::front::limits;

/// Reads the item as a function with a body, reporting what keeps it from being one (too deeply
/// nested input, another kind of item) and what of its signature cannot be differentiated
/// (`async`, variadic). `None` when there is no function to go on with.
pub fn read_function(item: &TokenStream, diag: &mut Diagnostics) -> Option<syn::ItemFn> {
    // Before syn parses (and recurses into) the item.
    if let Err(e) = limits::check(item) {
        diag.push(e);
        return None;
    }
    let func: syn::ItemFn = match syn::parse2(item.clone()) {
        Ok(f) => f,
        Err(e) => {
            diag.push(not_a_function(item.clone(), e));
            return None;
        }
    };
    if let Some(a) = &func.sig.asyncness {
        diag.error(
            a.span(),
            "`#[gradient]` cannot differentiate an `async fn`; apply it to an ordinary \
             (synchronous) function",
        );
    }
    if let Some(v) = &func.sig.variadic {
        diag.error(v.span(), "variadic functions cannot be differentiated");
    }
    Some(func)
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
