//! The report's charts, each drawn with plotters' SVG backend into a `String`.
//!
//! One palette, one font family (`sans-serif`; the page's CSS maps it to the system's sans-serif),
//! light grids, units on every axis. Each function returns the SVG text or why it could not draw.

use plotters::coord::Shift;
use plotters::coord::ranged1d::SegmentedCoord;
use plotters::coord::types::RangedCoordi32;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::inputs::{OpenbReport, SwfReport};
use crate::bench::scale::ScaleReport;
use crate::sim::{SimReport, Timeline, WorkerEfficiency, WorkerLoad};
use crate::traces::ci::CiReport;

/// The palette (Tableau 10): distinct, colour-blind-friendly enough, and calm on white.
pub const PALETTE: [RGBColor; 10] = [
    RGBColor(78, 121, 167),
    RGBColor(242, 142, 43),
    RGBColor(225, 87, 89),
    RGBColor(118, 183, 178),
    RGBColor(89, 161, 79),
    RGBColor(237, 201, 72),
    RGBColor(176, 122, 161),
    RGBColor(255, 157, 167),
    RGBColor(156, 117, 95),
    RGBColor(186, 176, 172),
];
const BLUE: RGBColor = PALETTE[0];
const ORANGE: RGBColor = PALETTE[1];
const RED: RGBColor = PALETTE[2];
const TEAL: RGBColor = PALETTE[3];
const GREEN: RGBColor = PALETTE[4];
const PURPLE: RGBColor = PALETTE[6];
const GREY: RGBColor = PALETTE[9];
const TEXT: RGBColor = RGBColor(34, 34, 34);
const AXIS: RGBColor = RGBColor(150, 150, 150);
const GRID_BOLD: RGBColor = RGBColor(226, 226, 226);
const GRID_LIGHT: RGBColor = RGBColor(244, 244, 244);
const FONT: &str = "sans-serif";

type DrawResult = Result<(), Box<dyn std::error::Error>>;
type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

/// Draws into a fresh SVG of `size` pixels.
fn svg(size: (u32, u32), draw: impl FnOnce(&Area<'_>) -> DrawResult) -> Result<String, String> {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, size).into_drawing_area();
        root.fill(&WHITE).map_err(|error| error.to_string())?;
        draw(&root).map_err(|error| error.to_string())?;
        root.present().map_err(|error| error.to_string())?;
    }
    Ok(out)
}

/// The grid, axes and labels every chart shares.
macro_rules! styled_mesh {
    ($chart:expr) => {
        $chart
            .configure_mesh()
            .light_line_style(GRID_LIGHT)
            .bold_line_style(GRID_BOLD)
            .axis_style(AXIS)
            .label_style((FONT, 16).into_font().color(&TEXT))
            .axis_desc_style((FONT, 17).into_font().color(&TEXT))
    };
}

/// The right-hand axis of two-axis charts, styled as the mesh.
macro_rules! styled_secondary {
    ($chart:expr) => {
        $chart
            .configure_secondary_axes()
            .axis_style(AXIS)
            .label_style((FONT, 16).into_font().color(&TEXT))
            .axis_desc_style((FONT, 17).into_font().color(&TEXT))
    };
}

/// The legend every chart shares.
macro_rules! styled_legend {
    ($chart:expr, $position:expr) => {
        $chart
            .configure_series_labels()
            .position($position)
            .background_style(WHITE.mix(0.9))
            .border_style(GRID_BOLD)
            .label_font((FONT, 15).into_font().color(&TEXT))
            .draw()
    };
}

/// A chart builder with the shared caption, margin and axis label areas.
fn framed<'a, 'b, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    caption: impl AsRef<str>,
    margin: u32,
) -> ChartBuilder<'a, 'b, DB> {
    let mut builder = ChartBuilder::on(area);
    builder.caption(caption, caption_font()).margin(margin).x_label_area_size(44).y_label_area_size(70);
    builder
}

fn caption_font() -> TextStyle<'static> {
    (FONT, 20).into_font().color(&TEXT)
}

fn value_font() -> TextStyle<'static> {
    (FONT, 15).into_font().color(&TEXT).pos(Pos::new(HPos::Left, VPos::Center))
}

/// A line legend's mark.
fn line_mark(color: RGBColor) -> impl Fn((i32, i32)) -> PathElement<(i32, i32)> {
    move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(3))
}

/// A bar legend's mark.
fn box_mark(color: RGBColor) -> impl Fn((i32, i32)) -> Rectangle<(i32, i32)> {
    move |(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], color.filled())
}

