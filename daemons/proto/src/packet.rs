//! The Bareos packet ("bnet") framing: a 4-byte big-endian signed length; a positive
//! length is followed by that many payload bytes, zero is an empty packet, a negative
//! value is a [`Signal`] with no payload. See `PROTOCOL.md` §1.

use bytes::{Buf, BufMut, Bytes, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

use crate::ProtoError;

/// Largest payload a receiver accepts (Bareos: 1,000,000 bytes).
pub const MAX_PACKET: usize = 1_000_000;
/// Largest payload a sender puts into one frame; longer messages are split.
pub const MAX_SEND_CHUNK: usize = MAX_PACKET - 4;

macro_rules! signals {
    ($($var:ident = $val:literal, $name:literal;)*) => {
        /// A bnet signal (negative frame header). Unknown negative values are kept.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Signal { $($var,)* Unknown(i32) }
        impl Signal {
            /// Every known signal, in numeric order (-1, -2, ...).
            pub const KNOWN: &'static [Signal] = &[$(Signal::$var),*];
            /// The wire value (always negative).
            pub fn value(self) -> i32 { match self { $(Signal::$var => $val,)* Signal::Unknown(v) => v } }
            /// Decode a negative header value.
            pub fn from_value(v: i32) -> Signal { match v { $($val => Signal::$var,)* other => Signal::Unknown(other) } }
            /// The Bareos constant name (`BNET_EOD` ...).
            pub fn name(self) -> &'static str { match self { $(Signal::$var => $name,)* Signal::Unknown(_) => "BNET_UNKNOWN" } }
        }
    };
}

signals! {
    Eod = -1, "BNET_EOD";
    EodPoll = -2, "BNET_EOD_POLL";
    Status = -3, "BNET_STATUS";
    Terminate = -4, "BNET_TERMINATE";
    Poll = -5, "BNET_POLL";
    Heartbeat = -6, "BNET_HEARTBEAT";
    HbResponse = -7, "BNET_HB_RESPONSE";
    ObsoletePrompt = -8, "BNET_xxxxxxPROMPT";
    BTime = -9, "BNET_BTIME";
    Break = -10, "BNET_BREAK";
    StartSelect = -11, "BNET_START_SELECT";
    EndSelect = -12, "BNET_END_SELECT";
    InvalidCmd = -13, "BNET_INVALID_CMD";
    CmdFailed = -14, "BNET_CMD_FAILED";
    CmdOk = -15, "BNET_CMD_OK";
    CmdBegin = -16, "BNET_CMD_BEGIN";
    MsgsPending = -17, "BNET_MSGS_PENDING";
    MainPrompt = -18, "BNET_MAIN_PROMPT";
    SelectInput = -19, "BNET_SELECT_INPUT";
    WarningMsg = -20, "BNET_WARNING_MSG";
    ErrorMsg = -21, "BNET_ERROR_MSG";
    InfoMsg = -22, "BNET_INFO_MSG";
    RunCmd = -23, "BNET_RUN_CMD";
    YesNo = -24, "BNET_YESNO";
    StartRtree = -25, "BNET_START_RTREE";
    EndRtree = -26, "BNET_END_RTREE";
    SubPrompt = -27, "BNET_SUB_PROMPT";
    TextInput = -28, "BNET_TEXT_INPUT";
}

/// One frame on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Packet {
    /// A payload (possibly empty: header 0).
    Data(Bytes),
    /// A signal (negative header).
    Signal(Signal),
}

impl Packet {
    /// A data packet from text.
    pub fn text(s: impl Into<String>) -> Packet {
        Packet::Data(Bytes::from(s.into().into_bytes()))
    }
    /// The payload as lossy UTF-8 (empty for signals).
    pub fn as_text(&self) -> String {
        match self {
            Packet::Data(b) => String::from_utf8_lossy(b).into_owned(),
            Packet::Signal(_) => String::new(),
        }
    }
}

/// Codec for [`Packet`]s, usable with `tokio_util::codec::Framed`.
///
/// Decoding never allocates before a whole frame is buffered; an over-long positive
/// header is an error (the connection must be dropped, as Bareos does).
#[derive(Debug, Clone)]
pub struct BnetCodec {
    max_packet: usize,
}

impl Default for BnetCodec {
    fn default() -> Self {
        BnetCodec { max_packet: MAX_PACKET }
    }
}

impl BnetCodec {
    /// A codec accepting payloads up to `max_packet` bytes.
    pub fn with_max(max_packet: usize) -> Self {
        BnetCodec { max_packet }
    }
}

impl Decoder for BnetCodec {
    type Item = Packet;
    type Error = ProtoError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Packet>, ProtoError> {
        if src.len() < 4 {
            return Ok(None);
        }
        let header = i32::from_be_bytes([src[0], src[1], src[2], src[3]]);
        if header < 0 {
            src.advance(4);
            return Ok(Some(Packet::Signal(Signal::from_value(header))));
        }
        let len = header as usize;
        if len > self.max_packet {
            return Err(ProtoError::PacketTooBig { len, max: self.max_packet });
        }
        if src.len() < 4 + len {
            src.reserve(4 + len - src.len());
            return Ok(None);
        }
        src.advance(4);
        Ok(Some(Packet::Data(src.split_to(len).freeze())))
    }
}

impl Encoder<Packet> for BnetCodec {
    type Error = ProtoError;

