//! Server-side charts as plain geometry: functions take labels and numbers and lay out a
//! chart (bars with x, y, width, height, and where their labels go). Templates draw the
//! SVG elements from these numbers, so no markup is ever passed through unescaped; the
//! `to_svg` methods draw the same chart as a standalone SVG document (every text escaped),
//! for the chart downloads and the unit tests.

use serde::Serialize;
use std::fmt::Write;

/// Escape text for XML content and attribute values.
pub fn escape_xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

/// Round a coordinate to one decimal (keeps the SVG small and stable).
pub fn r1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

/// "Nice" axis ticks from 0 to at least `max`, about `target` of them (steps of 1, 2 or 5 × 10ⁿ).
pub fn nice_ticks(max: i64, target: usize) -> Vec<i64> {
    let max = max.max(1);
    let target = target.max(1) as f64;
    let raw = max as f64 / target;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * magnitude)
        .max(1.0)
        .round() as i64;
    let mut ticks = vec![0];
    while *ticks.last().unwrap_or(&0) < max {
        ticks.push(ticks.last().unwrap_or(&0) + step);
    }
    ticks
}

/// One axis tick: its value, its label and where it goes along the value axis.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tick {
    pub value: i64,
    pub label: String,
    pub pos: f64,
}

/// One bar of a horizontal bar chart.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HBar {
    pub label: String,
    pub value: i64,
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
    /// Where the category label ends (text-anchor end) and its baseline.
    pub label_x: f64,
    pub text_y: f64,
    /// Where the value is written, just past the bar's end.
    pub value_x: f64,
}

/// A horizontal bar chart, largest first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HBarChart {
    pub title: String,
    pub width: f64,
    pub height: f64,
    /// The plot area: left edge, top, width, bottom.
    pub plot_x: f64,
    pub plot_y: f64,
    pub plot_width: f64,
    pub plot_bottom: f64,
    pub bars: Vec<HBar>,
    /// Ticks along the value axis (x), for grid lines and labels below the plot.
    pub ticks: Vec<Tick>,
    pub tick_label_y: f64,
}

const BAR: f64 = 14.0;
const GAP: f64 = 4.0;
const LABEL_WIDTH: f64 = 270.0;
const TOP: f64 = 8.0;
const FOOT: f64 = 30.0;

/// Lay out a horizontal bar chart of `items` (label, value), sorted largest first (ties
/// alphabetically), `width` pixels wide.
pub fn horizontal_bars(title: &str, items: &[(String, i64)], width: f64) -> HBarChart {
    let mut items: Vec<(String, i64)> = items.to_vec();
    items.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    horizontal_bars_in_order(title, &items, width)
}

/// Lay out a horizontal bar chart of `items` in the order given (a funnel, a fixed list).
pub fn horizontal_bars_in_order(title: &str, items: &[(String, i64)], width: f64) -> HBarChart {
    let max = items.iter().map(|(_, v)| *v).max().unwrap_or(0);
    let ticks = nice_ticks(max, 5);
    let top_tick = *ticks.last().unwrap_or(&1) as f64;
    let plot_x = LABEL_WIDTH;
    // Leave room after the longest bar for its value.
    let plot_width = (width - plot_x - 50.0).max(50.0);
    let scale = plot_width / top_tick.max(1.0);
    let bars: Vec<HBar> = items
        .iter()
        .enumerate()
        .map(|(i, (label, value))| {
            let y = TOP + i as f64 * (BAR + GAP);
            let w = (*value).max(0) as f64 * scale;
            HBar {
                label: label.clone(),
                value: *value,
                x: plot_x,
                y: r1(y),
                width: r1(w),
                height: BAR,
                label_x: plot_x - 6.0,
                text_y: r1(y + BAR - 3.0),
                value_x: r1(plot_x + w + 4.0),
            }
        })
        .collect();
    let plot_bottom = TOP + items.len() as f64 * (BAR + GAP);
    HBarChart {
        title: title.to_string(),
        width,
        height: r1(plot_bottom + FOOT),
        plot_x,
        plot_y: TOP,
        plot_width: r1(plot_width),
        plot_bottom: r1(plot_bottom),
        ticks: ticks
            .iter()
            .map(|t| Tick { value: *t, label: t.to_string(), pos: r1(plot_x + *t as f64 * scale) })
            .collect(),
        tick_label_y: r1(plot_bottom + 16.0),
        bars,
    }
}

