//! The companion functions, as one table: for each, its name suffix, what it returns (the value,
//! first derivatives, the Hessian), its summary line, and from those its signature, body and doc.
//!
//! | function                         | returns                          | when                    |
//! |----------------------------------|----------------------------------|-------------------------|
//! | `NAME_gradient`                  | gradient                         | scalar result           |
//! | `NAME_value_and_gradient`        | `(value, gradient)`              | scalar result           |
//! | `NAME_jacobian`                  | Jacobian                         | array or tuple result   |
//! | `NAME_value_and_jacobian`        | `(value, Jacobian)`              | array or tuple result   |
//! | `NAME_hessian`                   | Hessian                          | `hessian` option        |
//! | `NAME_value_gradient_and_hessian`| `(value, gradient, Hessian)`     | `hessian` option        |

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote, ToTokens};

use crate::ad::Derivative;
use crate::doc::{Doc, Names};
use crate::emit::Emitter;
use crate::front::signature::{FloatShape, Output, Signature};
use crate::ir::NodeId;
use crate::tokens::float_path;

/// The first derivatives a companion returns.
#[derive(Clone, Copy, PartialEq, Eq)]
enum FirstOrder {
    /// None (`NAME_hessian`).
    Nothing,
    /// The gradient of a scalar result.
    Gradient,
    /// The Jacobian of an array or tuple result.
    Jacobian,
}

/// One companion function.
struct Companion {
    /// Appended to the function's name: `NAME_<suffix>`.
    suffix: &'static str,
    /// Whether it returns the function's value (first in its tuple).
    value: bool,
    /// Which first derivatives it returns (after the value).
    first: FirstOrder,
    /// Whether it returns the Hessian (last), computed by the second-order lowering.
    hessian: bool,
    /// The doc's first paragraph; `{name}` is the function, `{wrt}` its differentiated inputs.
    summary: &'static str,
}

/// Companions of a function with a scalar result.
const SCALAR: [Companion; 2] = [
    Companion {
        suffix: "gradient",
        value: false,
        first: FirstOrder::Gradient,
        hessian: false,
        summary: "The gradient of `{name}` with respect to {wrt}.",
    },
    Companion {
        suffix: "value_and_gradient",
        value: true,
        first: FirstOrder::Gradient,
        hessian: false,
        summary: "The value of `{name}` and its gradient with respect to {wrt}, computed together.",
    },
];

/// Companions of a function with an array or tuple result.
const VECTOR: [Companion; 2] = [
    Companion {
        suffix: "jacobian",
        value: false,
        first: FirstOrder::Jacobian,
        hessian: false,
        summary: "The Jacobian of `{name}`: row `i` is the gradient of output `i` with respect to \
                  {wrt}.",
    },
    Companion {
        suffix: "value_and_jacobian",
        value: true,
        first: FirstOrder::Jacobian,
        hessian: false,
        summary:
            "The value of `{name}` and its Jacobian (row `i`: the gradient of output `i` with \
                  respect to {wrt}), computed together.",
    },
];

/// Companions added by the `hessian` option.
const HESSIAN: [Companion; 2] = [
    Companion {
        suffix: "hessian",
        value: false,
        first: FirstOrder::Nothing,
        hessian: true,
        summary:
            "The Hessian of `{name}`: entry `(i, j)` is the second derivative with respect to \
                  the `i`-th and `j`-th of {wrt}. Symmetric by construction.",
    },
    Companion {
        suffix: "value_gradient_and_hessian",
        value: true,
        first: FirstOrder::Gradient,
        hessian: true,
        summary: "The value of `{name}`, its gradient and its Hessian with respect to {wrt}, \
                  computed together (what Newton's method needs, and what callers differentiated \
                  twice use).",
    },
];

