//! What the signature of the annotated function says: which parameters are differentiated, their
//! shapes, and the shape of the result.

use proc_macro2::Span;
use quote::ToTokens;
use syn::spanned::Spanned;
use syn::{FnArg, Ident, Pat, ReturnType, Type};

use crate::diag::Diagnostics;
use crate::front::options::Options;
use crate::front::types::{float_of, is_float, literal_len, type_name};
use crate::ir::FloatTy;

/// The shape of a float value in a signature.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum FloatShape {
    /// `f64`
    Scalar,
    /// `[f64; N]` with a literal `N`.
    Array(usize),
    /// `[f64; N]` whose length the macro does not see (a constant, a const generic parameter, an
    /// expression of those), or `&[f64; N]` named in `wrt`: an array of the IR, read in place.
    ArrayN,
    /// `&[f64]` or `&Vec<f64>` named in `wrt`: an array of the IR whose length is known at run
    /// time; its gradient is a `Vec<f64>` of the same length.
    Slice,
    /// `[[f64; C]; R]` (a matrix), by value or as `&[[f64; C]; R]` named in `wrt`: an array of
    /// arrays of the IR; its gradient has the same type.
    Matrix,
}

impl FloatShape {
    /// Whether the parameter is an array of the IR, read in place (no scalar leaves).
    pub fn in_place(self) -> bool {
        matches!(
            self,
            FloatShape::ArrayN | FloatShape::Slice | FloatShape::Matrix
        )
    }
}

/// One parameter of the annotated function.
#[derive(Clone, Debug)]
pub struct Param {
    /// The binding name, when the pattern is a plain identifier.
    pub name: Option<Ident>,
    /// Whether the binding is `mut`.
    pub mutable: bool,
    /// `Some` when the parameter's type is `f64` or `[f64; N]`.
    pub float: Option<FloatShape>,
    /// Whether the gradient is taken with respect to this parameter.
    pub differentiated: bool,
    /// For an array, its length as written (for a slice, `name.len()`).
    pub len: Option<proc_macro2::TokenStream>,
    /// For a matrix, the length of its rows as written.
    pub inner_len: Option<proc_macro2::TokenStream>,
    /// The parameter's type as written, for errors about it.
    pub ty: proc_macro2::TokenStream,
}

/// The shape of the result.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Output {
    /// `-> f64`
    Scalar,
    /// `-> [f64; M]`
    Array(usize),
    /// `-> (f64, …)` with M entries
    Tuple(usize),
}

impl Output {
    /// Number of scalar outputs.
    pub fn scalars(self) -> usize {
        match self {
            Output::Scalar => 1,
            Output::Array(m) | Output::Tuple(m) => m,
        }
    }
}

/// The analysed signature.
#[derive(Clone, Debug)]
pub struct Signature {
    /// The parameters, receiver excluded.
    pub params: Vec<Param>,
    /// The result shape.
    pub output: Output,
    /// The float type of the function (that of its result).
    pub float: FloatTy,
}

impl Signature {
    /// The differentiated parameters, in parameter order, with their shapes.
    pub fn differentiated(&self) -> impl Iterator<Item = (usize, &Param, FloatShape)> {
        self.params
            .iter()
            .enumerate()
            .filter(|(_, p)| p.differentiated)
            .map(|(i, p)| (i, p, p.float.expect("differentiated params are floats")))
    }

    /// Number of differentiated scalars, arrays flattened.
    pub fn n_inputs(&self) -> usize {
        self.differentiated()
            .map(|(_, _, s)| match s {
                FloatShape::Scalar => 1,
                FloatShape::Array(n) => n,
                FloatShape::ArrayN | FloatShape::Slice | FloatShape::Matrix => 0,
            })
            .sum()
    }
}

/// The float type of a result type: `f32` when it is made of `f32`, else `f64`.
fn result_float(ty: &Type) -> FloatTy {
    match ty {
        Type::Array(a) => result_float(&a.elem),
        Type::Tuple(t) => t.elems.first().map_or(FloatTy::F64, result_float),
        Type::Paren(p) => result_float(&p.elem),
        _ => float_of(ty).unwrap_or(FloatTy::F64),
    }
}

/// Classifies a type: `Ok(Some(shape))` for `f64` / `[f64; N]`, `Ok(None)` for anything else, and
/// an error for a float array whose length is not a literal.
fn float_shape(ty: &Type, float: FloatTy) -> Result<Option<FloatShape>, String> {
    if is_float(ty, float) {
        return Ok(Some(FloatShape::Scalar));
    }
    if let Type::Array(a) = ty {
        if is_float(&a.elem, float) {
            return Ok(Some(match literal_len(&a.len) {
                Some(n) => FloatShape::Array(n),
                None => FloatShape::ArrayN,
            }));
        }
        if matches!(&*a.elem, Type::Array(row) if is_float(&row.elem, float)) {
            return Ok(Some(FloatShape::Matrix));
        }
    }
    Ok(None)
}