/// A number with about three significant digits.
pub fn short(value: f64) -> String {
    let magnitude = value.abs();
    let whole = (value - value.round()).abs() < 1e-9;
    if magnitude == 0.0 {
        "0".to_owned()
    } else if magnitude >= 1e6 {
        format!("{:.2}M", value / 1e6)
    } else if magnitude >= 1e4 {
        format!("{:.0}k", value / 1e3)
    } else if magnitude >= 100.0 || whole {
        format!("{value:.0}")
    } else if magnitude >= 10.0 {
        format!("{value:.1}")
    } else if magnitude >= 0.01 {
        format!("{value:.2}")
    } else {
        format!("{value:.1e}")
    }
}

/// The x axis of a run: seconds, or minutes for runs over two hours.
fn time_axis(timeline_seconds: f64) -> (f64, &'static str) {
    if timeline_seconds > 7_200.0 { (60.0, "simulated time (min)") } else { (1.0, "simulated time (s)") }
}

/// Positive bounds for a log axis over `values` (zeros ignored), with some room.
fn log_bounds(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (low, high) = values
        .filter(|value| *value > 0.0 && value.is_finite())
        .fold((f64::INFINITY, 0.0f64), |(low, high), value| (low.min(value), high.max(value)));
    if high == 0.0 { (0.1, 1.0) } else { (low / 1.5, high * 1.5) }
}

/// Upper bound of a linear axis starting at zero.
fn top(values: impl Iterator<Item = f64>) -> f64 {
    let high = values.filter(|value| value.is_finite()).fold(0.0f64, f64::max);
    if high > 0.0 { high * 1.1 } else { 1.0 }
}

/// One horizontal bar.
#[derive(Clone, Debug)]
pub struct Bar {
    /// The category.
    pub label: String,
    /// The bar's length.
    pub value: f64,
    /// Its colour.
    pub color: RGBColor,
    /// A whisker (low, middle, high), drawn over the bar.
    pub whisker: Option<(f64, f64, f64)>,
}

/// Horizontal bars, one per category, first at the top, with the value at the end of each bar.
pub fn horizontal_bars(title: &str, x_desc: &str, bars: &[Bar], log: bool, width: u32) -> Result<String, String> {
    let count = bars.len() as i32;
    let label_width = bars.iter().map(|bar| bar.label.chars().count()).max().unwrap_or(4) as u32 * 9 + 20;
    let height = (count as u32 * 28 + 110).max(200);
    let names: Vec<String> = bars.iter().map(|bar| bar.label.clone()).collect();
    let whisker_high = bars.iter().filter_map(|bar| bar.whisker.map(|(_, _, high)| high));
    let high = top(bars.iter().map(|bar| bar.value).chain(whisker_high)) * 1.12;
    let y_label = move |value: &SegmentValue<i32>| match value {
        SegmentValue::CenterOf(index) | SegmentValue::Exact(index) => {
            names.get((count - 1 - index) as usize).cloned().unwrap_or_default()
        }
        SegmentValue::Last => String::new(),
    };
    svg((width, height), |root| {
        let mut builder = ChartBuilder::on(root);
        builder
            .caption(title, caption_font())
            .margin(10)
            .margin_right(24)
            .x_label_area_size(50)
            .y_label_area_size(label_width);
        if log {
            let (low, high) = log_bounds(bars.iter().map(|bar| bar.value));
            let mut chart = builder.build_cartesian_2d((low..high * 2.0).log_scale(), (0..count).into_segmented())?;
            styled_mesh!(chart)
                .disable_y_mesh()
                .y_labels(bars.len() + 1)
                .y_label_formatter(&y_label)
                .x_labels(7)
                .x_label_formatter(&|value| short(*value))
                .x_desc(x_desc)
                .draw()?;
            draw_bars(&mut chart, bars, low)
        } else {
            let mut chart = builder.build_cartesian_2d(0.0..high, (0..count).into_segmented())?;
            styled_mesh!(chart)
                .disable_y_mesh()
                .y_labels(bars.len() + 1)
                .y_label_formatter(&y_label)
                .x_labels(7)
                .x_label_formatter(&|value| short(*value))
                .x_desc(x_desc)
                .draw()?;
            draw_bars(&mut chart, bars, 0.0)
        }
    })
}

