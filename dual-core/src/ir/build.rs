//! Smart constructors: every node is built through these, so simplification happens once, at
//! construction, and hash-consing (in [`Graph::intern`]) shares every repeated subexpression.
//!
//! Every rewrite here is an identity of IEEE arithmetic, except that the sign of a zero result may
//! differ (`x + 0 → x` gives −0 for x = −0), and that `(t·c)·2ᵏ → t·(c·2ᵏ)` may differ in the last
//! bits when `t·c` is subnormal, or be finite where `t·c` overflows (scaling by a power of two
//! is otherwise exact). In derivative code only, `Graph::derivative_product` and the division
//! rule also apply identities of real arithmetic that may change the last bits (regrouping
//! constant factors, reciprocals into divisions), and `a·(c/√a) → c·√a` (equal for a > 0; 0
//! instead of NaN at a = 0); docs/conventions.md lists them. `x * 0` is *not* folded: it is NaN
//! for infinite x. Adjoints never materialise zeros (see `diff`), so the derivative code has no `* 0`.
//! Constants are folded only for the operations that are exact in IEEE (`+ − × ÷ neg sqrt abs …`),
//! so the result does not depend on the host's math library.

use proc_macro2::Span;

use crate::ir::{Binary, Cmp, Unary};
use crate::ir::{Exponent, Graph, NodeId, Op};

impl Graph {
    /// A constant.
    pub fn num(&mut self, value: f64) -> NodeId {
        // Folding in f64 and rounding gives the f32 result of + − × ÷ √ exactly.
        let value = self.float.round(value);
        self.intern(Op::Const(value.to_bits()), Span::call_site())
    }

    fn is_const(&self, id: NodeId, value: f64) -> bool {
        self.constant(id)
            .is_some_and(|c| c.to_bits() == value.to_bits())
    }

    fn negated(&self, id: NodeId) -> Option<NodeId> {
        match self.op(id) {
            Op::Unary(Unary::Neg, a) => Some(*a),
            _ => None,
        }
    }

    /// `-a`
    pub fn neg(&mut self, a: NodeId, s: Span) -> NodeId {
        self.unary(Unary::Neg, a, s)
    }

    /// `1 / a` as a division (`recip` in user code stays `recip`).
    pub fn recip(&mut self, a: NodeId, s: Span) -> NodeId {
        let one = self.num(1.0);
        self.div(one, a, s)
    }

    /// `a + b`
    pub fn add(&mut self, a: NodeId, b: NodeId, s: Span) -> NodeId {
        self.binary(Binary::Add, a, b, s)
    }

    /// `a - b`
    pub fn sub(&mut self, a: NodeId, b: NodeId, s: Span) -> NodeId {
        self.binary(Binary::Sub, a, b, s)
    }

    /// `a * b`
    pub fn mul(&mut self, a: NodeId, b: NodeId, s: Span) -> NodeId {
        self.binary(Binary::Mul, a, b, s)
    }

    /// `a / b`
    pub fn div(&mut self, a: NodeId, b: NodeId, s: Span) -> NodeId {
        self.binary(Binary::Div, a, b, s)
    }

    /// A primitive of one float.
    pub fn unary(&mut self, op: Unary, a: NodeId, s: Span) -> NodeId {
        // Folded only where the table says the result is exact.
        if let Some(x) = self.constant(a) {
            if op.facts().folds {
                return self.num(op.value(x));
            }
        }
        // -(-a) == a
        if op == Unary::Neg {
            if let Some(inner) = self.negated(a) {
                return inner;
            }
        }
        self.intern(Op::Unary(op, a), s)
    }

    /// A primitive of two floats.
    pub fn binary(&mut self, op: Binary, a: NodeId, b: NodeId, s: Span) -> NodeId {
        if let (Some(x), Some(y)) = (self.constant(a), self.constant(b)) {
            if op.facts().folds {
                return self.num(op.value(x, y));
            }
        }
        match op {
            Binary::Add | Binary::Mul => {
                // Constants go right, otherwise operands in node order, so a+b and b+a share.
                let swap = self.constant(a).is_some() && self.constant(b).is_none()
                    || (self.constant(a).is_none() == self.constant(b).is_none() && a > b);
                let (a, b) = if swap { (b, a) } else { (a, b) };
                let simpler = if op == Binary::Add {
                    self.simpler_sum(a, b, s)
                } else {
                    self.simpler_product(a, b, s)
                };
                simpler.unwrap_or_else(|| self.intern(Op::Binary(op, a, b), s))
            }
            Binary::Sub => self.simpler_difference(a, b, s),
            Binary::Div => self.simpler_quotient(a, b, s),
            _ => self.intern(Op::Binary(op, a, b), s),
        }
    }

