//! `for` loops over a range, kept loops: the body is lowered once into a block of its own, the
//! floats it carries from one iteration to the next become the loop's states, and the arrays it
//! reads and writes are arrays of the IR. Its derivative (a backward loop) is built by the
//! differentiation, like any other statement's.
//!
//! A loop is kept a loop when its trip count is not a small constant the macro sees (over 32
//! iterations, or known only to rustc or at run time). `continue` and `break` (also under `if`s
//! on differentiated values) work as in the body's other branches; after a `break`, the loop
//! counts the iterations that ran, and its backward loop runs those. A body that needs what this
//! form does not provide (an inactive variable carried across iterations, an array both read and
//! written in the loop) is lowered as before: unrolled when the trip count is known, otherwise
//! with its derivative carried forwards.

use quote::ToTokens;
use syn::spanned::Spanned;
use syn::{Expr, Ident, Pat};

use crate::ir::{ArrayKind, Binder, ForStmt, LoopState, NodeId, Op, Shape, Stmt, Sweep};

use super::env::{Binding, Env};
use super::runtime_loop::carried_variables;
use super::Lower;

/// Loops of at most this many iterations (known to the macro) are unrolled instead: for so few,
/// straight-line code is faster (`cargo bench --bench loops`: the value and gradient of the
/// extended Rosenbrock function over `[f64; 32]`, 31 iterations, at 0.85 of the hand-written loop
/// unrolled, 1.27 rolled) and simplifies further.
pub(super) const MAX_UNROLLED: usize = 32;

impl Lower {
    /// Lowers `f` as a loop kept a loop, if it is of that form (see the module docs); returns
    /// whether it did (otherwise nothing of the attempt remains).
    pub(super) fn lower_rolled_for(&mut self, f: &syn::ExprForLoop, known: Option<usize>) -> bool {
        if !self.arrays_allowed() || known.is_some_and(|n| n <= MAX_UNROLLED) {
            return false;
        }
        let Expr::Range(r) = &*f.expr else {
            return false;
        };
        if r.start.is_none()
            || r.end.is_none()
            || self.touches_active_value(f.expr.to_token_stream())
        {
            return false;
        }
        let pattern = match &*f.pat {
            Pat::Ident(pi) if pi.by_ref.is_none() && pi.subpat.is_none() => Some(pi.ident.clone()),
            Pat::Wild(_) => None,
            _ => return false,
        };
        let mark = self.diag.mark();
        let snapshot = self.env.clone();
        let parent = self.g.cur;
        let stmts_before = self.g.block(parent).stmts.len();
        let names_before = self.names_introduced;
        let active_before: Vec<bool> = self.g.arrays.iter().map(|a| a.active).collect();
        if self.try_rolled(f, pattern.as_ref(), &snapshot) && self.diag.mark() == mark {
            return true;
        }
        self.diag.rollback(mark);
        self.env = snapshot;
        self.g.cur = parent;
        self.g.blocks[parent.0 as usize]
            .stmts
            .truncate(stmts_before);
        self.names_introduced = names_before;
        for (a, active) in self.g.arrays.iter_mut().zip(active_before) {
            a.active = active;
        }
        false
    }

    fn try_rolled(&mut self, f: &syn::ExprForLoop, pattern: Option<&Ident>, before: &Env) -> bool {
        let Some(carried) = self.rolled_carried(&f.body) else {
            return false;
        };
        self.materialize(f.expr.to_token_stream());
        let parent = self.g.cur;
        let zero = self.g.num(0.0);
        let befores: Vec<NodeId> = carried
            .iter()
            .map(|c| self.scalar_var(&c.to_string()).unwrap_or(zero))
            .collect();
        // The body runs again in the backward code, where the names the forward code gave values
        // to before the loop may not be in scope: it gives them their values itself.
        for frame in &mut self.env.frames {
            for var in frame {
                if let Binding::Sym { materialized, .. } = &mut var.binding {
                    *materialized = false;
                }
            }
        }
        let saved = self.enter_loop_body();
        let block = self.g.new_block(Some(parent), Sweep::FORWARD, &[]);
        self.g.cur = block;
        self.env.push();
        if let Some(p) = pattern {
            self.env.bind(
                p,
                Binding::Inactive {
                    float: false,
                    by_ref: false,
                    array: None,
                    elements: false,
                },
            );
        }
        let mut starts = Vec::new();
        for c in &carried {
            let start = self.g.intern(Op::Bound(Binder::LoopState), c.span());
            self.g.set_active(start, true);
            starts.push(start);
            self.env.bind(
                c,
                Binding::Sym {
                    value: Shape::Scalar(start),
                    materialized: false,
                    mutable: true,
                },
            );
        }
        self.env.push();
        self.rolled_depth += 1;
        self.lower_stmts(&f.body.stmts, false);
        self.rolled_depth -= 1;
        self.env.pop();
        let ends: Vec<NodeId> = carried
            .iter()
            .map(|c| self.scalar_var(&c.to_string()).unwrap_or(zero))
            .collect();
        let broke = self.broke_flag();
        let exit = (self.g.constant(broke) != Some(0.0)).then_some(broke);
        self.env.pop();
        self.leave_loop_body(saved);
        self.g.cur = parent;
        self.forget_materialized_inside(before);
        if self.array_hazard(block) || self.changed_outside(before, &carried) {
            return false;
        }
        let id = self.g.loops;
        self.g.loops += 1;
        let mut states = Vec::new();
        let mut outs = Vec::new();
        for k in 0..carried.len() {
            let out = self
                .g
                .intern(Op::Bound(Binder::LoopState), f.for_token.span());
            self.g.set_active(out, true);
            outs.push(out);
            states.push(LoopState {
                out,
                init: befores[k],
                current: starts[k],
                next: ends[k],
            });
        }
        self.g.push(Stmt::For(ForStmt {
            id,
            pattern: f.pat.to_token_stream(),
            range: f.expr.to_token_stream(),
            body: block,
            states,
            forward: None,
            ordered: false,
            trip_bound: self.trip_bound(f),
            exit,
        }));
        for (c, out) in carried.iter().zip(outs) {
            self.set_scalar_var(&c.to_string(), out);
        }
        // The loop declares no name outside itself (its pattern is its own; its states are
        // generated names): a block around it may be inlined.
        true
    }

