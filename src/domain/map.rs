//! The CSA map: the seeds' CSA boundaries (GeoJSON, WGS84 lon/lat) projected to screen
//! pixels once, on first use, with a plain equirectangular projection scaled by the cosine
//! of the city's middle latitude (at Baltimore's size the distortion is invisible), then
//! simplified with Douglas–Peucker to about a pixel so the inline SVG stays small; and the
//! choropleth classes (five equal steps of cribs, plus "none") with their legend.

use serde::Serialize;
use serde_json::Value;
use std::fmt::Write;
use std::sync::OnceLock;

const CSA_GEOJSON: &str = include_str!("../../seeds/baltimore_csas.geojson");

/// Width of the drawn map in pixels; the height follows the city's shape.
pub const MAP_WIDTH: f64 = 560.0;
/// Simplification tolerance in pixels.
pub const TOLERANCE_PX: f64 = 0.8;
const PAD: f64 = 4.0;

/// A point in the plane (lon/lat degrees before projection, pixels after).
pub type Point = (f64, f64);

/// The bounding box of points: (min x, min y, max x, max y).
pub fn bounds<'a>(points: impl Iterator<Item = &'a Point>) -> Option<(f64, f64, f64, f64)> {
    points.fold(None, |acc, &(x, y)| match acc {
        None => Some((x, y, x, y)),
        Some((a, b, c, d)) => Some((a.min(x), b.min(y), c.max(x), d.max(y))),
    })
}

/// An equirectangular projection fitted to a box: lon/lat → pixels, north up.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Projection {
    lon0: f64,
    lat1: f64,
    kx: f64,
    scale: f64,
    pad: f64,
}

impl Projection {
    /// Fit the lon/lat box `(min lon, min lat, max lon, max lat)` into `width` pixels (plus
    /// padding); returns the projection and the height it needs.
    pub fn fit(b: (f64, f64, f64, f64), width: f64, pad: f64) -> (Projection, f64) {
        let (lon0, lat0, lon1, lat1) = b;
        let kx = ((lat0 + lat1) / 2.0).to_radians().cos();
        let span_x = ((lon1 - lon0) * kx).max(f64::EPSILON);
        let scale = (width - 2.0 * pad) / span_x;
        let height = (lat1 - lat0) * scale + 2.0 * pad;
        (Projection { lon0, lat1, kx, scale, pad }, height)
    }
    /// Project one lon/lat point to pixels.
    pub fn project(&self, (lon, lat): Point) -> Point {
        (self.pad + (lon - self.lon0) * self.kx * self.scale, self.pad + (self.lat1 - lat) * self.scale)
    }
}

fn distance_to_segment(p: Point, a: Point, b: Point) -> f64 {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let len2 = dx * dx + dy * dy;
    if len2 == 0.0 {
        return ((p.0 - a.0).powi(2) + (p.1 - a.1).powi(2)).sqrt();
    }
    let t = (((p.0 - a.0) * dx + (p.1 - a.1) * dy) / len2).clamp(0.0, 1.0);
    let (cx, cy) = (a.0 + t * dx, a.1 + t * dy);
    ((p.0 - cx).powi(2) + (p.1 - cy).powi(2)).sqrt()
}

/// Douglas–Peucker: keep the first and last points and every point farther than
/// `tolerance` from the simplified line (iterative, so long rings cannot overflow the stack).
pub fn simplify(points: &[Point], tolerance: f64) -> Vec<Point> {
    if points.len() <= 2 {
        return points.to_vec();
    }
    let mut keep = vec![false; points.len()];
    keep[0] = true;
    keep[points.len() - 1] = true;
    let mut stack = vec![(0usize, points.len() - 1)];
    while let Some((first, last)) = stack.pop() {
        let mut far = (0.0, 0usize);
        for i in first + 1..last {
            let d = distance_to_segment(points[i], points[first], points[last]);
            if d > far.0 {
                far = (d, i);
            }
        }
        if far.0 > tolerance {
            keep[far.1] = true;
            stack.push((first, far.1));
            stack.push((far.1, last));
        }
    }
    points.iter().zip(keep).filter_map(|(p, k)| k.then_some(*p)).collect()
}

