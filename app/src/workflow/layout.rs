//! The graph view's layout, computed on the server once per graph version: a layered
//! (Sugiyama-style) drawing where every edge points down.
//!
//! 1. Layers: longest path from the jobs without parents; a job without parents then moves
//!    down to just above its first child, so setup jobs sit next to what they feed.
//! 2. Groups: each date-member pair owns a vertical band as wide as its widest layer, so a
//!    group is a rectangle the browser can collapse into one box without overlapping others.
//! 3. Order within a band: chunk, split and section first, then barycenter sweeps (down, up,
//!    down) that move each job towards the mean position of its neighbours, reducing crossings.
//!
//! Linear in jobs + edges apart from sorting: 100k jobs lay out in well under a second.

use super::{JobStatus, LoadedGraph};
use serde::Serialize;
use std::collections::HashMap;

/// Pixels between two columns and two layers, and the node box the browser draws.
const COLUMN_WIDTH: f64 = 190.0;
const LAYER_HEIGHT: i32 = 72;
const NODE_WIDTH: i32 = 170;
const NODE_HEIGHT: i32 = 30;
/// Empty columns between two groups' bands.
const GROUP_GAP_COLUMNS: f64 = 0.6;
const SWEEPS: usize = 3;
/// Bands wrap into rows when the drawing is this many times wider than tall…
const WRAP_WHEN_WIDER: f64 = 3.0;
/// …towards this width-to-height ratio, with this many pixels between rows.
const TARGET_ASPECT: f64 = 1.6;
const ROW_GAP: i32 = 48;

/// The layout as the browser reads it: one array per attribute, indexed by job number
/// (jobs sorted by name), and edges as a flat `[parent, child, parent, child, …]` list.
#[derive(Debug, Serialize)]
pub struct GraphLayout<'a> {
    pub graph_version: i64,
    pub width: i32,
    pub height: i32,
    pub node_width: i32,
    pub node_height: i32,
    pub sections: Vec<&'a str>,
    pub names: Vec<&'a str>,
    pub section: Vec<u16>,
    pub group: Vec<u32>,
    /// Centre of each node.
    pub x: Vec<i32>,
    pub y: Vec<i32>,
    pub groups: Vec<GroupBox>,
    pub edges: Vec<u32>,
    /// `[parent, child, STATUS]` for the edges a child may cross before its parent completes.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub conditions: &'a [(u32, u32, JobStatus)],
}

/// A date-member group's rectangle (top-left corner and size), around its nodes.
#[derive(Debug, Serialize, PartialEq)]
pub struct GroupBox {
    pub label: String,
    pub x: i32,
    pub y: i32,
    pub width: i32,
    pub height: i32,
    pub jobs: u32,
}

