//! The handwritten digits: parsing `data/digits.csv`, the split into training and held-out
//! images, standardisation, and the images as text.

/// The number of pixels of an image (8 × 8).
pub const PIXELS: usize = 64;
/// The number of classes: the digits 0–9.
pub const DIGITS: usize = 10;
/// The side of an image, in pixels.
pub const SIDE: usize = 8;
/// The largest pixel value (a pixel counts the set bits of a 4 × 4 block).
pub const MAX_PIXEL: f64 = 16.0;
/// Every `HOLD_OUT`-th image (the 5th, 10th, …) is held out for testing.
pub const HOLD_OUT: usize = 5;

/// The UCI handwritten digits (`data/digits.csv`, attribution in `data/README.md`), compiled into
/// the binary so that the examples and tests run from any directory.
pub const DIGITS_CSV: &str = include_str!("../data/digits.csv");

/// One image as in the file: pixel values 0–16, row by row, and the digit it shows.
#[derive(Clone, Debug, PartialEq)]
pub struct Image {
    /// The pixels, row by row, each 0–16.
    pub pixels: [f64; PIXELS],
    /// The digit, 0–9.
    pub label: usize,
}

/// Parses the digits CSV: a header `p0,…,p63,digit`, then one image per line, 64 integer pixels
/// 0–16 and the digit 0–9. Blank lines are skipped; anything else that does not parse is an error
/// naming the line (counted from 1, the header being line 1) and, where it applies, the column.
pub fn parse_digits(text: &str) -> Result<Vec<Image>, String> {
    let mut lines = text.lines().enumerate();
    let header_ok = lines.next().is_some_and(|(_, header)| {
        let names: Vec<&str> = header.trim().split(',').collect();
        names.len() == PIXELS + 1
            && names[PIXELS] == "digit"
            && names[..PIXELS]
                .iter()
                .enumerate()
                .all(|(p, name)| *name == format!("p{p}"))
    });
    if !header_ok {
        return Err("line 1: expected the header `p0,p1,…,p63,digit`".to_string());
    }
    let mut images = Vec::new();
    for (i, line) in lines {
        let line_no = i + 1;
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        if fields.len() != PIXELS + 1 {
            return Err(format!(
                "line {line_no}: expected {} fields (64 pixels and the digit), found {}",
                PIXELS + 1,
                fields.len()
            ));
        }
        let mut pixels = [0.0; PIXELS];
        for (p, (value, field)) in pixels.iter_mut().zip(&fields).enumerate() {
            let v: u8 = field.parse().map_err(|_| {
                format!("line {line_no}, column p{p}: `{field}` is not a pixel value 0–16")
            })?;
            if f64::from(v) > MAX_PIXEL {
                return Err(format!(
                    "line {line_no}, column p{p}: `{field}` is not a pixel value 0–16"
                ));
            }
            *value = f64::from(v);
        }
        let field = fields[PIXELS];
        let label = field
            .parse::<usize>()
            .ok()
            .filter(|&d| d < DIGITS)
            .ok_or_else(|| format!("line {line_no}, column digit: `{field}` is not a digit 0–9"))?;
        images.push(Image { pixels, label });
    }
    Ok(images)
}

/// The images split deterministically: every [`HOLD_OUT`]-th one (positions 4, 9, 14, … counted
/// from 0) held out for testing, the others for training. Returns `(training, held_out)`, each
/// in file order.
pub fn split(images: &[Image]) -> (Vec<Image>, Vec<Image>) {
    let (held_out, training): (Vec<_>, Vec<_>) = images
        .iter()
        .enumerate()
        .partition(|(i, _)| i % HOLD_OUT == HOLD_OUT - 1);
    let strip = |v: Vec<(usize, &Image)>| v.into_iter().map(|(_, im)| im.clone()).collect();
    (strip(training), strip(held_out))
}

/// An image ready for a network: standardised pixels and the digit.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    /// Standardised pixels.
    pub x: [f64; PIXELS],
    /// The digit, 0–9.
    pub label: usize,
}

/// Per-pixel mean and standard deviation of the training images, to standardise every image
/// with: `(pixel − mean) / std`. A pixel that is constant in training (the corners are always 0)
/// gets std 1, so it stays 0 after centring.
#[derive(Clone, Debug, PartialEq)]
pub struct Scaler {
    /// The mean of each pixel.
    pub mean: [f64; PIXELS],
    /// The standard deviation of each pixel (1 where it is 0).
    pub std: [f64; PIXELS],
}

impl Scaler {
    /// Fits the scaler to the training images.
    pub fn fit(images: &[Image]) -> Scaler {
        let n = images.len().max(1) as f64;
        let mut mean = [0.0; PIXELS];
        for im in images {
            for (m, v) in mean.iter_mut().zip(&im.pixels) {
                *m += v / n;
            }
        }
        let mut var = [0.0; PIXELS];
        for im in images {
            for ((s, v), m) in var.iter_mut().zip(&im.pixels).zip(&mean) {
                *s += (v - m).powi(2) / n;
            }
        }
        let std = var.map(|v| if v > 1e-12 { v.sqrt() } else { 1.0 });
        Scaler { mean, std }
    }

    /// Standardises one image.
    pub fn sample(&self, image: &Image) -> Sample {
        Sample {
            x: std::array::from_fn(|p| (image.pixels[p] - self.mean[p]) / self.std[p]),
            label: image.label,
        }
    }

    /// Standardises every image, in order.
    pub fn samples(&self, images: &[Image]) -> Vec<Sample> {
        images.iter().map(|im| self.sample(im)).collect()
    }
}

/// Characters for the pixel values 0–16, from blank (0) to the densest (16): ` .:-=+*#%@`.
const SHADES: &[u8] = b" .:-=+*#%@";

/// An image as eight lines of text art, each pixel two characters wide (so the picture is about
/// square), denser characters for larger values.
pub fn render(image: &Image) -> [String; SIDE] {
    std::array::from_fn(|row| {
        image.pixels[row * SIDE..(row + 1) * SIDE]
            .iter()
            .map(|&v| {
                let level = (v / MAX_PIXEL * (SHADES.len() - 1) as f64).round() as usize;
                let c = char::from(SHADES[level.min(SHADES.len() - 1)]);
                [c, c]
            })
            .flat_map(|pair| pair.into_iter())
            .collect()
    })
}

/// Several images side by side, each framed and under its caption, as lines of text.
pub fn render_row(images: &[(&Image, String)]) -> Vec<String> {
    // A framed picture is `|` + two characters per pixel + `|`.
    let width = 2 * SIDE + 2;
    let gap = "   ";
    let pictures: Vec<[String; SIDE]> = images.iter().map(|(im, _)| render(im)).collect();
    let captions = images.iter().map(|(_, c)| format!("{c:<width$}"));
    let mut lines = vec![captions.collect::<Vec<_>>().join(gap)];
    for row in 0..SIDE {
        let cells = pictures.iter().map(|p| format!("|{}|", p[row]));
        lines.push(cells.collect::<Vec<_>>().join(gap));
    }
    lines.iter().map(|l| l.trim_end().to_string()).collect()
}
