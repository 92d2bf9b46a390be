//! The IR: a flat, hash-consed arena of pure float expression nodes organised into structured
//! blocks that mirror the user's control flow ([`graph`]), the primitives those nodes apply
//! ([`prim`]), and the smart constructors that simplify every node as it is built ([`build`]).
//!
//! The IR knows nothing of syn, of tokens or of how derivatives are taken: the lowering builds it,
//! the differentiation extends it with backward sweeps, and emission prints it.

pub mod arrays;
pub mod build;
pub mod graph;
pub mod prim;

pub use arrays::{
    ArrayId, ArrayInfo, ArrayInit, ArrayKind, DeclareArray, ForStmt, Store, VirtualRow,
};
pub use graph::*;
pub use prim::{Binary, Cmp, Method, Ternary, Unary};

/// A function body in the IR: what lowering produces and differentiation extends.
pub struct Lowered {
    /// The IR.
    pub graph: Graph,
    /// The result, flattened to scalars.
    pub result: Vec<NodeId>,
    /// The leaves of the differentiated parameters, per parameter (flattened for arrays; none
    /// for the other parameters).
    pub inputs: Vec<Vec<NodeId>>,
}