impl HBarChart {
    /// The chart as a standalone SVG document.
    pub fn to_svg(&self) -> String {
        let mut s = svg_open(self.width, self.height, &self.title);
        for t in &self.ticks {
            let _ = write!(
                s,
                r##"<line x1="{x}" y1="{y1}" x2="{x}" y2="{y2}" stroke="#c8c8c8"/><text x="{x}" y="{ly}" text-anchor="middle" font-size="12">{l}</text>"##,
                x = t.pos,
                y1 = self.plot_y,
                y2 = self.plot_bottom,
                ly = self.tick_label_y,
                l = escape_xml(&t.label)
            );
        }
        for b in &self.bars {
            let label = escape_xml(&b.label);
            let _ = write!(
                s,
                r##"<g><title>{label}: {v}</title><text x="{lx}" y="{ty}" text-anchor="end" font-size="12">{label}</text><rect x="{x}" y="{y}" width="{w}" height="{h}" fill="#0b5394"/><text x="{vx}" y="{ty}" font-size="12">{v}</text></g>"##,
                v = b.value,
                lx = b.label_x,
                ty = b.text_y,
                x = b.x,
                y = b.y,
                w = b.width,
                h = b.height,
                vx = b.value_x,
            );
        }
        s.push_str("</svg>");
        s
    }
}

/// One column of a column chart.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Column {
    pub label: String,
    pub value: i64,
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
    /// Whether this column's label is written under the axis (labels thin out when many).
    pub show_label: bool,
    pub label_x: f64,
}

/// A column chart (e.g. cribs by month), in the order given.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ColumnChart {
    pub title: String,
    pub width: f64,
    pub height: f64,
    pub plot_x: f64,
    pub plot_y: f64,
    pub plot_right: f64,
    pub plot_bottom: f64,
    pub columns: Vec<Column>,
    /// Ticks along the value axis (y).
    pub ticks: Vec<Tick>,
    pub tick_label_x: f64,
    pub label_y: f64,
}

/// Lay out a column chart of `items` (label, value) in `width` × `height` pixels. At most
/// about twelve labels are written under the axis; every column keeps its label for its `<title>`.
pub fn columns(title: &str, items: &[(String, i64)], width: f64, height: f64) -> ColumnChart {
    let (plot_x, plot_y, right_pad, foot) = (48.0, 10.0, 10.0, 28.0);
    let plot_right = width - right_pad;
    let plot_bottom = height - foot;
    let plot_h = plot_bottom - plot_y;
    let max = items.iter().map(|(_, v)| *v).max().unwrap_or(0);
    let ticks = nice_ticks(max, 4);
    let top_tick = *ticks.last().unwrap_or(&1) as f64;
    let scale = plot_h / top_tick.max(1.0);
    let n = items.len().max(1);
    let slot = (plot_right - plot_x) / n as f64;
    let every = n.div_ceil(12).max(1);
    let cols = items
        .iter()
        .enumerate()
        .map(|(i, (label, value))| {
            let h = (*value).max(0) as f64 * scale;
            let x = plot_x + i as f64 * slot + slot * 0.1;
            let y = r1(plot_bottom - h);
            Column {
                label: label.clone(),
                value: *value,
                x: r1(x),
                y,
                width: r1((slot * 0.8).max(0.5)),
                height: r1(plot_bottom - y),
                show_label: i % every == 0,
                label_x: r1(plot_x + i as f64 * slot + slot / 2.0),
            }
        })
        .collect();
    ColumnChart {
        title: title.to_string(),
        width,
        height,
        plot_x,
        plot_y,
        plot_right,
        plot_bottom,
        columns: cols,
        ticks: ticks
            .iter()
            .map(|t| Tick { value: *t, label: t.to_string(), pos: r1(plot_bottom - *t as f64 * scale) })
            .collect(),
        tick_label_x: plot_x - 6.0,
        label_y: plot_bottom + 18.0,
    }
}

impl ColumnChart {
    /// The chart as a standalone SVG document.
    pub fn to_svg(&self) -> String {
        let mut s = svg_open(self.width, self.height, &self.title);
        for t in &self.ticks {
            let _ = write!(
                s,
                r##"<line x1="{x1}" y1="{y}" x2="{x2}" y2="{y}" stroke="#c8c8c8"/><text x="{lx}" y="{ty}" text-anchor="end" font-size="12">{l}</text>"##,
                x1 = self.plot_x,
                x2 = self.plot_right,
                y = t.pos,
                lx = self.tick_label_x,
                ty = r1(t.pos + 4.0),
                l = escape_xml(&t.label)
            );
        }
        for c in &self.columns {
            let label = escape_xml(&c.label);
            let _ = write!(
                s,
                r##"<rect x="{x}" y="{y}" width="{w}" height="{h}" fill="#0b5394"><title>{label}: {v}</title></rect>"##,
                x = c.x,
                y = c.y,
                w = c.width,
                h = c.height,
                v = c.value,
            );
            if c.show_label {
                let _ = write!(
                    s,
                    r#"<text x="{x}" y="{y}" text-anchor="middle" font-size="11">{label}</text>"#,
                    x = c.label_x,
                    y = self.label_y
                );
            }
        }
        s.push_str("</svg>");
        s
    }
}