fn draw_bars<X>(
    chart: &mut ChartContext<'_, SVGBackend<'_>, Cartesian2d<X, SegmentedCoord<RangedCoordi32>>>,
    bars: &[Bar],
    base: f64,
) -> DrawResult
where
    X: Ranged<ValueType = f64>,
{
    let count = bars.len() as i32;
    chart.draw_series(bars.iter().enumerate().map(|(index, bar)| {
        let row = count - 1 - index as i32;
        let mut rectangle = Rectangle::new(
            [(base, SegmentValue::Exact(row)), (bar.value.max(base), SegmentValue::Exact(row + 1))],
            bar.color.filled(),
        );
        rectangle.set_margin(4, 4, 0, 0);
        rectangle
    }))?;
    chart.draw_series(bars.iter().enumerate().filter_map(|(index, bar)| {
        let (low, _, high) = bar.whisker?;
        let row = SegmentValue::CenterOf(count - 1 - index as i32);
        Some(PathElement::new(vec![(low.max(base), row.clone()), (high.max(base), row)], TEXT.stroke_width(2)))
    }))?;
    chart.draw_series(bars.iter().enumerate().filter_map(|(index, bar)| {
        let (_, middle, _) = bar.whisker?;
        Some(Circle::new((middle.max(base), SegmentValue::CenterOf(count - 1 - index as i32)), 4, TEXT.filled()))
    }))?;
    chart.draw_series(bars.iter().enumerate().map(|(index, bar)| {
        let end = bar.whisker.map_or(bar.value, |(_, _, high)| high.max(bar.value));
        EmptyElement::at((end.max(base), SegmentValue::CenterOf(count - 1 - index as i32)))
            + Text::new(short(bar.value), (6, 0), value_font())
    }))?;
    Ok(())
}

/// Wait and response percentiles of a run, on a log axis.
pub fn percentiles(report: &SimReport) -> Result<String, String> {
    let mut bars = Vec::new();
    for (name, distribution, color) in
        [("wait", &report.wait_seconds, BLUE), ("response", &report.response_seconds, ORANGE)]
    {
        for (statistic, value) in [
            ("mean", distribution.mean),
            ("p50", distribution.p50),
            ("p99", distribution.p99),
            ("max", distribution.max),
        ] {
            bars.push(Bar { label: format!("{name} {statistic}"), value, color, whisker: None });
        }
    }
    horizontal_bars("wait and response (log scale)", "seconds", &bars, true, 560)
}

/// Throughput and latency over time: three aligned panels (tasks per second; wait mean and p99;
/// tick p99).
pub fn throughput(timeline: &Timeline) -> Result<String, String> {
    let intervals = timeline.arrivals.len();
    let span_seconds = intervals as f64 * timeline.interval_seconds;
    let (unit, x_desc) = time_axis(span_seconds);
    let x_end = span_seconds / unit;
    let at = |index: usize| (index as f64 + 0.5) * timeline.interval_seconds / unit;
    let rate = |counts: &[u64]| -> Vec<(f64, f64)> {
        counts.iter().enumerate().map(|(index, &count)| (at(index), count as f64 / timeline.interval_seconds)).collect()
    };
    let positive = |values: &mut dyn Iterator<Item = f64>| -> Vec<(f64, f64)> {
        values.enumerate().filter(|(_, value)| *value > 0.0).map(|(index, value)| (at(index), value)).collect()
    };
    let series = [
        ("arrivals", GREY, rate(&timeline.arrivals)),
        ("placements", BLUE, rate(&timeline.placements)),
        ("completions", GREEN, rate(&timeline.completions)),
    ];
    let wait_mean = positive(&mut timeline.wait_mean_seconds.iter().copied());
    let wait_p99 = positive(&mut timeline.wait_p99_seconds.iter().copied());
    let tick_p99 = positive(&mut timeline.tick_ns_p99.iter().map(|&ns| ns as f64 / 1e3));
    svg((1200, 760), |root| {
        let panels = root.split_evenly((3, 1));
        let rate_top = top(series.iter().flat_map(|(_, _, points)| points.iter().map(|point| point.1)));
        let mut chart = ChartBuilder::on(&panels[0])
            .caption("throughput: tasks per second", caption_font())
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(70)
            .build_cartesian_2d(0.0..x_end, 0.0..rate_top)?;
        styled_mesh!(chart)
            .y_desc("tasks/s")
            .x_label_formatter(&|value| short(*value))
            .y_label_formatter(&|value| short(*value))
            .draw()?;
        for (label, color, points) in &series {
            let color = *color;
            chart
                .draw_series(LineSeries::new(points.iter().copied(), color.stroke_width(2)))?
                .label(*label)
                .legend(line_mark(color));
        }
        styled_legend!(chart, SeriesLabelPosition::UpperRight)?;

        let (low, high) = log_bounds(wait_mean.iter().chain(&wait_p99).map(|point| point.1));
        let mut chart = ChartBuilder::on(&panels[1])
            .caption("latency: wait of the tasks first placed in each interval (log scale)", caption_font())
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(70)
            .build_cartesian_2d(0.0..x_end, (low..high).log_scale())?;
        styled_mesh!(chart)
            .y_desc("wait (s)")
            .x_label_formatter(&|value| short(*value))
            .y_label_formatter(&|value| short(*value))
            .draw()?;
        for (label, color, points) in [("mean", BLUE, &wait_mean), ("p99", RED, &wait_p99)] {
            chart
                .draw_series(LineSeries::new(points.iter().copied(), color.stroke_width(2)))?
                .label(label)
                .legend(line_mark(color));
        }
        styled_legend!(chart, SeriesLabelPosition::LowerRight)?;

        let (low, high) = log_bounds(tick_p99.iter().map(|point| point.1));
        let mut chart = framed(&panels[2], "engine tick time, p99 per interval (log scale)", 10)
            .build_cartesian_2d(0.0..x_end, (low..high).log_scale())?;
        styled_mesh!(chart)
            .x_desc(x_desc)
            .y_desc("tick p99 (µs)")
            .x_label_formatter(&|value| short(*value))
            .y_label_formatter(&|value| short(*value))
            .draw()?;
        chart.draw_series(LineSeries::new(tick_p99.iter().copied(), PURPLE.stroke_width(2)))?;
        Ok(())
    })
}

