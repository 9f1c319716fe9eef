//! A tiny plotting layer: an RGB canvas, a 5x7 bitmap font, and axes with ticks, labels,
//! polylines, markers and a legend; enough for training curves and decision boundaries.
//!
//! Coordinates are pixels from the top-left corner, as `f64`; [`Axes`] maps data coordinates
//! into a frame on the canvas. [`Canvas::save`] writes a PNG with [`crate::common::png`].

#![allow(dead_code)] // shared by two examples, each of which uses a subset

use std::io;
use std::path::Path;

/// An RGB colour.
pub type Color = [u8; 3];

/// Black, for frames and text.
pub const BLACK: Color = [20, 20, 20];
/// The grey of grid lines.
pub const GRID: Color = [225, 225, 225];
/// The canvas background.
pub const WHITE: Color = [255, 255, 255];
/// Distinct colours for series, in order (matplotlib's first six).
pub const PALETTE: [Color; 6] = [
    [31, 119, 180],
    [255, 127, 14],
    [44, 160, 44],
    [214, 39, 40],
    [148, 103, 189],
    [140, 86, 75],
];

/// Every text is drawn with the 5x7 font at this scale (10x14 pixels a glyph).
pub const TEXT_SCALE: i64 = 2;
/// Height of one line of text, in pixels.
pub const TEXT_HEIGHT: f64 = (7 * TEXT_SCALE) as f64;

/// A rectangle on the canvas: left, top, width, height, in pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

impl Rect {
    pub fn new(x: f64, y: f64, w: f64, h: f64) -> Self {
        Self { x, y, w, h }
    }
}

/// How a legend entry or a data point is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marker {
    /// A short line (for curves).
    Line,
    /// A filled dot with a dark outline.
    Dot,
    /// An x-shaped cross.
    Cross,
}

/// An RGB image to draw on.
pub struct Canvas {
    width: usize,
    height: usize,
    rgb: Vec<u8>,
}

impl Canvas {
    /// A white canvas of `width x height` pixels.
    pub fn new(width: usize, height: usize) -> Self {
        Self {
            width,
            height,
            rgb: WHITE.repeat(width * height),
        }
    }

    /// Sets one pixel; pixels outside the canvas are ignored.
    pub fn pixel(&mut self, x: i64, y: i64, color: Color) {
        if x >= 0 && y >= 0 && (x as usize) < self.width && (y as usize) < self.height {
            let at = (y as usize * self.width + x as usize) * 3;
            self.rgb[at..at + 3].copy_from_slice(&color);
        }
    }

    /// Fills the pixels whose centres lie in `rect`.
    pub fn fill(&mut self, rect: Rect, color: Color) {
        let (x0, y0) = (rect.x.round() as i64, rect.y.round() as i64);
        let (x1, y1) = (
            (rect.x + rect.w).round() as i64,
            (rect.y + rect.h).round() as i64,
        );
        for y in y0..y1 {
            for x in x0..x1 {
                self.pixel(x, y, color);
            }
        }
    }

    /// A straight line `width` pixels thick.
    pub fn line(&mut self, from: (f64, f64), to: (f64, f64), color: Color, width: i64) {
        let (dx, dy) = (to.0 - from.0, to.1 - from.1);
        let steps = dx.abs().max(dy.abs()).ceil().max(1.0) as usize;
        let lo = -(width - 1) / 2;
        for i in 0..=steps {
            let t = i as f64 / steps as f64;
            let (x, y) = (
                (from.0 + t * dx).round() as i64,
                (from.1 + t * dy).round() as i64,
            );
            for oy in lo..lo + width {
                for ox in lo..lo + width {
                    self.pixel(x + ox, y + oy, color);
                }
            }
        }
    }

    /// A marker centred on `at`, about `size` pixels from the centre to the edge.
    pub fn marker(&mut self, at: (f64, f64), marker: Marker, color: Color, size: f64) {
        match marker {
            Marker::Line => self.line((at.0 - size, at.1), (at.0 + size, at.1), color, 3),
            Marker::Dot => {
                self.disc(at, size, darker(color));
                self.disc(at, size - 1.0, color);
            }
            Marker::Cross => {
                let s = size * 0.8;
                self.line((at.0 - s, at.1 - s), (at.0 + s, at.1 + s), color, 2);
                self.line((at.0 - s, at.1 + s), (at.0 + s, at.1 - s), color, 2);
            }
        }
    }

