//! The exact shapes of the generated functions, checked by type
//! ascription: gradient types for scalar and array parameters, Jacobians of array and tuple
//! results, `wrt` restricting and reordering, pass-through parameters, visibility, methods.

// Annotated functions whose original is only used through its companions are not dead code.
#![allow(dead_code)]

mod common;

use common::*;
use dual::gradient;

// ---------------------------------------------------------------------------------------------
// Scalar results: G = [f64; n] / [f64; N] / tuple
// ---------------------------------------------------------------------------------------------

#[gradient]
fn one_arg(x: f64) -> f64 {
    x * x * x
}

#[gradient]
fn two_args(x: f64, y: f64) -> f64 {
    x * y * y
}

#[gradient]
fn four_args(a: f64, b: f64, c: f64, d: f64) -> f64 {
    a + 2.0 * b + 3.0 * c + 4.0 * d
}

#[gradient]
fn arr_only(v: [f64; 3]) -> f64 {
    v[0] * v[1] * v[2]
}

#[gradient]
fn arr_one(v: [f64; 1]) -> f64 {
    v[0] * v[0]
}

#[gradient]
fn array_then_scalar(w: [f64; 4], b: f64) -> f64 {
    w[0] * b + w[1] * b * b + w[2] - w[3] * 2.0 + b
}

#[gradient]
fn scalar_then_array(b: f64, w: [f64; 2]) -> f64 {
    b * w[0] + w[1]
}

#[gradient]
fn two_arrays(a: [f64; 2], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + b[2]
}

#[test]
fn one_scalar_gives_array_of_one() {
    let g: [f64; 1] = one_arg_gradient(2.0);
    assert_eq!(g, [12.0]);
    let (v, g): (f64, [f64; 1]) = one_arg_value_and_gradient(2.0);
    assert_eq!((v, g), (8.0, [12.0]));
}

#[test]
fn two_scalars_give_array_of_two_in_parameter_order() {
    let g: [f64; 2] = two_args_gradient(3.0, 2.0);
    assert_eq!(g, [4.0, 12.0]);
    let (v, g): (f64, [f64; 2]) = two_args_value_and_gradient(3.0, 2.0);
    assert_eq!((v, g), (12.0, [4.0, 12.0]));
}

#[test]
fn four_scalars_give_array_of_four() {
    let g: [f64; 4] = four_args_gradient(1.0, 1.0, 1.0, 1.0);
    assert_eq!(g, [1.0, 2.0, 3.0, 4.0]);
}

#[test]
fn single_array_parameter_gives_array_of_its_length() {
    let g: [f64; 3] = arr_only_gradient([2.0, 3.0, 5.0]);
    assert_eq!(g, [15.0, 10.0, 6.0]);
    let (v, g): (f64, [f64; 3]) = arr_only_value_and_gradient([2.0, 3.0, 5.0]);
    assert_eq!((v, g), (30.0, [15.0, 10.0, 6.0]));
}

#[test]
fn single_array_of_length_one_gives_array_of_one() {
    let g: [f64; 1] = arr_one_gradient([3.0]);
    assert_eq!(g, [6.0]);
}

#[test]
fn array_and_scalar_give_tuple_in_parameter_order() {
    let g: ([f64; 4], f64) = array_then_scalar_gradient([1.0, 2.0, 3.0, 4.0], 3.0);
    assert_eq!(g, ([3.0, 9.0, 1.0, -2.0], 1.0 + 2.0 * 2.0 * 3.0 + 1.0));
    let (v, g): (f64, ([f64; 4], f64)) =
        array_then_scalar_value_and_gradient([1.0, 2.0, 3.0, 4.0], 3.0);
    assert_eq!(v, 3.0 + 18.0 + 3.0 - 8.0 + 3.0);
    assert_eq!(g, array_then_scalar_gradient([1.0, 2.0, 3.0, 4.0], 3.0));
}

#[test]
fn scalar_and_array_give_tuple_in_parameter_order() {
    let g: (f64, [f64; 2]) = scalar_then_array_gradient(2.0, [5.0, 7.0]);
    assert_eq!(g, (5.0, [2.0, 1.0]));
    let (v, g): (f64, (f64, [f64; 2])) = scalar_then_array_value_and_gradient(2.0, [5.0, 7.0]);
    assert_eq!((v, g), (17.0, (5.0, [2.0, 1.0])));
}

