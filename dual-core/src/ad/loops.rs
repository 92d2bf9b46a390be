//! The derivative a run-time loop carries: what is added to a loop whose trip count is known
//! only at run time so that, after the loop, each carried float comes with its partial
//! derivatives.
//!
//! The lowering calls [`carry_derivatives`] when it closes such a loop, because the loop's
//! outputs (which the code after the loop reads) are created with their partials. It is the one
//! place where lowering reaches into differentiation.
//!
//! The body has been lowered once, into its own block, with a leaf per carried value at the start
//! of an iteration (`starts`) and that value at the end of the iteration (`ends`). This module
//!
//! 1. builds a local reverse sweep of the body ([`reverse_into`]): its adjoints give
//!    ∂end/∂start (`A`) and ∂end/∂outside (`B`), where *outside* are the values defined before the
//!    loop that the body reads;
//! 2. gives the loop one state per carried value (the running value, as the function computes
//!    it) and one per partial of that value with respect to each argument of the loop: the carried
//!    values before the loop (only where they are differentiated), then the outside values;
//! 3. updates the partials once per iteration in the local block: `J' = A·J + B` (forward
//!    tangents). When every carried value is a sum (`s += …`), `A = I`, so `J' = J + B` and the
//!    partial of a sum with respect to its own value before the loop stays 1.
//!
//! The loop's outputs are `Op::Call` nodes of a fresh call number, and their partials are its
//! `call_grad` nodes, so that the backward sweep of the function treats the loop like a call.
//! The order in which nodes are created here fixes the names of the generated locals.

use proc_macro2::Span;

use crate::ad::reverse::{reverse_into, Adjoints};
use crate::ir::{Binder, BlockId, Graph, LoopState, NodeId, Op, Sweep};

/// The pieces of a run-time loop whose body has been lowered.
pub struct LoweredLoop<'a> {
    /// The block the loop statement goes into.
    pub parent: BlockId,
    /// The block holding the body, lowered once.
    pub body: BlockId,
    /// Per carried value: its leaf at the start of an iteration.
    pub starts: &'a [NodeId],
    /// Per carried value: its value at the end of an iteration.
    pub ends: &'a [NodeId],
    /// Per carried value: its value before the loop.
    pub befores: &'a [NodeId],
    /// Whether every carried value is a sum (`s += …`).
    pub sums_only: bool,
    /// The constant 0.
    pub zero: NodeId,
    /// The span of the whole loop.
    pub span: Span,
}

/// What [`carry_derivatives`] adds to the loop statement.
pub struct LoopDerivative {
    /// The block run after the body in every iteration (the local reverse sweep and the updates
    /// of the partials).
    pub local: BlockId,
    /// The values and partials the loop carries.
    pub states: Vec<LoopState>,
    /// Per carried value: the node that holds it after the loop.
    pub outs: Vec<NodeId>,
}

/// One partial derivative a carried value's row holds.
struct Partial {
    /// The node that holds the partial after the loop.
    out: NodeId,
    /// Its leaf inside the loop (the value at the start of an iteration).
    current: NodeId,
    /// Whether it is with respect to a carried value before the loop (else an outside value).
    wrt_before: bool,
}

/// The row of the Jacobian for one carried value: its partials, and what they are with respect
/// to.
struct JacobianRow {
    /// One per argument: the carried values before the loop in `befores_used`, then the outside
    /// values in `outside_used`.
    partials: Vec<Partial>,
    /// Which carried values before the loop (indices into the carried values).
    befores_used: Vec<usize>,
    /// Which outside values.
    outside_used: Vec<NodeId>,
}

/// The local reverse sweep of the body and the call the loop stands for.
struct LocalSweep {
    /// The block of the sweep (run after the body in every iteration).
    block: BlockId,
    /// The adjoints of the sweep, keyed by (node, carried value).
    adjoints: Adjoints,
    /// The values defined outside the body that the adjoints reach, in node order.
    outside: Vec<NodeId>,
    /// The call number of the loop's outputs and partials.
    call: u32,
}

/// Builds the loop's states: the carried values and their partial derivatives (see the module
/// docs). Leaves `g.cur` at the parent block.
pub fn carry_derivatives(g: &mut Graph, lp: &LoweredLoop) -> LoopDerivative {
    // Local reverse sweep of the body: row j is the gradient of carried value j's increment
    // (sums) or end value (otherwise).
    let block = g.new_block(Some(lp.body), Sweep(1), &[lp.body]);
    let adjoints = reverse_into(g, lp.body, block, lp.ends);
    let outside = outside_values(g, &adjoints, lp.body);
    let call = g.calls;
    g.calls += 1;
    let sweep = LocalSweep {
        block,
        adjoints,
        outside,
        call,
    };
    let mut states = Vec::new();
    let mut outs = Vec::new();
    let mut jacobian = Vec::new();
    for j in 0..lp.ends.len() {
        let (out, row) = carried_value(g, lp, &sweep, j, &mut states);
        outs.push(out);
        jacobian.push(row);
    }
    update_partials(g, lp, &sweep, &jacobian, &mut states);
    g.cur = lp.parent;
    LoopDerivative {
        local: block,
        states,
        outs,
    }
}

