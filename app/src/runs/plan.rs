//! Which jobs a run executes and the status each starts from, worked out from the graph and
//! the current statuses alone (no I/O), so every mode is checked by unit tests.

use super::RunMode;
use crate::workflow::{JobStatus, LoadedGraph};

/// Held back by a person: never started by a run, and their children wait.
const HELD_BACK: [JobStatus; 2] = [JobStatus::Held, JobStatus::Suspended];

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Plan {
    /// The jobs the run executes, ascending.
    pub scope: Vec<u32>,
    /// Status changes made when the run starts: `(job, from, to)`, to READY or WAITING.
    pub initial: Vec<(u32, JobStatus, JobStatus)>,
    /// Jobs the mode selected that cannot run: a parent outside the run has not completed
    /// (or is held), directly or through another such job. Left as they are.
    pub blocked: Vec<u32>,
}

/// What to run, given the mode, the selected jobs and whether to re-run completed ones.
pub fn plan(
    graph: &LoadedGraph,
    statuses: &[JobStatus],
    mode: RunMode,
    selection: &[u32],
    force: bool,
    force_downstream: bool,
) -> Plan {
    let jobs = graph.len();
    let mut rerun = vec![false; jobs];
    if force {
        let forced = if force_downstream { downstream(graph, selection) } else { selection.to_vec() };
        for n in forced {
            rerun[n as usize] = true;
        }
    }
    let done = |n: u32| statuses[n as usize].lets_children_run() && !rerun[n as usize];
    // Over an edge with a STATUS condition a parent may let its child run before it is done.
    let lets_run = |p: u32, child: u32| graph.lets_run(p, child, statuses[p as usize]) && !rerun[p as usize];
    let runnable = |n: u32| !done(n) && !HELD_BACK.contains(&statuses[n as usize]);
    let mut in_scope = vec![false; jobs];
    match mode {
        RunMode::All => (0..jobs as u32).filter(|&n| runnable(n)).for_each(|n| in_scope[n as usize] = true),
        RunMode::SelectedOnly => selection.iter().filter(|&&n| runnable(n)).for_each(|&n| in_scope[n as usize] = true),
        RunMode::WithDownstream => {
            downstream(graph, selection).into_iter().filter(|&n| runnable(n)).for_each(|n| in_scope[n as usize] = true)
        }
        RunMode::WithPredecessors | RunMode::PredecessorsOnly => {
            // Up from the selection through the parents that still have to run.
            let mut stack: Vec<u32> = selection.to_vec();
            let mut seen = vec![false; jobs];
            while let Some(n) = stack.pop() {
                if std::mem::replace(&mut seen[n as usize], true) {
                    continue;
                }
                if runnable(n) {
                    in_scope[n as usize] = true;
                    stack.extend(graph.parents(n).iter().copied().filter(|&p| !lets_run(p, n)));
                }
            }
            if mode == RunMode::PredecessorsOnly {
                for &n in selection {
                    in_scope[n as usize] = false;
                }
            }
        }
    }
    // A parent outside the run that has not completed holds its children back, except when
    // only the selection runs: then the user asked for those jobs whatever their parents.
    let parents_outside_count = mode != RunMode::SelectedOnly;
    let mut blocked = vec![false; jobs];
    for n in 0..jobs as u32 {
        // Jobs are not in topological order by number, so blocking spreads by a walk below.
        if in_scope[n as usize]
            && parents_outside_count
            && graph.parents(n).iter().any(|&p| !in_scope[p as usize] && !lets_run(p, n))
        {
            blocked[n as usize] = true;
        }
    }
    let mut stack: Vec<u32> = (0..jobs as u32).filter(|&n| blocked[n as usize]).collect();
    while let Some(n) = stack.pop() {
        for &c in graph.children(n) {
            if in_scope[c as usize] && !std::mem::replace(&mut blocked[c as usize], true) {
                stack.push(c);
            }
        }
    }
    let mut plan = Plan::default();
    for n in 0..jobs as u32 {
        let i = n as usize;
        if blocked[i] {
            plan.blocked.push(n);
        } else if in_scope[i] {
            plan.scope.push(n);
            let waits = graph.parents(n).iter().any(|&p| in_scope[p as usize] && !blocked[p as usize]);
            let to = if waits { JobStatus::Waiting } else { JobStatus::Ready };
            if statuses[i] != to {
                plan.initial.push((n, statuses[i], to));
            }
        }
    }
    plan
}

