//! The digits example's parts: the data parse (and malformed rows are errors naming the line),
//! the generated gradients of both networks agree with central finite differences and with the
//! hand-written backpropagation, a short training run lowers the loss and beats chance by a wide
//! margin on the held-out images, and the chart is a well-formed SVG with the three series.

use dual_examples::chart::{render_svg, write_svg, SERIES};
use dual_examples::data::{parse_digits, render, split, Image, Sample, Scaler, DIGITS_CSV};
use dual_examples::networks::Rng;
use dual_examples::training::{accuracy, confusion_matrix, mean_loss, train, Config, Epoch};
use dual_examples::{
    softmax_backprop, two_layer_backprop, Network, Softmax, TwoLayer, DIGITS, HIDDEN, PIXELS,
};

fn samples() -> (Vec<Sample>, Vec<Sample>) {
    let images = parse_digits(DIGITS_CSV).expect("digits.csv parses");
    let (training, held_out) = split(&images);
    let scaler = Scaler::fit(&training);
    (scaler.samples(&training), scaler.samples(&held_out))
}

// ---------------------------------------------------------------------------------------------
// Data
// ---------------------------------------------------------------------------------------------

#[test]
fn the_data_has_1797_images_of_64_pixels_0_to_16_and_every_digit() {
    let images = parse_digits(DIGITS_CSV).unwrap();
    assert_eq!(images.len(), 1797);
    let mut per_digit = [0; DIGITS];
    for im in &images {
        assert_eq!(im.pixels.len(), PIXELS);
        assert!(im
            .pixels
            .iter()
            .all(|&p| (0.0..=16.0).contains(&p) && p.fract() == 0.0));
        per_digit[im.label] += 1;
    }
    // 174–183 images of each digit (data/README.md).
    assert!(
        per_digit.iter().all(|&n| (174..=183).contains(&n)),
        "{per_digit:?}"
    );
    assert_eq!(per_digit.iter().sum::<usize>(), 1797);
    // The first image is a 0; its second row, as in the file.
    assert_eq!(images[0].label, 0);
    assert_eq!(
        images[0].pixels[8..16],
        [0.0, 0.0, 13.0, 15.0, 10.0, 15.0, 5.0, 0.0]
    );
}

fn header() -> String {
    let names: Vec<String> = (0..PIXELS).map(|p| format!("p{p}")).collect();
    format!("{},digit\n", names.join(","))
}

fn row(pixels: &[&str], digit: &str) -> String {
    format!("{},{digit}\n", pixels.join(","))
}

#[test]
fn a_well_formed_file_parses_and_blank_lines_are_skipped() {
    let text = header() + &row(&["3"; PIXELS], "7") + "\n" + &row(&["16"; PIXELS], "0");
    let images = parse_digits(&text).unwrap();
    assert_eq!(images.len(), 2);
    assert_eq!(
        images[0],
        Image {
            pixels: [3.0; PIXELS],
            label: 7
        }
    );
    assert_eq!(images[1].label, 0);
}

#[test]
fn a_malformed_row_is_an_error_naming_its_line() {
    let good = row(&["1"; PIXELS], "4");
    let cases = [
        // Too few fields on line 3.
        (
            header() + &good + &row(&["1"; PIXELS - 1], "4"),
            "line 3: expected 65 fields (64 pixels and the digit), found 64",
        ),
        // A pixel that is not a number, line 2, column p5.
        (
            {
                let mut pixels = vec!["0"; PIXELS];
                pixels[5] = "x";
                header() + &row(&pixels, "4") + &good
            },
            "line 2, column p5: `x` is not a pixel value 0–16",
        ),
        // A pixel out of range.
        (
            {
                let mut pixels = vec!["0"; PIXELS];
                pixels[63] = "17";
                header() + &good + &good + &row(&pixels, "4")
            },
            "line 4, column p63: `17` is not a pixel value 0–16",
        ),
        // A label that is not a digit.
        (
            header() + &row(&["0"; PIXELS], "12"),
            "line 2, column digit: `12` is not a digit 0–9",
        ),
        // No header.
        (good.clone(), "line 1: expected the header"),
    ];
    for (text, expected) in cases {
        let err = parse_digits(&text).expect_err(expected);
        assert!(
            err.starts_with(expected),
            "{err:?} should start with {expected:?}"
        );
    }
}

