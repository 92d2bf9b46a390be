//! Handwritten digits (the UCI optical digits, 1,797 images of 8 × 8 pixels) classified by a
//! network trained with gradients that `#[gradient]` derived at compile time.
//!
//! The loss of one image is written once, as ordinary Rust with loops over the module constants
//! `PIXELS`, `DIGITS` and `HIDDEN` (`examples/src/networks.rs`): `softmax_loss` for the
//! single-layer network (64 → 10, 650 parameters), `two_layer_loss` for the two-layer one
//! (64 → 32 tanh → 10, 2,410 parameters). Every fifth image is held out for testing; the others
//! train the network by mini-batch gradient descent. The example prints the loss and both
//! accuracies per epoch, the confusion matrix, a few misclassified held-out images, and writes
//! a chart of training as SVG.
//!
//! ```sh
//! cargo run --release --example digits                 # the single-layer network
//! cargo run --release --example digits -- --hidden 32  # the two-layer network
//! ```
//!
//! Options: `--hidden 32` (the two-layer network; its width is the constant `HIDDEN`),
//! `--epochs N`, `--chart FILE` (default: `digits-training.svg` in cargo's target folder).

use dual_examples::chart;
use dual_examples::data::{parse_digits, render_row, split, Image, Scaler, DIGITS_CSV};
use dual_examples::training::{confusion_matrix, train, Config, Epoch, Event};
use dual_examples::{Network, Softmax, TwoLayer, DIGITS, HIDDEN};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

/// The command line.
struct Options {
    /// Train the two-layer network.
    two_layer: bool,
    /// Passes over the training images (default: per network).
    epochs: Option<usize>,
    /// Where to write the chart.
    chart: Option<PathBuf>,
}

const USAGE: &str = "usage: digits [--hidden 32] [--epochs N] [--chart FILE.svg]";

fn parse_options() -> Result<Options, String> {
    let mut options = Options {
        two_layer: false,
        epochs: None,
        chart: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value\n{USAGE}"));
        match arg.as_str() {
            "--hidden" => {
                let width = value()?;
                if width != HIDDEN.to_string() {
                    return Err(format!(
                        "--hidden {width}: the hidden layer has {HIDDEN} units (the constant \
                         HIDDEN in examples/src/networks.rs; change it there and rebuild)"
                    ));
                }
                options.two_layer = true;
            }
            "--epochs" => {
                let n = value()?;
                options.epochs = Some(
                    n.parse()
                        .map_err(|_| format!("--epochs {n}: not a count"))?,
                );
            }
            "--chart" => options.chart = Some(PathBuf::from(value()?)),
            "-h" | "--help" => return Err(USAGE.to_string()),
            other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
        }
    }
    Ok(options)
}

fn main() -> ExitCode {
    let options = match parse_options() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::FAILURE;
        }
    };
    // The learning rates and epoch counts were chosen by hand on the training images.
    if options.two_layer {
        let config = Config {
            epochs: options.epochs.unwrap_or(30),
            batch_size: 16,
            learning_rate: 0.05,
            seed: 14,
        };
        run(
            TwoLayer::init(14),
            &config,
            &options,
            "digits-training-hidden.svg",
        )
    } else {
        let config = Config {
            epochs: options.epochs.unwrap_or(30),
            batch_size: 16,
            learning_rate: 0.05,
            seed: 14,
        };
        run(Softmax::init(14), &config, &options, "digits-training.svg")
    }
}

