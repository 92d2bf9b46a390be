//! Each body construct of the README's support matrix (loops excepted): bindings, assignment operators,
//! blocks, branches on differentiated values (both sides), early returns, array and tuple
//! literals, indexing, destructuring, casts, consts, float literal forms, inactive code and
//! statement macros.

// The bodies below are written the way the support matrix allows users to write them, including forms
// clippy would rewrite (late initialisation, needless return, assignment operators spelled out).
#![allow(
    dead_code,
    clippy::needless_late_init,
    clippy::needless_return,
    clippy::assign_op_pattern,
    clippy::let_and_return,
    clippy::collapsible_else_if,
    clippy::collapsible_if,
    clippy::excessive_precision,
    clippy::unnecessary_cast
)]

mod common;

use common::*;
use dual::gradient;

/// Checks `grad` against `expected` and against finite differences of `f` at each point.
#[track_caller]
fn check2(
    f: fn(f64, f64) -> f64,
    grad: fn(f64, f64) -> [f64; 2],
    expected: impl Fn(f64, f64) -> [f64; 2],
    points: &[(f64, f64)],
) {
    for &(x, y) in points {
        let ctx = format!("at ({x}, {y})");
        let g = grad(x, y);
        assert_all_close(&g, &expected(x, y), 1e-13, &format!("analytic, {ctx}"));
        let fd = fd_gradient(|p: [f64; 2]| f(p[0], p[1]), [x, y]);
        assert_all_close(&g, &fd, 1e-8, &format!("finite differences, {ctx}"));
    }
}

/// One-input version of [`check2`].
#[track_caller]
fn check1(f: fn(f64) -> f64, grad: fn(f64) -> [f64; 1], expected: impl Fn(f64) -> f64, xs: &[f64]) {
    for &x in xs {
        let ctx = format!("at {x}");
        let [g] = grad(x);
        assert_close_ctx(g, expected(x), 1e-13, &format!("analytic, {ctx}"));
        assert_close_ctx(
            g,
            fd_derivative(f, x),
            1e-8,
            &format!("finite differences, {ctx}"),
        );
    }
}

fn points() -> Vec<(f64, f64)> {
    grid2(&[-2.3, -0.7, 0.4, 1.1, 2.9], &[-1.9, -0.35, 0.6, 1.45, 3.2])
}

// ---------------------------------------------------------------------------------------------
// let, shadowing, let mut and assignment operators
// ---------------------------------------------------------------------------------------------

#[gradient]
fn let_with_and_without_type(x: f64, y: f64) -> f64 {
    let a: f64 = x * y;
    let b = a + x;
    b * a
}

#[gradient]
fn shadowing(x: f64) -> f64 {
    let a = x * 2.0;
    let a = a * a;
    let a = a + x;
    a
}

#[gradient]
fn shadowing_a_parameter(x: f64, y: f64) -> f64 {
    let x = x * y;
    let y = x + y;
    x * y
}

#[gradient]
fn let_mut_with_assign(x: f64, y: f64) -> f64 {
    let mut a = x;
    a = a * y;
    a = a + 1.0;
    a * x
}

#[gradient]
fn add_assign(x: f64, y: f64) -> f64 {
    let mut a = x * x;
    a += y;
    a += 3.0;
    a * y
}

#[gradient]
fn sub_assign(x: f64, y: f64) -> f64 {
    let mut a = x * y;
    a -= x;
    a -= 2.0;
    a
}

#[gradient]
fn mul_assign(x: f64, y: f64) -> f64 {
    let mut a = x + 1.0;
    a *= y;
    a *= a;
    a *= 0.5;
    a
}

#[gradient]
fn div_assign(x: f64, y: f64) -> f64 {
    let mut a = x * x;
    a /= y;
    a /= 4.0;
    a
}

#[gradient]
fn all_assignment_operators(x: f64, y: f64) -> f64 {
    let mut a = x;
    a += y;
    a -= 2.0 * x;
    a *= y;
    a /= x;
    a
}

#[gradient]
fn assign_to_typed_let_mut(x: f64) -> f64 {
    let mut a: f64 = 1.0;
    a = a * x;
    a = a * x;
    a = a * x;
    a
}

#[test]
fn let_with_type_and_let_without_type() {
    // (xy + x) xy
    check2(
        let_with_and_without_type,
        let_with_and_without_type_gradient,
        |x, y| {
            [
                (y + 1.0) * x * y + (x * y + x) * y,
                x * x * y + (x * y + x) * x,
            ]
        },
        &points(),
    );
}

#[test]
fn shadowed_let_uses_the_latest_binding() {
    // 4x² + x
    check1(
        shadowing,
        shadowing_gradient,
        |x| 8.0 * x + 1.0,
        &linspace(-3.0, 3.0, 13),
    );
    assert_eq!(shadowing_value_and_gradient(2.0), (18.0, [17.0]));
}

#[test]
fn shadowing_a_parameter_with_a_let() {
    // xy (xy + y)
    check2(
        shadowing_a_parameter,
        shadowing_a_parameter_gradient,
        |x, y| {
            let u = x * y;
            [y * (u + y) + u * y, x * (u + y) + u * (x + 1.0)]
        },
        &points(),
    );
}

#[test]
fn let_mut_reassigned_with_equals() {
    // (xy + 1) x
    check2(
        let_mut_with_assign,
        let_mut_with_assign_gradient,
        |x, y| [2.0 * x * y + 1.0, x * x],
        &points(),
    );
}

#[test]
fn add_assign_accumulates() {
    // (x² + y + 3) y
    check2(
        add_assign,
        add_assign_gradient,
        |x, y| [2.0 * x * y, x * x + 2.0 * y + 3.0],
        &points(),
    );
}

#[test]
fn sub_assign_subtracts() {
    // xy - x - 2
    check2(
        sub_assign,
        sub_assign_gradient,
        |x, y| [y - 1.0, x],
        &points(),
    );
}

#[test]
fn mul_assign_including_self_multiplication() {
    // ((x + 1) y)² / 2
    check2(
        mul_assign,
        mul_assign_gradient,
        |x, y| [(x + 1.0) * y * y, (x + 1.0) * (x + 1.0) * y],
        &points(),
    );
}

#[test]
fn div_assign_divides() {
    // x² / (4y)
    check2(
        div_assign,
        div_assign_gradient,
        |x, y| [x / (2.0 * y), -x * x / (4.0 * y * y)],
        &points(),
    );
}

#[test]
fn all_assignment_operators_in_sequence() {
    // (y - x) y / x
    check2(
        all_assignment_operators,
        all_assignment_operators_gradient,
        |x, y| [-y * y / (x * x), (2.0 * y - x) / x],
        &points(),
    );
}

