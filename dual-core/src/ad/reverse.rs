//! Reverse accumulation of adjoints over the structured IR.
//!
//! The backward sweep mirrors the code it differentiates, in reverse: straight-line nodes propagate
//! their adjoint to their operands through the rule table, and each `if` becomes a backward `if` on
//! the same condition whose branches return the adjoint contributions to the values defined before
//! the `if`. Adjoints are symbolic nodes, so they are simplified and shared like primal nodes; a
//! zero adjoint is never materialised (it is simply absent from the map).
//!
//! Several outputs (rows of a Jacobian) are propagated in one sweep, keyed by `(node, row)`. The
//! sweep can run over code that is itself a backward sweep: reversing the gradient code gives the
//! Hessian (reverse-over-reverse).

use std::collections::BTreeMap;

use proc_macro2::Span;

use crate::ad::rolled;
use crate::ad::rules::partials;
use crate::ir::{Binder, BlockId, FloatOut, Graph, IfStmt, NodeId, Op, Stmt, Sweep};

/// Adjoints keyed by (node, output row).
pub type Adjoints = BTreeMap<(NodeId, u32), NodeId>;

/// The result of a reverse sweep.
pub struct Reverse {
    /// The top-level block of the new sweep (emitted after the code it differentiates).
    pub block: BlockId,
    /// The adjoints of the differentiated parameters' leaves.
    pub adjoints: Adjoints,
}

/// Runs a reverse sweep over `program` (top-level blocks in execution order) from the given
/// outputs, one per row.
pub fn reverse(g: &mut Graph, program: &[BlockId], outputs: &[NodeId]) -> Reverse {
    let level = program
        .iter()
        .map(|b| g.block(*b).sweep.0)
        .max()
        .unwrap_or(0)
        + 1;
    let block = g.new_block(None, Sweep(level), program);
    let saved = g.cur;
    g.cur = block;
    let arrays_before = g.arrays.len();
    let mut adj = Adjoints::new();
    for (row, &out) in outputs.iter().enumerate() {
        if g.is_active(out) {
            let one = g.num(1.0);
            adj.insert((out, row as u32), one);
        }
    }
    for &b in program.iter().rev() {
        reverse_block(g, b, &mut adj);
    }
    rolled::declare_adjoint_arrays(g, block, arrays_before);
    g.cur = saved;
    Reverse {
        block,
        adjoints: adj,
    }
}

/// The reverse sweep of one block (a loop body), into the nested block `into`, seeded with 1 for
/// each of `outputs` (one row each). Returns the adjoints of the values from outside the block.
pub fn reverse_into(g: &mut Graph, code: BlockId, into: BlockId, outputs: &[NodeId]) -> Adjoints {
    let saved = g.cur;
    g.cur = into;
    let mut adj = Adjoints::new();
    for (row, &out) in outputs.iter().enumerate() {
        if g.is_active(out) {
            let one = g.num(1.0);
            adj.insert((out, row as u32), one);
        }
    }
    reverse_block(g, code, &mut adj);
    g.cur = saved;
    adj
}

pub(super) fn accumulate(
    g: &mut Graph,
    adj: &mut Adjoints,
    key: (NodeId, u32),
    contribution: NodeId,
) {
    let total = match adj.get(&key) {
        Some(&prev) => g.add(prev, contribution, Span::call_site()),
        None => contribution,
    };
    adj.insert(key, total);
}

pub(super) fn take_adjoints(adj: &mut Adjoints, id: NodeId) -> Vec<(u32, NodeId)> {
    let keys: Vec<(NodeId, u32)> = adj
        .range((id, 0)..=(id, u32::MAX))
        .map(|(k, _)| *k)
        .collect();
    keys.into_iter()
        .map(|k| (k.1, adj.remove(&k).expect("present")))
        .collect()
}

pub(super) fn reverse_block(g: &mut Graph, code: BlockId, adj: &mut Adjoints) {
    let stmts = g.block(code).stmts.clone();
    for stmt in stmts.iter().rev() {
        match stmt {
            Stmt::Node(id) => {
                let id = *id;
                // Parameters keep their adjoints (the result); φ leaves are handled at their `if`.
                if !g.is_active(id) || matches!(g.op(id), Op::Param { .. } | Op::Bound(_)) {
                    continue;
                }
                let seeds = take_adjoints(adj, id);
                if seeds.is_empty() {
                    continue;
                }
                if let Op::Load {
                    array,
                    index,
                    inner,
                } = *g.op(id)
                {
                    rolled::reverse_load(g, array, (index, inner), &seeds);
                    continue;
                }
                let span = g.spans[id.0 as usize];
                let parts = partials(g, id);
                for (row, a) in seeds {
                    for &(child, partial) in &parts {
                        if g.is_active(child) {
                            let c = g.chain(a, partial, span);
                            accumulate(g, adj, (child, row), c);
                        }
                    }
                }
            }
            Stmt::If(ifs) => reverse_if(g, ifs, adj),
            Stmt::Store(st) => rolled::reverse_store(g, st, adj),
            Stmt::For(f) => rolled::reverse_for(g, f, adj),
            _ => {}
        }
    }
}