/// One dot of a scatter chart.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Dot {
    pub label: String,
    pub x_value: f64,
    pub y_value: i64,
    pub cx: f64,
    pub cy: f64,
}

/// A scatter chart: one dot per item, a value axis each way.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScatterChart {
    pub title: String,
    pub x_axis: String,
    pub y_axis: String,
    pub width: f64,
    pub height: f64,
    pub plot_x: f64,
    pub plot_y: f64,
    pub plot_right: f64,
    pub plot_bottom: f64,
    pub dots: Vec<Dot>,
    /// Ticks along x (positions are x coordinates) and y (positions are y coordinates).
    pub x_ticks: Vec<Tick>,
    pub y_ticks: Vec<Tick>,
}

/// Lay out a scatter chart of `items` (label, x, y) in `width` × `height` pixels.
pub fn scatter(
    title: &str,
    x_axis: &str,
    y_axis: &str,
    items: &[(String, f64, i64)],
    width: f64,
    height: f64,
) -> ScatterChart {
    let (plot_x, plot_y, plot_right, plot_bottom) = (56.0, 10.0, width - 12.0, height - 44.0);
    let max_x = items.iter().map(|(_, x, _)| *x).fold(0.0, f64::max).ceil() as i64;
    let max_y = items.iter().map(|(_, _, y)| *y).max().unwrap_or(0);
    let x_ticks = nice_ticks(max_x, 5);
    let y_ticks = nice_ticks(max_y, 4);
    let x_top = *x_ticks.last().unwrap_or(&1) as f64;
    let y_top = *y_ticks.last().unwrap_or(&1) as f64;
    let sx = (plot_right - plot_x) / x_top.max(1.0);
    let sy = (plot_bottom - plot_y) / y_top.max(1.0);
    ScatterChart {
        title: title.to_string(),
        x_axis: x_axis.to_string(),
        y_axis: y_axis.to_string(),
        width,
        height,
        plot_x,
        plot_y,
        plot_right,
        plot_bottom,
        dots: items
            .iter()
            .map(|(label, x, y)| Dot {
                label: label.clone(),
                x_value: *x,
                y_value: *y,
                cx: r1(plot_x + x.max(0.0) * sx),
                cy: r1(plot_bottom - (*y).max(0) as f64 * sy),
            })
            .collect(),
        x_ticks: x_ticks
            .iter()
            .map(|t| Tick { value: *t, label: t.to_string(), pos: r1(plot_x + *t as f64 * sx) })
            .collect(),
        y_ticks: y_ticks
            .iter()
            .map(|t| Tick { value: *t, label: t.to_string(), pos: r1(plot_bottom - *t as f64 * sy) })
            .collect(),
    }
}

impl ScatterChart {
    /// The chart as a standalone SVG document.
    pub fn to_svg(&self) -> String {
        let mut s = svg_open(self.width, self.height, &self.title);
        for t in &self.x_ticks {
            let _ = write!(
                s,
                r##"<line x1="{x}" y1="{y1}" x2="{x}" y2="{y2}" stroke="#c8c8c8"/><text x="{x}" y="{ty}" text-anchor="middle" font-size="12">{l}</text>"##,
                x = t.pos,
                y1 = self.plot_y,
                y2 = self.plot_bottom,
                ty = self.plot_bottom + 16.0,
                l = escape_xml(&t.label)
            );
        }
        for t in &self.y_ticks {
            let _ = write!(
                s,
                r##"<line x1="{x1}" y1="{y}" x2="{x2}" y2="{y}" stroke="#c8c8c8"/><text x="{tx}" y="{ty}" text-anchor="end" font-size="12">{l}</text>"##,
                x1 = self.plot_x,
                x2 = self.plot_right,
                y = t.pos,
                tx = self.plot_x - 6.0,
                ty = r1(t.pos + 4.0),
                l = escape_xml(&t.label)
            );
        }
        let _ = write!(
            s,
            r#"<text x="{x}" y="{y}" text-anchor="middle" font-size="12">{l}</text>"#,
            x = r1((self.plot_x + self.plot_right) / 2.0),
            y = self.height - 6.0,
            l = escape_xml(&self.x_axis)
        );
        let _ = write!(
            s,
            r#"<text x="14" y="{y}" text-anchor="middle" font-size="12" transform="rotate(-90 14 {y})">{l}</text>"#,
            y = r1((self.plot_y + self.plot_bottom) / 2.0),
            l = escape_xml(&self.y_axis)
        );
        for d in &self.dots {
            let _ = write!(
                s,
                r##"<circle cx="{cx}" cy="{cy}" r="4" fill="#0b5394" fill-opacity="0.75"><title>{l}: {x}, {y}</title></circle>"##,
                cx = d.cx,
                cy = d.cy,
                l = escape_xml(&d.label),
                x = d.x_value,
                y = d.y_value
            );
        }
        s.push_str("</svg>");
        s
    }
}