/// The colour of a busy share (0 to 1) on a viridis-like scale.
pub fn heat_color(share: f64) -> RGBColor {
    const STOPS: [(f64, (f64, f64, f64)); 5] = [
        (0.0, (68.0, 1.0, 84.0)),
        (0.25, (59.0, 82.0, 139.0)),
        (0.5, (33.0, 145.0, 140.0)),
        (0.75, (94.0, 201.0, 98.0)),
        (1.0, (253.0, 231.0, 37.0)),
    ];
    let share = if share.is_finite() { share.clamp(0.0, 1.0) } else { 0.0 };
    let upper = STOPS.iter().position(|(at, _)| *at >= share).unwrap_or(STOPS.len() - 1).max(1);
    let ((low_at, low), (high_at, high)) = (STOPS[upper - 1], STOPS[upper]);
    let t = (share - low_at) / (high_at - low_at);
    let mix = |a: f64, b: f64| (a + (b - a) * t).round() as u8;
    RGBColor(mix(low.0, high.0), mix(low.1, high.1), mix(low.2, high.2))
}

/// Levels a busy share is rounded to, so neighbouring cells of the same colour merge into one rectangle.
const HEAT_LEVELS: f64 = 40.0;

/// The workers × time heat map: each cell a row's busy share in an interval; rows grouped by hardware,
/// labelled by group, with a colour scale.
pub fn heat_map(load: &WorkerLoad) -> Result<String, String> {
    let rows = load.rows.len();
    let intervals = load.busy_share.first().map_or(0, Vec::len);
    if rows == 0 || intervals == 0 {
        return Err("the load matrix is empty".to_owned());
    }
    let span_seconds = intervals as f64 * load.interval_seconds;
    let (unit, x_desc) = time_axis(span_seconds);
    let x_end = span_seconds / unit;
    let row_height = (600 / rows).clamp(4, 24) as u32;
    let height = rows as u32 * row_height + 110;
    svg((1200, height), |root| {
        let (main, legend) = root.split_horizontally(1100);
        let mut chart = ChartBuilder::on(&main)
            .margin(10)
            .margin_top(16)
            .x_label_area_size(44)
            .y_label_area_size(190)
            .build_cartesian_2d(0.0..x_end, 0.0..rows as f64)?;
        styled_mesh!(chart)
            .disable_mesh()
            .disable_y_axis()
            .x_desc(x_desc)
            .x_label_formatter(&|value| short(*value))
            .draw()?;
        // Row 0 at the top; neighbouring cells of one colour level become one rectangle.
        let mut cells = Vec::new();
        for (row, shares) in load.busy_share.iter().enumerate() {
            let y_top = (rows - row) as f64;
            let mut start = 0usize;
            while start < shares.len() {
                let level = (shares[start] * HEAT_LEVELS).round();
                let mut end = start + 1;
                while end < shares.len() && (shares[end] * HEAT_LEVELS).round() == level {
                    end += 1;
                }
                let x0 = start as f64 * load.interval_seconds / unit;
                let x1 = end as f64 * load.interval_seconds / unit;
                cells.push(Rectangle::new([(x0, y_top - 1.0), (x1, y_top)], heat_color(level / HEAT_LEVELS).filled()));
                start = end;
            }
        }
        chart.draw_series(cells)?;
        // Group labels at the middle of each group's rows, and a white line between groups.
        let label_style = (FONT, 16).into_font().color(&TEXT).pos(Pos::new(HPos::Right, VPos::Center));
        let mut first = 0usize;
        while first < rows {
            let group = &load.rows[first].group;
            let mut last = first;
            while last + 1 < rows && &load.rows[last + 1].group == group {
                last += 1;
            }
            let workers: u32 = load.rows[first..=last].iter().map(|row| row.workers).sum();
            let middle = rows as f64 - (first + last + 1) as f64 / 2.0;
            let (x, y) = chart.backend_coord(&(0.0, middle));
            let label = if rows == load.rows.iter().map(|row| row.workers as usize).sum::<usize>() && first == last {
                load.rows[first].label.clone()
            } else {
                format!("{group} ({workers})")
            };
            if (last - first + 1) as u32 * row_height >= 12 || first == last {
                root.draw(&Text::new(label, (x - 8, y), label_style.clone()))?;
            }
            if first > 0 {
                let line_y = (rows - first) as f64;
                chart.draw_series(std::iter::once(PathElement::new(
                    vec![(0.0, line_y), (x_end, line_y)],
                    WHITE.stroke_width(2),
                )))?;
            }
            first = last + 1;
        }
        // The colour scale.
        let mut scale = ChartBuilder::on(&legend)
            .margin(10)
            .margin_top(16)
            .x_label_area_size(44)
            .y_label_area_size(50)
            .build_cartesian_2d(0.0..1.0, 0.0..100.0)?;
        styled_mesh!(scale)
            .disable_mesh()
            .disable_x_axis()
            .y_labels(6)
            .y_label_formatter(&|value| format!("{value:.0}%"))
            .draw()?;
        scale.draw_series((0..50).map(|step| {
            let low = f64::from(step) * 2.0;
            Rectangle::new([(0.0, low), (1.0, low + 2.0)], heat_color((low + 1.0) / 100.0).filled())
        }))?;
        Ok(())
    })
}