pub fn layout(graph: &LoadedGraph) -> GraphLayout<'_> {
    let jobs = graph.len();
    let layer = layers(graph);
    let (group, labels) = groups(graph);
    let group_count = labels.len();

    // Jobs ordered by layer, then group, then the order a reader expects before any sweep.
    let mut order: Vec<u32> = (0..jobs as u32).collect();
    order.sort_by_key(|&n| {
        let job = graph.job(n);
        (layer[n as usize], group[n as usize], job.chunk(), job.5, job.section(), n)
    });
    let cells = cells(&order, &layer, &group);

    let mut band_width = vec![0usize; group_count];
    for cell in &cells {
        band_width[cell.group as usize] = band_width[cell.group as usize].max(cell.end - cell.start);
    }
    let mut band_left = vec![0.0f64; group_count];
    let mut left = 0.0;
    for g in 0..group_count {
        band_left[g] = left;
        left += band_width[g] as f64 + GROUP_GAP_COLUMNS;
    }

    let mut column = vec![0.0f64; jobs];
    for cell in &cells {
        place(cell, &order, &band_left, &band_width, &mut column);
    }
    for sweep in 0..SWEEPS {
        let downwards = sweep % 2 == 0;
        let visit: Box<dyn Iterator<Item = &Cell>> =
            if downwards { Box::new(cells.iter()) } else { Box::new(cells.iter().rev()) };
        for cell in visit {
            let slice = &mut order[cell.start..cell.end];
            if slice.len() > 1 {
                let centre = |n: u32| {
                    let neighbours = if downwards { graph.parents(n) } else { graph.children(n) };
                    match neighbours.len() {
                        0 => column[n as usize],
                        len => neighbours.iter().map(|&m| column[m as usize]).sum::<f64>() / len as f64,
                    }
                };
                let mut keyed: Vec<(f64, f64, u32)> = slice.iter().map(|&n| (centre(n), column[n as usize], n)).collect();
                keyed.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
                for (slot, (_, _, n)) in slice.iter_mut().zip(keyed) {
                    *slot = n;
                }
            }
            place(cell, &order, &band_left, &band_width, &mut column);
        }
    }

    let spans = group_spans(group_count, &group, &layer);
    let placement = wrap_bands(&spans, &band_left, &band_width);
    let x: Vec<i32> = (0..jobs)
        .map(|n| ((column[n] + placement.shift_x[group[n] as usize]) * COLUMN_WIDTH + COLUMN_WIDTH / 2.0).round() as i32)
        .collect();
    let y: Vec<i32> = (0..jobs)
        .map(|n| layer[n] as i32 * LAYER_HEIGHT + LAYER_HEIGHT / 2 + placement.shift_y[group[n] as usize])
        .collect();
    let groups = group_boxes(&labels, &spans, &band_left, &band_width, &placement);
    GraphLayout {
        graph_version: graph.version,
        width: placement.width,
        height: placement.height,
        node_width: NODE_WIDTH,
        node_height: NODE_HEIGHT,
        sections: graph.snapshot.sections.iter().map(|s| s.name.as_str()).collect(),
        names: graph.snapshot.jobs.iter().map(|j| j.name()).collect(),
        section: graph.snapshot.jobs.iter().map(|j| j.1).collect(),
        group,
        x,
        y,
        groups,
        edges: graph.snapshot.edges.iter().flat_map(|&(p, c)| [p, c]).collect(),
        conditions: &graph.snapshot.edge_conditions,
    }
}

/// Longest-path layers, with parentless jobs moved down next to their first child.
fn layers(graph: &LoadedGraph) -> Vec<u32> {
    let jobs = graph.len();
    let mut waiting: Vec<usize> = (0..jobs as u32).map(|n| graph.parents(n).len()).collect();
    let mut layer = vec![0u32; jobs];
    let mut queue: Vec<u32> = (0..jobs as u32).filter(|&n| waiting[n as usize] == 0).collect();
    let mut head = 0;
    while let Some(&n) = queue.get(head) {
        head += 1;
        for &child in graph.children(n) {
            let c = child as usize;
            layer[c] = layer[c].max(layer[n as usize] + 1);
            waiting[c] -= 1;
            if waiting[c] == 0 {
                queue.push(child);
            }
        }
    }
    for n in 0..jobs as u32 {
        if graph.parents(n).is_empty() {
            if let Some(first_child) = graph.children(n).iter().map(|&c| layer[c as usize]).min() {
                layer[n as usize] = first_child.saturating_sub(1);
            }
        }
    }
    layer
}

/// Each job's date-member group, numbered in reading order: experiment-wide jobs first, then
/// by date, date-wide jobs before the date's members.
fn groups(graph: &LoadedGraph) -> (Vec<u32>, Vec<String>) {
    let mut keys: Vec<(Option<&str>, Option<&str>)> =
        graph.snapshot.jobs.iter().map(|j| (j.date(), j.member())).collect();
    keys.sort_unstable();
    keys.dedup();
    let index: HashMap<(Option<&str>, Option<&str>), u32> =
        keys.iter().enumerate().map(|(i, &k)| (k, i as u32)).collect();
    let group = graph.snapshot.jobs.iter().map(|j| index[&(j.date(), j.member())]).collect();
    let labels = keys
        .iter()
        .map(|k| match k {
            (None, None) => "Experiment".to_owned(),
            (None, Some(member)) => (*member).to_owned(),
            (Some(date), None) => (*date).to_owned(),
            (Some(date), Some(member)) => format!("{date} · {member}"),
        })
        .collect();
    (group, labels)
}