/// The companion functions of `func`, from its first-order derivative and, with the `hessian`
/// option, its second-order one.
pub fn companions(
    func: &syn::ItemFn,
    sig: &Signature,
    first: &Derivative,
    second: Option<&Derivative>,
) -> TokenStream {
    let names = Names::new(sig, func);
    let writer = Writer {
        func,
        sig,
        names: &names,
        wrt: describe_inputs(sig),
    };
    let table: &[Companion] = match sig.output {
        Output::Scalar => &SCALAR,
        Output::Array(_) | Output::Tuple(_) => &VECTOR,
    };
    let mut out = TokenStream::new();
    for companion in table {
        out.extend(writer.companion(companion, first));
    }
    if let Some(second) = second {
        for companion in &HESSIAN {
            out.extend(writer.companion(companion, second));
        }
    }
    out
}

/// Writes the companions of one function.
struct Writer<'a> {
    func: &'a syn::ItemFn,
    sig: &'a Signature,
    names: &'a Names,
    /// The differentiated inputs, described for the docs.
    wrt: String,
}

impl Writer<'_> {
    fn companion(&self, c: &Companion, d: &Derivative) -> TokenStream {
        let f = float_path(self.sig.float);
        let n = Literal::usize_unsuffixed(self.sig.n_inputs());
        let leaves = d.leaves();
        let doc = Doc::new(&d.lowered.graph, self.names, self.sig, &leaves);
        let jacobian = d.jacobian();
        let hessian = c.hessian.then(|| d.hessian());

        let mut roots = Vec::new();
        if c.value {
            roots.extend(&d.lowered.result);
        }
        if c.first != FirstOrder::Nothing {
            roots.extend(jacobian.iter().flatten().flatten());
        }
        if let Some(upper) = &hessian {
            for (i, row) in upper.iter().enumerate() {
                roots.extend(row.iter().skip(i).flatten());
            }
        }
        let (e, body) = self.body(d, &roots);

        let mut values = Vec::new();
        let mut types = Vec::new();
        if c.value {
            values.push(self.value(d, &e));
            types.push(match self.sig.output {
                Output::Scalar => f.clone(),
                Output::Array(_) | Output::Tuple(_) => match &self.func.sig.output {
                    syn::ReturnType::Type(_, ty) => ty.to_token_stream(),
                    syn::ReturnType::Default => quote!(()),
                },
            });
        }
        match c.first {
            FirstOrder::Nothing => {}
            FirstOrder::Gradient => {
                values.push(self.gradient(&e, d, &jacobian[0]));
                types.push(self.gradient_type());
            }
            FirstOrder::Jacobian => {
                let rows: Vec<Vec<TokenStream>> = (0..jacobian.len())
                    .map(|r| self.flat_entries(&e, d, r, &jacobian[r]))
                    .collect();
                values.push(quote!([#([#(#rows),*]),*]));
                let m = Literal::usize_unsuffixed(jacobian.len());
                types.push(quote!([[#f; #n]; #m]));
            }
        }
        if let Some(upper) = &hessian {
            // Symmetric by construction: entry (j, i) below the diagonal is entry (i, j).
            let k = upper.len();
            let full: Vec<Vec<Option<NodeId>>> = (0..k)
                .map(|i| (0..k).map(|j| upper[i.min(j)][i.max(j)]).collect())
                .collect();
            values.push(matrix(&e, &full));
            types.push(quote!([[#f; #n]; #n]));
        }
        let (result, result_type) = match (values.as_slice(), types.as_slice()) {
            ([value], [ty]) => (value.clone(), ty.clone()),
            _ => (quote!((#(#values),*)), quote!((#(#types),*))),
        };

        let formulas = match c.first {
            _ if self.rolled(d) => ROLLED_DOC.to_string(),
            _ if c.hessian => {
                let gradient = c.value.then(|| jacobian[0].clone());
                doc.hessian(gradient.as_deref(), hessian.as_ref().expect("a Hessian"))
            }
            FirstOrder::Gradient => doc.gradient(&jacobian[0], c.value),
            FirstOrder::Jacobian | FirstOrder::Nothing => doc.jacobian(&jacobian, c.value),
        };
        let name = &self.func.sig.ident;
        let summary = c
            .summary
            .replace("{name}", &name.to_string())
            .replace("{wrt}", &self.wrt);
        item(
            self.func,
            format_ident!("{}_{}", name, c.suffix),
            &format!("{summary}\n\n{formulas}"),
            result_type,
            quote!({ #body #result }),
        )
    }

    /// The emitter for these roots and the statements that compute them: the differentiated
    /// parameters bound to their leaves, then the forward code and each sweep.
    fn body<'d>(&self, d: &'d Derivative, roots: &[NodeId]) -> (Emitter<'d>, TokenStream) {
        let e = Emitter::new(&d.lowered.graph, roots);
        let mut code = e.tapes();
        code.extend(
            self.sig
                .params
                .iter()
                .enumerate()
                .filter(|(i, p)| {
                    p.differentiated && p.name.is_some() && !d.lowered.inputs[*i].is_empty()
                })
                .map(|(i, p)| {
                    let name = p.name.as_ref().expect("named").to_token_stream();
                    let array = matches!(p.float, Some(FloatShape::Array(_)));
                    e.bind_param(&name, &d.lowered.inputs[i], array)
                }),
        );
        for b in &d.program {
            code.extend(e.block(*b));
        }
        (e, code)
    }

    /// The function's value, shaped like its result.
    fn value(&self, d: &Derivative, e: &Emitter) -> TokenStream {
        let items = d.lowered.result.iter().map(|n| e.node_ref(*n));
        match self.sig.output {
            Output::Scalar => e.node_ref(d.lowered.result[0]),
            Output::Array(_) => quote!([#(#items),*]),
            Output::Tuple(_) => quote!((#(#items,)*)),
        }
    }

    /// Whether the gradient is one flat array: all differentiated parameters are scalars, or
    /// there is a single (array) one. Otherwise it is a tuple with one part per parameter.
    fn flat_gradient(&self) -> bool {
        let shapes: Vec<FloatShape> = self.sig.differentiated().map(|(_, _, s)| s).collect();
        let all_scalar = shapes.iter().all(|s| *s == FloatShape::Scalar);
        all_scalar || shapes.len() == 1
    }

    /// Whether the derivative keeps loops over arrays (its docs then show no formulas).
    fn rolled(&self, d: &Derivative) -> bool {
        self.sig.differentiated().any(|(p, _, shape)| {
            shape.in_place() || (0..d.lowered.result.len()).any(|r| d.param_adjoint(p, r).is_some())
        })
    }

    /// Row `r` of the first derivatives, one part per differentiated parameter.
    fn parts(&self, e: &Emitter, d: &Derivative, r: usize, row: &[Option<NodeId>]) -> Vec<Part> {
        let mut entries = row.iter().map(|n| entry(e, *n));
        self.sig
            .differentiated()
            .map(|(p, param, shape)| {
                let leaves: Vec<TokenStream> = match shape {
                    FloatShape::Scalar => return Part::Scalar(entries.next().expect("an entry")),
                    FloatShape::Array(n) => entries.by_ref().take(n).collect(),
                    FloatShape::ArrayN | FloatShape::Slice | FloatShape::Matrix => Vec::new(),
                };
                let (zero, len) = (e.lit(0.0), param.len.clone());
                match (d.param_adjoint(p, r), shape) {
                    (Some(a), _) => Part::Array(e.array_name(a), leaves.len()),
                    (None, FloatShape::ArrayN) => Part::Zeros(quote!([#zero; #len])),
                    (None, FloatShape::Slice) => Part::Zeros(quote!(::std::vec![#zero; #len])),
                    (None, FloatShape::Matrix) => {
                        let inner = param.inner_len.clone();
                        Part::Zeros(quote!([[#zero; #inner]; #len]))
                    }
                    (None, _) => Part::Leaves(leaves),
                }
            })
            .collect()
    }

    /// The gradient's value: `[∂x, ∂y]`, or `(∂x, [∂w0, ∂w1],)` per parameter; an array whose
    /// adjoint the loops fill is that array.
    fn gradient(&self, e: &Emitter, d: &Derivative, row: &[Option<NodeId>]) -> TokenStream {
        let parts = self.parts(e, d, 0, row);
        let all_scalar = parts.iter().all(|p| matches!(p, Part::Scalar(_)));
        let mut parts = parts.into_iter().map(Part::into_value);
        match (self.flat_gradient(), all_scalar) {
            (true, true) => quote!([#(#parts),*]),
            (true, false) => parts.next().expect("one part"),
            (false, _) => quote!((#(#parts,)*)),
        }
    }

    /// Row `r` of a Jacobian: every entry, in order (an array's elements read from its adjoint).
    fn flat_entries(
        &self,
        e: &Emitter,
        d: &Derivative,
        r: usize,
        row: &[Option<NodeId>],
    ) -> Vec<TokenStream> {
        self.parts(e, d, r, row)
            .into_iter()
            .flat_map(|part| match part {
                Part::Scalar(v) => vec![v],
                Part::Leaves(items) => items,
                Part::Array(name, n) => (0..n)
                    .map(|j| {
                        let j = Literal::usize_unsuffixed(j);
                        quote!(#name[#j])
                    })
                    .collect(),
                Part::Zeros(_) => Vec::new(),
            })
            .collect()
    }

    /// The gradient's type: `[f64; N]`, or a tuple with one part per parameter.
    fn gradient_type(&self) -> TokenStream {
        let f = float_path(self.sig.float);
        let array = |p: &crate::front::signature::Param, shape: FloatShape| match shape {
            FloatShape::Scalar => quote!(#f),
            FloatShape::Array(_) | FloatShape::ArrayN => {
                let len = &p.len;
                quote!([#f; #len])
            }
            FloatShape::Slice => quote!(::std::vec::Vec<#f>),
            FloatShape::Matrix => {
                let (len, inner) = (&p.len, &p.inner_len);
                quote!([[#f; #inner]; #len])
            }
        };
        if self.flat_gradient() {
            let mut diff = self.sig.differentiated();
            if let (Some((_, p, shape)), None) = (diff.next(), diff.next()) {
                if shape.in_place() {
                    return array(p, shape);
                }
            }
            let n = Literal::usize_unsuffixed(self.sig.n_inputs());
            return quote!([#f; #n]);
        }
        let parts = self
            .sig
            .differentiated()
            .map(|(_, p, shape)| array(p, shape));
        quote!((#(#parts,)*))
    }
}

/// One parameter's part of a gradient row.
enum Part {
    /// A scalar's entry.
    Scalar(TokenStream),
    /// An array's entries, one per element.
    Leaves(Vec<TokenStream>),
    /// An array whose adjoint array holds its entries (its name and literal length, 0 if none).
    Array(TokenStream, usize),
    /// An array none of whose elements the result depends on.
    Zeros(TokenStream),
}

impl Part {
    /// The part as a value: the entry, `[a, b]`, the adjoint array, zeros.
    fn into_value(self) -> TokenStream {
        match self {
            Part::Scalar(v) => v,
            Part::Leaves(items) => quote!([#(#items),*]),
            Part::Array(name, _) => name,
            Part::Zeros(zeros) => zeros,
        }
    }
}

/// The docs of a derivative computed by loops over arrays.
const ROLLED_DOC: &str = "Computed by loops over the arrays, as the function's own loops run: \
                          the forward loops, then backward loops that accumulate the gradient \
                          into arrays. No formula is shown.";

/// A derivative entry: its node, or zero.
fn entry(e: &Emitter, n: Option<NodeId>) -> TokenStream {
    n.map_or_else(|| e.lit(0.0), |n| e.node_ref(n))
}

/// `[[a, b], [c, d]]`.
fn matrix(e: &Emitter, rows: &[Vec<Option<NodeId>>]) -> TokenStream {
    let rows = rows.iter().map(|row| {
        let items = row.iter().map(|n| entry(e, *n));
        quote!([#(#items),*])
    });
    quote!([#(#rows),*])
}

/// "`x`, `y` (in this order)" / "`w[0]`, …, `w[3]`, then `b`".
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
                FloatShape::ArrayN | FloatShape::Slice | FloatShape::Matrix => {
                    format!("the elements of `{name}`")
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

/// One companion item: the function's signature with another name and result type, its `cfg`s,
/// a doc comment, and attributes that keep the generated code free of warnings.
fn item(
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
