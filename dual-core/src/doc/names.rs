//! The function's names as formulas show them: its own, its parameters', and which of them
//! mean the same wherever they appear.

use std::collections::BTreeSet;

use syn::visit::Visit;

use crate::front::signature::{FloatShape, Signature};
use crate::ir::{Graph, NodeId, Op};

/// How the function's names appear in formulas.
#[derive(Clone, Debug)]
pub struct Names {
    /// The function's name (`f` in `∂f/∂x`).
    function: String,
    /// The name of each parameter (receiver excluded), `None` for patterns.
    pub(super) params: Vec<Option<String>>,
    /// The length of each array parameter.
    pub(super) lengths: Vec<Option<usize>>,
    /// Parameters that are not differentiated but can be named in a formula: immutable, and
    /// never rebound in the body, so the name means the argument wherever it appears.
    pub(super) fixed: BTreeSet<String>,
    /// Whether the receiver is `self` or `&self`, whose fields cannot change during a call.
    pub(super) fixed_self: bool,
    /// The names formulas may show (parameters, the function), which `where` definitions must
    /// not reuse.
    pub(super) taken: BTreeSet<String>,
}

impl Names {
    /// The names of `func`, analysed as `sig`.
    pub fn new(sig: &Signature, func: &syn::ItemFn) -> Names {
        struct Bound(BTreeSet<String>);
        impl<'a> Visit<'a> for Bound {
            fn visit_pat_ident(&mut self, p: &'a syn::PatIdent) {
                self.0.insert(p.ident.to_string());
                syn::visit::visit_pat_ident(self, p);
            }
        }
        let mut rebound = Bound(BTreeSet::new());
        rebound.visit_block(&func.block);
        let params: Vec<Option<String>> = sig
            .params
            .iter()
            .map(|p| p.name.as_ref().map(ToString::to_string))
            .collect();
        let lengths = sig
            .params
            .iter()
            .map(|p| match p.float {
                Some(FloatShape::Array(n)) => Some(n),
                _ => None,
            })
            .collect();
        let fixed = sig
            .params
            .iter()
            .filter(|p| !p.differentiated && !p.mutable)
            .filter_map(|p| p.name.as_ref().map(ToString::to_string))
            .filter(|n| !rebound.0.contains(n))
            .collect();
        // Formulas name parameters, constants (in capitals), fields and callees, never locals.
        let mut taken: BTreeSet<String> = params.iter().flatten().cloned().collect();
        let function = func.sig.ident.to_string();
        taken.insert(function.clone());
        // `&self` or `self`, not `&mut self`, `mut self` or `self: &mut Self`.
        let fixed_self = func.sig.receiver().is_some_and(|r| {
            r.mutability.is_none()
                && !matches!(&*r.ty, syn::Type::Reference(t) if t.mutability.is_some())
        });
        Names {
            function,
            params,
            lengths,
            fixed,
            fixed_self,
            taken,
        }
    }

    /// The name of a parameter's scalar: `x`, or `w[2]` for an array's element.
    pub(super) fn param(&self, param: u32, index: Option<u32>) -> String {
        let name = self
            .params
            .get(param as usize)
            .cloned()
            .flatten()
            .unwrap_or_else(|| format!("arg{}", param + 1));
        match index {
            None => name,
            Some(i) => format!("{name}[{i}]"),
        }
    }

    /// The name of a differentiated scalar (a parameter leaf): `x`, `w[2]`.
    pub fn variable(&self, g: &Graph, leaf: NodeId) -> String {
        match g.op(leaf) {
            Op::Param { param, index } => self.param(*param, *index),
            _ => "?".to_string(),
        }
    }

    /// The function's name.
    pub fn function(&self) -> &str {
        &self.function
    }
}
