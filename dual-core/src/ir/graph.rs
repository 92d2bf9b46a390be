//! The IR: a flat, hash-consed arena of pure `f64` expression nodes (children before parents),
//! organised into structured blocks of statements that mirror the user's control flow.
//!
//! Nodes are pure math and never have side effects; everything with effects (inactive user
//! statements, bindings of inactive values, calls) is a [`Stmt`] in a [`Block`], kept in program
//! order. Each node lives in the block where it was created (its *home*): it may be used there, in
//! blocks nested inside, and — when the emitter saves it through the enclosing `if`s — by the
//! backward code that mirrors its block.

use std::collections::HashMap;

use proc_macro2::{Span, TokenStream};
use syn::Ident;

use crate::ir::{ArrayId, ArrayInfo, ArrayKind, Binary, Cmp, ForStmt, Ternary, Unary};
use crate::ir::{DeclareArray, Store, VirtualRow};

/// The float type of a function: all its differentiated values and its result have it.
#[derive(Copy, Clone, PartialEq, Eq, Debug, Default)]
pub enum FloatTy {
    /// `f64`
    #[default]
    F64,
    /// `f32`
    F32,
}

impl FloatTy {
    /// The type's name.
    pub fn name(self) -> &'static str {
        match self {
            FloatTy::F64 => "f64",
            FloatTy::F32 => "f32",
        }
    }

    /// `v` rounded to this type (exact for `f64`).
    pub fn round(self, v: f64) -> f64 {
        match self {
            FloatTy::F64 => v,
            FloatTy::F32 => f64::from(v as f32),
        }
    }
}

/// Index of a node in the arena.
#[derive(Copy, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct NodeId(pub u32);

/// Index of a block.
#[derive(Copy, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct BlockId(pub u32);

/// Index of a generated local that is not a float node: a condition, an integer exponent or an
/// inactive value carried out of a branch.
#[derive(Copy, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct SlotId(pub u32);

/// An `i32` exponent of `powi`: a literal, or a bound integer local plus a literal offset.
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug)]
pub struct Exponent {
    /// The integer local, if the exponent is not a literal.
    pub slot: Option<SlotId>,
    /// Added to the slot's value (or the whole exponent when there is no slot).
    pub offset: i32,
}

/// What binds an [`Op::Bound`] leaf.
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug)]
pub enum Binder {
    /// The φ of a forward `if` ([`FloatOut`]): the value of the branch taken.
    IfJoin,
    /// The φ of a backward `if`: an adjoint contribution whose value depends on the branch.
    BackwardJoin,
    /// A loop-carried value at the start of an iteration ([`LoopState`]).
    LoopState,
    /// A value that stands for an expression with an error; never emitted.
    Poison,
}

/// One node: an operation on earlier nodes, or a leaf. (Fields are named after what they hold.)
#[allow(missing_docs)]
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub enum Op {
    /// A constant, stored as the bits of an `f64`.
    Const(u64),
    /// Scalar `index` of differentiated parameter `param` (`index` is `None` for a scalar).
    Param { param: u32, index: Option<u32> },
    /// An inactive float computed by user code, bound by [`Stmt::Bind`].
    Opaque,
    /// A float that a statement binds: see [`Binder`].
    Bound(Binder),
    /// Output `row` of call `call`; its operands are the call's active scalar arguments.
    Call {
        call: u32,
        row: u32,
        args: Vec<NodeId>,
    },
    /// The partial derivative of output `row` of call `call` with respect to its argument `col`
    /// (a function of the arguments `args`).
    CallGrad {
        call: u32,
        row: u32,
        col: u32,
        args: Vec<NodeId>,
    },
    /// The second derivative of a scalar call with respect to its arguments `row` and `col`.
    CallHess { call: u32, row: u32, col: u32 },
    /// A unary primitive.
    Unary(Unary, NodeId),
    /// A binary primitive (the receiver first for method forms).
    Binary(Binary, NodeId, NodeId),
    /// A primitive of three floats (the receiver first).
    Ternary(Ternary, NodeId, NodeId, NodeId),
    /// `x.powi(n)`.
    Powi(NodeId, Exponent),
    /// `if lhs CMP rhs { then } else { other }` (derivatives of max, min, clamp).
    Select {
        cmp: Cmp,
        lhs: NodeId,
        rhs: NodeId,
        then: NodeId,
        other: NodeId,
    },
    /// The sign of `x` with sign(±0) = 0 and sign(NaN) = NaN (the derivative of `abs`).
    Sign0(NodeId),
    /// An integer exponent as a float (the factor `n` in d xⁿ = n·xⁿ⁻¹ dx).
    IntAsFloat(Exponent),
    /// `[items…][i]` for a run-time index `i` (a bound `usize`).
    DynIndex { index: SlotId, items: Vec<NodeId> },
    /// `array[index]` (or `array[index][inner]` for an array of arrays) for run-time indices
    /// (bound `usize`s).
    Load {
        array: ArrayId,
        index: SlotId,
        inner: Option<SlotId>,
    },
    /// `1` when the run-time index equals `at`, else `0` (the derivative of [`Op::DynIndex`]).
    IndexIs { index: SlotId, at: u32 },
}