/// Simplify a closed ring (first point = last point). A ring is split at its first point
/// and the point farthest from it, so that both halves keep their shape; rings that shrink
/// below a triangle come back empty.
pub fn simplify_ring(ring: &[Point], tolerance: f64) -> Vec<Point> {
    if ring.len() < 4 {
        return Vec::new();
    }
    let first = ring[0];
    let far = (1..ring.len() - 1)
        .max_by(|&a, &b| {
            let da = (ring[a].0 - first.0).powi(2) + (ring[a].1 - first.1).powi(2);
            let db = (ring[b].0 - first.0).powi(2) + (ring[b].1 - first.1).powi(2);
            da.total_cmp(&db)
        })
        .unwrap_or(1);
    let mut out = simplify(&ring[..=far], tolerance);
    out.pop();
    out.extend(simplify(&ring[far..], tolerance));
    // `out` is closed (ends on the first point); a polygon needs three distinct corners.
    if out.len() < 4 {
        return Vec::new();
    }
    out
}

/// An SVG path `d` for closed rings of pixel points: `M x y L x y … Z` per ring, one decimal.
pub fn path_d(rings: &[Vec<Point>]) -> String {
    let mut d = String::new();
    for ring in rings {
        // The closing point repeats the first; `Z` draws that edge.
        let open = ring.len().saturating_sub(1).max(1);
        for (i, (x, y)) in ring.iter().take(open).enumerate() {
            match i {
                0 if d.is_empty() => d.push('M'),
                0 => d.push_str(" M"),
                1 => d.push_str(" L"),
                _ => d.push(' '),
            }
            let _ = write!(d, "{} {}", fmt1(*x), fmt1(*y));
        }
        d.push('Z');
    }
    d
}

fn fmt1(v: f64) -> String {
    let r = (v * 10.0).round() / 10.0;
    if r.fract() == 0.0 {
        format!("{}", r as i64)
    } else {
        format!("{r:.1}")
    }
}

/// One CSA's outline, ready to draw.
#[derive(Debug, Clone, Serialize)]
pub struct CsaShape {
    /// None for the one polygon that is no CSA (the city jail).
    pub csa_id: Option<i32>,
    pub name: String,
    pub d: String,
}

/// The projected, simplified CSA map.
#[derive(Debug, Clone, Serialize)]
pub struct CsaMap {
    pub width: f64,
    pub height: f64,
    pub shapes: Vec<CsaShape>,
    /// Vertices before and after simplification (for the curious and the tests).
    pub vertices_in: usize,
    pub vertices_out: usize,
}

fn rings_of(geometry: &Value) -> Vec<Vec<Point>> {
    let polygons: Vec<&Value> = match geometry["type"].as_str() {
        Some("Polygon") => vec![&geometry["coordinates"]],
        Some("MultiPolygon") => geometry["coordinates"].as_array().map(|a| a.iter().collect()).unwrap_or_default(),
        _ => Vec::new(),
    };
    let mut rings = Vec::new();
    for polygon in polygons {
        for ring in polygon.as_array().into_iter().flatten() {
            let points: Vec<Point> = ring
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|p| Some((p.get(0)?.as_f64()?, p.get(1)?.as_f64()?)))
                .collect();
            if !points.is_empty() {
                rings.push(points);
            }
        }
    }
    rings
}

