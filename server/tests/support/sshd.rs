//! An OpenSSH server on loopback for the Slurm executor's SSH path: its own host key, one
//! client key allowed to log in as the current user (root in CI), stopped when dropped.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Sshd {
    pub port: u16,
    /// The client's private key.
    pub key: PathBuf,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn keygen(path: &std::path::Path) {
    let out = Command::new("ssh-keygen").args(["-q", "-t", "ed25519", "-N", "", "-f"]).arg(path).output().expect("ssh-keygen runs");
    assert!(out.status.success(), "ssh-keygen: {}", String::from_utf8_lossy(&out.stderr));
}

pub fn start() -> Sshd {
    let dir = tempfile::tempdir().unwrap();
    let (host_key, key) = (dir.path().join("host_key"), dir.path().join("client_key"));
    keygen(&host_key);
    keygen(&key);
    std::fs::copy(key.with_extension("pub"), dir.path().join("authorized_keys")).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let config = dir.path().join("sshd_config");
    std::fs::write(
        &config,
        format!(
            "Port {port}\nListenAddress 127.0.0.1\nHostKey {}\nAuthorizedKeysFile {}\nPidFile {}\nPermitRootLogin prohibit-password\n\
             PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\nMaxStartups 100:30:200\n",
            host_key.display(),
            dir.path().join("authorized_keys").display(),
            dir.path().join("sshd.pid").display()
        ),
    )
    .unwrap();
    // Privilege separation needs this folder; a host key seen before on this port is forgotten.
    std::fs::create_dir_all("/run/sshd").unwrap();
    let _ = Command::new("ssh-keygen").args(["-R", &format!("[127.0.0.1]:{port}")]).stdout(Stdio::null()).stderr(Stdio::null()).status();
    let child = Command::new("/usr/sbin/sshd").args(["-D", "-e", "-f"]).arg(&config).stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("sshd starts (openssh-server)");
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "sshd did not listen on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
    Sshd { port, key, child, _dir: dir }
}
