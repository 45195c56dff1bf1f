//! Compressed adjacency lists, built once from edge pairs: the neighbours of job `n` are
//! `list[offsets[n]..offsets[n + 1]]`, in the order the pairs came (or sorted, on request).

#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Adjacency {
    offsets: Vec<u32>,
    list: Vec<u32>,
}

impl Adjacency {
    /// `pairs` are `(from, to)`; every `from` is below `jobs`.
    pub fn build(jobs: usize, pairs: impl Iterator<Item = (u32, u32)> + Clone) -> Self {
        let mut offsets = vec![0u32; jobs + 1];
        for (from, _) in pairs.clone() {
            offsets[from as usize + 1] += 1;
        }
        for i in 0..jobs {
            offsets[i + 1] += offsets[i];
        }
        let mut fill = offsets.clone();
        let mut list = vec![0u32; offsets[jobs] as usize];
        for (from, to) in pairs {
            list[fill[from as usize] as usize] = to;
            fill[from as usize] += 1;
        }
        Self { offsets, list }
    }

    /// Each job's neighbours in ascending order.
    pub fn sorted(mut self) -> Self {
        for n in 0..self.offsets.len().saturating_sub(1) {
            self.list[self.offsets[n] as usize..self.offsets[n + 1] as usize].sort_unstable();
        }
        self
    }

    /// The neighbours of `job`; none for a job out of range.
    pub fn of(&self, job: u32) -> &[u32] {
        let n = job as usize;
        match (self.offsets.get(n), self.offsets.get(n + 1)) {
            (Some(&start), Some(&end)) => &self.list[start as usize..end as usize],
            _ => &[],
        }
    }
}