/// Project and simplify a GeoJSON FeatureCollection of CSAs (properties `csa_id`, `csa_name`).
pub fn build_map(geojson: &str, width: f64, tolerance: f64) -> Result<CsaMap, String> {
    let doc: Value = serde_json::from_str(geojson).map_err(|e| format!("not JSON: {e}"))?;
    let features = doc["features"].as_array().ok_or("no features")?;
    let parsed: Vec<(Option<i32>, String, Vec<Vec<Point>>)> = features
        .iter()
        .map(|f| {
            let id = f["properties"]["csa_id"].as_i64().and_then(|i| i32::try_from(i).ok());
            let name = f["properties"]["csa_name"].as_str().unwrap_or("").to_string();
            (id, name, rings_of(&f["geometry"]))
        })
        .collect();
    let b = bounds(parsed.iter().flat_map(|(_, _, rings)| rings.iter().flatten())).ok_or("no coordinates")?;
    let (proj, height) = Projection::fit(b, width, PAD);
    let (mut vertices_in, mut vertices_out) = (0, 0);
    let shapes = parsed
        .into_iter()
        .map(|(csa_id, name, rings)| {
            let mut kept: Vec<Vec<Point>> = Vec::new();
            let mut largest: Option<Vec<Point>> = None;
            for ring in &rings {
                vertices_in += ring.len();
                let px: Vec<Point> = ring.iter().map(|p| proj.project(*p)).collect();
                let s = simplify_ring(&px, tolerance);
                if s.is_empty() {
                    if largest.as_ref().is_none_or(|l| l.len() < px.len()) {
                        largest = Some(px);
                    }
                } else {
                    kept.push(s);
                }
            }
            // NOTE: a CSA whose every ring is under a pixel still gets drawn, unsimplified.
            if kept.is_empty() {
                kept.extend(largest);
            }
            vertices_out += kept.iter().map(Vec::len).sum::<usize>();
            CsaShape { csa_id, name, d: path_d(&kept) }
        })
        .collect();
    Ok(CsaMap { width, height: (height * 10.0).round() / 10.0, shapes, vertices_in, vertices_out })
}

/// The seeds' CSA map, built once.
pub fn csa_map() -> &'static CsaMap {
    static MAP: OnceLock<CsaMap> = OnceLock::new();
    MAP.get_or_init(|| {
        build_map(CSA_GEOJSON, MAP_WIDTH, TOLERANCE_PX).unwrap_or_else(|e| {
            tracing::error!("seeds/baltimore_csas.geojson cannot be drawn: {e}");
            CsaMap { width: MAP_WIDTH, height: 10.0, shapes: Vec::new(), vertices_in: 0, vertices_out: 0 }
        })
    })
}

/// Fill colours, light to dark (ColorBrewer "Blues", 5 classes), and the fill for zero.
pub const FILLS: [&str; 5] = ["#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c"];
/// The fill of a CSA with no cribs.
pub const FILL_NONE: &str = "#f4f4f4";
/// The fill of the area that is no CSA.
pub const FILL_NO_DATA: &str = "#d9d9d9";

/// One legend entry: the range of values and its fill.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LegendEntry {
    pub label: String,
    pub fill: &'static str,
}

/// Five equal classes from 1 to the largest value: the upper bound of each class.
pub fn class_breaks(max: i64) -> Vec<i64> {
    let step = ((max.max(1) + 4) / 5).max(1);
    (1..=5).map(|i| i * step).collect()
}

/// The class (0..5) of a positive value, or None for zero.
pub fn class_of(value: i64, breaks: &[i64]) -> Option<usize> {
    if value <= 0 {
        return None;
    }
    Some(breaks.iter().position(|b| value <= *b).unwrap_or(breaks.len().saturating_sub(1)))
}

/// The fill of a value.
pub fn fill_of(value: i64, breaks: &[i64]) -> &'static str {
    class_of(value, breaks).and_then(|c| FILLS.get(c).copied()).unwrap_or(FILL_NONE)
}