    /// A filled disc.
    fn disc(&mut self, at: (f64, f64), radius: f64, color: Color) {
        let r = radius.ceil() as i64;
        let (cx, cy) = (at.0.round() as i64, at.1.round() as i64);
        for y in -r..=r {
            for x in -r..=r {
                if ((x * x + y * y) as f64) <= radius * radius + 0.5 {
                    self.pixel(cx + x, cy + y, color);
                }
            }
        }
    }

    /// Text with its top-left corner at `(x, y)`.
    pub fn text(&mut self, x: f64, y: f64, text: &str, color: Color) {
        self.glyphs(text, color, |column, row| {
            (x.round() as i64 + column, y.round() as i64 + row)
        });
    }

    /// Text centred horizontally on `x`, its top at `y`.
    pub fn text_centred(&mut self, x: f64, y: f64, text: &str, color: Color) {
        self.text(x - text_width(text) / 2.0, y, text, color);
    }

    /// Text turned a quarter counter-clockwise (reading upwards), centred vertically on `y`,
    /// its left edge (the top of the glyphs) at `x`.
    pub fn text_up(&mut self, x: f64, y: f64, text: &str, color: Color) {
        let bottom = (y + text_width(text) / 2.0).round() as i64;
        self.glyphs(text, color, |column, row| {
            (x.round() as i64 + row, bottom - column)
        });
    }

    /// Draws each lit font pixel of `text` where `place(column, row)` says (in canvas pixels
    /// relative to the text's origin, before rotation).
    fn glyphs(&mut self, text: &str, color: Color, place: impl Fn(i64, i64) -> (i64, i64)) {
        for (index, c) in text.chars().enumerate() {
            let left = index as i64 * 6 * TEXT_SCALE;
            for (row, bits) in glyph(c).iter().enumerate() {
                for column in 0..5 {
                    if bits & (0x10 >> column) == 0 {
                        continue;
                    }
                    for sy in 0..TEXT_SCALE {
                        for sx in 0..TEXT_SCALE {
                            let (px, py) = place(
                                left + column * TEXT_SCALE + sx,
                                row as i64 * TEXT_SCALE + sy,
                            );
                            self.pixel(px, py, color);
                        }
                    }
                }
            }
        }
    }

    /// Writes the canvas to `path` as a PNG.
    pub fn save(&self, path: &Path) -> io::Result<()> {
        crate::common::png::write_rgb(path, self.width, self.height, &self.rgb)
    }
}

/// The width of `text` in pixels.
pub fn text_width(text: &str) -> f64 {
    let n = text.chars().count() as f64;
    (n * 6.0 - 1.0).max(0.0) * TEXT_SCALE as f64
}

/// `color`, darkened (for outlines).
pub fn darker(color: Color) -> Color {
    color.map(|c| (f64::from(c) * 0.55) as u8)
}

/// `color` mixed with white: `amount` 0 keeps it, 1 gives white (for backgrounds).
pub fn paler(color: Color, amount: f64) -> Color {
    color.map(|c| (f64::from(c) + (255.0 - f64::from(c)) * amount).round() as u8)
}

/// A frame on the canvas showing the data rectangle `x` by `y`, with room around it for a
/// title, a legend, tick labels and axis labels.
#[derive(Debug, Clone, Copy)]
pub struct Axes {
    /// The area given to the axes, margins included.
    area: Rect,
    /// The data frame, in pixels.
    frame: Rect,
    x: (f64, f64),
    y: (f64, f64),
}

impl Axes {
    /// Axes over the data ranges `x` and `y` (each `(min, max)`), fitted into `area`.
    pub fn new(area: Rect, x: (f64, f64), y: (f64, f64)) -> Self {
        let (left, right) = (92.0, 16.0);
        let (top, bottom) = (64.0, 56.0);
        let frame = Rect::new(
            area.x + left,
            area.y + top,
            area.w - left - right,
            area.h - top - bottom,
        );
        Self { area, frame, x, y }
    }

