//! Loops whose trip count is known only at run time (`for … in 0..n`, over data, `while`,
//! `loop`): the body is lowered once, and the loop carries the floats it updates from one
//! iteration to the next, together with their partial derivatives (built by
//! [`super::loop_derivative`]).

use std::collections::BTreeSet;

use proc_macro2::{TokenStream, TokenTree};
use quote::{quote, ToTokens};
use syn::spanned::Spanned;
use syn::visit::Visit;
use syn::{BinOp, Expr, Ident};

use crate::ir::{Binder, BlockId, LoopHeader, LoopStmt, NodeId, Op, Shape, Stmt, Sweep};

use super::env::{Binding, Env};
use super::operators::compound_op;
use super::syntax::place_root;
use super::Lower;
use crate::ad::loops::{carry_derivatives, LoweredLoop};

/// A float variable that a run-time loop carries from one iteration to the next.
struct CarriedFloat {
    /// The user's name of the variable.
    name: Ident,
    /// Whether the loop only adds to it (`name += …` / `name -= …`).
    sum: bool,
}

/// The body of a run-time loop, lowered once into a block of its own.
struct LoweredBody {
    /// The block holding the body.
    block: BlockId,
    /// Per carried float: its leaf at the start of an iteration.
    starts: Vec<NodeId>,
    /// Per carried float: its value at the end of an iteration.
    ends: Vec<NodeId>,
    /// The flag that the body broke out of the loop, unless it never does.
    exit: Option<NodeId>,
    /// The constant 0 (created in the body block, before the carried leaves).
    zero: NodeId,
}

/// An outer variable a loop body assigns to (see [`carried_variables`]).
pub(super) struct AssignedInLoop {
    /// The variable.
    pub(super) name: Ident,
    /// Its first use that is not a sum (`name += …` / `name -= …`), if any.
    pub(super) misuse: Option<TokenStream>,
}