/// The length of the rows of `[[f64; C]; R]`.
fn inner_length(ty: &Type) -> Option<proc_macro2::TokenStream> {
    match ty {
        Type::Array(a) => match &*a.elem {
            Type::Array(row) => Some(row.len.to_token_stream()),
            _ => None,
        },
        _ => None,
    }
}

/// `&[f64; N]` (an array read in place, its length) or `&[f64]` / `&Vec<f64>` (a slice).
fn reference_shape(
    ty: &Type,
    float: FloatTy,
) -> Option<(FloatShape, Option<proc_macro2::TokenStream>)> {
    let Type::Reference(r) = ty else { return None };
    if r.mutability.is_some() {
        return None;
    }
    match &*r.elem {
        Type::Array(a) if is_float(&a.elem, float) => {
            Some((FloatShape::ArrayN, Some(a.len.to_token_stream())))
        }
        Type::Array(a) if matches!(&*a.elem, Type::Array(row) if is_float(&row.elem, float)) => {
            Some((FloatShape::Matrix, Some(a.len.to_token_stream())))
        }
        Type::Slice(s) if is_float(&s.elem, float) => Some((FloatShape::Slice, None)),
        Type::Path(p) => {
            let last = p.path.segments.last()?;
            let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
                return None;
            };
            match args.args.first() {
                Some(syn::GenericArgument::Type(t))
                    if last.ident == "Vec" && is_float(t, float) =>
                {
                    Some((FloatShape::Slice, None))
                }
                _ => None,
            }
        }
        _ => None,
    }
}

/// Analyses the signature, reporting every problem.
pub fn analyse(
    sig: &syn::Signature,
    options: &Options,
    diag: &mut Diagnostics,
) -> Option<Signature> {
    let float = match &sig.output {
        ReturnType::Type(_, ty) => result_float(ty),
        ReturnType::Default => FloatTy::F64,
    };
    let mut ok = true;
    let mut params = read_params(sig, options, float, diag, &mut ok);
    mark_differentiated(&mut params, sig, options, diag, &mut ok);
    if ok && !params.iter().any(|p| p.differentiated) {
        diag.push(syn::Error::new(
            sig.paren_token.span.join(),
            format!(
                "`{}` has no parameter of type `{float}` or `[{float}; N]` to differentiate with respect to",
                sig.ident,
                float = float.name()
            ),
        ));
        ok = false;
    }
    let output = read_output(sig, float, diag)?;
    ok.then_some(Signature {
        params,
        output,
        float,
    })
}

