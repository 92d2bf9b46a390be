//! A node of the IR graph as a formula: parameters by name, constants by name where they have
//! one (`π`, `ln(2)`), calls of other annotated functions with their partials (`∂₂g(x, y)`), and
//! the reason ([`Why`]) where no formula is faithful.

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::{TokenStream, TokenTree};

use super::algebra::{
    binary, call, div, mul, power, select, small_integer, ternary, unary, Formula,
};
use super::print::subscript;
use super::{Names, Why};
use crate::ir::{Binder, Cmp};
use crate::ir::{BoolVal, CallArg, CallResult, Graph, NodeId, Op, SlotId, Stmt};

/// What a call node refers to.
struct Site {
    /// The called function's name (without the companion's suffix).
    name: String,
    /// The call's arguments.
    args: Vec<CallArg>,
    /// The shape of the called function's result.
    result: CallResult,
}

/// Renders the nodes of one graph as formulas.
pub(super) struct Renderer<'g> {
    /// The graph.
    pub(super) g: &'g Graph,
    /// The function's names.
    pub(super) names: &'g Names,
    /// Calls to other functions, by call id (run-time loops are calls without a site).
    sites: BTreeMap<u32, Site>,
    /// φs of unconditional scopes and constant conditions: the value they stand for.
    transparent: BTreeMap<NodeId, NodeId>,
    /// Run-time indices that mean the same wherever they appear (a parameter, a constant).
    indices: BTreeMap<SlotId, Formula>,
    /// Floats from user code that mean the same wherever they appear.
    values: BTreeMap<NodeId, Formula>,
    /// The names formulas may show.
    pub(super) taken: BTreeSet<String>,
}

/// The name of the annotated function that a companion call `callee` calls: `g` for
/// `m::g_value_and_gradient`.
fn callee_name(callee: &TokenStream) -> String {
    let last = callee
        .clone()
        .into_iter()
        .filter_map(|t| match t {
            TokenTree::Ident(i) => Some(i.to_string()),
            _ => None,
        })
        .last()
        .unwrap_or_default();
    for suffix in [
        "_value_gradient_and_hessian",
        "_value_and_gradient",
        "_value_and_jacobian",
    ] {
        if let Some(base) = last.strip_suffix(suffix) {
            return base.to_string();
        }
    }
    last
}

/// The comparison as math writes it.
fn cmp_symbol(c: Cmp) -> &'static str {
    match c {
        Cmp::Ge => "≥",
        Cmp::Le => "≤",
        Cmp::Lt => "<",
        Cmp::Gt => ">",
        Cmp::Ne => "≠",
    }
}

impl<'g> Renderer<'g> {
    /// A renderer of the nodes of `g`, whose function has `names`.
    pub(super) fn new(g: &'g Graph, names: &'g Names) -> Self {
        let mut sites = BTreeMap::new();
        let mut transparent = BTreeMap::new();
        let mut index_exprs = Vec::new();
        let mut binds = Vec::new();
        for block in &g.blocks {
            for stmt in &block.stmts {
                match stmt {
                    Stmt::Index { slot, expr, .. } => index_exprs.push((*slot, expr.clone())),
                    Stmt::Bind { node, expr } => binds.push((*node, expr.clone())),
                    Stmt::Call(c) => {
                        if let Some(Op::Call { call, .. }) = c.outputs.first().map(|n| g.op(*n)) {
                            sites.insert(
                                *call,
                                Site {
                                    name: callee_name(&c.callee),
                                    args: c.args.clone(),
                                    result: c.result,
                                },
                            );
                        }
                    }
                    Stmt::If(ifs) => {
                        for fo in &ifs.floats {
                            let value = match ifs.cond {
                                None | Some(BoolVal::Const(true)) => fo.then,
                                Some(BoolVal::Const(false)) => fo.other,
                                Some(BoolVal::Slot { .. }) => continue,
                            };
                            transparent.insert(fo.node, value);
                        }
                    }
                    _ => {}
                }
            }
        }
        let mut r = Renderer {
            g,
            names,
            sites,
            transparent,
            indices: BTreeMap::new(),
            values: BTreeMap::new(),
            taken: names.taken.clone(),
        };
        let callees: Vec<String> = r.sites.values().map(|s| s.name.clone()).collect();
        r.taken.extend(callees);
        // Read only now: a constant's formula depends on the names taken (`e` may be a name).
        for (slot, expr) in index_exprs {
            if let Some(e) = r.user_value(&expr) {
                r.indices.insert(slot, e);
            }
        }
        for (node, expr) in binds {
            if let Some(e) = r.user_value(&expr) {
                r.values.insert(node, e);
            }
        }
        r
    }

