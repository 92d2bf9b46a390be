//! The tokens of generated code that both the lowering (which re-emits the user's inactive
//! statements around generated locals) and emission write: hygienic local names, the float type's
//! path, float literals.

use proc_macro2::{Delimiter, Group, Ident, Literal, Punct, Spacing, Span, TokenStream, TokenTree};
use quote::quote;

use crate::ir::{FloatTy, SlotId};

/// The name of a generated local: `__t3` for node 3, `__c1` for condition slot 1, and so on.
/// Mixed-site hygiene keeps these invisible to user code.
pub fn local_ident(kind: char, index: u32) -> Ident {
    Ident::new(&format!("__{kind}{index}"), Span::mixed_site())
}

/// The name of a slot's local (`kind` is `c` for conditions, `k` for integers, `v` for values,
/// `i` for indices).
pub fn slot_ident(kind: char, slot: SlotId) -> Ident {
    local_ident(kind, slot.0)
}

/// The float type, as an absolute path that user code cannot shadow.
pub fn float_path(float: FloatTy) -> TokenStream {
    match float {
        FloatTy::F64 => quote!(::core::primitive::f64),
        FloatTy::F32 => quote!(::core::primitive::f32),
    }
}

/// The tokens with their location moved to `span` (name resolution unchanged).
pub fn located_at(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut tt| {
            if let TokenTree::Group(g) = &tt {
                let mut group = Group::new(g.delimiter(), located_at(g.stream(), span));
                group.set_span(g.span().located_at(span));
                tt = TokenTree::Group(group);
            } else {
                tt.set_span(tt.span().located_at(span));
            }
            tt
        })
        .collect()
}

/// A float constant of type `float` as an expression.
pub fn float_literal(v: f64, float: FloatTy) -> TokenStream {
    float_literal_at(v, float, Span::call_site())
}

/// [`float_literal`] with every token at `span`.
pub fn float_literal_at(v: f64, float: FloatTy, span: Span) -> TokenStream {
    if !v.is_finite() {
        let path = float_path(float);
        let name = if v.is_nan() {
            quote!(NAN)
        } else if v > 0.0 {
            quote!(INFINITY)
        } else {
            quote!(NEG_INFINITY)
        };
        return located_at(quote!(#path::#name), span);
    }
    let mut lit = match float {
        FloatTy::F64 => Literal::f64_suffixed(v.abs()),
        FloatTy::F32 => Literal::f32_suffixed(v.abs() as f32),
    };
    lit.set_span(span);
    if v.is_sign_negative() {
        let mut minus = Punct::new('-', Spacing::Alone);
        minus.set_span(span);
        let mut group = Group::new(
            Delimiter::Parenthesis,
            [TokenTree::from(minus), lit.into()].into_iter().collect(),
        );
        group.set_span(span);
        TokenTree::from(group).into()
    } else {
        TokenTree::from(lit).into()
    }
}
