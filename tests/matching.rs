//! `match` and `if let` on values that are not differentiated, with arms producing
//! differentiated values (as expressions and statements, with guards comparing differentiated
//! values, bindings in patterns, early returns), against exact derivatives.

mod common;

use common::*;
use dual::gradient;
use proptest::prelude::*;

#[derive(Clone, Copy, Debug)]
enum Mode {
    Square,
    Sine,
    Scaled(f64),
}

/// A `match` on an integer, as an expression.
#[gradient]
fn by_code(x: f64, code: u8) -> f64 {
    match code {
        0 => x * x,
        1 | 2 => x.sin() * f64::from(code),
        _ => x.exp(),
    }
}

/// On an enum with a binding and a guard comparing a differentiated value; as a statement.
#[gradient]
fn by_mode(x: f64, mode: Mode) -> f64 {
    let mut y = 0.0;
    match mode {
        Mode::Square => y = x * x,
        Mode::Sine if x > 0.0 => y = x.sin(),
        Mode::Sine => y = -x,
        Mode::Scaled(k) => {
            if k > 10.0 {
                return k * x;
            }
            y += k * x.tanh();
        }
    }
    y + x
}

/// `if let` on an `Option` of a constant.
#[gradient]
fn optional_weight(x: f64, w: Option<f64>) -> f64 {
    if let Some(k) = w {
        k * x * x
    } else {
        x
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn match_and_if_let(x in -2.0..2.0f64, code in 0u8..5, k in -20.0..20.0f64) {
        let g = by_code_gradient(x, code)[0];
        let exact = match code { 0 => 2.0 * x, 1 | 2 => x.cos() * f64::from(code), _ => x.exp() };
        assert_close(g, exact, 1e-14);
        assert_close(by_code_value_and_gradient(x, code).0, by_code(x, code), 0.0);

        for mode in [Mode::Square, Mode::Sine, Mode::Scaled(k)] {
            let (v, g) = by_mode_value_and_gradient(x, mode);
            assert_close(v, by_mode(x, mode), 1e-14);
            let exact = match mode {
                Mode::Square => 2.0 * x + 1.0,
                Mode::Sine if x > 0.0 => x.cos() + 1.0,
                Mode::Sine => 0.0,
                Mode::Scaled(k) if k > 10.0 => k,
                Mode::Scaled(k) => k * (1.0 - x.tanh().powi(2)) + 1.0,
            };
            assert_close(g[0], exact, 1e-13);
        }

        for w in [Some(k), None] {
            let g = optional_weight_gradient(x, w)[0];
            assert_close(g, w.map_or(1.0, |k| 2.0 * k * x), 1e-14);
        }
    }
}

/// A `match` and an `if` bound by `let` whose other arm returns a differentiated value.
#[gradient]
fn arm_returns(x: f64, w: Option<f64>, flag: bool) -> f64 {
    let y = match w {
        Some(k) => k * x.sin(),
        _ => {
            return x * x;
        }
    };
    let z = if flag { y.exp() } else { return y * 3.0 };
    z + y
}

proptest! {
    #[test]
    fn returning_arms(x in -2.0..2.0f64, k in -2.0..2.0f64) {
        prop_assert_eq!(arm_returns_gradient(x, None, true), [2.0 * x]);
        let y = k * x.sin();
        let (v, [g]) = arm_returns_value_and_gradient(x, Some(k), false);
        prop_assert_eq!(v, arm_returns(x, Some(k), false));
        assert_close(g, 3.0 * k * x.cos(), 1e-15);
        let (v, [g]) = arm_returns_value_and_gradient(x, Some(k), true);
        prop_assert_eq!(v, arm_returns(x, Some(k), true));
        assert_close(g, (y.exp() + 1.0) * k * x.cos(), 1e-13);
    }
}

/// `let … else` on data around differentiated code: the binding is an integer (not a float), the
/// `else` returns a differentiated value.
#[gradient]
fn let_else_return(x: f64, slot: Option<usize>, w: Option<f64>) -> f64 {
    let Some(i) = slot else {
        return x.exp();
    };
    let Some(k) = w else { return 2.0 * x };
    let y = x.powi(i as i32 + 1);
    k * y + x
}

/// `let … else` with `continue`, in a loop over an array.
#[gradient]
fn let_else_continue(x: [f64; 4], mask: [Option<f64>; 4]) -> f64 {
    let mut s = 0.0;
    for i in 0..4 {
        let Some(w) = mask[i] else { continue };
        s += w * x[i] * x[i];
    }
    s
}

proptest! {
    #[test]
    fn let_else(x in -2.0..2.0f64, k in -2.0..2.0f64, i in 0usize..3, xs in proptest::array::uniform4(-2.0..2.0f64)) {
        prop_assert_eq!(let_else_return_gradient(x, None, Some(k)), [x.exp()]);
        prop_assert_eq!(let_else_return_gradient(x, Some(i), None), [2.0]);
        let (v, [g]) = let_else_return_value_and_gradient(x, Some(i), Some(k));
        prop_assert_eq!(v, let_else_return(x, Some(i), Some(k)));
        let n = i as i32 + 1;
        assert_close(g, k * f64::from(n) * x.powi(n - 1) + 1.0, 1e-14);

        let mask = [Some(k), None, Some(2.0), None];
        let (v, g) = let_else_continue_value_and_gradient(xs, mask);
        assert_close(v, let_else_continue(xs, mask), 1e-15);
        prop_assert_eq!(g, [2.0 * k * xs[0], 0.0, 4.0 * xs[2], 0.0]);
    }
}

/// The tail is an `if` or `match` with a `return` in one branch (as some write it; clippy
/// prefers the value).
#[gradient]
#[allow(clippy::needless_return)]
fn tail_if_returns(x: f64, y: f64) -> f64 {
    let s = x * y;
    if s > 1.0 {
        return s.ln();
    } else {
        s * s + x
    }
}

#[gradient]
#[allow(clippy::needless_return)]
fn tail_match_returns(x: f64, code: u8) -> f64 {
    match code {
        0 => {
            return x.sin();
        }
        1 => x * x,
        _ => {
            if x > 0.0 {
                return x;
            }
            -x.exp()
        }
    }
}

proptest! {
    #[test]
    fn tails_with_returns(x in -2.0..2.0f64, y in -2.0..2.0f64, code in 0u8..3) {
        let s = x * y;
        let exact = if s > 1.0 { [1.0 / x, 1.0 / y] } else { [2.0 * s * y + 1.0, 2.0 * s * x] };
        let (v, g) = tail_if_returns_value_and_gradient(x, y);
        prop_assert_eq!(v, tail_if_returns(x, y));
        assert_all_close(&g, &exact, 1e-14, "tail if");
        let exact = match code { 0 => x.cos(), 1 => 2.0 * x, _ if x > 0.0 => 1.0, _ => -x.exp() };
        let (v, [g]) = tail_match_returns_value_and_gradient(x, code);
        prop_assert_eq!(v, tail_match_returns(x, code));
        assert_close(g, exact, 1e-14);
    }
}