    /// Axes like [`new`](Self::new), with the ranges widened about their centres so that one
    /// data unit spans as many pixels across as up (circles stay round).
    pub fn with_equal_aspect(area: Rect, x: (f64, f64), y: (f64, f64)) -> Self {
        let frame = Self::new(area, x, y).frame;
        let scale = ((x.1 - x.0) / frame.w).max((y.1 - y.0) / frame.h);
        let widen = |(lo, hi): (f64, f64), pixels: f64| {
            let (centre, half) = ((lo + hi) / 2.0, scale * pixels / 2.0);
            (centre - half, centre + half)
        };
        Self::new(area, widen(x, frame.w), widen(y, frame.h))
    }

    /// The data frame, in pixels.
    pub fn frame(&self) -> Rect {
        self.frame
    }

    /// Pixel position of the data point `(x, y)`.
    pub fn to_pixel(self, x: f64, y: f64) -> (f64, f64) {
        let f = &self.frame;
        (
            f.x + (x - self.x.0) / (self.x.1 - self.x.0) * f.w,
            f.y + f.h - (y - self.y.0) / (self.y.1 - self.y.0) * f.h,
        )
    }

    /// Data coordinates of the pixel `(px, py)`.
    pub fn to_data(self, px: f64, py: f64) -> (f64, f64) {
        let f = &self.frame;
        (
            self.x.0 + (px - f.x) / f.w * (self.x.1 - self.x.0),
            self.y.0 + (f.y + f.h - py) / f.h * (self.y.1 - self.y.0),
        )
    }

    /// Grid lines and tick labels behind the data.
    pub fn draw_grid(&self, canvas: &mut Canvas) {
        let f = self.frame;
        for (value, label) in ticks(self.x) {
            let (px, _) = self.to_pixel(value, self.y.0);
            canvas.line((px, f.y), (px, f.y + f.h), GRID, 1);
            canvas.text_centred(px, f.y + f.h + 8.0, &label, BLACK);
        }
        for (value, label) in ticks(self.y) {
            let (_, py) = self.to_pixel(self.x.0, value);
            canvas.line((f.x, py), (f.x + f.w, py), GRID, 1);
            let width = text_width(&label);
            canvas.text(f.x - width - 8.0, py - TEXT_HEIGHT / 2.0, &label, BLACK);
        }
    }

    /// The frame, the title above it, and the axis labels.
    pub fn draw_labels(&self, canvas: &mut Canvas, title: &str, x_label: &str, y_label: &str) {
        let f = self.frame;
        let (x0, y0, x1, y1) = (f.x, f.y, f.x + f.w, f.y + f.h);
        for (from, to) in [
            ((x0, y0), (x1, y0)),
            ((x1, y0), (x1, y1)),
            ((x1, y1), (x0, y1)),
            ((x0, y1), (x0, y0)),
        ] {
            canvas.line(from, to, BLACK, 2);
        }
        canvas.text_centred(f.x + f.w / 2.0, self.area.y + 8.0, title, BLACK);
        canvas.text_centred(f.x + f.w / 2.0, y1 + 30.0, x_label, BLACK);
        canvas.text_up(self.area.x + 6.0, f.y + f.h / 2.0, y_label, BLACK);
    }

    /// A legend on one row between the title and the frame.
    pub fn draw_legend(&self, canvas: &mut Canvas, entries: &[(&str, Color, Marker)]) {
        let gap = 24.0;
        let width: f64 = entries
            .iter()
            .map(|(name, _, _)| 26.0 + text_width(name))
            .sum::<f64>()
            + gap * entries.len().saturating_sub(1) as f64;
        let mut x = self.frame.x + (self.frame.w - width) / 2.0;
        let y = self.area.y + 34.0;
        for &(name, color, marker) in entries {
            canvas.marker((x + 9.0, y + TEXT_HEIGHT / 2.0), marker, color, 8.0);
            canvas.text(x + 26.0, y, name, BLACK);
            x += 26.0 + text_width(name) + gap;
        }
    }

