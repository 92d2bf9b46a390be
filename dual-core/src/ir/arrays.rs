//! Arrays as values of the IR, and loops that stay loops.
//!
//! An array of floats is not a bag of scalar nodes here: it is a variable of the emitted code,
//! read with [`Op::Load`] at an index known at run time (constant time, both sweeps) and written
//! with [`Stmt::Store`]. Its adjoint is an array too, filled by the backward sweep
//! (`dx[i] += …`). A [`ForStmt`] is a `for` loop over a range, emitted as a loop whatever its trip
//! count; its backward mirror is a loop that recomputes the body's values (or reads those the
//! forward loop stored) and accumulates adjoints.
//!
//! [`Op::Load`]: crate::ir::Op::Load
//! [`Stmt::Store`]: crate::ir::Stmt::Store

use proc_macro2::TokenStream;
use syn::Ident;

use crate::ir::{BlockId, Graph, LoopState, NodeId, SlotId, Stmt};

/// Index of an array in [`Graph::arrays`](crate::ir::Graph::arrays).
#[derive(Copy, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct ArrayId(pub u32);

/// What an array of the IR is.
#[derive(Clone, Debug)]
pub enum ArrayKind {
    /// A differentiated parameter, read by its name (`x[i]`); its elements never change.
    Param {
        /// The parameter's index among the function's parameters.
        param: u32,
        /// Its name.
        name: Ident,
    },
    /// A local array of floats the body fills (`let mut z = [0.0; C];`), emitted as `__aK`.
    Local,
    /// The adjoint of another array (of one output row), emitted as `__dK`: zeros at the start
    /// of the backward sweep, filled by it.
    Adjoint {
        /// The array it is the adjoint of.
        of: ArrayId,
        /// The output row.
        row: u32,
    },
}

/// An array of the IR.
#[derive(Clone, Debug)]
pub struct ArrayInfo {
    /// What it is.
    pub kind: ArrayKind,
    /// Its length, as the user wrote it (a literal, a constant, a const generic parameter, an
    /// expression of those).
    pub len: TokenStream,
    /// Whether its elements depend on a differentiated parameter.
    pub active: bool,
    /// Whether its length is known only at run time (a slice): then it is a `Vec`.
    pub on_heap: bool,
    /// For an array of arrays (`[[f64; C]; R]`): the length of each inner array, as written.
    pub inner_len: Option<TokenStream>,
}

/// A `for` loop over a range of integers, kept a loop in the emitted code.
#[derive(Clone, Debug)]
pub struct ForStmt {
    /// The loop's number (names its tapes).
    pub id: u32,
    /// The loop variable's pattern, as written (`i`, `_`).
    pub pattern: TokenStream,
    /// The range, as written (`0..N - 1`).
    pub range: TokenStream,
    /// The body.
    pub body: BlockId,
    /// The floats carried from one iteration to the next.
    pub states: Vec<LoopState>,
    /// For the mirror of a forward loop in a backward sweep: the forward loop, whose body is
    /// recomputed at the start of each iteration (backward: `body` then holds the adjoints).
    pub forward: Option<Box<ForStmt>>,
    /// For a backward loop: whether its iterations must run last to first (an adjoint it
    /// carries changes from one iteration to the next).
    pub ordered: bool,
    /// A constant expression (for rustc) at least the trip count, if the range has one: the
    /// length of the stack arrays that store carried floats for the backward loop.
    pub trip_bound: Option<TokenStream>,
    /// A flag (1 or 0) set by `break` in the body: the loop ends after this iteration, and it
    /// counts its iterations for the backward loop.
    pub exit: Option<NodeId>,
}

impl ForStmt {
    /// Whether this is the mirror of a forward loop in a backward sweep.
    pub fn is_backward(&self) -> bool {
        self.forward.is_some()
    }
}

/// How a local array starts.
#[derive(Clone, Debug)]
pub enum ArrayInit {
    /// Every element the given constant.
    Fill(f64),
    /// The given elements, in order.
    Elements(Vec<NodeId>),
}

/// `let mut __aK = init;` / `let mut __dK = zeros;`.
#[derive(Clone, Debug)]
pub struct DeclareArray {
    /// The array.
    pub array: ArrayId,
    /// Its elements at the start.
    pub init: ArrayInit,
}

/// `array[index] = value;`, or `+=` with `accumulate`.
#[derive(Clone, Debug)]
pub struct Store {
    /// The array written.
    pub array: ArrayId,
    /// The run-time index (a bound `usize`).
    pub index: SlotId,
    /// For an array of arrays: the index into the inner array.
    pub inner: Option<SlotId>,
    /// The value.
    pub value: NodeId,
    /// `+=` instead of `=`.
    pub accumulate: bool,
}

impl Graph {
    /// The blocks nested in `block` (itself included), through every kind of statement.
    pub fn nested_blocks(&self, block: BlockId) -> Vec<BlockId> {
        let mut out = Vec::new();
        self.collect_nested(block, &mut out);
        out
    }

    fn collect_nested(&self, block: BlockId, out: &mut Vec<BlockId>) {
        out.push(block);
        for stmt in &self.block(block).stmts {
            match stmt {
                Stmt::If(ifs) => {
                    self.collect_nested(ifs.then, out);
                    self.collect_nested(ifs.other, out);
                }
                Stmt::Loop(l) => {
                    self.collect_nested(l.body, out);
                    self.collect_nested(l.local, out);
                }
                Stmt::For(f) => self.collect_nested(f.body, out),
                _ => {}
            }
        }
    }

    /// The adjoint array of `of` for output `row`, if the backward sweep made one.
    pub fn find_adjoint_array(&self, of: ArrayId, row: u32) -> Option<ArrayId> {
        self.arrays
            .iter()
            .position(
                |a| matches!(a.kind, ArrayKind::Adjoint { of: o, row: r } if o == of && r == row),
            )
            .map(|i| ArrayId(i as u32))
    }
}

/// A row of adjoints relative to a constant of a backward loop: inside the loop, a carried sum's
/// adjoint `λ` (the same in every iteration) is seeded as 1 in a row of its own, and what the row
/// accumulates is multiplied by `λ` once, after the loop (into an array: as it is written).
#[derive(Copy, Clone, Debug)]
pub struct VirtualRow {
    /// The row it is a multiple of.
    pub parent: u32,
    /// The multiple.
    pub scale: NodeId,
}

impl VirtualRow {
    /// The first virtual row's number (real rows are the outputs, far fewer).
    pub const FIRST: u32 = 1 << 24;
}

impl Graph {
    /// The real row a row stands for, and the factor (none for a real row).
    pub fn resolve_row(&mut self, mut row: u32, span: proc_macro2::Span) -> (u32, Option<NodeId>) {
        let mut scale: Option<NodeId> = None;
        while row >= VirtualRow::FIRST {
            let v = self.virtual_rows[(row - VirtualRow::FIRST) as usize];
            scale = Some(match scale {
                Some(s) => self.mul(v.scale, s, span),
                None => v.scale,
            });
            row = v.parent;
        }
        (row, scale)
    }
}