    /// A constant expression at least the trip count of `for … in a..b` (`b`; `b + 1` for
    /// `a..=b`): when `b` reads no variable, and is a const generic parameter itself or does not
    /// read one (stable Rust takes no arithmetic on those in array lengths).
    fn trip_bound(&self, f: &syn::ExprForLoop) -> Option<proc_macro2::TokenStream> {
        let Expr::Range(r) = &*f.expr else {
            return None;
        };
        let end = r.end.as_ref()?;
        let names = self.mentions(end.to_token_stream());
        if names
            .iter()
            .any(|n| self.env.lookup(&n.to_string()).is_some())
        {
            return None;
        }
        let generic = names
            .iter()
            .any(|n| self.const_generics.contains(&n.to_string()));
        let plain = matches!(&**end, Expr::Path(p) if p.path.get_ident().is_some());
        if generic && (!plain || matches!(r.limits, syn::RangeLimits::Closed(_))) {
            return None;
        }
        Some(match r.limits {
            syn::RangeLimits::HalfOpen(_) => end.to_token_stream(),
            syn::RangeLimits::Closed(_) => quote::quote!((#end) + 1),
        })
    }

    /// The floats the body carries from one iteration to the next; `None` if it changes an
    /// outer variable that is not a float or an array of the IR (an inactive counter, say, whose
    /// values the backward loop would not see).
    fn rolled_carried(&mut self, body: &syn::Block) -> Option<Vec<Ident>> {
        let mut carried = Vec::new();
        let assigned = carried_variables(body);
        let promoted: Vec<Ident> = assigned
            .iter()
            .filter(|v| {
                matches!(
                    self.env.lookup(&v.name.to_string()),
                    Some(Binding::Inactive {
                        float: true,
                        by_ref: false,
                        array: None,
                        ..
                    })
                )
            })
            .map(|v| v.name.clone())
            .collect();
        self.promote_to_values(&promoted);
        for v in assigned {
            match self.env.lookup(&v.name.to_string()) {
                Some(Binding::Sym {
                    value: Shape::Scalar(_),
                    ..
                }) => carried.push(v.name),
                Some(Binding::Sym {
                    value: Shape::ArrayVar(_),
                    ..
                })
                | None => {}
                Some(_) => return None,
            }
        }
        Some(carried)
    }

    /// Whether the loop both reads and writes one of its local arrays, or declares one (its
    /// backward loop would not see the elements as they were in each iteration).
    fn array_hazard(&self, body: crate::ir::BlockId) -> bool {
        let mut loaded = Vec::new();
        let mut stored = Vec::new();
        for b in self.g.nested_blocks(body) {
            for stmt in &self.g.block(b).stmts {
                match stmt {
                    Stmt::Node(n) => {
                        if let Op::Load { array, .. } = self.g.op(*n) {
                            if matches!(self.g.array(*array).kind, ArrayKind::Local) {
                                loaded.push(*array);
                            }
                        }
                    }
                    Stmt::Store(st) => stored.push(st.array),
                    Stmt::DeclareArray(_) => return true,
                    _ => {}
                }
            }
        }
        stored.iter().any(|a| loaded.contains(a))
    }

    /// A variable the body gave its value to (`let v = …;` for user code that reads it) has it
    /// only inside the body: after the loop, it is as it was before.
    fn forget_materialized_inside(&mut self, before: &Env) {
        for (fi, frame) in before.frames.iter().enumerate() {
            for (vi, var) in frame.iter().enumerate() {
                let Binding::Sym {
                    materialized: was, ..
                } = var.binding
                else {
                    continue;
                };
                if let Some(Binding::Sym { materialized, .. }) = self
                    .env
                    .frames
                    .get_mut(fi)
                    .and_then(|f| f.get_mut(vi))
                    .map(|v| &mut v.binding)
                {
                    *materialized = was;
                }
            }
        }
    }

    /// Whether the body changed a variable from before the loop other than the carried floats.
    fn changed_outside(&self, before: &Env, carried: &[Ident]) -> bool {
        before.frames.iter().enumerate().any(|(fi, frame)| {
            frame.iter().enumerate().any(|(vi, var)| {
                let Some(after) = self.env.frames.get(fi).and_then(|f| f.get(vi)) else {
                    return true;
                };
                let same = match (&var.binding, &after.binding) {
                    (Binding::Sym { value: a, .. }, Binding::Sym { value: b, .. }) => a == b,
                    (a, b) => a == b,
                };
                !same && !carried.iter().any(|c| *c == var.name)
            })
        })
    }
}