#[test]
fn every_fifth_image_is_held_out() {
    let images = parse_digits(DIGITS_CSV).unwrap();
    let (training, held_out) = split(&images);
    assert_eq!((training.len(), held_out.len()), (1438, 359));
    assert_eq!(held_out[0], images[4]);
    assert_eq!(held_out[1], images[9]);
    assert_eq!(training[4], images[5]);
    assert_eq!(training[training.len() - 1], images[1796]);
}

#[test]
fn standardised_training_pixels_have_mean_0_and_std_1_or_are_constant() {
    let (training, _) = samples();
    let n = training.len() as f64;
    for p in 0..PIXELS {
        let mean: f64 = training.iter().map(|s| s.x[p]).sum::<f64>() / n;
        let var: f64 = training
            .iter()
            .map(|s| (s.x[p] - mean).powi(2))
            .sum::<f64>()
            / n;
        assert!(mean.abs() < 1e-12, "pixel {p}: mean {mean}");
        assert!(
            (var - 1.0).abs() < 1e-9 || var == 0.0,
            "pixel {p}: variance {var}"
        );
    }
}

#[test]
fn an_image_renders_as_eight_lines_of_sixteen_characters() {
    let mut pixels = [0.0; PIXELS];
    pixels[0] = 16.0;
    pixels[63] = 8.0;
    let lines = render(&Image { pixels, label: 0 });
    assert!(lines.iter().all(|l| l.chars().count() == 16));
    assert_eq!(lines[0], format!("@@{}", " ".repeat(14)));
    // 8 of 16 is level 4.5 of 9, rounded to 5: `+`.
    assert_eq!(lines[7], format!("{}++", " ".repeat(14)));
}

// ---------------------------------------------------------------------------------------------
// Gradients
// ---------------------------------------------------------------------------------------------

/// A network with every parameter uniform in ±`scale`.
fn random<N: Network>(seed: u64, scale: f64) -> N {
    let mut rng = Rng::new(seed);
    let mut net = N::zeros();
    for block in net.parameters_mut() {
        for p in block {
            *p = scale * rng.symmetric();
        }
    }
    net
}

/// `|a − b| ≤ tol · max(1, |a|, |b|)` for every pair of parameters, with the first failure named.
fn assert_close<N: Network>(a: &N, b: &N, tol: f64, what: &str) {
    for (block, (pa, pb)) in a.parameters().into_iter().zip(b.parameters()).enumerate() {
        assert_eq!(pa.len(), pb.len());
        for (i, (&x, &y)) in pa.iter().zip(pb).enumerate() {
            let scale = x.abs().max(y.abs()).max(1.0);
            assert!(
                (x - y).abs() <= tol * scale,
                "{what}: parameter block {block}, entry {i}: {x} vs {y}"
            );
        }
    }
}

/// The central finite-difference gradient of the loss on one sample.
fn finite_differences<N: Network>(net: &N, s: &Sample) -> N {
    let h = 1e-5;
    let mut grad = N::zeros();
    let mut probe = net.clone();
    let lens: Vec<usize> = net.parameters().iter().map(|p| p.len()).collect();
    for (block, len) in lens.into_iter().enumerate() {
        for i in 0..len {
            let original = probe.parameters()[block][i];
            probe.parameters_mut()[block][i] = original + h;
            let up = probe.loss(&s.x, s.label);
            probe.parameters_mut()[block][i] = original - h;
            let down = probe.loss(&s.x, s.label);
            probe.parameters_mut()[block][i] = original;
            grad.parameters_mut()[block][i] = (up - down) / (2.0 * h);
        }
    }
    grad
}