/// The jobs and everything below them, ascending.
pub fn downstream(graph: &LoadedGraph, from: &[u32]) -> Vec<u32> {
    let mut seen = vec![false; graph.len()];
    let mut stack = from.to_vec();
    while let Some(n) = stack.pop() {
        if !std::mem::replace(&mut seen[n as usize], true) {
            stack.extend_from_slice(graph.children(n));
        }
    }
    (0..graph.len() as u32).filter(|&n| seen[n as usize]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workflow::{GraphSnapshot, SnapshotJob};
    use JobStatus::*;

    /// A → B → C → D, and A → E: jobs numbered by name.
    fn graph() -> LoadedGraph {
        let job = |name: &str| SnapshotJob(name.into(), 0, None, None, None, None, None);
        let snapshot = GraphSnapshot {
            sections: Vec::new(),
            jobs: ["A", "B", "C", "D", "E"].map(job).to_vec(),
            edges: vec![(0, 1), (1, 2), (2, 3), (0, 4)],
            edge_conditions: Vec::new(),
        };
        LoadedGraph::new(1, snapshot)
    }

    fn names(numbers: &[u32]) -> String {
        numbers.iter().map(|&n| ["A", "B", "C", "D", "E"][n as usize]).collect()
    }

    #[test]
    fn all_runs_what_has_not_completed_and_readies_the_roots() {
        let g = graph();
        let p = plan(&g, &[Completed, Failed, Waiting, Waiting, Waiting], RunMode::All, &[], false, false);
        assert_eq!(names(&p.scope), "BCDE");
        assert!(p.blocked.is_empty());
        assert_eq!(p.initial, vec![(1, Failed, Ready), (4, Waiting, Ready)]);
    }

    #[test]
    fn predecessors_come_along_unless_completed() {
        let g = graph();
        let fresh = [Waiting, Waiting, Waiting, Waiting, Waiting];
        assert_eq!(names(&plan(&g, &fresh, RunMode::WithPredecessors, &[2], false, false).scope), "ABC");
        assert_eq!(names(&plan(&g, &fresh, RunMode::PredecessorsOnly, &[2], false, false).scope), "AB");
        let half = [Completed, Completed, Waiting, Waiting, Waiting];
        let p = plan(&g, &half, RunMode::WithPredecessors, &[3], false, false);
        assert_eq!(names(&p.scope), "CD");
        assert_eq!(p.initial, vec![(2, Waiting, Ready)]);
    }

    #[test]
    fn selected_only_ignores_parents_and_downstream_waits_for_them() {
        let g = graph();
        let fresh = [Waiting, Waiting, Waiting, Waiting, Waiting];
        let p = plan(&g, &fresh, RunMode::SelectedOnly, &[2], false, false);
        assert_eq!((names(&p.scope), p.initial), ("C".into(), vec![(2, Waiting, Ready)]));
        // Downstream of C, but C's parent B has not completed and is not in the run.
        let p = plan(&g, &fresh, RunMode::WithDownstream, &[2], false, false);
        assert_eq!((names(&p.scope), names(&p.blocked)), ("".into(), "CD".into()));
        let p = plan(&g, &[Completed, Completed, Failed, Completed, Completed], RunMode::WithDownstream, &[2], false, false);
        assert_eq!(names(&p.scope), "C");
    }

    #[test]
    fn force_reruns_completed_jobs_and_optionally_their_downstream() {
        let g = graph();
        let all_done = [Completed; 5];
        assert!(plan(&g, &all_done, RunMode::SelectedOnly, &[1], false, false).scope.is_empty());
        let p = plan(&g, &all_done, RunMode::SelectedOnly, &[1], true, false);
        assert_eq!((names(&p.scope), p.initial), ("B".into(), vec![(1, Completed, Ready)]));
        let p = plan(&g, &all_done, RunMode::WithDownstream, &[1], true, true);
        assert_eq!(names(&p.scope), "BCD");
        assert_eq!(p.initial, vec![(1, Completed, Ready), (2, Completed, Waiting), (3, Completed, Waiting)]);
    }

    #[test]
    fn held_jobs_stay_and_hold_their_children() {
        let g = graph();
        let p = plan(&g, &[Completed, Held, Waiting, Waiting, Waiting], RunMode::All, &[], false, false);
        assert_eq!((names(&p.scope), names(&p.blocked)), ("E".into(), "CD".into()));
    }

    #[test]
    fn a_parent_that_met_its_edge_condition_lets_the_child_run() {
        let mut g = graph();
        // B may start once A has failed; E needs A completed.
        g = LoadedGraph::new(1, GraphSnapshot { edge_conditions: vec![(0, 1, Failed)], ..g.snapshot.clone() });
        let state = [Failed, Waiting, Waiting, Waiting, Waiting];
        let p = plan(&g, &state, RunMode::WithPredecessors, &[1], false, false);
        assert_eq!((names(&p.scope), p.initial), ("B".into(), vec![(1, Waiting, Ready)]));
        let p = plan(&g, &state, RunMode::WithDownstream, &[1, 4], false, false);
        assert_eq!((names(&p.scope), names(&p.blocked)), ("BCD".into(), "E".into()));
        // Without the condition, A comes along to run again first.
        let plain = graph();
        assert_eq!(names(&plan(&plain, &state, RunMode::WithPredecessors, &[1], false, false).scope), "AB");
    }
}
