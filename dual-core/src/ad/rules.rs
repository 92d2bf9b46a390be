//! The derivative rules: the partial derivatives of every operation of the IR.
//!
//! Each rule returns the partial derivative of the primitive with respect to each operand, built
//! from the operands `x`, `y`, … and the primal result `r` (reused where that is cheaper: exp, tanh,
//! sqrt, recip, div). Partials are nodes like any other, so they are simplified and shared.
//!
//! Conventions at points where a derivative does not exist (documented in the user guide):
//! abs′(0) = 0; max/min at a tie give the whole derivative to the receiver; clamp passes the
//! derivative when lo ≤ x ≤ hi; floor, ceil, round, trunc and signum have derivative 0.

use proc_macro2::Span;

use crate::ir::{Binary, Cmp, Exponent, Graph, NodeId, Op, Unary};

impl Unary {
    /// d op(x) / dx, given the operand `x` and the result `r`.
    fn partial(self, g: &mut Graph, x: NodeId, r: NodeId, s: Span) -> Option<NodeId> {
        use std::f64::consts::{LN_10, LN_2};
        Some(match self {
            Unary::Neg => g.num(-1.0),
            Unary::Sqrt => {
                let h = g.num(0.5); // d√x = 1 / (2√x)
                g.div(h, r, s)
            }
            Unary::Cbrt => {
                let r2 = g.mul(r, r, s); // d∛x = 1 / (3 ∛x²)
                let three = g.num(3.0);
                let d = g.mul(three, r2, s);
                g.recip(d, s)
            }
            Unary::Exp => r,
            Unary::Exp2 => {
                let ln2 = g.num(LN_2);
                g.mul(r, ln2, s)
            }
            Unary::ExpM1 => {
                let one = g.num(1.0);
                g.add(r, one, s)
            }
            Unary::Ln => g.recip(x, s),
            Unary::Log2 => {
                let c = g.num(LN_2);
                let d = g.mul(x, c, s);
                g.recip(d, s)
            }
            Unary::Log10 => {
                let c = g.num(LN_10);
                let d = g.mul(x, c, s);
                g.recip(d, s)
            }
            Unary::Ln1p => {
                let one = g.num(1.0);
                let d = g.add(x, one, s);
                g.recip(d, s)
            }
            Unary::Sin => g.unary(Unary::Cos, x, s),
            Unary::Cos => {
                let sin = g.unary(Unary::Sin, x, s);
                g.neg(sin, s)
            }
            Unary::Tan => {
                let one = g.num(1.0); // 1 + tan²x
                let r2 = g.mul(r, r, s);
                g.add(one, r2, s)
            }
            Unary::Asin | Unary::Acos => {
                let one = g.num(1.0); // ±1 / √(1 − x²)
                let x2 = g.mul(x, x, s);
                let d = g.sub(one, x2, s);
                let root = g.unary(Unary::Sqrt, d, s);
                let inv = g.recip(root, s);
                if self == Unary::Acos {
                    g.neg(inv, s)
                } else {
                    inv
                }
            }
            Unary::Atan => {
                let one = g.num(1.0); // 1 / (1 + x²)
                let x2 = g.mul(x, x, s);
                let d = g.add(one, x2, s);
                g.recip(d, s)
            }
            Unary::Sinh => g.unary(Unary::Cosh, x, s),
            Unary::Cosh => g.unary(Unary::Sinh, x, s),
            Unary::Tanh => {
                let one = g.num(1.0); // 1 − tanh²x
                let r2 = g.mul(r, r, s);
                g.sub(one, r2, s)
            }
            Unary::Asinh | Unary::Acosh => {
                let one = g.num(1.0); // 1 / √(x² ± 1)
                let x2 = g.mul(x, x, s);
                let d = if self == Unary::Asinh {
                    g.add(x2, one, s)
                } else {
                    g.sub(x2, one, s)
                };
                let root = g.unary(Unary::Sqrt, d, s);
                g.recip(root, s)
            }
            Unary::Atanh => {
                let one = g.num(1.0); // 1 / (1 − x²)
                let x2 = g.mul(x, x, s);
                let d = g.sub(one, x2, s);
                g.recip(d, s)
            }
            Unary::Recip => {
                let r2 = g.mul(r, r, s); // −1/x²
                g.neg(r2, s)
            }
            Unary::Abs => g.intern(Op::Sign0(x), s),
            Unary::Signum | Unary::Floor | Unary::Ceil | Unary::Round | Unary::Trunc => {
                return None
            }
            Unary::ToDegrees => g.num(180.0 / std::f64::consts::PI),
            Unary::ToRadians => g.num(std::f64::consts::PI / 180.0),
        })
    }
}

