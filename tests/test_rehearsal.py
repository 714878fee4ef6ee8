"""`make dev`: the offline rehearsal of a login with a stack's settings tells what happened."""

from __future__ import annotations

import pytest

from devtools.proxy_process import REPO
from devtools.stacks import stack_names
from tests.processes import make, module

# A stack unlike dev in every setting the rehearsal uses.
BASIC_STACK = """\
config:
  gcp:project: acme-basic
  gcp:region: europe-west1
  auth0:domain: acme-basic.us.auth0.com
  tiktok-connection:clientKey: sbawbasicclientkey
  tiktok-connection:scopes: [user.info.basic]
  tiktok-connection:userIdField: open_id
  tiktok-connection:connectionName: tiktok-basic
"""


def test_rehearsal_runs_a_whole_login_and_exits_0():
    result = module("devtools.rehearse", "--port", "0")
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "proxy answered HTTP 200" in out
    assert "TikTok received 1 token request(s)" in out
    assert "Secrets in the proxy's logs: 0" in out
    assert "Auth0 user: oauth2|tiktok|c9c6" in out  # keyed on union_id
    assert 'nickname: "ada.emulated"' in out
    assert "Rehearsal complete" in out


def test_make_dev_rehearses_a_partial_grant_as_the_readme_says():
    result = make("dev", "GRANT=user.info.basic")
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "the user ticks only user.info.basic; TikTok grants user.info.basic" in out
    assert "scope=user.info.basic " in out
    assert (
        "the script asked TikTok for fields: "
        "open_id,union_id,avatar_url,avatar_url_100,avatar_large_url,display_name\n"
    ) in out
    assert 'nickname: "Ada Emulated"' in out  # no username without user.info.profile
    assert "username" not in out
    assert "Rehearsal complete" in out


def test_make_dev_rehearses_a_user_who_unticks_user_info_basic_and_the_login_fails_closed():
    result = make("dev", "GRANT=user.info.profile")
    assert "Traceback" not in result.stderr, result.stderr
    out = result.stdout
    assert "the user ticks only user.info.profile; TikTok grants user.info.profile" in out
    assert "proxy answered HTTP 200" in out
    assert "the script asked TikTok for nothing: it refused the login first" in out
    assert "Rehearsal complete" not in out
    ours, *make_says = result.stderr.splitlines()
    assert ours == (
        'error: the login fails at step 4: the profile script refused it with "TikTok user '
        "info: the user granted user.info.profile, which lacks user.info.basic (it carries "
        'union_id)", as Auth0 would show it (see Troubleshooting in the README)'
    )
    assert len(make_says) == 1 and make_says[0].endswith(" dev] Error 1"), make_says
    assert result.returncode == 2  # GNU make's own status whenever a command fails
    status = module("devtools.rehearse", "--stack", "dev", "--grant", "user.info.profile")
    assert status.returncode == 1  # a step that fails, as the README says
    row = next(
        line
        for line in (REPO / "README.md").read_text().splitlines()
        if line.startswith("| `make dev` |")
    )
    assert "`make` itself exits 2 whenever a command fails" in row
    assert "`.venv/bin/python -m devtools.rehearse --stack dev --grant user.info.profile`" in row
    assert "1 when a step fails" in row


@pytest.mark.parametrize(
    ("grant", "message"),
    [
        ("user.info.everything", "GRANT: user.info.everything is not a TikTok Login Kit scope"),
        ("user.info.stats", "GRANT: user.info.stats is not asked for"),
    ],
)
def test_an_unusable_grant_is_refused_with_a_message(grant, message):
    result = module("devtools.rehearse", "--grant", grant)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


FIX = (
    "give some of the scopes the stack asks for (user.info.basic,user.info.profile), "
    "comma-separated, e.g. make dev GRANT=user.info.basic, or leave GRANT out for all of them"
)