fn check_against_finite_differences<N: Network>(scale: f64) {
    let (training, _) = samples();
    for (seed, index) in [(1, 0), (2, 700), (3, 1437)] {
        let net: N = random(seed, scale);
        let s = &training[index];
        let (loss, grad) = net.loss_and_gradient(&s.x, s.label);
        assert_eq!(loss, net.loss(&s.x, s.label));
        assert!(grad
            .parameters()
            .iter()
            .any(|p| p.iter().any(|&g| g != 0.0)));
        assert_close(
            &grad,
            &finite_differences(&net, s),
            1e-6,
            "finite differences",
        );
    }
}

#[test]
fn the_single_layer_gradient_matches_finite_differences() {
    check_against_finite_differences::<Softmax>(0.3);
}

#[test]
fn the_two_layer_gradient_matches_finite_differences() {
    check_against_finite_differences::<TwoLayer>(0.3);
}

#[test]
fn hand_written_backprop_agrees_with_the_generated_gradients() {
    let (training, held_out) = samples();
    for seed in 1..=4 {
        let softmax: Softmax = random(seed, 0.5);
        let two_layer: TwoLayer = random(seed + 10, 0.5);
        for s in training
            .iter()
            .step_by(97)
            .chain(held_out.iter().step_by(41))
        {
            let (generated_loss, generated) = softmax.loss_and_gradient(&s.x, s.label);
            let (loss, by_hand) = softmax_backprop(&softmax, &s.x, s.label);
            assert!((generated_loss - loss).abs() <= 1e-10 * loss.abs().max(1.0));
            assert_close(&generated, &by_hand, 1e-10, "single layer");

            let (generated_loss, generated) = two_layer.loss_and_gradient(&s.x, s.label);
            let (loss, by_hand) = two_layer_backprop(&two_layer, &s.x, s.label);
            assert!((generated_loss - loss).abs() <= 1e-10 * loss.abs().max(1.0));
            assert_close(&generated, &by_hand, 1e-10, "two layers");
        }
    }
}

#[test]
fn the_networks_have_650_and_2410_parameters() {
    assert_eq!(Softmax::zeros().parameter_count(), PIXELS * DIGITS + DIGITS);
    assert_eq!(TwoLayer::zeros().parameter_count(), 2410);
    assert_eq!(HIDDEN, 32);
}

// ---------------------------------------------------------------------------------------------
// Training
// ---------------------------------------------------------------------------------------------

fn short_run<N: Network>(net: N) -> (N, Vec<Epoch>) {
    let (training, held_out) = samples();
    let config = Config {
        epochs: 3,
        batch_size: 16,
        learning_rate: 0.05,
        seed: 7,
    };
    let mut net = net;
    let mut epochs_seen = Vec::new();
    let history = train(&mut net, &training, &held_out, &config, |event| {
        if let dual_examples::training::Event::Epoch(e) = event {
            epochs_seen.push(e.epoch);
        }
    });
    assert_eq!(epochs_seen, [0, 1, 2, 3]);
    assert_eq!(history.len(), 4);
    // The history is the evaluation of the final network.
    let last = history[3];
    assert_eq!(last.loss, mean_loss(&net, &training));
    assert_eq!(last.held_out_accuracy, accuracy(&net, &held_out));
    let matrix = confusion_matrix(&net, &held_out);
    let correct: usize = (0..DIGITS).map(|d| matrix[d][d]).sum();
    assert_eq!(
        correct as f64 / held_out.len() as f64,
        last.held_out_accuracy
    );
    (net, history)
}

