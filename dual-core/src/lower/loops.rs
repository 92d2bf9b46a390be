//! Loops over differentiated values: unrolled when the trip count is known at compile time,
//! otherwise one run-time loop that carries, next to each value, its partial derivatives (sums
//! accumulate the gradient of their increments; other values propagate forward tangents).

use proc_macro2::Span;
use quote::{quote, ToTokens};
use syn::spanned::Spanned;
use syn::{Expr, Ident, Pat};

use crate::ir::{BoolVal, LoopHeader, NodeId, Shape, Stmt};

use super::branches::negate;
use super::env::{Binding, LoopItem, RefElement, Ret, Val, Var};
use super::syntax::{contains_return, find_labelled_jump, pattern_idents};
use super::Lower;

/// The most iterations a loop is unrolled to (for a Hessian; first derivatives keep longer
/// loops loops).
const MAX_UNROLL: usize = 4096;

/// How a `for` loop's iterations are known.
enum Trip {
    /// Counters of a range with constant bounds.
    Counters(Vec<i64>),
    /// The items of an iteration over a differentiated array.
    Items(Vec<LoopItem>),
    /// Only at run time.
    RunTime,
}

/// What a loop body replaces while it is lowered: restored by [`Lower::leave_loop_body`].
pub(super) struct OuterExit {
    /// The number of scalars an exit carries outside the loop.
    exit_len: usize,
    /// Whether the code outside had returned.
    ret: Ret,
}

impl Lower {
    /// A loop that touches differentiated values.
    pub(super) fn lower_loop(&mut self, e: &Expr) {
        match e {
            Expr::ForLoop(f) => self.lower_for(f),
            Expr::While(w) => {
                if self.refuse_return_in_loop(e, &w.while_token) {
                    return;
                }
                if matches!(&*w.cond, Expr::Let(_)) {
                    self.error_at(
                        &w.cond,
                        "`while let` around differentiated code is not supported",
                    );
                    return;
                }
                if !self.refuse_labelled_jump(&w.body) {
                    let cond = w.cond.to_token_stream();
                    self.lower_runtime_loop(
                        LoopHeader::While {
                            cond,
                            reads: Vec::new(),
                        },
                        &[],
                        &w.body,
                        e,
                    );
                }
            }
            Expr::Loop(l)
                if !self.refuse_return_in_loop(e, &l.loop_token)
                    && !self.refuse_labelled_jump(&l.body) =>
            {
                self.lower_runtime_loop(LoopHeader::Loop, &[], &l.body, e);
            }
            _ => {}
        }
    }

    /// Reports a `return` inside the loop `whole` (at its keyword); returns whether there was
    /// one.
    fn refuse_return_in_loop(&mut self, whole: &Expr, keyword: &impl ToTokens) -> bool {
        let found = contains_return(whole);
        if found {
            self.error_at(
                keyword,
                "`return` from inside a loop over differentiated values is not supported yet; \
                 compute the result after the loop",
            );
        }
        found
    }

    /// Reports a `break` or `continue` with a label or a value in a loop body; returns whether
    /// there was one.
    fn refuse_labelled_jump(&mut self, body: &syn::Block) -> bool {
        let Some(jump) = find_labelled_jump(body) else {
            return false;
        };
        self.error_at(
            &jump,
            "`break` or `continue` with a label, and `break` with a value, are not supported in a \
             loop over differentiated values; use a plain `break` or `continue` (with a flag to \
             leave an outer loop, and a variable declared before the loop for a value)",
        );
        true
    }

