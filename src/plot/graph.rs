//! Graphs drawn as the micrograd lecture draws them with graphviz's `Digraph`
//! (`notebooks/part0_micrograd/`): nodes, records (`{ a | data 2.0000 | grad 0.0000 }`), edges,
//! left to right, laid out by `layout-rs` and drawn as a PNG in Rust, with no `dot` program. A
//! [`Digraph`] shows itself inline in evcxr.

use base64::Engine;
use layout::core::format::{ClipHandle, RenderBackend};
use layout::core::geometry::Point;
use layout::core::style::StyleAttr;
use layout::gv::{DotParser, GraphBuilder};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{draw, Png, FONT};
use crate::error::{Error, Result};

/// A directed graph, built as graphviz's Python `Digraph` builds one: `node`, `edge`, and the
/// rank direction. A cell ending with a `Digraph` draws it.
#[derive(Debug, Clone, Default)]
pub struct Digraph {
    rankdir: String,
    nodes: Vec<(String, String, String)>,
    edges: Vec<(String, String)>,
}

impl Digraph {
    /// An empty graph drawn in the direction `rankdir`: `"LR"` (left to right, as the lecture's
    /// `graph_attr={'rankdir': 'LR'}`) or `"TB"` (top to bottom).
    pub fn new(rankdir: &str) -> Digraph {
        Digraph { rankdir: rankdir.to_string(), ..Digraph::default() }
    }

    /// Adds the node `name`, drawn as `label` in a `shape`: `"record"` splits the label into
    /// fields at `|` (`{ a | b }` puts them side by side in a left-to-right graph), `"ellipse"`
    /// or `"box"` draw it whole.
    pub fn node(&mut self, name: &str, label: &str, shape: &str) {
        // an empty record label stops layout-rs: a space draws the same
        let label = if label.trim().is_empty() { " " } else { label };
        self.nodes.push((name.to_string(), label.to_string(), shape.to_string()));
    }

    /// Adds an edge from the node `from` to the node `to`.
    pub fn edge(&mut self, from: &str, to: &str) {
        self.edges.push((from.to_string(), to.to_string()));
    }

    /// The graph in the DOT language, as graphviz's `dot.source`.
    pub fn source(&self) -> String {
        let quote = |s: &str| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""));
        let mut dot = format!("digraph {{\n  rankdir={};\n", quote(&self.rankdir));
        for (name, label, shape) in &self.nodes {
            dot +=
                &format!("  {} [label={}, shape={}];\n", quote(name), quote(label), quote(shape));
        }
        for (from, to) in &self.edges {
            dot += &format!("  {} -> {};\n", quote(from), quote(to));
        }
        dot + "}\n"
    }

    /// Lays the graph out (`layout-rs`, as graphviz's `dot` would: ranks, fewer crossings) and
    /// draws it as a PNG, like every picture of the crate: JupyterLab shows a PNG in a notebook
    /// it does not trust (one executed elsewhere), where it hides SVG.
    ///
    /// # Errors
    /// [`Error::Plot`] if the layout cannot read the graph's DOT source (names and labels are
    /// quoted and escaped, so this has not been seen), or no font is found for the labels.
    pub fn render(&self) -> Result<Png> {
        self.layout()?.paint()
    }

    fn layout(&self) -> Result<Shapes> {
        let mut shapes = Shapes::default();
        if !self.nodes.is_empty() {
            let source = self.source();
            let mut parser = DotParser::new(&source);
            let graph = parser.process().map_err(|why| Error::Plot {
                why: format!("the graph is not valid DOT: {why}"),
                hint: "print `dot.source()` to see the graph as DOT",
            })?;
            let mut builder = GraphBuilder::new();
            builder.visit_graph(&graph);
            builder.get().do_it(false, false, false, &mut shapes);
        }
        Ok(shapes)
    }

    /// What a text-only viewer shows of the graph: how many nodes and edges, then each node's
    /// label, in the order they were added (names are left out: a program's may be addresses,
    /// which change from run to run).
    pub fn labels(&self) -> String {
        let mut out = format!("Digraph: {} nodes, {} edges", self.nodes.len(), self.edges.len());
        for (_, label, _) in &self.nodes {
            out += &format!("\n{label}");
        }
        out
    }

    /// Shows the graph inline in an evcxr notebook, with [`labels`](Digraph::labels) as the text
    /// of viewers that show no pictures (or says why it cannot be drawn).
    pub fn evcxr_display(&self) {
        match self.render() {
            Ok(png) => {
                let b64 = base64::engine::general_purpose::STANDARD.encode(&png.bytes);
                println!(
                    "EVCXR_BEGIN_CONTENT image/png\n{b64}\nEVCXR_END_CONTENT\n\
                     EVCXR_BEGIN_CONTENT text/plain\n{}\nEVCXR_END_CONTENT",
                    self.labels()
                );
            }
            Err(e) => println!("{e}"),
        }
    }
}

/// What the layout draws, recorded in its coordinates, then painted with plotters.
#[derive(Default)]
struct Shapes(Vec<Shape>);

