//! The rows of the primitive table, in the order the user guide lists the methods.

use std::f64::consts::{LN_10, LN_2, PI};

use super::{Builder, Cmp, Facts, Notation};

/// `x.powi(n)`: its exponent is an integer, not a float, so it is an operation of the IR of its
/// own (`Op::Powi`, its rule in `ad::rules`); these are its facts, and `method "powi"` below puts
/// it among the [`METHODS`].
pub const POWI: Facts = Facts {
    method: "powi",
    operator: None,
    on_integers: false,
    const_fn: false,
    folds: false,
};

/// Both partials of a primitive of two floats.
fn both<V>(dx: V, dy: V) -> [Option<V>; 2] {
    [Some(dx), Some(dy)]
}

primitives! {
    method "powi";
    binary Powf "powf" {
        integers: false, const_fn: false, folds: false,
        value: |x, y| x.powf(y),
        // d(x^y)/dx = y·x^(y−1), exact at x = 0 (0 for y > 1, not NaN), through `powi` when the
        // exponent is a whole number; d(x^y)/dy = x^y·ln x.
        derivative: |g, x, y, r| {
            let one = g.num(1.0);
            let ym1 = g.sub(y, one);
            let pow = match g.constant(ym1) {
                Some(e) if e.fract() == 0.0 && e.abs() < 1e9 => g.powi(x, e as i32),
                _ => g.binary(Binary::Powf, x, ym1),
            };
            let dx = g.mul(y, pow);
            let dy = g.is_active(y).then(|| {
                let ln = g.unary(Unary::Ln, x);
                g.mul(r, ln)
            });
            [Some(dx), dy]
        },
        notation: |n, x, y| match n.constant(&y) {
            Some(k) if k.fract() == 0.0 && k.abs() <= 99.0 => n.power(x, k as i32),
            _ => n.pow(x, y),
        },
    }
    unary Sqrt "sqrt" {
        integers: false, const_fn: false, folds: true,
        value: |x| x.sqrt(),
        // d√x = 1 / (2√x)
        derivative: |g, _x, r| {
            let h = g.num(0.5);
            Some(g.div(h, r))
        },
        notation: |n, x| n.root("√", x),
    }
    unary Cbrt "cbrt" {
        integers: false, const_fn: false, folds: false,
        value: |x| x.cbrt(),
        // d∛x = 1 / (3 ∛x²)
        derivative: |g, _x, r| {
            let r2 = g.mul(r, r);
            let three = g.num(3.0);
            let d = g.mul(three, r2);
            Some(g.recip(d))
        },
        notation: |n, x| n.root("∛", x),
    }
    unary Exp "exp" {
        integers: false, const_fn: false, folds: false,
        value: |x| x.exp(),
        derivative: |_g, _x, r| Some(r),
        notation: |n, x| n.call("exp", vec![x]),
    }
    unary Exp2 "exp2" {
        integers: false, const_fn: false, folds: false,
        value: |x| x.exp2(),
        derivative: |g, _x, r| {
            let ln2 = g.num(LN_2);
            Some(g.mul(r, ln2))
        },
        notation: |n, x| {
            let two = n.num(2.0);
            n.pow(two, x)
        },
    }
    unary ExpM1 "exp_m1" {
        integers: false, const_fn: false, folds: false,
        value: |x| x.exp_m1(),
        derivative: |g, _x, r| {
            let one = g.num(1.0);
            Some(g.add(r, one))
        },
        notation: |n, x| {
            let e = n.call("exp", vec![x]);
            let minus_one = n.num(-1.0);
            n.add(e, minus_one)
        },
    }
    unary Ln "ln" {
        integers: false, const_fn: false, folds: false,
        value: |x| x.ln(),
        derivative: |g, x, _r| Some(g.recip(x)),
        notation: |n, x| n.call("ln", vec![x]),
    }
    binary Log "log" {
        integers: false, const_fn: false, folds: false,
        value: |x, b| x.log(b),
        // log_b(x) = ln x / ln b: ∂/∂x = 1/(x ln b), ∂/∂b = −log_b(x)/(b ln b).
        derivative: |g, x, b, r| {
            let lnb = g.unary(Unary::Ln, b);
            let d = g.mul(x, lnb);
            let dx = g.recip(d);
            let db = g.is_active(b).then(|| {
                let d = g.mul(b, lnb);
                let q = g.div(r, d);
                g.neg(q)
            });
            [Some(dx), db]
        },
        notation: |n, x, b| {
            let lnx = n.call("ln", vec![x]);
            let lnb = n.call("ln", vec![b]);
            n.div(lnx, lnb)
        },
    }
    unary Log2 "log2" {
        integers: false, const_fn: false, folds: false,
        value: |x| x.log2(),
        derivative: |g, x, _r| {
            let c = g.num(LN_2);
            let d = g.mul(x, c);
            Some(g.recip(d))
        },
        notation: |n, x| n.call("log₂", vec![x]),
    }
    unary Log10 "log10" {
        integers: false, const_fn: false, folds: false,
        value: |x| x.log10(),
        derivative: |g, x, _r| {
            let c = g.num(LN_10);
            let d = g.mul(x, c);
            Some(g.recip(d))
        },
        notation: |n, x| n.call("log₁₀", vec![x]),
    }
    unary Ln1p "ln_1p" {
        integers: false, const_fn: false, folds: false,
        value: |x| x.ln_1p(),
        derivative: |g, x, _r| {
            let one = g.num(1.0);
            let d = g.add(x, one);
            Some(g.recip(d))
        },
        notation: |n, x| {
            let one = n.num(1.0);
            let sum = n.add(one, x);
            n.call("ln", vec![sum])
        },
    }
    unary Sin "sin" {
        integers: false, const_fn: false, folds: false,
        value: |x| x.sin(),
        derivative: |g, x, _r| Some(g.unary(Unary::Cos, x)),
        notation: |n, x| n.call("sin", vec![x]),
    }
    unary Cos "cos" {
        integers: false, const_fn: false, folds: false,
        value: |x| x.cos(),
        derivative: |g, x, _r| {
            let sin = g.unary(Unary::Sin, x);
            Some(g.neg(sin))
        },
        notation: |n, x| n.call("cos", vec![x]),
    }
    unary Tan "tan" {
        integers: false, const_fn: false, folds: false,
        value: |x| x.tan(),
        // 1 + tan²x
        derivative: |g, _x, r| {
            let one = g.num(1.0);
            let r2 = g.mul(r, r);
            Some(g.add(one, r2))
        },
        notation: |n, x| n.call("tan", vec![x]),
    }
    unary Asin "asin" {
        integers: false, const_fn: false, folds: false,
        value: |x| x.asin(),
        // 1 / √(1 − x²)
        derivative: |g, x, _r| Some(inverse_sqrt_one_minus_square(g, x)),
        notation: |n, x| n.call("asin", vec![x]),
    }
    unary Acos "acos" {
        integers: false, const_fn: false, folds: false,
        value: |x| x.acos(),
        // −1 / √(1 − x²)
        derivative: |g, x, _r| {
            let inv = inverse_sqrt_one_minus_square(g, x);
            Some(g.neg(inv))
        },
        notation: |n, x| n.call("acos", vec![x]),
    }
    unary Atan "atan" {
        integers: false, const_fn: false, folds: false,
        value: |x| x.atan(),
        // 1 / (1 + x²)
        derivative: |g, x, _r| {
            let one = g.num(1.0);
            let x2 = g.mul(x, x);
            let d = g.add(one, x2);
            Some(g.recip(d))
        },
        notation: |n, x| n.call("atan", vec![x]),
    }
    binary Atan2 "atan2" {
        integers: false, const_fn: false, folds: false,
        value: |y, x| y.atan2(x),
        // atan2(y, x) with receiver y: ∂/∂y = x/(x²+y²), ∂/∂x = −y/(x²+y²).
        derivative: |g, y, x, _r| {
            let a = g.mul(y, y);
            let b = g.mul(x, x);
            let d = g.add(a, b);
            let dy = g.div(x, d);
            let q = g.div(y, d);
            both(dy, g.neg(q))
        },
        notation: |n, y, x| n.call("atan2", vec![y, x]),
    }
    unary Sinh "sinh" {
        integers: false, const_fn: false, folds: false,
        value: |x| x.sinh(),
        derivative: |g, x, _r| Some(g.unary(Unary::Cosh, x)),
        notation: |n, x| n.call("sinh", vec![x]),
    }
    unary Cosh "cosh" {
        integers: false, const_fn: false, folds: false,
        value: |x| x.cosh(),
        derivative: |g, x, _r| Some(g.unary(Unary::Sinh, x)),
        notation: |n, x| n.call("cosh", vec![x]),
    }
    unary Tanh "tanh" {
        integers: false, const_fn: false, folds: false,
        value: |x| x.tanh(),
        // 1 − tanh²x
        derivative: |g, _x, r| {
            let one = g.num(1.0);
            let r2 = g.mul(r, r);
            Some(g.sub(one, r2))
        },
        notation: |n, x| n.call("tanh", vec![x]),
    }
    unary Asinh "asinh" {
        integers: false, const_fn: false, folds: false,
        value: |x| x.asinh(),
        // 1 / √(x² + 1)
        derivative: |g, x, _r| {
            let one = g.num(1.0);
            let x2 = g.mul(x, x);
            let d = g.add(x2, one);
            let root = g.unary(Unary::Sqrt, d);
            Some(g.recip(root))
        },
        notation: |n, x| n.call("asinh", vec![x]),
    }
    unary Acosh "acosh" {
        integers: false, const_fn: false, folds: false,
        value: |x| x.acosh(),
        // 1 / √(x² − 1)
        derivative: |g, x, _r| {
            let one = g.num(1.0);
            let x2 = g.mul(x, x);
            let d = g.sub(x2, one);
            let root = g.unary(Unary::Sqrt, d);
            Some(g.recip(root))
        },
        notation: |n, x| n.call("acosh", vec![x]),
    }
    unary Atanh "atanh" {
        integers: false, const_fn: false, folds: false,
        value: |x| x.atanh(),
        // 1 / (1 − x²)
        derivative: |g, x, _r| {
            let one = g.num(1.0);
            let x2 = g.mul(x, x);
            let d = g.sub(one, x2);
            Some(g.recip(d))
        },
        notation: |n, x| n.call("atanh", vec![x]),
    }
    binary Hypot "hypot" {
        integers: false, const_fn: false, folds: false,
        value: |x, y| x.hypot(y),
        derivative: |g, x, y, r| {
            let dx = g.div(x, r);
            both(dx, g.div(y, r))
        },
        notation: |n, x, y| n.call("hypot", vec![x, y]),
    }
    unary Recip "recip" {
        integers: false, const_fn: true, folds: true,
        value: |x| x.recip(),
        // −1/x²
        derivative: |g, _x, r| {
            let r2 = g.mul(r, r);
            Some(g.neg(r2))
        },
        notation: |n, x| {
            let one = n.num(1.0);
            n.div(one, x)
        },
    }
    ternary MulAdd "mul_add" {
        integers: false, const_fn: false, folds: false,
        value: |a, b, c| a.mul_add(b, c),
        derivative: |g, a, b, _c| [Some(b), Some(a), Some(g.num(1.0))],
        notation: |n, a, b, c| {
            let ab = n.mul(a, b);
            n.add(ab, c)
        },
    }
    unary Abs "abs" {
        integers: true, const_fn: true, folds: true,
        value: |x| x.abs(),
        derivative: |g, x, _r| Some(g.sign0(x)),
        notation: |n, x| n.wrap("|", x, "|"),
    }
    unary Signum "signum" {
        integers: true, const_fn: true, folds: true,
        value: |x| x.signum(),
        derivative: |_g, _x, _r| None,
        notation: |n, x| n.call("signum", vec![x]),
    }
    binary Max "max" {
        integers: true, const_fn: true, folds: false,
        value: |x, y| x.max(y),
        derivative: |g, x, y, _r| max_min(g, Cmp::Lt, x, y),
        notation: |n, x, y| n.call("max", vec![x, y]),
    }
    binary Min "min" {
        integers: true, const_fn: true, folds: false,
        value: |x, y| x.min(y),
        derivative: |g, x, y, _r| max_min(g, Cmp::Gt, x, y),
        notation: |n, x, y| n.call("min", vec![x, y]),
    }
    ternary Clamp "clamp" {
        integers: true, const_fn: true, folds: false,
        value: |x, lo, hi| x.clamp(lo, hi),
        // 1 when lo ≤ x ≤ hi, else the bound that is hit.
        derivative: |g, x, lo, hi| {
            let (one, zero) = (g.num(1.0), g.num(0.0));
            let below = g.select(Cmp::Lt, x, lo, one, zero);
            let above = g.select(Cmp::Gt, x, hi, one, zero);
            let inside_lo = g.select(Cmp::Lt, x, lo, zero, one);
            let inside = g.select(Cmp::Gt, x, hi, zero, inside_lo);
            [Some(inside), Some(below), Some(above)]
        },
        notation: |n, x, lo, hi| n.call("clamp", vec![x, lo, hi]),
    }
    unary ToDegrees "to_degrees" {
        integers: false, const_fn: true, folds: false,
        value: |x| x.to_degrees(),
        derivative: |g, _x, _r| Some(g.num(180.0 / PI)),
        notation: |n, x| {
            let c = n.num(180.0);
            let cx = n.mul(c, x);
            let pi = n.symbol("π");
            n.div(cx, pi)
        },
    }
    unary ToRadians "to_radians" {
        integers: false, const_fn: true, folds: false,
        value: |x| x.to_radians(),
        derivative: |g, _x, _r| Some(g.num(PI / 180.0)),
        notation: |n, x| {
            let pi = n.symbol("π");
            let pix = n.mul(pi, x);
            let c = n.num(180.0);
            n.div(pix, c)
        },
    }
    unary Floor "floor" {
        integers: false, const_fn: true, folds: true,
        value: |x| x.floor(),
        derivative: |_g, _x, _r| None,
        notation: |n, x| n.wrap("⌊", x, "⌋"),
    }
    unary Ceil "ceil" {
        integers: false, const_fn: true, folds: true,
        value: |x| x.ceil(),
        derivative: |_g, _x, _r| None,
        notation: |n, x| n.wrap("⌈", x, "⌉"),
    }
    unary Round "round" {
        integers: false, const_fn: true, folds: true,
        value: |x| x.round(),
        derivative: |_g, _x, _r| None,
        notation: |n, x| n.call("round", vec![x]),
    }
    unary Trunc "trunc" {
        integers: false, const_fn: true, folds: true,
        value: |x| x.trunc(),
        derivative: |_g, _x, _r| None,
        notation: |n, x| n.call("trunc", vec![x]),
    }
    // The arithmetic operators come last: they are not methods users call by name.
    unary Neg "neg" operator "-" {
        integers: false, const_fn: true, folds: true,
        value: |x| -x,
        derivative: |g, _x, _r| Some(g.num(-1.0)),
        notation: |n, x| n.neg(x),
    }
    binary Add "add" operator "+" {
        integers: false, const_fn: true, folds: true,
        value: |x, y| x + y,
        derivative: |g, _x, _y, _r| {
            let dx = g.num(1.0);
            both(dx, g.num(1.0))
        },
        notation: |n, x, y| n.add(x, y),
    }
    binary Sub "sub" operator "-" {
        integers: false, const_fn: true, folds: true,
        value: |x, y| x - y,
        derivative: |g, _x, _y, _r| {
            let dx = g.num(1.0);
            both(dx, g.num(-1.0))
        },
        notation: |n, x, y| {
            let ny = n.neg(y);
            n.add(x, ny)
        },
    }
    binary Mul "mul" operator "*" {
        integers: false, const_fn: true, folds: true,
        value: |x, y| x * y,
        // d(x·x)/dx = 2x, one contribution instead of two equal ones (`a·x + a·x`).
        derivative: |g, x, y, _r| if x == y {
            let two = g.num(2.0);
            [Some(g.mul(x, two)), None]
        } else {
            both(y, x)
        },
        notation: |n, x, y| n.mul(x, y),
    }
    binary Div "div" operator "/" {
        integers: false, const_fn: true, folds: true,
        value: |x, y| x / y,
        // d(x/y)/dx = 1/y; d(x/y)/dy = −(x/y)/y, reusing the quotient: for 1/y, −q·q (a
        // multiplication instead of a division).
        derivative: |g, x, y, r| {
            let dx = g.recip(y);
            let q = if g.constant(x) == Some(1.0) {
                g.mul(r, r)
            } else {
                g.div(r, y)
            };
            both(dx, g.neg(q))
        },
        notation: |n, x, y| n.div(x, y),
    }
}

/// `1 / √(1 − x²)`, the derivative of `asin` (and, negated, of `acos`).
fn inverse_sqrt_one_minus_square<B: Builder>(g: &mut B, x: B::Value) -> B::Value {
    let one = g.num(1.0);
    let x2 = g.mul(x, x);
    let d = g.sub(one, x2);
    let root = g.unary(Unary::Sqrt, d);
    g.recip(root)
}

/// The partials of `x.max(y)` (`lose` = `<`) or `x.min(y)` (`lose` = `>`). The receiver takes
/// the derivative unless the other operand is strictly better: so at a tie, and when the other
/// operand is NaN (whose max/min is the receiver), like the value. A NaN receiver gives the other
/// operand (its value), so not the derivative.
fn max_min<B: Builder>(g: &mut B, lose: Cmp, x: B::Value, y: B::Value) -> [Option<B::Value>; 2] {
    let (one, zero) = (g.num(1.0), g.num(0.0));
    let receiver_is_number = g.select(Cmp::Ne, x, x, zero, one);
    let receiver_is_nan = g.select(Cmp::Ne, x, x, one, zero);
    let dx = g.select(lose, x, y, zero, receiver_is_number);
    both(dx, g.select(lose, x, y, one, receiver_is_nan))
}
