"""TikTokLogin declared directly, as another program declares it: its checks, defaults, names."""

from __future__ import annotations

import re
from typing import Any

import pulumi
import pytest
from pulumi.provider.experimental.analyzer import Analyzer

from devtools.mock_runtime import ProgramRun, RecordingMocks, run_program
from tests.program import ACCOUNT, BUCKET, CONNECTION, FUNCTION, SECRET, run
from tiktok_auth0 import (
    InvalidArgumentsError,
    TikTokConnection,
    TikTokConnectionArgs,
    TikTokLogin,
    TikTokLoginArgs,
    _names,
    validation,
)
from tiktok_auth0.config import ConfigError
from tiktok_auth0.plugin import COMPONENTS, PACKAGE
from tiktok_auth0.validation import schema_name

GCP = {"gcp:project": "acme-login-dev", "gcp:region": "europe-west1"}
ARGS: dict[str, Any] = {"client_key": "sbawtestclientkey", "client_secret": "s3cret-for-tests"}


def declare(
    *logins: tuple[str, dict[str, Any]],
    stack: str = "dev",
    config: dict[str, str] | None = None,
    mocks: RecordingMocks | None = None,
) -> ProgramRun:
    def program() -> None:
        for name, args in logins:
            TikTokLogin(name, TikTokLoginArgs(**{**ARGS, **args}))  # type: ignore[typeddict-item]

    config = GCP if config is None else config
    return run_program(
        stack=stack, config=config, secret_keys=[], mocks=mocks, program=program, deployed={}
    )


def problems_of(error: InvalidArgumentsError, key: str) -> list[str]:
    return [p.split(": ", 1)[1] for p in error.problems if p.split(": ", 1)[0] == key]


_SCHEMA_TO_PYTHON = {schema_name(key): key for key in TikTokLoginArgs.__annotations__}


def in_python(message: str) -> str:
    """A stack-config message with each argument named as a Python caller passes it (the
    component's words for a Python program: `userIdField` is `user_id_field`)."""
    return re.sub(
        r"\b[a-z]+(?:[A-Z0-9][a-z0-9]*)+\b", lambda m: _SCHEMA_TO_PYTHON.get(m[0], m[0]), message
    )


@pytest.mark.parametrize(
    ("config_key", "arg", "value"),
    [
        ("scopes", "scopes", ["user.info.basic", "user.email"]),
        ("scopes", "scopes", ["user.info.basic user.info.profile"]),
        ("scopes", "scopes", ["user.info.profile", "user.info.profile"]),
        ("userIdField", "user_id_field", "email"),
        ("connectionName", "connection_name", "tik tok"),
        ("connectionName", "connection_name", "tiktok-"),
        ("clientKey", "client_key", ""),
        ("clientKey", "client_key", "sbaw abc123"),
        ("clientKey", "client_key", "sbawabc123,awdef456"),
        ("displayName", "display_name", " "),
        ("enabledClients", "enabled_clients", "clientA"),
        ("maxInstances", "max_instances", 0),
        ("maxInstances", "max_instances", "ten"),
        ("minInstances", "min_instances", -1),
        ("protect", "protect", "yes"),
        ("monitoring", "monitoring", "yes"),
        ("alertNotificationChannels", "alert_notification_channels", ["1234567890"]),
        ("alertNotificationChannels", "alert_notification_channels", "projects/p/x"),
        ("alertUpstreamFailures", "alert_upstream_failures", -1),
        ("alertRefusedCalls", "alert_refused_calls", 2.5),
        ("alertLatencyP95Ms", "alert_latency_p95_ms", 5),
        ("proxySecretGeneration", "proxy_secret_generation", -1),
        ("proxySecretKeepPrevious", "proxy_secret_keep_previous", "yes"),
    ],
)
def test_the_component_refuses_what_the_stack_config_refuses_in_the_same_words(
    config_key, arg, value
):
    with pytest.raises(ConfigError) as from_config:
        run(**{config_key: value})
    mocks = RecordingMocks("p", "r")
    with pytest.raises(InvalidArgumentsError) as from_component:
        declare(("tiktok", {arg: value}), mocks=mocks)
    expected = problems_of(from_config.value, config_key)
    assert expected
    assert problems_of(from_component.value, arg) == [in_python(p) for p in expected]
    assert mocks.resources == [], "resources were declared before the arguments were checked"


