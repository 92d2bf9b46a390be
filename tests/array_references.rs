//! The hand-written references of the array-scale benchmark cases (`benches/support/arrays.rs`):
//! at random points (proptest), each expert `_expert` value equals its plain function's value,
//! and every entry of each expert gradient agrees with central finite differences of the plain
//! function: all 1000 coordinates of `ext_rosenbrock`, all 650 parameters of `softmax_xent`,
//! all 340 of `mlp_loss`, with the label varying.

#[path = "../benches/support/arrays.rs"]
mod arrays;

use arrays::*;
use proptest::prelude::*;

/// Tolerance between an expert value and the plain function's (the same operations in the same
/// order, up to `powi(2)` against `t * t`), relative with a floor of 1.
const VALUE: f64 = 1e-12;
/// Tolerance between an expert gradient entry and central differences, relative to the larger
/// magnitude with a floor of 1 ...
const FD: f64 = 1e-6;
/// ... plus this many times the rounding error of the difference quotient,
/// `eps · (|f(p + h)| + |f(p - h)|) / 2h`. For `softmax_xent` and `mlp_loss` (values of order 1)
/// that is about 1e-10; for `ext_rosenbrock` (values of order 1e3 to 1e5, a sum of 999 terms
/// whose partial sums after the perturbed term round differently in the two evaluations) it is
/// 1e-7 to 2e-6 and dominates where a gradient entry is small. Over 64 random points the largest
/// |expert - fd| seen was 1.05 of this rounding error for `ext_rosenbrock`, 2.8 for `mlp_loss`.
const ROUNDING: f64 = 8.0;

/// Central differences of `f` at `p`, all entries, step `cbrt(eps) · max(1, |p_i|)` (about
/// 6e-6 relative); with each entry, the rounding error of its difference quotient.
fn fd<const L: usize>(f: impl Fn([f64; L]) -> f64, p: &[f64; L]) -> ([f64; L], [f64; L]) {
    let mut g = [0.0; L];
    let mut rounding = [0.0; L];
    let mut q = *p;
    for i in 0..L {
        let h = 6.0554544523933395e-6 * p[i].abs().max(1.0);
        q[i] = p[i] + h;
        let fp = f(q);
        q[i] = p[i] - h;
        let fm = f(q);
        q[i] = p[i];
        g[i] = (fp - fm) / (2.0 * h);
        rounding[i] = f64::EPSILON * (fp.abs() + fm.abs()) / (2.0 * h);
    }
    (g, rounding)
}

/// Whether `a` and `b` agree to `rtol`, relative to the larger magnitude with a floor of 1.
fn close(a: f64, b: f64, rtol: f64) -> bool {
    a.is_finite() && b.is_finite() && (a - b).abs() <= rtol * a.abs().max(b.abs()).max(1.0)
}

/// Checks an expert value against the plain function's.
fn check_value(expert: f64, plain: f64, what: &str) -> Result<(), TestCaseError> {
    prop_assert!(
        close(expert, plain, VALUE),
        "{what}: expert value {expert:e} != plain value {plain:e} (diff {:e})",
        expert - plain
    );
    Ok(())
}