#[test]
fn two_arrays_give_tuple_of_two_arrays() {
    let g: ([f64; 2], [f64; 3]) = two_arrays_gradient([2.0, 3.0], [5.0, 7.0, 11.0]);
    assert_eq!(g, ([5.0, 7.0], [2.0, 3.0, 1.0]));
}

// ---------------------------------------------------------------------------------------------
// Vector results: Jacobian [[f64; n]; M], columns flattened in parameter order
// ---------------------------------------------------------------------------------------------

#[gradient]
fn vec_of_array(v: [f64; 3]) -> [f64; 2] {
    [v[0] * v[1], v[1] + v[2] * v[2]]
}

#[gradient]
fn vec_of_scalars(x: f64, y: f64) -> [f64; 3] {
    [x * y, x + y, x - 2.0 * y]
}

#[gradient]
fn vec_of_array_and_scalar(w: [f64; 2], b: f64) -> [f64; 2] {
    [w[0] * b, w[1] + b]
}

#[gradient]
fn vec_of_scalar_and_array(b: f64, w: [f64; 2]) -> [f64; 2] {
    [w[0] * b, w[1] + b]
}

#[gradient]
fn vec_of_one(x: f64) -> [f64; 1] {
    [x * x]
}

#[gradient]
fn tuple_result(x: f64, y: f64, z: f64) -> (f64, f64) {
    (x * y, y * z + x)
}

#[gradient]
fn tuple_result_of_array(v: [f64; 2]) -> (f64, f64, f64) {
    (v[0] * v[1], v[0], 3.0 * v[1])
}

#[test]
fn array_parameter_array_result_jacobian_shape() {
    let j: [[f64; 3]; 2] = vec_of_array_jacobian([2.0, 3.0, 5.0]);
    assert_eq!(j, [[3.0, 2.0, 0.0], [0.0, 1.0, 10.0]]);
    let (v, j): ([f64; 2], [[f64; 3]; 2]) = vec_of_array_value_and_jacobian([2.0, 3.0, 5.0]);
    assert_eq!(v, [6.0, 28.0]);
    assert_eq!(j, [[3.0, 2.0, 0.0], [0.0, 1.0, 10.0]]);
}

#[test]
fn scalar_parameters_array_result_jacobian_shape() {
    let (v, j): ([f64; 3], [[f64; 2]; 3]) = vec_of_scalars_value_and_jacobian(3.0, 2.0);
    assert_eq!(v, [6.0, 5.0, -1.0]);
    assert_eq!(j, [[2.0, 3.0], [1.0, 1.0], [1.0, -2.0]]);
}

#[test]
fn jacobian_columns_flatten_array_then_scalar() {
    let j: [[f64; 3]; 2] = vec_of_array_and_scalar_jacobian([2.0, 3.0], 5.0);
    assert_eq!(j, [[5.0, 0.0, 2.0], [0.0, 1.0, 1.0]]);
}

#[test]
fn jacobian_columns_flatten_scalar_then_array() {
    let j: [[f64; 3]; 2] = vec_of_scalar_and_array_jacobian(5.0, [2.0, 3.0]);
    assert_eq!(j, [[2.0, 5.0, 0.0], [1.0, 0.0, 1.0]]);
}

#[test]
fn array_of_one_result_gives_one_row() {
    let (v, j): ([f64; 1], [[f64; 1]; 1]) = vec_of_one_value_and_jacobian(3.0);
    assert_eq!((v, j), ([9.0], [[6.0]]));
}

#[test]
fn tuple_result_value_is_the_tuple_and_jacobian_has_one_row_per_entry() {
    let (v, j): ((f64, f64), [[f64; 3]; 2]) = tuple_result_value_and_jacobian(2.0, 3.0, 5.0);
    assert_eq!(v, (6.0, 17.0));
    assert_eq!(j, [[3.0, 2.0, 0.0], [1.0, 5.0, 3.0]]);
    let j2: [[f64; 3]; 2] = tuple_result_jacobian(2.0, 3.0, 5.0);
    assert_eq!(j2, j);
}

