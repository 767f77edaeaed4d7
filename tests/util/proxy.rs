//! A TCP forwarder on a loopback port that can be taken down and brought
//! back on the same port: a store "down" for a test, then "back".

use std::io;
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub struct Proxy {
    pub port: u16,
    up: Arc<AtomicBool>,
    open: Arc<Mutex<Vec<TcpStream>>>,
}

impl Proxy {
    /// Forward 127.0.0.1:<port> to `target` (host:port), up at first.
    pub fn start(target: &str) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let open = Arc::new(Mutex::new(Vec::new()));
        let (target, flag, conns) = (target.to_string(), up.clone(), open.clone());
        std::thread::spawn(move || serve(listener, port, &target, &flag, &conns));
        Proxy { port, up, open }
    }

    /// Down: the port refuses connections and open ones are cut. Up: it
    /// forwards again.
    pub fn set_up(&self, up: bool) {
        self.up.store(up, Ordering::SeqCst);
        if !up {
            for conn in self.open.lock().unwrap().drain(..) {
                let _ = conn.shutdown(std::net::Shutdown::Both);
            }
        }
        // Let the accept loop close or reopen the port.
        std::thread::sleep(Duration::from_millis(50));
    }

    /// `url` with its first `127.0.0.1:PORT` pointed at this proxy.
    pub fn url_for(&self, url: &str) -> Option<String> {
        let at = url.find("127.0.0.1:")?;
        let rest = &url[at + "127.0.0.1:".len()..];
        let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        Some(format!("{}127.0.0.1:{}{}", &url[..at], self.port, &rest[digits..]))
    }
}

fn serve(listener: TcpListener, port: u16, target: &str, up: &AtomicBool, open: &Mutex<Vec<TcpStream>>) {
    let mut listener = Some(listener);
    loop {
        match (&listener, up.load(Ordering::SeqCst)) {
            (Some(_), false) => listener = None,
            // std sets SO_REUSEADDR, so the port can be bound again.
            (None, true) => listener = TcpListener::bind(("127.0.0.1", port)).ok(),
            _ => {}
        }
        let Some(l) = &listener else {
            std::thread::sleep(Duration::from_millis(5));
            continue;
        };
        l.set_nonblocking(true).unwrap();
        match l.accept() {
            Ok((client, _)) => {
                client.set_nonblocking(false).unwrap();
                let Ok(server) = TcpStream::connect(target) else { continue };
                let mut conns = open.lock().unwrap();
                conns.push(client.try_clone().unwrap());
                conns.push(server.try_clone().unwrap());
                pipe(client.try_clone().unwrap(), server.try_clone().unwrap());
                pipe(server, client);
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => std::thread::sleep(Duration::from_millis(5)),
            Err(_) => std::thread::sleep(Duration::from_millis(5)),
        }
    }
}

fn pipe(mut from: TcpStream, mut to: TcpStream) {
    std::thread::spawn(move || {
        let _ = io::copy(&mut from, &mut to);
        let _ = to.shutdown(std::net::Shutdown::Write);
    });
}