/// Checks every entry of an expert gradient against finite differences (see [`FD`],
/// [`ROUNDING`]).
fn check_gradient<const L: usize>(
    expert: &[f64; L],
    (fd, rounding): ([f64; L], [f64; L]),
    what: &str,
) -> Result<(), TestCaseError> {
    for i in 0..L {
        let (e, d) = (expert[i], fd[i]);
        let tol = FD * e.abs().max(d.abs()).max(1.0) + ROUNDING * rounding[i];
        prop_assert!(
            e.is_finite() && (e - d).abs() <= tol,
            "{what}[{i}]: expert {e:e} != finite differences {d:e} (diff {:e}, tolerance {tol:e})",
            e - d
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(8))]

    #[test]
    fn ext_rosenbrock_expert_matches(seed in any::<u64>(), scale in 0.25..1.25f64) {
        let x = ext_rosenbrock_input(seed).map(|v| scale * v);
        let (f, g) = ext_rosenbrock_expert(&x);
        check_value(f, ext_rosenbrock(x), "ext_rosenbrock")?;
        check_gradient(&g, fd(ext_rosenbrock, &x), "ext_rosenbrock dx")?;
    }

    #[test]
    fn softmax_xent_expert_matches(
        seed in any::<u64>(),
        label in 0..CLASSES,
        scale in 0.25..4.0f64,
    ) {
        // `scale` spreads the logits from nearly uniform to a dominant class.
        let SoftmaxXentInputs { w, b, x, .. } = softmax_xent_inputs(seed);
        let w = w.map(|v| scale * v);
        let (f, (dw, db)) = softmax_xent_expert(&w, &b, &x, label);
        check_value(f, softmax_xent(w, b, &x, label), "softmax_xent")?;
        check_gradient(&dw, fd(|w| softmax_xent(w, b, &x, label), &w), "softmax_xent dw")?;
        check_gradient(&db, fd(|b| softmax_xent(w, b, &x, label), &b), "softmax_xent db")?;
    }

    #[test]
    fn mlp_loss_expert_matches(
        seed in any::<u64>(),
        label in 0..OUTPUTS,
        scale in 0.25..3.0f64,
    ) {
        // `scale` on the first layer moves the hidden units from tanh's linear part into its
        // saturation.
        let MlpInputs { w1, b1, w2, b2, x, .. } = mlp_inputs(seed);
        let w1 = w1.map(|v| scale * v);
        let (f, (dw1, db1, dw2, db2)) = mlp_loss_expert(&w1, &b1, &w2, &b2, &x, label);
        check_value(f, mlp_loss(w1, b1, w2, b2, &x, label), "mlp_loss")?;
        let what = "mlp_loss dw1";
        check_gradient(&dw1, fd(|w1| mlp_loss(w1, b1, w2, b2, &x, label), &w1), what)?;
        check_gradient(&db1, fd(|b1| mlp_loss(w1, b1, w2, b2, &x, label), &b1), "mlp_loss db1")?;
        check_gradient(&dw2, fd(|w2| mlp_loss(w1, b1, w2, b2, &x, label), &w2), "mlp_loss dw2")?;
        check_gradient(&db2, fd(|b2| mlp_loss(w1, b1, w2, b2, &x, label), &b2), "mlp_loss db2")?;
    }
}

/// The inputs helpers are deterministic, in their documented ranges, and their labels cover
/// every class over a few seeds; the experts agree with the plain functions at the exact points
/// a benchmark gets from them (seed 1).
#[test]
fn inputs_helpers() {
    let x = ext_rosenbrock_input(1);
    assert_eq!(x, ext_rosenbrock_input(1));
    assert_ne!(x, ext_rosenbrock_input(2));
    assert!(x.iter().all(|v| (-1.2..1.2).contains(v)));
    let (f, _) = ext_rosenbrock_expert(&x);
    assert!(close(f, ext_rosenbrock(x), VALUE));

    let s = softmax_xent_inputs(1);
    assert_eq!(s.w, softmax_xent_inputs(1).w);
    assert!(s.w.iter().all(|v| (-0.25..0.25).contains(v)));
    assert!(s.b.iter().all(|v| (-0.5..0.5).contains(v)));
    assert!(s.x.iter().all(|v| (-1.0..1.0).contains(v)));
    let (f, _) = softmax_xent_expert(&s.w, &s.b, &s.x, s.label);
    assert!(close(f, softmax_xent(s.w, s.b, &s.x, s.label), VALUE));
    let mut seen = [false; CLASSES];
    for seed in 0..200 {
        seen[softmax_xent_inputs(seed).label] = true;
    }
    assert_eq!(seen, [true; CLASSES]);

    let m = mlp_inputs(1);
    assert_eq!(m.w1, mlp_inputs(1).w1);
    assert!(m.w1.iter().chain(&m.w2).all(|v| (-0.5..0.5).contains(v)));
    assert!(m.b1.iter().chain(&m.b2).all(|v| (-0.1..0.1).contains(v)));
    assert!(m.x.iter().all(|v| (-1.0..1.0).contains(v)));
    let (f, _) = mlp_loss_expert(&m.w1, &m.b1, &m.w2, &m.b2, &m.x, m.label);
    assert!(close(
        f,
        mlp_loss(m.w1, m.b1, m.w2, m.b2, &m.x, m.label),
        VALUE
    ));
    let mut seen = [false; OUTPUTS];
    for seed in 0..200 {
        seen[mlp_inputs(seed).label] = true;
    }
    assert_eq!(seen, [true; OUTPUTS]);
}