#[test]
fn tuple_of_three_result_of_array_parameter() {
    let (v, j): ((f64, f64, f64), [[f64; 2]; 3]) =
        tuple_result_of_array_value_and_jacobian([2.0, 3.0]);
    assert_eq!(v, (6.0, 2.0, 9.0));
    assert_eq!(j, [[3.0, 2.0], [1.0, 0.0], [0.0, 3.0]]);
}

#[test]
fn jacobian_matches_finite_differences() {
    for (x, y) in grid2(&[-1.5, 0.5, 2.0], &[-0.5, 1.0, 3.0]) {
        let j = vec_of_scalars_jacobian(x, y);
        let fd = fd_jacobian(|p: [f64; 2]| vec_of_scalars(p[0], p[1]), [x, y]);
        assert_rows_close(&j, &fd, 1e-9, &format!("at ({x}, {y})"));
    }
}

// ---------------------------------------------------------------------------------------------
// wrt: restricting and reordering
// ---------------------------------------------------------------------------------------------

#[gradient(wrt(y))]
fn wrt_middle(x: f64, y: f64, z: f64) -> f64 {
    x * y * y + z
}

#[gradient(wrt(z, x))]
fn wrt_reordered(x: f64, y: f64, z: f64) -> f64 {
    2.0 * x + 3.0 * y + 5.0 * z
}

#[gradient(wrt(b, w))]
fn wrt_array_and_scalar_reordered(w: [f64; 2], x: f64, b: f64) -> f64 {
    w[0] * x + w[1] * 7.0 + b * 11.0
}

#[gradient(wrt(w))]
fn wrt_only_the_array(w: [f64; 3], x: f64) -> f64 {
    w[0] * x + w[1] * x * x + w[2]
}

#[gradient(wrt(x))]
fn wrt_only_scalar_beside_array(w: [f64; 3], x: f64) -> f64 {
    w[0] * x + w[1] * x * x + w[2]
}

#[gradient(wrt(y, x))]
fn wrt_reordered_jacobian(x: f64, y: f64, z: f64) -> [f64; 2] {
    [x * z, y * z]
}

#[test]
fn wrt_restricts_to_one_parameter() {
    let g: [f64; 1] = wrt_middle_gradient(3.0, 2.0, 100.0);
    assert_eq!(g, [12.0]);
    let (v, g): (f64, [f64; 1]) = wrt_middle_value_and_gradient(3.0, 2.0, 100.0);
    assert_eq!((v, g), (112.0, [12.0]));
}

#[test]
fn wrt_order_does_not_change_parameter_order() {
    let g: [f64; 2] = wrt_reordered_gradient(1.0, 1.0, 1.0);
    assert_eq!(g, [2.0, 5.0]);
}

#[test]
fn wrt_array_and_scalar_follow_parameter_order() {
    let g: ([f64; 2], f64) = wrt_array_and_scalar_reordered_gradient([1.0, 1.0], 3.0, 1.0);
    assert_eq!(g, ([3.0, 7.0], 11.0));
}

#[test]
fn wrt_only_the_array_gives_plain_array() {
    let g: [f64; 3] = wrt_only_the_array_gradient([1.0, 1.0, 1.0], 3.0);
    assert_eq!(g, [3.0, 9.0, 1.0]);
}

#[test]
fn wrt_only_the_scalar_leaves_the_array_constant() {
    let g: [f64; 1] = wrt_only_scalar_beside_array_gradient([2.0, 5.0, 1.0], 3.0);
    assert_eq!(g, [2.0 + 2.0 * 5.0 * 3.0]);
}

#[test]
fn wrt_order_does_not_change_jacobian_columns() {
    let j: [[f64; 2]; 2] = wrt_reordered_jacobian_jacobian(2.0, 3.0, 5.0);
    assert_eq!(j, [[5.0, 0.0], [0.0, 5.0]]);
}

// ---------------------------------------------------------------------------------------------
// Pass-through parameters
// ---------------------------------------------------------------------------------------------