fn svg_open(width: f64, height: f64, title: &str) -> String {
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" aria-label="{t}" font-family="sans-serif"><title>{t}</title>"#,
        t = escape_xml(title)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(v: &[(&str, i64)]) -> Vec<(String, i64)> {
        v.iter().map(|(l, n)| (l.to_string(), *n)).collect()
    }

    #[test]
    fn ticks_are_round_and_cover_the_maximum() {
        assert_eq!(nice_ticks(0, 5), vec![0, 1]);
        assert_eq!(nice_ticks(7, 5), vec![0, 2, 4, 6, 8]);
        assert_eq!(nice_ticks(100, 5), vec![0, 20, 40, 60, 80, 100]);
        assert_eq!(nice_ticks(1234, 5), vec![0, 500, 1000, 1500]);
    }

    #[test]
    fn horizontal_bars_are_sorted_and_scaled() {
        let c = horizontal_bars("Cribs by CSA", &items(&[("B", 5), ("A", 10), ("C", 0), ("D", 5)]), 720.0);
        let order: Vec<&str> = c.bars.iter().map(|b| b.label.as_str()).collect();
        assert_eq!(order, ["A", "B", "D", "C"]);
        assert_eq!(c.bars[0].width, c.plot_width, "the largest bar reaches the top tick (10)");
        assert_eq!(c.bars[1].width * 2.0, c.bars[0].width);
        assert_eq!(c.bars[3].width, 0.0);
        assert!(c.bars.windows(2).all(|w| w[1].y > w[0].y), "one row each, top to bottom");
        assert_eq!(c.ticks.last().map(|t| t.pos), Some(c.plot_x + c.plot_width));
    }

    #[test]
    fn columns_thin_out_their_labels() {
        let many: Vec<(String, i64)> = (0..36).map(|i| (format!("m{i}"), i)).collect();
        let c = columns("By month", &many, 720.0, 240.0);
        assert_eq!(c.columns.len(), 36);
        assert_eq!(c.columns.iter().filter(|c| c.show_label).count(), 12);
        assert_eq!(c.columns[0].height, 0.0);
        assert!(c.columns[35].y < c.columns[1].y, "taller columns start higher");
        assert!(c.columns.iter().all(|col| (col.y + col.height - c.plot_bottom).abs() < 1e-9));
    }

    #[test]
    fn svg_text_is_escaped() {
        let c = horizontal_bars("A <b> & \"c\"", &items(&[("<script>alert(1)</script>", 3)]), 600.0);
        let svg = c.to_svg();
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("&lt;script&gt;alert(1)&lt;/script&gt;: 3"));
        assert!(svg.contains("<title>A &lt;b&gt; &amp; &quot;c&quot;</title>"));
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.ends_with("</svg>"));
        let m = columns("x", &items(&[("Jan & Feb", 2)]), 300.0, 200.0).to_svg();
        assert!(m.contains("Jan &amp; Feb"));
        assert!(!m.contains("style="), "presentation attributes only (CSP)");
    }

    #[test]
    fn scatter_places_dots_on_both_axes() {
        let pts = vec![("A & B".to_string(), 10.0, 40), ("C".to_string(), 0.0, 0), ("D".to_string(), 20.0, 80)];
        let c = scatter("Reach and need", "deaths per 1,000", "cribs", &pts, 600.0, 300.0);
        assert_eq!((c.dots[1].cx, c.dots[1].cy), (c.plot_x, c.plot_bottom), "zero at the origin");
        assert_eq!(c.dots[2].cx, c.plot_right, "20 is the top x tick");
        assert_eq!(c.dots[2].cy, c.plot_y, "80 is the top y tick");
        assert!((c.dots[0].cx - (c.plot_x + c.plot_right) / 2.0).abs() < 0.06);
        let svg = c.to_svg();
        assert!(svg.contains("<title>A &amp; B: 10, 40</title>"));
        assert_eq!(svg.matches("<circle").count(), 3);
    }

    #[test]
    fn escape_drops_control_characters() {
        assert_eq!(escape_xml("a\u{1}b'"), "ab&#39;");
    }
}
