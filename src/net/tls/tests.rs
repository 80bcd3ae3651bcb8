use super::*;

/// 2024-01-01 00:00:00 UTC, the world's logical time zero.
const START: u64 = 1_704_067_200;
const ROGUE_CA: &[u8] = include_bytes!("../pki/rogue-ca.der");

fn demo(name: &str) -> Identity {
    identity(name).expect("a demo identity")
}

fn client_settings(identity: Option<&str>) -> ClientSettings {
    ClientSettings {
        identity: identity.map(demo),
        trust_ca: Some(demo_ca_der().to_vec()),
        server_name: "gateway.phone.example".into(),
    }
}

fn server_settings(require_client_certificate: bool) -> ServerSettings {
    ServerSettings {
        identity: demo("gateway.phone.example"),
        client_ca: demo_ca_der().to_vec(),
        require_client_certificate,
    }
}

fn ras1(entropy: u64) -> TlsSession {
    TlsSession::client(
        client_settings(Some("ras-1.operator.example")),
        entropy,
        START,
    )
    .unwrap()
}

fn gateway(entropy: u64) -> TlsSession {
    TlsSession::server(server_settings(true), entropy, START).unwrap()
}

/// What crossed an in-memory pipe, flight by flight, and how each end ended.
#[derive(Debug, Default, PartialEq)]
struct Pipe {
    to_server: Vec<Vec<u8>>,
    to_client: Vec<Vec<u8>>,
    client_error: Option<TlsError>,
    server_error: Option<TlsError>,
}

/// Moves records between the two ends until neither has anything to send.
fn pump(client: &mut TlsSession, server: &mut TlsSession) -> Pipe {
    let mut pipe = Pipe::default();
    loop {
        let up = client.take_outgoing();
        if !up.is_empty() {
            if let Err(error) = server.receive(&up) {
                pipe.server_error = Some(error);
            }
            pipe.to_server.push(up);
        }
        let down = server.take_outgoing();
        if !down.is_empty() {
            if let Err(error) = client.receive(&down) {
                pipe.client_error = Some(error);
            }
            pipe.to_client.push(down);
        }
        if client.outgoing.is_empty() && server.outgoing.is_empty() {
            return pipe;
        }
    }
}

/// Handshake, one request and one answer, close: everything that crossed.
fn conversation(client_entropy: u64, server_entropy: u64) -> Pipe {
    let (mut client, mut server) = (ras1(client_entropy), gateway(server_entropy));
    let mut pipe = pump(&mut client, &mut server);
    client.write(b"GET /index.html").unwrap();
    let request = pump(&mut client, &mut server);
    server.write(b"HTTP/1.1 200 OK").unwrap();
    let answer = pump(&mut client, &mut server);
    client.close();
    let close = pump(&mut client, &mut server);
    for part in [request, answer, close] {
        pipe.to_server.extend(part.to_server);
        pipe.to_client.extend(part.to_client);
    }
    pipe
}

#[test]
fn completes_handshake_and_carries_data_both_ways() {
    let (mut client, mut server) = (ras1(1), gateway(2));
    assert!(client.is_handshaking());
    let pipe = pump(&mut client, &mut server);
    assert_eq!((pipe.client_error, pipe.server_error), (None, None));
    assert!(!client.is_handshaking());
    assert!(!server.is_handshaking());
    assert_eq!(
        server.peer_name().as_deref(),
        Some("ras-1.operator.example")
    );
    assert_eq!(client.peer_name().as_deref(), Some("gateway.phone.example"));

    client.write(b"GET /index.html").unwrap();
    pump(&mut client, &mut server);
    assert_eq!(server.read(), b"GET /index.html");
    assert_eq!(server.read(), b"");
    server.write(b"HTTP/1.1 200 OK").unwrap();
    let pipe = pump(&mut client, &mut server);
    // One application-data record: type 17, version 0303, length 15 + 1 (inner content
    // type) + 16 (AEAD tag).
    assert_eq!(pipe.to_client.len(), 1);
    assert_eq!(pipe.to_client[0][..5], [0x17, 0x03, 0x03, 0x00, 32]);
    assert_eq!(pipe.to_client[0].len(), 5 + 32);
    assert_eq!(client.read(), b"HTTP/1.1 200 OK");

    client.close();
    assert_eq!(client.write(b"late"), Err(TlsError::Closed));
    assert!(!server.peer_has_closed());
    pump(&mut client, &mut server);
    assert!(server.peer_has_closed());
    assert_eq!(server.read(), b"");
}

#[test]
fn data_written_before_the_handshake_waits_for_it() {
    let (mut client, mut server) = (ras1(1), gateway(2));
    client.write(b"early").unwrap();
    pump(&mut client, &mut server);
    assert_eq!(server.read(), b"early");
}

#[test]
fn same_entropy_gives_identical_records_both_ways() {
    let first = conversation(7, 8);
    let second = conversation(7, 8);
    assert_eq!(first.to_server, second.to_server);
    assert_eq!(first.to_client, second.to_client);
    assert!(first.to_server.len() >= 3 && first.to_client.len() >= 2);
}

