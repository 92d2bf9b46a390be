//! Predicates on the user's types: which are floats, the lengths of arrays, how to name a type
//! in a message. The one place that knows what "a float" looks like in syntax.

use quote::ToTokens;
use syn::{Expr, Type};

use crate::ir::FloatTy;

/// `f64` or `f32`.
pub fn float_of(ty: &Type) -> Option<FloatTy> {
    match ty {
        Type::Path(p) if p.qself.is_none() && p.path.is_ident("f64") => Some(FloatTy::F64),
        Type::Path(p) if p.qself.is_none() && p.path.is_ident("f32") => Some(FloatTy::F32),
        Type::Paren(p) => float_of(&p.elem),
        Type::Group(g) => float_of(&g.elem),
        _ => None,
    }
}

/// Whether `ty` is the float type `float`.
pub fn is_float(ty: &Type, float: FloatTy) -> bool {
    float_of(ty) == Some(float)
}

/// The length of an array type's length expression, if it is an integer literal.
pub fn literal_len(len: &Expr) -> Option<usize> {
    match len {
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Int(n),
            ..
        }) => n.base10_parse().ok(),
        Expr::Group(g) => literal_len(&g.expr),
        Expr::Paren(p) => literal_len(&p.expr),
        _ => None,
    }
}

/// A collection whose elements are floats, so that indexing it gives one: `[f64; N]`, `[f64]`,
/// `Vec<f64>`, or a reference to one of these.
pub fn has_float_elements(ty: &Type) -> bool {
    match ty {
        Type::Array(a) => float_of(&a.elem).is_some(),
        Type::Slice(s) => float_of(&s.elem).is_some(),
        Type::Reference(r) => has_float_elements(&r.elem),
        Type::Paren(p) => has_float_elements(&p.elem),
        Type::Group(g) => has_float_elements(&g.elem),
        Type::Path(p) if p.qself.is_none() => p.path.segments.last().is_some_and(|s| {
            s.ident == "Vec"
                && matches!(&s.arguments, syn::PathArguments::AngleBracketed(a)
                    if matches!(a.args.first(), Some(syn::GenericArgument::Type(t))
                        if float_of(t).is_some()))
        }),
        _ => false,
    }
}

/// `&f64` / `&f32`.
pub fn is_float_ref(ty: &Type) -> bool {
    matches!(ty, Type::Reference(r) if float_of(&r.elem).is_some())
}

/// `f64`, `[f64; N]`, `(f64, …)` (or nested), or `_`: a type a float value may have.
pub fn is_float_like(ty: &Type) -> bool {
    match ty {
        Type::Array(a) => is_float_like(&a.elem),
        Type::Tuple(t) => !t.elems.is_empty() && t.elems.iter().all(is_float_like),
        Type::Paren(p) => is_float_like(&p.elem),
        Type::Path(_) => float_of(ty).is_some(),
        Type::Infer(_) => true,
        _ => false,
    }
}

/// `f64::sin` / `f32::max` as a callee: the type's and the function's names.
pub fn float_type_function(func: &Expr) -> Option<(String, String)> {
    let Expr::Path(p) = func else { return None };
    let segments: Vec<String> = p
        .path
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect();
    match segments.as_slice() {
        [ty, function] if ty == "f64" || ty == "f32" => Some((ty.clone(), function.clone())),
        _ => None,
    }
}

/// A type as the user wrote it, without the spaces of token printing.
pub fn type_name(ty: &Type) -> String {
    let mut s = ty.to_token_stream().to_string();
    for (from, to) in [
        (" < ", "<"),
        ("< ", "<"),
        (" >", ">"),
        (" ;", ";"),
        (" ,", ","),
        (":: ", "::"),
        (" ::", "::"),
        ("& ", "&"),
        ("( ", "("),
        (" )", ")"),
        ("[ ", "["),
        (" ]", "]"),
    ] {
        s = s.replace(from, to);
    }
    s
}