/// The parameters (receiver excluded), with their float shapes; a parameter that would be
/// differentiated but has the other float type, or an array type that cannot be, is an error
/// (then `ok` becomes false).
fn read_params(
    sig: &syn::Signature,
    options: &Options,
    float: FloatTy,
    diag: &mut Diagnostics,
    ok: &mut bool,
) -> Vec<Param> {
    let other = match float {
        FloatTy::F64 => FloatTy::F32,
        FloatTy::F32 => FloatTy::F64,
    };
    let mut params = Vec::new();
    for input in &sig.inputs {
        let FnArg::Typed(pt) = input else { continue };
        let (name, mutable) = match &*pt.pat {
            Pat::Ident(pi) if pi.subpat.is_none() && pi.by_ref.is_none() => {
                (Some(pi.ident.clone()), pi.mutability.is_some())
            }
            _ => (None, false),
        };
        let named = options
            .wrt
            .as_ref()
            .is_none_or(|w| name.as_ref().is_some_and(|n| w.contains(n)));
        if named && matches!(float_shape(&pt.ty, other), Ok(Some(_)) | Err(_)) {
            diag.push(syn::Error::new_spanned(
                &pt.ty,
                format!(
                    "this parameter is `{}` but the function's result is `{}`: a `#[gradient]` \
                     function is all-`f64` or all-`f32`; convert inside the body, or leave the \
                     parameter out with `wrt(...)`",
                    other.name(),
                    float.name()
                ),
            ));
            *ok = false;
        }
        let mut shape = match float_shape(&pt.ty, float) {
            Ok(shape) => shape,
            Err(msg) => {
                if named {
                    diag.push(syn::Error::new(pt.ty.span(), msg));
                    *ok = false;
                }
                None
            }
        };
        let mut len = match &*pt.ty {
            Type::Array(a) => Some(a.len.to_token_stream()),
            _ => None,
        };
        let mut inner_len = inner_length(&pt.ty);
        // A reference is data unless `wrt` names it.
        let in_wrt = options
            .wrt
            .as_ref()
            .is_some_and(|w| name.as_ref().is_some_and(|n| w.contains(n)));
        if let (true, Some((by_ref, ref_len))) = (in_wrt, reference_shape(&pt.ty, float)) {
            shape = Some(by_ref);
            if let Type::Reference(r) = &*pt.ty {
                inner_len = inner_length(&r.elem);
            }
            len = Some(match (ref_len, &name) {
                (Some(l), _) => l,
                (None, Some(n)) => quote::quote!(#n.len()),
                (None, None) => quote::quote!(0),
            });
        }
        params.push(Param {
            name,
            mutable,
            float: shape,
            differentiated: false,
            len,
            inner_len,
            ty: pt.ty.to_token_stream(),
        });
    }
    params
}

/// Marks the differentiated parameters: every float one, or those `wrt` names (each named
/// once, and a float parameter).
fn mark_differentiated(
    params: &mut [Param],
    sig: &syn::Signature,
    options: &Options,
    diag: &mut Diagnostics,
    ok: &mut bool,
) {
    match &options.wrt {
        None => params
            .iter_mut()
            .for_each(|p| p.differentiated = p.float.is_some()),
        Some(names) => {
            for (i, wanted) in names.iter().enumerate() {
                if names[..i].contains(wanted) {
                    diag.push(syn::Error::new(
                        wanted.span(),
                        format!("`{wanted}` is named twice in `wrt`"),
                    ));
                    *ok = false;
                    continue;
                }
                match params.iter_mut().find(|p| p.name.as_ref() == Some(wanted)) {
                    Some(p) if p.float.is_some() => p.differentiated = true,
                    Some(_) => {
                        diag.push(syn::Error::new(
                            wanted.span(),
                            format!(
                                "`wrt` names `{wanted}`, which is not of type `f64`, `[f64; N]`, \
                                 `&[f64; N]`, `&[f64]` or `&Vec<f64>`; only those parameters can be \
                                 differentiated"
                            ),
                        ));
                        *ok = false;
                    }
                    None => {
                        let known: Vec<String> = params
                            .iter()
                            .filter(|p| p.float.is_some())
                            .filter_map(|p| p.name.as_ref().map(|n| format!("`{n}`")))
                            .collect();
                        diag.push(syn::Error::new(
                            wanted.span(),
                            format!(
                                "`wrt` names `{wanted}`, which is not a parameter of `{}`; \
                                 the float parameters are: {}",
                                sig.ident,
                                if known.is_empty() {
                                    "none".into()
                                } else {
                                    known.join(", ")
                                }
                            ),
                        ));
                        *ok = false;
                    }
                }
            }
        }
    }
}

/// The shape of the result, or an error if it is not a float, an array or a tuple of floats.
fn read_output(sig: &syn::Signature, float: FloatTy, diag: &mut Diagnostics) -> Option<Output> {
    match &sig.output {
        ReturnType::Default => {
            diag.push(syn::Error::new(
                sig.ident.span(),
                format!(
                    "`{}` returns nothing; a `#[gradient]` function returns `f64` (for a \
                     gradient), or `[f64; M]` or a tuple of `f64` (for a Jacobian)",
                    sig.ident
                ),
            ));
            None
        }
        ReturnType::Type(_, ty) => output_shape(ty, float).or_else(|| {
            diag.push(syn::Error::new_spanned(
                ty,
                format!(
                    "unsupported return type `{}`; a `#[gradient]` function returns `f64` (for a \
                     gradient), or `[f64; M]` with a literal M or a tuple of `f64` (for a Jacobian)",
                    type_name(ty)
                ),
            ));
            None
        }),
    }
}

fn output_shape(ty: &Type, float: FloatTy) -> Option<Output> {
    match ty {
        _ if is_float(ty, float) => Some(Output::Scalar),
        Type::Array(a) if is_float(&a.elem, float) => literal_len(&a.len).map(Output::Array),
        Type::Tuple(t) if !t.elems.is_empty() && t.elems.iter().all(|e| is_float(e, float)) => {
            Some(Output::Tuple(t.elems.len()))
        }
        Type::Paren(p) => output_shape(&p.elem, float),
        _ => None,
    }
}

/// Span of the whole signature, for errors about it.
pub fn span_of(sig: &syn::Signature) -> Span {
    sig.ident.span()
}
