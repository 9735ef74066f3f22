//! A minimal keep-alive HTTP/1.1 client over one loopback socket (no dependencies, so the
//! driver's own cost stays small and visible).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

pub struct Client {
    addr: String,
    reader: Option<BufReader<TcpStream>>,
    pub token: String,
}

impl Client {
    pub fn new(addr: &str) -> Client {
        Client { addr: addr.to_string(), reader: None, token: String::new() }
    }

    fn connect(&mut self) -> std::io::Result<&mut BufReader<TcpStream>> {
        if self.reader.is_none() {
            let s = TcpStream::connect(&self.addr)?;
            s.set_nodelay(true)?;
            s.set_read_timeout(Some(Duration::from_secs(60)))?;
            self.reader = Some(BufReader::new(s));
        }
        Ok(self.reader.as_mut().expect("connected"))
    }

    /// Sends one request; returns (status, body). Reconnects once if the socket was closed.
    pub fn send(
        &mut self,
        method: &str,
        path: &str,
        body: Option<&str>,
        idem: Option<&str>,
    ) -> Result<(u16, String), String> {
        match self.try_send(method, path, body, idem) {
            Ok(r) => Ok(r),
            Err(_) => {
                self.reader = None;
                self.try_send(method, path, body, idem).map_err(|e| format!("{method} {path}: {e}"))
            }
        }
    }

    fn try_send(
        &mut self,
        method: &str,
        path: &str,
        body: Option<&str>,
        idem: Option<&str>,
    ) -> std::io::Result<(u16, String)> {
        let mut req = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n");
        if !self.token.is_empty() {
            req.push_str(&format!("Authorization: Bearer {}\r\n", self.token));
        }
        if let Some(k) = idem {
            req.push_str(&format!("Idempotency-Key: {k}\r\n"));
        }
        let b = body.unwrap_or("");
        if body.is_some() || method == "POST" {
            req.push_str(&format!("Content-Type: application/json\r\nContent-Length: {}\r\n", b.len()));
        }
        req.push_str("\r\n");
        req.push_str(b);
        let r = self.connect()?;
        r.get_mut().write_all(req.as_bytes())?;
        let mut line = String::new();
        if r.read_line(&mut line)? == 0 {
            return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "connection closed"));
        }
        let status: u16 = line.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
        let mut len: Option<usize> = None;
        let mut chunked = false;
        let mut close = false;
        loop {
            line.clear();
            r.read_line(&mut line)?;
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            let lower = l.to_ascii_lowercase();
            if let Some(v) = lower.strip_prefix("content-length:") {
                len = v.trim().parse().ok();
            } else if lower.starts_with("transfer-encoding:") && lower.contains("chunked") {
                chunked = true;
            } else if lower.starts_with("connection:") && lower.contains("close") {
                close = true;
            }
        }
        let mut buf = Vec::new();
        if chunked {
            loop {
                line.clear();
                r.read_line(&mut line)?;
                let n = usize::from_str_radix(line.trim(), 16).unwrap_or(0);
                if n == 0 {
                    line.clear();
                    r.read_line(&mut line)?;
                    break;
                }
                let mut chunk = vec![0u8; n + 2];
                r.read_exact(&mut chunk)?;
                buf.extend_from_slice(&chunk[..n]);
            }
        } else if let Some(n) = len {
            buf.resize(n, 0);
            r.read_exact(&mut buf)?;
        }
        if close {
            self.reader = None;
        }
        Ok((status, String::from_utf8_lossy(&buf).into_owned()))
    }

    pub fn login(&mut self, username: &str, password: &str) -> Result<(), String> {
        let body = serde_json::json!({"username": username, "password": password}).to_string();
        let (st, b) = self.send("POST", "/api/v1/auth/login", Some(&body), None)?;
        if st != 200 {
            return Err(format!("login {username}: {st} {b}"));
        }
        let v: serde_json::Value = serde_json::from_str(&b).map_err(|e| e.to_string())?;
        self.token = v["token"].as_str().ok_or("no token")?.to_string();
        Ok(())
    }
}