/// A tick-time line of the scalability chart: its label, colour and value per row.
type TickSeries = (&'static str, RGBColor, fn(&crate::bench::scale::ScaleRow) -> u64);

/// The scalability curve: placements per second and tick times against pool size, log-log.
pub fn scalability(report: &ScaleReport) -> Result<String, String> {
    let rows = &report.rows;
    if rows.is_empty() {
        return Err("the scale report has no rows".to_owned());
    }
    let (x_low, x_high) = log_bounds(rows.iter().map(|row| f64::from(row.workers)));
    let micros = |ns: u64| ns as f64 / 1e3;
    svg((1200, 440), |root| {
        let (left, right) = root.split_horizontally(600);
        let (low, high) = log_bounds(rows.iter().map(|row| row.placements_per_second));
        let mut chart = framed(&left, "placements per second of engine time", 12)
            .build_cartesian_2d((x_low..x_high).log_scale(), (low..high * 1.3).log_scale())?;
        styled_mesh!(chart)
            .x_desc("workers (log scale)")
            .y_desc("placements/s (log scale)")
            .y_labels(6)
            .x_label_formatter(&|value| short(*value))
            .y_label_formatter(&|value| short(*value))
            .draw()?;
        let points: Vec<(f64, f64)> =
            rows.iter().map(|row| (f64::from(row.workers), row.placements_per_second)).collect();
        chart.draw_series(LineSeries::new(points.clone(), BLUE.stroke_width(3)))?;
        chart.draw_series(points.iter().map(|&point| Circle::new(point, 5, BLUE.filled())))?;
        chart.draw_series(points.iter().map(|&point| {
            EmptyElement::at(point) + Text::new(short(point.1), (8, -20), (FONT, 15).into_font().color(&TEXT))
        }))?;

        let series: [TickSeries; 3] = [
            ("tick p50", GREEN, |row| row.tick_ns_p50),
            ("tick p99", RED, |row| row.tick_ns_p99),
            ("tick p99, 10 pending per worker", PURPLE, |row| row.backlog_tick_ns_p99),
        ];
        let (low, high) =
            log_bounds(rows.iter().flat_map(|row| series.iter().map(move |(_, _, value)| micros(value(row)))));
        let mut chart = framed(&right, "engine tick time", 12)
            .build_cartesian_2d((x_low..x_high).log_scale(), (low / 4.0..high * 1.5).log_scale())?;
        styled_mesh!(chart)
            .x_desc("workers (log scale)")
            .y_desc("tick time (µs, log scale)")
            .x_label_formatter(&|value| short(*value))
            .y_label_formatter(&|value| short(*value))
            .draw()?;
        for (label, color, value) in series {
            let points: Vec<(f64, f64)> = rows
                .iter()
                .filter(|row| value(row) > 0)
                .map(|row| (f64::from(row.workers), micros(value(row))))
                .collect();
            chart
                .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))?
                .label(label)
                .legend(line_mark(color));
            chart.draw_series(points.iter().map(|&point| Circle::new(point, 4, color.filled())))?;
        }
        styled_legend!(chart, SeriesLabelPosition::LowerRight)?;
        Ok(())
    })
}

