// The comparator: the shape of the Express + node-fetch sample proxy in Auth0's TikTok guide
// (one route, client_id copied to client_key, the answer relayed), pointed at the same upstream.
"use strict";
const express = require("express");
const fetch = require("node-fetch");

const port = Number(process.argv[2] || 3333);
const upstream = process.env.TIKTOK_TOKEN_URL;
const app = express();
app.use(express.urlencoded({ extended: false }));

app.post("/proxy/token", async (req, res) => {
  const { client_id, client_secret, code, grant_type, redirect_uri } = req.body;
  const body = new URLSearchParams({ client_key: client_id, client_secret, code, grant_type, redirect_uri });
  const answer = await fetch(upstream, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", "Cache-Control": "no-cache" },
    body,
  });
  res.json(await answer.json());
});

app.listen(port, "127.0.0.1", () => console.log(JSON.stringify({ port })));