/// A run of `order` with one layer and one group.
struct Cell {
    start: usize,
    end: usize,
    group: u32,
}

fn cells(order: &[u32], layer: &[u32], group: &[u32]) -> Vec<Cell> {
    let key = |i: usize| (layer[order[i] as usize], group[order[i] as usize]);
    let mut cells = Vec::new();
    let mut start = 0;
    for i in 1..=order.len() {
        if i == order.len() || key(i) != key(start) {
            cells.push(Cell { start, end: i, group: key(start).1 });
            start = i;
        }
    }
    cells
}

/// Columns of a cell's jobs in their current order, centred in the group's band.
fn place(cell: &Cell, order: &[u32], band_left: &[f64], band_width: &[usize], column: &mut [f64]) {
    let g = cell.group as usize;
    let len = cell.end - cell.start;
    let first = band_left[g] + (band_width[g] - len) as f64 / 2.0;
    for (i, &n) in order[cell.start..cell.end].iter().enumerate() {
        column[n as usize] = first + i as f64;
    }
}

/// Each group's first and last layer and its number of jobs.
fn group_spans(groups: usize, group: &[u32], layer: &[u32]) -> Vec<(u32, u32, u32)> {
    let mut span = vec![(u32::MAX, 0u32, 0u32); groups];
    for (n, &g) in group.iter().enumerate() {
        let (top, bottom, count) = &mut span[g as usize];
        *top = (*top).min(layer[n]);
        *bottom = (*bottom).max(layer[n]);
        *count += 1;
    }
    span
}

/// Where each group's band goes: shifted by whole columns and pixels, and the drawing's size.
struct Placement {
    shift_x: Vec<f64>,
    shift_y: Vec<i32>,
    width: i32,
    height: i32,
}

/// A drawing much wider than tall (hundreds of date-member groups side by side) wraps its
/// bands into rows, like text, towards a screen-like shape. Within a row the layers stay
/// aligned, so edges inside a row still point down; rows follow the groups' order, so edges
/// from experiment- or date-wide jobs to members point down too.
fn wrap_bands(spans: &[(u32, u32, u32)], band_left: &[f64], band_width: &[usize]) -> Placement {
    let groups = spans.len();
    let columns = band_left.last().zip(band_width.last()).map_or(0.0, |(l, w)| l + *w as f64);
    let layers = spans.iter().map(|s| s.1 + 1).max().unwrap_or(0);
    let (width, height) = (columns * COLUMN_WIDTH, f64::from(layers) * f64::from(LAYER_HEIGHT));
    let unwrapped = Placement {
        shift_x: vec![0.0; groups],
        shift_y: vec![0; groups],
        width: width.round() as i32,
        height: height as i32,
    };
    if groups < 2 || width <= WRAP_WHEN_WIDER * height {
        return unwrapped;
    }
    let widest = band_width.iter().copied().max().unwrap_or(1) as f64;
    let row_columns = ((width * height * TARGET_ASPECT).sqrt() / COLUMN_WIDTH).max(widest);
    // Rows of consecutive groups, each no wider than `row_columns`.
    let mut rows: Vec<Vec<usize>> = vec![Vec::new()];
    let mut used = 0.0;
    let mut left_in_row = vec![0.0; groups];
    for g in 0..groups {
        let current = rows.last_mut().expect("a row");
        if !current.is_empty() && used + band_width[g] as f64 > row_columns {
            rows.push(Vec::new());
            used = 0.0;
        }
        left_in_row[g] = used;
        used += band_width[g] as f64 + GROUP_GAP_COLUMNS;
        rows.last_mut().expect("a row").push(g);
    }
    let mut placement = Placement { shift_x: vec![0.0; groups], shift_y: vec![0; groups], width: 0, height: 0 };
    let mut top = 0;
    for row in &rows {
        let first = row.iter().map(|&g| spans[g].0).min().unwrap_or(0);
        let last = row.iter().map(|&g| spans[g].1).max().unwrap_or(0);
        let right = row.iter().map(|&g| left_in_row[g] + band_width[g] as f64).fold(0.0, f64::max);
        for &g in row {
            placement.shift_x[g] = left_in_row[g] - band_left[g];
            placement.shift_y[g] = top - first as i32 * LAYER_HEIGHT;
        }
        placement.width = placement.width.max((right * COLUMN_WIDTH).round() as i32);
        top += (last - first + 1) as i32 * LAYER_HEIGHT + ROW_GAP;
    }
    placement.height = top - ROW_GAP;
    placement
}

