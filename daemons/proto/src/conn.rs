//! A framed connection over any byte stream. TCP today; a TLS stream (issue: TLS)
//! plugs in through [`AsyncStream`] without touching the protocol code.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_util::codec::Framed;

use crate::packet::{BnetCodec, Packet, Signal};
use crate::ProtoError;

/// Any bidirectional byte stream a [`Conn`] can run over (TCP, TLS over TCP, an
/// in-memory duplex in tests).
pub trait AsyncStream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> AsyncStream for T {}

/// A boxed stream, the seam where TLS is inserted.
pub type BoxStream = Box<dyn AsyncStream>;

/// A framed bnet connection.
pub struct Conn {
    framed: Framed<BoxStream, BnetCodec>,
    peer: String,
}

impl std::fmt::Debug for Conn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Conn").field("peer", &self.peer).finish()
    }
}

impl Conn {
    /// Wrap a stream; `peer` is used in logs and errors.
    pub fn new(stream: BoxStream, peer: impl Into<String>) -> Conn {
        Conn { framed: Framed::new(stream, BnetCodec::default()), peer: peer.into() }
    }

    /// Wrap a TCP stream (Nagle off: the protocol is request/response).
    pub fn from_tcp(stream: TcpStream) -> Conn {
        let peer = stream.peer_addr().map(|a| a.to_string()).unwrap_or_else(|_| "?".into());
        let _ = stream.set_nodelay(true);
        Conn::new(Box::new(stream), peer)
    }

    /// The peer's address, for logs.
    pub fn peer(&self) -> &str {
        &self.peer
    }

    /// Send one packet and flush.
    pub async fn send(&mut self, p: Packet) -> Result<(), ProtoError> {
        self.framed.send(p).await
    }

    /// Queue a packet without flushing (use [`Conn::flush`] after a batch).
    pub async fn feed(&mut self, p: Packet) -> Result<(), ProtoError> {
        self.framed.feed(p).await
    }

    /// Flush queued packets.
    pub async fn flush(&mut self) -> Result<(), ProtoError> {
        self.framed.flush().await
    }

    /// Send a text frame.
    pub async fn send_text(&mut self, s: impl Into<String>) -> Result<(), ProtoError> {
        self.send(Packet::text(s)).await
    }

    /// Send a signal.
    pub async fn send_signal(&mut self, s: Signal) -> Result<(), ProtoError> {
        self.send(Packet::Signal(s)).await
    }

    /// Receive the next packet; `None` on a clean end of stream.
    pub async fn recv(&mut self) -> Result<Option<Packet>, ProtoError> {
        self.framed.next().await.transpose()
    }

    /// Receive with a deadline.
    pub async fn recv_timeout(&mut self, d: Duration) -> Result<Option<Packet>, ProtoError> {
        match tokio::time::timeout(d, self.recv()).await {
            Ok(r) => r,
            Err(_) => Err(ProtoError::Timeout(d)),
        }
    }

    /// Flush and shut the write half down gracefully (FIN, not RST).
    pub async fn close(mut self) {
        let _ = self.framed.flush().await;
        let _ = self.framed.get_mut().shutdown().await;
    }
}

/// The first byte of a TLS handshake record.
pub const TLS_HANDSHAKE_BYTE: u8 = 0x16;
/// A fatal `handshake_failure` alert record (TLS 1.2 framing).
pub const TLS_ALERT_HANDSHAKE_FAILURE: [u8; 7] = [0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28];

/// True when the first bytes of a connection look like a TLS ClientHello.
pub async fn looks_like_tls(stream: &TcpStream) -> std::io::Result<bool> {
    let mut b = [0u8; 1];
    let n = stream.peek(&mut b).await?;
    Ok(n == 1 && b[0] == TLS_HANDSHAKE_BYTE)
}

/// Answer a TLS ClientHello on a listener without TLS: drain the record, send a
/// TLS alert and close gracefully, so PSK-capable clients fall back to cleartext
/// instead of seeing a connection reset (PROTOCOL.md §3.4).
pub async fn refuse_tls(mut stream: TcpStream, read_timeout: Duration) -> std::io::Result<()> {
    let drain = async {
        let mut hdr = [0u8; 5];
        stream.read_exact(&mut hdr).await?;
        let len = u16::from_be_bytes([hdr[3], hdr[4]]) as usize;
        let mut body = vec![0u8; len.min(1 << 14)];
        stream.read_exact(&mut body).await?;
        Ok::<_, std::io::Error>(())
    };
    let _ = tokio::time::timeout(read_timeout, drain).await;
    stream.write_all(&TLS_ALERT_HANDSHAKE_FAILURE).await?;
    stream.flush().await?;
    stream.shutdown().await?;
    // Give the peer a moment to read the alert before the socket is dropped, and drain
    // whatever it still sends so the kernel does not answer with a reset.
    let mut sink = [0u8; 512];
    let _ = tokio::time::timeout(Duration::from_millis(500), async {
        loop {
            match stream.read(&mut sink).await {
                Ok(0) | Err(_) => break,
                Ok(_) => continue,
            }
        }
    })
    .await;
    Ok(())
}
