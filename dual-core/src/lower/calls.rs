//! Calls of other differentiated functions: the chain rule through their companions.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{format_ident, quote, ToTokens};
use syn::spanned::Spanned;
use syn::{Expr, Ident, Pat, Stmt as SynStmt};

use crate::front::types::literal_len;
use crate::ir::{CallArg, CallResult, CallStmt, NodeId, Op, Shape, Stmt};

use super::env::{Binding, Val};
use super::Lower;

/// How a call of a differentiated function returns its value: decided from a `let` pattern or
/// type, or from how the variable is used afterwards.
#[derive(Clone, Copy, Debug)]
pub(super) struct CallHint {
    /// A scalar, an array or a tuple.
    pub(super) result: CallResult,
    /// The number of result entries read.
    pub(super) rows: usize,
    /// Whether the result may have more entries than are read (the pattern ends with `..`).
    pub(super) open_rows: bool,
}

impl CallHint {
    /// A call whose value is a single float.
    const SCALAR: CallHint = CallHint {
        result: CallResult::Scalar,
        rows: 1,
        open_rows: false,
    };
}

/// A float argument matched to a differentiated parameter of the callee.
struct ArgSlot {
    /// Its scalars (one for a float, N for an array).
    leaves: Vec<NodeId>,
    /// The length, for an array.
    array_len: Option<usize>,
    /// Whether any of its scalars is differentiated.
    active: bool,
}

/// The arguments of a call, lowered.
struct LoweredArgs {
    /// As the call passes them.
    call_args: Vec<CallArg>,
    /// The float arguments, in order.
    slots: Vec<ArgSlot>,
    /// For each argument of unknown type: how many float arguments come before it.
    unknown_after: Vec<usize>,
}

impl Lower {
    /// `f64::sin(x)` and the like, or a call of an annotated function.
    pub(super) fn lower_call(&mut self, c: &syn::ExprCall) -> Val {
        let whole = Expr::Call(c.clone());
        if let Some(v) = self.inline_closure_call(c) {
            return v;
        }
        if let Some(v) = self.lower_from_fn(c) {
            return v;
        }
        if let Some(v) = self.lower_float_function(c, &whole) {
            return v;
        }
        if !self.touches_active(whole.to_token_stream()) {
            return self.read(&whole);
        }
        if !matches!(&*c.func, Expr::Path(_)) {
            return self.unsupported(
                &whole,
                "calling a closure or function value with differentiated arguments",
            );
        }
        self.lower_call_expr(&whole)
    }

    /// A call of an annotated function: `g(..)` → `g_value_and_gradient(..)`, `r.g(..)` →
    /// `r.g_value_and_gradient(..)` (or `_value_and_jacobian` for a vector result).
    pub(super) fn lower_call_expr(&mut self, e: &Expr) -> Val {
        let hint = self.call_hint.take().unwrap_or(CallHint::SCALAR);
        if self.second_order && hint.result != CallResult::Scalar {
            self.error_at(
                e,
                "a Hessian cannot be taken through a call to a vector-valued function; call \
                 scalar functions (annotated with `#[gradient(hessian)]`) from a `hessian` function",
            );
            return self.poison();
        }
        let suffix = match hint.result {
            CallResult::Scalar if self.second_order => "value_gradient_and_hessian",
            CallResult::Scalar => "value_and_gradient",
            _ => "value_and_jacobian",
        };
        let (callee, args, span) = match self.companion(e, suffix) {
            Ok(parts) => parts,
            Err(v) => return v,
        };
        let lowered = match self.lower_call_args(&args) {
            Ok(lowered) => lowered,
            Err(v) => return v,
        };
        self.emit_call(callee, lowered, hint, span)
    }

