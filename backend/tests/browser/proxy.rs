//! A TCP proxy in front of the app whose traffic a test can freeze: the connections stay open and
//! nothing passes either way, as a pulled cable or a lost NAT entry leaves a connection half-open (no
//! close ever arrives). New connections made while frozen are accepted and hang.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub struct Proxy {
    pub port: u16,
    frozen: watch::Sender<bool>,
    accepting: JoinHandle<()>,
}

impl Proxy {
    /// Listens on a free port of 127.0.0.1 and forwards each connection to `upstream` there.
    pub async fn start(upstream: u16) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (frozen, watching) = watch::channel(false);
        let accepting = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)).await else { continue };
                let ((client_in, client_out), (server_in, server_out)) = (client.into_split(), server.into_split());
                tokio::spawn(pump(client_in, server_out, watching.clone()));
                tokio::spawn(pump(server_in, client_out, watching.clone()));
            }
        });
        Proxy { port, frozen, accepting }
    }

    /// Stops (true) or resumes (false) all traffic, of open connections and new ones.
    pub fn freeze(&self, frozen: bool) {
        self.frozen.send_replace(frozen);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.accepting.abort();
    }
}

async fn pump(mut from: OwnedReadHalf, mut to: OwnedWriteHalf, mut frozen: watch::Receiver<bool>) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        thawed(&mut frozen).await;
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        // (What was read as the freeze began is held too.)
        thawed(&mut frozen).await;
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}

async fn thawed(frozen: &mut watch::Receiver<bool>) {
    while *frozen.borrow_and_update() {
        if frozen.changed().await.is_err() {
            return;
        }
    }
}
