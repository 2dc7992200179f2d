//! Line plots and scatter plots: losses over steps, the embeddings in 2-D.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use tch::{Kind, Tensor};

use super::{draw, Png, FONT};
use crate::error::{Error, Result};

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
