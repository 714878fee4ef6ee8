// Runs an Auth0 fetchUserProfile script the way Auth0 does: the source evaluated as one function
// expression (no module scope, so no `require`), called with (accessToken, context, callback).
// Usage: node run_profile_script.js <script.js> <accessToken> [contextJSON]
// Prints one JSON line: {"profile": {...}} or {"error": "..."}; exits 0 either way, 2 on misuse.
"use strict";
const fs = require("fs");
const vm = require("vm");

const [scriptPath, accessToken, contextJson] = process.argv.slice(2);
if (!scriptPath || accessToken === undefined) {
  console.error("usage: node run_profile_script.js <script.js> <accessToken> [contextJSON]");
  process.exit(2);
}
const source = fs.readFileSync(scriptPath, "utf8");
const fetchUserProfile = vm.runInThisContext("(" + source + ")", { filename: scriptPath });
if (typeof fetchUserProfile !== "function") {
  console.error("the script is not a single function expression");
  process.exit(2);
}
let answered = false;
fetchUserProfile(accessToken, JSON.parse(contextJson || "{}"), function (err, profile) {
  if (answered) {
    console.error("callback called twice");
    process.exit(2);
  }
  answered = true;
  console.log(JSON.stringify(err ? { error: String(err.message || err) } : { profile: profile }));
});
