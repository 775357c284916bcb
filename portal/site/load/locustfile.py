"""Mixed traffic for ``manage.py loadtest`` (locust, headless, against 127.0.0.1 only).

End users browse their groups, discover, open group pages, join open groups and ask to join approval
groups; an owner works through the approvals queue; an admin edits group descriptions and a dynamic
group's rule (API) and reads the admin lists; API clients add members (some give up after 50 ms:
clients that abort) and page through groups.

Reads the plan (``LOAD_PLAN``, written by portal.site.load.plan) and appends every accepted write and
every 5xx to ``LOAD_LOG`` (JSON lines) for the checks that follow the run. No Django here: this runs in
locust's own process.
"""

from __future__ import annotations

import json
import os
import random
import re
import threading
import time
import uuid

from locust import HttpUser, between, events, task

PLAN = json.loads(open(os.environ["LOAD_PLAN"], encoding="utf-8").read())  # noqa: SIM115
LOG_PATH = os.environ["LOAD_LOG"]
_log_lock = threading.Lock()
_pairs = iter(PLAN["pairs"])
DECIDE = re.compile(r"/my/approvals/([0-9a-f-]{36})/decide/")
RULES = ['user.department -eq "Sales"', 'user.department -eq "Marketing"']


def record(kind: str, **facts) -> None:
    with _log_lock, open(LOG_PATH, "a", encoding="utf-8") as log:
        log.write(json.dumps({"kind": kind, **facts}) + "\n")


@events.request.add_listener
def _server_errors(request_type, name, response, exception, **kwargs) -> None:
    status = getattr(response, "status_code", 0) or 0
    if status >= 500:
        record("5xx", method=request_type, path=name, status=status, at=time.time())


class Browser(HttpUser):
    """A signed-in browser: the session made by the plan, the CSRF token set as a cookie of our own
    (the server's cookies are Secure: the load runs over plain HTTP behind a pretend TLS proxy)."""

    abstract = True
    session_key = ""

    def on_start(self) -> None:
        origin = self.host.replace("http://", "https://")
        self.client.headers.update(
            {
                "X-Forwarded-Proto": "https",
                "Cookie": f"sessionid={self.session_key}; csrftoken={PLAN['csrf']}",
                "X-CSRFToken": PLAN["csrf"],
                "Origin": origin,
                "Referer": origin + "/",
            }
        )

    def get(self, path: str, name: str | None = None):
        return self.client.get(path, name=name or path)

    def post(self, path: str, data: dict, *, name: str) -> None:
        """A form post; a refusal a person can fix (400, 403, 409: already asked, decided elsewhere)
        is an answer, not a failure. Only 5xx fail."""
        with self.client.post(path, data, name=name, catch_response=True) as response:
            if response.status_code < 500:
                response.success()


class EndUser(Browser):
    weight = 6
    wait_time = between(0.5, 2)

    def on_start(self) -> None:
        self.session_key = random.choice(PLAN["end_users"])
        super().on_start()

    @task(4)
    def my_groups(self) -> None:
        self.get("/my/groups/")

    @task(2)
    def discover(self) -> None:
        self.get("/my/groups/discover/")

    @task(3)
    def group_page(self) -> None:
        self.get(f"/groups/{random.choice(PLAN['browse_groups'])}/", name="/groups/[id]/")

    @task(1)
    def join(self) -> None:
        if PLAN["open_groups"]:
            group = random.choice(PLAN["open_groups"])
            self.post(f"/my/groups/{group}/join/", {}, name="join")

    @task(1)
    def ask(self) -> None:
        if PLAN["approval_groups"]:
            group = random.choice(PLAN["approval_groups"])
            self.post(f"/my/groups/{group}/request/", {"justification": "Load test"}, name="request to join")


class Owner(Browser):
    weight = 2
    wait_time = between(0.5, 2)

    def on_start(self) -> None:
        self.session_key = PLAN["owner"]
        super().on_start()

    @task
    def decide(self) -> None:
        page = self.get("/my/approvals/")
        found = DECIDE.findall(page.text or "")
        if found:
            decision = random.choice(["approve", "approve", "deny"])
            self.post(f"/my/approvals/{random.choice(found)}/decide/", {"decision": decision}, name="decide")


class Admin(Browser):
    weight = 1
    wait_time = between(1, 3)

    def on_start(self) -> None:
        self.session_key = PLAN["admin"]
        super().on_start()
        self.api = {"Authorization": f"Bearer {PLAN['admin_token']}"}

    @task(2)
    def lists(self) -> None:
        self.get(random.choice(["/groups/?o=-members", "/audit/", "/users/"]))

    @task(2)
    def describe(self) -> None:
        group, marker = random.choice(PLAN["edit_groups"]), f"load-{uuid.uuid4()}"
        with self.client.patch(
            f"/v1.0/groups/{group}",
            json={"description": marker},
            headers=self.api,
            name="PATCH group",
            catch_response=True,
        ) as response:
            if response.status_code == 204:
                record("describe", group=group, marker=marker)
            elif response.status_code < 500:
                response.success()

    @task(1)
    def rule(self) -> None:
        rule = random.choice(RULES)
        body = {"membershipRule": rule}
        with self.client.patch(
            f"/v1.0/groups/{PLAN['rule_group']}",
            json=body,
            headers=self.api,
            name="PATCH rule",
            catch_response=True,
        ) as response:
            if response.status_code < 500:
                response.success()


class ApiClient(HttpUser):
    weight = 2
    wait_time = between(0.2, 1)

    def on_start(self) -> None:
        self.client.headers.update(
            {"Authorization": f"Bearer {PLAN['api_token']}", "X-Forwarded-Proto": "https"}
        )

    @task(3)
    def add_member(self) -> None:
        pair = next(_pairs, None)
        if pair is None:
            return
        group, user = pair
        ref = {"@odata.id": f"https://graph.microsoft.com/v1.0/directoryObjects/{user}"}
        with self.client.post(
            f"/v1.0/groups/{group}/members/$ref", json=ref, name="add member", catch_response=True
        ) as response:
            if response.status_code == 204:
                record("add", group=group, user=user)
            elif response.status_code < 500:
                response.success()  # refused (a rule, a race): not a failure of the server

    @task(3)
    def list_groups(self) -> None:
        self.client.get("/v1.0/groups?$top=100", name="/v1.0/groups?$top=100")

    @task(1)
    def impatient_add(self) -> None:
        """A client that gives up after 50 ms: whether or not the add happened, it happened once."""
        pair = next(_pairs, None)
        if pair is None:
            return
        group, user = pair
        ref = {"@odata.id": f"https://graph.microsoft.com/v1.0/directoryObjects/{user}"}
        record("maybe", group=group, user=user)
        with self.client.post(
            f"/v1.0/groups/{group}/members/$ref",
            json=ref,
            name="add member (client aborts)",
            timeout=0.05,
            catch_response=True,
        ) as response:
            response.success()  # the client left: no answer is expected

    @task(1)
    def members(self) -> None:
        group = random.choice(PLAN["browse_groups"])
        self.client.get(f"/v1.0/groups/{group}/members?$top=100", name="/v1.0/groups/[id]/members")