    /// The nodes a node's rendering reads.
    pub(super) fn children(&self, n: NodeId) -> Vec<NodeId> {
        match self.g.op(n) {
            Op::Bound(_) => self.transparent.get(&n).copied().into_iter().collect(),
            Op::Call { call, .. } | Op::CallGrad { call, .. } | Op::CallHess { call, .. } => {
                match self.sites.get(call) {
                    Some(site) => site
                        .args
                        .iter()
                        .flat_map(|a| match a {
                            CallArg::Scalar(n) => vec![*n],
                            CallArg::Array(ns) => ns.clone(),
                            CallArg::Tokens(_) => vec![],
                        })
                        .collect(),
                    None => vec![],
                }
            }
            Op::DynIndex { index, .. } | Op::IndexIs { index, .. }
                if !self.indices.contains_key(index) =>
            {
                vec![]
            }
            op => op.children(),
        }
    }

    /// The nodes reachable from `roots`, children before parents.
    pub(super) fn postorder(&self, roots: &[NodeId]) -> Vec<NodeId> {
        /// A node of the depth-first walk, with the children still to visit.
        struct Visit {
            node: NodeId,
            children: Vec<NodeId>,
            next: usize,
        }
        let mut seen = vec![false; self.g.nodes.len()];
        let mut order = Vec::new();
        for &root in roots {
            if seen[root.0 as usize] {
                continue;
            }
            seen[root.0 as usize] = true;
            let visit = |node| Visit {
                node,
                children: self.children(node),
                next: 0,
            };
            let mut stack = vec![visit(root)];
            while let Some(top) = stack.last_mut() {
                if let Some(&c) = top.children.get(top.next) {
                    top.next += 1;
                    if !seen[c.0 as usize] {
                        seen[c.0 as usize] = true;
                        stack.push(visit(c));
                    }
                } else {
                    order.push(top.node);
                    stack.pop();
                }
            }
        }
        order
    }

    /// Number of operations (non-leaf nodes) among `nodes`.
    pub(super) fn count_operations(&self, nodes: &[NodeId]) -> usize {
        let leaf =
            |n: &&NodeId| matches!(self.g.op(**n), Op::Const(_) | Op::Param { .. } | Op::Opaque);
        nodes.iter().filter(|n| !leaf(n)).count()
    }

    /// Number of operations that `root` is computed from.
    pub(super) fn operations(&self, root: NodeId) -> usize {
        self.count_operations(&self.postorder(&[root]))
    }

