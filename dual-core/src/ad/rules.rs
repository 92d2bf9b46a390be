//! The partial derivatives of every operation of the IR: the primitives' rules come from their
//! rows in the table ([`crate::ir::prim`]), built on the graph through [`RuleBuilder`]; the
//! structural operations (selections, run-time indexing, calls and their derivatives, integer
//! powers) have their rules here.
//!
//! Partials are nodes like any other, so they are simplified and shared.

use proc_macro2::Span;

use crate::ir::prim::Builder;
use crate::ir::{Binary, Cmp, Exponent, Graph, NodeId, Op, Unary};

/// The graph as the primitives' rules see it: every node they build carries the span of the
/// operation being differentiated, and goes to the current block.
pub struct RuleBuilder<'g> {
    /// The graph the partials are added to.
    pub g: &'g mut Graph,
    /// The span of the operation.
    pub s: Span,
}

impl Builder for RuleBuilder<'_> {
    type Value = NodeId;

    fn num(&mut self, v: f64) -> NodeId {
        self.g.num(v)
    }
    fn add(&mut self, a: NodeId, b: NodeId) -> NodeId {
        self.g.add(a, b, self.s)
    }
    fn sub(&mut self, a: NodeId, b: NodeId) -> NodeId {
        self.g.sub(a, b, self.s)
    }
    fn mul(&mut self, a: NodeId, b: NodeId) -> NodeId {
        self.g.mul(a, b, self.s)
    }
    fn div(&mut self, a: NodeId, b: NodeId) -> NodeId {
        self.g.div(a, b, self.s)
    }
    fn neg(&mut self, a: NodeId) -> NodeId {
        self.g.neg(a, self.s)
    }
    fn recip(&mut self, a: NodeId) -> NodeId {
        self.g.recip(a, self.s)
    }
    fn unary(&mut self, op: Unary, a: NodeId) -> NodeId {
        self.g.unary(op, a, self.s)
    }
    fn binary(&mut self, op: Binary, a: NodeId, b: NodeId) -> NodeId {
        self.g.binary(op, a, b, self.s)
    }
    fn powi(&mut self, x: NodeId, n: i32) -> NodeId {
        let e = Exponent {
            slot: None,
            offset: n,
        };
        self.g.powi(x, e, self.s)
    }
    fn select(
        &mut self,
        cmp: Cmp,
        lhs: NodeId,
        rhs: NodeId,
        then: NodeId,
        other: NodeId,
    ) -> NodeId {
        self.g.select(cmp, lhs, rhs, then, other, self.s)
    }
    fn sign0(&mut self, x: NodeId) -> NodeId {
        self.g.intern(Op::Sign0(x), self.s)
    }
    fn constant(&self, v: NodeId) -> Option<f64> {
        self.g.constant(v)
    }
    fn is_active(&self, v: NodeId) -> bool {
        self.g.is_active(v)
    }
}

/// The partial derivatives of node `id` with respect to each of its operands (operands whose
/// partial is identically zero are left out). New nodes go to the current block.
pub fn partials(g: &mut Graph, id: NodeId) -> Vec<(NodeId, NodeId)> {
    let s = g.spans[id.0 as usize];
    let op = g.op(id).clone();
    let mut out = Vec::new();
    match op {
        Op::Const(_)
        | Op::Param { .. }
        | Op::Opaque
        | Op::Bound(_)
        | Op::Load { .. }
        | Op::CallHess { .. }
        | Op::Sign0(_)
        | Op::IntAsFloat(_)
        | Op::IndexIs { .. } => {}
        Op::DynIndex { index, items } => {
            for (at, item) in items.into_iter().enumerate() {
                let at = at as u32;
                out.push((item, g.intern(Op::IndexIs { index, at }, s)));
            }
        }
        Op::Call { call, row, args } => {
            for (col, arg) in args.iter().enumerate() {
                let grad = g.call_grad(call, row, col as u32, args.clone());
                out.push((*arg, grad));
            }
        }
        Op::CallGrad {
            call, col, args, ..
        } => {
            // Second derivatives of a callee come from its `_value_gradient_and_hessian`.
            for (k, arg) in args.into_iter().enumerate() {
                let h = g.intern(
                    Op::CallHess {
                        call,
                        row: col,
                        col: k as u32,
                    },
                    s,
                );
                out.push((arg, h));
            }
        }
        Op::Select {
            cmp,
            lhs,
            rhs,
            then,
            other,
        } => {
            // The comparison is piecewise constant: only the chosen value carries a derivative.
            let (one, zero) = (g.num(1.0), g.num(0.0));
            out.push((then, g.select(cmp, lhs, rhs, one, zero, s)));
            out.push((other, g.select(cmp, lhs, rhs, zero, one, s)));
        }
        Op::Unary(u, x) => {
            let dx = u.derivative(&mut RuleBuilder { g, s }, x, id);
            out.extend(dx.map(|p| (x, p)));
        }
        Op::Binary(b, x, y) => {
            let [dx, dy] = b.derivative(&mut RuleBuilder { g, s }, x, y, id);
            out.extend(dx.map(|p| (x, p)));
            out.extend(dy.map(|p| (y, p)));
        }
        Op::Ternary(t, x, y, z) => {
            let partials = t.derivative(&mut RuleBuilder { g, s }, x, y, z);
            out.extend(
                [x, y, z]
                    .into_iter()
                    .zip(partials)
                    .filter_map(|(v, p)| Some((v, p?))),
            );
        }
        Op::Powi(x, e) => {
            let lower = Exponent {
                slot: e.slot,
                offset: e.offset.wrapping_sub(1),
            };
            let pow = g.powi(x, lower, s);
            let n = match e.slot {
                None => g.num(f64::from(e.offset)),
                Some(_) => g.int_as_float(e, s),
            };
            out.push((x, g.mul(n, pow, s)));
        }
    }
    out.retain(|(_, p)| g.constant(*p) != Some(0.0));
    out
}