impl Lower {
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
            .map(|v| v.name)
            .collect::<Vec<_>>();
        self.promote_to_values(&promoted);
        self.lower_runtime_loop_of_values(header, pattern, body, whole, true);
    }

    /// Gives inactive (as written) float variables a value node each, so that a loop can carry
    /// them.
    pub(super) fn promote_to_values(&mut self, names: &[Ident]) {
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
        let mark = self.diag.mark();
        let Some(carried) = self.carried_floats(body) else {
            return;
        };
        let sums_only = carried.iter().all(|c| c.sum);
        if let LoopHeader::For(h) = &header {
            // The iterable is evaluated once, before the loop, on primal values.
            self.materialize(h.clone());
        }
        let header_reads = self.carried_in_condition(&header, &carried);
        if let LoopHeader::While { cond, .. } = &header {
            // The condition's other variables keep their values through the loop.
            self.materialize(cond.clone());
        }
        let parent = self.g.cur;
        let snapshot = self.env.clone();
        let names_before = self.names_introduced;
        let lowered = self.lower_body_once(parent, pattern, body, &carried);
        // A variable of undeclared type (`let mut s = a.sin();`, read as written) that the body
        // made a differentiated float: promote it and lower the loop again (the first body block
        // is left unused).
        let became_values = self.became_values(&snapshot, body);
        if retry && !became_values.is_empty() {
            self.env = snapshot;
            self.diag.rollback(mark);
            self.g.cur = parent;
            self.promote_to_values(&became_values);
            self.lower_runtime_loop_of_values(header, pattern, body, whole, false);
            return;
        }
        self.refuse_other_changes(&snapshot, &carried, whole);
        self.env = snapshot;
        self.names_introduced = names_before + 1;
        let befores: Vec<NodeId> = carried
            .iter()
            .map(|c| self.scalar_var(&c.name.to_string()).unwrap_or(lowered.zero))
            .collect();
        let derivative = carry_derivatives(
            &mut self.g,
            &LoweredLoop {
                parent,
                body: lowered.block,
                starts: &lowered.starts,
                ends: &lowered.ends,
                befores: &befores,
                sums_only,
                zero: lowered.zero,
                span: whole.span(),
            },
        );
        let header = match header {
            LoopHeader::While { cond, .. } => LoopHeader::While {
                cond,
                reads: header_reads
                    .iter()
                    .map(|n| {
                        let k = carried.iter().position(|c| c.name == *n).expect("carried");
                        (n.clone(), derivative.outs[k])
                    })
                    .collect(),
            },
            h => h,
        };
        self.g.push(Stmt::Loop(LoopStmt {
            header,
            body: lowered.block,
            local: derivative.local,
            states: derivative.states,
            exit: lowered.exit,
        }));
        // After the loop: each carried value is the loop's output (plus the value before, for a
        // sum, whose output is the sum of the increments).
        for (k, c) in carried.iter().enumerate() {
            self.set_scalar_var(&c.name.to_string(), derivative.outs[k]);
        }
    }

    /// The differentiated variables the loop carries, and whether each is a pure sum; `None`
    /// (after an error) when the loop changes an array, a tuple or a variable with no value.
    fn carried_floats(&mut self, body: &syn::Block) -> Option<Vec<CarriedFloat>> {
        let mut carried = Vec::new();
        for AssignedInLoop { name, misuse } in carried_variables(body) {
            match self.env.lookup(&name.to_string()) {
                Some(Binding::Sym {
                    value: Shape::Scalar(_),
                    ..
                }) => {
                    carried.push(CarriedFloat {
                        name,
                        sum: misuse.is_none(),
                    });
                }
                Some(Binding::Sym { .. }) => {
                    self.error_at(
                        &name,
                        format!(
                            "`{name}` is an array or tuple that this loop changes; a loop with a \
                             run-time number of iterations, or of more than 4096, may only carry \
                             single floats (a loop with a constant trip count of at most 4096 is \
                             unrolled and may do anything); carry a recurrence in a float \
                             variable instead (`prev = 0.5 * prev + …;`)"
                        ),
                    );
                    return None;
                }
                Some(Binding::Uninit { .. }) => {
                    self.error_at(
                        &name,
                        format!("`{name}` is assigned in this loop but has no value before it"),
                    );
                    return None;
                }
                _ => {}
            }
        }
        Some(carried)
    }

    /// The carried floats a `while` condition reads (after the loop, it reads their outputs).
    fn carried_in_condition(&self, header: &LoopHeader, carried: &[CarriedFloat]) -> Vec<Ident> {
        match header {
            LoopHeader::For(_) | LoopHeader::Loop => Vec::new(),
            LoopHeader::While { cond, .. } => {
                let mentioned = self.mentions(cond.clone());
                carried
                    .iter()
                    .filter(|c| mentioned.contains(&c.name))
                    .map(|c| c.name.clone())
                    .collect()
            }
        }
    }

    /// Lowers the body once, into a new block, with a fresh leaf for each carried float at the
    /// start of an iteration; the pattern's names are data read as written.
    fn lower_body_once(
        &mut self,
        parent: BlockId,
        pattern: &[Ident],
        body: &syn::Block,
        carried: &[CarriedFloat],
    ) -> LoweredBody {
        let saved = self.enter_loop_body();
        self.runtime_loop_depth += 1;
        let block = self.g.new_block(Some(parent), Sweep::FORWARD, &[]);
        self.g.cur = block;
        self.env.push();
        for name in pattern {
            self.env.bind(
                name,
                Binding::Inactive {
                    float: true,
                    by_ref: true,
                    array: None,
                    elements: false,
                },
            );
        }
        let zero = self.g.num(0.0);
        let mut starts = Vec::new();
        for c in carried {
            // The running value at the start of an iteration.
            let start = self.g.intern(Op::Bound(Binder::LoopState), c.name.span());
            self.g.set_active(start, true);
            starts.push(start);
            self.env.bind(
                &c.name,
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
            .map(|c| self.scalar_var(&c.name.to_string()).unwrap_or(zero))
            .collect();
        let broke = self.broke_flag();
        let exit = (self.g.constant(broke) != Some(0.0)).then_some(broke);
        self.env.pop();
        self.runtime_loop_depth -= 1;
        self.leave_loop_body(saved);
        LoweredBody {
            block,
            starts,
            ends,
            exit,
            zero,
        }
    }

    /// The variables of undeclared type, inactive before the loop, that the body assigns and that
    /// hold a differentiated float after it.
    fn became_values(&self, before: &Env, body: &syn::Block) -> Vec<Ident> {
        carried_variables(body)
            .into_iter()
            .map(|v| v.name)
            .filter(|name| {
                let key = name.to_string();
                matches!(
                    before.lookup(&key),
                    Some(Binding::Inactive {
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
            .collect()
    }

    /// Anything else the body changed outside itself would be lost: refuse it.
    fn refuse_other_changes(&mut self, before: &Env, carried: &[CarriedFloat], whole: &Expr) {
        for (fi, frame) in before.frames.iter().enumerate() {
            for (vi, var) in frame.iter().enumerate() {
                let after = &self.env.frames[fi][vi].binding;
                let changed = match (&var.binding, after) {
                    (Binding::Sym { value: a, .. }, Binding::Sym { value: b, .. }) => a != b,
                    (Binding::Counter { .. }, Binding::Counter { .. }) => false,
                    // User code run as written, in the emitted loop too: only what is known of
                    // its type can differ (`n` learnt to be a float by `k >= n`).
                    (Binding::Inactive { .. }, Binding::Inactive { .. }) => false,
                    (a, b) => a != b,
                };
                let name = &var.name;
                if changed && !carried.iter().any(|c| c.name == name) {
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
    }
}

/// The outer variables a loop body assigns to, each with its first use that is not a sum
/// (`name += …` / `name -= …`), if any. Variables declared in the body are left out.
pub(super) fn carried_variables(body: &syn::Block) -> Vec<AssignedInLoop> {
    #[derive(Default)]
    struct V {
        declared: BTreeSet<String>,
        assigned: Vec<Ident>,
        /// Every mention, with the expression that makes it not a sum (`None` for a sum's target).
        uses: Vec<AssignedInLoop>,
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
                    self.uses.push(AssignedInLoop { name, misuse });
                    self.visit_expr(&b.right);
                }
                _ => syn::visit::visit_expr_binary(self, b),
            }
        }
        fn visit_expr_assign(&mut self, a: &'ast syn::ExprAssign) {
            if let Some(name) = place_root(&a.left) {
                if !self.declared.contains(&name.to_string()) {
                    self.assigned.push(name.clone());
                }
                self.uses.push(AssignedInLoop {
                    name,
                    misuse: Some(a.to_token_stream()),
                });
            }
            syn::visit::visit_expr_assign(self, a);
        }
        fn visit_expr_path(&mut self, p: &'ast syn::ExprPath) {
            if let Some(i) = p.path.get_ident() {
                self.uses.push(AssignedInLoop {
                    name: i.clone(),
                    misuse: Some(p.to_token_stream()),
                });
            }
        }
        fn visit_macro(&mut self, m: &'ast syn::Macro) {
            for tt in m.tokens.clone() {
                if let TokenTree::Ident(name) = tt {
                    self.uses.push(AssignedInLoop {
                        name,
                        misuse: Some(m.to_token_stream()),
                    });
                }
            }
        }
    }
    let mut v = V::default();
    v.visit_block(body);
    let mut out: Vec<AssignedInLoop> = Vec::new();
    for name in &v.assigned {
        // Assigned before any declaration of the same name in the body: the outer variable.
        if out.iter().any(|a| a.name == *name) {
            continue;
        }
        let misuse = v
            .uses
            .iter()
            .filter(|u| u.name == *name)
            .find_map(|u| u.misuse.clone());
        out.push(AssignedInLoop {
            name: name.clone(),
            misuse,
        });
    }
    out
}