/// Constant parameters passed through to the companions.
#[derive(Clone, Copy, Debug)]
pub struct Params {
    /// Used when the flag is set.
    pub a: f64,
    /// Used otherwise.
    pub b: f64,
}

#[gradient]
fn pass_through(x: f64, n: usize, flag: bool, data: &[f64], p: &Params) -> f64 {
    let base = if flag { p.a } else { p.b };
    x * x * base + x * data[n]
}

#[gradient]
fn struct_by_value(x: f64, p: Params, y: f64) -> f64 {
    p.a * x + p.b * y * y
}

#[gradient]
fn reference_to_scalar_constant(x: f64, c: &f64) -> f64 {
    x * *c
}

#[test]
fn non_float_parameters_are_passed_through() {
    let data = [10.0, 20.0, 30.0];
    let p = Params { a: 2.0, b: 5.0 };
    let g: [f64; 1] = pass_through_gradient(3.0, 1, true, &data, &p);
    assert_eq!(g, [2.0 * 3.0 * 2.0 + 20.0]);
    let (v, g) = pass_through_value_and_gradient(3.0, 2, false, &data, &p);
    assert_eq!(v, 9.0 * 5.0 + 90.0);
    assert_eq!(g, [2.0 * 3.0 * 5.0 + 30.0]);
}

#[test]
fn struct_by_value_is_a_constant_between_differentiated_scalars() {
    let p = Params { a: 2.0, b: 5.0 };
    let g: [f64; 2] = struct_by_value_gradient(1.0, p, 3.0);
    assert_eq!(g, [2.0, 30.0]);
}

#[gradient]
fn reference_to_scalar_in_arithmetic(x: f64, c: &f64) -> f64 {
    x * c
}

#[test]
fn reference_to_f64_is_a_constant() {
    let g: [f64; 1] = reference_to_scalar_constant_gradient(3.0, &4.0);
    assert_eq!(g, [4.0]);
}

#[test]
fn reference_to_f64_used_directly_in_arithmetic_is_a_constant() {
    let g: [f64; 1] = reference_to_scalar_in_arithmetic_gradient(3.0, &4.0);
    assert_eq!(g, [4.0]);
    assert_eq!(
        reference_to_scalar_in_arithmetic_value_and_gradient(3.0, &4.0),
        (12.0, [4.0])
    );
}

// ---------------------------------------------------------------------------------------------
// Visibility, original function kept
// ---------------------------------------------------------------------------------------------

mod shapes {
    use dual::gradient;

    #[gradient]
    pub fn square(x: f64) -> f64 {
        x * x
    }

    #[gradient]
    pub(crate) fn cube(x: f64) -> f64 {
        x * x * x
    }

    pub mod nested {
        use dual::gradient;

        #[gradient]
        pub fn triple(v: [f64; 2]) -> [f64; 2] {
            [3.0 * v[0], 3.0 * v[1]]
        }
    }
}

#[test]
fn pub_companions_are_usable_outside_the_module() {
    assert_eq!(shapes::square_gradient(3.0), [6.0]);
    assert_eq!(shapes::square_value_and_gradient(3.0), (9.0, [6.0]));
}

#[test]
fn pub_crate_companions_are_usable_in_the_crate() {
    assert_eq!(shapes::cube_gradient(2.0), [12.0]);
}

#[test]
fn pub_jacobian_companions_in_nested_module() {
    let (v, j) = shapes::nested::triple_value_and_jacobian([1.0, 2.0]);
    assert_eq!(v, [3.0, 6.0]);
    assert_eq!(j, [[3.0, 0.0], [0.0, 3.0]]);
    assert_eq!(shapes::nested::triple_jacobian([1.0, 2.0]), j);
}

#[test]
fn original_functions_are_still_callable() {
    assert_eq!(one_arg(2.0), 8.0);
    assert_eq!(two_args(3.0, 2.0), 12.0);
    assert_eq!(arr_only([2.0, 3.0, 5.0]), 30.0);
    assert_eq!(vec_of_array([2.0, 3.0, 5.0]), [6.0, 28.0]);
    assert_eq!(tuple_result(2.0, 3.0, 5.0), (6.0, 17.0));
    assert_eq!(shapes::square(4.0), 16.0);
}

