//! A lowered function with its reverse sweeps: the first derivatives (gradient or Jacobian rows)
//! and, for a Hessian, the second sweep over the code of the first.

use crate::ad::reverse::{reverse, Adjoints};
use proc_macro2::Literal;
use quote::quote;

use crate::ir::{ArrayId, ArrayKind, BlockId, IndexBound, Lowered, NodeId, Stmt, Store};

/// The derivative code of one lowering: the IR, the sweeps, and how to read the results.
pub struct Derivative {
    /// The IR, extended with the sweeps.
    pub lowered: Lowered,
    /// Top-level blocks in execution order: the forward code, then each reverse sweep.
    pub program: Vec<BlockId>,
    /// First-order adjoints: `(parameter leaf, output row) → node`.
    pub first: Adjoints,
    /// Second-order adjoints (Hessian): `(parameter leaf, gradient entry) → node`.
    pub second: Option<Adjoints>,
}

impl Derivative {
    /// Differentiates `lowered` once (gradient, Jacobian), or twice with `second_order`: the
    /// reverse sweep run again over the forward code and the first sweep, seeded with each
    /// gradient entry in turn (reverse over reverse).
    pub fn new(mut lowered: Lowered, second_order: bool) -> Derivative {
        let mut program = vec![BlockId(0)];
        let first = reverse(&mut lowered.graph, &program, &lowered.result);
        program.push(first.block);
        merge_leaves_into_arrays(&mut lowered, first.block, &first.adjoints);
        let second = second_order.then(|| {
            let entries: Vec<NodeId> = leaves(&lowered)
                .iter()
                .map(|leaf| match first.adjoints.get(&(*leaf, 0)) {
                    Some(&a) => a,
                    None => lowered.graph.num(0.0),
                })
                .collect();
            let rev = reverse(&mut lowered.graph, &program, &entries);
            program.push(rev.block);
            rev.adjoints
        });
        Derivative {
            lowered,
            program,
            first: first.adjoints,
            second,
        }
    }

    /// The differentiated scalars, in parameter order, arrays flattened.
    pub fn leaves(&self) -> Vec<NodeId> {
        leaves(&self.lowered)
    }

    /// Row `row` of the first derivatives (the gradient of output `row`), one entry per
    /// differentiated scalar; `None` where the derivative is zero.
    pub fn gradient_row(&self, row: usize) -> Vec<Option<NodeId>> {
        self.row(&self.first, row)
    }

    /// Every row of the first derivatives (the Jacobian).
    pub fn jacobian(&self) -> Vec<Vec<Option<NodeId>>> {
        (0..self.lowered.result.len())
            .map(|r| self.gradient_row(r))
            .collect()
    }

    /// The upper triangle of the Hessian (row i, column j ≥ i), which is all that is computed;
    /// entries below the diagonal are present but not meant to be read.
    pub fn hessian(&self) -> Vec<Vec<Option<NodeId>>> {
        let second = self.second.as_ref().expect("a second-order sweep");
        let n = self.leaves().len();
        (0..n).map(|i| self.row(second, i)).collect()
    }

    /// The array of parameter `param` (by its index among the parameters), if the body reads
    /// its elements as an array of the IR.
    pub fn param_array(&self, param: usize) -> Option<ArrayId> {
        param_array(&self.lowered, param)
    }

    /// The adjoint array of parameter `param` for output `row`, if the derivative fills one
    /// (then it holds the whole gradient of that parameter, its leaves' adjoints included).
    pub fn param_adjoint(&self, param: usize, row: usize) -> Option<ArrayId> {
        let array = self.param_array(param)?;
        self.lowered.graph.find_adjoint_array(array, row as u32)
    }

    fn row(&self, adjoints: &Adjoints, row: usize) -> Vec<Option<NodeId>> {
        self.leaves()
            .iter()
            .map(|leaf| adjoints.get(&(*leaf, row as u32)).copied())
            .collect()
    }
}

/// The leaves of the differentiated parameters (the other parameters have none), in order.
fn leaves(lowered: &Lowered) -> Vec<NodeId> {
    lowered.inputs.iter().flatten().copied().collect()
}

fn param_array(lowered: &Lowered, param: usize) -> Option<ArrayId> {
    lowered
        .graph
        .arrays
        .iter()
        .position(|a| matches!(a.kind, ArrayKind::Param { param: p, .. } if p as usize == param))
        .map(|i| ArrayId(i as u32))
}

/// A parameter array whose adjoint the loops fill holds the whole gradient of that parameter:
/// `dx[j] += ∂x_j` for each element `x[j]` also read at a constant index.
fn merge_leaves_into_arrays(lowered: &mut Lowered, sweep: BlockId, adjoints: &Adjoints) {
    let saved = lowered.graph.cur;
    lowered.graph.cur = sweep;
    for (param, leaves) in lowered.inputs.clone().iter().enumerate() {
        let Some(array) = param_array(lowered, param) else {
            continue;
        };
        for row in 0..lowered.result.len() {
            let Some(adjoint) = lowered.graph.find_adjoint_array(array, row as u32) else {
                continue;
            };
            for (j, leaf) in leaves.iter().enumerate() {
                let Some(&value) = adjoints.get(&(*leaf, row as u32)) else {
                    continue;
                };
                let g = &mut lowered.graph;
                let index = g.slot();
                let j = Literal::usize_unsuffixed(j);
                g.push(Stmt::Index {
                    slot: index,
                    expr: quote!(#j),
                    bound: IndexBound::Array(adjoint),
                });
                g.push(Stmt::Store(Store {
                    array: adjoint,
                    index,
                    inner: None,
                    value,
                    accumulate: true,
                }));
            }
        }
    }
    lowered.graph.cur = saved;
}
