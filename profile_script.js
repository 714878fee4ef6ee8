function fetchUserProfile(accessToken, context, callback) {
  // Auth0 custom social connection script for TikTok (Node 22: global fetch, no require).
  // infra/profile_script.py renders the three constants below from stack config; as committed,
  // this file is a working script with the defaults (scope user.info.basic, user id union_id).
  const USER_INFO_URL = "https://open.tiktokapis.com/v2/user/info/"; // rendered: user_info_url
  const FIELDS = "open_id,union_id,avatar_url,avatar_url_100,avatar_large_url,display_name"; // rendered: fields
  const USER_ID_FIELD = "union_id"; // rendered: user_id_field
  const TIMEOUT_MS = 10000;

  function fail(message) {
    callback(new Error("TikTok user info: " + message));
  }

  const url = USER_INFO_URL + "?fields=" + encodeURIComponent(FIELDS);
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