/// Worker efficiency: per hardware label its busy share (bar) and the spread of its workers'
/// utilization (whisker from p10 to p90, dot at the median); beside it, workers per utilization bin.
pub fn efficiency(efficiency: &WorkerEfficiency) -> Result<(String, String), String> {
    let bars: Vec<Bar> = efficiency
        .by_hardware
        .iter()
        .enumerate()
        .map(|(index, group)| Bar {
            label: format!("{} ({} workers)", group.hardware, group.workers),
            value: group.busy_share * 100.0,
            color: PALETTE[index % PALETTE.len()],
            whisker: Some((
                group.utilization_p10 * 100.0,
                group.utilization_p50 * 100.0,
                group.utilization_p90 * 100.0,
            )),
        })
        .collect();
    let by_hardware = horizontal_bars(
        "busy share by hardware (whisker: workers' p10–p90, dot: median)",
        "busy share (%)",
        &bars,
        false,
        600,
    )?;
    let bins = &efficiency.utilization_bins;
    let width = 100.0 / bins.len().max(1) as f64;
    let histogram = svg((600, 380), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption("workers by utilization over the makespan", caption_font())
            .margin(10)
            .margin_right(28)
            .x_label_area_size(44)
            .y_label_area_size(60)
            .build_cartesian_2d(0.0..100.0, 0.0..top(bins.iter().map(|&count| count as f64)))?;
        styled_mesh!(chart)
            .disable_x_mesh()
            .x_desc("utilization (busy slot time ÷ slot time, %)")
            .y_desc("workers")
            .x_label_formatter(&|value| short(*value))
            .y_label_formatter(&|value| short(*value))
            .draw()?;
        chart.draw_series(bins.iter().enumerate().map(|(index, &count)| {
            let x0 = index as f64 * width;
            let mut bar = Rectangle::new([(x0, 0.0), (x0 + width, count as f64)], TEAL.filled());
            bar.set_margin(0, 0, 1, 1);
            bar
        }))?;
        Ok(())
    })?;
    Ok((by_hardware, histogram))
}

/// Load spikes: arrivals per interval against the mean wait (top), and the pending backlog against
/// the tasks turned away or put back (bottom), on aligned time axes.
pub fn spikes(timeline: &Timeline) -> Result<String, String> {
    let intervals = timeline.arrivals.len();
    let span_seconds = intervals as f64 * timeline.interval_seconds;
    let (unit, x_desc) = time_axis(span_seconds);
    let x_end = span_seconds / unit;
    let x0 = |index: usize| index as f64 * timeline.interval_seconds / unit;
    let middle = |index: usize| (index as f64 + 0.5) * timeline.interval_seconds / unit;
    let turned: Vec<u64> = (0..intervals)
        .map(|index| timeline.unschedulable[index] + timeline.commands_rejected[index] + timeline.requeues[index])
        .collect();
    svg((1200, 620), |root| {
        let panels = root.split_evenly((2, 1));
        let arrivals_top = top(timeline.arrivals.iter().map(|&count| count as f64));
        let wait_top = top(timeline.wait_mean_seconds.iter().copied());
        let mut chart = ChartBuilder::on(&panels[0])
            .caption("arrivals and the wait they cause", caption_font())
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(70)
            .right_y_label_area_size(70)
            .build_cartesian_2d(0.0..x_end, 0.0..arrivals_top)?
            .set_secondary_coord(0.0..x_end, 0.0..wait_top);
        styled_mesh!(chart)
            .y_desc(format!("arrivals per {}", short(timeline.interval_seconds)) + " s")
            .x_label_formatter(&|value| short(*value))
            .y_label_formatter(&|value| short(*value))
            .draw()?;
        styled_secondary!(chart).y_desc("mean wait (s)").y_label_formatter(&|value| short(*value)).draw()?;
        chart
            .draw_series(timeline.arrivals.iter().enumerate().map(|(index, &count)| {
                Rectangle::new([(x0(index), 0.0), (x0(index + 1), count as f64)], GREY.mix(0.8).filled())
            }))?
            .label("arrivals")
            .legend(box_mark(GREY));
        chart
            .draw_secondary_series(LineSeries::new(
                // Intervals that placed nothing have no wait to show.
                (0..intervals)
                    .filter(|&index| timeline.first_placements[index] > 0)
                    .map(|index| (middle(index), timeline.wait_mean_seconds[index])),
                RED.stroke_width(2),
            ))?
            .label("mean wait")
            .legend(line_mark(RED));
        styled_legend!(chart, SeriesLabelPosition::UpperRight)?;

        let pending_top = top(timeline.pending_max.iter().map(|&count| count as f64));
        let turned_top = top(turned.iter().map(|&count| count as f64)).max(1.0);
        let mut chart = framed(&panels[1], "unplaced backlog, and tasks put back or refused", 10)
            .right_y_label_area_size(70)
            .build_cartesian_2d(0.0..x_end, 0.0..pending_top)?
            .set_secondary_coord(0.0..x_end, 0.0..turned_top);
        styled_mesh!(chart)
            .x_desc(x_desc)
            .y_desc("pending tasks (max)")
            .x_label_formatter(&|value| short(*value))
            .y_label_formatter(&|value| short(*value))
            .draw()?;
        styled_secondary!(chart)
            .y_desc("requeued + unschedulable + refused")
            .y_label_formatter(&|value| short(*value))
            .draw()?;
        chart
            .draw_secondary_series(turned.iter().enumerate().filter(|(_, count)| **count > 0).map(
                |(index, &count)| {
                    Rectangle::new([(x0(index), 0.0), (x0(index + 1), count as f64)], ORANGE.mix(0.8).filled())
                },
            ))?
            .label("requeued + unschedulable + refused")
            .legend(box_mark(ORANGE));
        chart
            .draw_series(LineSeries::new(
                timeline.pending_max.iter().enumerate().map(|(index, &count)| (middle(index), count as f64)),
                BLUE.stroke_width(2),
            ))?
            .label("pending (max per interval)")
            .legend(line_mark(BLUE));
        styled_legend!(chart, SeriesLabelPosition::UpperRight)?;
        Ok(())
    })
}

