// A TikTok token endpoint stand-in that costs next to nothing, so the proxies' own cost is measured.
// Usage: node upstream.js PORT [DELAY_MS]: with a delay it answers like TikTok, after DELAY_MS.
// Counts the TCP connections it accepts: GET /stats answers {"connections": n, "requests": n}.
"use strict";
const http = require("http");

const port = Number(process.argv[2] || 0);
const delay = Number(process.argv[3] || 0);
const answer = JSON.stringify({
  access_token: "act.bench0000000000000000000000000000000000000000",
  expires_in: 86400,
  open_id: "-000bench",
  refresh_expires_in: 31536000,
  refresh_token: "rft.bench0000000000000000000000000000000000000000",
  scope: "user.info.basic",
  token_type: "Bearer",
});
let connections = 0;
let requests = 0;

function send(res) {
  res.writeHead(200, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(answer) });
  res.end(answer);
}

const server = http.createServer((req, res) => {
  if (req.method === "GET" && req.url === "/stats") {
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(JSON.stringify({ connections, requests }));
    return;
  }
  req.resume();
  req.on("end", () => {
    requests += 1;
    if (delay > 0) setTimeout(send, delay, res);
    else send(res);
  });
});
server.keepAliveTimeout = 65000;
server.on("connection", () => { connections += 1; });
server.listen(port, "127.0.0.1", () => {
  console.log(JSON.stringify({ port: server.address().port }));
});