@pytest.mark.parametrize(
    ("config", "args", "expected"),
    [
        (
            {
                "monitoring": False,
                "alertNotificationChannels": ["projects/p/notificationChannels/1"],
            },
            {
                "monitoring": False,
                "alert_notification_channels": ["projects/p/notificationChannels/1"],
            },
            "alertNotificationChannels: set, but monitoring is false",
        ),
        (
            {"proxySecretKeepPrevious": True},
            {"proxy_secret_keep_previous": True},
            "proxySecretKeepPrevious: true, but proxySecretGeneration is 0",
        ),
    ],
)
def test_settings_that_contradict_each_other_read_the_same(config, args, expected):
    with pytest.raises(ConfigError) as from_config:
        run(**config)
    with pytest.raises(InvalidArgumentsError) as from_component:
        declare(("tiktok", args))
    assert any(p.startswith(expected) for p in from_config.value.problems)
    assert any(p.startswith(in_python(expected)) for p in from_component.value.problems)


def test_instance_limits_out_of_order_read_the_same():
    with pytest.raises(ConfigError) as from_config:
        run(minInstances=5, maxInstances=2)
    with pytest.raises(InvalidArgumentsError) as from_component:
        declare(("tiktok", {"min_instances": 5, "max_instances": 2}))
    expected = "minInstances: 5 is above maxInstances (2); it must be at most maxInstances"
    assert expected in from_config.value.problems
    assert (
        "min_instances: 5 is above max_instances (2); it must be at most max_instances"
        in from_component.value.problems
    )


def test_production_without_protect_reads_the_same_from_the_component():
    with pytest.raises(ConfigError) as from_config:
        run(production=True)
    mocks = RecordingMocks("p", "r")
    with pytest.raises(InvalidArgumentsError) as from_component:
        declare(("tiktok", {"production": True}), mocks=mocks)
    expected = problems_of(from_config.value, "protect")
    assert expected and problems_of(from_component.value, "protect") == expected
    assert mocks.resources == []


def test_a_component_name_with_google_is_refused_for_the_bucket_it_would_name():
    with pytest.raises(InvalidArgumentsError, match="without 'google'"):
        declare(("google-login", {}))
    # Cloud Storage also refuses a bucket name that begins with "goog".
    with pytest.raises(InvalidArgumentsError, match="not starting with 'goog'"):
        declare(("googly-login", {}))


def test_a_stack_name_with_google_is_refused_for_the_bucket_it_would_name():
    """The stack's name is part of the source bucket's, which Cloud Storage refuses when it holds
    "google" (cloud.google.com/storage/docs/buckets#naming): said before anything is declared,
    rather than by a failed bucket create halfway through the first `up`."""
    mocks = RecordingMocks("p", "r")
    with pytest.raises(InvalidArgumentsError) as caught:
        declare(("tiktok", {}), stack="google-ads-prod", mocks=mocks)
    (problem,) = caught.value.problems
    assert problem.startswith("stack: 'google-ads-prod' ")
    assert "without 'google'" in problem
    assert mocks.resources == []


def test_every_problem_is_reported_at_once_with_the_python_spelling_explained():
    with pytest.raises(InvalidArgumentsError) as caught:
        declare(("Tik_Tok", {"client_secret": None, "user_id_field": "email", "typo": 1}))
    message = str(caught.value)
    assert message.startswith("TikTokLogin 'Tik_Tok': arguments are not usable:\n")
    for start in ("name: 'Tik_Tok'", "typo: not an argument", "client_secret:", "user_id_field:"):
        assert any(p.startswith(start) for p in caught.value.problems), start


def test_for_the_plugins_programs_the_arguments_are_named_as_in_the_schema():
    with _names.schema_names(), pytest.raises(InvalidArgumentsError) as caught:
        declare(("tiktok", {"user_id_field": "email"}))
    assert str(caught.value).startswith(
        "TikTokLogin 'tiktok': arguments are not usable (named as in the schema):\n"
    )
    (problem,) = caught.value.problems
    assert problem.startswith("userIdField: 'email' is not allowed")


def test_an_unknown_argument_and_the_arguments_listed_are_named_as_the_caller_spells_them():
    with _names.schema_names(), pytest.raises(InvalidArgumentsError) as caught:
        declare(("tiktok", {"user_id_fieldd": "union_id"}))
    (problem,) = caught.value.problems
    head, listed = problem.split("its arguments are ")
    assert head == "userIdFieldd: not an argument of TikTokLogin; did you mean userIdField? "
    assert {"alertLatencyP95Ms", "userIdField", "replaceConnection"} <= set(listed.split(", "))
    assert "_" not in listed
    with pytest.raises(InvalidArgumentsError) as caught:  # a Python program: Python's names
        declare(("tiktok", {"user_id_fieldd": "union_id"}))
    (problem,) = caught.value.problems
    head, listed = problem.split("its arguments are ")
    assert head == "user_id_fieldd: not an argument of TikTokLogin; did you mean user_id_field? "
    assert {"alert_latency_p95_ms", "user_id_field"} <= set(listed.split(", "))