    fn encode(&mut self, item: Packet, dst: &mut BytesMut) -> Result<(), ProtoError> {
        match item {
            Packet::Signal(s) => dst.put_i32(s.value()),
            Packet::Data(b) if b.is_empty() => dst.put_i32(0),
            Packet::Data(b) => {
                for chunk in b.chunks(MAX_SEND_CHUNK) {
                    dst.reserve(4 + chunk.len());
                    // chunk.len() <= MAX_SEND_CHUNK < i32::MAX
                    dst.put_i32(chunk.len() as i32);
                    dst.put_slice(chunk);
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(codec: &mut BnetCodec, bytes: &[u8], chunk: usize) -> Result<Vec<Packet>, ProtoError> {
        let mut buf = BytesMut::new();
        let mut out = Vec::new();
        for piece in bytes.chunks(chunk.max(1)) {
            buf.extend_from_slice(piece);
            while let Some(p) = codec.decode(&mut buf)? {
                out.push(p);
            }
        }
        assert!(buf.is_empty(), "left-over bytes");
        Ok(out)
    }

    fn sample_stream() -> (Vec<u8>, Vec<Packet>) {
        let mut bytes = Vec::new();
        // "Hello" data frame
        bytes.extend_from_slice(&[0, 0, 0, 5]);
        bytes.extend_from_slice(b"Hello");
        // BNET_EOD
        bytes.extend_from_slice(&[0xff, 0xff, 0xff, 0xff]);
        // zero-length packet
        bytes.extend_from_slice(&[0, 0, 0, 0]);
        // BNET_MAIN_PROMPT (-18)
        bytes.extend_from_slice(&[0xff, 0xff, 0xff, 0xee]);
        // unknown signal -1000
        bytes.extend_from_slice(&(-1000i32).to_be_bytes());
        // binary payload with NUL
        bytes.extend_from_slice(&[0, 0, 0, 3, 0, 0x1e, 0xff]);
        let packets = vec![
            Packet::Data(Bytes::from_static(b"Hello")),
            Packet::Signal(Signal::Eod),
            Packet::Data(Bytes::new()),
            Packet::Signal(Signal::MainPrompt),
            Packet::Signal(Signal::Unknown(-1000)),
            Packet::Data(Bytes::from_static(&[0, 0x1e, 0xff])),
        ];
        (bytes, packets)
    }

    #[test]
    fn decodes_whole_one_byte_and_odd_chunks() -> Result<(), ProtoError> {
        let (bytes, expected) = sample_stream();
        for chunk in [bytes.len(), 1, 3, 7, 64 * 1024] {
            let got = decode_all(&mut BnetCodec::default(), &bytes, chunk)?;
            assert_eq!(got, expected, "chunk size {chunk}");
        }
        Ok(())
    }

    #[test]
    fn encodes_to_the_same_bytes() -> Result<(), ProtoError> {
        let (bytes, packets) = sample_stream();
        let mut codec = BnetCodec::default();
        let mut dst = BytesMut::new();
        for p in packets {
            codec.encode(p, &mut dst)?;
        }
        assert_eq!(&dst[..], &bytes[..]);
        Ok(())
    }

    #[test]
    fn signal_table_is_complete() {
        assert_eq!(Signal::KNOWN.len(), 28);
        for (i, s) in Signal::KNOWN.iter().enumerate() {
            assert_eq!(s.value(), -(i as i32) - 1);
            assert_eq!(Signal::from_value(s.value()), *s);
        }
        assert_eq!(Signal::MainPrompt.value(), -18);
        assert_eq!(Signal::SubPrompt.name(), "BNET_SUB_PROMPT");
    }

    #[test]
    fn oversized_header_is_an_error() {
        let mut codec = BnetCodec::default();
        let mut buf = BytesMut::from(&[0x00, 0x0f, 0x42, 0x41][..]); // 1,000,001
        assert!(matches!(codec.decode(&mut buf), Err(ProtoError::PacketTooBig { len: 1_000_001, .. })));
        // exactly the limit is accepted (waits for the payload)
        let mut buf = BytesMut::from(&[0x00, 0x0f, 0x42, 0x40][..]);
        assert!(matches!(codec.decode(&mut buf), Ok(None)));
        // a TLS ClientHello read as a header is too big
        let mut buf = BytesMut::from(&[0x16, 0x03, 0x01, 0x02, 0x00][..]);
        assert!(codec.decode(&mut buf).is_err());
    }

    #[test]
    fn long_messages_are_split() -> Result<(), ProtoError> {
        let big = vec![b'x'; MAX_SEND_CHUNK * 2 + 10];
        let mut dst = BytesMut::new();
        BnetCodec::default().encode(Packet::Data(Bytes::from(big.clone())), &mut dst)?;
        let got = decode_all(&mut BnetCodec::default(), &dst, 4096)?;
        assert_eq!(got.len(), 3);
        let lens: Vec<usize> = got
            .iter()
            .map(|p| match p {
                Packet::Data(b) => b.len(),
                Packet::Signal(_) => 0,
            })
            .collect();
        assert_eq!(lens, vec![MAX_SEND_CHUNK, MAX_SEND_CHUNK, 10]);
        let joined: Vec<u8> = got
            .iter()
            .flat_map(|p| match p {
                Packet::Data(b) => b.to_vec(),
                Packet::Signal(_) => Vec::new(),
            })
            .collect();
        assert_eq!(joined, big);
        Ok(())
    }

    #[test]
    fn truncated_frame_waits() -> Result<(), ProtoError> {
        let mut codec = BnetCodec::default();
        let mut buf = BytesMut::from(&[0, 0, 0, 10, b'a', b'b'][..]);
        assert_eq!(codec.decode(&mut buf)?, None);
        assert_eq!(buf.len(), 6, "nothing consumed");
        Ok(())
    }
}