    /// `a + b` rewritten (operands in canonical order), or `None` to build it as it is.
    fn simpler_sum(&mut self, a: NodeId, b: NodeId, s: Span) -> Option<NodeId> {
        // a + 0 == a
        if self.is_const(b, 0.0) || self.is_const(b, -0.0) {
            return Some(a);
        }
        // a + a == a * 2 (exact: doubling)
        if a == b {
            let two = self.num(2.0);
            return Some(self.mul(a, two, s));
        }
        // a + (-b) == a - b
        if let Some(nb) = self.negated(b) {
            return Some(self.sub(a, nb, s));
        }
        if let Some(na) = self.negated(a) {
            return Some(self.sub(b, na, s));
        }
        None
    }

    /// `a * b` rewritten (operands in canonical order), or `None` to build it as it is.
    fn simpler_product(&mut self, a: NodeId, b: NodeId, s: Span) -> Option<NodeId> {
        // a * 1 == a; a * -1 == -a
        if self.is_const(b, 1.0) {
            return Some(a);
        }
        // (t * c) * 2^k == t * (c * 2^k): scaling by a power of two is exact (unless
        // an intermediate result is subnormal or overflows).
        if let (Some(k), Op::Binary(Binary::Mul, t, c)) = (self.constant(b), self.op(a).clone()) {
            if let Some(c1) = self.constant(c) {
                let folded = c1 * k;
                let power_of_two =
                    |v: f64| v != 0.0 && v.is_normal() && v.abs().log2().fract() == 0.0;
                if (power_of_two(k) || power_of_two(c1)) && folded.is_normal() {
                    let f = self.num(folded);
                    return Some(self.mul(t, f, s));
                }
            }
        }
        if self.is_const(b, -1.0) {
            return Some(self.neg(a, s));
        }
        if self.in_derivative_code() {
            if let Some(m) = self.derivative_product(a, b, s) {
                return Some(m);
            }
        }
        // (-a) * (-b) == a * b; (-a) * b == -(a * b)
        match (self.negated(a), self.negated(b)) {
            (Some(na), Some(nb)) => return Some(self.mul(na, nb, s)),
            (Some(na), None) => {
                let m = self.mul(na, b, s);
                return Some(self.neg(m, s));
            }
            (None, Some(nb)) => {
                let m = self.mul(a, nb, s);
                return Some(self.neg(m, s));
            }
            (None, None) => {}
        }
        None
    }

    /// `a - b`, simplified.
    fn simpler_difference(&mut self, a: NodeId, b: NodeId, s: Span) -> NodeId {
        // a - 0 == a; 0 - b == -b; a - (-b) == a + b
        if self.is_const(b, 0.0) {
            return a;
        }
        if self.is_const(a, 0.0) {
            return self.neg(b, s);
        }
        if let Some(nb) = self.negated(b) {
            return self.add(a, nb, s);
        }
        self.intern(Op::Binary(Binary::Sub, a, b), s)
    }

    /// `a / b`, simplified.
    fn simpler_quotient(&mut self, a: NodeId, b: NodeId, s: Span) -> NodeId {
        // a / 1 == a; a / -1 == -a
        if self.is_const(b, 1.0) {
            return a;
        }
        if self.is_const(b, -1.0) {
            return self.neg(a, s);
        }
        // In derivative code only: a / (1 / u) → a · u (the reciprocal of a reciprocal,
        // as the ln rule makes of `p.ln()` with `p = 1 / u`).
        if self.in_derivative_code() {
            if let Op::Binary(Binary::Div, one, u) = *self.op(b) {
                if self.is_const(one, 1.0) {
                    return self.mul(a, u, s);
                }
            }
        }
        match (self.negated(a), self.negated(b)) {
            (Some(na), Some(nb)) => return self.div(na, nb, s),
            (Some(na), None) => {
                let q = self.div(na, b, s);
                return self.neg(q, s);
            }
            _ => {}
        }
        self.intern(Op::Binary(Binary::Div, a, b), s)
    }

    /// Whether nodes are being built for derivative code (a backward sweep), where the rewrites
    /// of `Graph::derivative_product` apply.
    fn in_derivative_code(&self) -> bool {
        self.block(self.cur).sweep.0 > 0
    }