    /// The constant `v`, by name where it has one (`π`, `ln(2)`, `−π/2`).
    pub(super) fn constant(&self, v: f64) -> Formula {
        use std::f64::consts as c;
        let r = |x: f64| self.g.float.round(x);
        let a = v.abs();
        let pi = || Formula::Sym("π".into());
        let sym = if a.is_finite() && !small_integer(a) {
            let e_name = if self.taken.contains("e") {
                call("exp", vec![Formula::Num(1.0)])
            } else {
                Formula::Sym("e".into())
            };
            let table: [(f64, Box<dyn Fn() -> Formula>); 16] = [
                (c::PI, Box::new(pi)),
                (c::TAU, Box::new(|| mul(Formula::Num(2.0), pi()))),
                (c::FRAC_PI_2, Box::new(|| div(pi(), Formula::Num(2.0)))),
                (c::FRAC_PI_3, Box::new(|| div(pi(), Formula::Num(3.0)))),
                (c::FRAC_PI_4, Box::new(|| div(pi(), Formula::Num(4.0)))),
                (c::FRAC_PI_6, Box::new(|| div(pi(), Formula::Num(6.0)))),
                (c::FRAC_1_PI, Box::new(|| div(Formula::Num(1.0), pi()))),
                (c::FRAC_2_PI, Box::new(|| div(Formula::Num(2.0), pi()))),
                (180.0 / c::PI, Box::new(|| div(Formula::Num(180.0), pi()))),
                (c::PI / 180.0, Box::new(|| div(pi(), Formula::Num(180.0)))),
                (c::E, Box::new(move || e_name.clone())),
                (c::LN_2, Box::new(|| call("ln", vec![Formula::Num(2.0)]))),
                (c::LN_10, Box::new(|| call("ln", vec![Formula::Num(10.0)]))),
                (
                    c::SQRT_2,
                    Box::new(|| Formula::Root("√", Box::new(Formula::Num(2.0)))),
                ),
                (
                    c::FRAC_1_SQRT_2,
                    Box::new(|| {
                        div(
                            Formula::Num(1.0),
                            Formula::Root("√", Box::new(Formula::Num(2.0))),
                        )
                    }),
                ),
                (
                    c::FRAC_2_SQRT_PI,
                    Box::new(|| div(Formula::Num(2.0), Formula::Root("√", Box::new(pi())))),
                ),
            ];
            table
                .iter()
                .find(|(k, _)| r(*k).to_bits() == a.to_bits())
                .map(|(_, f)| f())
        } else {
            None
        };
        match sym {
            Some(s) if v < 0.0 => s.negated(),
            Some(s) => s,
            None => Formula::Num(v),
        }
    }

    /// The expression of node `n`, given those of the nodes it reads.
    pub(super) fn build(
        &self,
        n: NodeId,
        get: &dyn Fn(NodeId) -> Result<Formula, Why>,
    ) -> Result<Formula, Why> {
        Ok(match self.g.op(n).clone() {
            Op::Const(bits) => self.constant(f64::from_bits(bits)),
            Op::Param { param, index } => Formula::Sym(self.names.param(param, index)),
            Op::Opaque => self.values.get(&n).cloned().ok_or(Why::UserValue)?,
            Op::Load { .. } => return Err(Why::Index),
            Op::Bound(Binder::LoopState) => return Err(Why::Loop),
            Op::Bound(_) => match self.transparent.get(&n) {
                Some(&v) => get(v)?,
                None => return Err(Why::Branch),
            },
            Op::Call { call, row, .. } => {
                let site = self.sites.get(&call).ok_or(Why::Loop)?;
                self.call_formula(site, site.name.clone(), row, get)?
            }
            Op::CallGrad { call, row, col, .. } => {
                let site = self.sites.get(&call).ok_or(Why::Loop)?;
                let name = self.partial_name(site, &[col]);
                self.call_formula(site, name, row, get)?
            }
            Op::CallHess { call, row, col } => {
                let site = self.sites.get(&call).ok_or(Why::Loop)?;
                let name = self.partial_name(site, &[row, col]);
                self.call_formula(site, name, 0, get)?
            }
            Op::Unary(u, a) => unary(u, get(a)?),
            Op::Binary(b, a, c) => binary(b, get(a)?, get(c)?),
            Op::Ternary(t, x, y, z) => ternary(t, get(x)?, get(y)?, get(z)?),
            Op::Powi(x, e) => match e.slot {
                None => power(get(x)?, e.offset),
                Some(_) => return Err(Why::Exponent),
            },
            Op::Select {
                cmp,
                lhs,
                rhs,
                then,
                other,
            } => select(
                get(lhs)?,
                cmp_symbol(cmp),
                get(rhs)?,
                get(then)?,
                get(other)?,
            ),
            Op::Sign0(x) => call("sgn", vec![get(x)?]),
            Op::IntAsFloat(e) => match e.slot {
                None => Formula::Num(f64::from(e.offset)),
                Some(_) => return Err(Why::Exponent),
            },
            Op::DynIndex { index, items } => {
                let i = self.indices.get(&index).ok_or(Why::Index)?.clone();
                let items = self.array(&items, get)?;
                Formula::Index(Box::new(items), Box::new(i))
            }
            Op::IndexIs { index, at } => {
                let i = self.indices.get(&index).ok_or(Why::Index)?.clone();
                Formula::Iverson(Box::new([i, Formula::Num(f64::from(at))]), "=")
            }
        })
    }

