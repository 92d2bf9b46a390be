//! Liveness: which nodes the requested outputs need, and which forward values a later sweep
//! reads from inside a branch of an earlier one (those the forward `if` must carry out).

use std::collections::{BTreeSet, HashMap};

use crate::ir::{
    ArrayId, ArrayInit, ArrayKind, BlockId, BoolVal, CallArg, Exponent, ForStmt, Graph, LoopHeader,
    NodeId, Op, SlotId, Stmt, Sweep,
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
/// arguments, loop exits and conditions, array stores; a φ needs its branch values, a loop state
/// its values.
pub(super) fn live_nodes(g: &Graph, roots: &[NodeId]) -> Vec<bool> {
    reach(g, roots.to_vec(), None)
}

/// The nodes reachable from `roots` and from the statements that always run. With `cut`, an
/// edge from a node of a backward sweep to a node marked in `cut` is not followed.
fn reach(g: &Graph, mut work: Vec<NodeId>, cut: Option<&[bool]>) -> Vec<bool> {
    let mut outs: HashMap<NodeId, (NodeId, NodeId)> = HashMap::new();
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
                Stmt::For(f) => {
                    work.extend(f.exit);
                    for st in &f.states {
                        outs.insert(st.out, (st.next, st.init));
                        outs.insert(st.current, (st.out, st.out));
                    }
                }
                // A backward store of a value of a rolled body is served by its recomputation.
                Stmt::Store(st)
                    if block.sweep > Sweep::FORWARD
                        && cut.is_some_and(|cut| cut[st.value.0 as usize]) => {}
                Stmt::Store(st) => work.push(st.value),
                Stmt::DeclareArray(d) => {
                    if let ArrayInit::Elements(items) = &d.init {
                        work.extend(items);
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
        let backward = g.block(g.home[n.0 as usize]).sweep > Sweep::FORWARD;
        let followed = |c: &NodeId| match cut {
            Some(cut) if backward => !cut[c.0 as usize],
            _ => true,
        };
        work.extend(g.op(n).children().into_iter().filter(followed));
        if let Some((t, e)) = outs.get(&n) {
            work.push(*t);
            work.push(*e);
        }
    }
    live
}

/// What the loops kept as loops need: per node, whether its block is inside the body of a forward
/// rolled loop; per such loop, the nodes of its body that its backward mirror reads (recomputed
/// there, or read from the tape for the loop's own states); and the nodes the forward copies of
/// the bodies must compute (for the forward code itself, not for the backward loops).
pub(super) struct RolledLiveness {
    /// Whether each node lives in the body of a forward rolled loop (nested blocks included).
    pub(super) in_rolled: Vec<bool>,
    /// The blocks of the bodies of forward rolled loops (nested blocks included).
    pub(super) rolled_blocks: std::collections::HashSet<BlockId>,
    /// Per forward loop (by id): the nodes of its body its backward mirror needs.
    pub(super) recompute: HashMap<u32, Vec<bool>>,
    /// The nodes the forward code needs, the backward loops' needs left out.
    pub(super) forward: Vec<bool>,
    /// Per forward loop (by id): whether its backward mirror runs last to first because an
    /// adjoint it carries changes from one iteration to the next.
    pub(super) ordered: HashMap<u32, bool>,
    /// Per forward loop (by id): the values its body writes to a local array at the loop
    /// variable (`h[k] = s.tanh()`), which its backward mirror reads back from the array instead
    /// of recomputing them (each iteration writes its own element, so the array holds them all).
    pub(super) stored: HashMap<u32, HashMap<NodeId, (ArrayId, SlotId)>>,
    /// Per forward loop (by id): its backward mirror.
    pub(super) mirrors: HashMap<u32, ForStmt>,
    /// The values from outside their bodies that recomputed bodies read (the forward code
    /// computes them; an `if` around them saves them for the backward code).
    pub(super) read_by_recompute: Vec<NodeId>,
}

/// See [`RolledLiveness`]; `live` is the liveness of everything.
pub(super) fn rolled(g: &Graph, roots: &[NodeId], live: &[bool]) -> RolledLiveness {
    let n = g.nodes.len();
    let mut in_rolled = vec![false; n];
    let mut rolled_blocks = std::collections::HashSet::new();
    let mut ordered = HashMap::new();
    // Each backward loop with its forward loop: (forward blocks, backward blocks, the loops).
    let mut pairs: Vec<(Vec<BlockId>, Vec<BlockId>, &ForStmt, &ForStmt)> = Vec::new();
    for block in &g.blocks {
        for stmt in &block.stmts {
            let Stmt::For(f) = stmt else { continue };
            match &f.forward {
                None => {
                    let inside = g.nested_blocks(f.body);
                    for (i, home) in g.home.iter().enumerate() {
                        if inside.contains(home) {
                            in_rolled[i] = true;
                        }
                    }
                    rolled_blocks.extend(inside);
                }
                Some(fwd) => {
                    ordered.insert(fwd.id, f.ordered);
                    pairs.push((g.nested_blocks(fwd.body), g.nested_blocks(f.body), fwd, f));
                }
            }
        }
    }
    let mut recompute = HashMap::new();
    let mut stored = HashMap::new();
    let mirrors = pairs
        .iter()
        .map(|(_, _, f, b)| (f.id, (*b).clone()))
        .collect();
    let mut extra_roots = Vec::new();
    // The currents of forward states their backward loops read (stored by the forward loops):
    // where a loop is run again inside a recomputed body, it stores them again, so its values
    // are recomputed too. Found by iterating until nothing changes (nesting depth times).
    let mut stored_states: std::collections::HashSet<NodeId> = std::collections::HashSet::new();
    loop {
        recompute.clear();
        stored.clear();
        extra_roots.clear();
        let mut now_stored = std::collections::HashSet::new();
        for (p, (fwd_blocks, back_blocks, fwd, back)) in pairs.iter().enumerate() {
            let kept = stored_at_loop_variable(g, fwd);
            let in_fwd = |m: NodeId| fwd_blocks.contains(&g.home[m.0 as usize]);
            // A value an inner backward loop reads of its own forward body, it recomputes itself.
            let served_inside = |reader: usize, c: NodeId| {
                pairs.iter().enumerate().any(|(q, (f2, b2, _, inner))| {
                    q != p
                        && back_blocks.contains(&inner.body)
                        && b2.contains(&g.home[reader])
                        && f2.contains(&g.home[c.0 as usize])
                })
            };
            let mut work: Vec<NodeId> = Vec::new();
            for (i, home) in g.home.iter().enumerate() {
                if live[i] && back_blocks.contains(home) {
                    work.extend(
                        g.nodes[i]
                            .children()
                            .into_iter()
                            .filter(|c| in_fwd(*c) && !served_inside(i, *c)),
                    );
                }
            }
            // Values the backward statements read directly: what they store, what the backward
            // loops and `if`s inside carry.
            for b in back_blocks {
                let served = |c: NodeId| {
                    pairs.iter().enumerate().any(|(q, (f2, b2, _, inner))| {
                        q != p
                            && back_blocks.contains(&inner.body)
                            && b2.contains(b)
                            && f2.contains(&g.home[c.0 as usize])
                    })
                };
                for stmt in &g.block(*b).stmts {
                    let read: Vec<NodeId> = match stmt {
                        Stmt::Store(st) => vec![st.value],
                        Stmt::For(f) => f.states.iter().flat_map(|st| [st.init, st.next]).collect(),
                        Stmt::If(ifs) => ifs
                            .floats
                            .iter()
                            .flat_map(|fo| [fo.then, fo.other])
                            .collect(),
                        _ => Vec::new(),
                    };
                    work.extend(read.into_iter().filter(|c| in_fwd(*c) && !served(*c)));
                }
            }
            // The states of the backward loop read their values at the end of an iteration.
            for st in &back.states {
                if in_fwd(st.next) {
                    work.push(st.next);
                }
            }
            // Loops inside the body, run again where it is recomputed, stop where they stopped; the
            // user's statements, run again, read the values they read.
            for b in fwd_blocks {
                for stmt in &g.block(*b).stmts {
                    match stmt {
                        Stmt::For(inner) => {
                            work.extend(inner.exit);
                            for st in &inner.states {
                                if stored_states.contains(&st.current) {
                                    work.extend([st.init, st.next]);
                                }
                            }
                        }
                        Stmt::User { value, .. } => work.extend(value.leaves()),
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
            extra_roots.extend(work.iter().copied().filter(|c| !in_fwd(*c)));
            let needed = reach_within(g, work, &|m| in_fwd(m), &|m| kept.contains_key(&m));
            // A forward state the backward loop reads is stored by the forward loop.
            for st in &fwd.states {
                if needed[st.current.0 as usize] {
                    extra_roots.push(st.current);
                    now_stored.insert(st.current);
                }
            }
            // What the recomputed values read from before the loop, the forward code computes.
            for (m, _) in needed.iter().enumerate().filter(|(_, n)| **n) {
                extra_roots.extend(g.nodes[m].children().into_iter().filter(|c| !in_fwd(*c)));
            }
            recompute.insert(fwd.id, needed);
            stored.insert(fwd.id, kept);
        }
        if now_stored == stored_states {
            break;
        }
        stored_states = now_stored;
    }

    let mut work = roots.to_vec();
    work.extend(extra_roots.iter().copied());
    let forward = reach(g, work, Some(&in_rolled));
    RolledLiveness {
        in_rolled,
        rolled_blocks,
        recompute,
        forward,
        ordered,
        stored,
        mirrors,
        read_by_recompute: extra_roots,
    }
}

/// The values the body of `fwd` writes to a local array at exactly the loop variable.
fn stored_at_loop_variable(g: &Graph, fwd: &ForStmt) -> HashMap<NodeId, (ArrayId, SlotId)> {
    let pattern = fwd.pattern.to_string();
    let stmts = &g.block(fwd.body).stmts;
    let at_variable: Vec<SlotId> = stmts
        .iter()
        .filter_map(|s| match s {
            Stmt::Index { slot, expr, .. } if expr.to_string() == pattern => Some(*slot),
            _ => None,
        })
        .collect();
    stmts
        .iter()
        .filter_map(|s| match s {
            Stmt::Store(st)
                if !st.accumulate
                    && st.inner.is_none()
                    && at_variable.contains(&st.index)
                    && matches!(g.array(st.array).kind, ArrayKind::Local) =>
            {
                Some((st.value, (st.array, st.index)))
            }
            _ => None,
        })
        .collect()
}

/// The nodes reachable from `work` without leaving the nodes `inside` accepts, φs and loop
/// states included.
fn reach_within(
    g: &Graph,
    mut work: Vec<NodeId>,
    inside: &dyn Fn(NodeId) -> bool,
    read_back: &dyn Fn(NodeId) -> bool,
) -> Vec<bool> {
    let mut outs: HashMap<NodeId, Vec<NodeId>> = HashMap::new();
    for block in &g.blocks {
        for stmt in &block.stmts {
            match stmt {
                Stmt::If(ifs) => {
                    for fo in &ifs.floats {
                        outs.insert(fo.node, vec![fo.then, fo.other]);
                    }
                }
                Stmt::For(f) => {
                    for st in &f.states {
                        outs.insert(st.out, vec![st.next, st.init]);
                        outs.insert(st.current, vec![st.out]);
                    }
                }
                Stmt::Loop(l) => {
                    for st in &l.states {
                        outs.insert(st.out, vec![st.next, st.init]);
                        outs.insert(st.current, vec![st.out]);
                    }
                }
                _ => {}
            }
        }
    }
    let mut seen = vec![false; g.nodes.len()];
    while let Some(m) = work.pop() {
        if !inside(m) || std::mem::replace(&mut seen[m.0 as usize], true) {
            continue;
        }
        if read_back(m) {
            continue;
        }
        work.extend(g.op(m).children());
        if let Some(more) = outs.get(&m) {
            work.extend(more);
        }
    }
    seen
}

/// Per forward `if` (keyed by its `then` block): the values it saves for later sweeps, through
/// every enclosing `if` up to the top level.
pub(super) fn saves(
    g: &Graph,
    live: &[bool],
    read_by_recompute: &[NodeId],
) -> HashMap<BlockId, Vec<Saved>> {
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
            Op::DynIndex { index: s, .. }
            | Op::IndexIs { index: s, .. }
            | Op::Load { index: s, .. } => {
                note_slot(*s, Saved::Index(*s), reader, &mut needed);
                if let Op::Load { inner: Some(t), .. } = op {
                    note_slot(*t, Saved::Index(*t), reader, &mut needed);
                }
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
            if let Stmt::Store(st) = stmt {
                for s in std::iter::once(st.index).chain(st.inner) {
                    note_slot(s, Saved::Index(s), reader, &mut needed);
                }
                note_node(st.value, reader, &mut needed);
            }
            if let Stmt::For(f) = stmt {
                for st in &f.states {
                    note_node(st.init, reader, &mut needed);
                }
            }
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
    // Recomputed bodies run in the backward code: what they read from branches is saved too.
    for &n in read_by_recompute {
        note_node(n, Sweep(1), &mut needed);
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