impl Op {
    /// The nodes this one reads.
    pub fn children(&self) -> Vec<NodeId> {
        match self {
            Op::Const(_)
            | Op::Param { .. }
            | Op::Opaque
            | Op::Bound(_)
            | Op::CallHess { .. }
            | Op::IntAsFloat(_)
            | Op::Load { .. }
            | Op::IndexIs { .. } => vec![],
            Op::DynIndex { items, .. } => items.clone(),
            Op::Call { args, .. } | Op::CallGrad { args, .. } => args.clone(),
            Op::Unary(_, a) | Op::Powi(a, _) | Op::Sign0(a) => vec![*a],
            Op::Binary(_, a, b) => vec![*a, *b],
            Op::Ternary(_, a, b, c) => vec![*a, *b, *c],
            Op::Select {
                lhs,
                rhs,
                then,
                other,
                ..
            } => vec![*lhs, *rhs, *then, *other],
        }
    }

    /// Leaves are bound by a statement or at the start of the function, never by their own `let`.
    pub fn is_leaf(&self) -> bool {
        matches!(
            self,
            Op::Const(_)
                | Op::Param { .. }
                | Op::Opaque
                | Op::Bound(_)
                | Op::Call { .. }
                | Op::CallGrad { .. }
                | Op::CallHess { .. }
        )
    }
}

/// A boolean known to the IR: a constant or a bound condition local, possibly negated.
#[allow(missing_docs)]
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub enum BoolVal {
    /// A constant.
    Const(bool),
    /// A bound `bool` local.
    Slot { slot: SlotId, negate: bool },
}

/// A float output of an `if`: the φ node and its value in each branch.
#[derive(Clone, Debug)]
pub struct FloatOut {
    /// The [`Op::Bound`] leaf bound after the `if`.
    pub node: NodeId,
    /// Value at the end of the `then` branch.
    pub then: NodeId,
    /// Value at the end of the `else` branch (or the scope, for an unconditional scope).
    pub other: NodeId,
}

/// A structured `if` (or, with `cond: None`, an unconditional scope `{ … }`).
#[derive(Clone, Debug)]
pub struct IfStmt {
    /// The condition; `None` for a plain scope, whose only branch is `then`.
    pub cond: Option<BoolVal>,
    /// The `then` branch (or the scope).
    pub then: BlockId,
    /// The `else` branch (empty for a scope).
    pub other: BlockId,
    /// Float φs.
    pub floats: Vec<FloatOut>,
    /// Boolean φs (early-return flags).
    pub bools: Vec<(SlotId, BoolVal, BoolVal)>,
    /// Inactive values carried out (the value of an `if` expression of non-float type).
    pub tokens: Vec<(SlotId, TokenStream, TokenStream)>,
    /// True for the mirror of a forward `if` in the backward sweep.
    pub backward: bool,
}