#[test]
fn typed_let_mut_starting_from_a_constant() {
    check1(
        assign_to_typed_let_mut,
        assign_to_typed_let_mut_gradient,
        |x| 3.0 * x * x,
        &linspace(-2.0, 2.0, 9),
    );
}

// ---------------------------------------------------------------------------------------------
// Blocks as expressions
// ---------------------------------------------------------------------------------------------

#[gradient]
fn block_in_let(x: f64, y: f64) -> f64 {
    let a = {
        let t = x * y;
        t + x
    };
    a * 2.0
}

#[gradient]
fn block_as_tail(x: f64, y: f64) -> f64 {
    let s = x + y;
    {
        let t = s * s;
        t * x
    }
}

#[gradient]
fn nested_blocks(x: f64) -> f64 {
    let a = {
        let b = {
            let c = x * x;
            c + 1.0
        };
        b * x
    };
    a
}

#[gradient]
fn block_shadowing_does_not_leak(x: f64) -> f64 {
    let a = x;
    let b = {
        let a = a * a;
        a * 3.0
    };
    a + b
}

#[test]
fn block_as_let_initialiser() {
    // 2(xy + x)
    check2(
        block_in_let,
        block_in_let_gradient,
        |x, y| [2.0 * (y + 1.0), 2.0 * x],
        &points(),
    );
}

#[test]
fn block_as_tail_expression() {
    // (x + y)² x
    check2(
        block_as_tail,
        block_as_tail_gradient,
        |x, y| [(x + y) * (x + y) + 2.0 * (x + y) * x, 2.0 * (x + y) * x],
        &points(),
    );
}

#[test]
fn nested_blocks_as_expressions() {
    // x³ + x
    check1(
        nested_blocks,
        nested_blocks_gradient,
        |x| 3.0 * x * x + 1.0,
        &linspace(-2.0, 2.0, 9),
    );
}

#[test]
fn shadowing_inside_a_block_does_not_leak_out() {
    // x + 3x²
    check1(
        block_shadowing_does_not_leak,
        block_shadowing_does_not_leak_gradient,
        |x| 1.0 + 6.0 * x,
        &linspace(-2.0, 2.0, 9),
    );
    assert_eq!(
        block_shadowing_does_not_leak_value_and_gradient(2.0),
        (14.0, [13.0])
    );
}

// ---------------------------------------------------------------------------------------------
// if / else if / else on differentiated values
// ---------------------------------------------------------------------------------------------

#[gradient]
fn if_statement(x: f64, y: f64) -> f64 {
    let mut r = x + y;
    if x > y {
        r = x * x * y;
    } else if x < -y {
        r = y * y * x;
    } else {
        r = r * 2.0;
    }
    r
}

#[gradient]
fn if_expression_in_let(x: f64, y: f64) -> f64 {
    let r = if x * y >= 1.0 { x * y * y } else { x - y };
    r * 3.0
}

#[gradient]
fn if_expression_as_tail(x: f64, y: f64) -> f64 {
    if x > 0.0 {
        x.sin() * y
    } else if y > 0.0 {
        x.exp() * y
    } else {
        x * y * y
    }
}

#[gradient]
fn if_without_else_updates_mut(x: f64, y: f64) -> f64 {
    let mut a = x * y;
    if a > 1.0 {
        a = a * a;
    }
    a + y
}

#[gradient]
fn if_with_blocks_in_branches(x: f64, y: f64) -> f64 {
    let r = if x <= y {
        let t = x * y;
        t * t
    } else {
        let t = x - y;
        t / y
    };
    r + x
}

#[gradient]
fn nested_ifs(x: f64, y: f64) -> f64 {
    if x > 0.0 {
        if y > 0.0 {
            x * y
        } else {
            x * x - y
        }
    } else {
        if y > x {
            y * y + x
        } else {
            x * y * 2.0
        }
    }
}

#[gradient]
fn condition_with_and_or(x: f64, y: f64) -> f64 {
    if (x > 0.0 && y > 0.0) || x * y < -2.0 {
        x * y
    } else {
        x + y
    }
}

#[gradient]
fn constant_branches_on_active_condition(x: f64) -> f64 {
    let s = if x > 0.0 { 1.0 } else { -1.0 };
    s * x
}

#[gradient]
fn late_initialised_let(x: f64) -> f64 {
    let y;
    if x > 1.0 {
        y = x * x;
    } else {
        y = 3.0 * x;
    }
    y + x
}

#[gradient]
fn late_initialised_typed_let(x: f64, z: f64) -> f64 {
    let y: f64;
    if x > z {
        y = x * z;
    } else if x < -z {
        y = x + z;
    } else {
        y = z;
    }
    y * x
}

#[test]
fn if_statement_first_branch() {
    check2(
        if_statement,
        if_statement_gradient,
        |x, y| [2.0 * x * y, x * x],
        &[(2.0, 1.0), (3.5, -0.5), (0.5, 0.25)],
    );
}

#[test]
fn if_statement_else_if_branch() {
    check2(
        if_statement,
        if_statement_gradient,
        |x, y| [y * y, 2.0 * x * y],
        &[(-2.0, 1.0), (-3.5, 0.5), (-0.5, 0.25)],
    );
}

#[test]
fn if_statement_else_branch() {
    check2(
        if_statement,
        if_statement_gradient,
        |_, _| [2.0, 2.0],
        &[(-0.5, 1.0), (1.0, 2.0), (0.0, 0.5)],
    );
}

#[test]
fn if_expression_true_side() {
    check2(
        if_expression_in_let,
        if_expression_in_let_gradient,
        |x, y| [3.0 * y * y, 6.0 * x * y],
        &[(1.0, 2.0), (-2.0, -1.5), (4.0, 0.5)],
    );
}

#[test]
fn if_expression_false_side() {
    check2(
        if_expression_in_let,
        if_expression_in_let_gradient,
        |_, _| [3.0, -3.0],
        &[(0.5, 0.5), (-2.0, 1.5), (0.1, 3.0)],
    );
}

#[test]
fn if_expression_as_tail_each_branch() {
    // x > 0
    check2(
        if_expression_as_tail,
        if_expression_as_tail_gradient,
        |x, y| [x.cos() * y, x.sin()],
        &[(0.5, -1.0), (2.0, 3.0)],
    );
    // x <= 0, y > 0
    check2(
        if_expression_as_tail,
        if_expression_as_tail_gradient,
        |x, y| [x.exp() * y, x.exp()],
        &[(-0.5, 1.0), (-2.0, 0.3)],
    );
    // x <= 0, y <= 0
    check2(
        if_expression_as_tail,
        if_expression_as_tail_gradient,
        |x, y| [y * y, 2.0 * x * y],
        &[(-0.5, -1.0), (-2.0, -0.3)],
    );
}