enum Shape {
    Rect(Point, Point),
    Ellipse(Point, Point),
    Text(Point, String, usize),
    Line(Point, Point),
    /// A path of cubic Bézier pieces as layout-rs gives it, with an arrowhead at its end.
    Arrow(Vec<(Point, Point)>),
}

/// Labels are drawn at this many times the layout's font size: the layout makes room for
/// `font_size` pixels per character, which leaves a monospace font of that size lost in its box.
const TEXT_SCALE: f64 = 1.3;
const MARGIN: f64 = 10.0;

impl RenderBackend for Shapes {
    fn draw_rect(
        &mut self,
        xy: Point,
        size: Point,
        _: &StyleAttr,
        _: Option<String>,
        _: Option<ClipHandle>,
    ) {
        self.0.push(Shape::Rect(xy, Point::new(xy.x + size.x, xy.y + size.y)));
    }
    fn draw_line(&mut self, start: Point, stop: Point, _: &StyleAttr, _: Option<String>) {
        self.0.push(Shape::Line(start, stop));
    }
    fn draw_circle(&mut self, xy: Point, size: Point, _: &StyleAttr, _: Option<String>) {
        self.0.push(Shape::Ellipse(xy, size));
    }
    fn draw_text(&mut self, xy: Point, text: &str, look: &StyleAttr) {
        self.0.push(Shape::Text(xy, text.to_string(), look.font_size));
    }
    fn draw_arrow(
        &mut self,
        path: &[(Point, Point)],
        _: bool,
        _: (bool, bool),
        _: &StyleAttr,
        _: Option<String>,
        _: &str,
    ) {
        self.0.push(Shape::Arrow(path.to_vec()));
    }
    fn create_clip(&mut self, _: Point, _: Point, _: usize) -> ClipHandle {
        0 // records are drawn as plain rectangles: nothing to clip
    }
}

impl Shapes {
    /// The points that bound the shapes (a text by the width its characters take).
    fn corners(&self) -> Vec<Point> {
        let mut out = vec![];
        for shape in &self.0 {
            match shape {
                Shape::Rect(a, b) | Shape::Line(a, b) => out.extend([*a, *b]),
                Shape::Ellipse(c, size) => {
                    out.push(Point::new(c.x - size.x / 2.0, c.y - size.y / 2.0));
                    out.push(Point::new(c.x + size.x / 2.0, c.y + size.y / 2.0));
                }
                Shape::Text(c, text, size) => {
                    let px = *size as f64 * TEXT_SCALE;
                    let half = text.chars().count() as f64 * px * 0.31; // DejaVu Sans Mono: 0.6 em
                    out.push(Point::new(c.x - half, c.y - px));
                    out.push(Point::new(c.x + half, c.y + px));
                }
                Shape::Arrow(path) => out.extend(path.iter().flat_map(|(a, b)| [*a, *b])),
            }
        }
        out
    }

    fn paint(&self) -> Result<Png> {
        let corners = self.corners();
        let fold = |f: fn(&Point) -> f64, pick: fn(f64, f64) -> f64, start: f64| {
            corners.iter().map(f).fold(start, pick)
        };
        let (x0, y0) =
            (fold(|p| p.x, f64::min, f64::INFINITY), fold(|p| p.y, f64::min, f64::INFINITY));
        let (x1, y1) = (
            fold(|p| p.x, f64::max, f64::NEG_INFINITY),
            fold(|p| p.y, f64::max, f64::NEG_INFINITY),
        );
        let (x0, y0) = if corners.is_empty() { (0.0, 0.0) } else { (x0, y0) };
        let size =
            |lo: f64, hi: f64| ((hi - lo).max(0.0) + 2.0 * MARGIN).ceil().min(20_000.0) as u32;
        let (width, height) =
            if corners.is_empty() { (1, 1) } else { (size(x0, x1), size(y0, y1)) };
        let at =
            |p: Point| ((p.x - x0 + MARGIN).round() as i32, (p.y - y0 + MARGIN).round() as i32);
        draw(width, height, |root| {
            let pen = BLACK.stroke_width(1);
            for shape in &self.0 {
                let drawn = match shape {
                    Shape::Rect(a, b) => root.draw(&Rectangle::new([at(*a), at(*b)], pen)),
                    Shape::Line(a, b) => root.draw(&PathElement::new(vec![at(*a), at(*b)], pen)),
                    Shape::Ellipse(c, size) => {
                        let points: Vec<(i32, i32)> = (0..=64)
                            .map(|i| {
                                let t = f64::from(i) / 64.0 * std::f64::consts::TAU;
                                let (rx, ry) = (size.x / 2.0, size.y / 2.0);
                                at(Point::new(c.x + rx * t.cos(), c.y + ry * t.sin()))
                            })
                            .collect();
                        root.draw(&PathElement::new(points, pen))
                    }
                    Shape::Text(c, text, size) => {
                        let px = (*size as f64 * TEXT_SCALE).round();
                        let centered = Pos::new(HPos::Center, VPos::Center);
                        let style = (FONT, px).into_font().color(&BLACK).pos(centered);
                        root.draw(&Text::new(text.clone(), at(*c), style))
                    }
                    Shape::Arrow(path) => {
                        let points = bezier(path);
                        let line: Vec<(i32, i32)> = points.iter().map(|p| at(*p)).collect();
                        root.draw(&PathElement::new(line, pen)).and_then(|()| match points[..] {
                            [.., from, to] => root
                                .draw(&Polygon::new(arrowhead(from, to).map(at), BLACK.filled())),
                            _ => Ok(()),
                        })
                    }
                };
                drawn.map_err(|e| e.to_string())?;
            }
            Ok(())
        })
    }
}