def test_gcp_project_and_region_come_from_the_provider_config_unless_given():
    program = declare(("a", {}), ("b", {"gcp_project": "other-project", "gcp_region": "us-east1"}))
    functions = {f.name: f.inputs for f in program.of_type(FUNCTION)}
    assert (functions["a-function"]["project"], functions["a-function"]["location"]) == (
        "acme-login-dev",
        "europe-west1",
    )
    assert (functions["b-function"]["project"], functions["b-function"]["location"]) == (
        "other-project",
        "us-east1",
    )
    with pytest.raises(InvalidArgumentsError) as caught:
        declare(("a", {}), config={})
    assert caught.value.problems == (
        "gcp_project: required; the ID of the GCP project to deploy to (set it with `pulumi "
        "config set gcp:project <project ID>`)",
        "gcp_region: required; the GCP region of the function, e.g. europe-west1 (set it with "
        "`pulumi config set gcp:region europe-west1`)",
    )


def test_names_come_from_the_component_name():
    program = declare(("acme", {}))
    assert program.one(FUNCTION).inputs["name"] == "acme-token-proxy-dev"
    accounts = {a.name: a.inputs["accountId"] for a in program.of_type(ACCOUNT)}
    assert accounts == {"acme-runtime": "acme-proxy-dev", "acme-build": "acme-build-dev"}
    assert program.one(SECRET).inputs["secretId"] == "acme-proxy-secret-dev"
    # Bucket names are global across Cloud Storage: the project makes it unique.
    assert program.one(BUCKET).inputs["name"] == "acme-proxy-source-dev-acme-login-dev"
    assert program.one(CONNECTION).inputs["name"] == "acme"  # connection_name's default
    assert {r.name.split("-")[0] for r in program.resources} == {"acme"}


def test_long_names_are_cut_with_a_hash_so_two_instances_still_differ():
    long = "tiktok-login-europe-west"
    program = declare((f"{long}-a", {}), (f"{long}-b", {}), stack="production")
    accounts = [a.inputs["accountId"] for a in program.of_type(ACCOUNT)]
    assert len(set(accounts)) == 4  # a runtime and a build account per instance
    for account in accounts:
        assert len(account) == 30
        assert account.startswith("tiktok-login-europe-wes")
        assert account[-7] == "-" and int(account[-6:], 16) >= 0
    buckets = [b.inputs["name"] for b in program.of_type(BUCKET)]
    assert len(set(buckets)) == 2 and all(len(b) <= 63 for b in buckets)


def test_the_0_1_successor_keeps_the_names_0_1_gave():
    """Its function and secret are cut as 0.1.0 cut them (both appear in metric filters and IAM
    conditions); its runtime account's id, which GCP cuts at 30 characters, is hashed like every
    new name (two long, similar stack names shared one), and an account 0.1.0 made keeps its id
    through ignoreChanges (tests/test_two_instances.py)."""
    stack = "production-europe-west-1-and-a-name-long-enough-for-the-function"
    program = declare(("tiktok", {}), ("tiktok-eu", {}), stack=stack)
    functions = {f.name: f.inputs["name"] for f in program.of_type(FUNCTION)}
    assert functions["tiktok-function"] == f"tiktok-token-proxy-{stack}"[:63].rstrip("-")
    assert functions["tiktok-eu-function"] != f"tiktok-eu-token-proxy-{stack}"[:63]
    accounts = {a.name: a for a in program.of_type(ACCOUNT)}
    runtime = accounts["tiktok-runtime"]
    assert runtime.inputs["accountId"] != f"tiktok-proxy-{stack}"[:30]
    assert len(runtime.inputs["accountId"]) == 30
    assert runtime.ignore_changes == ("accountId",)
    assert accounts["tiktok-eu-runtime"].ignore_changes == ()
    # A name 0.1.0 never had is hashed, for the successor too.
    assert accounts["tiktok-build"].inputs["accountId"] != f"tiktok-build-{stack}"[:30]
    assert len(accounts["tiktok-build"].inputs["accountId"]) == 30


def test_only_the_0_1_successor_carries_aliases():
    program = declare(("tiktok", {}), ("tiktok-eu", {}))
    ours = [r for r in program.registrations if r.type.startswith("tiktok-auth0:")]
    aliased = {(r.type, r.name) for r in ours if r.aliases}
    assert aliased == {
        ("tiktok-auth0:index:TokenProxy", "tiktok"),
        ("tiktok-auth0:index:TikTokConnection", "tiktok"),
    }