/// The values defined outside the body that its adjoints reach, in node order.
fn outside_values(g: &Graph, adjoints: &Adjoints, body: BlockId) -> Vec<NodeId> {
    let mut v: Vec<NodeId> = adjoints
        .keys()
        .map(|(n, _)| *n)
        .filter(|n| !g.is_within(g.home[n.0 as usize], body))
        .collect();
    v.sort();
    v.dedup();
    v
}

/// Carried value `j`: its state (the running value, as the function computes it) and the
/// state of each partial ∂value_j/∂arg. Returns its output node and its row of the Jacobian.
fn carried_value(
    g: &mut Graph,
    lp: &LoweredLoop,
    sweep: &LocalSweep,
    j: usize,
    states: &mut Vec<LoopState>,
) -> (NodeId, JacobianRow) {
    let (adjoints, call) = (&sweep.adjoints, sweep.call);
    let befores_used: Vec<usize> = if lp.sums_only {
        // A sum depends on its own value before the loop with derivative 1, on no other.
        (g.is_active(lp.befores[j]))
            .then_some(j)
            .into_iter()
            .collect()
    } else {
        (0..lp.ends.len()).collect()
    };
    let outside_used: Vec<NodeId> = sweep
        .outside
        .iter()
        .copied()
        .filter(|v| !lp.sums_only || adjoints.contains_key(&(*v, j as u32)))
        .collect();
    let args: Vec<NodeId> = befores_used
        .iter()
        .map(|&i| lp.befores[i])
        .chain(outside_used.iter().copied())
        .collect();
    g.cur = lp.parent;
    let out = g.intern(
        Op::Call {
            call,
            row: j as u32,
            args: args.clone(),
        },
        lp.span,
    );
    states.push(LoopState {
        out,
        init: lp.befores[j],
        current: lp.starts[j],
        next: lp.ends[j],
    });
    // Each partial's leaf after the loop is created in the parent block, its leaf inside the loop
    // in the local block.
    let mut partials = Vec::new();
    for col in 0..args.len() {
        g.cur = lp.parent;
        let out = g.call_grad(call, j as u32, col as u32, args.clone());
        g.cur = sweep.block;
        let current = g.intern(Op::Bound(Binder::LoopState), lp.span);
        partials.push(Partial {
            out,
            current,
            wrt_before: col < befores_used.len(),
        });
    }
    let row = JacobianRow {
        partials,
        befores_used,
        outside_used,
    };
    (out, row)
}

/// The update of every partial in the local block, `J' = A·J + B`, with A = ∂end/∂start and
/// B = ∂end/∂outside; for sums A = I, so J' = J + B and the partials with respect to the value
/// before the loop stay 1.
fn update_partials(
    g: &mut Graph,
    lp: &LoweredLoop,
    sweep: &LocalSweep,
    jacobian: &[JacobianRow],
    states: &mut Vec<LoopState>,
) {
    let (span, zero, adjoints) = (lp.span, lp.zero, &sweep.adjoints);
    g.cur = sweep.block;
    let one = g.num(1.0);
    let a = |j: usize, i: usize| adjoints.get(&(lp.starts[i], j as u32)).copied();
    for (j, row) in jacobian.iter().enumerate() {
        for (col, partial) in row.partials.iter().enumerate() {
            let b = if partial.wrt_before {
                None
            } else {
                adjoints
                    .get(&(row.outside_used[col - row.befores_used.len()], j as u32))
                    .copied()
            };
            let next = if lp.sums_only {
                match b {
                    Some(b) => g.add(partial.current, b, span),
                    None => partial.current,
                }
            } else {
                let mut next = b.unwrap_or(zero);
                for (i, row_i) in jacobian.iter().enumerate() {
                    if let Some(aji) = a(j, i) {
                        // Column `col` means the same argument in every row (same args).
                        let term = g.mul(aji, row_i.partials[col].current, span);
                        next = g.add(next, term, span);
                    }
                }
                next
            };
            let init = match (partial.wrt_before, lp.sums_only) {
                (true, true) => one,
                (true, false) if row.befores_used[col] == j => one,
                _ => zero,
            };
            states.push(LoopState {
                out: partial.out,
                init,
                current: partial.current,
                next,
            });
        }
    }
}