#[test]
fn if_without_else_taken_and_not_taken() {
    // taken: (xy)² + y
    check2(
        if_without_else_updates_mut,
        if_without_else_updates_mut_gradient,
        |x, y| [2.0 * x * y * y, 2.0 * x * x * y + 1.0],
        &[(2.0, 1.0), (-3.0, -0.5)],
    );
    // not taken: xy + y
    check2(
        if_without_else_updates_mut,
        if_without_else_updates_mut_gradient,
        |x, y| [y, x + 1.0],
        &[(0.5, 1.0), (-3.0, 0.25)],
    );
}

#[test]
fn if_with_blocks_in_both_branches() {
    check2(
        if_with_blocks_in_branches,
        if_with_blocks_in_branches_gradient,
        |x, y| [2.0 * x * y * y + 1.0, 2.0 * x * x * y],
        &[(0.5, 1.0), (-2.0, 0.5)],
    );
    check2(
        if_with_blocks_in_branches,
        if_with_blocks_in_branches_gradient,
        |x, y| [1.0 / y + 1.0, -x / (y * y)],
        &[(2.0, 1.0), (3.0, -0.5)],
    );
}

#[test]
fn nested_ifs_each_of_four_leaves() {
    let f = nested_ifs;
    let g = nested_ifs_gradient;
    check2(f, g, |x, y| [y, x], &[(1.0, 2.0)]);
    check2(f, g, |x, _| [2.0 * x, -1.0], &[(1.0, -2.0)]);
    check2(f, g, |_, y| [1.0, 2.0 * y], &[(-1.0, 2.0)]);
    check2(f, g, |x, y| [2.0 * y, 2.0 * x], &[(-1.0, -2.0)]);
}

#[test]
fn condition_combining_comparisons_with_and_or() {
    let f = condition_with_and_or;
    let g = condition_with_and_or_gradient;
    // (x > 0 && y > 0)
    check2(f, g, |x, y| [y, x], &[(1.0, 2.0)]);
    // x y < -2
    check2(f, g, |x, y| [y, x], &[(-2.0, 3.0), (4.0, -1.0)]);
    // neither
    check2(
        f,
        g,
        |_, _| [1.0, 1.0],
        &[(-1.0, 1.0), (1.0, -1.0), (-1.0, -1.0)],
    );
}

#[test]
fn if_with_active_condition_and_constant_branches() {
    check1(
        constant_branches_on_active_condition,
        constant_branches_on_active_condition_gradient,
        f64::signum,
        &[-2.5, -0.5, 0.5, 3.0],
    );
    assert_eq!(
        constant_branches_on_active_condition_value_and_gradient(-2.0),
        (2.0, [-1.0])
    );
}

#[test]
fn let_declared_then_assigned_in_both_branches() {
    check1(
        late_initialised_let,
        late_initialised_let_gradient,
        |x| 2.0 * x + 1.0,
        &[1.5, 2.0, 4.0],
    );
    check1(
        late_initialised_let,
        late_initialised_let_gradient,
        |_| 4.0,
        &[-1.0, 0.0, 0.5],
    );
}

#[test]
fn typed_let_declared_then_assigned_in_three_branches() {
    let f = late_initialised_typed_let;
    let g = late_initialised_typed_let_gradient;
    check2(f, g, |x, z| [2.0 * x * z, x * x], &[(2.0, 1.0)]);
    check2(f, g, |x, z| [2.0 * x + z, x], &[(-2.0, 1.0)]);
    check2(f, g, |x, z| [z, x], &[(0.5, 1.0)]);
}

// ---------------------------------------------------------------------------------------------
// Early return
// ---------------------------------------------------------------------------------------------

#[gradient]
fn early_return(x: f64, y: f64) -> f64 {
    if x < 0.0 {
        return -x * y;
    }
    x * x * y
}

#[gradient]
fn return_inside_nested_ifs(x: f64, y: f64) -> f64 {
    let a = x * y;
    if x > 0.0 {
        if y > 0.0 {
            return a * a;
        } else {
            if a < -1.0 {
                return a + x;
            }
        }
    }
    a - y
}

#[gradient]
fn return_in_one_branch_only(x: f64, y: f64) -> f64 {
    let mut r = x;
    if x > 1.0 {
        return x * y;
    } else {
        r = r * r;
    }
    r + y
}

#[gradient]
fn explicit_return_at_end(x: f64, y: f64) -> f64 {
    let r = x * y;
    return r + x;
}

#[gradient]
fn return_of_if_expression(x: f64) -> f64 {
    return if x > 0.0 { x * x } else { -x };
}

/// The statements after a conditional `return`, themselves ending in a `return` statement.
#[gradient]
fn return_statement_after_conditional_return(x: f64, y: f64) -> f64 {
    let mut s = x * y;
    if x > 1.0 {
        return s + x;
    }
    s = s * s;
    return s + y;
}

/// `as f64` of differentiated values keeps their derivative.
#[gradient]
fn cast_of_differentiated_values(x: f64, y: f64) -> f64 {
    let a = x as f64;
    a * y + (x * y) as f64 + (y as f64).sin()
}

#[test]
fn rests_and_casts() {
    check2(
        return_statement_after_conditional_return,
        return_statement_after_conditional_return_gradient,
        |x, y| {
            if x > 1.0 {
                [y + 1.0, x]
            } else {
                [2.0 * x * y * y, 2.0 * x * x * y + 1.0]
            }
        },
        &[(2.0, 0.5), (0.5, -1.5), (-1.0, 2.0)],
    );
    check2(
        cast_of_differentiated_values,
        cast_of_differentiated_values_gradient,
        |x, y| [2.0 * y, 2.0 * x + y.cos()],
        &points(),
    );
}

#[test]
fn early_return_taken() {
    check2(
        early_return,
        early_return_gradient,
        |x, y| [-y, -x],
        &[(-1.0, 2.0), (-1.5, -0.5), (-3.0, 1.25)],
    );
    assert_eq!(
        early_return_value_and_gradient(-1.0, 2.0),
        (2.0, [-2.0, 1.0])
    );
}

#[test]
fn early_return_not_taken() {
    check2(
        early_return,
        early_return_gradient,
        |x, y| [2.0 * x * y, x * x],
        &[(1.0, 2.0), (2.5, -0.5)],
    );
}

