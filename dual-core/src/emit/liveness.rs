//! Liveness: which nodes the requested outputs need, and which forward values a later sweep
//! reads from inside a branch of an earlier one (those the forward `if` must carry out).

use std::collections::{BTreeSet, HashMap};

use crate::ir::{
    BlockId, BoolVal, CallArg, Exponent, Graph, LoopHeader, NodeId, Op, SlotId, Stmt, Sweep,
};

/// Something a forward `if` carries out for the backward sweep.
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub(super) enum Saved {
    Node(NodeId),
    Cond(SlotId),
    Int(SlotId),
    Index(SlotId),
}

/// Whether each node is needed by the roots, by user statements (which always run), by calls'
/// arguments, loop exits and conditions; a φ needs its branch values.
pub(super) fn live_nodes(g: &Graph, roots: &[NodeId]) -> Vec<bool> {
    let mut outs: HashMap<NodeId, (NodeId, NodeId)> = HashMap::new();
    let mut work: Vec<NodeId> = roots.to_vec();
    for block in &g.blocks {
        for stmt in &block.stmts {
            match stmt {
                Stmt::If(ifs) => {
                    for fo in &ifs.floats {
                        outs.insert(fo.node, (fo.then, fo.other));
                    }
                }
                Stmt::User { value, .. } => work.extend(value.leaves()),
                Stmt::Loop(l) => {
                    if let LoopHeader::While { reads, .. } = &l.header {
                        work.extend(reads.iter().map(|(_, out)| *out));
                    }
                    work.extend(l.exit);
                    for st in &l.states {
                        outs.insert(st.out, (st.next, st.init));
                        outs.insert(st.current, (st.out, st.out));
                    }
                }
                Stmt::Call(c) => {
                    for a in &c.args {
                        match a {
                            CallArg::Scalar(n) => work.push(*n),
                            CallArg::Array(ns) => work.extend(ns),
                            CallArg::Tokens(_) => {}
                        }
                    }
                }
                _ => {}
            }
        }
    }
    let mut live = vec![false; g.nodes.len()];
    while let Some(n) = work.pop() {
        if std::mem::replace(&mut live[n.0 as usize], true) {
            continue;
        }
        work.extend(g.op(n).children());
        if let Some((t, e)) = outs.get(&n) {
            work.push(*t);
            work.push(*e);
        }
    }

    live
}

/// Per forward `if` (keyed by its `then` block): the values it saves for later sweeps, through
/// every enclosing `if` up to the top level.
pub(super) fn saves(g: &Graph, live: &[bool]) -> HashMap<BlockId, Vec<Saved>> {
    // The `if` that owns each branch: block → (the block of the `if`, its `then` block).
    let mut owner: HashMap<BlockId, (BlockId, BlockId)> = HashMap::new();
    for (bi, block) in g.blocks.iter().enumerate() {
        for stmt in &block.stmts {
            if let Stmt::If(ifs) = stmt {
                owner.insert(ifs.then, (BlockId(bi as u32), ifs.then));
                owner.insert(ifs.other, (BlockId(bi as u32), ifs.then));
            }
        }
    }
    // What a later sweep reads from inside branches of an earlier one.
    let mut needed: BTreeSet<Saved> = BTreeSet::new();
    let earlier_branch = |b: BlockId, reader: Sweep| {
        let block = g.block(b);
        block.parent.is_some() && block.sweep < reader
    };
    let note_node = |n: NodeId, reader: Sweep, needed: &mut BTreeSet<Saved>| {
        if g.constant(n).is_none() && earlier_branch(g.home[n.0 as usize], reader) {
            needed.insert(Saved::Node(n));
        }
    };
    let note_slot = |s: SlotId, item: Saved, reader: Sweep, needed: &mut BTreeSet<Saved>| {
        if earlier_branch(g.slot_home[s.0 as usize], reader) {
            needed.insert(item);
        }
    };
    for (i, op) in g.nodes.iter().enumerate() {
        let reader = g.block(g.home[i]).sweep;
        if !live[i] || reader == Sweep::FORWARD {
            continue;
        }
        for c in op.children() {
            note_node(c, reader, &mut needed);
        }
        match op {
            Op::Powi(_, Exponent { slot: Some(s), .. })
            | Op::IntAsFloat(Exponent { slot: Some(s), .. }) => {
                note_slot(*s, Saved::Int(*s), reader, &mut needed);
            }
            Op::DynIndex { index: s, .. } | Op::IndexIs { index: s, .. } => {
                note_slot(*s, Saved::Index(*s), reader, &mut needed);
            }
            _ => {}
        }
    }
    for block in &g.blocks {
        let reader = block.sweep;
        if reader == Sweep::FORWARD {
            continue;
        }
        for stmt in &block.stmts {
            if let Stmt::If(ifs) = stmt {
                for fo in ifs.floats.iter().filter(|fo| live[fo.node.0 as usize]) {
                    note_node(fo.then, reader, &mut needed);
                    note_node(fo.other, reader, &mut needed);
                }
                if let Some(BoolVal::Slot { slot, .. }) = ifs.cond {
                    note_slot(slot, Saved::Cond(slot), reader, &mut needed);
                }
            }
        }
    }
    let mut saves: HashMap<BlockId, Vec<Saved>> = HashMap::new();
    for item in needed {
        let mut b = match item {
            Saved::Node(n) => g.home[n.0 as usize],
            Saved::Cond(s) | Saved::Int(s) | Saved::Index(s) => g.slot_home[s.0 as usize],
        };
        while let Some(&(parent, then)) = owner.get(&b) {
            saves.entry(then).or_default().push(item);
            b = parent;
        }
    }
    saves
}
