//! The reverse of arrays and of loops kept as loops, as an expert writes it by hand:
//!
//! - a read `x[i]` sends its adjoint into the adjoint array: `dx[i] += a`;
//! - a write `z[i] = v` takes the adjoint of the element and clears it (`v̄ += dz[i]; dz[i] = 0`),
//!   an accumulation `z[i] += v` only takes it;
//! - a loop becomes a backward loop over the same range whose body recomputes the forward body's
//!   values (the values of carried floats it needs are stored by the forward loop and read back,
//!   last first), then runs the body's reverse sweep: the adjoints of the carried floats are the
//!   backward loop's own carried values, and the adjoints of the values from outside the loop
//!   are sums it carries too.
//!
//! Adjoint arrays are declared, as zeros, at the start of the sweep.

use std::collections::BTreeSet;

use proc_macro2::Span;

use crate::ad::reverse::{accumulate, reverse_block, Adjoints};
use crate::ir::{
    ArrayId, ArrayInit, ArrayKind, Binary, Binder, BlockId, DeclareArray, ForStmt, Graph,
    LoopState, NodeId, Op, SlotId, Stmt, Store, VirtualRow,
};

/// `let mut dA = [0.0; N];` at the start of the sweep `block`, for each adjoint array made since
/// `from`.
pub fn declare_adjoint_arrays(g: &mut Graph, block: BlockId, from: usize) {
    let declarations: Vec<Stmt> = (from..g.arrays.len())
        .filter(|&i| matches!(g.arrays[i].kind, ArrayKind::Adjoint { .. }))
        .map(|i| {
            Stmt::DeclareArray(DeclareArray {
                array: ArrayId(i as u32),
                init: ArrayInit::Fill(0.0),
            })
        })
        .collect();
    g.blocks[block.0 as usize].stmts.splice(0..0, declarations);
}

/// The reverse of `array[index]`, whose adjoints (per row) are `seeds`.
pub fn reverse_load(
    g: &mut Graph,
    array: ArrayId,
    (index, inner): (SlotId, Option<SlotId>),
    seeds: &[(u32, NodeId)],
) {
    for &(row, a) in seeds {
        let (row, scale) = g.resolve_row(row, Span::call_site());
        let adjoint = g.adjoint_array(array, row);
        let a = match scale {
            Some(scale) => g.mul(scale, a, Span::call_site()),
            None => a,
        };
        g.push(Stmt::Store(Store {
            array: adjoint,
            index,
            inner,
            value: a,
            accumulate: true,
        }));
    }
}

/// The rows for which `array` has an adjoint array.
fn adjoint_rows(g: &Graph, array: ArrayId) -> Vec<(u32, ArrayId)> {
    g.arrays
        .iter()
        .enumerate()
        .filter_map(|(i, a)| match a.kind {
            ArrayKind::Adjoint { of, row } if of == array => Some((row, ArrayId(i as u32))),
            _ => None,
        })
        .collect()
}

/// The reverse of `array[index] = value` (or `+=`).
pub fn reverse_store(g: &mut Graph, st: &Store, adj: &mut Adjoints) {
    if !g.array(st.array).active {
        return;
    }
    for (row, adjoint) in adjoint_rows(g, st.array) {
        let element = g.intern(
            Op::Load {
                array: adjoint,
                index: st.index,
                inner: st.inner,
            },
            Span::call_site(),
        );
        if g.is_active(st.value) {
            accumulate(g, adj, (st.value, row), element);
        }
        if !st.accumulate {
            let zero = g.num(0.0);
            g.push(Stmt::Store(Store {
                array: adjoint,
                index: st.index,
                inner: st.inner,
                value: zero,
                accumulate: false,
            }));
        }
    }
}

/// A state of the backward loop, before its `out` leaf exists.
struct Pending {
    init: NodeId,
    current: NodeId,
    next: NodeId,
    /// Where its final value goes: the adjoint of this key (times `scale`, if any).
    target: (NodeId, u32),
}

/// The backward body of a loop, built once.
struct BackwardBody {
    block: BlockId,
    states: Vec<Pending>,
    /// Per carried float and row (in the order of `inits`): whether its adjoint is the same in
    /// every iteration, and whether it stays zero when it starts at zero.
    invariant: Vec<bool>,
    untouched: Vec<bool>,
    /// The virtual rows of a factored body: `(row, what it stands for)`.
    virtual_rows: Vec<(u32, VirtualRow)>,
}

/// How the adjoints of the carried floats enter the backward body.
#[derive(Clone, Copy)]
enum Seeds {
    /// Each one is a state of the backward loop.
    States,
    /// Each one with an adjoint is the same in every iteration (a sum's): it is seeded as 1 in a
    /// virtual row of its own, and what that row accumulates is multiplied by it after the loop.
    Factored,
}