/// A loop whose trip count is known only at run time. To the rest of the IR it is like a call:
/// each differentiated value it carries out is an [`Op::Call`] node whose partials ([`Op::CallGrad`])
/// the loop computes alongside, as loop-carried *states*: for sums, the gradient of each increment
/// is accumulated; otherwise the Jacobian of the carried values is propagated forwards, one
/// iteration at a time (forward tangents inside the loop, no tape).
#[derive(Clone, Debug)]
pub struct LoopStmt {
    /// How the loop starts.
    pub header: LoopHeader,
    /// The body (the user's code, lowered).
    pub body: BlockId,
    /// The local reverse sweep of the body and the updates of the states, emitted after it.
    pub local: BlockId,
    /// The loop-carried states.
    pub states: Vec<LoopState>,
    /// A flag (1 or 0) set by `break` in the body: the loop ends after this iteration's update.
    pub exit: Option<NodeId>,
}

/// The head of a [`LoopStmt`].
#[derive(Clone, Debug)]
pub enum LoopHeader {
    /// `for PAT in EXPR`, as written.
    For(TokenStream),
    /// `loop`.
    Loop,
    /// `while COND`; `reads` gives the variables of the condition that the loop carries, with
    /// the state that holds their current value.
    While {
        /// The condition, as written.
        cond: TokenStream,
        /// `(user name, state)` for each carried variable the condition reads.
        reads: Vec<(Ident, NodeId)>,
    },
}

/// One loop-carried value: `let mut out = init;` before the loop, `let current = out;` at the top
/// of each iteration, `out = next;` at its end. After the loop, `out` is the final value.
#[derive(Clone, Debug)]
pub struct LoopState {
    /// The leaf that holds the state (its value after the loop).
    pub out: NodeId,
    /// The value before the first iteration.
    pub init: NodeId,
    /// The leaf that holds the state at the start of an iteration.
    pub current: NodeId,
    /// The value at the end of an iteration.
    pub next: NodeId,
}

/// A call to an annotated function (or one with a hand-written `NAME_value_and_gradient`).
#[derive(Clone, Debug)]
pub struct CallStmt {
    /// The path of the companion to call, e.g. `m::g_value_and_gradient` or `self.g_value_and_gradient`.
    pub callee: TokenStream,
    /// The arguments as emitted (active ones refer to nodes through [`CallArg::Scalar`] and [`CallArg::Array`]).
    pub args: Vec<CallArg>,
    /// Output nodes ([`Op::Call`]), one per row.
    pub outputs: Vec<NodeId>,
    /// How the result value is destructured.
    pub result: CallResult,
    /// Whether the callee may return more rows than are read (`[a, b, ..]`).
    pub open_rows: bool,
    /// `grads[row][col]`: the [`Op::CallGrad`] leaves.
    pub grads: Vec<Vec<NodeId>>,
    /// `hessian[row][col]`: the [`Op::CallHess`] leaves, when the callee's Hessian is needed
    /// (then `callee` is its `_value_gradient_and_hessian`).
    pub hessian: Option<Vec<Vec<NodeId>>>,
    /// The shape of the gradient (per differentiated argument: `None` scalar, `Some(n)` array).
    pub grad_shape: Vec<Option<usize>>,
    /// Whether the gradient may have entries after those read (trailing constant arguments).
    pub open_grads: bool,
    /// Span of the call in user code.
    pub span: Span,
}

/// How a call's value is destructured.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum CallResult {
    /// A scalar: `NAME_value_and_gradient`.
    Scalar,
    /// `[f64; M]`: `NAME_value_and_jacobian`.
    Array,
    /// A tuple of `f64`: `NAME_value_and_jacobian`.
    Tuple,
}

/// One argument of a [`CallStmt`].
#[derive(Clone, Debug)]
pub enum CallArg {
    /// An active scalar.
    Scalar(NodeId),
    /// An active array.
    Array(Vec<NodeId>),
    /// An inactive expression, emitted as written.
    Tokens(TokenStream),
}

