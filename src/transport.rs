//! Message transports, in the same zero-allocation style as HTTP.
//!
//! - **MQTT 5 user properties** are ordered UTF-8 `(name, value)` pairs: read them through the
//!   slice carriers (`[(&str, &str)]`) and write them with [`crate::carrier::Headers`], whose
//!   `set` replaces instead of duplicating. Configure the `tracecontext` style (plus `baggage` if
//!   wanted) for `traceparent` / `tracestate`.
//! - **Kafka record headers** are `(String, bytes)` pairs that may repeat: read them through
//!   `[(&str, &[u8])]` / `[(&[u8], &[u8])]`; write with `Headers`, which replaces a name rather
//!   than appending a second header of that name (Kafka keeps duplicates, and a consumer reading
//!   the first one would see a stale context).
//! - **Amazon SQS** carries Datadog's context in one message attribute, `_datadog`, whose string
//!   value is a flat JSON object of header pairs. [`sqs::JsonObject`] reads it in place (an
//!   [`Extract`]) and [`sqs::JsonObjectWriter`] writes it into a caller's buffer (an [`Inject`]),
//!   both without serde and without allocation. SQS allows 10 message attributes:
//!   [`sqs::can_add_attribute`] says whether `_datadog` still fits.

use crate::carrier::{CarrierError, Extract, InPlace, Inject, StripSet};

/// Amazon SQS: the `_datadog` message attribute.
pub mod sqs {
    use super::*;
    use crate::wire::buf::Writer;

    /// The attribute's name.
    pub const ATTRIBUTE: &str = "_datadog";
    /// SQS's limit on message attributes per message.
    pub const MAX_MESSAGE_ATTRIBUTES: usize = 10;

    /// True when a message that already has `existing` attributes can take `_datadog` too.
    pub const fn can_add_attribute(existing: usize) -> bool {
        existing < MAX_MESSAGE_ATTRIBUTES
    }