    /// A polyline through data points, two pixels thick.
    pub fn polyline(&self, canvas: &mut Canvas, points: &[(f64, f64)], color: Color) {
        let pixels: Vec<_> = points.iter().map(|&(x, y)| self.to_pixel(x, y)).collect();
        for pair in pixels.windows(2) {
            canvas.line(pair[0], pair[1], color, 2);
        }
        if let [only] = pixels.as_slice() {
            canvas.marker(*only, Marker::Dot, color, 3.0);
        }
    }

    /// Paints every pixel of the frame with `color_at(x, y)` of its data coordinates.
    pub fn paint(&self, canvas: &mut Canvas, color_at: impl Fn(usize) -> Color) {
        for (index, (px, py)) in self.frame_pixels().into_iter().enumerate() {
            canvas.pixel(px as i64, py as i64, color_at(index));
        }
    }

    /// The pixel centres of the frame, row by row, with their data coordinates: what
    /// [`paint`](Self::paint)'s `color_at` is indexed by.
    pub fn frame_points(&self) -> Vec<(f64, f64)> {
        self.frame_pixels()
            .into_iter()
            .map(|(px, py)| self.to_data(px + 0.5, py + 0.5))
            .collect()
    }

    fn frame_pixels(&self) -> Vec<(f64, f64)> {
        let f = self.frame;
        let (x0, y0) = (f.x.round() as i64, f.y.round() as i64);
        let (x1, y1) = ((f.x + f.w).round() as i64, (f.y + f.h).round() as i64);
        (y0..y1)
            .flat_map(|py| (x0..x1).map(move |px| (px as f64, py as f64)))
            .collect()
    }
}

/// A named curve for [`line_chart`].
pub struct Series<'a> {
    pub name: &'a str,
    pub points: Vec<(f64, f64)>,
}