/// Whether `block` (or a block in it) stores into an array of differentiated values.
fn writes_arrays(g: &Graph, block: BlockId) -> bool {
    g.nested_blocks(block).into_iter().any(|b| {
        g.block(b)
            .stmts
            .iter()
            .any(|stmt| matches!(stmt, Stmt::Store(st) if g.array(st.array).active))
    })
}

fn reverse_if(g: &mut Graph, ifs: &IfStmt, adj: &mut Adjoints) {
    let mut seeds = Vec::new();
    for fo in &ifs.floats {
        for (row, a) in take_adjoints(adj, fo.node) {
            seeds.push((fo, row, a));
        }
    }
    // In a second sweep, values saved out of a branch of the first one get adjoints from outside
    // the branch: they go back in with the branch's own.
    let inside = |g: &Graph, adj: &Adjoints, block: BlockId| -> Vec<(NodeId, u32)> {
        adj.keys()
            .filter(|(n, _)| g.is_within(g.home[n.0 as usize], block))
            .copied()
            .collect()
    };
    let mut carried = [Vec::new(), Vec::new()];
    for (side, block) in [ifs.then, ifs.other].into_iter().enumerate() {
        for key in inside(g, adj, block) {
            carried[side].push((key, adj.remove(&key).expect("present")));
        }
    }
    // Stores into arrays have their adjoints in the arrays' adjoint arrays, not among the nodes'.
    let writes = writes_arrays(g, ifs.then) || writes_arrays(g, ifs.other);
    if seeds.is_empty() && carried.iter().all(Vec::is_empty) && !writes {
        return;
    }
    let parent = g.cur;
    let level = g.block(parent).sweep;
    let branch = |g: &mut Graph, code: BlockId, pick: fn(&FloatOut) -> NodeId, side: usize| {
        let visible = g.block(code).visible.clone();
        let b = g.new_block(Some(parent), level, &visible);
        g.cur = b;
        if writes {
            // A kept loop's backward sweep recomputes its body, which may read the user's data
            // bindings of the branch (`let c = 2;`): they are repeated here. (A binding computed
            // from a differentiated value is not: its value is not saved out of the branch, so
            // such a loop is rustc's E0425 — a known limitation, see the README.)
            for stmt in g.block(code).stmts.clone() {
                let binding = matches!(&stmt, Stmt::Verbatim(t)
                    if matches!(t.clone().into_iter().next(),
                        Some(proc_macro2::TokenTree::Ident(i)) if i == "let"));
                if binding {
                    g.push(stmt);
                }
            }
        }
        let mut inner: Adjoints = carried[side].iter().copied().collect();
        for (fo, row, a) in &seeds {
            let target = pick(fo);
            if g.is_active(target) {
                accumulate(g, &mut inner, (target, *row), *a);
            }
        }
        reverse_block(g, code, &mut inner);
        (b, inner)
    };
    let (then_b, then_adj) = branch(g, ifs.then, |fo| fo.then, 0);
    let (other_b, other_adj) = if ifs.cond.is_some() {
        branch(g, ifs.other, |fo| fo.other, 1)
    } else {
        let b = g.new_block(Some(parent), level, &[]);
        (b, Adjoints::new())
    };
    g.cur = parent;
    let mut keys: Vec<(NodeId, u32)> = then_adj.keys().chain(other_adj.keys()).copied().collect();
    keys.sort();
    keys.dedup();
    let mut floats = Vec::new();
    let mut leaves = Vec::new();
    for key in keys {
        let zero = g.num(0.0);
        let then = then_adj.get(&key).copied().unwrap_or(zero);
        let other = other_adj.get(&key).copied().unwrap_or(zero);
        let node = g.intern(Op::Bound(Binder::BackwardJoin), Span::call_site());
        let active = g.is_active(then) || g.is_active(other);
        g.set_active(node, active);
        floats.push(FloatOut { node, then, other });
        leaves.push((key, node));
    }
    g.push(Stmt::If(IfStmt {
        cond: ifs.cond,
        then: then_b,
        other: other_b,
        floats,
        bools: Vec::new(),
        tokens: Vec::new(),
        backward: true,
    }));
    for (key, node) in leaves {
        accumulate(g, adj, key, node);
    }
}