/// The partial derivatives of node `id` with respect to each of its operands (operands whose
/// partial is identically zero are left out). New nodes go to the current block.
pub fn partials(g: &mut Graph, id: NodeId) -> Vec<(NodeId, NodeId)> {
    let s = g.spans[id.0 as usize];
    let op = g.op(id).clone();
    let mut out = Vec::new();
    match op {
        Op::Const(_)
        | Op::Param { .. }
        | Op::Opaque
        | Op::Out
        | Op::CallHess { .. }
        | Op::Sign0(_)
        | Op::IntAsFloat(_)
        | Op::IndexIs { .. } => {}
        Op::DynIndex { index, items } => {
            for (at, item) in items.into_iter().enumerate() {
                let at = at as u32;
                out.push((item, g.intern(Op::IndexIs { index, at }, s)));
            }
        }
        Op::Call { call, row, args } => {
            for (col, arg) in args.iter().enumerate() {
                let grad = g.call_grad(call, row, col as u32, args.clone());
                out.push((*arg, grad));
            }
        }
        Op::CallGrad {
            call, col, args, ..
        } => {
            // Second derivatives of a callee come from its `_value_gradient_and_hessian`.
            for (k, arg) in args.into_iter().enumerate() {
                let h = g.intern(
                    Op::CallHess {
                        call,
                        row: col,
                        col: k as u32,
                    },
                    s,
                );
                out.push((arg, h));
            }
        }
        Op::Select {
            cmp,
            lhs,
            rhs,
            then,
            other,
        } => {
            // The comparison is piecewise constant: only the chosen value carries a derivative.
            let (one, zero) = (g.num(1.0), g.num(0.0));
            out.push((then, g.select(cmp, lhs, rhs, one, zero, s)));
            out.push((other, g.select(cmp, lhs, rhs, zero, one, s)));
        }
        Op::Unary(u, x) => out.extend(u.partial(g, x, id, s).map(|p| (x, p))),
        Op::Binary(b, x, y) => match b {
            Binary::Add => {
                out.push((x, g.num(1.0)));
                out.push((y, g.num(1.0)));
            }
            Binary::Sub => {
                out.push((x, g.num(1.0)));
                out.push((y, g.num(-1.0)));
            }
            Binary::Mul if x == y => {
                // d(x·x)/dx = 2x, one contribution instead of two equal ones (`a·x + a·x`).
                let two = g.num(2.0);
                out.push((x, g.mul(x, two, s)));
            }
            Binary::Mul => {
                out.push((x, y));
                out.push((y, x));
            }
            Binary::Div => {
                // d(x/y)/dx = 1/y; d(x/y)/dy = −(x/y)/y, reusing the quotient.
                let inv = g.recip(y, s);
                out.push((x, inv));
                // For 1/y, −(1/y)/y is −q·q: a multiplication instead of a division.
                let q = if g.constant(x) == Some(1.0) {
                    g.mul(id, id, s)
                } else {
                    g.div(id, y, s)
                };
                out.push((y, g.neg(q, s)));
            }
            Binary::Powf => {
                // d(x^y)/dx = y·x^(y−1), exact at x = 0 (0 for y > 1, not NaN);
                // d(x^y)/dy = x^y·ln x.
                let one = g.num(1.0);
                let ym1 = g.sub(y, one, s);
                let pow = match g.constant(ym1) {
                    Some(e) if e.fract() == 0.0 && e.abs() < 1e9 => g.powi(
                        x,
                        Exponent {
                            slot: None,
                            offset: e as i32,
                        },
                        s,
                    ),
                    _ => g.binary(Binary::Powf, x, ym1, s),
                };
                out.push((x, g.mul(y, pow, s)));
                if g.is_active(y) {
                    let ln = g.unary(Unary::Ln, x, s);
                    out.push((y, g.mul(id, ln, s)));
                }
            }
            Binary::Atan2 => {
                // atan2(y, x) with receiver y: ∂/∂y = x/(x²+y²), ∂/∂x = −y/(x²+y²).
                let (num_y, num_x) = (x, y);
                let a = g.mul(num_y, num_y, s);
                let b = g.mul(num_x, num_x, s);
                let d = g.add(a, b, s);
                out.push((x, g.div(num_x, d, s)));
                let q = g.div(num_y, d, s);
                out.push((y, g.neg(q, s)));
            }
            Binary::Hypot => {
                out.push((x, g.div(x, id, s)));
                out.push((y, g.div(y, id, s)));
            }
            Binary::Log => {
                // log_b(x) = ln x / ln b: ∂/∂x = 1/(x ln b), ∂/∂b = −log_b(x)/(b ln b).
                let lnb = g.unary(Unary::Ln, y, s);
                let d = g.mul(x, lnb, s);
                out.push((x, g.recip(d, s)));
                if g.is_active(y) {
                    let d = g.mul(y, lnb, s);
                    let q = g.div(id, d, s);
                    out.push((y, g.neg(q, s)));
                }
            }
            Binary::Max | Binary::Min => {
                // The receiver takes the derivative unless the other operand is strictly
                // better: so at a tie, and when the other operand is NaN (whose max/min is the
                // receiver), like the value.
                let cmp = if b == Binary::Max { Cmp::Lt } else { Cmp::Gt };
                let (one, zero) = (g.num(1.0), g.num(0.0));
                // A NaN receiver gives the other operand (its value), so not the derivative.
                let receiver_is_number = g.select(Cmp::Ne, x, x, zero, one, s);
                let receiver_is_nan = g.select(Cmp::Ne, x, x, one, zero, s);
                out.push((x, g.select(cmp, x, y, zero, receiver_is_number, s)));
                out.push((y, g.select(cmp, x, y, one, receiver_is_nan, s)));
            }
        },
        Op::MulAdd(a, b, c) => {
            out.push((a, b));
            out.push((b, a));
            out.push((c, g.num(1.0)));
        }
        Op::Clamp(x, lo, hi) => {
            let (one, zero) = (g.num(1.0), g.num(0.0));
            // 1 when lo ≤ x ≤ hi, else the bound that is hit.
            let below = g.select(Cmp::Lt, x, lo, one, zero, s);
            let above = g.select(Cmp::Gt, x, hi, one, zero, s);
            let inside_lo = g.select(Cmp::Lt, x, lo, zero, one, s);
            let inside = g.select(Cmp::Gt, x, hi, zero, inside_lo, s);
            out.push((x, inside));
            out.push((lo, below));
            out.push((hi, above));
        }
        Op::Powi(x, e) => {
            let lower = Exponent {
                slot: e.slot,
                offset: e.offset.wrapping_sub(1),
            };
            let pow = g.powi(x, lower, s);
            let n = match e.slot {
                None => g.num(f64::from(e.offset)),
                Some(_) => g.int_as_float(e, s),
            };
            out.push((x, g.mul(n, pow, s)));
        }
    }
    out.retain(|(_, p)| g.constant(*p) != Some(0.0));
    out
}