    /// One step of the chain rule: adjoint `a` times the partial `p`. A partial that is a
    /// reciprocal `c / u` which no other sweep computes (∂ ln x = 1/x, ∂(x/y)/∂x = 1/y) becomes
    /// `(a · c) / u`: one division where `a · (1 / u)` would take a division and a product.
    pub fn chain(&mut self, a: NodeId, p: NodeId, s: Span) -> NodeId {
        if let Op::Binary(Binary::Div, c, u) = *self.op(p) {
            // a · (c / √a) has its own rewrite (see `derivative_product`).
            let root_of_a = *self.op(u) == Op::Unary(Unary::Sqrt, a);
            if self.constant(c).is_some() && self.built_in_derivative_code(p) && !root_of_a {
                let n = self.mul(a, c, s);
                if self.constant(n).is_none_or(f64::is_normal) {
                    return self.div(n, u, s);
                }
            }
        }
        self.mul(a, p, s)
    }

    /// `t · c` with a constant `c`, as `(t, c)`.
    fn scaled(&self, n: NodeId) -> Option<(NodeId, f64)> {
        match *self.op(n) {
            Op::Binary(Binary::Mul, t, c) => self.constant(c).map(|c| (t, c)),
            _ => None,
        }
    }

    /// Whether node `n` was built by a backward sweep (not a value of the function).
    fn built_in_derivative_code(&self, n: NodeId) -> bool {
        self.block(self.home[n.0 as usize]).sweep.0 > 0
    }

    /// Rewrites of `a · b` that are identities of real arithmetic but may change the last bits,
    /// used in derivative code only (the value is always computed as written): derivative code
    /// has no "as written" to be faithful to, and these turn the chains of constant factors that
    /// the chain rule produces into what a careful human writes. Each keeps NaN and ±∞ where the
    /// product as built has them, except `a · (c / √a)` (see below).
    fn derivative_product(&mut self, a: NodeId, b: NodeId, s: Span) -> Option<NodeId> {
        // a · (c / √a) → c · √a: the same for a > 0, and finite (0) at a = 0 where the product
        // rule would give 0 · ∞ = NaN — so ∂(x·√x)/∂x at 0 is 0 (see docs/conventions.md).
        for (p, q) in [(a, b), (b, a)] {
            if let Op::Binary(Binary::Div, c, r) = *self.op(q) {
                if *self.op(r) == Op::Unary(Unary::Sqrt, p) {
                    return Some(self.mul(c, r, s));
                }
            }
        }
        // (t · c₁) · c₂ → t · (c₁·c₂), when c₁·c₂ is a normal number (so no factor is lost).
        if let (Some(c2), Op::Binary(Binary::Mul, t, c1)) = (self.constant(b), self.op(a).clone()) {
            if let Some(c1) = self.constant(c1) {
                let folded = self.float.round(c1 * c2);
                if folded.is_normal() {
                    let f = self.num(folded);
                    return Some(self.mul(t, f, s));
                }
            }
        }
        // The regroupings below apply only where two constant factors meet and fold into one:
        // moving a factor elsewhere would only pay if the product it leaves were not shared,
        // which is not known while the sweep is being built (and a shared `r·2` or `1/n`, used
        // by every gradient entry, is what a careful human writes too).
        // (s · c₁) · (t · c₂) → (s · t) · (c₁·c₂): (x·2)·(x·400) becomes (x·x)·800.
        if let (Some((sa, ca)), Some((tb, cb))) = (self.scaled(a), self.scaled(b)) {
            let folded = self.float.round(ca * cb);
            if folded.is_normal() {
                let inner = self.mul(sa, tb, s);
                let f = self.num(folded);
                return Some(self.mul(inner, f, s));
            }
        }
        // Reciprocals built by derivative code (a quotient the function computes is reused):
        // (s · k) · (c / u) → (s · (k·c)) / u, k · (c / u) → (k·c) / u, and
        // ((s · k) / u) · c → (s · (k·c)) / u.
        for (p, q) in [(a, b), (b, a)] {
            if let Op::Binary(Binary::Div, c, u) = *self.op(q) {
                if let (Some(c), true) = (self.constant(c), self.built_in_derivative_code(q)) {
                    let merged = match (self.constant(p), self.scaled(p)) {
                        (Some(k), _) => Some((None, k)),
                        (None, Some((t, k))) => Some((Some(t), k)),
                        _ => None,
                    };
                    if let Some((t, k)) = merged {
                        let folded = self.float.round(k * c);
                        if folded.is_normal() {
                            let f = self.num(folded);
                            let n = match t {
                                Some(t) => self.mul(t, f, s),
                                None => f,
                            };
                            return Some(self.div(n, u, s));
                        }
                    }
                }
            }
        }
        if let (Some(c), Op::Binary(Binary::Div, n, u)) = (self.constant(b), self.op(a).clone()) {
            if let (Some((t, k)), true) = (self.scaled(n), self.built_in_derivative_code(a)) {
                let folded = self.float.round(k * c);
                if folded.is_normal() {
                    let f = self.num(folded);
                    let m = self.mul(t, f, s);
                    return Some(self.div(m, u, s));
                }
            }
        }
        None
    }