/// The openb allocation curves: allocated against requested GPU capacity per policy, with y = x.
pub fn allocation_curves(report: &OpenbReport) -> Result<String, String> {
    let x_high =
        top(report.policies.iter().flat_map(|policy| policy.curve.iter().map(|point| point.requested_gpu_percent)))
            .max(100.0);
    let y_high =
        top(report.policies.iter().flat_map(|policy| policy.curve.iter().map(|point| point.allocated_gpu_percent)))
            .max(100.0);
    // Every policy places everything while the cluster is far from full: the curves part where requests
    // start to fail, so the chart shows from 60% requested (and allocated) on.
    let low = ALLOCATION_CURVES_FROM_PERCENT;
    svg((1200, 620), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(format!("GPU capacity allocated as requests arrive (from {low:.0}%)"), caption_font())
            .margin(12)
            .x_label_area_size(44)
            .y_label_area_size(70)
            .build_cartesian_2d(low..x_high, low..y_high)?;
        styled_mesh!(chart)
            .x_desc("GPU capacity requested (% of the cluster's)")
            .y_desc("allocated (% of GPU capacity)")
            .x_label_formatter(&|value| short(*value))
            .y_label_formatter(&|value| short(*value))
            .draw()?;
        let limit = x_high.min(y_high);
        chart
            .draw_series(DashedLineSeries::new(vec![(low, low), (limit, limit)], 6, 4, AXIS.stroke_width(1)))?
            .label("allocated = requested")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], AXIS.stroke_width(1)));
        for (index, policy) in report.policies.iter().enumerate() {
            let color = PALETTE[index % PALETTE.len()];
            let points = policy
                .curve
                .iter()
                .filter(|point| point.requested_gpu_percent >= low)
                .map(|point| (point.requested_gpu_percent, point.allocated_gpu_percent));
            chart
                .draw_series(LineSeries::new(points, color.stroke_width(2)))?
                .label(format!("{} ({:.1}% unallocated)", policy.policy, policy.unallocated_gpu_percent))
                .legend(line_mark(color));
        }
        styled_legend!(chart, SeriesLabelPosition::LowerRight)?;
        Ok(())
    })
}

/// Where the allocation curves' axes start, in percent of GPU capacity.
const ALLOCATION_CURVES_FROM_PERCENT: f64 = 60.0;

/// Policy bars of an openb replay: unallocated GPU capacity, whiskers over the seeds.
pub fn openb_bars(report: &OpenbReport) -> Result<String, String> {
    let mut policies: Vec<_> = report.policies.iter().collect();
    policies.sort_by(|a, b| a.unallocated_gpu_percent.total_cmp(&b.unallocated_gpu_percent));
    let bars: Vec<Bar> = policies
        .iter()
        .enumerate()
        .map(|(rank, policy)| {
            let seeds = &policy.unallocated_gpu_percent_by_seed;
            let whisker = (seeds.len() > 1).then(|| {
                let low = seeds.iter().copied().fold(f64::INFINITY, f64::min);
                let high = seeds.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                (low, policy.unallocated_gpu_percent, high)
            });
            let label = match policy.published_unallocated_gpu_percent {
                Some(published) => format!("{} (published {published:.1})", policy.policy),
                None => policy.policy.clone(),
            };
            Bar { label, value: policy.unallocated_gpu_percent, color: if rank == 0 { BLUE } else { GREY }, whisker }
        })
        .collect();
    horizontal_bars(
        "unallocated GPU capacity when requests reach 100% of it (lower is better; whisker: seeds' range)",
        "unallocated GPU (%)",
        &bars,
        false,
        1200,
    )
}

