//! An interpreter for straight-line IR: evaluates nodes from the values of the parameters. It is
//! the oracle of the engine's own tests (derivative rules against finite differences of the
//! primal, simplifier rewrites against the unsimplified expression).

use crate::ir::{Cmp, Graph, NodeId, Op};

/// Evaluates `node`, with `params[p][i]` the value of scalar `i` of parameter `p` (`i = 0` for a
/// scalar). Returns `None` for nodes that need user code (inactive values, branches, calls).
pub fn eval(g: &Graph, node: NodeId, params: &[Vec<f64>]) -> Option<f64> {
    let mut memo = vec![None; g.nodes.len()];
    eval_memo(g, node, params, &mut memo)
}

fn eval_memo(g: &Graph, n: NodeId, p: &[Vec<f64>], memo: &mut Vec<Option<f64>>) -> Option<f64> {
    if let Some(v) = memo[n.0 as usize] {
        return Some(v);
    }
    let mut ev = |m: NodeId| eval_memo(g, m, p, memo);
    let v = match g.op(n).clone() {
        Op::Const(bits) => f64::from_bits(bits),
        Op::Param { param, index } => *p.get(param as usize)?.get(index.unwrap_or(0) as usize)?,
        Op::Unary(u, a) => u.value(ev(a)?),
        Op::Binary(b, x, y) => b.value(ev(x)?, ev(y)?),
        Op::Ternary(t, x, y, z) => t.value(ev(x)?, ev(y)?, ev(z)?),
        Op::Powi(x, e) if e.slot.is_none() => ev(x)?.powi(e.offset),
        Op::Select {
            cmp,
            lhs,
            rhs,
            then,
            other,
        } => {
            let (l, r) = (ev(lhs)?, ev(rhs)?);
            let holds = match cmp {
                Cmp::Ge => l >= r,
                Cmp::Le => l <= r,
                Cmp::Lt => l < r,
                Cmp::Gt => l > r,
                Cmp::Ne => l != r,
            };
            if holds {
                ev(then)?
            } else {
                ev(other)?
            }
        }
        Op::Sign0(x) => {
            let x = ev(x)?;
            if x > 0.0 {
                1.0
            } else if x < 0.0 {
                -1.0
            } else {
                x * 0.0
            }
        }
        _ => return None,
    };
    memo[n.0 as usize] = Some(v);
    Some(v)
}