    /// `f(a, b)`, `f(a, b)[1]` or `f(a, b).1` for output `row` (and its partials).
    fn call_formula(
        &self,
        site: &Site,
        name: String,
        row: u32,
        get: &dyn Fn(NodeId) -> Result<Formula, Why>,
    ) -> Result<Formula, Why> {
        // An argument that cannot be shown is elided; the formula stays true.
        let arg = |n: NodeId| match get(n) {
            Err(Why::UserValue) => Ok(Formula::Sym("…".into())),
            other => other,
        };
        let mut args = Vec::new();
        for a in &site.args {
            args.push(match a {
                CallArg::Scalar(n) => arg(*n)?,
                CallArg::Array(ns) => self.array(ns, &arg)?,
                CallArg::Tokens(t) => self.user_value(t).unwrap_or(Formula::Sym("…".into())),
            });
        }
        let suffix = match site.result {
            CallResult::Scalar => String::new(),
            CallResult::Array => format!("[{row}]"),
            CallResult::Tuple => format!(".{row}"),
        };
        Ok(Formula::Call(name, args, suffix))
    }

    /// An array: the parameter's name when `items` are all its elements, else the list.
    fn array(
        &self,
        items: &[NodeId],
        get: &dyn Fn(NodeId) -> Result<Formula, Why>,
    ) -> Result<Formula, Why> {
        Ok(match self.whole_array(items) {
            Some(name) => Formula::Sym(name),
            None => Formula::List(items.iter().map(|n| get(*n)).collect::<Result<_, _>>()?),
        })
    }

    /// The name of a whole array parameter, when `items` are its elements in order.
    fn whole_array(&self, items: &[NodeId]) -> Option<String> {
        let Some(Op::Param { param, .. }) = items.first().map(|n| self.g.op(*n)) else {
            return None;
        };
        let whole = self.names.lengths.get(*param as usize).copied().flatten() == Some(items.len())
            && items.iter().enumerate().all(|(j, n)| {
                *self.g.op(*n)
                    == Op::Param {
                        param: *param,
                        index: Some(j as u32),
                    }
            });
        whole.then(|| self.names.param(*param, None))
    }

    /// `g′`, `g″`, `∂₂g`, `∂₁∂₂g`, `∂₂[3]g` (element 3 of the array argument 2).
    fn partial_name(&self, site: &Site, cols: &[u32]) -> String {
        let single = site.args.len() == 1 && matches!(site.args[0], CallArg::Scalar(_));
        if single {
            let primes = if cols.len() == 1 { "′" } else { "″" };
            return format!("{}{primes}", site.name);
        }
        // Flat argument `col` → (position, element).
        let mut flat = Vec::new();
        for (pos, a) in site.args.iter().enumerate() {
            match a {
                CallArg::Scalar(_) => flat.push((pos + 1, None)),
                CallArg::Array(ns) => flat.extend((0..ns.len()).map(|j| (pos + 1, Some(j)))),
                CallArg::Tokens(_) => {}
            }
        }
        let mut s = String::new();
        for &c in cols {
            match flat.get(c as usize) {
                Some((pos, None)) => s.push_str(&format!("∂{}", subscript(*pos))),
                Some((pos, Some(j))) => s.push_str(&format!("∂{}[{j}]", subscript(*pos))),
                None => s.push_str(&format!("∂{}", subscript(c as usize + 1))),
            }
        }
        format!("{s}{}", site.name)
    }
}
