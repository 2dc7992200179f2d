//! Pictures, as PNG: the lecture's heatmap of the bigram counts (`02_bigram_heatmap`), an image
//! of any 2-D tensor like `plt.imshow` (`05_one_hot_and_softmax`), and line plots of losses
//! (`06_gradient_descent`, `e03_tune_smoothing`). A [`Png`] shows itself inline in evcxr.

use std::path::Path;
use std::sync::OnceLock;

use base64::Engine;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use tch::{Kind, Tensor};

use crate::data::Vocab;
use crate::error::{Error, Result};

/// A rendered picture: PNG bytes. In a notebook, a cell ending with a `Png` shows the image.
#[derive(Clone, PartialEq, Eq)]
pub struct Png {
    /// The encoded PNG file.
    pub bytes: Vec<u8>,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

impl std::fmt::Debug for Png {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Png({}x{}, {} bytes)", self.width, self.height, self.bytes.len())
    }
}

impl Png {
    /// Shows the image inline in an evcxr notebook.
    pub fn evcxr_display(&self) {
        let b64 = base64::engine::general_purpose::STANDARD.encode(&self.bytes);
        println!("EVCXR_BEGIN_CONTENT image/png\n{b64}\nEVCXR_END_CONTENT");
    }

    /// Writes the PNG to `path`, through a temporary file renamed into place, so a failed write
    /// leaves nothing half-written.
    ///
    /// # Errors
    /// [`Error::Io`] when the folder does not exist or is not writable.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        crate::io::write_atomic(path.as_ref(), &self.bytes)
    }

    fn from_rgb(rgb: &[u8], width: u32, height: u32) -> Result<Png> {
        let mut bytes = Vec::new();
        {
            let mut enc = png::Encoder::new(&mut bytes, width, height);
            enc.set_color(png::ColorType::Rgb);
            enc.set_depth(png::BitDepth::Eight);
            enc.set_compression(png::Compression::Best);
            let mut writer = enc.write_header().map_err(plot_error)?;
            writer.write_image_data(rgb).map_err(plot_error)?;
        }
        Ok(Png { bytes, width, height })
    }
}

/// Font family name the plots use, registered once from a DejaVu font on disk.
const FONT: &str = "sans-serif";

fn ensure_font() -> Result<()> {
    static FONT_LOADED: OnceLock<std::result::Result<(), String>> = OnceLock::new();
    FONT_LOADED
        .get_or_init(|| {
            let candidates = [
                std::env::var("MAKEMORE_FONT").unwrap_or_default(),
                "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf".to_string(),
                "/usr/share/fonts/TTF/DejaVuSansMono.ttf".to_string(),
                "/usr/share/fonts/dejavu/DejaVuSansMono.ttf".to_string(),
                "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf".to_string(),
                "/System/Library/Fonts/Menlo.ttc".to_string(),
            ];
            for path in candidates.iter().filter(|p| !p.is_empty()) {
                if let Ok(bytes) = std::fs::read(path) {
                    // plotters keeps fonts for the life of the program: leak one copy, once.
                    let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
                    if plotters::style::register_font(FONT, FontStyle::Normal, bytes).is_ok() {
                        return Ok(());
                    }
                }
            }
            Err("no DejaVu Sans Mono font found".to_string())
        })
        .clone()
        .map_err(|why| Error::Plot {
            why,
            hint: "install one (`apt-get install fonts-dejavu-core`), or set MAKEMORE_FONT to a .ttf file",
        })
}

/// An error of plotters or png while drawing.
fn plot_error(e: impl std::fmt::Display) -> Error {
    Error::Plot {
        why: e.to_string(),
        hint: "check the values passed to the plot: finite numbers, a sensible size",
    }
}

