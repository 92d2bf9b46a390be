//! Fisher's Iris data, classified by a single-layer network with a softmax over the three
//! species (multinomial logistic regression: 4 features → 3 classes, 15 parameters), trained by
//! full-batch gradient descent.
//!
//! The loss of one sample is written once, as an ordinary function, in
//! `examples/support/iris_model.rs`; `#[gradient(wrt(w, b))]` derives its gradient with respect
//! to the 15 parameters at compile time. The batch gradient is the mean over the 150 samples.
//!
//! ```sh
//! cargo run --release --example iris
//! ```

#[path = "support/iris_model.rs"]
mod iris_model;

use iris_model::{parse_csv, train, Progress, Scaler, FEATURES, FEATURE_NAMES, IRIS_CSV, SPECIES};

/// Number of gradient-descent steps.
const EPOCHS: usize = 2000;
/// Step size.
const LEARNING_RATE: f64 = 0.5;
/// A progress line every this many steps.
const REPORT_EVERY: usize = 200;

fn main() {
    let raw = parse_csv(IRIS_CSV).expect("examples/data/iris.csv is well-formed");
    let scaler = Scaler::fit(&raw);
    let data = scaler.transform_all(&raw);
    println!(
        "Iris: {} samples, {} features, {} species; full-batch gradient descent, \
         {EPOCHS} epochs, learning rate {LEARNING_RATE}",
        data.len(),
        FEATURES,
        SPECIES.len()
    );
    println!();
    println!("{:>6}  {:>10}  {:>8}", "epoch", "loss", "accuracy");

    let start = std::time::Instant::now();
    let mut history = Vec::new();
    let model = train(&data, EPOCHS, LEARNING_RATE, REPORT_EVERY, |p: Progress| {
        println!(
            "{:>6}  {:>10.6}  {:>7.2}%",
            p.epoch,
            p.loss,
            100.0 * p.accuracy
        );
        history.push(p);
    });
    let elapsed = start.elapsed();

    let accuracy = model.accuracy(&data);
    let (first, last) = (history[0], history[history.len() - 1]);
    println!();
    println!(
        "trained in {:.1} ms: loss {:.4} → {:.4}, training accuracy {:.2}% ({} of {})",
        elapsed.as_secs_f64() * 1e3,
        first.loss,
        last.loss,
        100.0 * accuracy,
        (accuracy * data.len() as f64).round(),
        data.len()
    );

    println!();
    println!("confusion matrix (rows: actual species, columns: predicted):");
    print!("{:>12}", "");
    for name in SPECIES {
        print!("{name:>12}");
    }
    println!();
    for (actual, row) in model.confusion_matrix(&data).iter().enumerate() {
        print!("{:>12}", SPECIES[actual]);
        for count in row {
            print!("{count:>12}");
        }
        println!();
    }

    println!();
    println!("learned weights (on standardised features) and biases:");
    print!("{:>12}", "");
    for name in FEATURE_NAMES {
        print!("{name:>14}");
    }
    println!("{:>10}", "bias");
    for (k, name) in SPECIES.iter().enumerate() {
        print!("{name:>12}");
        for j in 0..FEATURES {
            print!("{:>14.4}", model.w[FEATURES * k + j]);
        }
        println!("{:>10.4}", model.b[k]);
    }
    println!();
    println!("feature means and standard deviations used for standardising (cm):");
    for ((name, mean), std) in FEATURE_NAMES.iter().zip(scaler.mean).zip(scaler.std) {
        println!("{name:>14}: mean {mean:.4}, std {std:.4}");
    }

    assert!(
        accuracy >= 0.95,
        "training accuracy {accuracy} is below 95%"
    );
}