/// A value given to a user-visible name so that user code can read it.
#[derive(Clone, Debug, PartialEq)]
pub enum Shape {
    /// A float.
    Scalar(NodeId),
    /// `[a, b, …]`.
    Array(Vec<Shape>),
    /// `(a, b, …)`.
    Tuple(Vec<Shape>),
    /// An array of the IR (see [`crate::ir::arrays`]): no scalars of its own.
    ArrayVar(ArrayId),
}

impl Shape {
    /// The scalars, flattened in order.
    pub fn leaves(&self) -> Vec<NodeId> {
        let mut out = Vec::new();
        self.collect(&mut out);
        out
    }

    fn collect(&self, out: &mut Vec<NodeId>) {
        match self {
            Shape::Scalar(n) => out.push(*n),
            Shape::Array(items) | Shape::Tuple(items) => items.iter().for_each(|s| s.collect(out)),
            Shape::ArrayVar(_) => {}
        }
    }

    /// The same shape with the leaves replaced, in order.
    pub fn rebuild(&self, leaves: &mut impl Iterator<Item = NodeId>) -> Shape {
        match self {
            Shape::Scalar(_) => Shape::Scalar(leaves.next().expect("shape leaves")),
            Shape::Array(items) => Shape::Array(items.iter().map(|s| s.rebuild(leaves)).collect()),
            Shape::Tuple(items) => Shape::Tuple(items.iter().map(|s| s.rebuild(leaves)).collect()),
            Shape::ArrayVar(a) => Shape::ArrayVar(*a),
        }
    }

    /// True when `other` has the same structure.
    pub fn same_structure(&self, other: &Shape) -> bool {
        match (self, other) {
            (Shape::Scalar(_), Shape::Scalar(_)) => true,
            (Shape::ArrayVar(a), Shape::ArrayVar(b)) => a == b,
            (Shape::Array(a), Shape::Array(b)) | (Shape::Tuple(a), Shape::Tuple(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.same_structure(y))
            }
            _ => false,
        }
    }
}

/// A statement of a block, in program order. (Fields are named after what they hold.)
#[allow(missing_docs)]
#[derive(Clone, Debug)]
pub enum Stmt {
    /// A node was created here (emitted as `let t = …;` when live and not a leaf).
    Node(NodeId),
    /// `let t = <expr>;`: an inactive float read into the [`Op::Opaque`] node.
    Bind { node: NodeId, expr: TokenStream },
    /// `let c: bool = <expr>;`.
    Cond { slot: SlotId, expr: TokenStream },
    /// `let k: i32 = <expr>;` (a `powi` exponent).
    Int { slot: SlotId, expr: TokenStream },
    /// `let i: usize = <expr>;` (a run-time index into a differentiated array, checked like the
    /// function checks it, even where only derivatives read it).
    Index {
        slot: SlotId,
        expr: TokenStream,
        bound: IndexBound,
    },
    /// `let [mut] name = value;`: gives a user variable its current primal value.
    User {
        name: Ident,
        mutable: bool,
        value: Shape,
        /// `let name = &value;`: the user's code sees a reference (an element of `x.iter()`).
        by_ref: bool,
    },
    /// An inactive user statement, emitted as written.
    Verbatim(TokenStream),
    /// A structured `if` or scope.
    If(IfStmt),
    /// A call to another differentiated function.
    Call(CallStmt),
    /// A loop summing differentiated values over a run-time number of iterations.
    Loop(LoopStmt),
    /// A `for` loop over a range, kept a loop (see [`crate::ir::arrays`]).
    For(ForStmt),
    /// `let mut a = …;` for an array of the IR.
    DeclareArray(DeclareArray),
    /// `a[i] = v;` / `a[i] += v;`.
    Store(Store),
}

/// What a run-time index is checked against.
#[derive(Clone, Copy, Debug)]
pub enum IndexBound {
    /// An array of this many scalars (a bag of nodes).
    Len(usize),
    /// An array of the IR.
    Array(ArrayId),
    /// A row of an array of arrays of the IR, at the given (checked) row.
    Row(ArrayId, SlotId),
}

/// The sweep a block belongs to: 0 for the forward (primal) code, 1 for the adjoints of the
/// gradient, 2 for the second reverse sweep of a Hessian. Code of a later sweep runs after all code
/// of the earlier ones, so it may read their values (saved out of branches where needed).
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub struct Sweep(pub u8);