    /// A `for` loop over differentiated values, unrolled when its trip count is known at compile
    /// time (a range with constant bounds, or the elements of a differentiated array), otherwise a
    /// run-time loop.
    pub(super) fn lower_for(&mut self, f: &syn::ExprForLoop) {
        if let Some(loops) = self.desugared_for(f) {
            for indexed in &loops {
                if let Expr::ForLoop(indexed) = indexed {
                    self.lower_for(indexed);
                }
            }
            return;
        }
        let whole = Expr::ForLoop(f.clone());
        if self.refuse_return_in_loop(&whole, &f.for_token) || self.refuse_labelled_jump(&f.body) {
            return;
        }
        let Some(trip) = self.trip(&f.expr) else {
            return;
        };
        let known = match &trip {
            Trip::Counters(v) => Some(v.len()),
            Trip::Items(_) => Some(0),
            Trip::RunTime => None,
        };
        if self.lower_rolled_for(f, known) {
            return;
        }
        let count = match &trip {
            Trip::Counters(v) => v.len(),
            Trip::Items(v) => v.len(),
            Trip::RunTime => 0,
        };
        // A trip count known only at run time; or too long to unroll, and not of the form kept
        // a loop (a `break`, say): carried forwards.
        let runtime = matches!(trip, Trip::RunTime)
            || (count > MAX_UNROLL && !self.second_order && matches!(trip, Trip::Counters(_)));
        if runtime {
            let (pat, expr) = (&f.pat, &f.expr);
            let mut names = Vec::new();
            pattern_idents(pat, &mut names);
            self.lower_runtime_loop(
                LoopHeader::For(quote!(for #pat in #expr)),
                &names,
                &f.body,
                &whole,
            );
            return;
        }
        if count > MAX_UNROLL {
            let why = if self.second_order {
                "a Hessian is taken through a loop by unrolling it"
            } else {
                "a loop over the elements of an array is unrolled; loop over its indices \
                 (`for i in 0..x.len()`) to keep it a loop"
            };
            self.error_at(
                &f.expr,
                format!(
                    "this loop has {count} iterations, and at most {MAX_UNROLL} are unrolled \
                     ({why})"
                ),
            );
            return;
        }
        let steps: Vec<LoopItem> = match trip {
            Trip::Counters(v) => v
                .into_iter()
                .map(|value| {
                    LoopItem::One(Binding::Counter {
                        value,
                        materialized: false,
                    })
                })
                .collect(),
            Trip::Items(v) => v,
            Trip::RunTime => unreachable!("lowered above"),
        };
        let saved = self.enter_loop_body();
        self.unroll(f, &steps);
        self.leave_loop_body(saved);
    }

    /// How the iterations of `for … in iterable` are known; `None` after an error.
    fn trip(&mut self, iterable: &Expr) -> Option<Trip> {
        match iterable {
            Expr::Range(r) => {
                let start = match &r.start {
                    Some(s) => self.const_int(s),
                    None => Some(0),
                };
                let end = r.end.as_ref().and_then(|e| self.const_int(e));
                Some(match (start, end, &r.limits) {
                    (Some(a), Some(b), syn::RangeLimits::HalfOpen(_)) => {
                        Trip::Counters((a..b).collect())
                    }
                    (Some(a), Some(b), syn::RangeLimits::Closed(_)) => {
                        Trip::Counters((a..=b).collect())
                    }
                    _ => Trip::RunTime,
                })
            }
            iterable if self.touches_active(iterable.to_token_stream()) => {
                // An iteration over differentiated values: it must be over an array whose
                // length is known, possibly through `.iter()`, `.copied()`, `.enumerate()`.
                let items = self.array_iteration(iterable);
                // An adapter that is not supported, named at its span.
                let unsupported = match (&items, iterable) {
                    (None, Expr::MethodCall(m)) => super::iterators::unsupported_chain(m, true),
                    _ => None,
                };
                if let Some((span, message)) = unsupported {
                    self.error(span, message);
                } else if items.is_none() {
                    self.error_at(
                        iterable,
                        "this loop iterates over differentiated values in a way `#[gradient]` \
                         cannot follow; iterate over the array itself (`for xi in x`, \
                         `x.iter()`, `x.iter().enumerate()`) or by index (`for i in 0..x.len()`)",
                    );
                }
                items.map(Trip::Items)
            }
            _ => Some(Trip::RunTime),
        }
    }

    /// Iterations `steps` of an unrolled loop; after an iteration that may `break`, the rest run
    /// under `if !broke { … }`.
    pub(super) fn unroll(&mut self, f: &syn::ExprForLoop, steps: &[LoopItem]) {
        let Some((step, rest)) = steps.split_first() else {
            return;
        };
        let pat = &*f.pat;
        let step = step.clone();
        self.structured_if(
            None,
            |l| {
                l.bind_loop_pattern(pat, step);
                l.lower_stmts(&f.body.stmts, false);
                None
            },
            |_| None,
            f.span(),
        );
        // `continue` (and `break`) only skip the rest of this iteration.
        self.ret = Ret::Never;
        let broke = self.broke_flag();
        match self.g.constant(broke) {
            Some(0.0) => self.unroll(f, rest),
            Some(_) => {} // always breaks here
            None => {
                let cond = self.flag_condition(broke);
                self.structured_if(
                    Some(negate(cond)),
                    |l| {
                        let zero = l.g.num(0.0);
                        l.set_broke(zero);
                        l.unroll(f, rest);
                        None
                    },
                    |_| None,
                    f.span(),
                );
            }
        }
    }

    /// Binds the pattern of an unrolled loop: `i`, `_`, `&x`, `(i, x)`, `(x, c)`.
    pub(super) fn bind_loop_pattern(&mut self, pat: &Pat, item: LoopItem) {
        match (pat, item) {
            (Pat::Wild(_), _) => {}
            // `&x` takes the value out of a reference item.
            (Pat::Reference(r), LoopItem::Ref(b)) => {
                self.bind_loop_pattern(&r.pat, LoopItem::One(b))
            }
            (Pat::Reference(r), item) => self.bind_loop_pattern(&r.pat, item),
            (Pat::Ident(pi), LoopItem::Ref(b)) => {
                // A `&f64` in user code: given to user code as a reference, read as a value.
                if let Binding::Sym { value, .. } = &b {
                    self.ref_elements.push(RefElement {
                        name: pi.ident.to_string(),
                        value: value.clone(),
                    });
                }
                self.env.bind(&pi.ident, b)
            }
            (Pat::Paren(p), item) => self.bind_loop_pattern(&p.pat, item),
            (Pat::Ident(pi), LoopItem::One(b)) => self.env.bind(&pi.ident, b),
            (Pat::Ident(pi), LoopItem::Data(tokens)) => {
                let ident = &pi.ident;
                self.push_verbatim(quote!(let #ident = #tokens;));
                self.env.bind(
                    ident,
                    Binding::Inactive {
                        float: true,
                        by_ref: true,
                        array: None,
                        elements: false,
                    },
                );
            }
            (Pat::Tuple(t), LoopItem::Tuple(items)) if t.elems.len() == items.len() => {
                for (p, item) in t.elems.iter().zip(items) {
                    self.bind_loop_pattern(p, item);
                }
            }
            (other, _) => self.error_at(
                other,
                "this loop pattern does not match the items; use a name, `_`, `&x`, or a tuple \
                 of those for `.enumerate()` and `.zip(…)`",
            ),
        }
    }

    /// The items of an iteration over a differentiated array, one per iteration: `x`,
    /// `x.iter()`, `x.into_iter()`, `.copied()`, an array literal, `.enumerate()`, and `.zip(…)`
    /// with another such iteration or with data.
    pub(super) fn array_iteration(&mut self, e: &Expr) -> Option<Vec<LoopItem>> {
        match e {
            Expr::MethodCall(m) if m.args.is_empty() => match m.method.to_string().as_str() {
                "into_iter" => self.array_iteration(&m.receiver),
                // `iter()` yields references, `copied()` / `cloned()` values.
                "iter" => Some(
                    self.array_iteration(&m.receiver)?
                        .into_iter()
                        .map(LoopItem::by_ref)
                        .collect(),
                ),
                "copied" | "cloned" => Some(
                    self.array_iteration(&m.receiver)?
                        .into_iter()
                        .map(LoopItem::by_value)
                        .collect(),
                ),
                "enumerate" => Some(
                    self.array_iteration(&m.receiver)?
                        .into_iter()
                        .zip(0..)
                        .map(|(item, i)| {
                            let counter = LoopItem::One(Binding::Counter {
                                value: i,
                                materialized: false,
                            });
                            LoopItem::Tuple(vec![counter, item])
                        })
                        .collect(),
                ),
                _ => None,
            },
            Expr::MethodCall(m) if m.method == "zip" && m.args.len() == 1 => {
                let left = self.array_iteration(&m.receiver)?;
                let other = &m.args[0];
                let right: Vec<LoopItem> = if self.touches_active(other.to_token_stream()) {
                    self.array_iteration(other)?
                } else {
                    // Data: item k of the other iterable, read in iteration k.
                    (0..left.len())
                        .map(|k| {
                            let k = proc_macro2::Literal::usize_unsuffixed(k);
                            LoopItem::Data(quote!(
                                ::core::iter::Iterator::nth(
                                    &mut ::core::iter::IntoIterator::into_iter(#other), #k
                                ).expect("`zip`: fewer items than the differentiated array")
                            ))
                        })
                        .collect()
                };
                Some(
                    left.into_iter()
                        .zip(right)
                        .map(|(a, b)| LoopItem::Tuple(vec![a, b]))
                        .collect(),
                )
            }
            Expr::Reference(r) => Some(
                self.array_iteration(&r.expr)?
                    .into_iter()
                    .map(LoopItem::by_ref)
                    .collect(),
            ),
            Expr::Paren(p) => self.array_iteration(&p.expr),
            Expr::MethodCall(_) => None,
            _ => match self.lower_expr(e) {
                Val::Sym(Shape::Array(items)) => Some(
                    items
                        .into_iter()
                        .map(|value| {
                            LoopItem::One(Binding::Sym {
                                value,
                                materialized: false,
                                mutable: false,
                            })
                        })
                        .collect(),
                ),
                _ => None,
            },
        }
    }

    /// The name of the hidden variable that records a `break` (not an identifier users can write).
    pub(super) const BROKE: &'static str = "#broke";

    /// Starts lowering a loop body: `break` and `continue` become structured exits.
    pub(super) fn enter_loop_body(&mut self) -> OuterExit {
        self.loop_depth += 1;
        self.env.push();
        let zero = self.g.num(0.0);
        self.env.frames.last_mut().expect("a frame").push(Var {
            name: Self::BROKE.to_string(),
            binding: Binding::Sym {
                value: Shape::Scalar(zero),
                materialized: false,
                mutable: true,
            },
        });
        OuterExit {
            exit_len: std::mem::replace(&mut self.exit_len, 0),
            ret: std::mem::replace(&mut self.ret, Ret::Never),
        }
    }

    pub(super) fn leave_loop_body(&mut self, OuterExit { exit_len, ret }: OuterExit) {
        self.env.pop();
        self.loop_depth -= 1;
        self.exit_len = exit_len;
        self.ret = ret;
    }

    /// 1 when the current iteration has broken out of the loop, else 0.
    pub(super) fn broke_flag(&mut self) -> NodeId {
        match self.scalar_var(Self::BROKE) {
            Some(n) => n,
            None => self.g.num(0.0),
        }
    }

    pub(super) fn set_broke(&mut self, value: NodeId) {
        self.set_scalar_var(Self::BROKE, value);
    }

    /// A condition that holds when the flag node is 1.
    pub(super) fn flag_condition(&mut self, flag: NodeId) -> BoolVal {
        let name = Ident::new("__dual_broke", Span::mixed_site());
        self.g.push(Stmt::User {
            name: name.clone(),
            mutable: false,
            value: Shape::Scalar(flag),
            by_ref: false,
        });
        let slot = self.g.slot();
        let half = crate::tokens::float_literal(0.5, self.g.float);
        self.g.push(Stmt::Cond {
            slot,
            expr: quote!(#name > #half),
        });
        BoolVal::Slot {
            slot,
            negate: false,
        }
    }

    /// `break` / `continue` of a differentiated loop: a structured exit from the iteration (a
    /// `break` also sets the loop's flag).
    pub(super) fn lower_loop_jump(&mut self, e: &Expr) -> Val {
        if matches!(e, Expr::Break(_)) {
            let one = self.g.num(1.0);
            self.set_broke(one);
        }
        if matches!(self.ret, Ret::Never) {
            self.ret = Ret::Always(Vec::new());
        }
        Val::Tokens(quote!(()))
    }
}
