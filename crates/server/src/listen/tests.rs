//! Unit tests of socket set-up: accepted connections have `TCP_NODELAY`.

use super::configure;
use tokio::net::{TcpListener, TcpStream};

#[tokio::test]
async fn accepted_sockets_get_nodelay() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let client = TcpStream::connect(addr);
    let (accepted, client) = tokio::join!(listener.accept(), client);
    let (stream, _) = accepted.expect("accept");
    let _client = client.expect("connect");
    assert!(
        !stream.nodelay().expect("read option"),
        "the default is off"
    );
    configure(&stream).expect("configure");
    assert!(stream.nodelay().expect("read option"));
}