impl Sweep {
    /// The primal code.
    pub const FORWARD: Sweep = Sweep(0);
}

/// A block of statements.
#[derive(Debug)]
pub struct Block {
    /// Statements in program order.
    pub stmts: Vec<Stmt>,
    /// Blocks whose nodes are visible here, innermost first (this block included).
    pub visible: Vec<BlockId>,
    /// The enclosing block in the same sweep, if any.
    pub parent: Option<BlockId>,
    /// Which sweep the block belongs to.
    pub sweep: Sweep,
    dedup: HashMap<Op, NodeId>,
}

/// The arena of nodes and blocks of one function.
#[derive(Debug)]
pub struct Graph {
    /// The nodes, children before parents.
    pub nodes: Vec<Op>,
    /// The user span each node came from.
    pub spans: Vec<Span>,
    /// The block each node was created in.
    pub home: Vec<BlockId>,
    /// Whether each node depends on a differentiated parameter.
    pub active: Vec<bool>,
    /// All blocks; block 0 is the top level of the forward sweep.
    pub blocks: Vec<Block>,
    /// The block new nodes and statements go to.
    pub cur: BlockId,
    /// The block in which each slot (condition, integer) was bound.
    pub slot_home: Vec<BlockId>,
    /// Number of calls so far.
    pub calls: u32,
    /// The float type of every node.
    pub float: FloatTy,
    /// The arrays of the IR.
    pub arrays: Vec<ArrayInfo>,
    /// Number of [`ForStmt`] loops so far.
    pub loops: u32,
    /// The rows of adjoints that stand for a multiple of another row (see
    /// [`crate::ir::VirtualRow`]); row `VirtualRow::FIRST + i` is entry `i`.
    pub virtual_rows: Vec<VirtualRow>,
}

impl Default for Graph {
    fn default() -> Self {
        Self::new()
    }
}

impl Graph {
    /// An empty graph with the forward top-level block.
    pub fn new() -> Self {
        let mut g = Graph {
            nodes: Vec::new(),
            spans: Vec::new(),
            home: Vec::new(),
            active: Vec::new(),
            blocks: Vec::new(),
            cur: BlockId(0),
            slot_home: Vec::new(),
            calls: 0,
            float: FloatTy::F64,
            arrays: Vec::new(),
            loops: 0,
            virtual_rows: Vec::new(),
        };
        g.new_block(None, Sweep::FORWARD, &[]);
        g
    }

    /// Creates a block nested in `parent` whose nodes see `extra_visible` as well.
    pub fn new_block(
        &mut self,
        parent: Option<BlockId>,
        sweep: Sweep,
        extra_visible: &[BlockId],
    ) -> BlockId {
        let id = BlockId(self.blocks.len() as u32);
        let mut visible = vec![id];
        visible.extend_from_slice(extra_visible);
        if let Some(p) = parent {
            visible.extend(self.blocks[p.0 as usize].visible.iter().copied());
        }
        self.blocks.push(Block {
            stmts: Vec::new(),
            visible,
            parent,
            sweep,
            dedup: HashMap::new(),
        });
        id
    }

    /// The block with this id.
    pub fn block(&self, id: BlockId) -> &Block {
        &self.blocks[id.0 as usize]
    }

    /// Appends a statement to the current block.
    pub fn push(&mut self, stmt: Stmt) {
        let cur = self.cur.0 as usize;
        self.blocks[cur].stmts.push(stmt);
    }

    /// A fresh slot bound in the current block.
    pub fn slot(&mut self) -> SlotId {
        self.slot_home.push(self.cur);
        SlotId(self.slot_home.len() as u32 - 1)
    }

    /// A fresh slot bound in `block`.
    pub fn slot_in(&mut self, block: BlockId) -> SlotId {
        self.slot_home.push(block);
        SlotId(self.slot_home.len() as u32 - 1)
    }

