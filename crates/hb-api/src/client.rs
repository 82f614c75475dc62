//! A small blocking client: the tools send one request and read the answer.

use std::io::{BufRead, BufReader, Read as _, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

use crate::{Request, RequestEnvelope, Response, MAX_LINE, PROTOCOL_VERSION};

/// Why a request could not be answered.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// Nothing listens on the socket: the daemon is not running (or not reachable).
    #[error("cannot connect to {path}: {source}")]
    Connect {
        /// Socket path tried.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The daemon did not answer in time.
    #[error("no timely response from the daemon")]
    Timeout,
    /// Reading or writing the socket failed.
    #[error("admin socket: {0}")]
    Io(std::io::Error),
    /// The daemon hung up without answering.
    #[error("the daemon closed the connection without answering")]
    Closed,
    /// The answer was not valid JSON of the expected shape, or too long.
    #[error("malformed answer from the daemon: {0}")]
    Malformed(String),
}

/// A connection to the daemon's admin socket.
pub struct Client {
    reader: BufReader<UnixStream>,
    writer: UnixStream,
}

impl Client {
    /// Connects, with `timeout` applied to every later read and write.
    pub fn connect(path: &Path, timeout: Duration) -> Result<Client, ClientError> {
        let stream = UnixStream::connect(path)
            .map_err(|source| ClientError::Connect { path: path.display().to_string(), source })?;
        stream.set_read_timeout(Some(timeout)).map_err(ClientError::Io)?;
        stream.set_write_timeout(Some(timeout)).map_err(ClientError::Io)?;
        let writer = stream.try_clone().map_err(ClientError::Io)?;
        Ok(Client { reader: BufReader::new(stream), writer })
    }

    /// Sends one request.
    pub fn send(&mut self, request: &Request) -> Result<(), ClientError> {
        let envelope = RequestEnvelope { v: PROTOCOL_VERSION, request: request.clone() };
        let mut line =
            serde_json::to_vec(&envelope).map_err(|e| ClientError::Malformed(e.to_string()))?;
        line.push(b'\n');
        self.writer.write_all(&line).map_err(map_io)
    }

    /// Reads the next answer line.
    pub fn receive(&mut self) -> Result<Response, ClientError> {
        let mut line = Vec::new();
        let n = (&mut self.reader)
            .take(MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut line)
            .map_err(map_io)?;
        if n == 0 {
            return Err(ClientError::Closed);
        }
        if line.last() != Some(&b'\n') {
            return Err(ClientError::Malformed(format!("answer longer than {MAX_LINE} bytes")));
        }
        serde_json::from_slice(&line).map_err(|e| ClientError::Malformed(e.to_string()))
    }

    /// Changes the read timeout; `None` waits for ever, as an event stream must, since events
    /// may be hours apart.
    pub fn set_read_timeout(&mut self, timeout: Option<Duration>) -> Result<(), ClientError> {
        self.reader.get_ref().set_read_timeout(timeout).map_err(ClientError::Io)
    }

    /// Sends `request` and reads one answer.
    pub fn request(&mut self, request: &Request) -> Result<Response, ClientError> {
        self.send(request)?;
        self.receive()
    }
}

fn map_io(e: std::io::Error) -> ClientError {
    match e.kind() {
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => ClientError::Timeout,
        _ => ClientError::Io(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Scope;
    use std::os::unix::net::UnixListener;

    #[test]
    fn request_round_trip_over_a_socket() {
        let dir = std::env::temp_dir().join(format!("hb-api-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("api.sock");
        let _ = std::fs::remove_file(&path);
        let listener = UnixListener::bind(&path).unwrap();
        let server = std::thread::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let env: RequestEnvelope = serde_json::from_str(&line).unwrap();
            let answer = Response::Accepted { detail: format!("{:?}", env.request) };
            let mut out = serde_json::to_vec(&answer).unwrap();
            out.push(b'\n');
            (&stream).write_all(&out).unwrap();
            env
        });
        let mut client = Client::connect(&path, Duration::from_secs(5)).unwrap();
        let req = Request::Standby { scope: Scope::Foreign, wait: true };
        let answer = client.request(&req).unwrap();
        let env = server.join().unwrap();
        assert_eq!(env.v, PROTOCOL_VERSION);
        assert_eq!(env.request, req);
        assert_eq!(answer, Response::Accepted { detail: format!("{req:?}") });
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn wire_form_is_flat_and_versioned() {
        let env =
            RequestEnvelope { v: 1, request: Request::Takeover { scope: Scope::All, wait: false } };
        let text = serde_json::to_string(&env).unwrap();
        assert_eq!(text, r#"{"v":1,"cmd":"takeover","scope":"all","wait":false}"#);
        let back: RequestEnvelope = serde_json::from_str(&text).unwrap();
        assert_eq!(back, env);
    }

    #[test]
    fn connect_to_nothing_is_a_connect_error() {
        let err = Client::connect(Path::new("/nonexistent/hb-api.sock"), Duration::from_secs(1));
        assert!(matches!(err, Err(ClientError::Connect { .. })));
    }
}
