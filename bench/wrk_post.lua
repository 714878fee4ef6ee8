-- wrk script: Auth0's token request (form-encoded, proxy secret header); prints a JSON summary.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["X-Proxy-Secret"] = os.getenv("BENCH_PROXY_SECRET") or "bench-proxy-secret"
wrk.body = "grant_type=authorization_code&code=bench-code&redirect_uri=https%3A%2F%2Fexample.auth0.com%2Flogin%2Fcallback&client_id=benchkey&client_secret=bench-client-secret"

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "non2xx": %d, "connect": %d, "read": %d, "write": %d, "timeout": %d, "p50_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
