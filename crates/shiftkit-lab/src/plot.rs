//! Charts with [plotters], drawn into PNG files with the font this crate embeds.
//!
//! plotters finds fonts through the system by default; these programs register DejaVu Sans
//! (`assets/DejaVuSans.ttf`, licence in `assets/LICENSE-DejaVu.txt`) as its `sans-serif`
//! family instead, so the plots render the same on a bare machine without fonts installed.

use std::error::Error;
use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};

/// DejaVu Sans 2.37.
const FONT: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");
/// The family every text of the plots is set in.
pub const FAMILY: &str = "sans-serif";

/// Distinct colours for series, in order (matplotlib's first six).
pub const PALETTE: [RGBColor; 6] = [
    CLASS_PALETTE[0],
    CLASS_PALETTE[1],
    CLASS_PALETTE[2],
    CLASS_PALETTE[3],
    CLASS_PALETTE[4],
    CLASS_PALETTE[5],
];

/// A drawing area of a PNG being drawn.
pub type Area<'a> = DrawingArea<BitMapBackend<'a>, Shift>;

/// Registers the embedded font with plotters; call before drawing text. Idempotent.
pub fn register_embedded_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The font is a constant of this crate: a test checks that it parses.
        let _ = register_font(FAMILY, FontStyle::Normal, FONT);
    });
}

/// A named curve for [`line_chart`].
pub struct Series<'a> {
    /// The name in the legend.
    pub name: &'a str,
    /// `(x, y)` points, in order of x.
    pub points: Vec<(f64, f64)>,
}

/// A complete line chart on `area`: title, grid, one coloured line per series (colours from
/// [`PALETTE`], in order), legend and axis labels. The y range is `y_range` when given, else
/// the data's, widened to round ticks.
///
/// # Errors
///
/// What plotters reports while drawing.
pub fn line_chart(
    area: &Area<'_>,
    title: &str,
    (x_label, y_label): (&str, &str),
    series: &[Series<'_>],
    y_range: Option<(f64, f64)>,
) -> Result<(), Box<dyn Error>> {
    register_embedded_font();
    let all = || series.iter().flat_map(|s| s.points.iter());
    let x = nice_range(bounds(all().map(|p| p.0)));
    let whole = all().all(|p| p.0.fract() == 0.0);
    let y = y_range.unwrap_or_else(|| nice_range(bounds(all().map(|p| p.1))));
    let mut chart = ChartBuilder::on(area)
        .caption(title, (FAMILY, 20))
        .margin(12)
        .x_label_area_size(44)
        .y_label_area_size(64)
        .build_cartesian_2d(x.0..x.1, y.0..y.1)?;
    chart
        .configure_mesh()
        .x_desc(x_label)
        // `5` rather than `5.0` for whole numbers (epochs), and no `1.5` between them.
        .x_label_formatter(&|x| {
            if whole && x.fract() != 0.0 {
                String::new()
            } else {
                format!("{x}")
            }
        })
        .y_desc(y_label)
        .label_style((FAMILY, 14))
        .axis_desc_style((FAMILY, 15))
        .light_line_style(WHITE)
        .draw()?;
    for (s, &color) in series.iter().zip(PALETTE.iter().cycle()) {
        chart
            .draw_series(LineSeries::new(
                s.points.iter().copied(),
                color.stroke_width(2),
            ))?
            .label(s.name)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(3))
            });
    }
    chart
        .configure_series_labels()
        .label_font((FAMILY, 14))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .draw()?;
    Ok(())
}

/// Ten distinct colours, one per digit class (matplotlib's `tab10`).
pub const CLASS_PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// A group of points of one colour for [`scatter_chart`].
pub struct Group<'a> {
    /// The name in the legend.
    pub name: String,
    /// The colour.
    pub color: RGBColor,
    /// The points.
    pub points: &'a [(f64, f64)],
}