/// The legend: "0", then each class's range.
pub fn legend(breaks: &[i64]) -> Vec<LegendEntry> {
    let mut out = vec![LegendEntry { label: "0".into(), fill: FILL_NONE }];
    let mut low = 1;
    for (b, fill) in breaks.iter().zip(FILLS) {
        let label = if low == *b { b.to_string() } else { format!("{low}–{b}") };
        out.push(LegendEntry { label, fill });
        low = b + 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_projection_keeps_north_up_and_shrinks_longitude() {
        // A box one degree square around latitude 60°: longitude shrinks to half.
        let (p, height) = Projection::fit((10.0, 59.5, 11.0, 60.5), 100.0, 0.0);
        assert_eq!(p.project((10.0, 60.5)), (0.0, 0.0), "north-west corner at the origin");
        let (x, y) = p.project((11.0, 59.5));
        assert!((x - 100.0).abs() < 1e-9, "east edge at the width");
        let kx = 60f64.to_radians().cos();
        assert!((y - 100.0 / kx).abs() < 1e-9, "a degree of latitude is 1/cos(lat) degrees of longitude");
        assert!((height - y).abs() < 1e-9);
    }

    #[test]
    fn douglas_peucker_drops_points_within_tolerance() {
        let wiggle = [(0.0, 0.0), (1.0, 0.1), (2.0, -0.1), (3.0, 0.05), (4.0, 0.0)];
        assert_eq!(simplify(&wiggle, 0.5), vec![(0.0, 0.0), (4.0, 0.0)], "wiggles under tolerance go");
        let corner = [(0.0, 0.0), (2.0, 0.1), (4.0, 0.0), (4.0, 4.0)];
        assert_eq!(simplify(&corner, 0.5), vec![(0.0, 0.0), (4.0, 0.0), (4.0, 4.0)], "corners stay");
        assert_eq!(simplify(&wiggle, 0.0).len(), wiggle.len(), "zero tolerance keeps every point");
    }

    #[test]
    fn rings_stay_closed_and_tiny_rings_vanish() {
        let square = [(0.0, 0.0), (5.0, 0.1), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0), (0.0, 0.0)];
        let s = simplify_ring(&square, 1.0);
        assert_eq!(s, vec![(0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0), (0.0, 0.0)]);
        let speck = [(0.0, 0.0), (0.2, 0.0), (0.2, 0.2), (0.0, 0.0)];
        assert!(simplify_ring(&speck, 1.0).is_empty());
        assert_eq!(path_d(&[s]), "M0 0 L10 0 10 10 0 10Z");
    }

    #[test]
    fn the_seed_map_is_small_and_complete() {
        let map = csa_map();
        assert_eq!(map.shapes.len(), 56, "55 CSAs and the jail");
        let ids: std::collections::BTreeSet<i32> = map.shapes.iter().filter_map(|s| s.csa_id).collect();
        assert_eq!(ids.len(), 55);
        assert!(map.shapes.iter().all(|s| s.d.starts_with('M') && s.d.ends_with('Z')));
        let bytes: usize = map.shapes.iter().map(|s| s.d.len()).sum();
        assert!(bytes < 120_000, "paths are {bytes} bytes");
        assert!(map.vertices_out * 5 < map.vertices_in, "{} of {} vertices kept", map.vertices_out, map.vertices_in);
        assert!(map.height > 300.0 && map.height < 1000.0);
    }

    #[test]
    fn five_equal_classes_and_a_legend() {
        assert_eq!(class_breaks(100), vec![20, 40, 60, 80, 100]);
        assert_eq!(class_breaks(0), vec![1, 2, 3, 4, 5]);
        let b = class_breaks(12);
        assert_eq!(b, vec![3, 6, 9, 12, 15]);
        assert_eq!(class_of(0, &b), None);
        assert_eq!(class_of(1, &b), Some(0));
        assert_eq!(class_of(12, &b), Some(3));
        assert_eq!(fill_of(0, &b), FILL_NONE);
        let l = legend(&class_breaks(5));
        assert_eq!(l.iter().map(|e| e.label.as_str()).collect::<Vec<_>>(), ["0", "1", "2", "3", "4", "5"]);
        assert_eq!(legend(&b)[1].label, "1–3");
    }
}
