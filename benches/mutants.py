"""``kosmmos bench mutants``: remove one guard at a time and expect a test to fail.

Each mutant below changes one guard in the access helpers (tenant isolation and roles), the
claims (jobs/claims.py, jobs/queue.py, publishing/leases.py) or the publishing state machine
(publishing/outcomes.py, engine.py, reconcile.py, dispatch.py, content/targets.py) — a check
left out, a condition made always true or false, a state sent the wrong way — and runs only the
tests that should notice, with ``-x`` and a time limit per mutant.

A mutant is **killed** when its tests fail, **survived** when they pass. Every survivor must
have a written reason in ``REASONS`` (a guard that another one already covers, a path only
PostgreSQL takes); ``unexplained`` counts the others and should be 0. Mutants run on a copy of
the checkout's tracked files in a temporary folder, so the checkout is never changed, even
when the run is interrupted.

Before the mutants, the unmutated tests are run once (``baseline``): a mutant is only counted
killed against tests that pass without it (``--no-baseline`` skips that for a quick run and
says so). Tests that run out of time (``--timeout``) count as ``timed_out``, not killed; when
the whole run's ``--budget`` is spent, the rest count as ``not_run``.

``--only <file>`` runs the mutants of files whose path contains it (``--only leases.py``);
``--list`` prints the mutants without running them.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benches.common import ROOT

ISOLATION = "kosmmos/accounts/tests/test_isolation.py"
WALK = f"{ISOLATION}::test_it_refuses_every_view_to_other_tenants"
MIXED = f"{ISOLATION}::test_it_refuses_mixed_id_pairs_on_every_multi_id_route"
CLIENT_PAGES = f"{ISOLATION}::test_it_refuses_a_client_the_agency_pages"
API = "kosmmos/api/tests/test_access.py"
ENGINE = "kosmmos/publishing/tests/test_engine.py"
LIVENESS = "kosmmos/publishing/tests/test_liveness.py"
RUNNER = "kosmmos/publishing/tests/test_runner.py"
SCHEDULE = "kosmmos/content/tests/test_schedule.py"
PUBLISH_VIEWS = "kosmmos/publishing/tests/test_views.py"
MAIL = "kosmmos/mail/tests/test_delivery.py"
RECORDING = "kosmmos/publishing/tests/test_outcomes.py"
IN_BOTH = ("kosmmos/inbox/tests/test_views.py::"
           "test_it_refuses_a_canned_reply_of_another_agency_to_someone_in_both")


@dataclass(frozen=True)
class Mutant:
    id: str
    path: str
    old: str  # must occur exactly once in the file
    new: str
    tests: tuple[str, ...]  # fastest first: -x stops at the first failure
    what: str


def m(id: str, path: str, old: str, new: str, tests: tuple[str, ...], what: str) -> Mutant:
    return Mutant(id, path, old, new, tests, what)


ACC, CON, APIA = "kosmmos/accounts/access.py", "kosmmos/content/access.py", "kosmmos/api/access.py"
INBOX_VIEWS = "kosmmos/inbox/views.py"
CLAIMS, QUEUE, LEASES = "kosmmos/jobs/claims.py", "kosmmos/jobs/queue.py", "kosmmos/publishing/leases.py"
OUTCOMES, ENG, REC = ("kosmmos/publishing/outcomes.py", "kosmmos/publishing/engine.py",
                      "kosmmos/publishing/reconcile.py")
DISPATCH, TARGETS = "kosmmos/publishing/dispatch.py", "kosmmos/content/targets.py"

MUTANTS: list[Mutant] = [
    # --- access helpers ---------------------------------------------------------------------
    m("acc-member-none", ACC, "    if found is None:\n        raise Http404\n    return found",
      "    return found", (MIXED, WALK), "a non-member gets a membership of None"),
    m("acc-require-role", ACC, "    if membership.role not in roles:\n        raise PermissionDenied",
      "    pass", (MIXED, WALK), "no role is ever refused"),
    m("acc-agency-client", ACC, "        if current_membership(request).role == Role.CLIENT:\n"
      "            raise PermissionDenied", "        pass", (CLIENT_PAGES,),
      "clients reach agency-only pages"),
    m("acc-workspace-visible", ACC,
      "    if not membership.visible_workspaces().filter(pk=workspace.pk).exists():\n        raise Http404",
      "    pass", (CLIENT_PAGES, WALK), "a client reaches a workspace not given to them"),
    m("acc-workspace-write", ACC, "    if write:\n        require_role(membership, STAFF_ROLES)\n"
      "    return workspace, membership", "    return workspace, membership", (WALK,),
      "workspace writes need no staff role"),
    m("con-agency", CON, "    if agency and membership.role == Role.CLIENT:\n        raise Http404",
      "    pass", (WALK,), "clients reach agency-only post pages"),
    m("con-visible", CON,
      "    if not membership.visible_workspaces().filter(pk=workspace_id).exists():\n        raise Http404",
      "    pass", (MIXED, WALK), "posts of a workspace not given to a client"),
    m("con-write", CON, "    if write:\n        require_role(membership, STAFF_ROLES)\n    return membership",
      "    return membership", (WALK,), "post writes need no staff role"),
    m("con-client-drafts", CON, "    if membership.role == Role.CLIENT and not client_visible(",
      "    if False and not client_visible(", (WALK, "kosmmos/content/tests/test_approval.py"),
      "clients see unsent drafts"),
    m("con-deleted", CON, ".filter(pk=post_id, deleted_at__isnull=True).first())",
      ".filter(pk=post_id).first())", ("kosmmos/content/tests/test_editor.py", SCHEDULE),
      "a deleted post is still reachable"),
    m("api-agency", APIA, "    if agency and membership.role == Role.CLIENT:\n        raise errors.not_found()",
      "    pass", (API,), "API: clients reach agency-only endpoints"),
    m("api-post-org", APIA, ".filter(pk=post_id, organisation=call.membership.organisation, "
      "deleted_at__isnull=True)", ".filter(pk=post_id, deleted_at__isnull=True)", (API,),
      "API: a post looked up outside the token's organisation"),
    m("api-post-client", APIA, "    if call.membership.role == Role.CLIENT and not content_actions",
      "    if False and not content_actions", (API, "kosmmos/api/tests/test_posts.py"),
      "API: clients see unsent drafts"),
    m("inbox-canned-workspace", INBOX_VIEWS,
      "canned.workspace_id and canned.workspace_id != item.workspace_id)", "False)", (MIXED,),
      "a canned reply of one workspace used on another's item"),
    m("inbox-canned-org", INBOX_VIEWS, "    if canned.organisation_id != item.organisation_id or (",
      "    if False or (", (IN_BOTH, MIXED), "a canned reply of another agency used on an item"),
    # --- claims ----------------------------------------------------------------------------
    m("claims-one-status", CLAIMS, ".filter(pk=pk, status__in=statuses).update(**updates)",
      ".filter(pk=pk).update(**updates)", (MAIL, ENGINE), "claim_one takes a row in any state"),
    m("claims-one-won", CLAIMS, "    return changed == 1", "    return True", (MAIL, ENGINE),
      "claim_one says it won a row it lost"),
    m("claims-marked-won", CLAIMS, "    won = set(model._default_manager.filter(pk__in=ids, **{field: value})",
      "    won = set(model._default_manager.filter(pk__in=ids)", (ENGINE,),
      "claim_marked returns rows another claim stamped"),
    m("claims-marked-status", CLAIMS, "        model._default_manager.filter(pk__in=ids, status=from_status).update(\n"
      "            **{field: value}, **updates)", "        model._default_manager.filter(pk__in=ids).update(\n"
      "            **{field: value}, **updates)", (ENGINE,), "claim_marked's UPDATE ignores the status"),
    m("queue-due", QUEUE, "rows = self.model._default_manager.filter(**{f\"{self.due_field}__lte\": now + ahead})",
      "rows = self.model._default_manager.all()", (ENGINE,), "claim_ahead takes rows not yet due"),
    m("queue-lost-age", QUEUE, "lost = rows.filter(status=self.queued, enqueued_at__lt=now - self.requeue_after)",
      "lost = rows.filter(status=self.queued)", (ENGINE,), "every queued message is sent again"),
    m("leases-own-pid", LEASES, "    if pid in (0, os.getpid()):", "    if pid == 0:", (LIVENESS,),
      "a worker sees its own claims as a dead worker's (kill(0) aside)"),
    m("leases-space", LEASES, "parts[2] != process_space()):", "False):", (LIVENESS,),
      "a pid of another machine or container judged by ours"),
    m("leases-zombie-threads", LEASES, "process.status() == psutil.STATUS_ZOMBIE and process.num_threads() <= 1",
      "process.status() == psutil.STATUS_ZOMBIE", (LIVENESS,),
      "a zombie-looking process with live threads is taken for dead"),
    m("leases-extend-shorten", LEASES, "PostTarget.objects.filter(lease_owner=token, status=status,\n"
      "                              lease_until__lt=until)", "PostTarget.objects.filter(lease_owner=token, "
      "status=status)", (LIVENESS, ENGINE, RUNNER), "a heartbeat shortens a lease claimed ahead"),
    m("leases-release-token", LEASES, "PostTarget.objects.filter(pk__in=pks, lease_owner=token, status=held_in)",
      "PostTarget.objects.filter(pk__in=pks, status=held_in)", (RUNNER,),
      "a stopping worker hands back rows someone else holds"),
    # --- the publishing state machine ------------------------------------------------------
    m("outcomes-token", OUTCOMES, "mine = PostTarget.objects.filter(pk=t.pk, lease_owner=token)",
      "mine = PostTarget.objects.filter(pk=t.pk)", (RECORDING, ENGINE, LIVENESS),
      "outcomes written over a row someone else took over"),
    m("outcomes-status", OUTCOMES,
      "            if status is not None:\n                mine = mine.filter(status=status)",
      "            pass", (RECORDING, ENGINE, LIVENESS),
      "outcomes written whatever state the row is in"),
    m("outcomes-reauth-active", OUTCOMES, "Channel.objects.filter(pk=channel_id, status=ChannelStatus.ACTIVE).update(",
      "Channel.objects.filter(pk=channel_id).update(", (RECORDING, ENGINE),
      "an old auth failure flips a reconnected channel back"),
    m("engine-claim-queued", ENG, "    won = PostTarget.objects.filter(pk__in=ids, status=TargetStatus.QUEUED).update(",
      "    won = PostTarget.objects.filter(pk__in=ids).update(", (ENGINE,),
      "a duplicated message claims rows again"),
    m("engine-ambiguous", ENG,
      "        return Verdict({**common, \"status\": TargetStatus.RECONCILING, \"last_error\": "
      "last.error,",
      "        return Verdict({**common, \"status\": TargetStatus.SCHEDULED, \"last_error\": "
      "last.error,",
      (ENGINE,), "an unknown outcome is sent again blindly"),
    m("engine-max-attempts", ENG, "last.outcome == Outcome.TRANSIENT and attempts < MAX_ATTEMPTS",
      "last.outcome == Outcome.TRANSIENT", (RECORDING, ENGINE), "transient errors are retried for ever"),
    m("reconcile-token", REC, "        lease_owner=dispatch_token,\n    ).update(lease_owner=token):",
      "    ).update(lease_owner=token):", (RECORDING, ENGINE), "a duplicated look-up message takes rows over"),
    m("reconcile-cannot-tell", REC, "    if last.outcome == Outcome.ABSENT:",
      "    if last.outcome in (Outcome.ABSENT, Outcome.AMBIGUOUS):", (ENGINE,),
      "a network that cannot tell is taken as 'absent': sent again"),
    m("reconcile-give-up", REC, "t.checks + 1 < MAX_CHECKS:", "True:", (ENGINE,),
      "look-ups never give up to a person"),
    m("dispatch-dead-reconcile", DISPATCH, "                status=TargetStatus.RECONCILING, next_attempt_at=look_at,",
      "                status=TargetStatus.SCHEDULED, next_attempt_at=look_at,", (LIVENESS, ENGINE),
      "a dead worker's posts are sent again instead of looked up"),
    m("dispatch-call-grace", DISPATCH, "looks.setdefault(max(now, last_start + call_grace(network)), [])",
      "looks.setdefault(now, [])", (LIVENESS, ENGINE), "looked up before a call in flight could land"),
    m("targets-needs-check", TARGETS, "    if confirmed_absent:\n        allowed.append(TargetStatus.NEEDS_CHECK)",
      "    allowed.append(TargetStatus.NEEDS_CHECK)", (RECORDING, PUBLISH_VIEWS, SCHEDULE),
      "a post that may be out is retried without a person's word"),
    m("targets-roll-up-done", TARGETS, "    if target_statuses <= DONE:", "    if target_statuses & DONE:",
      (SCHEDULE, ENGINE), "one published target makes the post published"),
    m("targets-roll-up-editor", TARGETS, "changed += Post.objects.filter(pk__in=pks, status__in=ROLLED_UP).exclude(",
      "changed += Post.objects.filter(pk__in=pks).exclude(", (RECORDING, SCHEDULE, ENGINE),
      "the roll-up overwrites a draft or a post in review"),
    m("targets-unschedule", TARGETS,
      "changed = PostTarget.objects.filter(post=post, status=TargetStatus.SCHEDULED).update(",
      "changed = PostTarget.objects.filter(post=post).update(", (ENGINE, SCHEDULE),
      "unscheduling pulls back targets already on their way"),
    m("targets-delete-wins", TARGETS,
      "        query = query.exclude(pending_action=PendingAction.DELETE)  # a delete wins",
      "        pass", (RECORDING, ENGINE, SCHEDULE), "an edit replaces a pending delete"),
]

# Why a mutant may survive: each survivor needs one, or a test that kills it.
REASONS: dict[str, str] = {
    "api-post-org": "Defence in depth: post_for then calls workspace_for, which looks the post's "
                    "workspace up among the token membership's own workspaces, so another "
                    "organisation's post is a 404 there too (test_access's 404 walk passes "
                    "through it).",
    "claims-marked-won": "Within the claim's transaction the picked rows are either locked "
                         "(PostgreSQL: FOR UPDATE SKIP LOCKED) or the writer is alone (SQLite's "
                         "IMMEDIATE transactions), so the UPDATE stamps every picked row and the "
                         "re-read by mark returns the same ids; it guards the claim should the "
                         "locking ever change. No test can make the UPDATE miss a picked row "
                         "without replacing the database's locking.",
    "claims-marked-status": "As claims-marked-won: the pick already filtered the status inside the "
                            "same locked (PostgreSQL) or serialised (SQLite) transaction, so the "
                            "UPDATE's own status condition never excludes a row today.",
    "outcomes-status": "Every move of a row away from a claim's status also clears or replaces "
                       "its lease_owner (the sweep, a hand-back, a new claim), so the token "
                       "condition already refuses such a row (test_outcomes); the status "
                       "condition guards a future move that forgets to.",
    "acc-workspace-write": "Every page view that asks for write=True in accounts and content is "
                           "also @staff_required, which refuses the role first (a client's edit "
                           "of their own workspace is a 403 either way: test_accounts). Left "
                           "open: links/access.py's money writes rely on it alone for analysts; "
                           "a test of an analyst writing money data belongs with the links tests.",
    "con-agency": "Not covered, left open: every view passing agency=True is also "
                  "@agency_required, which refuses a client of the agency being worked in; the "
                  "guard matters for a person who is a client in one agency and staff in another, "
                  "working in the second and opening a post of the first. Needs a test with such "
                  "a person (the isolation walk has none).",
    "leases-own-pid": "Our own pid is alive: without the check, os.kill(pid, 0) succeeds and "
                      "psutil sees a running process, so the answer is the same (not gone); "
                      "the check only saves two system calls. pid 0 stays refused.",
}


def _copy_checkout(dest: Path) -> None:
    """The checkout's tracked files (or, outside git, the folders the tests need)."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=False)
    if listed.returncode == 0 and listed.stdout:
        for name in listed.stdout.decode().split("\0"):
            source = ROOT / name
            if name and source.is_file():
                (dest / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, dest / name)
        return
    for name in ("kosmmos", "tests", "benches"):
        shutil.copytree(ROOT / name, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(ROOT / "pyproject.toml", dest / "pyproject.toml")


def _pytest(tree: Path, tests: tuple[str, ...], timeout: float) -> str:
    """'passed', 'failed' or 'timed_out'."""
    var = tempfile.mkdtemp(prefix="kosmmos-mutant-var-")
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update({"PYTHONPATH": str(tree), "KOSMMOS_VAR": var, "PYTHONDONTWRITEBYTECODE": "1"})
    try:
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-p",
             "no:warnings", "-p", "no:logging", *tests],
            cwd=tree, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            timeout=timeout, check=False, start_new_session=True)
    except subprocess.TimeoutExpired:
        return "timed_out"
    finally:
        shutil.rmtree(var, ignore_errors=True)
    return "passed" if done.returncode == 0 else "failed"