    /// A flat JSON object of string members, read in place: `{"name": "value", ...}`.
    ///
    /// Members whose name or value contains a JSON escape (`\`) are skipped (unescaping would
    /// need a copy; header names and the values tracewire writes never contain one). A value that
    /// is not a string, or a malformed object, ends the scan: members before it are kept.
    #[derive(Clone, Copy, Debug)]
    ///
    /// ```
    /// use tracewire::config::Config;
    /// use tracewire::propagate;
    /// use tracewire::transport::sqs::JsonObject;
    ///
    /// let attr = br#"{"x-datadog-trace-id":"12","x-datadog-parent-id":"34"}"#;
    /// let carrier = JsonObject(attr);
    /// let mut slots = propagate::Slots::new();
    /// let ex = propagate::extract(&carrier, &Config::new(), &mut slots);
    /// assert_eq!(ex.context.unwrap().trace_id.get(), 12);
    /// ```
    pub struct JsonObject<'a>(pub &'a [u8]);

    fn ws(mut s: &[u8]) -> &[u8] {
        while let [b' ' | b'\t' | b'\n' | b'\r', rest @ ..] = s {
            s = rest;
        }
        s
    }

    /// Splits a JSON string at the start of `s` (after its opening quote): `(content, rest,
    /// escaped)`.
    fn string(s: &[u8]) -> Option<(&[u8], &[u8], bool)> {
        let mut escaped = false;
        let mut i = 0;
        while let Some(&b) = s.get(i) {
            match b {
                b'\\' => {
                    escaped = true;
                    i = i.saturating_add(2);
                }
                b'"' => return Some((s.get(..i)?, s.get(i.saturating_add(1)..)?, escaped)),
                _ => i = i.saturating_add(1),
            }
        }
        None
    }

    impl Extract for JsonObject<'_> {
        fn for_each_header<'a, F: FnMut(&'a [u8], &'a [u8])>(&'a self, mut f: F) {
            let mut s = ws(self.0);
            let Some(rest) = s.strip_prefix(b"{") else {
                return;
            };
            s = ws(rest);
            loop {
                let Some(rest) = s.strip_prefix(b"\"") else {
                    return;
                };
                let Some((name, rest, e1)) = string(rest) else {
                    return;
                };
                let Some(rest) = ws(rest).strip_prefix(b":") else {
                    return;
                };
                let Some(rest) = ws(rest).strip_prefix(b"\"") else {
                    return;
                };
                let Some((value, rest, e2)) = string(rest) else {
                    return;
                };
                if !e1 && !e2 {
                    f(name, value);
                }
                s = ws(rest);
                match s.split_first() {
                    Some((b',', rest)) => s = ws(rest),
                    _ => return,
                }
            }
        }
    }

    /// Writes a flat JSON object of the injected headers into a caller's buffer. Call
    /// [`JsonObjectWriter::finish`] to get the attribute value.
    #[derive(Debug)]
    ///
    /// ```
    /// use tracewire::carrier::Inject;
    /// use tracewire::transport::sqs::JsonObjectWriter;
    ///
    /// let mut buf = [0u8; 64];
    /// let mut w = JsonObjectWriter::new(&mut buf);
    /// w.set("b3", b"1-2-1").unwrap();
    /// assert_eq!(w.finish(), Some(&br#"{"b3":"1-2-1"}"#[..]));
    /// ```
    pub struct JsonObjectWriter<'b> {
        w: Writer<'b>,
        members: usize,
    }

    impl<'b> JsonObjectWriter<'b> {
        /// A writer over `buf`.
        pub const fn new(buf: &'b mut [u8]) -> Self {
            JsonObjectWriter {
                w: Writer::new(buf),
                members: 0,
            }
        }

        /// Closes the object and returns it (`{}` when nothing was set); `None` if the buffer
        /// cannot hold the braces.
        pub fn finish(self) -> Option<&'b [u8]> {
            let JsonObjectWriter { mut w, members } = self;
            if members == 0 {
                w.push(b"{").ok()?;
            }
            w.push(b"}").ok()?;
            Some(w.into_written())
        }
    }

    fn escaped_len(v: &[u8]) -> usize {
        v.iter().fold(0usize, |n, &b| {
            n.saturating_add(if b == b'"' || b == b'\\' {
                2
            } else if b < 0x20 {
                6
            } else {
                1
            })
        })
    }

    /// Bytes one member takes: `{` or `,`, quotes, colon, the escaped value.
    fn member_len(name: &str, value: &[u8]) -> usize {
        (1 + 2 + 1 + 2usize)
            .saturating_add(name.len())
            .saturating_add(escaped_len(value))
    }

    impl Inject for JsonObjectWriter<'_> {
        fn in_place(&mut self) -> Option<&mut dyn InPlace> {
            Some(self)
        }

        fn set(&mut self, name: &'static str, value: &[u8]) -> Result<(), CarrierError> {
            // Room for the closing brace is kept.
            let need = member_len(name, value).saturating_add(1);
            if self.w.remaining() < need {
                return Err(CarrierError::Full);
            }
            let mark = self.w.len();
            let r = self.write_member(name, value);
            if r.is_err() {
                self.w.truncate(mark);
            }
            r
        }

        fn reserve(&mut self, headers: usize, bytes: usize) -> Result<(), CarrierError> {
            // Names are at most 27 bytes; a value byte takes at most 6 escaped (`\u00XX`).
            let need = headers
                .saturating_mul(27 + 6)
                .saturating_add(bytes.saturating_mul(6))
                .saturating_add(2);
            if self.w.remaining() < need {
                Err(CarrierError::Full)
            } else {
                Ok(())
            }
        }

        fn prepare(&mut self, headers: &[(&'static str, &[u8])]) -> Result<(), CarrierError> {
            // Exactly what the members take, plus the closing brace (names are never repeated
            // by injection). Nothing to set needs no room (as for the direct path, `finish`
            // says whether the braces fit).
            if headers.is_empty() {
                return Ok(());
            }
            let need = headers
                .iter()
                .fold(1usize, |n, (name, v)| n.saturating_add(member_len(name, v)));
            if self.w.remaining() < need {
                Err(CarrierError::Full)
            } else {
                Ok(())
            }
        }
    }

    /// Bytes in front of a member's value: `{"` or `,"`, the name, `":"`.
    fn value_offset(name: &str) -> usize {
        name.len().saturating_add(5)
    }

    /// Written directly by injection: each value is written raw after its member's opening,
    /// then escaped in place (backwards, so nothing is overwritten before it is moved); the
    /// closing brace's byte is always kept free. A rollback truncates.
    impl InPlace for JsonObjectWriter<'_> {
        fn mark(&self) -> usize {
            self.w.len()
        }

        fn value_room(&mut self, name: &'static str) -> &mut [u8] {
            // The closing quote and the closing brace stay free.
            self.w.room_after(value_offset(name), 2)
        }

        fn push_value(&mut self, name: &'static str, len: usize) -> Result<(), CarrierError> {
            let full = |_| CarrierError::Full;
            let off = value_offset(name);
            let start = self.w.len().saturating_add(off);
            let raw = self.w.slice_mut(start, len).ok_or(CarrierError::Full)?;
            let escaped = escaped_len(raw);
            let need = off.saturating_add(escaped).saturating_add(2);
            if self.w.remaining() < need {
                return Err(CarrierError::Full);
            }
            if escaped > len {
                let v = self.w.slice_mut(start, escaped).ok_or(CarrierError::Full)?;
                escape_backwards(v, len);
            }
            let open: &[u8] = if self.members == 0 { b"{\"" } else { b",\"" };
            self.w.write_ahead(0, open).map_err(full)?;
            self.w.write_ahead(2, name.as_bytes()).map_err(full)?;
            self.w
                .write_ahead(name.len().saturating_add(2), b"\":\"")
                .map_err(full)?;
            self.w.advance(off.saturating_add(escaped)).map_err(full)?;
            self.w.push_byte(b'"').map_err(full)?;
            self.members = self.members.saturating_add(1);
            Ok(())
        }

        fn rollback(&mut self, mark: usize) {
            self.w.truncate(mark);
            // Every member writes at least its opening, so none is left exactly when the
            // object is empty again.
            if mark == 0 {
                self.members = 0;
            }
        }

        fn commit(&mut self, _mark: usize, _strip: StripSet) {}
    }

    /// Escapes the first `len` bytes of `v` in place, into the whole of `v` (whose length is
    /// their escaped length), from the last byte back.
    fn escape_backwards(v: &mut [u8], len: usize) {
        let mut dst = v.len();
        for src in (0..len).rev() {
            let Some(&b) = v.get(src) else {
                continue;
            };
            let hex;
            let out: &[u8] = match b {
                b'"' | b'\\' => {
                    hex = [b'\\', b, 0, 0, 0, 0];
                    hex.get(..2).unwrap_or(&[])
                }
                0..=0x1f => {
                    let h = crate::wire::hex::encode_u8(b);
                    hex = [b'\\', b'u', b'0', b'0', h[0], h[1]];
                    &hex
                }
                _ => {
                    hex = [b, 0, 0, 0, 0, 0];
                    hex.get(..1).unwrap_or(&[])
                }
            };
            let Some(from) = dst.checked_sub(out.len()) else {
                return;
            };
            if let Some(d) = v.get_mut(from..dst) {
                d.copy_from_slice(out);
            }
            dst = from;
        }
    }

    impl JsonObjectWriter<'_> {
        fn write_member(&mut self, name: &str, value: &[u8]) -> Result<(), CarrierError> {
            let full = |_| CarrierError::Full;
            self.w
                .push(if self.members == 0 { b"{\"" } else { b",\"" })
                .map_err(full)?;
            self.w.push(name.as_bytes()).map_err(full)?;
            self.w.push(b"\":\"").map_err(full)?;
            for &b in value {
                match b {
                    b'"' | b'\\' => self.w.push(&[b'\\', b]).map_err(full)?,
                    0..=0x1f => {
                        let hex = crate::wire::hex::encode_u8(b);
                        self.w.push(b"\\u00").map_err(full)?;
                        self.w.push(&hex).map_err(full)?;
                    }
                    _ => self.w.push_byte(b).map_err(full)?,
                }
            }
            self.w.push_byte(b'"').map_err(full)?;
            self.members = self.members.saturating_add(1);
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::sqs::*;
    use crate::carrier::{Extract, Headers, Inject};
    use crate::config::{Config, Style, StyleSet};
    use crate::propagate::{self, BaggageOut};
    use crate::SpanId;
    use std::vec::Vec;

    #[test]
    fn sqs_attribute_round_trip() {
        let incoming = [
            ("x-datadog-trace-id", "1234"),
            ("x-datadog-parent-id", "5678"),
            ("x-datadog-sampling-priority", "1"),
        ];
        let cfg = Config::new().with_styles(
            StyleSet::EMPTY
                .with(Style::Datadog)
                .with(Style::TraceContext),
        );
        let mut slots = crate::propagate::Slots::new();
        let ex = propagate::extract(&incoming, &cfg, &mut slots);
        let child = ex.context.unwrap().child(SpanId::new(42).unwrap());
        let mut buf = [0u8; 1024];
        let mut w = JsonObjectWriter::new(&mut buf);
        propagate::inject(Some(&child), BaggageOut::None, &cfg, &mut w).unwrap();
        let json = w.finish().unwrap();
        let text = core::str::from_utf8(json).unwrap();
        assert!(
            text.starts_with("{\"x-datadog-trace-id\":\"1234\",\"x-datadog-parent-id\":\"42\""),
            "{text}"
        );
        let carrier = JsonObject(json);
        let mut slots = crate::propagate::Slots::new();
        let back = propagate::extract(&carrier, &cfg, &mut slots);
        assert_eq!(back.context.unwrap().span_id, SpanId::new(42));
        assert!(can_add_attribute(9) && !can_add_attribute(10));
    }

    #[test]
    fn sqs_reader_is_tolerant_and_bounded() {
        let j = JsonObject(
            b" { \"traceparent\" : \"00-x\" , \"esc\\\"aped\":\"v\", \"n\": 1, \"late\":\"x\"}",
        );
        let mut seen = Vec::new();
        j.for_each_header(|n, v| seen.push((n.to_vec(), v.to_vec())));
        assert_eq!(seen, [(b"traceparent".to_vec(), b"00-x".to_vec())]);
        for bad in [&b""[..], b"[", b"{\"a", b"{\"a\":", b"{\"a\":\"b"] {
            JsonObject(bad).for_each_header(|_, _| panic!("nothing to read in {bad:?}"));
        }
    }

    #[test]
    fn sqs_writer_escapes_and_stays_within_its_buffer() {
        let mut buf = [0u8; 32];
        let mut w = JsonObjectWriter::new(&mut buf);
        w.set("b3", b"a\"b").unwrap();
        assert!(w
            .set("traceparent", b"00-4bf92f3577b34da6a3ce929d0e0e4736")
            .is_err());
        assert_eq!(w.finish(), Some(&b"{\"b3\":\"a\\\"b\"}"[..]));
        let mut empty = [0u8; 2];
        assert_eq!(JsonObjectWriter::new(&mut empty).finish(), Some(&b"{}"[..]));
    }

    #[test]
    fn kafka_and_mqtt_headers_replace_instead_of_duplicating() {
        // Kafka record headers: (name, bytes), possibly repeated. Re-injecting replaces.
        let record: [(&str, &[u8]); 2] = [
            (
                "traceparent",
                b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            ),
            ("other", b"\x00\x01"),
        ];
        let cfg = Config::new().with_styles(StyleSet::EMPTY.with(Style::TraceContext));
        let mut slots = crate::propagate::Slots::new();
        let ex = propagate::extract(&record, &cfg, &mut slots);
        let mut out = Headers::<8, 512>::new();
        out.set("traceparent", b"stale").unwrap();
        let child = ex.context.unwrap().child(SpanId::new(7).unwrap());
        propagate::inject(Some(&child), BaggageOut::None, &cfg, &mut out).unwrap();
        assert_eq!(out.iter().filter(|(n, _)| *n == "traceparent").count(), 1);
        assert_eq!(
            out.get("traceparent"),
            Some(&b"00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000007-01"[..])
        );
        // MQTT 5 user properties: UTF-8 pairs, read through the slice carrier.
        let props = [
            (
                "traceparent",
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            ),
            ("tracestate", "congo=t61rcWkgMzE"),
        ];
        let mut slots = crate::propagate::Slots::new();
        let ex = propagate::extract(&props, &cfg, &mut slots);
        assert!(ex
            .context
            .unwrap()
            .tracestate
            .unwrap()
            .get(b"congo")
            .is_some());
    }
}