#[test]
fn different_entropy_gives_a_different_client_hello_random() {
    let hello = |entropy| ras1(entropy).take_outgoing();
    let (a, b) = (hello(1), hello(2));
    // Record header (5), handshake type 01 ClientHello and length (4), legacy version (2).
    assert_eq!((a[0], a[5]), (0x16, 0x01));
    assert_eq!((b[0], b[5]), (0x16, 0x01));
    assert_ne!(a[11..43], b[11..43]);
    assert_eq!(hello(1), a);
    // The server's records change with its own entropy too.
    assert_ne!(conversation(1, 2).to_client, conversation(1, 3).to_client);
}

#[test]
fn clone_taken_mid_handshake_continues_like_the_original() {
    let (mut client, mut server) = (ras1(3), gateway(4));
    server.receive(&client.take_outgoing()).unwrap();
    // The server has answered (its flight is not taken yet); the client has not heard it.
    let (mut client_copy, mut server_copy) = (client.clone(), server.clone());
    assert_eq!(client_copy, client);
    assert_eq!(server_copy, server);
    assert!(server_copy.is_handshaking());

    let original = pump(&mut client, &mut server);
    let copy = pump(&mut client_copy, &mut server_copy);
    assert_eq!(copy, original);
    assert!(!server_copy.is_handshaking());
    assert_eq!(
        server_copy.peer_name().as_deref(),
        Some("ras-1.operator.example")
    );
}

#[test]
fn clone_taken_after_data_continues_like_the_original() {
    let (mut client, mut server) = (ras1(5), gateway(6));
    pump(&mut client, &mut server);
    client.write(b"PUT /a").unwrap();
    pump(&mut client, &mut server);
    server.write(b"201 Created").unwrap();
    let (mut client_copy, mut server_copy) = (client.clone(), server.clone());
    // Unread data and untaken records are part of the copy.
    assert_eq!(server_copy.read(), b"PUT /a");
    assert_eq!(server_copy.take_outgoing(), server.take_outgoing());
    assert_eq!(server.read(), b"PUT /a");

    client.write(b"DELETE /b").unwrap();
    client_copy.write(b"DELETE /b").unwrap();
    let sent = client.take_outgoing();
    assert_eq!(client_copy.take_outgoing(), sent);
    server.receive(&sent).unwrap();
    server_copy.receive(&sent).unwrap();
    assert_eq!(server.read(), b"DELETE /b");
    assert_eq!(server_copy.read(), b"DELETE /b");
    assert_eq!(server_copy, server);
}

#[test]
fn sessions_with_different_inputs_differ() {
    let (mut client, mut server) = (ras1(1), gateway(2));
    pump(&mut client, &mut server);
    let before = client.clone();
    client.write(b"x").unwrap();
    assert_ne!(client, before);
    assert_ne!(ras1(1), ras1(2));
}

#[test]
fn refuses_client_certificate_from_an_untrusted_issuer() {
    let mut client = TlsSession::client(client_settings(Some("rogue")), 1, START).unwrap();
    let mut server = gateway(2);
    // TLS 1.3 lets the client send data right behind its Finished: it must not get through.
    client.write(b"DELETE /everything").unwrap();
    let pipe = pump(&mut client, &mut server);
    assert_eq!(
        pipe.server_error,
        Some(TlsError::CertificateRefused(
            "unknown issuer: not issued by a trusted CA".into()
        ))
    );
    assert_eq!(
        pipe.client_error,
        Some(TlsError::AlertReceived(
            "unknown CA: the peer does not trust the issuer of our certificate".into()
        ))
    );
    assert_eq!(server.read(), b"");
    assert_eq!(server.peer_name(), None);
    assert_eq!(server.error(), pipe.server_error.as_ref());
    // The session stays refused whatever comes next.
    let refused = pipe.server_error.clone().unwrap();
    assert_eq!(
        server.receive(&[0x17, 0x03, 0x03, 0x00, 0x00]),
        Err(refused)
    );
    assert_eq!(server.read(), b"");
}

#[test]
fn refuses_a_client_without_certificate_when_one_is_required() {
    let mut client = TlsSession::client(client_settings(None), 1, START).unwrap();
    let mut server = gateway(2);
    let pipe = pump(&mut client, &mut server);
    assert_eq!(pipe.server_error, Some(TlsError::CertificateMissing));
    assert_eq!(
        pipe.client_error,
        Some(TlsError::AlertReceived(
            "certificate required: the peer wants a client certificate".into()
        ))
    );
}

#[test]
fn accepts_a_client_without_certificate_when_none_is_required() {
    let mut client = TlsSession::client(client_settings(None), 1, START).unwrap();
    let mut server = TlsSession::server(server_settings(false), 2, START).unwrap();
    let pipe = pump(&mut client, &mut server);
    assert_eq!((pipe.client_error, pipe.server_error), (None, None));
    assert!(!server.is_handshaking());
    assert_eq!(server.peer_name(), None);
    assert_eq!(client.peer_name().as_deref(), Some("gateway.phone.example"));
}

