//! The Iris example's model (`examples/support/iris_model.rs`): the data parse, the generated
//! gradient of the per-sample cross-entropy agrees with the softmax formula, and a shortened
//! training run reaches ≥ 95% training accuracy with a decreasing loss.

#[path = "../examples/support/iris_model.rs"]
mod iris_model;

use iris_model::{
    parse_csv, sample_loss, sample_loss_value_and_gradient, train, Dataset, Model, Progress,
    Scaler, CLASSES, FEATURES, FEATURE_NAMES, IRIS_CSV,
};

fn standardised_iris() -> Dataset {
    let raw = parse_csv(IRIS_CSV).expect("iris.csv parses");
    Scaler::fit(&raw).transform_all(&raw)
}

/// The textbook gradient: with p = softmax(z), ∂ℓ/∂z_k = p_k − [k = y], so
/// ∂ℓ/∂W_kj = (p_k − [k = y])·x_j and ∂ℓ/∂b_k = p_k − [k = y].
fn softmax_gradient(model: &Model, x: [f64; FEATURES], y: usize) -> Model {
    let z = model.logits(x);
    let m = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let e = z.map(|zk| (zk - m).exp());
    let s: f64 = e.iter().sum();
    let delta: [f64; CLASSES] = std::array::from_fn(|k| e[k] / s - f64::from(u8::from(k == y)));
    Model {
        w: std::array::from_fn(|i| delta[i / FEATURES] * x[i % FEATURES]),
        b: delta,
    }
}

fn assert_gradient_matches(model: &Model, x: [f64; FEATURES], y: usize) {
    let (value, (dw, db)) = sample_loss_value_and_gradient(model.w, model.b, x, y);
    assert_eq!(value, sample_loss(model.w, model.b, x, y));
    assert!(value.is_finite() && value >= 0.0, "loss {value}");
    let expected = softmax_gradient(model, x, y);
    for (i, (got, want)) in dw.iter().zip(expected.w).enumerate() {
        assert!(
            (got - want).abs() <= 1e-12 * want.abs().max(1.0),
            "∂ℓ/∂w[{i}] = {got}, expected {want} (x = {x:?}, y = {y})"
        );
    }
    for (k, (got, want)) in db.iter().zip(expected.b).enumerate() {
        assert!(
            (got - want).abs() <= 1e-12 * want.abs().max(1.0),
            "∂ℓ/∂b[{k}] = {got}, expected {want} (x = {x:?}, y = {y})"
        );
    }
}

#[test]
fn the_data_has_150_samples_50_per_species() {
    let data = parse_csv(IRIS_CSV).unwrap();
    assert_eq!(data.x.len(), 150);
    assert_eq!(data.len(), 150);
    for k in 0..CLASSES {
        assert_eq!(data.y.iter().filter(|&&y| y == k).count(), 50);
    }
    assert_eq!(data.x[0], [5.1, 3.5, 1.4, 0.2]);
    assert_eq!(data.y[0], 0);
    assert_eq!(data.x[149], [5.9, 3.0, 5.1, 1.8]);
    assert_eq!(data.y[149], 2);
}

#[test]
fn the_feature_names_are_the_csv_columns() {
    let header: Vec<String> = IRIS_CSV
        .lines()
        .next()
        .unwrap()
        .split(',')
        .map(|column| column.replace('_', " "))
        .collect();
    assert_eq!(header.len(), FEATURES + 1);
    for (name, column) in FEATURE_NAMES.iter().zip(&header) {
        assert!(column.starts_with(name), "{column} vs {name}");
    }
}

#[test]
fn malformed_csv_is_an_error_that_names_the_line() {
    let header = "a,b,c,d,species\n";
    let err = parse_csv(&format!("{header}1,2,3,4,setosa\n1,2,x,4,setosa\n")).unwrap_err();
    assert!(err.starts_with("line 3:"), "{err}");
    let err = parse_csv(&format!("{header}1,2,3,4,rose\n")).unwrap_err();
    assert!(err.contains("unknown species `rose`"), "{err}");
    let err = parse_csv(&format!("{header}1,2,3,setosa\n")).unwrap_err();
    assert!(err.contains("expected 5 fields, found 4"), "{err}");
    assert!(parse_csv("").is_err());
}

