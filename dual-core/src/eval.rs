//! An interpreter for straight-line IR: evaluates nodes from the values of the parameters. It is
//! the oracle of the engine's own tests (derivative rules against finite differences of the
//! primal, simplifier rewrites against the unsimplified expression).

use crate::ir::{Binary, Cmp, Unary};
use crate::ir::{Graph, NodeId, Op};

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
        Op::Unary(u, a) => unary(u, ev(a)?),
        Op::Binary(b, x, y) => binary(b, ev(x)?, ev(y)?),
        Op::MulAdd(a, b, c) => ev(a)?.mul_add(ev(b)?, ev(c)?),
        Op::Clamp(x, lo, hi) => ev(x)?.clamp(ev(lo)?, ev(hi)?),
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

/// The value of a unary primitive, as Rust computes it.
pub fn unary(u: Unary, x: f64) -> f64 {
    match u {
        Unary::Neg => -x,
        Unary::Sqrt => x.sqrt(),
        Unary::Cbrt => x.cbrt(),
        Unary::Exp => x.exp(),
        Unary::Exp2 => x.exp2(),
        Unary::ExpM1 => x.exp_m1(),
        Unary::Ln => x.ln(),
        Unary::Log2 => x.log2(),
        Unary::Log10 => x.log10(),
        Unary::Ln1p => x.ln_1p(),
        Unary::Sin => x.sin(),
        Unary::Cos => x.cos(),
        Unary::Tan => x.tan(),
        Unary::Asin => x.asin(),
        Unary::Acos => x.acos(),
        Unary::Atan => x.atan(),
        Unary::Sinh => x.sinh(),
        Unary::Cosh => x.cosh(),
        Unary::Tanh => x.tanh(),
        Unary::Asinh => x.asinh(),
        Unary::Acosh => x.acosh(),
        Unary::Atanh => x.atanh(),
        Unary::Recip => x.recip(),
        Unary::Abs => x.abs(),
        Unary::Signum => x.signum(),
        Unary::Floor => x.floor(),
        Unary::Ceil => x.ceil(),
        Unary::Round => x.round(),
        Unary::Trunc => x.trunc(),
        Unary::ToDegrees => x.to_degrees(),
        Unary::ToRadians => x.to_radians(),
    }
}

/// The value of a binary primitive, as Rust computes it.
pub fn binary(b: Binary, x: f64, y: f64) -> f64 {
    match b {
        Binary::Add => x + y,
        Binary::Sub => x - y,
        Binary::Mul => x * y,
        Binary::Div => x / y,
        Binary::Powf => x.powf(y),
        Binary::Atan2 => x.atan2(y),
        Binary::Hypot => x.hypot(y),
        Binary::Log => x.log(y),
        Binary::Max => x.max(y),
        Binary::Min => x.min(y),
    }
}