    /// The companion the call goes through (the callee's name with `suffix`), its arguments and
    /// the call's span; `Err` with a poisoned value after an error.
    fn companion<'e>(
        &mut self,
        e: &'e Expr,
        suffix: &str,
    ) -> Result<(TokenStream, Vec<&'e Expr>, Span), Val> {
        match e {
            Expr::Call(c) => {
                let Expr::Path(p) = &*c.func else {
                    return Err(self
                        .unsupported(e, "calling a function value with differentiated arguments"));
                };
                let mut path = p.clone();
                let last = path.path.segments.last_mut().expect("a path has a segment");
                last.ident = format_ident!("{}_{}", last.ident, suffix, span = last.ident.span());
                Ok((
                    path.to_token_stream(),
                    c.args.iter().collect::<Vec<_>>(),
                    c.span(),
                ))
            }
            Expr::MethodCall(m) => {
                if self.touches_active(m.receiver.to_token_stream()) {
                    return Err(self.unsupported(e, "a method call on a differentiated value"));
                }
                let recv = &m.receiver;
                self.materialize(recv.to_token_stream());
                let method = format_ident!("{}_{}", m.method, suffix, span = m.method.span());
                let turbofish = &m.turbofish;
                Ok((
                    quote!(#recv.#method #turbofish),
                    m.args.iter().collect(),
                    m.span(),
                ))
            }
            _ => Err(self.unsupported(e, "this call")),
        }
    }

    /// Lowers the arguments. Each float argument is matched to a differentiated parameter of the
    /// callee, in order. Constant float arguments after the last differentiated one may or may
    /// not be differentiated by the callee (`wrt`): they are left out, and the gradient pattern
    /// ends with `..`. `Err` with a poisoned value after an error.
    fn lower_call_args(&mut self, args: &[&Expr]) -> Result<LoweredArgs, Val> {
        let mut out = LoweredArgs {
            call_args: Vec::new(),
            slots: Vec::new(),
            unknown_after: Vec::new(),
        };
        for &a in args {
            let inactive = match a {
                Expr::Path(p) => p
                    .path
                    .get_ident()
                    .and_then(|i| self.env.lookup(&i.to_string()).cloned()),
                _ => None,
            };
            let known_float = matches!(inactive, Some(Binding::Inactive { float: true, .. }))
                || self.is_float_typed(a);
            let known_array = match inactive {
                Some(Binding::Inactive { array, .. }) => array,
                _ => None,
            };
            match self.lower_expr(a) {
                v if self.is_poisoned(&v) => return Err(v),
                Val::Sym(Shape::Scalar(n)) => {
                    out.call_args.push(CallArg::Scalar(n));
                    out.slots.push(ArgSlot {
                        leaves: vec![n],
                        array_len: None,
                        active: self.g.is_active(n),
                    });
                }
                Val::Sym(Shape::Array(items))
                    if items.iter().all(|s| matches!(s, Shape::Scalar(_))) =>
                {
                    let ns: Vec<NodeId> = items.iter().flat_map(Shape::leaves).collect();
                    let active = ns.iter().any(|n| self.g.is_active(*n));
                    out.slots.push(ArgSlot {
                        leaves: ns.clone(),
                        array_len: Some(ns.len()),
                        active,
                    });
                    out.call_args.push(CallArg::Array(ns));
                }
                Val::Sym(_) => {
                    self.error_at(
                        a,
                        "only floats and arrays of floats can be passed to a differentiated \
                         function",
                    );
                    return Err(self.poison());
                }
                Val::Tokens(t) if known_float => {
                    let n = self.bind_opaque(t, a.span());
                    out.call_args.push(CallArg::Scalar(n));
                    out.slots.push(ArgSlot {
                        leaves: vec![n],
                        array_len: None,
                        active: false,
                    });
                }
                Val::Tokens(t) => {
                    if let Some(n) = known_array {
                        // An `[f64; N]` the caller does not differentiate.
                        let ns: Vec<NodeId> = (0..n)
                            .map(|j| {
                                let j = syn::Index::from(j);
                                self.bind_opaque(quote!(#t[#j]), a.span())
                            })
                            .collect();
                        out.slots.push(ArgSlot {
                            leaves: ns.clone(),
                            array_len: Some(n),
                            active: false,
                        });
                        out.call_args.push(CallArg::Array(ns));
                        continue;
                    }
                    self.materialize(t.clone());
                    out.call_args.push(CallArg::Tokens(t));
                    out.unknown_after.push(out.slots.len());
                }
            }
        }
        Ok(out)
    }

    /// The call statement, with a node per result entry, per partial derivative and (second
    /// order) per second derivative; the value is the result's nodes.
    fn emit_call(
        &mut self,
        callee: TokenStream,
        args: LoweredArgs,
        hint: CallHint,
        span: Span,
    ) -> Val {
        let LoweredArgs {
            call_args,
            mut slots,
            unknown_after,
        } = args;
        let CallHint {
            result,
            rows,
            open_rows,
        } = hint;
        let kept = slots.iter().rposition(|s| s.active).map_or(0, |i| i + 1);
        // Arguments of unknown type after the last differentiated one may be floats too.
        let open_grads = kept < slots.len() || unknown_after.iter().any(|&i| i >= kept);
        slots.truncate(kept);
        let grad_shape: Vec<Option<usize>> = slots.iter().map(|s| s.array_len).collect();
        let flat: Vec<NodeId> = slots
            .iter()
            .flat_map(|s| s.leaves.iter().copied())
            .collect();
        let call = self.g.calls;
        self.g.calls += 1;
        let grads: Vec<Vec<NodeId>> = (0..rows)
            .map(|r| {
                (0..flat.len())
                    .map(|c| self.g.call_grad(call, r as u32, c as u32, flat.clone()))
                    .collect()
            })
            .collect();
        let hessian = self.second_order.then(|| {
            (0..flat.len() as u32)
                .map(|j| {
                    (0..flat.len() as u32)
                        .map(|k| {
                            self.g.intern(
                                Op::CallHess {
                                    call,
                                    row: j,
                                    col: k,
                                },
                                span,
                            )
                        })
                        .collect()
                })
                .collect()
        });
        let stmt_index = self.g.block(self.g.cur).stmts.len();
        let outputs: Vec<NodeId> = (0..rows)
            .map(|r| {
                self.g.intern(
                    Op::Call {
                        call,
                        row: r as u32,
                        args: flat.clone(),
                    },
                    span,
                )
            })
            .collect();
        let cur = self.g.cur.0 as usize;
        self.g.blocks[cur].stmts.insert(
            stmt_index,
            Stmt::Call(CallStmt {
                callee,
                args: call_args,
                outputs: outputs.clone(),
                result,
                open_rows,
                grads,
                hessian,
                grad_shape,
                open_grads,
                span,
            }),
        );
        let leaves: Vec<Shape> = outputs.into_iter().map(Shape::Scalar).collect();
        Val::Sym(match result {
            CallResult::Scalar => leaves[0].clone(),
            CallResult::Array => Shape::Array(leaves),
            CallResult::Tuple => Shape::Tuple(leaves),
        })
    }
}

/// For `let [a, b] = g(x);`, `let (a, b) = g(x);` or `let v: [f64; 2] = g(x);`: the call returns
/// a vector and goes through `g_value_and_jacobian`.
pub(super) fn call_result_hint(pat: &Pat, ty: Option<&syn::Type>) -> Option<CallHint> {
    let closed = |result, rows| CallHint {
        result,
        rows,
        open_rows: false,
    };
    match ty {
        Some(syn::Type::Array(a)) => {
            return literal_len(&a.len).map(|n| closed(CallResult::Array, n))
        }
        Some(syn::Type::Tuple(t)) if !t.elems.is_empty() => {
            return Some(closed(CallResult::Tuple, t.elems.len()))
        }
        _ => {}
    }
    match pat {
        Pat::Slice(s) => Some(closed(CallResult::Array, s.elems.len())),
        Pat::Tuple(t) => Some(closed(CallResult::Tuple, t.elems.len())),
        _ => None,
    }
}

/// For `let v = g(x);` followed by `v[1]` or `v.1`: the call returns a vector, of which the
/// entries up to the largest one used are read (the pattern ends with `..`).
pub(super) fn usage_hint(name: &Ident, following: &[SynStmt]) -> Option<CallHint> {
    fn scan(ts: TokenStream, name: &Ident, found: &mut Option<(CallResult, usize)>) {
        let tokens: Vec<TokenTree> = ts.into_iter().collect();
        for (i, tt) in tokens.iter().enumerate() {
            match tt {
                TokenTree::Group(g) => scan(g.stream(), name, found),
                TokenTree::Ident(id) if id == name => {
                    let index = match (tokens.get(i + 1), tokens.get(i + 2)) {
                        (Some(TokenTree::Group(g)), _)
                            if g.delimiter() == proc_macro2::Delimiter::Bracket =>
                        {
                            syn::parse2::<syn::LitInt>(g.stream())
                                .ok()
                                .and_then(|l| l.base10_parse::<usize>().ok())
                                .map(|i| (CallResult::Array, i))
                        }
                        (Some(TokenTree::Punct(p)), Some(TokenTree::Literal(l)))
                            if p.as_char() == '.' =>
                        {
                            l.to_string()
                                .parse::<usize>()
                                .ok()
                                .map(|i| (CallResult::Tuple, i))
                        }
                        _ => None,
                    };
                    if let Some((kind, i)) = index {
                        let rows = found.map_or(0, |(_, r)| r).max(i + 1);
                        *found = Some((kind, rows));
                    }
                }
                _ => {}
            }
        }
    }
    let mut found = None;
    for stmt in following {
        scan(stmt.to_token_stream(), name, &mut found);
    }
    found.map(|(result, rows)| CallHint {
        result,
        rows,
        open_rows: true,
    })
}
