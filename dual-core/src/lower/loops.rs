//! Loops over differentiated values: unrolled when the trip count is known at compile time,
//! otherwise one run-time loop that carries, next to each value, its partial derivatives (sums
//! accumulate the gradient of their increments; other values propagate forward tangents).

use super::branches::negate;
use std::collections::BTreeSet;

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{quote, ToTokens};
use syn::spanned::Spanned;
use syn::visit::Visit;
use syn::{BinOp, Expr, Ident, Lit, Pat, UnOp};

use crate::ir::{BoolVal, LoopHeader, LoopState, LoopStmt, NodeId, Op, Shape, Stmt, Sweep};

use super::env::{Binding, LoopItem, Ret, Val};
use super::operators::compound_op;
use super::syntax::{contains_return, pattern_idents};
use super::Lower;

impl Lower {
    /// A loop that touches differentiated values.
    pub(super) fn lower_loop(&mut self, e: &Expr) {
        match e {
            Expr::ForLoop(f) => self.lower_for(f),
            Expr::While(w) => {
                if contains_return(e) {
                    self.error_at(
                        &w.while_token,
                        "`return` from inside a loop over differentiated values is not supported \
                         yet; compute the result after the loop",
                    );
                } else if matches!(&*w.cond, Expr::Let(_)) {
                    self.error_at(
                        &w.cond,
                        "`while let` around differentiated code is not supported",
                    );
                } else if let Some(jump) = find_labelled_jump(&w.body) {
                    self.error_at(
                        &jump,
                        "`break` with a label or a value is not supported in a loop over \
                         differentiated values; use a plain `break`",
                    );
                } else {
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
            Expr::Loop(l) => {
                if contains_return(e) {
                    self.error_at(
                        &l.loop_token,
                        "`return` from inside a loop over differentiated values is not supported \
                         yet; compute the result after the loop",
                    );
                } else if let Some(jump) = find_labelled_jump(&l.body) {
                    self.error_at(
                        &jump,
                        "`break` with a label or a value is not supported in a loop over \
                         differentiated values; use a plain `break`",
                    );
                } else {
                    self.lower_runtime_loop(LoopHeader::Loop, &[], &l.body, e);
                }
            }
            _ => {}
        }
    }

    /// A `for` loop over differentiated values, unrolled: its trip count must be known at compile
    /// time (a range with constant bounds, or the elements of a differentiated array).
    pub(super) fn lower_for(&mut self, f: &syn::ExprForLoop) {
        const MAX_UNROLL: usize = 4096;
        let whole = Expr::ForLoop(f.clone());
        if contains_return(&whole) {
            self.error_at(
                &f.for_token,
                "`return` from inside a loop over differentiated values is not supported yet; \
                 compute the result after the loop",
            );
            return;
        }
        if let Some(jump) = find_labelled_jump(&f.body) {
            self.error_at(
                &jump,
                "`break` with a label or a value is not supported in a loop over differentiated \
                 values; use a plain `break`",
            );
            return;
        }
        enum Steps {
            Ints(Vec<i64>),
            Items(Vec<LoopItem>),
        }
        let steps = match &*f.expr {
            Expr::Range(r) => {
                let start = match &r.start {
                    Some(s) => self.const_int(s),
                    None => Some(0),
                };
                let end = r.end.as_ref().and_then(|e| self.const_int(e));
                match (start, end, &r.limits) {
                    (Some(a), Some(b), syn::RangeLimits::HalfOpen(_)) => {
                        Some(Steps::Ints((a..b).collect()))
                    }
                    (Some(a), Some(b), syn::RangeLimits::Closed(_)) => {
                        Some(Steps::Ints((a..=b).collect()))
                    }
                    _ => None,
                }
            }
            iterable if self.touches_active(iterable.to_token_stream()) => {
                // An iteration over differentiated values: it must be over an array whose
                // length is known, possibly through `.iter()`, `.copied()`, `.enumerate()`.
                match self.array_iteration(iterable) {
                    Some(items) => Some(Steps::Items(items)),
                    None => {
                        self.error_at(
                            iterable,
                            "this loop iterates over differentiated values in a way \
                             `#[gradient]` cannot follow; iterate over the array itself (`for xi \
                             in x`, `x.iter()`, `x.iter().enumerate()`) or by index (`for i in \
                             0..x.len()`)",
                        );
                        return;
                    }
                }
            }
            _ => None,
        };
        let Some(steps) = steps else {
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
        };
        let count = match &steps {
            Steps::Ints(v) => v.len(),
            Steps::Items(v) => v.len(),
        };
        if count > MAX_UNROLL {
            self.error_at(
                &f.expr,
                format!("this loop has {count} iterations; at most {MAX_UNROLL} are unrolled"),
            );
            return;
        }
        let steps: Vec<LoopItem> = match steps {
            Steps::Ints(v) => v
                .into_iter()
                .map(|value| {
                    LoopItem::One(Binding::Counter {
                        value,
                        materialized: false,
                    })
                })
                .collect(),
            Steps::Items(v) => v,
        };
        let saved = self.enter_loop_body();
        self.unroll(f, &steps);
        self.leave_loop_body(saved);
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
                    self.ref_elements
                        .push((pi.ident.to_string(), value.clone()));
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
                    Binding::Real {
                        float: true,
                        by_ref: true,
                        array: None,
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

    /// The value of a condition known at compile time (on loop counters and literals).
    pub(super) fn const_bool(&self, e: &Expr) -> Option<bool> {
        match e {
            Expr::Lit(syn::ExprLit {
                lit: Lit::Bool(b), ..
            }) => Some(b.value),
            Expr::Paren(p) => self.const_bool(&p.expr),
            Expr::Unary(u) if matches!(u.op, UnOp::Not(_)) => self.const_bool(&u.expr).map(|b| !b),
            Expr::Binary(b) => match b.op {
                BinOp::And(_) => Some(self.const_bool(&b.left)? && self.const_bool(&b.right)?),
                BinOp::Or(_) => Some(self.const_bool(&b.left)? || self.const_bool(&b.right)?),
                _ => {
                    let (l, r) = (self.const_int(&b.left)?, self.const_int(&b.right)?);
                    match b.op {
                        BinOp::Lt(_) => Some(l < r),
                        BinOp::Le(_) => Some(l <= r),
                        BinOp::Gt(_) => Some(l > r),
                        BinOp::Ge(_) => Some(l >= r),
                        BinOp::Eq(_) => Some(l == r),
                        BinOp::Ne(_) => Some(l != r),
                        _ => None,
                    }
                }
            },
            _ => None,
        }
    }

    /// The name of the hidden variable that records a `break` (not an identifier users can write).
    pub(super) const BROKE: &'static str = "#broke";

    /// Starts lowering a loop body: `break` and `continue` become structured exits.
    pub(super) fn enter_loop_body(&mut self) -> (usize, Ret) {
        self.loop_depth += 1;
        self.env.push();
        let zero = self.g.num(0.0);
        self.env.frames.last_mut().expect("a frame").push((
            Self::BROKE.to_string(),
            Binding::Sym {
                value: Shape::Scalar(zero),
                materialized: false,
                mutable: true,
            },
        ));
        let exit_len = std::mem::replace(&mut self.exit_len, 0);
        (exit_len, std::mem::replace(&mut self.ret, Ret::Never))
    }

    pub(super) fn leave_loop_body(&mut self, (exit_len, ret): (usize, Ret)) {
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
        let half = crate::emit::float_literal(0.5, self.g.float);
        self.g.push(Stmt::Cond {
            slot,
            expr: quote!(#name > #half),
        });
        BoolVal::Slot {
            slot,
            negate: false,
        }
    }

    /// A loop whose trip count is known only at run time (`for … in 0..n`, over data, `while`).
    /// The body is lowered once. When every differentiated value the loop carries is a sum
    /// (`s += …`), each sum is replaced in the body by its increment, and the loop accumulates the
    /// increments and their gradients (from a local reverse sweep of the body). Otherwise the loop
    /// carries, next to the values, their Jacobian with respect to the values before the loop and
    /// to the values the body reads from outside: forward tangents, one iteration at a time.
    pub(super) fn lower_runtime_loop(
        &mut self,
        header: LoopHeader,
        pattern: &[Ident],
        body: &syn::Block,
        whole: &Expr,
    ) {
        if self.second_order {
            self.error_at(
                whole,
                "a Hessian cannot be taken through a loop whose number of iterations is known \
                 only at run time; loops with a constant trip count (unrolled) are fine",
            );
            return;
        }
        // A float variable that user code computed (`let mut s: f64 = a.sin();`, inactive until
        // now) and that the loop updates is carried like any other: read into a value first.
        let promoted = carried_variables(body)
            .into_iter()
            .filter(|(name, _)| {
                matches!(
                    self.env.lookup(&name.to_string()),
                    Some(Binding::Real {
                        float: true,
                        by_ref: false,
                        array: None,
                    })
                )
            })
            .map(|(name, _)| name)
            .collect::<Vec<_>>();
        self.promote_to_values(&promoted);
        self.lower_runtime_loop_of_values(header, pattern, body, whole, true);
    }

    /// Gives real (inactive, as written) float variables a value node each, so that a loop can
    /// carry them.
    fn promote_to_values(&mut self, names: &[Ident]) {
        for name in names {
            let node = self.bind_opaque(quote!(#name), name.span());
            if let Some(b) = self.env.lookup_mut(&name.to_string()) {
                *b = Binding::Sym {
                    value: Shape::Scalar(node),
                    materialized: true,
                    mutable: true,
                };
            }
        }
    }

    /// [`Lower::lower_runtime_loop`], once the carried floats are values. `retry`: whether a
    /// variable of undeclared type that turns out to be a carried float may still be promoted
    /// (the body is then lowered again).
    fn lower_runtime_loop_of_values(
        &mut self,
        header: LoopHeader,
        pattern: &[Ident],
        body: &syn::Block,
        whole: &Expr,
        retry: bool,
    ) {
        let errors_before = self.errors.len();
        // The differentiated variables the loop carries, and whether each is a pure sum.
        let mut carried: Vec<(Ident, bool)> = Vec::new();
        for (name, misuse) in carried_variables(body) {
            match self.env.lookup(&name.to_string()) {
                Some(Binding::Sym {
                    value: Shape::Scalar(_),
                    ..
                }) => {
                    carried.push((name, misuse.is_none()));
                }
                Some(Binding::Sym { .. }) => {
                    self.error_at(
                        &name,
                        format!(
                            "`{name}` is an array or tuple that this loop changes; a loop with a \
                             run-time number of iterations may only carry single floats (a loop \
                             with a constant trip count is unrolled and may do anything)"
                        ),
                    );
                    return;
                }
                Some(Binding::Uninit { .. }) => {
                    self.error_at(
                        &name,
                        format!("`{name}` is assigned in this loop but has no value before it"),
                    );
                    return;
                }
                _ => {}
            }
        }
        let sums_only = carried.iter().all(|(_, sum)| *sum);
        if let LoopHeader::For(h) = &header {
            // The iterable is evaluated once, before the loop, on primal values.
            self.materialize(h.clone());
        }
        let header_reads: Vec<Ident> = match &header {
            LoopHeader::For(_) | LoopHeader::Loop => Vec::new(),
            LoopHeader::While { cond, .. } => {
                let mentioned = self.mentions(cond.clone());
                carried
                    .iter()
                    .filter(|(n, _)| mentioned.iter().any(|m| m == n))
                    .map(|(n, _)| n.clone())
                    .collect()
            }
        };
        if let LoopHeader::While { cond, .. } = &header {
            // The condition's other variables keep their values through the loop.
            self.materialize(cond.clone());
        }
        let parent = self.g.cur;
        let snapshot = self.env.clone();
        let retry_header = header.clone();
        let saved = self.enter_loop_body();
        let names_before = self.names_introduced;
        let body_block = self.g.new_block(Some(parent), Sweep::FORWARD, &[]);
        self.g.cur = body_block;
        self.env.push();
        for name in pattern {
            self.env.bind(
                name,
                Binding::Real {
                    float: true,
                    by_ref: true,
                    array: None,
                },
            );
        }
        let zero = self.g.num(0.0);
        let mut starts = Vec::new(); // per carried value: its leaf at the start of an iteration
        for (name, _) in &carried {
            // The running value at the start of an iteration.
            let start = self.g.intern(Op::Out, name.span());
            self.g.set_active(start, true);
            starts.push(start);
            self.env.bind(
                name,
                Binding::Sym {
                    value: Shape::Scalar(start),
                    materialized: false,
                    mutable: true,
                },
            );
        }
        // The body's own `let`s live in a frame of their own, so that a name it shadows still
        // finds the carried variable at the end.
        self.env.push();
        self.lower_stmts(&body.stmts, false);
        self.env.pop();
        let ends: Vec<NodeId> = carried
            .iter()
            .map(|(name, _)| self.scalar_var(&name.to_string()).unwrap_or(zero))
            .collect();
        let broke = self.broke_flag();
        let exit = (self.g.constant(broke) != Some(0.0)).then_some(broke);
        self.env.pop();
        self.leave_loop_body(saved);
        // A variable of undeclared type (`let mut s = a.sin();`, read as written) that the body
        // made a differentiated float: promote it and lower the loop again (the first body block
        // is left unused).
        let became_values: Vec<Ident> = carried_variables(body)
            .into_iter()
            .map(|(name, _)| name)
            .filter(|name| {
                let key = name.to_string();
                matches!(
                    snapshot.lookup(&key),
                    Some(Binding::Real {
                        by_ref: false,
                        array: None,
                        ..
                    })
                ) && matches!(
                    self.env.lookup(&key),
                    Some(Binding::Sym {
                        value: Shape::Scalar(_),
                        ..
                    })
                )
            })
            .collect();
        if retry && !became_values.is_empty() {
            self.env = snapshot;
            self.errors.truncate(errors_before);
            self.g.cur = parent;
            self.promote_to_values(&became_values);
            self.lower_runtime_loop_of_values(retry_header, pattern, body, whole, false);
            return;
        }
        // Anything else the body changed outside itself would be lost: refuse it.
        for (fi, frame) in snapshot.frames.iter().enumerate() {
            for (vi, (name, before)) in frame.iter().enumerate() {
                let after = &self.env.frames[fi][vi].1;
                let changed = match (before, after) {
                    (Binding::Sym { value: a, .. }, Binding::Sym { value: b, .. }) => a != b,
                    (Binding::Counter { .. }, Binding::Counter { .. }) => false,
                    (a, b) => a != b,
                };
                if changed && !carried.iter().any(|(c, _)| c == name) {
                    self.error_at(
                        whole,
                        format!(
                            "this loop changes `{name}` in a way that cannot be differentiated \
                             over a run-time number of iterations: such a loop may carry single \
                             floats from one iteration to the next (`s += …`, `p *= x`, any \
                             update), not arrays or tuples; a loop with a constant trip count is \
                             unrolled and may do anything"
                        ),
                    );
                }
            }
        }
        self.env = snapshot;
        self.names_introduced = names_before + 1;
        let befores: Vec<NodeId> = carried
            .iter()
            .map(|(name, _)| self.scalar_var(&name.to_string()).unwrap_or(zero))
            .collect();

        // Local reverse sweep of the body: row j is the gradient of carried value j's increment
        // (sums) or end value (otherwise).
        let local = self.g.new_block(Some(body_block), Sweep(1), &[body_block]);
        let adjoints = crate::diff::reverse_into(&mut self.g, body_block, local, &ends);
        let outside: Vec<NodeId> = {
            let mut v: Vec<NodeId> = adjoints
                .keys()
                .map(|(n, _)| *n)
                .filter(|n| !self.g.is_within(self.g.home[n.0 as usize], body_block))
                .collect();
            v.sort();
            v.dedup();
            v
        };
        let call = self.g.calls;
        self.g.calls += 1;
        let span = whole.span();
        let mut states = Vec::new();
        let mut outs = Vec::new();
        // The leaf that holds a state inside the loop (its leaf after the loop is created in the
        // parent block, its update in the local block).
        let current_leaf = |l: &mut Self| -> NodeId {
            l.g.cur = local;
            l.g.intern(Op::Out, span)
        };
        // Per carried value: its partials' (state, current leaf, is a value before the loop),
        // which values before the loop, and which outside values they are with respect to.
        type Row = (Vec<(NodeId, NodeId, bool)>, Vec<usize>, Vec<NodeId>);
        let mut jac: Vec<Row> = Vec::new();
        let m = carried.len();
        // Per carried value j: its state (the running value, as the function computes it), and
        // the state of each partial ∂value_j/∂arg. args = the carried values before the loop
        // (only where they are differentiated), then the values the body reads from outside.
        for (j, (&end, &start)) in ends.iter().zip(&starts).enumerate() {
            let befores_used: Vec<usize> = if sums_only {
                // A sum depends on its own value before the loop with derivative 1, on no other.
                (self.g.is_active(befores[j]))
                    .then_some(j)
                    .into_iter()
                    .collect()
            } else {
                (0..m).collect()
            };
            let outside_used: Vec<NodeId> = outside
                .iter()
                .copied()
                .filter(|v| !sums_only || adjoints.contains_key(&(*v, j as u32)))
                .collect();
            let args: Vec<NodeId> = befores_used
                .iter()
                .map(|&i| befores[i])
                .chain(outside_used.iter().copied())
                .collect();
            self.g.cur = parent;
            let out = self.g.intern(
                Op::Call {
                    call,
                    row: j as u32,
                    args: args.clone(),
                },
                span,
            );
            states.push(LoopState {
                out,
                init: befores[j],
                current: start,
                next: end,
            });
            outs.push(out);
            let mut row = Vec::new();
            for col in 0..args.len() {
                self.g.cur = parent;
                let out = self.g.call_grad(call, j as u32, col as u32, args.clone());
                let current = current_leaf(self);
                row.push((out, current, col < befores_used.len()));
            }
            jac.push((row, befores_used, outside_used));
        }
        // J' = A·J + B, with A = ∂end/∂start and B = ∂end/∂outside; for sums A = I, so
        // J' = J + B and the partials with respect to the value before the loop stay 1.
        self.g.cur = local;
        let one = self.g.num(1.0);
        let a = |j: usize, i: usize| adjoints.get(&(starts[i], j as u32)).copied();
        for j in 0..m {
            let (row, befores_used, outside_used) = &jac[j];
            for (col, &(out, current, is_before)) in row.iter().enumerate() {
                let b = if is_before {
                    None
                } else {
                    adjoints
                        .get(&(outside_used[col - befores_used.len()], j as u32))
                        .copied()
                };
                let next = if sums_only {
                    match b {
                        Some(b) => self.g.add(current, b, span),
                        None => current,
                    }
                } else {
                    let mut next = b.unwrap_or(zero);
                    for (i, (row_i, _, _)) in jac.iter().enumerate() {
                        if let Some(aji) = a(j, i) {
                            // Column `col` means the same argument in every row (same args).
                            let term = self.g.mul(aji, row_i[col].1, span);
                            next = self.g.add(next, term, span);
                        }
                    }
                    next
                };
                let init = match (is_before, sums_only) {
                    (true, true) => one,
                    (true, false) if befores_used[col] == j => one,
                    _ => zero,
                };
                states.push(LoopState {
                    out,
                    init,
                    current,
                    next,
                });
            }
        }
        self.g.cur = parent;
        let header = match header {
            LoopHeader::While { cond, .. } => LoopHeader::While {
                cond,
                reads: header_reads
                    .iter()
                    .map(|n| {
                        let k = carried.iter().position(|(c, _)| c == n).expect("carried");
                        (n.clone(), outs[k])
                    })
                    .collect(),
            },
            h => h,
        };
        self.g.push(Stmt::Loop(LoopStmt {
            header,
            body: body_block,
            local,
            states,
            exit,
        }));
        // After the loop: each carried value is the loop's output (plus the value before, for a
        // sum, whose output is the sum of the increments).
        for (k, (name, _)) in carried.iter().enumerate() {
            self.set_scalar_var(&name.to_string(), outs[k]);
        }
    }
}

/// The outer variables a loop body assigns to, each with its first use that is not a sum
/// (`name += …` / `name -= …`), if any. Variables declared in the body are left out.
pub(super) fn carried_variables(body: &syn::Block) -> Vec<(Ident, Option<TokenStream>)> {
    #[derive(Default)]
    struct V {
        declared: BTreeSet<String>,
        assigned: Vec<Ident>,
        uses: Vec<(Ident, Option<TokenStream>)>, // a mention; `None` when it is a sum's target
    }
    impl<'ast> Visit<'ast> for V {
        fn visit_pat_ident(&mut self, p: &'ast syn::PatIdent) {
            self.declared.insert(p.ident.to_string());
        }
        fn visit_expr_binary(&mut self, b: &'ast syn::ExprBinary) {
            let sum = matches!(b.op, BinOp::AddAssign(_) | BinOp::SubAssign(_));
            match (&*b.left, compound_op(&b.op)) {
                (Expr::Path(p), Some(_)) if p.path.get_ident().is_some() => {
                    let name = p.path.get_ident().expect("ident").clone();
                    if !self.declared.contains(&name.to_string()) {
                        self.assigned.push(name.clone());
                    }
                    let misuse = (!sum).then(|| b.to_token_stream());
                    self.uses.push((name, misuse));
                    self.visit_expr(&b.right);
                }
                _ => syn::visit::visit_expr_binary(self, b),
            }
        }
        fn visit_expr_assign(&mut self, a: &'ast syn::ExprAssign) {
            if let Some((name, _)) = place_root(&a.left) {
                if !self.declared.contains(&name.to_string()) {
                    self.assigned.push(name.clone());
                }
                self.uses.push((name, Some(a.to_token_stream())));
            }
            syn::visit::visit_expr_assign(self, a);
        }
        fn visit_expr_path(&mut self, p: &'ast syn::ExprPath) {
            if let Some(i) = p.path.get_ident() {
                self.uses.push((i.clone(), Some(p.to_token_stream())));
            }
        }
        fn visit_macro(&mut self, m: &'ast syn::Macro) {
            for tt in m.tokens.clone() {
                if let TokenTree::Ident(i) = tt {
                    self.uses.push((i, Some(m.to_token_stream())));
                }
            }
        }
    }
    let mut v = V::default();
    v.visit_block(body);
    let mut out: Vec<(Ident, Option<TokenStream>)> = Vec::new();
    for name in &v.assigned {
        // Assigned before any declaration of the same name in the body: the outer variable.
        if out.iter().any(|(n, _)| n == name) {
            continue;
        }
        let misuse = v
            .uses
            .iter()
            .filter(|(n, _)| n == name)
            .find_map(|(_, m)| m.clone());
        out.push((name.clone(), misuse));
    }
    out
}

/// The variable at the root of a place expression (`x`, `x[i]`, `x.0`).
pub(super) fn place_root(e: &Expr) -> Option<(Ident, ())> {
    match e {
        Expr::Path(p) => p.path.get_ident().map(|i| (i.clone(), ())),
        Expr::Paren(p) => place_root(&p.expr),
        Expr::Index(ix) => place_root(&ix.expr),
        Expr::Field(f) => place_root(&f.base),
        _ => None,
    }
}

/// The first `break` or `continue` of a loop body (outside nested loops and closures) that has a
/// label or a value.
pub(super) fn find_labelled_jump(body: &syn::Block) -> Option<TokenStream> {
    struct V(Option<TokenStream>);
    impl<'ast> Visit<'ast> for V {
        fn visit_expr_break(&mut self, b: &'ast syn::ExprBreak) {
            if b.label.is_some() || b.expr.is_some() {
                self.0.get_or_insert_with(|| b.to_token_stream());
            }
        }
        fn visit_expr_continue(&mut self, c: &'ast syn::ExprContinue) {
            if c.label.is_some() {
                self.0.get_or_insert_with(|| c.to_token_stream());
            }
        }
        fn visit_expr_for_loop(&mut self, _: &'ast syn::ExprForLoop) {}
        fn visit_expr_while(&mut self, _: &'ast syn::ExprWhile) {}
        fn visit_expr_loop(&mut self, _: &'ast syn::ExprLoop) {}
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut v = V(None);
    v.visit_block(body);
    v.0
}