/// Policy bars of an swf replay: mean bounded slowdown, and utilization when the file has it.
pub fn swf_bars(report: &SwfReport) -> Result<Vec<String>, String> {
    let mut policies: Vec<_> = report.policies.iter().collect();
    policies.sort_by(|a, b| a.avg_bounded_slowdown.total_cmp(&b.avg_bounded_slowdown));
    let bars: Vec<Bar> = policies
        .iter()
        .enumerate()
        .map(|(rank, policy)| Bar {
            label: policy.label(),
            value: policy.avg_bounded_slowdown,
            color: if rank == 0 { BLUE } else { GREY },
            whisker: None,
        })
        .collect();
    let mut charts =
        vec![horizontal_bars("mean bounded slowdown (lower is better)", "bounded slowdown", &bars, false, 600)?];
    if policies.iter().all(|policy| policy.utilization.is_some()) {
        let percent = |value: f64| if value <= 1.0 { value * 100.0 } else { value };
        let bars: Vec<Bar> = policies
            .iter()
            .map(|policy| Bar {
                label: policy.label(),
                value: percent(policy.utilization.unwrap_or(0.0)),
                color: TEAL,
                whisker: None,
            })
            .collect();
        charts.push(horizontal_bars("utilization (higher is better)", "utilization (%)", &bars, false, 600)?);
    }
    Ok(charts)
}

/// A CI replay over its cycles: makespan against its lower bound and the oracle's; prediction error.
pub fn ci_cycles(report: &CiReport) -> Result<String, String> {
    let cycles = &report.cycles;
    if cycles.is_empty() {
        return Err("the CI report has no cycles".to_owned());
    }
    let ratio = |value: f64, bound: f64| if bound > 0.0 { value / bound } else { 1.0 };
    let ours: Vec<(f64, f64)> = cycles
        .iter()
        .enumerate()
        .map(|(index, cycle)| (index as f64, ratio(cycle.makespan_seconds, cycle.lower_bound_seconds)))
        .collect();
    let oracle: Vec<(f64, f64)> = cycles
        .iter()
        .enumerate()
        .map(|(index, cycle)| (index as f64, ratio(cycle.oracle_seconds, cycle.lower_bound_seconds)))
        .collect();
    let error: Vec<(f64, f64)> =
        cycles.iter().enumerate().map(|(index, cycle)| (index as f64, cycle.prediction_mape)).collect();
    let x_end = cycles.len() as f64;
    svg((1200, 620), |root| {
        let panels = root.split_evenly((2, 1));
        let high = top(ours.iter().chain(&oracle).map(|point| point.1)).max(1.1);
        let mut chart = ChartBuilder::on(&panels[0])
            .caption("makespan over its lower bound, per cycle", caption_font())
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(70)
            .build_cartesian_2d(0.0..x_end, 0.95..high)?;
        styled_mesh!(chart).y_desc("makespan ÷ lower bound").x_label_formatter(&|value| short(*value)).draw()?;
        for (label, color, points) in [
            (format!("{} (mean {:.3})", report.policy, report.mean_makespan_over_lb), BLUE, &ours),
            (format!("longest-first oracle (mean {:.3})", report.mean_oracle_over_lb), GREY, &oracle),
        ] {
            chart
                .draw_series(LineSeries::new(points.iter().copied(), color.stroke_width(2)))?
                .label(label)
                .legend(line_mark(color));
        }
        styled_legend!(chart, SeriesLabelPosition::UpperRight)?;
        let (low, high) = log_bounds(error.iter().map(|point| point.1));
        let mut chart =
            framed(&panels[1], "error of the predicted run times the tests were placed with (log scale)", 10)
                .build_cartesian_2d(0.0..x_end, (low..high).log_scale())?;
        styled_mesh!(chart)
            .x_desc("cycle (in replay order)")
            .y_desc("prediction error (%)")
            .x_label_formatter(&|value| short(*value))
            .y_label_formatter(&|value| short(*value))
            .draw()?;
        let positive: Vec<(f64, f64)> = error.iter().copied().filter(|point| point.1 > 0.0).collect();
        chart.draw_series(LineSeries::new(positive, ORANGE.stroke_width(2)))?;
        Ok(())
    })
}