fn group_boxes(
    labels: &[String],
    spans: &[(u32, u32, u32)],
    band_left: &[f64],
    band_width: &[usize],
    placement: &Placement,
) -> Vec<GroupBox> {
    labels
        .iter()
        .enumerate()
        .map(|(g, label)| {
            let (top, bottom, jobs) = spans[g];
            let pad = (COLUMN_WIDTH - f64::from(NODE_WIDTH)) / 2.0 - 4.0;
            GroupBox {
                label: label.clone(),
                x: ((band_left[g] + placement.shift_x[g]) * COLUMN_WIDTH + pad).round() as i32,
                y: top as i32 * LAYER_HEIGHT + 6 + placement.shift_y[g],
                width: (band_width[g] as f64 * COLUMN_WIDTH - 2.0 * pad).round() as i32,
                height: (bottom - top + 1) as i32 * LAYER_HEIGHT - 12,
                jobs,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workflow::{GraphSnapshot, SectionInfo, SnapshotJob};

    fn section(name: &str) -> SectionInfo {
        SectionInfo {
            name: name.into(),
            running: "chunk".into(),
            platform: "LOCAL".into(),
            priority: 0,
            retrials: 0,
            wallclock: None,
            processors: "1".into(),
        }
    }

    fn job(name: &str, section: u16, member: &str, chunk: Option<i64>) -> SnapshotJob {
        SnapshotJob(name.into(), section, Some("20000101".into()), Some(member.into()), chunk, None, None)
    }

    /// Two members: INI → SIM 1 → SIM 2, jobs sorted by name as stored.
    fn two_members() -> LoadedGraph {
        let jobs = vec![
            job("a000_20000101_fc0_1_SIM", 1, "fc0", Some(1)),
            job("a000_20000101_fc0_2_SIM", 1, "fc0", Some(2)),
            job("a000_20000101_fc0_INI", 0, "fc0", None),
            job("a000_20000101_fc1_1_SIM", 1, "fc1", Some(1)),
            job("a000_20000101_fc1_2_SIM", 1, "fc1", Some(2)),
            job("a000_20000101_fc1_INI", 0, "fc1", None),
        ];
        let edges = vec![(2, 0), (0, 1), (5, 3), (3, 4)];
        LoadedGraph::new(3, GraphSnapshot { sections: vec![section("INI"), section("SIM")], jobs, edges, edge_conditions: Vec::new() })
    }

    #[test]
    fn every_edge_points_down_and_members_get_their_own_band() {
        let graph = two_members();
        let layout = layout(&graph);
        for pair in layout.edges.chunks(2) {
            assert!(layout.y[pair[0] as usize] < layout.y[pair[1] as usize], "{pair:?}");
        }
        assert_eq!(layout.groups.iter().map(|g| g.label.as_str()).collect::<Vec<_>>(), ["20000101 · fc0", "20000101 · fc1"]);
        let (fc0, fc1) = (&layout.groups[0], &layout.groups[1]);
        assert!(fc0.x + fc0.width < fc1.x, "bands overlap: {fc0:?} {fc1:?}");
        for n in 0..3 {
            assert!(layout.x[n] > fc0.x && layout.x[n] < fc0.x + fc0.width);
            assert!(layout.x[n + 3] > fc1.x);
        }
        assert_eq!(layout.graph_version, 3);
        assert_eq!(layout.edges, [2, 0, 0, 1, 5, 3, 3, 4]);
    }

    #[test]
    fn a_setup_job_sits_just_above_its_first_child() {
        // LATE has no parents and feeds only SIM 2, which is two layers down.
        let mut graph = two_members().snapshot;
        graph.jobs.push(job("a000_20000101_fc1_LATE", 0, "fc1", None));
        graph.edges.push((6, 4));
        let graph = LoadedGraph::new(1, graph);
        let layout = layout(&graph);
        assert_eq!(layout.y[6] + LAYER_HEIGHT, layout.y[4]);
    }

    #[test]
    fn barycenter_sweeps_uncross_a_swapped_pair() {
        // Two parents in one cell, their children ordered the other way round by name.
        let jobs = vec![
            job("a000_20000101_fc0_A", 0, "fc0", None),
            job("a000_20000101_fc0_B", 0, "fc0", None),
            job("a000_20000101_fc0_C", 1, "fc0", Some(1)),
            job("a000_20000101_fc0_D", 1, "fc0", Some(1)),
        ];
        let edges = vec![(0, 3), (1, 2)];
        let graph = LoadedGraph::new(1, GraphSnapshot { sections: vec![section("P"), section("C")], jobs, edges, edge_conditions: Vec::new() });
        let layout = layout(&graph);
        assert_eq!(layout.x[0] < layout.x[1], layout.x[3] < layout.x[2], "edges cross: {:?}", layout.x);
    }

    #[test]
    fn many_groups_side_by_side_wrap_into_rows_without_overlap() {
        // 60 members, each INI → SIM 1 → SIM 2: 60 narrow, short bands, far wider than tall.
        let mut jobs = Vec::new();
        let mut edges = Vec::new();
        for m in 0..60 {
            let member = format!("fc{m:02}");
            let base = jobs.len() as u32;
            jobs.push(job(&format!("a000_20000101_{member}_1_SIM"), 1, &member, Some(1)));
            jobs.push(job(&format!("a000_20000101_{member}_2_SIM"), 1, &member, Some(2)));
            jobs.push(job(&format!("a000_20000101_{member}_INI"), 0, &member, None));
            edges.extend([(base + 2, base), (base, base + 1)]);
        }
        let graph = LoadedGraph::new(1, GraphSnapshot { sections: vec![section("INI"), section("SIM")], jobs, edges, edge_conditions: Vec::new() });
        let layout = layout(&graph);
        assert!(layout.width < 3 * layout.height, "not wrapped: {} × {}", layout.width, layout.height);
        let boxes = &layout.groups;
        for (i, a) in boxes.iter().enumerate() {
            for b in &boxes[i + 1..] {
                let apart = a.x + a.width <= b.x || b.x + b.width <= a.x || a.y + a.height <= b.y || b.y + b.height <= a.y;
                assert!(apart, "{a:?} overlaps {b:?}");
            }
        }
        for n in 0..graph.len() {
            let g = &boxes[layout.group[n] as usize];
            assert!(layout.x[n] > g.x && layout.x[n] < g.x + g.width, "job {n} outside its group's box");
            assert!(layout.y[n] > g.y && layout.y[n] < g.y + g.height, "job {n} outside its group's box");
            assert!(layout.x[n] < layout.width && layout.y[n] < layout.height);
        }
        for pair in layout.edges.chunks(2) {
            assert!(layout.y[pair[0] as usize] < layout.y[pair[1] as usize]);
        }
    }
}