/// A scatter chart on `area`: title, grid, one small filled circle per point, a legend entry
/// per group. Groups are drawn in order, so the last lies on top.
///
/// # Errors
///
/// What plotters reports while drawing.
pub fn scatter_chart(
    area: &Area<'_>,
    title: &str,
    (x_label, y_label): (&str, &str),
    groups: &[Group<'_>],
) -> Result<(), Box<dyn Error>> {
    register_embedded_font();
    let all = || groups.iter().flat_map(|g| g.points.iter());
    let x = nice_range(bounds(all().map(|p| p.0)));
    let y = nice_range(bounds(all().map(|p| p.1)));
    let mut chart = ChartBuilder::on(area)
        .caption(title, (FAMILY, 18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(56)
        .build_cartesian_2d(x.0..x.1, y.0..y.1)?;
    chart
        .configure_mesh()
        .x_desc(x_label)
        .y_desc(y_label)
        .label_style((FAMILY, 13))
        .axis_desc_style((FAMILY, 14))
        .light_line_style(WHITE)
        .draw()?;
    for group in groups {
        let color = group.color;
        chart
            .draw_series(
                group
                    .points
                    .iter()
                    .map(move |&p| Circle::new(p, 2, color.mix(0.6).filled())),
            )?
            .label(group.name.as_str())
            .legend(move |(x, y)| Circle::new((x + 10, y), 4, color.filled()));
    }
    chart
        .configure_series_labels()
        .label_font((FAMILY, 13))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .draw()?;
    Ok(())
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

/// `range` widened to multiples of a round step (1, 2 or 5 times a power of ten, about five
/// to a range), and made non-empty.
pub fn nice_range((lo, hi): (f64, f64)) -> (f64, f64) {
    let (lo, hi) = if hi > lo {
        (lo, hi)
    } else {
        (lo - 0.5, hi + 0.5)
    };
    let raw = (hi - lo) / 5.0;
    let power = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .find(|m| m * power >= raw)
        .unwrap_or(10.0)
        * power;
    ((lo / step).floor() * step, (hi / step).ceil() * step)
}

#[cfg(test)]
mod tests {
    use plotters::prelude::*;

    use super::{FONT, Series, bounds, line_chart, nice_range};

    #[test]
    fn the_embedded_font_parses() {
        let registered =
            plotters::style::register_font("test-family", plotters::style::FontStyle::Normal, FONT);
        assert!(registered.is_ok());
    }

    #[test]
    fn a_chart_draws_its_title_with_the_embedded_font() {
        let (width, height) = (400_u32, 300_u32);
        let mut pixels = vec![255_u8; (width * height * 3) as usize];
        {
            let area = BitMapBackend::with_buffer(&mut pixels, (width, height)).into_drawing_area();
            let series = [Series {
                name: "loss",
                points: vec![(1.0, 0.5), (2.0, 0.25)],
            }];
            line_chart(&area, "Title", ("epoch", "loss"), &series, None).unwrap();
            area.present().unwrap();
        }
        // The caption sits in the top 30 rows, above the plotting frame: any dark pixel there
        // is a glyph.
        let dark = pixels[..(30 * width * 3) as usize]
            .chunks(3)
            .filter(|rgb| rgb.iter().all(|&c| c < 128))
            .count();
        assert!(dark > 20, "{dark} dark pixels in the title band");
    }

    #[test]
    fn ranges_widen_to_round_steps() {
        // A span of 0.78 gives steps of 0.2.
        let (lo, hi) = nice_range((0.13, 0.91));
        assert!(lo.abs() < 1e-12 && (hi - 1.0).abs() < 1e-12, "{lo} {hi}");
        // An empty range is widened by half a unit each way, then rounded out to steps of 0.2.
        let (lo, hi) = nice_range((3.0, 3.0));
        assert!(
            (lo - 2.4).abs() < 1e-12 && (hi - 3.6).abs() < 1e-12,
            "{lo} {hi}"
        );
        assert_eq!(bounds([f64::NAN, 2.0, -1.0].into_iter()), (-1.0, 2.0));
        assert_eq!(bounds(std::iter::empty()), (0.0, 1.0));
    }
}