def test_type_tokens_follow_pulumis_package_convention():
    program = declare(("acme", {}))
    components = {r.type for r in program.registrations if not r.custom}
    assert components >= {
        "tiktok-auth0:index:TikTokLogin",
        "tiktok-auth0:index:TokenProxy",
        "tiktok-auth0:index:TikTokConnection",
    }


def test_a_connection_needs_its_proxy():
    def program() -> None:
        TikTokConnection(
            "acme",
            TikTokConnectionArgs(client_key="k", client_secret="s"),  # type: ignore[typeddict-item]
        )

    with pytest.raises(InvalidArgumentsError, match="proxy: required"):
        run_program(stack="dev", config=GCP, secret_keys=[], program=program)


# -- Plain arguments: known when the program runs ---------------------------------------------
LOGIN_SCHEMA = Analyzer(PACKAGE).analyze(COMPONENTS)["component_definitions"]["TikTokLogin"]
# A usable value of every argument.
USABLE: dict[str, Any] = {
    **ARGS,
    **validation.DEFAULTS,
    "scopes": ["user.info.basic"],
    "connection_name": "tiktok",
    "gcp_project": "acme-login-dev",
    "gcp_region": "europe-west1",
}


def inputs(plain: bool) -> list[tuple[str, str]]:
    """(schema name, Python name) of the arguments the schema marks plain, or not plain."""
    return [
        (name, LOGIN_SCHEMA.inputs_mapping[name])
        for name, prop in LOGIN_SCHEMA.inputs.items()
        if bool(prop.plain) is plain
    ]


def declare_with_outputs(args: dict[str, Any], mocks: RecordingMocks | None = None) -> ProgramRun:
    """Declare one TikTokLogin whose `args` are made pulumi.Outputs while the program runs."""

    def program() -> None:
        given = {key: pulumi.Output.from_input(value) for key, value in args.items()}
        TikTokLogin("tiktok", TikTokLoginArgs(**{**ARGS, **given}))  # type: ignore[typeddict-item]

    return run_program(
        stack="dev", config=GCP, secret_keys=[], mocks=mocks, program=program, deployed={}
    )


@pytest.mark.parametrize(("key", "arg"), inputs(plain=True), ids=[k for k, _ in inputs(True)])
def test_an_output_where_the_schema_says_plain_is_refused_as_not_plain(key, arg):
    mocks = RecordingMocks("p", "r")
    with pytest.raises(InvalidArgumentsError) as caught:
        declare_with_outputs({arg: USABLE[arg]}, mocks=mocks)
    (problem,) = problems_of(caught.value, arg)
    assert problem.startswith("must be a plain "), problem
    assert "known when the program runs" in problem and "not a pulumi.Output" in problem
    assert [p.split(":")[0] for p in caught.value.problems] == [arg]
    assert mocks.resources == []


def test_a_list_holding_an_output_where_the_schema_says_plain_is_refused_as_not_plain():
    def program() -> None:
        scopes = [pulumi.Output.from_input("user.info.basic")]
        TikTokLogin("tiktok", TikTokLoginArgs(**ARGS, scopes=scopes))  # type: ignore[typeddict-item]

    with pytest.raises(InvalidArgumentsError) as caught:
        run_program(stack="dev", config=GCP, secret_keys=[], program=program, deployed={})
    (problem,) = problems_of(caught.value, "scopes")
    assert problem.startswith("must be a plain list of strings, known when the program runs")


def test_outputs_are_taken_where_the_schema_allows_them():
    outputs = {arg: USABLE[arg] for _, arg in inputs(plain=False)}
    assert set(outputs) == {"client_secret", "enabled_clients", "alert_notification_channels"}
    outputs |= {"enabled_clients": ["AppOne"]}
    outputs |= {"alert_notification_channels": ["projects/p/notificationChannels/1"]}
    program = declare_with_outputs(outputs)
    assert program.one(CONNECTION).inputs["name"] == "tiktok"


def test_an_unusable_gcp_project_or_region_argument_is_refused_before_anything_is_declared():
    with pytest.raises(InvalidArgumentsError) as caught:
        declare(("a", {"gcp_project": "My_Project", "gcp_region": "Europe West"}))
    assert [p.split(":")[0] for p in caught.value.problems] == ["gcp_project", "gcp_region"]
    assert "'My_Project' is not a GCP project ID" in caught.value.problems[0]
    assert "'Europe West' is not a GCP region name" in caught.value.problems[1]