/// Tolerance between a generated gradient entry and the expert's (the same math, associated
/// differently), relative to the larger magnitude with a floor of 1.
const GENERATED: f64 = 1e-11;

/// Checks every entry of a generated gradient against the expert's.
fn check_generated<const L: usize>(
    generated: &[f64; L],
    expert: &[f64; L],
    what: &str,
) -> Result<(), TestCaseError> {
    for i in 0..L {
        let (a, e) = (generated[i], expert[i]);
        prop_assert!(
            close(a, e, GENERATED),
            "{what}[{i}]: generated {a:e} != expert {e:e} (diff {:e})",
            a - e
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    /// `#[gradient]` on the plain functions, their loops kept loops: the same value as the
    /// function, the same gradient as the expert.
    #[test]
    fn generated_ext_rosenbrock_matches_the_expert(seed in any::<u64>(), scale in 0.25..1.25f64) {
        let x = ext_rosenbrock_input(seed).map(|v| scale * v);
        let (f, g) = ext_rosenbrock_expert(&x);
        let (v, dx) = ext_rosenbrock_value_and_gradient(x);
        prop_assert_eq!(v, ext_rosenbrock(x));
        check_value(v, f, "generated ext_rosenbrock")?;
        check_generated(&dx, &g, "ext_rosenbrock dx")?;
        prop_assert_eq!(ext_rosenbrock_gradient(x), dx);
        // The same function as iterator chains.
        for (v, dx) in [
            rosenbrock_windows_value_and_gradient(x),
            rosenbrock_zip_value_and_gradient(x),
        ] {
            check_value(v, f, "generated rosenbrock chain")?;
            check_generated(&dx, &g, "rosenbrock chain dx")?;
        }
    }

    #[test]
    fn generated_softmax_xent_matches_the_expert(
        seed in any::<u64>(),
        label in 0..CLASSES,
        scale in 0.25..4.0f64,
    ) {
        let SoftmaxXentInputs { w, b, x, .. } = softmax_xent_inputs(seed);
        let w = w.map(|v| scale * v);
        let (f, (dw, db)) = softmax_xent_expert(&w, &b, &x, label);
        let (v, (gw, gb)) = softmax_xent_value_and_gradient(w, b, &x, label);
        prop_assert_eq!(v, softmax_xent(w, b, &x, label));
        check_value(v, f, "generated softmax_xent")?;
        check_generated(&gw, &dw, "softmax_xent dw")?;
        check_generated(&gb, &db, "softmax_xent db")?;
        prop_assert_eq!(softmax_xent_gradient(w, b, &x, label), (gw, gb));
    }

    #[test]
    fn generated_mlp_loss_matches_the_expert(
        seed in any::<u64>(),
        label in 0..OUTPUTS,
        scale in 0.25..3.0f64,
    ) {
        let MlpInputs { w1, b1, w2, b2, x, .. } = mlp_inputs(seed);
        let w1 = w1.map(|v| scale * v);
        let (f, (dw1, db1, dw2, db2)) = mlp_loss_expert(&w1, &b1, &w2, &b2, &x, label);
        let (v, (g1, gb1, g2, gb2)) = mlp_loss_value_and_gradient(w1, b1, w2, b2, &x, label);
        prop_assert_eq!(v, mlp_loss(w1, b1, w2, b2, &x, label));
        check_value(v, f, "generated mlp_loss")?;
        check_generated(&g1, &dw1, "mlp_loss dw1")?;
        check_generated(&gb1, &db1, "mlp_loss db1")?;
        check_generated(&g2, &dw2, "mlp_loss dw2")?;
        check_generated(&gb2, &db2, "mlp_loss db2")?;
        prop_assert_eq!(mlp_loss_gradient(w1, b1, w2, b2, &x, label), (g1, gb1, g2, gb2));
    }
}
