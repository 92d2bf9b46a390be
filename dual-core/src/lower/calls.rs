//! Calls of other differentiated functions: the chain rule through their companions.

use proc_macro2::{TokenStream, TokenTree};
use quote::{format_ident, quote, ToTokens};
use syn::spanned::Spanned;
use syn::{Expr, Ident, Pat, Stmt as SynStmt};

use crate::ir::{CallArg, CallResult, CallStmt, NodeId, Op, Shape, Stmt};
use crate::signature::literal_len;

use super::env::{Binding, Val};
use super::Lower;

impl Lower {
    /// A call of an annotated function: `g(..)` → `g_value_and_gradient(..)`, `r.g(..)` →
    /// `r.g_value_and_gradient(..)` (or `_value_and_jacobian` for a vector result).
    pub(super) fn lower_call_expr(&mut self, e: &Expr) -> Val {
        let (result, rows, open_rows) =
            self.call_hint
                .take()
                .unwrap_or((CallResult::Scalar, 1, false));
        if self.second_order && result != CallResult::Scalar {
            self.error_at(
                e,
                "a Hessian cannot be taken through a call to a vector-valued function; call \
                 scalar functions (annotated with `#[gradient(hessian)]`) from a `hessian` function",
            );
            return self.poison();
        }
        let suffix = match result {
            CallResult::Scalar if self.second_order => "value_gradient_and_hessian",
            CallResult::Scalar => "value_and_gradient",
            _ => "value_and_jacobian",
        };
        let (callee, args, span) = match e {
            Expr::Call(c) => {
                let Expr::Path(p) = &*c.func else {
                    return self
                        .unsupported(e, "calling a function value with differentiated arguments");
                };
                let mut path = p.clone();
                let last = path.path.segments.last_mut().expect("a path has a segment");
                last.ident = format_ident!("{}_{}", last.ident, suffix, span = last.ident.span());
                (
                    path.to_token_stream(),
                    c.args.iter().collect::<Vec<_>>(),
                    c.span(),
                )
            }
            Expr::MethodCall(m) => {
                if self.touches_active(m.receiver.to_token_stream()) {
                    return self.unsupported(e, "a method call on a differentiated value");
                }
                let recv = &m.receiver;
                self.materialize(recv.to_token_stream());
                let method = format_ident!("{}_{}", m.method, suffix, span = m.method.span());
                let turbofish = &m.turbofish;
                (
                    quote!(#recv.#method #turbofish),
                    m.args.iter().collect(),
                    m.span(),
                )
            }
            _ => return self.unsupported(e, "this call"),
        };
        // Each float argument is matched to a differentiated parameter of the callee, in order.
        // Constant float arguments after the last differentiated one may or may not be
        // differentiated by the callee (`wrt`): they are left out, and the gradient pattern ends
        // with `..`.
        let mut call_args = Vec::new();
        let mut slots: Vec<(Vec<NodeId>, Option<usize>, bool)> = Vec::new(); // leaves, shape, active
        let mut unknown_after = Vec::new();
        for a in args {
            let real = match a {
                Expr::Path(p) => p
                    .path
                    .get_ident()
                    .and_then(|i| self.env.lookup(&i.to_string()).cloned()),
                _ => None,
            };
            let known_float = matches!(real, Some(Binding::Inactive { float: true, .. }))
                || self.is_float_typed(a);
            let known_array = match real {
                Some(Binding::Inactive { array, .. }) => array,
                _ => None,
            };
            match self.lower_expr(a) {
                v if self.is_poisoned(&v) => return v,
                Val::Sym(Shape::Scalar(n)) => {
                    call_args.push(CallArg::Scalar(n));
                    slots.push((vec![n], None, self.g.is_active(n)));
                }
                Val::Sym(Shape::Array(items))
                    if items.iter().all(|s| matches!(s, Shape::Scalar(_))) =>
                {
                    let ns: Vec<NodeId> = items.iter().flat_map(Shape::leaves).collect();
                    let active = ns.iter().any(|n| self.g.is_active(*n));
                    slots.push((ns.clone(), Some(ns.len()), active));
                    call_args.push(CallArg::Array(ns));
                }
                Val::Sym(_) => {
                    self.error_at(
                        a,
                        "only floats and arrays of floats can be passed to a differentiated \
                         function",
                    );
                    return self.poison();
                }
                Val::Tokens(t) if known_float => {
                    let n = self.bind_opaque(t, a.span());
                    call_args.push(CallArg::Scalar(n));
                    slots.push((vec![n], None, false));
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
                        slots.push((ns.clone(), Some(n), false));
                        call_args.push(CallArg::Array(ns));
                        continue;
                    }
                    self.materialize(t.clone());
                    call_args.push(CallArg::Tokens(t));
                    unknown_after.push(slots.len());
                }
            }
        }
        let kept = slots
            .iter()
            .rposition(|(_, _, active)| *active)
            .map_or(0, |i| i + 1);
        // Arguments of unknown type after the last differentiated one may be floats too.
        let open_grads = kept < slots.len() || unknown_after.iter().any(|&i| i >= kept);
        slots.truncate(kept);
        let grad_shape: Vec<Option<usize>> = slots.iter().map(|(_, shape, _)| *shape).collect();
        let flat: Vec<NodeId> = slots
            .iter()
            .flat_map(|(ns, _, _)| ns.iter().copied())
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

    // ---------------------------------------------------------------- blocks and branches
}

/// For `let [a, b] = g(x);`, `let (a, b) = g(x);` or `let v: [f64; 2] = g(x);`: the call returns
/// a vector and goes through `g_value_and_jacobian`.
pub(super) fn call_result_hint(
    pat: &Pat,
    ty: Option<&syn::Type>,
) -> Option<(CallResult, usize, bool)> {
    match ty {
        Some(syn::Type::Array(a)) => {
            return literal_len(&a.len).map(|n| (CallResult::Array, n, false))
        }
        Some(syn::Type::Tuple(t)) if !t.elems.is_empty() => {
            return Some((CallResult::Tuple, t.elems.len(), false))
        }
        _ => {}
    }
    match pat {
        Pat::Slice(s) => Some((CallResult::Array, s.elems.len(), false)),
        Pat::Tuple(t) => Some((CallResult::Tuple, t.elems.len(), false)),
        _ => None,
    }
}

/// For `let v = g(x);` followed by `v[1]` or `v.1`: the call returns a vector, of which the
/// entries up to the largest one used are read (the pattern ends with `..`).
pub(super) fn usage_hint(name: &Ident, following: &[SynStmt]) -> Option<(CallResult, usize, bool)> {
    pub(super) fn scan(ts: TokenStream, name: &Ident, found: &mut Option<(CallResult, usize)>) {
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
    found.map(|(kind, rows)| (kind, rows, true))
}