#[test]
fn return_inside_nested_ifs_each_path() {
    let f = return_inside_nested_ifs;
    let g = return_inside_nested_ifs_gradient;
    // x > 0, y > 0: (xy)²
    check2(
        f,
        g,
        |x, y| [2.0 * x * y * y, 2.0 * x * x * y],
        &[(1.0, 2.0), (0.5, 0.5)],
    );
    // x > 0, y <= 0, xy < -1: xy + x
    check2(f, g, |x, y| [y + 1.0, x], &[(2.0, -1.0), (1.0, -3.0)]);
    // x > 0, y <= 0, xy >= -1: falls through to xy - y
    check2(f, g, |x, y| [y, x - 1.0], &[(0.5, -1.0), (2.0, -0.25)]);
    // x <= 0: xy - y
    check2(f, g, |x, y| [y, x - 1.0], &[(-1.0, 2.0), (-2.0, -3.0)]);
}

#[test]
fn return_in_one_branch_only_both_sides() {
    let f = return_in_one_branch_only;
    let g = return_in_one_branch_only_gradient;
    check2(f, g, |x, y| [y, x], &[(2.0, 3.0), (1.5, -1.0)]);
    check2(f, g, |x, _| [2.0 * x, 1.0], &[(0.5, 3.0), (-2.0, -1.0)]);
}

#[test]
fn explicit_return_as_last_statement() {
    check2(
        explicit_return_at_end,
        explicit_return_at_end_gradient,
        |x, y| [y + 1.0, x],
        &points(),
    );
}

#[test]
fn return_of_an_if_expression() {
    check1(
        return_of_if_expression,
        return_of_if_expression_gradient,
        |x| 2.0 * x,
        &[0.5, 2.0],
    );
    check1(
        return_of_if_expression,
        return_of_if_expression_gradient,
        |_| -1.0,
        &[-0.5, -2.0],
    );
}

// ---------------------------------------------------------------------------------------------
// Arrays, tuples, indexing, destructuring
// ---------------------------------------------------------------------------------------------

#[gradient]
fn array_literal_indexed(x: f64, y: f64) -> f64 {
    let a = [x, y, x * y];
    a[0] * a[1] + a[2]
}

#[gradient]
fn array_parameter_indexed(v: [f64; 3]) -> f64 {
    v[0] * v[1] + v[2] * v[2]
}

#[gradient]
fn array_element_assignment(x: f64, y: f64) -> f64 {
    let mut a = [0.0, 0.0];
    a[0] = x * y;
    a[1] = a[0] + y;
    a[0] * a[1]
}

#[gradient]
fn tuple_destructuring(x: f64, y: f64) -> f64 {
    let (a, b) = (x * y, x + y);
    a * b
}

#[gradient]
fn tuple_destructuring_of_parameters(x: f64, y: f64) -> f64 {
    let (a, b) = (x, y);
    a / b
}

#[gradient]
fn nested_tuple_destructuring(x: f64, y: f64) -> f64 {
    let (a, (b, c)) = (x, (y, x * y));
    a + b * c
}

#[gradient]
fn array_result_from_literal(x: f64, y: f64) -> [f64; 2] {
    let a = [x * y, x - y];
    [a[1], a[0] * 2.0]
}

#[gradient]
fn tuple_result_from_literal(x: f64, y: f64) -> (f64, f64) {
    (x * y, x / y)
}

#[test]
fn array_literal_indexed_by_constants() {
    // 2xy
    check2(
        array_literal_indexed,
        array_literal_indexed_gradient,
        |x, y| [2.0 * y, 2.0 * x],
        &points(),
    );
}

#[test]
fn array_parameter_indexed_by_constants() {
    let g: [f64; 3] = array_parameter_indexed_gradient([2.0, -3.0, 0.5]);
    assert_eq!(g, [-3.0, 2.0, 1.0]);
}

#[test]
fn array_element_assignment_by_constant_index() {
    // xy (xy + y)
    check2(
        array_element_assignment,
        array_element_assignment_gradient,
        |x, y| [2.0 * x * y * y + y * y, 2.0 * x * x * y + 2.0 * x * y],
        &points(),
    );
}

#[test]
fn tuple_literal_destructured() {
    // xy (x + y)
    check2(
        tuple_destructuring,
        tuple_destructuring_gradient,
        |x, y| [2.0 * x * y + y * y, x * x + 2.0 * x * y],
        &points(),
    );
}

#[test]
fn tuple_of_parameters_destructured() {
    check2(
        tuple_destructuring_of_parameters,
        tuple_destructuring_of_parameters_gradient,
        |x, y| [1.0 / y, -x / (y * y)],
        &points(),
    );
}

#[test]
fn nested_tuple_destructured() {
    // x + x y²
    check2(
        nested_tuple_destructuring,
        nested_tuple_destructuring_gradient,
        |x, y| [1.0 + y * y, 2.0 * x * y],
        &points(),
    );
}

#[test]
fn array_literal_as_vector_result() {
    let (v, j) = array_result_from_literal_value_and_jacobian(3.0, 2.0);
    assert_eq!(v, [1.0, 12.0]);
    assert_eq!(j, [[1.0, -1.0], [4.0, 6.0]]);
}

#[test]
fn tuple_literal_as_vector_result() {
    let (v, j) = tuple_result_from_literal_value_and_jacobian(3.0, 2.0);
    assert_eq!(v, (6.0, 1.5));
    assert_eq!(j, [[2.0, 3.0], [0.5, -0.75]]);
}

// ---------------------------------------------------------------------------------------------
// Casts, consts, float literal forms
// ---------------------------------------------------------------------------------------------

const SCALE: f64 = 2.5;
const OFFSETS: [f64; 2] = [0.5, -1.5];

#[gradient]
fn cast_of_usize_parameter(x: f64, n: usize) -> f64 {
    x * x * n as f64 + (n as f64) * x
}

#[gradient]
fn cast_of_integer_literal_and_i32(x: f64, k: i32) -> f64 {
    (k as f64 + 3 as f64) * x
}

#[gradient]
fn module_const_items(x: f64) -> f64 {
    SCALE * x * x + OFFSETS[1] * x + OFFSETS[0]
}

#[gradient]
fn const_item_in_body(x: f64) -> f64 {
    const C: f64 = 3.0;
    C * x * x
}

#[gradient]
fn float_literal_forms(x: f64, y: f64) -> f64 {
    2. * x + 1e-3 * x * x + 2.0f64 * y + 2_f64 * x * y + 1_000.5 * y + 0.5e1 * x + 2.5E+1 * y
}