#[test]
fn client_refuses_a_gateway_not_issued_by_the_ca_it_trusts() {
    let settings = ClientSettings {
        trust_ca: Some(ROGUE_CA.to_vec()),
        ..client_settings(Some("ras-1.operator.example"))
    };
    let mut client = TlsSession::client(settings, 1, START).unwrap();
    let pipe = pump(&mut client, &mut gateway(2));
    assert_eq!(
        pipe.client_error,
        Some(TlsError::CertificateRefused(
            "unknown issuer: not issued by a trusted CA".into()
        ))
    );
    assert!(matches!(
        pipe.server_error,
        Some(TlsError::AlertReceived(_))
    ));
}

#[test]
fn client_refuses_a_gateway_certificate_for_another_name() {
    let settings = ClientSettings {
        server_name: "gateway.other.example".into(),
        ..client_settings(Some("ras-1.operator.example"))
    };
    let mut client = TlsSession::client(settings, 1, START).unwrap();
    let pipe = pump(&mut client, &mut gateway(2));
    assert_eq!(
        pipe.client_error,
        Some(TlsError::CertificateRefused(
            "not valid for the expected name".into()
        ))
    );
}

#[test]
fn client_that_does_not_verify_connects_to_any_gateway() {
    let settings = ClientSettings {
        trust_ca: None,
        ..client_settings(Some("ras-1.operator.example"))
    };
    let mut client = TlsSession::client(settings, 1, START).unwrap();
    let mut server = TlsSession::server(
        ServerSettings {
            identity: demo("rogue"),
            ..server_settings(true)
        },
        2,
        START,
    )
    .unwrap();
    let pipe = pump(&mut client, &mut server);
    assert_eq!((pipe.client_error, pipe.server_error), (None, None));
    assert!(!client.is_handshaking());
    assert_eq!(client.peer_name(), None);
    assert_eq!(
        server.peer_name().as_deref(),
        Some("ras-1.operator.example")
    );
}

#[test]
fn refuses_certificates_before_their_validity_starts() {
    let before_2024 = START - 1;
    let mut client = TlsSession::client(
        client_settings(Some("ras-1.operator.example")),
        1,
        before_2024,
    )
    .unwrap();
    let pipe = pump(&mut client, &mut gateway(2));
    assert_eq!(
        pipe.client_error,
        Some(TlsError::CertificateRefused("not valid yet".into()))
    );
}

#[test]
fn rejects_bytes_that_are_not_tls_records() {
    let mut server = gateway(2);
    let error = server.receive(b"GET / HTTP/1.1\r\n\r\n").unwrap_err();
    assert!(matches!(error, TlsError::Protocol(_)), "{error:?}");
    // An alert tells the peer, and the clone replays the failure.
    assert_eq!(server.take_outgoing()[0], 0x15);
    assert_eq!(server.clone().error(), Some(&error));
}

#[test]
fn never_panics_on_arbitrary_bytes() {
    let mut stream = ChaCha20Rng::seed_from_u64(99);
    for length in 0..64 {
        let mut bytes = vec![0; length * 7];
        stream.fill_bytes(&mut bytes);
        if let Some(first) = bytes.first_mut() {
            *first = 0x16; // a handshake record, to get past the first check
        }
        let mut server = gateway(2);
        let _ = server.receive(&bytes);
        let _ = server.clone();
    }
}

#[test]
fn refuses_settings_that_do_not_parse() {
    let settings = ClientSettings {
        server_name: "not a name!".into(),
        ..client_settings(None)
    };
    assert!(matches!(
        TlsSession::client(settings, 1, START),
        Err(TlsError::Settings(_))
    ));
    let settings = ServerSettings {
        client_ca: vec![0x30, 0x00],
        ..server_settings(true)
    };
    assert!(matches!(
        TlsSession::server(settings, 1, START),
        Err(TlsError::Settings(_))
    ));
}

#[test]
fn knows_the_demo_identities() {
    assert_eq!(
        demo("ras-2.operator.example").name,
        "ras-2.operator.example"
    );
    assert_eq!(demo("gateway.phone.example").key.len(), 48);
    assert_eq!(identity("nobody.example"), None);
    // The CA and the leaves are DER SEQUENCEs.
    assert_eq!(demo_ca_der()[0], 0x30);
    assert_eq!(format!("{:?}", demo("rogue")), "Identity(\"rogue\")");
}

#[test]
fn rustls_gets_no_randomness_outside_a_session() {
    let mut bytes = [0; 4];
    assert!(SeededRandom.fill(&mut bytes).is_err());
    assert!(SeededX25519.start().is_err());
}

#[test]
fn refuses_a_low_order_key_share() {
    let mut stream = ChaCha20Rng::seed_from_u64(1);
    let exchange = with_stream(&mut stream, || SeededX25519.start()).unwrap();
    assert_eq!(exchange.pub_key().len(), 32);
    // The all-zero point has order 1: the shared secret would be all zeros.
    assert!(exchange.complete(&[0; 32]).is_err());
}
