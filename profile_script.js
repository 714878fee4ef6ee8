function fetchUserProfile(accessToken, context, callback) {
  // Auth0 custom social connection script for TikTok (Node 22: global fetch, no require).
  // tiktok_auth0/profile_script.py renders the three constants below from stack config: the
  // configured scopes with the user-info fields each unlocks, and the user id field. As committed,
  // this file is a working script with the defaults (scope user.info.basic, user id union_id).
  const USER_INFO_URL = "https://open.tiktokapis.com/v2/user/info/"; // rendered: user_info_url
  const SCOPE_FIELDS = {"user.info.basic": "open_id,union_id,avatar_url,avatar_url_100,avatar_large_url,display_name"}; // rendered: scope_fields
  const USER_ID_FIELD = "union_id"; // rendered: user_id_field
  const TIMEOUT_MS = 10000;

  function fail(message) {
    callback(new Error("TikTok user info: " + message));
  }

  // TikTok lets a user grant only some of the scopes asked for, and its token answer (which Auth0
  // passes as `context`) lists the granted ones in `scope`. Ask only for the fields of scopes that
  // are both configured and granted: a single field beyond them fails the whole call (HTTP 401
  // scope_not_authorized). Without `scope`, assume the configured scopes were granted.
  const granted = grantedScopes(context && context.scope);
  const fields = [];
  Object.keys(SCOPE_FIELDS).forEach(function (scope) {
    if (granted === null || granted.indexOf(scope) !== -1) {
      fields.push.apply(fields, SCOPE_FIELDS[scope].split(","));
    }
  });
  if (fields.indexOf(USER_ID_FIELD) === -1) {
    return fail(
      "the user granted " + granted.join(",") + ", which lacks user.info.basic (it carries " +
        USER_ID_FIELD + ")"
    );
  }

  const url = USER_INFO_URL + "?fields=" + encodeURIComponent(fields.join(","));
  fetch(url, {
    headers: { Authorization: "Bearer " + accessToken, Accept: "application/json" },
    signal: AbortSignal.timeout(TIMEOUT_MS),
  })
    .then(function (response) {
      return response.text().then(function (text) {
        let body = null;
        try {
          body = JSON.parse(text);
        } catch (e) {
          body = null;
        }
        return { status: response.status, body: body };
      });
    })
    .then(function (answer) {
      const envelope = answer.body && typeof answer.body === "object" ? answer.body : {};
      const error = envelope.error && typeof envelope.error === "object" ? envelope.error : {};
      const code = typeof error.code === "string" ? error.code : "";
      const logId = typeof error.log_id === "string" ? error.log_id : "none";
      if (answer.status !== 200 || code !== "ok") {
        const reason = code || (answer.body ? "unexpected_answer" : "non_json_answer");
        return fail(reason + " (HTTP " + answer.status + ", log_id " + logId + ")");
      }
      const user = envelope.data && envelope.data.user;
      if (!user || typeof user !== "object") {
        return fail("no data.user in the answer (log_id " + logId + ")");
      }
      const userId = user[USER_ID_FIELD];
      if (typeof userId !== "string" || userId === "") {
        return fail("no " + USER_ID_FIELD + " in the answer (log_id " + logId + ")");
      }
      callback(null, toAuth0Profile(user, userId));
    })
    .catch(function (err) {
      const reason = err && err.name === "TimeoutError" ? "timed out" : "request failed";
      fail(reason + " (" + (err && err.message) + ")");
    });

  // TikTok writes granted scopes comma-separated; OAuth writes them space-separated. Scopes this
  // script does not know are kept here and simply match no configured scope.
  function grantedScopes(value) {
    if (Array.isArray(value)) value = value.join(",");
    if (typeof value !== "string" || value.trim() === "") return null;
    return value.split(/[\s,]+/).filter(Boolean);
  }

  function toAuth0Profile(user, userId) {
    const profile = { user_id: userId };
    const name = user.display_name || user.username;
    if (name) profile.name = name;
    const nickname = user.username || user.display_name;
    if (nickname) profile.nickname = nickname;
    const picture = user.avatar_large_url || user.avatar_url || user.avatar_url_100;
    if (picture) profile.picture = picture;
    // Everything else TikTok returned is kept as attributes on the Auth0 user. No email: TikTok has none.
    Object.keys(user).forEach(function (field) {
      if (field.indexOf("avatar") !== 0 && field !== "display_name") profile[field] = user[field];
    });
    return profile;
  }
}