/// The reverse of a loop kept as a loop: its backward mirror (see the module docs).
pub fn reverse_for(g: &mut Graph, f: &ForStmt, adj: &mut Adjoints) {
    if f.is_backward() {
        return;
    }
    let mut rows: BTreeSet<u32> = BTreeSet::new();
    for st in &f.states {
        rows.extend(
            adj.range((st.out, 0)..=(st.out, u32::MAX))
                .map(|(k, _)| k.1),
        );
    }
    let mut seeded_by_arrays = false;
    for b in g.nested_blocks(f.body) {
        for stmt in &g.block(b).stmts {
            if let Stmt::Store(st) = stmt {
                let adjoints = adjoint_rows(g, st.array);
                seeded_by_arrays |= !adjoints.is_empty();
                rows.extend(adjoints.into_iter().map(|(r, _)| r));
            }
        }
    }
    if rows.is_empty() {
        return;
    }
    let zero = g.num(0.0);
    // The adjoints of the carried floats at the end of the loop: the backward loop's start.
    let mut inits = Vec::new();
    for st in &f.states {
        for &row in &rows {
            let init = adj.remove(&(st.out, row)).unwrap_or(zero);
            inits.push((st, row, init));
        }
    }
    let parent = g.cur;
    let first = backward_body(g, f, &inits, Seeds::States);
    // Sums only (adjoints that do not change), and nothing else seeding the body: each sum's
    // adjoint factors out of the loop, as an expert writes it.
    let factored = !seeded_by_arrays
        && (0..inits.len())
            .all(|i| first.invariant[i] || (inits[i].2 == zero && first.untouched[i]));
    let body = if factored {
        backward_body(g, f, &inits, Seeds::Factored)
    } else {
        first
    };
    g.cur = parent;
    let ordered = body
        .states
        .iter()
        .any(|p| p.next != p.current && !is_sum_of(g, p));
    let span = Span::call_site();
    let mut loop_states = Vec::new();
    let mut results = Vec::new();
    for p in body.states {
        let out = g.intern(Op::Bound(Binder::LoopState), span);
        g.set_active(out, true);
        loop_states.push(LoopState {
            out,
            init: p.init,
            current: p.current,
            next: p.next,
        });
        results.push((p.target, out));
    }
    g.push(Stmt::For(ForStmt {
        id: f.id,
        pattern: f.pattern.clone(),
        range: f.range.clone(),
        body: body.block,
        states: loop_states,
        forward: Some(Box::new(f.clone())),
        ordered,
        trip_bound: f.trip_bound.clone(),
        exit: None,
    }));
    for ((node, row), out) in results {
        if g.is_active(node) {
            // A virtual row's sum times its multiple, in the row it stands for.
            let (value, row) = match body.virtual_rows.iter().find(|(v, _)| *v == row) {
                Some(&(_, VirtualRow { parent, scale })) => (g.mul(scale, out, span), parent),
                None => (out, row),
            };
            accumulate(g, adj, (node, row), value);
        }
    }
    // A factored sum's adjoint does not change: what it had at the end, it had at the start.
    if factored {
        for (st, row, init) in &inits {
            if *init != zero && g.is_active(st.init) {
                accumulate(g, adj, (st.init, *row), *init);
            }
        }
    }
}

/// Whether a state only sums contributions (`next = current + c`): its iterations commute.
fn is_sum_of(g: &Graph, p: &Pending) -> bool {
    matches!(*g.op(p.next), Op::Binary(Binary::Add, a, b) if a == p.current || b == p.current)
}

/// Builds the backward body of `f` into a new block under the current one.
fn backward_body(
    g: &mut Graph,
    f: &ForStmt,
    inits: &[(&LoopState, u32, NodeId)],
    seeds: Seeds,
) -> BackwardBody {
    let parent = g.cur;
    let level = g.block(parent).sweep;
    let span = Span::call_site();
    let zero = g.num(0.0);
    let back = g.new_block(Some(parent), level, &[f.body]);
    g.cur = back;
    let mut inner = Adjoints::new();
    let mut currents = Vec::new();
    let mut virtual_rows = Vec::new();
    for (st, row, init) in inits {
        let (seed, seed_row) = match seeds {
            Seeds::States => {
                let current = g.intern(Op::Bound(Binder::LoopState), span);
                g.set_active(current, true);
                (Some(current), *row)
            }
            Seeds::Factored if *init != zero => {
                let v = VirtualRow {
                    parent: *row,
                    scale: *init,
                };
                let id = VirtualRow::FIRST + g.virtual_rows.len() as u32;
                g.virtual_rows.push(v);
                virtual_rows.push((id, v));
                (Some(g.num(1.0)), id)
            }
            Seeds::Factored => (None, *row),
        };
        if let Some(seed) = seed {
            if g.is_active(st.next) {
                accumulate(g, &mut inner, (st.next, seed_row), seed);
            }
        }
        currents.push(seed);
    }
    reverse_block(g, f.body, &mut inner);
    let mut states = Vec::new();
    let mut invariant = Vec::new();
    let mut untouched = Vec::new();
    for (i, (st, row, init)) in inits.iter().enumerate() {
        let next = inner.remove(&(st.current, *row)).unwrap_or(zero);
        // A factored sum's own adjoint flows back to itself: nothing to carry.
        for (v, _) in &virtual_rows {
            inner.remove(&(st.current, *v));
        }
        match (seeds, currents[i]) {
            (Seeds::States, Some(current)) => {
                invariant.push(next == current);
                untouched.push(next == zero);
                states.push(Pending {
                    init: *init,
                    current,
                    next,
                    target: (st.init, *row),
                });
            }
            _ => {
                invariant.push(false);
                untouched.push(false);
            }
        }
    }
    // What the body sends to values from outside the loop, summed over the iterations.
    let outside: Vec<((NodeId, u32), NodeId)> = std::mem::take(&mut inner).into_iter().collect();
    for (target, contribution) in outside {
        let current = g.intern(Op::Bound(Binder::LoopState), span);
        g.set_active(current, true);
        let next = g.add(current, contribution, span);
        states.push(Pending {
            init: zero,
            current,
            next,
            target,
        });
    }
    g.cur = parent;
    BackwardBody {
        block: back,
        states,
        invariant,
        untouched,
        virtual_rows,
    }
}