    /// Moves the hash-consing entries of an inlined block to its parent.
    pub fn move_dedup(&mut self, child: BlockId, parent: BlockId) {
        let entries = std::mem::take(&mut self.blocks[child.0 as usize].dedup);
        self.blocks[parent.0 as usize].dedup.extend(entries);
    }

    /// The operation of a node.
    pub fn op(&self, id: NodeId) -> &Op {
        &self.nodes[id.0 as usize]
    }

    /// The constant value of a node, if it is one.
    pub fn constant(&self, id: NodeId) -> Option<f64> {
        match self.op(id) {
            Op::Const(bits) => Some(f64::from_bits(*bits)),
            _ => None,
        }
    }

    /// Whether a node depends on a differentiated parameter.
    pub fn is_active(&self, id: NodeId) -> bool {
        self.active[id.0 as usize]
    }

    /// Adds a node as written (no simplification), reusing an equal visible node.
    pub fn intern(&mut self, op: Op, span: Span) -> NodeId {
        // Elements of arrays that change are read anew each time.
        let unique = match &op {
            Op::Opaque | Op::Bound(_) => true,
            Op::Load { array, .. } => !matches!(self.array(*array).kind, ArrayKind::Param { .. }),
            _ => false,
        };
        if !unique {
            for b in &self.blocks[self.cur.0 as usize].visible {
                if let Some(&id) = self.blocks[b.0 as usize].dedup.get(&op) {
                    return id;
                }
            }
        }
        let active = match &op {
            Op::Param { .. } => true,
            Op::Load { array, .. } => self.array(*array).active,
            Op::Const(_)
            | Op::Opaque
            | Op::CallHess { .. }
            | Op::IntAsFloat(_)
            | Op::IndexIs { .. } => false,
            // Outs of forward φs are set by the caller; backward outs are adjoints.
            Op::Bound(_) => false,
            other => other.children().iter().any(|c| self.is_active(*c)),
        };
        let id = NodeId(self.nodes.len() as u32);
        self.nodes.push(op.clone());
        self.spans.push(span);
        self.home.push(self.cur);
        self.active.push(active);
        let cur = self.cur.0 as usize;
        if !unique {
            self.blocks[cur].dedup.insert(op, id);
        }
        self.blocks[cur].stmts.push(Stmt::Node(id));
        id
    }

    /// The array with this id.
    pub fn array(&self, id: ArrayId) -> &ArrayInfo {
        &self.arrays[id.0 as usize]
    }

    /// A new array of the IR.
    pub fn new_array(&mut self, kind: ArrayKind, len: TokenStream, active: bool) -> ArrayId {
        let on_heap = match &kind {
            ArrayKind::Adjoint { of, .. } => self.array(*of).on_heap,
            _ => false,
        };
        let inner_len = match &kind {
            ArrayKind::Adjoint { of, .. } => self.array(*of).inner_len.clone(),
            _ => None,
        };
        self.arrays.push(ArrayInfo {
            kind,
            len,
            active,
            on_heap,
            inner_len,
        });
        ArrayId(self.arrays.len() as u32 - 1)
    }

    /// The adjoint array of `of` for output `row`, created on first use.
    pub fn adjoint_array(&mut self, of: ArrayId, row: u32) -> ArrayId {
        let found = self.arrays.iter().position(
            |a| matches!(a.kind, ArrayKind::Adjoint { of: o, row: r } if o == of && r == row),
        );
        match found {
            Some(i) => ArrayId(i as u32),
            None => {
                let len = self.array(of).len.clone();
                self.new_array(ArrayKind::Adjoint { of, row }, len, true)
            }
        }
    }

    /// Marks a φ leaf active (when one of its branch values is).
    pub fn set_active(&mut self, id: NodeId, active: bool) {
        self.active[id.0 as usize] = active;
    }

    /// Whether block `inner` is `outer` or nested inside it (same sweep).
    pub fn is_within(&self, mut inner: BlockId, outer: BlockId) -> bool {
        loop {
            if inner == outer {
                return true;
            }
            match self.blocks[inner.0 as usize].parent {
                Some(p) => inner = p,
                None => return false,
            }
        }
    }
}