/// The points along layout-rs's edge path, SVG's `M p0 C c0, c1, p1 S c2, p2 ...` (the first
/// pair is the start and its control point, each next pair a control point and an end), 16
/// points a piece.
fn bezier(path: &[(Point, Point)]) -> Vec<Point> {
    let Some(&(start, mut c0)) = path.first() else { return vec![] };
    let (mut from, mut out) = (start, vec![start]);
    for &(c1, to) in &path[1..] {
        for i in 1..=16 {
            let t = f64::from(i) / 16.0;
            let u = 1.0 - t;
            let (a, b, c, d) = (u * u * u, 3.0 * u * u * t, 3.0 * u * t * t, t * t * t);
            let x = a * from.x + b * c0.x + c * c1.x + d * to.x;
            out.push(Point::new(x, a * from.y + b * c0.y + c * c1.y + d * to.y));
        }
        // the next piece's first control point mirrors this one's last (SVG's `S`)
        c0 = Point::new(2.0 * to.x - c1.x, 2.0 * to.y - c1.y);
        from = to;
    }
    out
}

/// A filled triangle 10 pixels long pointing at `to`, along the line from `from`.
fn arrowhead(from: Point, to: Point) -> [Point; 3] {
    let (dx, dy) = (to.x - from.x, to.y - from.y);
    let len = (dx * dx + dy * dy).sqrt().max(1e-9);
    let (ux, uy) = (dx / len, dy / len);
    let side =
        |s: f64| Point::new(to.x - 10.0 * ux - s * 3.5 * uy, to.y - 10.0 * uy + s * 3.5 * ux);
    [to, side(1.0), side(-1.0)]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(dot: &Digraph) -> Vec<String> {
        let shapes = dot.layout().unwrap().0;
        shapes
            .into_iter()
            .filter_map(|s| if let Shape::Text(_, t, _) = s { Some(t) } else { None })
            .collect()
    }

    #[test]
    fn the_lectures_graph_draws_every_field_and_edge() {
        let mut dot = Digraph::new("LR");
        dot.node("1", "{ a | data 2.0000 | grad 0.0000 }", "record");
        dot.node("2", "{ b | data -3.0000 | grad 0.0000 }", "record");
        dot.node("3", "{ e | data -6.0000 | grad 0.0000 }", "record");
        dot.node("3*", "*", "ellipse");
        dot.edge("3*", "3");
        dot.edge("1", "3*");
        dot.edge("2", "3*");
        let texts = texts(&dot);
        for text in ["a", "data 2.0000", "grad 0.0000", "data -3.0000", "data -6.0000", "*", "e"] {
            assert!(texts.iter().any(|t| t.trim() == text), "{text} is not in {texts:?}");
        }
        let shapes = dot.layout().unwrap().0;
        assert_eq!(shapes.iter().filter(|s| matches!(s, Shape::Arrow(_))).count(), 3);
        assert_eq!(shapes.iter().filter(|s| matches!(s, Shape::Ellipse(..))).count(), 1);
        let png = dot.render().unwrap();
        assert!(png.width > png.height && png.height > 50, "{png:?}: a row, left to right");
        assert!(dot
            .labels()
            .starts_with("Digraph: 4 nodes, 3 edges\n{ a | data 2.0000 | grad 0.0000 }\n"));
    }

    #[test]
    fn quotes_in_names_and_labels_are_escaped() {
        let mut dot = Digraph::new("LR");
        dot.node("say \"hi\"", "a \"quoted\" label", "box");
        assert!(dot.source().contains(r#""say \"hi\"" [label="a \"quoted\" label", shape="box"]"#));
        assert!(texts(&dot).contains(&"a \"quoted\" label".to_string()));
    }

    #[test]
    fn odd_labels_edges_and_empty_graphs_still_draw() {
        let mut dot = Digraph::new("LR");
        dot.node("1", "{ a | b", "record"); // unbalanced: layout-rs closes it
        dot.node("2", "", "record"); // unlabeled: layout-rs stops on an empty record
        dot.node("3", "{  | data 1.0000 | grad 0.0000 }", "record"); // the lecture's Value(1.0)
        dot.edge("1", "1");
        dot.edge("2", "4"); // to a node never added
        assert!(texts(&dot).iter().any(|t| t.trim() == "data 1.0000"));
        assert!(dot.render().is_ok());
        assert_eq!(
            Digraph::new("LR").render().map(|png| (png.width, png.height)).ok(),
            Some((1, 1))
        );
    }
}