#[test]
fn as_cast_of_usize_parameter() {
    for n in [0_usize, 1, 3, 10] {
        for x in [-1.5, 0.5, 2.0] {
            let [d] = cast_of_usize_parameter_gradient(x, n);
            assert_close_ctx(
                d,
                2.0 * x * n as f64 + n as f64,
                1e-15,
                &format!("n = {n}, x = {x}"),
            );
        }
    }
}

#[test]
fn as_cast_of_integer_literal_and_i32_parameter() {
    assert_eq!(cast_of_integer_literal_and_i32_gradient(1.5, -7), [-4.0]);
    assert_eq!(cast_of_integer_literal_and_i32_gradient(1.5, 2), [5.0]);
}

#[test]
fn module_level_const_items() {
    check1(
        module_const_items,
        module_const_items_gradient,
        |x| 5.0 * x - 1.5,
        &linspace(-2.0, 2.0, 9),
    );
}

#[test]
fn const_item_inside_body() {
    check1(
        const_item_in_body,
        const_item_in_body_gradient,
        |x| 6.0 * x,
        &linspace(-2.0, 2.0, 9),
    );
}

#[test]
fn float_literals_of_every_form() {
    check2(
        float_literal_forms,
        float_literal_forms_gradient,
        |x, y| {
            [
                2.0 + 2e-3 * x + 2.0 * y + 5.0,
                2.0 + 2.0 * x + 1000.5 + 25.0,
            ]
        },
        &points(),
    );
}

// ---------------------------------------------------------------------------------------------
// Inactive code, statement macros
// ---------------------------------------------------------------------------------------------

#[gradient]
fn inactive_statements(x: f64, data: &[f64]) -> f64 {
    let mut count = 0usize;
    count += 1;
    let k = data[0];
    let n = data.len();
    count += n;
    let total: f64 = data.iter().sum();
    let largest = data.iter().fold(f64::MIN, |a, &b| a.max(b));
    x * k + count as f64 * x * x + total * largest
}

/// An `if` on a differentiated condition whose branches yield data (an integer), not floats.
#[gradient]
fn integer_valued_branch(x: f64, y: f64) -> f64 {
    let n = if x > y { 2usize } else { 3 };
    x * y * n as f64
}

#[test]
fn integer_valued_branches() {
    let expected = |x: f64, y: f64| {
        let n = if x > y { 2.0 } else { 3.0 };
        [n * y, n * x]
    };
    check2(
        integer_valued_branch,
        integer_valued_branch_gradient,
        expected,
        &[(1.0, 0.5), (-0.5, 2.0), (3.0, -1.0)],
    );
}

/// A labelled block of user code, left early with `break 'label`: kept as written.
#[gradient]
fn inactive_labelled_block(x: f64, data: &[f64]) -> f64 {
    let mut scale = 1.0;
    'pick: {
        if data.len() > 2 {
            scale = 3.0;
            break 'pick;
        }
        if data.is_empty() {
            break 'pick;
        }
        scale = 5.0;
    }
    scale * x * x
}

/// The same as a value: the block's result, and what it assigns, are the emitted code's.
#[gradient]
fn inactive_labelled_block_value(x: f64, data: &[f64]) -> f64 {
    let mut scale = 1.0;
    let bonus = 'b: {
        if data.len() > 2 {
            scale = 3.0;
            break 'b 1.0;
        }
        2.0
    };
    scale * x * x + bonus * x
}

#[gradient(wrt(x))]
fn asserts_see_primal_values(x: f64, expected_square: f64) -> f64 {
    let a = x * x;
    assert!((a - expected_square).abs() < 1e-12, "a = {a}");
    debug_assert!(a >= 0.0);
    println!("x = {x}, a = {}", a);
    a * 3.0
}

/// A differentiated value named only inside a format string (`{a}`, `{a:.3}`): the macro still
/// sees its primal value.
#[gradient(wrt(x))]
fn format_string_names_a_differentiated_value(x: f64, limit: f64) -> f64 {
    let a = x * x;
    let b_2 = a + 1.0;
    assert!(limit > 0.0, "a = {a}, b = {b_2:.3}, limit = {limit}");
    a * 3.0 + b_2
}

#[gradient]
fn debug_assert_on_active_value(x: f64) -> f64 {
    let a = x * 2.0;
    debug_assert!(a < 10.0, "a = {a}");
    a * a
}

#[gradient]
fn mut_parameter_reassigned(mut x: f64, y: f64) -> f64 {
    x = x * y;
    x += 1.0;
    x * x
}

#[gradient]
fn mut_array_parameter_element_reassigned(mut v: [f64; 2]) -> f64 {
    v[0] = v[0] * v[1];
    v[0] + v[1]
}

#[test]
fn inactive_integer_counters_and_slice_data() {
    let data = [2.0, -1.0, 4.0];
    // k = 2, count = 4, total·largest = 5·4 is constant
    for x in [-1.5, 0.25, 3.0] {
        let (v, [d]) = inactive_statements_value_and_gradient(x, &data);
        assert_close(v, 2.0 * x + 4.0 * x * x + 20.0, 1e-15);
        assert_close(d, 2.0 + 8.0 * x, 1e-15);
    }
}

#[test]
fn inactive_labelled_blocks_run_in_the_companions() {
    for x in [-1.5, 0.25, 3.0] {
        let (v, [d]) = inactive_labelled_block_value_and_gradient(x, &[1.0, 2.0, 3.0]);
        assert_close(v, 3.0 * x * x, 1e-15);
        assert_close(d, 6.0 * x, 1e-15);
        let [d] = inactive_labelled_block_gradient(x, &[1.0]);
        assert_close(d, 10.0 * x, 1e-15);
        let [d] = inactive_labelled_block_gradient(x, &[]);
        assert_close(d, 2.0 * x, 1e-15);
        let (v, [d]) = inactive_labelled_block_value_value_and_gradient(x, &[1.0, 2.0, 3.0]);
        assert_close(v, 3.0 * x * x + x, 1e-15);
        assert_close(d, 6.0 * x + 1.0, 1e-15);
        let (v, [d]) = inactive_labelled_block_value_value_and_gradient(x, &[1.0]);
        assert_close(v, x * x + 2.0 * x, 1e-15);
        assert_close(d, 2.0 * x + 2.0, 1e-15);
    }
}

#[test]
#[should_panic(expected = "a = 4, b = 5.000, limit = -1")]
fn format_strings_see_primal_values() {
    assert_eq!(
        format_string_names_a_differentiated_value_gradient(2.0, 1.0),
        [16.0]
    );
    let _ = format_string_names_a_differentiated_value_gradient(2.0, -1.0);
}

