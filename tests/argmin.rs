//! argmin integration (`examples/support/rosenbrock_argmin.rs`): the adapter hands argmin the
//! generated gradient, and L-BFGS with a More-Thuente line search converges from (−1.2, 1) to
//! within 1e-6 of (1, 1) in at most 100 iterations.

#[path = "../examples/support/rosenbrock_argmin.rs"]
mod rosenbrock_argmin;

use argmin::core::{CostFunction, Gradient, State, TerminationReason};
use rosenbrock_argmin::{executor, rosenbrock, rosenbrock_value_and_gradient, Rosenbrock, START};

#[test]
fn the_adapter_returns_the_function_and_its_generated_gradient() {
    for (x, y) in [(-1.2, 1.0), (0.0, 0.0), (1.0, 1.0), (0.5, -2.0), (3.0, 7.5)] {
        let cost = Rosenbrock.cost(&vec![x, y]).unwrap();
        let grad = Rosenbrock.gradient(&vec![x, y]).unwrap();
        assert_eq!(cost, rosenbrock(x, y));
        let (value, [gx, gy]) = rosenbrock_value_and_gradient(x, y);
        assert_eq!(cost, value);
        assert_eq!(grad, vec![gx, gy]);
        // ∇f = (−2(1 − x) − 400x(y − x²), 200(y − x²))
        let expected = [
            -2.0 * (1.0 - x) - 400.0 * x * (y - x * x),
            200.0 * (y - x * x),
        ];
        for (g, e) in grad.iter().zip(expected) {
            assert!((g - e).abs() <= 1e-12 * e.abs().max(1.0), "{g} vs {e}");
        }
    }
    assert_eq!(rosenbrock_value_and_gradient(1.0, 1.0), (0.0, [0.0, 0.0]));
}

#[test]
fn the_adapter_rejects_a_parameter_vector_of_the_wrong_length() {
    let err = Rosenbrock.cost(&vec![1.0]).unwrap_err();
    assert!(err.to_string().contains("2 parameters, got 1"), "{err}");
    assert!(Rosenbrock.gradient(&vec![1.0, 2.0, 3.0]).is_err());
}

#[test]
fn lbfgs_converges_from_the_classic_start_in_at_most_100_iterations() {
    let result = executor(START).unwrap().run().unwrap();
    let state = result.state();
    assert_eq!(
        state.get_termination_reason(),
        Some(&TerminationReason::SolverConverged)
    );
    let iterations = state.get_iter();
    assert!(iterations <= 100, "{iterations} iterations");
    let best = state.get_best_param().unwrap();
    let distance = (best[0] - 1.0).hypot(best[1] - 1.0);
    assert!(
        distance <= 1e-6,
        "stopped at {best:?}, {distance:e} from (1, 1) after {iterations} iterations"
    );
    assert!(state.get_best_cost() <= 1e-12);
    let counts = state.get_func_counts();
    assert!(counts["gradient_count"] > 0 && counts["cost_count"] > 0);
}

#[test]
fn lbfgs_converges_from_other_starts() {
    for start in [[2.0, 2.0], [-2.0, 3.0], [0.0, 0.0], [1.5, -1.0]] {
        let result = executor(start).unwrap().run().unwrap();
        let state = result.state();
        let best = state.get_best_param().unwrap();
        let distance = (best[0] - 1.0).hypot(best[1] - 1.0);
        assert!(
            distance <= 1e-6,
            "from {start:?}: stopped at {best:?} after {} iterations",
            state.get_iter()
        );
    }
}