fn run<N: Network>(mut net: N, config: &Config, options: &Options, chart_name: &str) -> ExitCode {
    let images = parse_digits(DIGITS_CSV).expect("examples/data/digits.csv is well-formed");
    let (training_images, held_out_images) = split(&images);
    let scaler = Scaler::fit(&training_images);
    let training = scaler.samples(&training_images);
    let held_out = scaler.samples(&held_out_images);
    println!(
        "UCI handwritten digits: {} images of 8×8 pixels; {} for training, {} held out (every 5th)",
        images.len(),
        training.len(),
        held_out.len()
    );
    println!(
        "network: {}, {} parameters; loss and gradient of one image from #[gradient]",
        net.describe(),
        net.parameter_count()
    );
    println!(
        "mini-batch gradient descent: {} epochs, batches of {}, learning rate {}",
        config.epochs, config.batch_size, config.learning_rate
    );
    println!();
    println!(
        "{:>5}  {:>8}  {:>9}  {:>9}  {:>9}",
        "epoch", "loss", "training", "held-out", "ms/epoch"
    );

    // A live progress bar on a terminal; nothing at all when stderr is redirected.
    let bar = if std::io::stderr().is_terminal() {
        let steps = training.len().div_ceil(config.batch_size.max(1)) * config.epochs;
        let bar = ProgressBar::new(steps as u64);
        bar.set_style(
            ProgressStyle::with_template("{bar:40} epoch {msg}, step {pos}/{len}")
                .expect("a valid template"),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let report_every = config.epochs.div_ceil(15).max(1);
    let print_epoch = |e: &Epoch| {
        println!(
            "{:>5}  {:>8.4}  {:>8.2}%  {:>8.2}%  {:>9}",
            e.epoch,
            e.loss,
            100.0 * e.training_accuracy,
            100.0 * e.held_out_accuracy,
            if e.epoch == 0 {
                "-".to_string()
            } else {
                format!("{:.1}", 1e3 * e.seconds)
            }
        );
    };
    let start = std::time::Instant::now();
    let history = train(
        &mut net,
        &training,
        &held_out,
        config,
        |event| match event {
            Event::Step { epoch, done, total } => {
                bar.set_length(total as u64);
                bar.set_position(done as u64);
                bar.set_message(epoch.to_string());
            }
            Event::Epoch(e) if e.epoch % report_every == 0 || e.epoch == config.epochs => {
                bar.suspend(|| print_epoch(e));
            }
            Event::Epoch(_) => {}
        },
    );
    bar.finish_and_clear();
    let total = start.elapsed().as_secs_f64();

    let last = history[history.len() - 1];
    let training_seconds: f64 = history.iter().map(|e| e.seconds).sum();
    let correct = (last.held_out_accuracy * held_out.len() as f64).round();
    println!();
    println!(
        "trained in {:.2} s: {:.1} ms per epoch of gradient steps ({:.2} s with evaluation)",
        training_seconds,
        1e3 * training_seconds / config.epochs.max(1) as f64,
        total
    );
    println!(
        "held-out accuracy {:.2}% ({correct} of {}), training accuracy {:.2}%",
        100.0 * last.held_out_accuracy,
        held_out.len(),
        100.0 * last.training_accuracy
    );

    println!();
    println!("confusion matrix of the held-out images (rows: true digit, columns: predicted):");
    let matrix = confusion_matrix(&net, &held_out);
    print!("     ");
    for d in 0..DIGITS {
        print!("{d:>4}");
    }
    println!();
    for (d, row) in matrix.iter().enumerate() {
        print!("{d:>5}");
        for (p, &count) in row.iter().enumerate() {
            match count {
                0 if p != d => print!("{:>4}", "."),
                _ => print!("{count:>4}"),
            }
        }
        println!();
    }

    let wrong: Vec<(&Image, String)> = held_out
        .iter()
        .zip(&held_out_images)
        .filter_map(|(s, im)| {
            let predicted = net.predict(&s.x);
            (predicted != s.label).then(|| (im, format!("true {}, said {predicted}", s.label)))
        })
        .take(4)
        .collect();
    if !wrong.is_empty() {
        println!();
        println!("misclassified held-out images (the first {}):", wrong.len());
        for line in render_row(&wrong) {
            println!("{line}");
        }
    }

    let path = options
        .chart
        .clone()
        .unwrap_or_else(|| target_dir().join(chart_name));
    let title = format!("Handwritten digits, {}", net.describe());
    match chart::write_svg(&path, &title, &history) {
        Ok(()) => {
            println!();
            println!("chart of training: {}", path.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("could not write the chart: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Cargo's target folder: this program is `<target>/<profile>/examples/digits`. The current
/// folder if that is not so.
fn target_dir() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.parent()?.to_path_buf()))
        .unwrap_or_else(|| PathBuf::from("."))
}