#[test]
fn assert_in_body_passes_with_primal_values() {
    for x in [-2.0, 0.5, 3.0] {
        let (v, [d]) = asserts_see_primal_values_value_and_gradient(x, x * x);
        assert_eq!(v, 3.0 * x * x);
        assert_eq!(d, 6.0 * x);
        assert_eq!(asserts_see_primal_values_gradient(x, x * x), [6.0 * x]);
    }
}

#[test]
#[should_panic(expected = "a = 4")]
fn assert_in_body_runs_in_gradient_companion() {
    let _ = asserts_see_primal_values_gradient(2.0, 5.0);
}

#[test]
#[should_panic(expected = "a = 4")]
fn assert_in_body_runs_in_value_and_gradient_companion() {
    let _ = asserts_see_primal_values_value_and_gradient(2.0, 5.0);
}

#[test]
#[cfg(debug_assertions)]
#[should_panic(expected = "a = 12")]
fn debug_assert_in_body_runs_in_gradient_companion() {
    let _ = debug_assert_on_active_value_gradient(6.0);
}

#[test]
fn debug_assert_in_body_passes() {
    assert_eq!(debug_assert_on_active_value_gradient(1.5), [12.0]);
}

#[test]
fn mut_scalar_parameter_reassigned() {
    // (xy + 1)²
    check2(
        mut_parameter_reassigned,
        mut_parameter_reassigned_gradient,
        |x, y| [2.0 * (x * y + 1.0) * y, 2.0 * (x * y + 1.0) * x],
        &points(),
    );
}

#[test]
fn mut_array_parameter_element_reassigned_by_index() {
    // v0 v1 + v1
    assert_eq!(
        mut_array_parameter_element_reassigned_gradient([3.0, -2.0]),
        [-2.0, 4.0]
    );
}

/// An expression statement whose value is unused (`s + x;`, as an edit may leave it): no effect.
#[allow(unused_must_use, clippy::no_effect, clippy::unnecessary_operation)]
#[gradient]
fn unused_arithmetic_statement(x: f64, y: f64) -> f64 {
    let s = x * y;
    s + x;
    s
}

#[test]
fn unused_arithmetic_statement_has_no_effect() {
    check2(
        unused_arithmetic_statement,
        unused_arithmetic_statement_gradient,
        |x, y| [y, x],
        &points(),
    );
}

fn note(_k: usize) {}

/// A branch that ends in a call of user code returning `()`, without a semicolon, beside one
/// that ends in a statement.
#[gradient]
fn unit_call_ending_a_branch(x: f64, y: f64) -> f64 {
    let mut s = x * y;
    if x > 0.0 {
        s += x;
        note(1)
    } else {
        s -= y;
    }
    s
}

#[test]
fn unit_call_ending_a_branch_is_run() {
    check2(
        unit_call_ending_a_branch,
        unit_call_ending_a_branch_gradient,
        |x, y| if x > 0.0 { [y + 1.0, x] } else { [y, x - 1.0] },
        &points(),
    );
}

/// A variable given differentiated values in one branch and data in the other, in either order.
#[gradient(wrt(x, y))]
fn values_or_data_in_branches(x: f64, y: f64, d: [f64; 2], c: bool) -> f64 {
    let w;
    if c {
        w = [x * y, y];
    } else {
        w = d;
    }
    let u;
    if c {
        u = d;
    } else {
        u = [x, x * y];
    }
    // Data until a branch gives it differentiated values.
    let mut a = d;
    if c {
        a = [x, y];
    }
    let mut b = d;
    if c {
        b[0] = 1.0;
    } else {
        b = [y, x];
    }
    w[0] * w[1] + u[0] * u[1] + a[0] * a[1] + b[0] * b[1]
}

#[test]
fn values_or_data_in_branches_either_order() {
    let d = [1.5, -2.0];
    for (x, y) in points() {
        // c: x y² + d₀ d₁ + x y + d₁; not c: d₀ d₁ + x² y + d₀ d₁ + x y
        let [gx, gy] = values_or_data_in_branches_gradient(x, y, d, true);
        assert_all_close(&[gx, gy], &[y * y + y, 2.0 * x * y + x], 1e-15, "c");
        let [gx, gy] = values_or_data_in_branches_gradient(x, y, d, false);
        assert_all_close(&[gx, gy], &[2.0 * x * y + y, x * x + x], 1e-15, "not c");
        let v = values_or_data_in_branches(x, y, d, false);
        assert_close(v, 2.0 * d[0] * d[1] + x * x * y + x * y, 1e-15);
    }
}

/// A data array assigned to a variable that held differentiated values: read element by
/// element.
#[gradient(wrt(x))]
fn data_array_replaces_values(x: f64, d: [f64; 2], reset: bool) -> f64 {
    let mut w = [x, x * x];
    let before = w[0] * w[1];
    if reset {
        w = d;
    }
    before + w[0] * w[1]
}

#[test]
fn data_array_assigned_over_values() {
    let d = [1.5, -2.0];
    for x in [-1.3, 0.4, 2.0] {
        // x³ + x³, or x³ + d₀ d₁
        assert_close(
            data_array_replaces_values_gradient(x, d, false)[0],
            6.0 * x * x,
            1e-15,
        );
        assert_close(
            data_array_replaces_values_gradient(x, d, true)[0],
            3.0 * x * x,
            1e-15,
        );
        assert_close(
            data_array_replaces_values(x, d, true),
            x.powi(3) - 3.0,
            1e-15,
        );
    }
}

/// A data buffer updated with constants the macro holds (`buf[0] -= c;` after `let c = 0.5;`):
/// run as written (this was refused as storing a differentiated value).
#[gradient(wrt(x))]
fn data_buffer_updated_with_constants(x: f64, n: usize) -> f64 {
    let c = 0.5;
    let mut buf = vec![1.0; n];
    buf[0] -= c;
    buf[n - 1] += c * 4.0;
    buf[0] *= 3.0 * c;
    buf[0] /= c;
    x * buf[0] + x * x * buf[n - 1]
}

#[test]
fn data_buffers_updated_with_constants() {
    for x in [-1.5, 0.5, 2.0] {
        // n ≥ 2: buf = [1.5, …, 3]; n = 1: buf = [7.5]
        assert_close(
            data_buffer_updated_with_constants_gradient(x, 3)[0],
            1.5 + 6.0 * x,
            1e-15,
        );
        assert_close(
            data_buffer_updated_with_constants_gradient(x, 1)[0],
            7.5 + 15.0 * x,
            1e-15,
        );
        assert_close(
            data_buffer_updated_with_constants(x, 3),
            1.5 * x + 3.0 * x * x,
            1e-15,
        );
    }
}