    /// `x.powi(e)`
    pub fn powi(&mut self, x: NodeId, e: Exponent, s: Span) -> NodeId {
        if e.slot.is_none() {
            match e.offset {
                0 => return self.num(1.0),
                1 => return x,
                // LLVM lowers powi(x, 2) to x * x: the same bits.
                2 => return self.mul(x, x, s),
                _ => {}
            }
        }
        self.intern(Op::Powi(x, e), s)
    }

    /// `if lhs CMP rhs { then } else { other }`
    pub fn select(
        &mut self,
        cmp: Cmp,
        lhs: NodeId,
        rhs: NodeId,
        then: NodeId,
        other: NodeId,
        s: Span,
    ) -> NodeId {
        if then == other {
            return then;
        }
        self.intern(
            Op::Select {
                cmp,
                lhs,
                rhs,
                then,
                other,
            },
            s,
        )
    }

    /// `(k + offset) as f64` for an integer exponent.
    pub fn int_as_float(&mut self, e: Exponent, s: Span) -> NodeId {
        self.intern(Op::IntAsFloat(e), s)
    }

    /// The leaf holding ∂ output `row` / ∂ argument `col` of call `call`.
    pub fn call_grad(&mut self, call: u32, row: u32, col: u32, args: Vec<NodeId>) -> NodeId {
        self.intern(
            Op::CallGrad {
                call,
                row,
                col,
                args,
            },
            Span::call_site(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s() -> Span {
        Span::call_site()
    }

    /// The leaf of scalar parameter `i`.
    fn param(g: &mut Graph, i: u32) -> NodeId {
        g.intern(
            Op::Param {
                param: i,
                index: None,
            },
            s(),
        )
    }

    #[test]
    fn identities() {
        let mut g = Graph::new();
        let x = param(&mut g, 0);
        let y = param(&mut g, 1);
        let (zero, one, m1) = (g.num(0.0), g.num(1.0), g.num(-1.0));
        assert_eq!(g.add(x, zero, s()), x); // x + 0 → x
        assert_eq!(g.add(zero, x, s()), x); // 0 + x → x
        assert_eq!(g.mul(x, one, s()), x); // x · 1 → x
        assert_eq!(g.mul(one, x, s()), x); // 1 · x → x
        assert_eq!(g.div(x, one, s()), x); // x / 1 → x
        assert_eq!(g.sub(x, zero, s()), x); // x − 0 → x
        let nx = g.neg(x, s());
        assert_eq!(g.neg(nx, s()), x); // −(−x) → x
        assert_eq!(g.mul(x, m1, s()), nx); // x · −1 → −x
        assert_eq!(g.sub(zero, x, s()), nx); // 0 − x → −x
        let xy = g.mul(x, y, s());
        assert_eq!(g.mul(y, x, s()), xy); // y·x shares x·y
        let ny = g.neg(y, s());
        let x_minus_y = g.sub(x, y, s());
        assert_eq!(g.add(x, ny, s()), x_minus_y); // x + (−y) → x − y
        assert_eq!(g.mul(nx, ny, s()), xy); // (−x)(−y) → xy
        let x0 = g.mul(x, zero, s());
        assert!(g.constant(x0).is_none()); // x · 0 is not folded (NaN for x = ∞)
        let (two, hundred) = (g.num(2.0), g.num(100.0));
        let x2 = g.mul(x, two, s());
        assert_eq!(g.add(x, x, s()), x2); // x + x → x · 2
        let x100 = g.mul(x, hundred, s());
        let doubled = g.add(x100, x100, s()); // x·100 + x·100 → x·200
        match g.op(doubled) {
            &Op::Binary(Binary::Mul, t, c) => assert_eq!((t, g.constant(c)), (x, Some(200.0))),
            other => panic!("not folded: {other:?}"),
        }
        let three = g.num(3.0);
        let x100_3 = g.mul(x100, three, s()); // (x·100)·3 is not folded: 300 is not exact scaling
        assert_eq!(g.op(x100_3), &Op::Binary(Binary::Mul, x100, three));
    }

    #[test]
    fn derivative_code_regroups_constants_and_reciprocals() {
        use crate::ir::{BlockId, Sweep};
        let mut g = Graph::new();
        let x = param(&mut g, 0);
        let y = param(&mut g, 1);
        let (c20, c02, half, one) = (g.num(-20.0), g.num(-0.2), g.num(0.5), g.num(1.0));
        let e = g.unary(Unary::Exp, x, s());
        let primal_scaled = g.mul(e, c20, s()); // e·(−20), a value of the function
        let primal_recip = g.div(one, y, s()); // 1/y, a value of the function
                                               // In the value, nothing is regrouped: (e·(−20))·(−0.2) stays as written.
        let v = g.mul(primal_scaled, c02, s());
        assert_eq!(g.op(v), &Op::Binary(Binary::Mul, primal_scaled, c02));

        let backward = g.new_block(None, Sweep(1), &[BlockId(0)]);
        g.cur = backward;
        // (e·(−20))·(−0.2) → e·4
        let d = g.mul(primal_scaled, c02, s());
        let four = g.num(4.0);
        assert_eq!(g.op(d), &Op::Binary(Binary::Mul, e, four));
        // (e·4)·(0.5/y) → (e·2)/y, then ((e·2)/y)·0.5 → e/y
        let h = g.div(half, y, s());
        let q = g.mul(d, h, s());
        let two = g.num(2.0);
        let e2 = g.mul(e, two, s());
        assert_eq!(g.op(q), &Op::Binary(Binary::Div, e2, y));
        let r = g.mul(q, half, s());
        assert_eq!(g.op(r), &Op::Binary(Binary::Div, e, y));
        // (x·2)·(y·400) → (x·y)·800: constants meet.
        let (x2, y400) = (g.mul(x, two, s()), g.num(400.0));
        let y400 = g.mul(y, y400, s());
        let p = g.mul(x2, y400, s());
        let xy = g.mul(x, y, s());
        let c800 = g.num(800.0);
        assert_eq!(g.op(p), &Op::Binary(Binary::Mul, xy, c800));
        // A product or reciprocal that several gradient entries share is not regrouped where no
        // constants meet: x·(y·2) stays (not (x·y)·2), x·(1/y) stays (not x/y).
        let y2 = g.mul(y, two, s());
        let xy2 = g.mul(x, y2, s());
        assert_eq!(g.op(xy2), &Op::Binary(Binary::Mul, x, y2));
        let inv = g.div(one, y, s());
        let x_inv = g.mul(x, inv, s());
        assert_eq!(g.op(x_inv), &Op::Binary(Binary::Mul, x, inv));
        // A quotient the function computes is reused, not turned into a division: x·(1/y).
        let reuse = g.mul(x, primal_recip, s());
        assert_eq!(g.op(reuse), &Op::Binary(Binary::Mul, x, primal_recip));
        // a / (1/y) → a·y
        let back = g.div(x, primal_recip, s());
        assert_eq!(g.op(back), &Op::Binary(Binary::Mul, x, y));
        // A product whose constant would underflow is left alone.
        let (tiny, tiny2) = (g.num(1e-200), g.num(1e-200));
        let t = g.mul(x, tiny, s());
        let tt = g.mul(t, tiny2, s());
        assert_eq!(g.op(tt), &Op::Binary(Binary::Mul, t, tiny2));
    }

    #[test]
    fn folding() {
        let mut g = Graph::new();
        let (a, b) = (g.num(1.5), g.num(2.0));
        let sum = g.add(a, b, s());
        assert_eq!(g.constant(sum), Some(3.5));
        let q = g.div(a, b, s());
        assert_eq!(g.constant(q), Some(0.75));
        let r = g.unary(Unary::Sqrt, b, s());
        assert_eq!(g.constant(r), Some(2f64.sqrt()));
        // Transcendental functions are left to the target's libm.
        let e = g.unary(Unary::Exp, b, s());
        assert!(g.constant(e).is_none());
    }

    #[test]
    fn powi_small_exponents() {
        let mut g = Graph::new();
        let x = param(&mut g, 0);
        let lit = |n| Exponent {
            slot: None,
            offset: n,
        };
        assert_eq!(g.powi(x, lit(1), s()), x); // x¹ → x
        let p0 = g.powi(x, lit(0), s());
        assert_eq!(g.constant(p0), Some(1.0)); // x⁰ → 1
        let p2 = g.powi(x, lit(2), s());
        assert_eq!(g.op(p2), &Op::Binary(Binary::Mul, x, x)); // x² → x·x
    }
}
