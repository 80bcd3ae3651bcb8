//! HTTP/1.1 message framing shared by every role (RFC 9112 §6): the values of a header
//! and the length of a body given by `Content-Length`. Heads are parsed with `httparse`.

/// A `Content-Length` that is not one decimal number (RFC 9112 §6.3: a bad request or
/// an unrecoverable response).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadContentLength;

/// The values of every header named `name` (case-insensitive), in order.
pub fn header_values<'a, 'h: 'a>(
    headers: &'a [httparse::Header<'h>],
    name: &'static str,
) -> impl Iterator<Item = &'h [u8]> + 'a {
    headers
        .iter()
        .filter(move |h| h.name.eq_ignore_ascii_case(name))
        .map(|h| h.value)
}

/// The value of `Content-Length` (RFC 9112 §6.3): none, or one decimal number (repeated
/// identical values, in several headers or a comma list, are one); anything else is
/// [`BadContentLength`].
pub fn content_length<'a>(
    values: impl Iterator<Item = &'a [u8]>,
) -> Result<Option<usize>, BadContentLength> {
    let mut length = None;
    for value in values {
        let text = std::str::from_utf8(value).map_err(|_| BadContentLength)?;
        for item in text.split(',') {
            let item = item.trim();
            if item.is_empty() || !item.bytes().all(|b| b.is_ascii_digit()) {
                return Err(BadContentLength);
            }
            let n: usize = item.parse().map_err(|_| BadContentLength)?;
            if length.is_some_and(|l| l != n) {
                return Err(BadContentLength);
            }
            length = Some(n);
        }
    }
    Ok(length)
}

/// The length of the whole message at the start of `bytes` whose head is `head` bytes
/// long and whose headers are `headers`: head plus `Content-Length` body (none: no
/// body), once all of it is there.
pub fn message_len(bytes: &[u8], head: usize, headers: &[httparse::Header]) -> Option<usize> {
    let body = content_length(header_values(headers, "content-length"))
        .ok()?
        .unwrap_or(0);
    let total = head.checked_add(body)?;
    (bytes.len() >= total).then_some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_length_takes_one_number_repeated_or_not() {
        let one = |v: &'static [u8]| content_length(std::iter::once(v));
        assert_eq!(one(b"42"), Ok(Some(42)));
        assert_eq!(one(b" 7 , 7"), Ok(Some(7)));
        assert_eq!(content_length(std::iter::empty()), Ok(None));
        for bad in [&b"-1"[..], b"1,2", b"", b"0x10", b"\xFF"] {
            assert_eq!(one(bad), Err(BadContentLength), "{bad:?}");
        }
    }

    #[test]
    fn a_message_is_whole_once_its_body_is_in() {
        let bytes = b"HTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\nabc";
        let mut headers = [httparse::EMPTY_HEADER; 4];
        let mut response = httparse::Response::new(&mut headers);
        let httparse::Status::Complete(head) = response.parse(bytes).unwrap() else {
            panic!("a whole head");
        };
        assert_eq!(
            message_len(bytes, head, response.headers),
            Some(bytes.len())
        );
        assert_eq!(
            message_len(&bytes[..bytes.len() - 1], head, response.headers),
            None
        );
    }
}
