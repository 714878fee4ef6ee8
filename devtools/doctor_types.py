"""The doctor's shared shapes: the deployment it checks, and what one check found."""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from pathlib import PurePath
from typing import Literal

__all__ = ["CheckFailed", "Deployment", "Outcome", "crashed", "failed", "passed", "skipped"]

Status = Literal["passed", "failed", "skipped"]


@dataclass(frozen=True)
class Deployment:
    """What the stack outputs say about one deployment, checked for shape before any call.

    `function_url`: the token proxy's URL, https (plain http only on 127.0.0.1). `secret_header`:
    the header that carries the proxy secret. `client_key`: the TikTok client key the function
    allows. `connection_id`: the Auth0 connection ("con_..."), None when the Auth0 checks do not
    run. `stack`: the stack's name, used in the fixes the doctor prints.
    """

    stack: str
    function_url: str
    secret_header: str
    client_key: str
    connection_id: str | None = None

    @property
    def redeploy(self) -> str:
        """How to put the stack back as main declares it: through its deploy workflow, as every
        change goes (a laptop `pulumi up` on a CI-deployed stack is undone by the next merge)."""
        return (
            f"redeploy {self.stack} (re-run its last Deploy workflow run; "
            f"pulumi up -s {self.stack} only if no workflow deploys it)"
        )


@dataclass(frozen=True)
class Outcome:
    """One check's result. `detail`: what was seen (or, when skipped, why the check did not
    run); `cause` and `fix`: on a failure, the likely cause and what to do. None of the four
    ever holds a secret."""

    status: Status
    detail: str
    cause: str = ""
    fix: str = ""


class CheckFailed(Exception):
    """Raised deep inside a check to fail it with what was seen, the cause and the fix."""

    def __init__(self, detail: str, *, cause: str, fix: str) -> None:
        super().__init__(detail)
        self.outcome = failed(detail, cause=cause, fix=fix)


def passed(detail: str) -> Outcome:
    """The check passed; `detail` says what was seen."""
    return Outcome("passed", detail)


def failed(detail: str, *, cause: str, fix: str) -> Outcome:
    """The check failed: what was seen, the likely cause, and what to do."""
    return Outcome("failed", detail, cause, fix)


def skipped(reason: str) -> Outcome:
    """The check did not run; `reason` says why (a failed check it needs, missing input)."""
    return Outcome("skipped", reason)


def crashed(exc: BaseException) -> Outcome:
    """A check that raised: a bug in the doctor. Its type and place, never its message."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" at {PurePath(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
    return failed(
        f"the check itself failed ({type(exc).__name__}{where})",
        cause="a bug in the doctor, not necessarily in the deployment",
        fix="report this line; run the other checks by hand meanwhile",
    )
