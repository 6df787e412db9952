//! A lean load client for the book feed: many WebSocket connections read by a couple of threads over
//! epoll (mio), frames parsed in place, each `book_update`'s latency taken from its sequence number.
//! A client built from one task per connection (tokio-tungstenite) spends more CPU per message than
//! the server does (docs/performance.md), and on one machine that CPU is taken from the server; this one
//! reads what arrives in one system call per wake-up and looks only at the frame header and the
//! sequence. Real sockets, a real handshake, every frame read: only the work around them is less.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use mio::{Events, Interest, Poll, Token};

/// When each update was caused: microseconds since `epoch` by sequence number (index = sequence - 1),
/// 0 while not yet sent.
pub type SentTimes = Arc<Vec<AtomicU64>>;

/// Opens one feed connection: the HTTP upgrade, then the socket as it is (the snapshot that follows is
/// read with the rest).
pub fn connect(port: u16, path: &str) -> std::io::Result<TcpStream> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_nodelay(true)?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )?;
    // Read the response head byte by byte: whatever follows it belongs to the frame reader.
    let mut head = Vec::new();
    let mut byte = [0u8];
    while !head.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte)? == 0 {
            return Err(ErrorKind::UnexpectedEof.into());
        }
        head.push(byte[0]);
    }
    if !head.starts_with(b"HTTP/1.1 101") {
        return Err(std::io::Error::other(String::from_utf8_lossy(&head).into_owned()));
    }
    Ok(stream)
}

/// Readers over the given connections, split between `threads` threads, until `stop` is set and a
/// quiet moment passed; each thread hands back the latencies (µs) it saw.
pub fn read_all(
    streams: Vec<TcpStream>,
    threads: usize,
    sent: SentTimes,
    epoch: Instant,
    stop: Arc<AtomicBool>,
) -> Vec<JoinHandle<Vec<u64>>> {
    let mut shares: Vec<Vec<TcpStream>> = (0..threads).map(|_| Vec::new()).collect();
    for (i, s) in streams.into_iter().enumerate() {
        shares[i % threads].push(s);
    }
    shares
        .into_iter()
        .map(|share| {
            let (sent, stop) = (sent.clone(), stop.clone());
            std::thread::spawn(move || reader(share, &sent, epoch, &stop))
        })
        .collect()
}

struct Conn {
    stream: mio::net::TcpStream,
    /// Bytes read but not yet a whole frame.
    pending: Vec<u8>,
}

fn reader(streams: Vec<TcpStream>, sent: &[AtomicU64], epoch: Instant, stop: &AtomicBool) -> Vec<u64> {
    let mut poll = Poll::new().expect("epoll");
    let mut conns: Vec<Conn> = Vec::with_capacity(streams.len());
    for (i, s) in streams.into_iter().enumerate() {
        s.set_nonblocking(true).expect("non-blocking socket");
        let mut stream = mio::net::TcpStream::from_std(s);
        poll.registry().register(&mut stream, Token(i), Interest::READABLE).expect("register");
        conns.push(Conn { stream, pending: Vec::new() });
    }
    let mut latencies = Vec::new();
    let mut events = Events::with_capacity(1024);
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        poll.poll(&mut events, Some(Duration::from_millis(200))).expect("epoll_wait");
        if events.is_empty() && stop.load(Ordering::Acquire) {
            return latencies;
        }
        for event in events.iter() {
            let conn = &mut conns[event.token().0];
            // Edge-triggered: read until the socket is drained. A read that did not fill the buffer
            // drained it (anything arriving later raises a new edge), so no second read is needed to
            // hear WouldBlock: one system call per wake-up instead of two.
            loop {
                match conn.stream.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => {
                        conn.pending.extend_from_slice(&buf[..n]);
                        let mut pinged = false;
                        let used = frames(&conn.pending, |opcode, payload| {
                            pinged |= opcode == PING;
                            if let Some(at) = book_update_sequence(payload)
                                .and_then(|seq| sent.get(seq.wrapping_sub(1)))
                                .map(|t| t.load(Ordering::Acquire))
                                .filter(|&t| t > 0)
                            {
                                latencies.push(epoch.elapsed().as_micros() as u64 - at);
                            }
                        });
                        conn.pending.drain(..used);
                        // A client that never answers the server's pings is closed as silent: a pong
                        // (masked, as every client frame; six bytes always fit the socket's buffer).
                        if pinged {
                            let _ = conn.stream.write_all(&[0x8A, 0x80, 0, 0, 0, 0]);
                        }
                        if n < buf.len() {
                            break;
                        }
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                    Err(_) => break,
                }
            }
        }
    }
}

/// The opcode of a ping frame.
const PING: u8 = 0x9;

/// Calls `each` with the opcode and payload of every whole server frame (unmasked, RFC 6455) in
/// `bytes`; returns how many bytes those frames took.
fn frames(bytes: &[u8], mut each: impl FnMut(u8, &[u8])) -> usize {
    let mut at = 0;
    loop {
        let rest = &bytes[at..];
        if rest.len() < 2 {
            return at;
        }
        let (len, header) = match rest[1] & 0x7f {
            126 if rest.len() >= 4 => (u16::from_be_bytes([rest[2], rest[3]]) as usize, 4),
            127 if rest.len() >= 10 => (u64::from_be_bytes(rest[2..10].try_into().unwrap()) as usize, 10),
            126 | 127 => return at,
            n => (n as usize, 2),
        };
        if rest.len() < header + len {
            return at;
        }
        each(rest[0] & 0x0f, &rest[header..header + len]);
        at += header + len;
    }
}

/// The sequence of a `book_update` message, read without parsing the rest of it.
fn book_update_sequence(payload: &[u8]) -> Option<usize> {
    if !payload.starts_with(b"{\"type\":\"book_update\"") {
        return None;
    }
    let key = b"\"sequence\":";
    let start = payload.windows(key.len()).position(|w| w == key)? + key.len();
    let digits = payload[start..].iter().take_while(|b| b.is_ascii_digit()).count();
    std::str::from_utf8(&payload[start..start + digits]).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_split_whole_and_a_partial_one_waits() {
        let mut bytes = vec![0x81, 3, b'a', b'b', b'c', 0x89, 0, 0x81, 126, 0, 200];
        bytes.extend(std::iter::repeat_n(b'x', 200));
        bytes.extend([0x81, 5, b'p']);
        let mut seen = Vec::new();
        let used = frames(&bytes, |opcode, p| seen.push((opcode, p.len())));
        assert_eq!(seen, vec![(1, 3), (PING, 0), (1, 200)]);
        assert_eq!(used, 5 + 2 + 4 + 200);
    }

    #[test]
    fn the_sequence_of_a_book_update_is_read() {
        assert_eq!(book_update_sequence(br#"{"type":"book_update","data":{"sequence":1234,"bids":[]}}"#), Some(1234));
        assert_eq!(book_update_sequence(br#"{"type":"trade","data":{"sequence":5}}"#), None);
    }
}