/// Data statements that read a constant the macro holds (`v.push(c);`): run as written.
#[allow(clippy::vec_init_then_push)] // statements, one by one, are what is tested
#[gradient(wrt(x))]
fn data_pushes_of_constants(x: f64) -> f64 {
    let c = 0.5;
    let mut v = Vec::new();
    v.push(c);
    v.push(2.0 * c);
    x * v.iter().sum::<f64>()
}

#[test]
fn data_statements_reading_constants_run() {
    for x in [-1.0, 2.0] {
        assert_eq!(data_pushes_of_constants_gradient(x), [1.5]);
        assert_eq!(data_pushes_of_constants(x), 1.5 * x);
    }
}

/// An early return of a data array from a function with an array result.
#[gradient(wrt(x))]
fn returns_data_array_early(x: f64, d: [f64; 2]) -> [f64; 2] {
    if x < 0.0 {
        return d;
    }
    [x * x, d[1] * x]
}

#[test]
fn data_array_returned_early() {
    let d = [1.5, -2.0];
    assert_eq!(returns_data_array_early_jacobian(-1.0, d), [[0.0], [0.0]]);
    assert_eq!(returns_data_array_early_jacobian(3.0, d), [[6.0], [-2.0]]);
    assert_eq!(returns_data_array_early(-1.0, d), d);
}

/// `consts::PI` through a `use` of the module, beside the full path.
#[gradient]
fn constants_by_module_path(x: f64) -> f64 {
    use std::f64::consts;
    consts::PI * x * x + std::f64::consts::E * x
}

#[test]
fn constants_named_by_module_path() {
    use std::f64::consts::{E, PI};
    for x in [-1.0, 0.5, 2.0] {
        assert_close(
            constants_by_module_path_gradient(x)[0],
            2.0 * PI * x + E,
            1e-15,
        );
    }
}

/// A `match` inside an arm of another (both on data).
#[gradient(wrt(x))]
fn nested_matches(x: f64, a: u8, b: u8) -> f64 {
    let y = match a {
        0 => match b {
            0 => x,
            _ => 2.0 * x,
        },
        _ => match b {
            0 => x * x,
            _ => x * x * x,
        },
    };
    let z = match b {
        0 => y + x,
        _ => y,
    };
    z * 2.0
}

#[test]
fn matches_nested_in_arms() {
    let x = 1.5;
    for (a, b, exact) in [
        (0, 0, 4.0),
        (0, 1, 4.0),
        (1, 0, 2.0 * (2.0 * x + 1.0)),
        (1, 1, 6.0 * x * x),
    ] {
        assert_close(nested_matches_gradient(x, a, b)[0], exact, 1e-15);
    }
}

/// The bucket of a position in `[0, 1)` among four.
fn bucket(t: f64) -> usize {
    (t * 4.0) as usize
}

/// Integer data beside differentiated floats, built from constants: arrays, tuples, arithmetic,
/// methods and calls that are not float constants, run as written.
#[gradient(wrt(x))]
fn integer_data_from_constants(x: [f64; 4], v: &[f64], k: i32) -> f64 {
    let idx = [2usize, 0];
    let pair = (1usize, 3usize);
    let last = v.len() - 1;
    let magnitude = k.abs();
    let at_least_one = magnitude.max(1) as usize;
    let b = bucket(0.75);
    x[idx[0]] * x[pair.0] + x[last.min(3)] * v[0] + x[at_least_one.min(3)] + x[b] * x[b]
}

#[test]
fn integer_data_built_from_constants() {
    let x = [0.5, -1.5, 2.0, 0.25];
    let v = [2.0, 0.0, 0.0];
    // x₂ x₁ + x₂ v₀ + x₂ + x₃² (last = 2, max(|-2|, 1) = 2, bucket = 3)
    let g = integer_data_from_constants_gradient(x, &v, -2);
    assert_eq!(g, [0.0, x[2], x[1] + v[0] + 1.0, 2.0 * x[3]]);
}

/// A data pair assigned over a pair of differentiated values, in a branch.
#[gradient(wrt(x))]
fn data_pair_replaces_values(x: f64, d: (f64, f64), reset: bool) -> f64 {
    let mut t = (x, x * x);
    if reset {
        t = d;
    }
    t.0 * t.1
}

#[test]
fn data_pair_assigned_over_values() {
    let d = (1.5, -2.0);
    for x in [-1.3, 0.4, 2.0] {
        assert_close(
            data_pair_replaces_values_gradient(x, d, false)[0],
            3.0 * x * x,
            1e-15,
        );
        assert_eq!(data_pair_replaces_values_gradient(x, d, true), [0.0]);
        assert_eq!(data_pair_replaces_values(x, d, true), -3.0);
    }
}

/// Blocks that declare items (`const K`) of the same name: each its own scope.
#[gradient]
fn blocks_with_items(x: f64) -> f64 {
    let a = {
        const K: f64 = 2.0;
        K * x
    };
    let b = {
        const K: f64 = 3.0;
        K * x * x
    };
    a + b
}

#[test]
fn items_in_blocks_keep_their_scopes() {
    for x in [-1.0, 0.5, 2.0] {
        assert_close(blocks_with_items_gradient(x)[0], 2.0 + 6.0 * x, 1e-15);
    }
}

/// Integer and data variables changed in the branches of an `if` on a differentiated value.
#[gradient(wrt(x))]
fn counts_in_branches(x: f64, d: &[f64]) -> f64 {
    let mut above = 0usize;
    let mut scale = d[1];
    if x > 0.0 {
        above += 1;
        scale = d[0];
    } else {
        above += 2;
    }
    x * x * above as f64 * scale
}

#[test]
fn integers_changed_in_both_branches() {
    let d = [2.0, 3.0];
    assert_eq!(counts_in_branches_gradient(1.5, &d), [6.0]);
    assert_eq!(counts_in_branches_gradient(-1.5, &d), [-18.0]);
}

/// A data value after a conditional return: the function's value on the other paths.
#[gradient(wrt(x))]
fn early_return_then_data(x: f64, d: f64) -> f64 {
    if x < 0.0 {
        return x * x;
    }
    d
}

#[test]
fn data_tail_after_an_early_return() {
    assert_eq!(
        early_return_then_data_value_and_gradient(-2.0, 5.0),
        (4.0, [-4.0])
    );
    assert_eq!(
        early_return_then_data_value_and_gradient(2.0, 5.0),
        (5.0, [0.0])
    );
}