fn assert_learns(history: &[Epoch]) {
    let (first, last) = (history[0], history[history.len() - 1]);
    // Chance is 10%: a few epochs give far more.
    assert!(first.held_out_accuracy < 0.3, "{first:?}");
    assert!(last.held_out_accuracy > 0.85, "{last:?}");
    assert!(last.training_accuracy > 0.85, "{last:?}");
    assert!(last.loss < 0.5 * first.loss, "{first:?} → {last:?}");
    for pair in history.windows(2) {
        assert!(pair[1].loss < pair[0].loss, "{pair:?}");
    }
}

#[test]
fn a_short_run_of_the_single_layer_network_learns() {
    let (_, history) = short_run(Softmax::init(1));
    assert_learns(&history);
}

#[test]
fn a_short_run_of_the_two_layer_network_learns() {
    let (_, history) = short_run(TwoLayer::init(1));
    assert_learns(&history);
}

#[test]
fn training_is_deterministic() {
    let (a, _) = short_run(Softmax::init(5));
    let (b, _) = short_run(Softmax::init(5));
    assert_eq!(a, b);
}

// ---------------------------------------------------------------------------------------------
// The chart
// ---------------------------------------------------------------------------------------------

/// Checks that every tag of `svg` is closed in order (`<a>…</a>`, `<b/>`), ignoring the text
/// between tags, and returns the names of the elements in document order.
fn well_formed_elements(svg: &str) -> Vec<String> {
    let mut open: Vec<String> = Vec::new();
    let mut names = Vec::new();
    let mut rest = svg;
    while let Some(start) = rest.find('<') {
        let end = rest[start..].find('>').expect("every `<` has its `>`") + start;
        let tag = &rest[start + 1..end];
        rest = &rest[end + 1..];
        if tag.starts_with('?') || tag.starts_with('!') {
            continue;
        }
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(
                open.pop().as_deref(),
                Some(name.trim()),
                "unbalanced </{name}>"
            );
        } else {
            let name = tag.split_whitespace().next().unwrap().trim_end_matches('/');
            names.push(name.to_string());
            if !tag.ends_with('/') {
                open.push(name.to_string());
            }
        }
    }
    assert!(open.is_empty(), "unclosed: {open:?}");
    names
}

fn history_for_chart() -> Vec<Epoch> {
    (0..=7)
        .map(|e| Epoch {
            epoch: e,
            loss: 2.3 / (1.0 + e as f64),
            training_accuracy: 1.0 - 0.9 / (1.0 + e as f64),
            held_out_accuracy: 1.0 - 0.92 / (1.0 + e as f64),
            seconds: 0.001,
        })
        .collect()
}

#[test]
fn the_chart_is_written_as_well_formed_svg_with_the_three_series() {
    let history = history_for_chart();
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("digits-chart-test")
        .join("training.svg");
    let _ = std::fs::remove_file(&path);
    write_svg(&path, "a test chart", &history).unwrap();
    let svg = std::fs::read_to_string(&path).unwrap();
    assert_eq!(svg, render_svg("a test chart", &history).unwrap());

    assert!(svg.trim_start().starts_with("<svg"), "{}", &svg[..40]);
    assert!(svg.trim_end().ends_with("</svg>"));
    let names = well_formed_elements(&svg);
    assert_eq!(names[0], "svg");
    assert!(svg.contains("a test chart"));
    for name in SERIES {
        assert!(svg.contains(name), "the legend names {name}");
    }
    // Three lines of one point per epoch (the axes and legend marks have two points).
    let series = svg
        .lines()
        .filter(|l| l.starts_with("<polyline"))
        .filter_map(|l| l.split("points=\"").nth(1)?.split('"').next())
        .filter(|points| points.split_whitespace().count() == history.len())
        .count();
    assert_eq!(series, 3);
}

#[test]
fn a_chart_that_cannot_be_written_is_an_error() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("digits-chart-not-a-folder");
    std::fs::write(&dir, "a file, not a folder").unwrap();
    let err = write_svg(&dir.join("chart.svg"), "t", &history_for_chart()).unwrap_err();
    assert!(err.contains("digits-chart-not-a-folder"), "{err}");
}
