//! Images of 2-D tensors: the lecture's heatmap of the bigram counts with its labels, and any
//! matrix as `plt.imshow` draws it.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use tch::{Kind, Tensor};

use super::{draw, Png, FONT};
use crate::data::Vocab;
use crate::error::{Error, Result};

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