@pytest.mark.parametrize(
    ("grant", "problem"),
    [
        ("GRANT=bogus.scope", "GRANT: bogus.scope is not a TikTok Login Kit scope"),
        ("GRANT=,", "GRANT=',' names no scope"),
        ("GRANT= ", "GRANT='' names no scope"),
        ("GRANT=", "GRANT='' names no scope"),
        ("GRANT=user.info.basic,", "GRANT='user.info.basic,' has an empty item between its commas"),
        (
            "GRANT=user.info.basic,user.info.basic",
            "GRANT: user.info.basic is named twice; name each scope once",
        ),
    ],
)
def test_make_dev_refuses_a_grant_naming_no_scope_an_unknown_or_a_repeated_one_in_one_line(
    grant, problem
):
    """`GRANT=,` and `GRANT=' '` rehearsed every scope; a repeated scope was accepted; an unknown
    one was refused without the scopes allowed."""
    result = make("dev", grant)
    assert result.returncode == 2
    ours, *make_says = result.stderr.splitlines()
    assert ours == f"error: {problem}; {FIX}"
    assert len(make_says) == 1 and make_says[0].endswith("Error 2")
    assert "Rehearsing" not in result.stdout


def test_make_dev_says_which_stack_and_values_it_used():
    result = make("dev", "STACK=prod")
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert out.startswith("Rehearsing a TikTok login with stack 'prod' (Pulumi.prod.yaml")
    assert "    clientKey       awprodexampleclientkey" in out
    assert "    Auth0 callback  https://my-tenant-prod.eu.auth0.com/login/callback" in out
    assert "TikTok redirected to https://my-tenant-prod.eu.auth0.com/login/callback" in out
    assert "Rehearsal complete: a login with stack 'prod' works end to end." in out


def test_two_stacks_give_two_rehearsals_each_as_its_plan_declares(tmp_path):
    stack_file = tmp_path / "Pulumi.basic.yaml"
    stack_file.write_text(BASIC_STACK)
    dev = module("devtools.rehearse").stdout
    basic = module("devtools.rehearse", "--stack", "basic", "--config-file", str(stack_file))
    assert basic.returncode == 0, basic.stdout + basic.stderr
    out = basic.stdout
    for said in (
        "    scopes          user.info.basic\n",
        "    userIdField     open_id\n",
        "    connectionName  tiktok-basic\n",
        "TikTok grants user.info.basic\n",
        "the script asked TikTok for fields: "
        "open_id,union_id,avatar_url,avatar_url_100,avatar_large_url,display_name\n",
        "Auth0 user: oauth2|tiktok-basic|-000",  # keyed on open_id
    ):
        assert said in out, said
        assert said not in dev, said
    assert "Auth0 user: oauth2|tiktok|c9c6" in dev  # dev keys on union_id
    plan = module("devtools.plan", "--stack", "basic", "--config-file", str(stack_file)).stdout
    assert "      name = tiktok-basic\n" in plan
    assert 'options.scopes = ["user.info.basic"]\n' in plan
    assert "user id field  open_id: Auth0 user_id oauth2|tiktok-basic|<open_id>" in plan


def test_an_unknown_stack_is_refused_with_the_stacks_that_exist():
    result = make("dev", "STACK=doesnotexist")
    assert result.returncode != 0
    (line, *_make) = result.stderr.splitlines()  # make adds its "make: *** ... Error 2"
    assert line == (
        "error: no stack 'doesnotexist' (no Pulumi.doesnotexist.yaml); the stacks are "
        f"{', '.join(stack_names())}: choose one with STACK=<stack>, or create "
        "Pulumi.<stack>.yaml to add one"
    )
    assert {"dev", "prod"} <= set(stack_names())
    assert result.stdout == ""


def test_a_stack_config_error_is_reported_as_the_plan_reports_it(tmp_path):
    stack_file = tmp_path / "Pulumi.broken.yaml"
    stack_file.write_text(BASIC_STACK.replace("open_id", "email"))
    result = module("devtools.rehearse", "--stack", "broken", "--config-file", str(stack_file))
    assert result.returncode == 2
    line = 1 + BASIC_STACK.splitlines().index(
        next(text for text in BASIC_STACK.splitlines() if "userIdField" in text)
    )
    assert (
        f"  - Pulumi.broken.yaml:{line}: userIdField: 'email' is not allowed; use one of "
        "union_id, open_id"
    ) in result.stderr
    assert "Traceback" not in result.stderr
    assert "Rehearsing" not in result.stdout
