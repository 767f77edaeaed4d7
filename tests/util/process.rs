//! A server process the harness owns: killed (SIGKILL, like a crashed
//! machine) when asked or when dropped.

use std::process::Child;

pub struct Server {
    pub client_port: u16,
    child: Option<Child>,
}

impl Server {
    pub fn new(client_port: u16, child: Child) -> Server {
        Server { client_port, child: Some(child) }
    }

    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}
