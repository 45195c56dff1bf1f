//! The engine's one executor: each job goes to its platform's (local processes or Slurm),
//! and each handle back to the executor that issued it (Slurm's start with `slurm:`).

use super::executor::{Executor, ExecutorError, JobEvent, JobLaunch, Prepared, Target};
use super::local::LocalExecutor;
use super::slurm::{SlurmExecutor, SlurmHandle};
use async_trait::async_trait;
use std::path::Path;
use tokio::sync::mpsc;

pub struct Platforms {
    local: LocalExecutor,
    slurm: SlurmExecutor,
}

impl Platforms {
    pub fn new(local: LocalExecutor, slurm: SlurmExecutor) -> Self {
        Self { local, slurm }
    }
}

#[async_trait]
impl Executor for Platforms {
    fn name(&self) -> &'static str {
        "platforms"
    }

    async fn prepare(&self, launch: &JobLaunch) -> Result<Prepared, ExecutorError> {
        // The folder, the job's script and its logs are the same everywhere.
        let prepared = self.local.prepare(launch).await?;
        match launch.target {
            Target::Local => Ok(prepared),
            Target::Slurm(_) => self.slurm.prepare(launch, prepared).await,
        }
    }

    async fn submit(&self, launch: JobLaunch, prepared: Prepared, events: mpsc::UnboundedSender<JobEvent>) -> Result<String, ExecutorError> {
        match launch.target {
            Target::Local => self.local.submit(launch, prepared, events).await,
            // Slurm writes the logs itself (appending to the files prepared).
            Target::Slurm(_) => self.slurm.submit(launch, events).await,
        }
    }

    async fn discard(&self, launch: &JobLaunch) {
        self.local.discard(launch).await;
    }

    async fn kill(&self, handle: &str) -> Result<(), ExecutorError> {
        if SlurmHandle::is_slurm(handle) {
            self.slurm.kill(handle).await
        } else {
            self.local.kill(handle).await
        }
    }

    async fn still_running(&self, jobs: &[(String, &Path)]) -> Vec<bool> {
        let (slurm, local): (Vec<usize>, Vec<usize>) = (0..jobs.len()).partition(|&i| SlurmHandle::is_slurm(&jobs[i].0));
        let pick = |ids: &[usize]| ids.iter().map(|&i| jobs[i].clone()).collect::<Vec<_>>();
        let mut running = vec![false; jobs.len()];
        for (ids, answers) in [(&slurm, self.slurm.still_running(&pick(&slurm)).await), (&local, self.local.still_running(&pick(&local)).await)] {
            for (&i, answer) in ids.iter().zip(answers) {
                running[i] = answer;
            }
        }
        running
    }

    fn know(&self, target: &Target) {
        self.slurm.know(target);
    }

    async fn ended_with(&self, handle: &str) -> Option<i32> {
        if SlurmHandle::is_slurm(handle) { self.slurm.ended_with(handle).await } else { None }
    }

    async fn find_submitted(&self, dir: &Path) -> Result<Option<String>, String> {
        self.slurm.find_submitted(dir).await
    }
}
