//! The picture of training: the training loss (left axis) and the training and held-out accuracy
//! (right axis) per epoch, as an SVG chart drawn with plotters' SVG backend.

use crate::training::Epoch;
use plotters::prelude::*;
use std::path::Path;

/// The chart's size in pixels.
pub const SIZE: (u32, u32) = (760, 440);

/// The legend names of the three series, in drawing order.
pub const SERIES: [&str; 3] = [
    "training loss (left)",
    "training accuracy % (right)",
    "held-out accuracy % (right)",
];

/// Draws the chart of `history` under `title` as an SVG document.
pub fn render_svg(title: &str, history: &[Epoch]) -> Result<String, String> {
    let mut svg = String::new();
    draw(SVGBackend::with_string(&mut svg, SIZE), title, history)?;
    Ok(svg)
}

/// Draws the chart of `history` under `title` into the SVG file `path`, creating its folder if
/// needed.
pub fn write_svg(path: &Path, title: &str, history: &[Epoch]) -> Result<(), String> {
    let svg = render_svg(title, history)?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::write(path, svg).map_err(|e| format!("{}: {e}", path.display()))
}

/// Draws the chart on any plotters backend.
fn draw<B: DrawingBackend>(backend: B, title: &str, history: &[Epoch]) -> Result<(), String> {
    let err = |e: DrawingAreaErrorKind<B::ErrorType>| e.to_string();
    let last_epoch = history.iter().map(|e| e.epoch).max().unwrap_or(0).max(1) as f64;
    let max_loss = history
        .iter()
        .map(|e| e.loss)
        .filter(|l| l.is_finite())
        .fold(0.0, f64::max);
    let loss_top = if max_loss > 0.0 { 1.05 * max_loss } else { 1.0 };
    let loss_color = RGBColor(200, 60, 40);
    let training_color = RGBColor(40, 90, 200);
    let held_out_color = RGBColor(20, 150, 70);

    let root = backend.into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(56)
        .right_y_label_area_size(56)
        .build_cartesian_2d(0.0..last_epoch, 0.0..loss_top)
        .map_err(err)?
        .set_secondary_coord(0.0..last_epoch, 0.0..100.0);
    chart
        .configure_mesh()
        .x_desc("epoch")
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_desc("mean cross-entropy loss")
        .max_light_lines(0)
        .draw()
        .map_err(err)?;
    chart
        .configure_secondary_axes()
        .y_desc("accuracy (%)")
        .y_label_formatter(&|y| format!("{y:.0}"))
        .draw()
        .map_err(err)?;

    let loss = history.iter().map(|e| (e.epoch as f64, e.loss));
    chart
        .draw_series(LineSeries::new(loss, loss_color.stroke_width(2)))
        .map_err(err)?
        .label(SERIES[0])
        .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], loss_color.stroke_width(2)));
    for (name, color, accuracy) in [
        (
            SERIES[1],
            training_color,
            (|e: &Epoch| e.training_accuracy) as fn(&Epoch) -> f64,
        ),
        (SERIES[2], held_out_color, |e: &Epoch| e.held_out_accuracy),
    ] {
        let points = history
            .iter()
            .map(|e| (e.epoch as f64, 100.0 * accuracy(e)));
        chart
            .draw_secondary_series(LineSeries::new(points, color.stroke_width(2)))
            .map_err(err)?
            .label(name)
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], color.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::MiddleRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(err)?;
    root.present().map_err(err)
}