#[test]
fn standardised_features_have_mean_0_and_std_1() {
    let data = standardised_iris();
    let n = data.len() as f64;
    for j in 0..FEATURES {
        let mean: f64 = data.x.iter().map(|row| row[j]).sum::<f64>() / n;
        let var: f64 = data
            .x
            .iter()
            .map(|row| (row[j] - mean).powi(2))
            .sum::<f64>()
            / n;
        assert!(mean.abs() < 1e-12, "feature {j}: mean {mean}");
        assert!((var - 1.0).abs() < 1e-12, "feature {j}: variance {var}");
    }
}

#[test]
fn generated_gradient_is_the_softmax_formula() {
    let data = standardised_iris();
    // At zero parameters all three logits tie (the max in the log-sum-exp is at a kink).
    let zeros = Model::zeros();
    // Arbitrary parameters, including logits large enough to overflow a naive exp.
    let arbitrary = Model {
        w: std::array::from_fn(|i| ((i * 7 % 12) as f64 - 5.5) * 0.3),
        b: [0.2, -0.7, 0.4],
    };
    let huge = Model {
        w: arbitrary.w.map(|w| 400.0 * w),
        b: [800.0, -300.0, 0.0],
    };
    for model in [zeros, arbitrary, huge] {
        for (&x, &y) in data.x.iter().zip(&data.y).step_by(7) {
            assert_gradient_matches(&model, x, y);
        }
    }
    // At zero parameters the loss is log 3 for every sample.
    for (&x, &y) in data.x.iter().zip(&data.y) {
        assert!((sample_loss(zeros.w, zeros.b, x, y) - 3f64.ln()).abs() < 1e-15);
    }
}

#[test]
fn mean_gradient_is_the_mean_of_the_sample_gradients() {
    let data = standardised_iris();
    let model = Model {
        w: std::array::from_fn(|i| (i as f64 - 6.0) * 0.1),
        b: [0.1, 0.0, -0.1],
    };
    let (loss, grad) = model.mean_loss_and_gradient(&data);
    assert!((loss - model.mean_loss(&data)).abs() < 1e-13);
    let n = data.len() as f64;
    let mut expected = Model::zeros();
    for (&x, &y) in data.x.iter().zip(&data.y) {
        let g = softmax_gradient(&model, x, y);
        for i in 0..CLASSES * FEATURES {
            expected.w[i] += g.w[i] / n;
        }
        for k in 0..CLASSES {
            expected.b[k] += g.b[k] / n;
        }
    }
    for (got, want) in grad
        .w
        .iter()
        .chain(&grad.b)
        .zip(expected.w.iter().chain(&expected.b))
    {
        assert!((got - want).abs() < 1e-13, "{got} vs {want}");
    }
}

#[test]
fn training_reaches_95_percent_and_the_loss_decreases() {
    let data = standardised_iris();
    let mut history: Vec<Progress> = Vec::new();
    let model = train(&data, 500, 0.5, 50, |p| history.push(p));

    assert_eq!(history.first().unwrap().epoch, 0);
    assert_eq!(history.last().unwrap().epoch, 500);
    assert!((history[0].loss - 3f64.ln()).abs() < 1e-12);
    for pair in history.windows(2) {
        assert!(
            pair[1].loss < pair[0].loss,
            "loss went up between epochs {} and {}: {} → {}",
            pair[0].epoch,
            pair[1].epoch,
            pair[0].loss,
            pair[1].loss
        );
    }
    let last = history.last().unwrap();
    assert!(last.loss < 0.15, "final loss {}", last.loss);

    let accuracy = model.accuracy(&data);
    assert_eq!(accuracy, last.accuracy);
    assert!(accuracy >= 0.95, "training accuracy {accuracy}");

    let confusion = model.confusion_matrix(&data);
    let total: usize = confusion.iter().flatten().sum();
    let correct: usize = (0..CLASSES).map(|k| confusion[k][k]).sum();
    assert_eq!(total, 150);
    assert_eq!(correct as f64 / 150.0, accuracy);
    // Setosa is linearly separable from the other two.
    assert_eq!(confusion[0], [50, 0, 0]);
}

#[test]
fn training_is_deterministic() {
    let data = standardised_iris();
    let a = train(&data, 50, 0.5, 50, |_| {});
    let b = train(&data, 50, 0.5, 50, |_| {});
    assert_eq!(a, b);
}
