-- wrk script: Auth0's token request, form-encoded, with the proxy secret header.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["X-Proxy-Secret"] = os.getenv("BENCH_PROXY_SECRET") or "bench-secret"
wrk.body = "grant_type=authorization_code&code=bench-code&redirect_uri=https%3A%2F%2Fexample.auth0.com%2Flogin%2Fcallback&client_id=benchkey&client_secret=bench-client-secret"