/// The remainder of data (`n % 3`) beside differentiated values.
#[gradient(wrt(x))]
fn remainder_of_data(x: f64, n: usize) -> f64 {
    let mut s = x * (n % 3) as f64;
    // Of an unrolled loop's counter: every other term.
    for k in 0..4 {
        s += x * x * (k % 2) as f64;
    }
    s
}

#[test]
fn remainders_of_data() {
    // (n mod 3) + 2 · 2x
    assert_eq!(remainder_of_data_gradient(2.0, 7), [9.0]);
    assert_eq!(remainder_of_data_gradient(2.0, 5), [10.0]);
}

/// A block whose data `let` shadows a data variable of the enclosing scope: the block's name
/// ends with it.
#[gradient(wrt(x))]
fn shadowing_in_a_block(x: f64, d: &[f64]) -> f64 {
    let t = d[1];
    let a = {
        let t = d[0];
        t * x
    };
    a + t * x * x
}

#[test]
fn data_shadowed_in_a_block() {
    // d₀ + 2 d₁ x
    assert_close(
        shadowing_in_a_block_gradient(1.5, &[2.0, 3.0])[0],
        2.0 + 9.0,
        1e-15,
    );
}

/// Compound assignments as the tails of branches (no semicolon).
#[gradient]
fn tail_assignments(x: f64, y: f64) -> f64 {
    let mut s = x * x;
    if y > 0.0 {
        s += y * x
    } else {
        s -= y
    }
    s
}

/// A data value in one branch of an `if`, a `return` in the other (either order).
#[gradient(wrt(x))]
fn data_or_return(x: f64, d: &[f64]) -> f64 {
    let v = if x > 0.0 {
        d[0]
    } else {
        return x * x;
    };
    let w = if x > 5.0 {
        return x;
    } else {
        d[0]
    };
    v * w * x
}

#[test]
fn branch_tails_that_assign_or_return() {
    assert_eq!(tail_assignments_gradient(1.5, 2.0), [5.0, 1.5]);
    assert_eq!(tail_assignments_gradient(1.5, -2.0), [3.0, -1.0]);
    assert_eq!(data_or_return_gradient(1.5, &[4.0]), [16.0]);
    assert_eq!(data_or_return_gradient(6.0, &[4.0]), [1.0]);
    assert_eq!(data_or_return_gradient(-1.5, &[4.0]), [-3.0]);
}

/// A negated comparison of differentiated values held in a variable.
#[allow(clippy::neg_cmp_op_on_partial_ord)] // the negation is what is tested
#[gradient]
fn negated_comparison(x: f64) -> f64 {
    let small = !(x > 1.0);
    if small {
        x * x
    } else {
        3.0 * x
    }
}

#[test]
fn negated_comparisons() {
    assert_eq!(negated_comparison_gradient(0.5), [1.0]);
    assert_eq!(negated_comparison_gradient(2.0), [3.0]);
}

/// A data pair made by a function the macro does not see into; counts its calls.
fn data_pair_of(d: &[f64], calls: &std::cell::Cell<usize>) -> [f64; 2] {
    calls.set(calls.get() + 1);
    [d[0], d[1]]
}

/// A data array returned by a call, assigned to a variable that held differentiated values
/// (read once, then element by element; this was a type error).
#[gradient(wrt(x))]
fn data_call_replaces_values(
    x: f64,
    d: &[f64],
    reset: bool,
    calls: &std::cell::Cell<usize>,
) -> f64 {
    let mut w = [x, x * x];
    let before = w[0] * w[1];
    if reset {
        w = data_pair_of(d, calls);
    }
    before + w[0] * w[1]
}

#[test]
fn data_call_assigned_over_values() {
    let d = [1.5, -2.0];
    let calls = std::cell::Cell::new(0);
    for x in [-1.3, 0.4, 2.0] {
        let g = data_call_replaces_values_gradient(x, &d, false, &calls)[0];
        assert_close(g, 6.0 * x * x, 1e-15);
        // The call runs once in the companion, as in the function.
        calls.set(0);
        let g = data_call_replaces_values_gradient(x, &d, true, &calls)[0];
        assert_close(g, 3.0 * x * x, 1e-15);
        assert_eq!(calls.get(), 1);
        assert_close(
            data_call_replaces_values(x, &d, true, &calls),
            x.powi(3) - 3.0,
            1e-15,
        );
    }
}

/// A labelled block of data code after a differentiated loop.
#[gradient]
fn loop_then_labelled_block(x: f64, n: usize) -> f64 {
    let mut s = 0.0;
    for k in 0..3 {
        s += x * k as f64;
    }
    let pick;
    'choose: {
        if n > 2 {
            pick = 2.0;
            break 'choose;
        }
        pick = 5.0;
    }
    s * pick
}

#[test]
fn labelled_blocks_after_loops_run() {
    assert_eq!(loop_then_labelled_block_gradient(1.5, 3), [6.0]);
    assert_eq!(loop_then_labelled_block_gradient(1.5, 1), [15.0]);
}

/// Fields of a local tuple of differentiated values assigned one by one.
#[gradient]
fn tuple_fields_assigned(x: f64, y: f64) -> f64 {
    let mut t = (x, y);
    t.0 = t.0 * t.1;
    t.1 += x;
    t.0 + t.1 * t.1
}

#[test]
fn tuple_fields_assigned_one_by_one() {
    // xy + (x + y)²
    let (x, y) = (1.5, -0.5);
    assert_eq!(
        tuple_fields_assigned_gradient(x, y),
        [y + 2.0 * (x + y), x + 2.0 * (x + y)]
    );
}

/// A variable of a non-float type declared without a value, assigned later.
#[gradient(wrt(x))]
fn typed_late_integer(x: f64, d: &[f64]) -> f64 {
    let n: usize;
    n = d.len();
    x * n as f64
}

#[test]
fn typed_late_integers() {
    assert_eq!(typed_late_integer_gradient(1.5, &[1.0, 2.0, 3.0]), [3.0]);
}

/// A statement macro as the tail of a branch (no semicolon), and repeat expressions of a
/// differentiated value and of integers.
#[gradient]
fn macro_tails_and_repeats(x: f64) -> f64 {
    if x > 0.0 {
        assert!(x < 1e9)
    }
    let v = [x * 2.0; 3];
    let idx = [1usize; 2];
    v[idx[0]] * v[2] + v[0]
}

#[test]
fn macro_tails_and_repeat_expressions() {
    // 4x² + 2x
    assert_eq!(macro_tails_and_repeats_gradient(1.5), [14.0]);
}
