//! Pictures, as PNG: the lecture's heatmap of the bigram counts (`02_bigram_heatmap`), an image
//! of any 2-D tensor like `plt.imshow` (`05_one_hot_and_softmax`), and line plots of losses
//! (`06_gradient_descent`, `e03_tune_smoothing`). A [`Png`] shows itself inline in evcxr.

use std::path::Path;
use std::sync::OnceLock;

use base64::Engine;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::error::{Error, Result};

mod graph;
mod lines;
mod picture;

pub use graph::Digraph;
pub use lines::{line_plot, scatter, Series};
pub use picture::{gray_image, heatmap, heatmap_sized, image};

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
    use crate::data::Vocab;
    use tch::{Kind, Tensor};

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