#[test]
fn companions_have_the_same_parameter_list_as_function_pointers() {
    let f: fn(f64, f64) -> f64 = two_args;
    let g: fn(f64, f64) -> [f64; 2] = two_args_gradient;
    let vg: fn(f64, f64) -> (f64, [f64; 2]) = two_args_value_and_gradient;
    let j: fn([f64; 3]) -> [[f64; 3]; 2] = vec_of_array_jacobian;
    type ValueAndJacobian = ([f64; 2], [[f64; 3]; 2]);
    let vj: fn([f64; 3]) -> ValueAndJacobian = vec_of_array_value_and_jacobian;
    assert_eq!(f(1.0, 1.0), 1.0);
    assert_eq!(g(1.0, 1.0), [1.0, 2.0]);
    assert_eq!(vg(1.0, 1.0).1, [1.0, 2.0]);
    assert_eq!(j([1.0, 1.0, 1.0]), [[1.0, 1.0, 0.0], [0.0, 1.0, 2.0]]);
    assert_eq!(vj([1.0, 1.0, 1.0]).0, [1.0, 2.0]);
}

// ---------------------------------------------------------------------------------------------
// Methods and associated functions
// ---------------------------------------------------------------------------------------------

/// A type whose methods are annotated.
pub struct Model {
    /// A constant of every method.
    pub scale: f64,
}

impl Model {
    /// s x² + y
    #[gradient]
    pub fn energy(&self, x: f64, y: f64) -> f64 {
        self.scale * x * x + y
    }

    #[gradient]
    fn assoc(x: f64) -> f64 {
        x * x * x
    }

    /// s x²
    #[gradient]
    pub fn g(&self, x: f64) -> f64 {
        self.scale * x * x
    }

    /// s x³, through `self.g`.
    #[gradient]
    pub fn uses_g(&self, x: f64) -> f64 {
        self.g(x) * x
    }

    #[gradient]
    fn uses_assoc(&self, x: f64) -> f64 {
        Self::assoc(x) + self.scale * x
    }

    #[gradient]
    fn forces(&self, p: [f64; 2]) -> [f64; 2] {
        [self.scale * p[0] * p[1], p[1] - p[0]]
    }
}

#[test]
fn method_companion_is_a_method() {
    let m = Model { scale: 3.0 };
    let g: [f64; 2] = m.energy_gradient(2.0, 5.0);
    assert_eq!(g, [12.0, 1.0]);
    let (v, g): (f64, [f64; 2]) = m.energy_value_and_gradient(2.0, 5.0);
    assert_eq!((v, g), (17.0, [12.0, 1.0]));
    assert_eq!(m.energy(2.0, 5.0), 17.0);
}

#[test]
fn associated_function_companion_is_an_associated_function() {
    let g: [f64; 1] = Model::assoc_gradient(2.0);
    assert_eq!(g, [12.0]);
    assert_eq!(Model::assoc_value_and_gradient(2.0), (8.0, [12.0]));
}

#[test]
fn method_calling_another_annotated_method_through_self() {
    // s x³
    let m = Model { scale: 0.5 };
    for x in [-2.0, 1.0, 3.0] {
        let [d] = m.uses_g_gradient(x);
        assert_close_ctx(d, 1.5 * x * x, 1e-15, &format!("at {x}"));
    }
}

#[test]
fn method_calling_annotated_associated_function_through_self_type() {
    // x³ + s x
    let m = Model { scale: 2.0 };
    assert_eq!(m.uses_assoc_gradient(3.0), [27.0 + 2.0]);
}

#[test]
fn method_with_array_result_has_jacobian_method() {
    let m = Model { scale: 2.0 };
    let (v, j): ([f64; 2], [[f64; 2]; 2]) = m.forces_value_and_jacobian([3.0, 5.0]);
    assert_eq!(v, [30.0, 2.0]);
    assert_eq!(j, [[10.0, 6.0], [-1.0, 1.0]]);
    assert_eq!(m.forces_jacobian([3.0, 5.0]), j);
}