def check(mutants: list[Mutant], tree: Path = ROOT) -> list[str]:
    """Mutants whose text is not exactly once in its file (the code moved on)."""
    stale = []
    for mutant in mutants:
        text = (tree / mutant.path).read_text()
        if text.count(mutant.old) != 1:
            stale.append(f"{mutant.id}: found {text.count(mutant.old)} times in {mutant.path}")
    return stale


def run(argv: list[str]) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="kosmmos bench mutants")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--only", default="", help="mutants of files whose path contains this")
    parser.add_argument("--budget", type=float, default=3600, help="seconds for the whole run")
    parser.add_argument("--timeout", type=float, default=600, help="seconds per mutant's tests")
    parser.add_argument("--no-baseline", action="store_true",
                        help="skip the run of the unmutated tests")
    parser.add_argument("--list", action="store_true", help="list the mutants, run nothing")
    opts = parser.parse_args(argv)
    # The mutants only the whole isolation walk (minutes) can kill go last.
    chosen = sorted((x for x in MUTANTS if opts.only in x.path), key=lambda x: WALK in x.tests)
    if opts.list:
        return {"mutants": len(chosen), "list": [f"{x.id} ({x.path}): {x.what}" for x in chosen]}
    stale = check(chosen)
    if stale:
        return {"mutants": len(chosen), "killed": 0, "survived": 0, "failed": "stale mutants",
                "stale": stale}
    started = time.monotonic()
    results: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="kosmmos-mutants-") as tmp:
        tree = Path(tmp)
        _copy_checkout(tree)
        baseline = "skipped"
        if not opts.no_baseline:
            tests = tuple(dict.fromkeys(t for x in chosen for t in x.tests))
            baseline = _pytest(tree, tests, opts.budget)
            print(f"baseline: {baseline} ({time.monotonic() - started:.0f} s)", file=sys.stderr,
                  flush=True)
            if baseline != "passed":
                return {"mutants": len(chosen), "killed": 0, "survived": 0, "baseline": baseline,
                        "failed": "the unmutated tests do not pass: no mutant can be judged"}
        for mutant in chosen:
            left = opts.budget - (time.monotonic() - started)
            if left <= 0:
                results[mutant.id] = "not_run"
                continue
            path = tree / mutant.path
            original = path.read_text()
            path.write_text(original.replace(mutant.old, mutant.new, 1))
            try:
                outcome = _pytest(tree, mutant.tests, min(opts.timeout, left))
            finally:
                path.write_text(original)
            results[mutant.id] = {"failed": "killed", "passed": "survived"}.get(outcome, outcome)
            print(f"{mutant.id}: {results[mutant.id]} ({time.monotonic() - started:.0f} s)",
                  file=sys.stderr, flush=True)
    by_id = {x.id: x for x in chosen}
    survivors = [{"id": i, "file": by_id[i].path, "what": by_id[i].what,
                  "reason": REASONS.get(i, "")} for i, r in results.items() if r == "survived"]
    count = {r: sum(1 for v in results.values() if v == r)
             for r in ("killed", "survived", "timed_out", "not_run")}
    return {
        "mutants": len(chosen), "killed": count["killed"], "survived": count["survived"],
        "timed_out": count["timed_out"], "not_run": count["not_run"],
        "unexplained": sum(1 for s in survivors if not s["reason"]),
        "survivors": survivors, "baseline": baseline,
        "seconds": round(time.monotonic() - started), "only": opts.only or None,
        "results": results,
    }