fn draw<F>(width: u32, height: u32, paint: F) -> Result<Png>
where
    F: FnOnce(&DrawingArea<BitMapBackend<'_>, Shift>) -> std::result::Result<(), String>,
{
    ensure_font()?;
    let mut rgb = vec![255u8; (width * height * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(plot_error)?;
        paint(&root).map_err(plot_error)?;
        root.present().map_err(plot_error)?;
    }
    Png::from_rgb(&rgb, width, height)
}

fn lerp_colormap(stops: &[(u8, u8, u8)], t: f64) -> RGBColor {
    let t = if t.is_finite() { t.clamp(0.0, 1.0) } else { 0.0 };
    let x = t * (stops.len() - 1) as f64;
    let i = (x.floor() as usize).min(stops.len() - 2);
    let f = x - i as f64;
    let (a, b) = (stops[i], stops[i + 1]);
    let mix = |p: u8, q: u8| (p as f64 + (q as f64 - p as f64) * f).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// matplotlib's `Blues`, the lecture's heatmap colours, from white to dark blue.
fn blues(t: f64) -> RGBColor {
    const STOPS: [(u8, u8, u8); 9] = [
        (0xf7, 0xfb, 0xff),
        (0xde, 0xeb, 0xf7),
        (0xc6, 0xdb, 0xef),
        (0x9e, 0xca, 0xe1),
        (0x6b, 0xae, 0xd6),
        (0x42, 0x92, 0xc6),
        (0x21, 0x71, 0xb5),
        (0x08, 0x51, 0x9c),
        (0x08, 0x30, 0x6b),
    ];
    lerp_colormap(&STOPS, t)
}

/// matplotlib's default `viridis`, what `plt.imshow` uses, from purple to yellow.
fn viridis(t: f64) -> RGBColor {
    const STOPS: [(u8, u8, u8); 9] = [
        (0x44, 0x01, 0x54),
        (0x47, 0x2c, 0x7a),
        (0x3b, 0x51, 0x8b),
        (0x2c, 0x71, 0x8e),
        (0x21, 0x90, 0x8d),
        (0x27, 0xad, 0x81),
        (0x5c, 0xc8, 0x63),
        (0xaa, 0xdc, 0x32),
        (0xfd, 0xe7, 0x25),
    ];
    lerp_colormap(&STOPS, t)
}

/// A 2-D tensor as a matrix of `f64` values, row by row.
fn matrix(t: &Tensor, what: &'static str) -> Result<(usize, usize, Vec<f64>)> {
    let size = t.size();
    if size.len() != 2 || size[0] == 0 || size[1] == 0 {
        return Err(Error::Shape {
            what,
            expected: "a non-empty 2-D tensor".to_string(),
            got: format!("{size:?}"),
            hint: "pick a 2-D slice, e.g. with .view([rows, cols])",
        });
    }
    let flat = t.f_to_kind(Kind::Double)?.f_contiguous()?.f_view([-1])?;
    let values = Vec::<f64>::try_from(&flat)?;
    Ok((size[0] as usize, size[1] as usize, values))
}

/// Pixel size of one heatmap cell: 27 cells of 32 px fit JupyterLab's output area.
const CELL: u32 = 32;

/// The smallest cell [`heatmap_sized`] writes labels in; smaller cells show colour only.
const MIN_LABELLED_CELL: u32 = 24;

/// The largest cell [`heatmap_sized`] draws.
const MAX_CELL: u32 = 128;

/// The lecture's heatmap: one cell per bigram, coloured by its value on the `Blues` scale,
/// labelled with the two characters and the value (an integer for counts, two decimals for
/// probabilities). `values` is `[V, V]` for the vocabulary `vocab`.
///
/// # Errors
/// [`Error::Shape`] when `values` is not `[V, V]`; [`Error::Plot`] when no font is found.
pub fn heatmap(values: &Tensor, vocab: &Vocab) -> Result<Png> {
    heatmap_sized(values, vocab, CELL)
}

/// [`heatmap`] with cells of `cell_px` pixels (`heatmap` uses 32). Labels shrink with the cell;
/// cells under 24 px show colour only, so two heatmaps of 15 px fit side by side in
/// JupyterLab's ~830 px output area (E06 puts `softmax(W)` beside `P` this way).
///
/// # Errors
/// [`Error::Param`] for a cell size outside 1..=128; otherwise as [`heatmap`].
pub fn heatmap_sized(values: &Tensor, vocab: &Vocab, cell_px: u32) -> Result<Png> {
    if !(1..=MAX_CELL).contains(&cell_px) {
        return Err(Error::param(
            "cell size",
            cell_px,
            "a heatmap cell must be 1 to 128 pixels",
            "use 32 (the default of `heatmap`), or 15 for two heatmaps side by side",
        ));
    }
    let cell = cell_px;
    let (rows, cols, vals) = matrix(values, "heatmap values")?;
    let v = vocab.len();
    if rows != v || cols != v {
        return Err(Error::Shape {
            what: "heatmap values",
            expected: format!("[{v}, {v}] for a vocabulary of {v}"),
            got: format!("[{rows}, {cols}]"),
            hint: "pass the bigram matrix made with this vocabulary",
        });
    }
    let integer = !values.is_floating_point();
    let max = vals.iter().cloned().fold(f64::MIN, f64::max).max(f64::MIN_POSITIVE);
    let chars = vocab.chars();
    let size = cell * v as u32;
    draw(size, size, |root| {
        // 10 px text in a 32 px cell, scaled with the cell
        let small = (FONT, f64::from(cell) * 10.0 / 32.0).into_font();
        for i in 0..rows {
            for j in 0..cols {
                let value = vals[i * cols + j];
                let t = value / max;
                let (x, y) = ((j as u32 * cell) as i32, (i as u32 * cell) as i32);
                let rect = [(x, y), (x + cell as i32, y + cell as i32)];
                root.draw(&Rectangle::new(rect, blues(t).filled())).map_err(|e| e.to_string())?;
                if cell < MIN_LABELLED_CELL {
                    continue;
                }
                // gray text as the lecture, white where the cell is too dark for gray
                let color = if t > 0.45 { WHITE } else { RGBColor(0x50, 0x50, 0x50) };
                let style = small.color(&color).pos(Pos::new(HPos::Center, VPos::Center));
                let label: String = [chars[i], chars[j]].iter().collect();
                let number =
                    if integer { format!("{}", value as i64) } else { format!("{value:.2}") };
                let cx = x + cell as i32 / 2;
                root.draw_text(&label, &style, (cx, y + (cell * 9 / 32) as i32))
                    .map_err(|e| e.to_string())?;
                root.draw_text(&number, &style, (cx, y + (cell * 23 / 32) as i32))
                    .map_err(|e| e.to_string())?;
            }
        }
        Ok(())
    })
}

/// A 2-D tensor as an image, like `plt.imshow`: each value a square coloured on the `viridis`
/// scale from the smallest (purple) to the largest (yellow). The lecture shows the one-hot
/// encoding of `emma` this way.
///
/// # Errors
/// [`Error::Shape`] when `t` is not 2-D.
pub fn image(t: &Tensor) -> Result<Png> {
    image_in(t, viridis)
}

/// A 2-D tensor as a gray image, like `plt.imshow(t, cmap='gray')`: the smallest value black,
/// the largest white. Part 3 shows the saturated neurons (`h.abs() > 0.99`) this way.
///
/// # Errors
/// [`Error::Shape`] when `t` is not 2-D.
pub fn gray_image(t: &Tensor) -> Result<Png> {
    image_in(t, |v| {
        let g = (v * 255.0).round() as u8;
        RGBColor(g, g, g)
    })
}

fn image_in(t: &Tensor, color: fn(f64) -> RGBColor) -> Result<Png> {
    let (rows, cols, vals) = matrix(t, "image")?;
    let lo = vals.iter().cloned().fold(f64::MAX, f64::min);
    let hi = vals.iter().cloned().fold(f64::MIN, f64::max);
    let cell = (800 / cols as u32).clamp(1, 32).min((600 / rows as u32).max(1));
    let (w, h) = (cell * cols as u32, cell * rows as u32);
    draw(w, h, |root| {
        for i in 0..rows {
            for j in 0..cols {
                let t = if hi > lo { (vals[i * cols + j] - lo) / (hi - lo) } else { 0.0 };
                let (x, y) = ((j as u32 * cell) as i32, (i as u32 * cell) as i32);
                let rect = [(x, y), (x + cell as i32, y + cell as i32)];
                root.draw(&Rectangle::new(rect, color(t).filled())).map_err(|e| e.to_string())?;
            }
        }
        Ok(())
    })
}

/// One line of a [`line_plot`].
#[derive(Debug, Clone)]
pub struct Series {
    /// Legend text.
    pub label: String,
    /// The x values.
    pub x: Vec<f64>,
    /// The y values, as many as `x`.
    pub y: Vec<f64>,
}

impl Series {
    /// A line through `(x[i], y[i])`.
    pub fn new(label: &str, x: Vec<f64>, y: Vec<f64>) -> Series {
        Series { label: label.to_string(), x, y }
    }

    /// A line through `(i, y[i])`: a loss per step.
    pub fn steps(label: &str, y: &[f64]) -> Series {
        Series::new(label, (0..y.len()).map(|i| i as f64).collect(), y.to_vec())
    }

    /// The density of the values of `t` as a line, like
    /// `hy, hx = torch.histogram(t, density=True); plt.plot(hx[:-1], hy)`: 100 bins from the
    /// smallest value to the largest, each at its left edge, areas summing to 1.
    ///
    /// # Errors
    /// [`Error::Shape`] for an empty tensor or one with a NaN or an infinity.
    pub fn histogram(label: &str, t: &Tensor) -> Result<Series> {
        let t = t.f_detach()?.f_to_kind(Kind::Float)?.f_to_device(tch::Device::Cpu)?;
        if t.numel() == 0 || !bool::try_from(t.f_isfinite()?.f_all()?)? {
            return Err(Error::Shape {
                what: "histogram values",
                expected: "at least one number, all finite".to_string(),
                got: format!("{:?} values", t.size()),
                hint: "look for a NaN or inf in the tensor (a diverged training?)",
            });
        }
        let (lo, hi) = (t.f_min()?.double_value(&[]), t.f_max()?.double_value(&[]));
        let range = if lo < hi { [lo, hi] } else { [lo - 0.5, hi + 0.5] }; // as torch does
        let (hy, hx) = t.f_histogram_bin_ct(100, range, None::<Tensor>, true)?;
        let (hy, hx) = (
            Vec::<f64>::try_from(hy.f_to_kind(Kind::Double)?)?,
            Vec::<f64>::try_from(hx.f_to_kind(Kind::Double)?)?,
        );
        Ok(Series::new(label, hx[..hy.len()].to_vec(), hy))
    }
}

/// A line plot of one or more series, 800×450, with a legend; `log_x` makes the x axis
/// logarithmic (for a sweep over smoothing strengths).
///
/// # Errors
/// [`Error::Shape`] for an empty series or one with x and y of different lengths, or with a
/// non-positive x on a log axis.
pub fn line_plot(
    series: &[Series],
    title: &str,
    x_label: &str,
    y_label: &str,
    log_x: bool,
) -> Result<Png> {
    let finite = |v: &&f64| v.is_finite();
    let all_x: Vec<f64> = series.iter().flat_map(|s| s.x.iter()).filter(finite).cloned().collect();
    let all_y: Vec<f64> = series.iter().flat_map(|s| s.y.iter()).filter(finite).cloned().collect();
    let bad = series.iter().any(|s| s.x.len() != s.y.len() || s.x.is_empty());
    if bad || all_x.is_empty() || all_y.is_empty() || (log_x && all_x.iter().any(|&x| x <= 0.0)) {
        return Err(Error::Shape {
            what: "line plot",
            expected: "series with as many finite x as y values (x > 0 on a log axis)".to_string(),
            got: format!("{} series", series.len()),
            hint: "check the lengths of x and y",
        });
    }
    let (x0, x1) = bounds(&all_x);
    let (y0, y1) = bounds(&all_y);
    let pad = (y1 - y0).max(1e-9) * 0.05;
    let (y0, y1) = (y0 - pad, y1 + pad);
    const COLORS: [RGBColor; 10] = [
        RGBColor(0x1f, 0x77, 0xb4),
        RGBColor(0xff, 0x7f, 0x0e),
        RGBColor(0x2c, 0xa0, 0x2c),
        RGBColor(0xd6, 0x27, 0x28),
        RGBColor(0x94, 0x67, 0xbd),
        RGBColor(0x8c, 0x56, 0x4b),
        RGBColor(0xe3, 0x77, 0xc2),
        RGBColor(0x7f, 0x7f, 0x7f),
        RGBColor(0xbc, 0xbd, 0x22),
        RGBColor(0x17, 0xbe, 0xcf),
    ];
    draw(800, 450, |root| {
        let err = |e: &dyn std::fmt::Display| e.to_string();
        let mut builder = ChartBuilder::on(root);
        builder.caption(title, (FONT, 18)).margin(12).x_label_area_size(40).y_label_area_size(60);
        macro_rules! finish {
            ($chart:expr) => {{
                let mut chart = $chart;
                let mut mesh = chart.configure_mesh();
                mesh.x_desc(x_label).y_desc(y_label).label_style((FONT, 12));
                let whole = |x: &f64| format!("{x:.0}"); // steps: 600, not 600.0
                if all_x.iter().all(|x| x.fract() == 0.0) {
                    mesh.x_label_formatter(&whole);
                }
                mesh.draw().map_err(|e| err(&e))?;
                for (k, s) in series.iter().enumerate() {
                    let color = COLORS[k % COLORS.len()];
                    let points =
                        s.x.iter()
                            .cloned()
                            .zip(s.y.iter().cloned())
                            .filter(|(x, y)| x.is_finite() && y.is_finite());
                    chart
                        .draw_series(LineSeries::new(points, color.stroke_width(2)))
                        .map_err(|e| err(&e))?
                        .label(s.label.clone())
                        .legend(move |(x, y)| {
                            PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
                        });
                }
                chart
                    .configure_series_labels()
                    .label_font((FONT, 13))
                    .background_style(WHITE.mix(0.8))
                    .border_style(BLACK)
                    .draw()
                    .map_err(|e| err(&e))?;
            }};
        }
        if log_x {
            finish!(builder
                .build_cartesian_2d((x0..x1).log_scale(), y0..y1)
                .map_err(|e| err(&e))?);
        } else {
            finish!(builder.build_cartesian_2d(x0..x1, y0..y1).map_err(|e| err(&e))?);
        }
        Ok(())
    })
}

/// Points with a label written at each, 640×640: part 2's picture of the 2-D embeddings of the
/// characters (`C[:, 0]` against `C[:, 1]`), each drawn as its character in a dot.
///
/// # Errors
/// [`Error::Shape`] unless `points` is `(n, 2)` with as many labels, all finite.
pub fn scatter(points: &Tensor, labels: &[String], title: &str) -> Result<Png> {
    let shape_error = || Error::Shape {
        what: "scatter points",
        expected: format!("({}, 2) finite numbers, one row per label", labels.len()),
        got: format!("{:?}", points.size()),
        hint: "pass the two columns to plot, e.g. C.narrow(1, 0, 2)",
    };
    if points.dim() != 2 || points.size()[1] != 2 || points.size()[0] != labels.len() as i64 {
        return Err(shape_error());
    }
    let xy = Vec::<f64>::try_from(points.f_to_kind(Kind::Double)?.f_reshape(-1)?)?;
    if xy.iter().any(|v| !v.is_finite()) {
        return Err(shape_error());
    }
    let (xs, ys): (Vec<f64>, Vec<f64>) = xy.chunks(2).map(|p| (p[0], p[1])).unzip();
    let pad =
        |(lo, hi): (f64, f64)| (lo - 0.08 * (hi - lo).max(1e-9), hi + 0.08 * (hi - lo).max(1e-9));
    let ((x0, x1), (y0, y1)) = (pad(bounds(&xs)), pad(bounds(&ys)));
    let blue = RGBColor(0x1f, 0x77, 0xb4);
    draw(640, 640, |root| {
        let err = |e: &dyn std::fmt::Display| e.to_string();
        let mut chart = ChartBuilder::on(root)
            .caption(title, (FONT, 18))
            .margin(12)
            .x_label_area_size(30)
            .y_label_area_size(45)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(|e| err(&e))?;
        chart.configure_mesh().label_style((FONT, 12)).draw().map_err(|e| err(&e))?;
        let centered = Pos::new(HPos::Center, VPos::Center);
        for ((&x, &y), label) in xs.iter().zip(&ys).zip(labels) {
            chart
                .draw_series(std::iter::once(Circle::new((x, y), 11, blue.filled())))
                .map_err(|e| err(&e))?;
            let style = TextStyle::from((FONT, 14).into_font()).color(&WHITE).pos(centered);
            chart
                .draw_series(std::iter::once(Text::new(label.clone(), (x, y), style)))
                .map_err(|e| err(&e))?;
        }
        Ok(())
    })
}

fn bounds(v: &[f64]) -> (f64, f64) {
    let lo = v.iter().cloned().fold(f64::MAX, f64::min);
    let hi = v.iter().cloned().fold(f64::MIN, f64::max);
    if hi > lo {
        (lo, hi)
    } else {
        (lo - 0.5, hi + 0.5)
    }
}

/// Two pictures side by side on one canvas, with a title over each (E06 puts `softmax(W)`
/// beside the count model's `P`).
///
/// # Errors
/// [`Error::Plot`] if either PNG cannot be decoded.
pub fn side_by_side(left: &Png, left_title: &str, right: &Png, right_title: &str) -> Result<Png> {
    let decode = |p: &Png| -> Result<Vec<u8>> {
        let decoder = png::Decoder::new(std::io::Cursor::new(&p.bytes));
        let mut reader = decoder.read_info().map_err(plot_error)?;
        let mut buf = vec![0; reader.output_buffer_size()];
        reader.next_frame(&mut buf).map_err(plot_error)?;
        Ok(buf)
    };
    let (a, b) = (decode(left)?, decode(right)?);
    let gap = 16;
    let head = 28;
    let w = left.width + gap + right.width;
    let h = head + left.height.max(right.height);
    draw(w, h, |root| {
        let blit = |img: &[u8], iw: u32, ih: u32, ox: u32| -> std::result::Result<(), String> {
            for y in 0..ih {
                for x in 0..iw {
                    let k = ((y * iw + x) * 3) as usize;
                    root.draw_pixel(
                        ((ox + x) as i32, (head + y) as i32),
                        &RGBColor(img[k], img[k + 1], img[k + 2]),
                    )
                    .map_err(|e| e.to_string())?;
                }
            }
            Ok(())
        };
        blit(&a, left.width, left.height, 0)?;
        blit(&b, right.width, right.height, left.width + gap)?;
        let style = (FONT, 16).into_font().color(&BLACK).pos(Pos::new(HPos::Center, VPos::Center));
        root.draw_text(left_title, &style, ((left.width / 2) as i32, (head / 2) as i32))
            .map_err(|e| e.to_string())?;
        root.draw_text(
            right_title,
            &style,
            ((left.width + gap + right.width / 2) as i32, (head / 2) as i32),
        )
        .map_err(|e| e.to_string())?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heatmap_is_a_png_of_27_cells() {
        let v = Vocab::from_chars(".abcdefghijklmnopqrstuvwxyz").unwrap();
        let counts = Tensor::arange(27 * 27, (Kind::Int, tch::Device::Cpu)).view([27, 27]);
        let png = heatmap(&counts, &v).unwrap();
        assert_eq!((png.width, png.height), (864, 864));
        assert_eq!(&png.bytes[1..4], b"PNG");
        assert!(heatmap(&counts.narrow(0, 0, 5), &v).is_err());
    }

    #[test]
    fn image_and_line_plot() {
        let t = Tensor::eye(5, (Kind::Float, tch::Device::Cpu));
        let img = image(&t).unwrap();
        assert_eq!(img.width, img.height);
        let s = Series::steps("loss", &[3.0, 2.5, 2.4]);
        assert!(line_plot(std::slice::from_ref(&s), "t", "x", "y", false).is_ok());
        assert!(
            line_plot(&[Series::new("bad", vec![0.0], vec![1.0])], "t", "x", "y", true).is_err()
        );
        assert!(line_plot(&[Series::new("bad", vec![1.0, 2.0], vec![1.0])], "t", "x", "y", false)
            .is_err());
        let both = side_by_side(&img, "a", &img, "b").unwrap();
        assert!(both.width > 2 * img.width);
        let gray = gray_image(&t).unwrap();
        assert_eq!((gray.width, gray.height), (img.width, img.height));
    }

    #[test]
    fn histogram_is_a_density_over_100_bins() {
        let t =
            crate::with_torch_seed(0, || Tensor::randn([1000], (Kind::Float, tch::Device::Cpu)));
        let s = Series::histogram("h", &t).unwrap();
        assert_eq!((s.x.len(), s.y.len()), (100, 100));
        let width = s.x[1] - s.x[0];
        let area: f64 = s.y.iter().map(|d| d * width).sum();
        assert!((area - 1.0).abs() < 1e-4, "{area}");
        assert_eq!(s.x[0], t.min().double_value(&[]));
        let one = Series::histogram("one value", &Tensor::from_slice(&[2.0f32, 2.0])).unwrap();
        assert_eq!(one.x[0], 1.5); // the range widened by 0.5 each way, as torch does
        let nan = Tensor::from_slice(&[1.0f32, f32::NAN]);
        assert!(Series::histogram("nan", &nan).unwrap_err().to_string().contains("finite"));
    }

    #[test]
    fn save_into_a_missing_folder_is_an_error() {
        let png = image(&Tensor::ones([2, 2], (Kind::Float, tch::Device::Cpu))).unwrap();
        let e = png.save("/nonexistent-folder/x.png").unwrap_err();
        assert!(e.to_string().contains("does not exist"), "{e}");
    }
}