/// A complete line chart in `area`: grid, one coloured polyline per series (colours from
/// [`PALETTE`], in order), legend, frame and labels. The y range is `y_range` when given, else
/// the data's, widened to round ticks.
pub fn line_chart(
    canvas: &mut Canvas,
    area: Rect,
    title: &str,
    (x_label, y_label): (&str, &str),
    series: &[Series<'_>],
    y_range: Option<(f64, f64)>,
) {
    let all = || series.iter().flat_map(|s| s.points.iter());
    let x = nice_range(bounds(all().map(|p| p.0)));
    let y = y_range.unwrap_or_else(|| nice_range(bounds(all().map(|p| p.1))));
    let axes = Axes::new(area, x, y);
    axes.draw_grid(canvas);
    for (s, color) in series.iter().zip(PALETTE.iter().cycle()) {
        axes.polyline(canvas, &s.points, *color);
    }
    let legend: Vec<_> = series
        .iter()
        .zip(PALETTE.iter().cycle())
        .map(|(s, &color)| (s.name, color, Marker::Line))
        .collect();
    axes.draw_legend(canvas, &legend);
    axes.draw_labels(canvas, title, x_label, y_label);
}

/// `(min, max)` of finite values; `(0, 1)` when there is none.
pub fn bounds(values: impl Iterator<Item = f64>) -> (f64, f64) {
    values
        .filter(|v| v.is_finite())
        .fold(None, |acc: Option<(f64, f64)>, v| match acc {
            None => Some((v, v)),
            Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
        })
        .unwrap_or((0.0, 1.0))
}

/// `range` widened to multiples of its tick step (and made non-empty).
pub fn nice_range((lo, hi): (f64, f64)) -> (f64, f64) {
    let (lo, hi) = if hi > lo {
        (lo, hi)
    } else {
        (lo - 0.5, hi + 0.5)
    };
    let step = tick_step(hi - lo);
    ((lo / step).floor() * step, (hi / step).ceil() * step)
}

/// A round step giving about five ticks over `span`: 1, 2 or 5 times a power of ten.
fn tick_step(span: f64) -> f64 {
    let raw = span / 5.0;
    let power = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .find(|m| m * power >= raw)
        .unwrap_or(10.0);
    step * power
}

/// Tick values in `range`, with labels carrying as many decimals as the step needs.
fn ticks((lo, hi): (f64, f64)) -> Vec<(f64, String)> {
    let step = tick_step(hi - lo);
    let decimals = (-step.log10().floor()).max(0.0) as usize;
    let first = (lo / step - 1e-9).ceil() as i64;
    let last = (hi / step + 1e-9).floor() as i64;
    (first..=last)
        .map(|i| {
            let value = i as f64 * step;
            // `+ 0.0` turns -0 into 0.
            (value, format!("{:.*}", decimals, value + 0.0))
        })
        .collect()
}

/// The 5x7 bitmap of `c`: seven rows, the five low bits of each, leftmost pixel highest.
/// Lower case is drawn as upper case; a character without a glyph as `?`.
fn glyph(c: char) -> [u8; 7] {
    match c.to_ascii_uppercase() {
        ' ' => [0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00],
        '0' => [0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E],
        '1' => [0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E],
        '2' => [0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F],
        '3' => [0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E],
        '4' => [0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02],
        '5' => [0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E],
        '6' => [0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E],
        '7' => [0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08],
        '8' => [0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E],
        '9' => [0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C],
        'A' => [0x0E, 0x11, 0x11, 0x11, 0x1F, 0x11, 0x11],
        'B' => [0x1E, 0x11, 0x11, 0x1E, 0x11, 0x11, 0x1E],
        'C' => [0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E],
        'D' => [0x1C, 0x12, 0x11, 0x11, 0x11, 0x12, 0x1C],
        'E' => [0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F],
        'F' => [0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x10],
        'G' => [0x0E, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0F],
        'H' => [0x11, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11],
        'I' => [0x0E, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E],
        'J' => [0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0C],
        'K' => [0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11],
        'L' => [0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1F],
        'M' => [0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11],
        'N' => [0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11],
        'O' => [0x0E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E],
        'P' => [0x1E, 0x11, 0x11, 0x1E, 0x10, 0x10, 0x10],
        'Q' => [0x0E, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0D],
        'R' => [0x1E, 0x11, 0x11, 0x1E, 0x14, 0x12, 0x11],
        'S' => [0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E],
        'T' => [0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04],
        'U' => [0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E],
        'V' => [0x11, 0x11, 0x11, 0x11, 0x11, 0x0A, 0x04],
        'W' => [0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0A],
        'X' => [0x11, 0x11, 0x0A, 0x04, 0x0A, 0x11, 0x11],
        'Y' => [0x11, 0x11, 0x11, 0x0A, 0x04, 0x04, 0x04],
        'Z' => [0x1F, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1F],
        '.' => [0x00, 0x00, 0x00, 0x00, 0x00, 0x0C, 0x0C],
        ',' => [0x00, 0x00, 0x00, 0x00, 0x0C, 0x04, 0x08],
        ':' => [0x00, 0x0C, 0x0C, 0x00, 0x0C, 0x0C, 0x00],
        '-' => [0x00, 0x00, 0x00, 0x1F, 0x00, 0x00, 0x00],
        '+' => [0x00, 0x04, 0x04, 0x1F, 0x04, 0x04, 0x00],
        '=' => [0x00, 0x00, 0x1F, 0x00, 0x1F, 0x00, 0x00],
        '_' => [0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x1F],
        '/' => [0x00, 0x01, 0x02, 0x04, 0x08, 0x10, 0x00],
        '(' => [0x02, 0x04, 0x08, 0x08, 0x08, 0x04, 0x02],
        ')' => [0x08, 0x04, 0x02, 0x02, 0x02, 0x04, 0x08],
        '%' => [0x18, 0x19, 0x02, 0x04, 0x08, 0x13, 0x03],
        '>' => [0x08, 0x04, 0x02, 0x01, 0x02, 0x04, 0x08],
        '<' => [0x02, 0x04, 0x08, 0x10, 0x08, 0x04, 0x02],
        _ => [0x0E, 0x11, 0x01, 0x02, 0x04, 0x00, 0x04],
    }
}
