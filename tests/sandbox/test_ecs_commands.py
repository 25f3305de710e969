"""ECS Cloud Assistant in the sandbox (RunCommand, DescribeInvocationResults, DescribeInvocations,
StopInvocation) through the unmodified alibabacloud_ecs20140526 client: scripts really run."""
import base64
import json
import time

from alibabacloud_ecs20140526 import models as m

from sandbox.control_client import control as _control
from sandbox.fleet import launch_ecs
from sandboxtest import calls, error

R = "cn-hangzhou"
PATIENCE = 30.0  # a deadline against hanging forever, never a performance assertion


# fixtures `box`, `env`, `ecs`: tests/sandbox/conftest.py


def eventually(read, accept, what):
    deadline = time.monotonic() + PATIENCE
    while True:
        value = read()
        if accept(value):
            return value
        assert time.monotonic() < deadline, f"never {what}: {value}"
        time.sleep(0.05)


def instances(ecs, ids):
    body = ecs.describe_instances(m.DescribeInstancesRequest(region_id=R, instance_ids=json.dumps(ids),
                                                             page_size=100)).body
    return {i.instance_id: i for i in body.instances.instance}


def running(env, ecs, count=1, **kw):
    ids = launch_ecs(env, count, **kw)
    eventually(lambda: instances(ecs, ids), lambda got: all(got[i].status == "Running" for i in ids), "Running")
    return ids


def run(ecs, ids, content, type="RunShellScript", **kw):
    return ecs.run_command(m.RunCommandRequest(region_id=R, type=type, command_content=content,
                                               instance_id=list(ids), **kw)).body


def results(ecs, invoke_id=None, **kw):
    body = ecs.describe_invocation_results(m.DescribeInvocationResultsRequest(
        region_id=R, invoke_id=invoke_id, **kw)).body
    return body.invocation


def rows_by_instance(ecs, invoke_id, **kw):
    return {r.instance_id: r for r in results(ecs, invoke_id, page_size=50, **kw).invocation_results.invocation_result}


DONE = ("Success", "Failed", "Timeout", "Error", "Cancelled", "Terminated")


def finished_rows(ecs, invoke_id, **kw):
    return eventually(lambda: rows_by_instance(ecs, invoke_id, **kw),
                      lambda rows: rows and all(r.invocation_status in DONE for r in rows.values()), "finished")


def invocation(ecs, invoke_id, **kw):
    body = ecs.describe_invocations(m.DescribeInvocationsRequest(region_id=R, invoke_id=invoke_id, **kw)).body
    assert len(body.invocations.invocation) == 1
    return body.invocations.invocation[0]


def test_output_exit_codes_and_statuses_per_instance(box, env, ecs):
    ids = running(env, ecs, 2)
    script = f'echo "hello from $SANDBOX_INSTANCE_ID"; echo oops >&2\n[ "$SANDBOX_INSTANCE_ID" = "{ids[1]}" ] && exit 4\nexit 0'
    body = run(ecs, ids, script, name="greet", timeout=30)
    assert body.invoke_id.startswith("t-") and body.command_id.startswith("c-")
    rows = finished_rows(ecs, body.invoke_id)
    ok, bad = rows[ids[0]], rows[ids[1]]
    assert (ok.invocation_status, ok.invoke_record_status, ok.exit_code, ok.error_code) == ("Success", "Finished", 0, "")
    assert base64.b64decode(ok.output).decode() == f"hello from {ids[0]}\noops\n"
    assert (bad.invocation_status, bad.invoke_record_status, bad.exit_code) == ("Failed", "Failed", 4)
    assert (bad.error_code, bad.error_info) == ("ExitCodeNonzero", "The command execution exit code is not zero.")
    for row in rows.values():
        assert row.invoke_id == body.invoke_id and row.command_id == body.command_id
        assert row.username == "root" and row.dropped == 0
        assert row.start_time.endswith("Z") and row.finished_time >= row.start_time
    whole = invocation(ecs, body.invoke_id)
    assert (whole.invocation_status, whole.invoke_status) == ("PartialFailed", "Finished")
    assert (whole.command_name, whole.command_type, whole.timeout, whole.repeat_mode) == ("greet", "RunShellScript", 30, "Once")
    assert base64.b64decode(whole.command_content).decode() == script
    assert {i.instance_id: i.output for i in whole.invoke_instances.invoke_instance} == {ids[0]: "", ids[1]: ""}
    assert len(calls(box, "RunCommand")) == 1


def test_overall_status_success_and_failed(env, ecs):
    ids = running(env, ecs, 2)
    good = run(ecs, ids, "true").invoke_id
    bad = run(ecs, ids, "false").invoke_id
    finished_rows(ecs, good), finished_rows(ecs, bad)
    assert invocation(ecs, good).invocation_status == "Success"
    assert invocation(ecs, bad).invocation_status == "Failed"


def test_base64_content_in_and_plain_text_out(env, ecs):
    ids = running(env, ecs)
    script = "printf 'caf\\xc3\\xa9\\n'"
    body = run(ecs, ids, base64.b64encode(script.encode()).decode(), content_encoding="Base64")
    row = finished_rows(ecs, body.invoke_id, content_encoding="PlainText")[ids[0]]
    assert row.output == "café\n"
    whole = invocation(ecs, body.invoke_id, include_output=True, content_encoding="PlainText")
    assert whole.command_content == script
    assert whole.invoke_instances.invoke_instance[0].output == "café\n"


def test_working_dir_and_default_root_home(env, ecs):
    ids = running(env, ecs)
    default = run(ecs, ids, "pwd").invoke_id
    chosen = run(ecs, ids, "pwd", working_dir="/opt/app").invoke_id
    out = lambda invoke: base64.b64decode(finished_rows(ecs, invoke)[ids[0]].output).decode().strip()
    assert out(default).endswith(f"/{ids[0]}/root")
    assert out(chosen).endswith(f"/{ids[0]}/opt/app")


def test_running_then_timeout(env, ecs):
    ids = running(env, ecs)
    body = run(ecs, ids, "echo started; sleep 30", timeout=1)
    first = rows_by_instance(ecs, body.invoke_id)[ids[0]]
    if first.invocation_status in ("Pending", "Running"):
        assert first.invoke_record_status == "Running"
        assert invocation(ecs, body.invoke_id).invocation_status in ("Pending", "Running")
    row = finished_rows(ecs, body.invoke_id)[ids[0]]
    assert (row.invocation_status, row.invoke_record_status) == ("Timeout", "Failed")
    assert (row.error_code, row.exit_code) == ("ExecutionTimeout", -1)
    assert base64.b64decode(row.output).decode() == "started\n"
    assert invocation(ecs, body.invoke_id).invocation_status == "Failed"


def test_exit_193_reports_the_result_then_stops_the_instance(env, ecs):
    ids = running(env, ecs)
    body = run(ecs, ids, "echo bye; sleep 0.5; exit 193")
    while True:  # until the result reads finished, the instance keeps running
        status = instances(ecs, ids)[ids[0]].status  # read first: the result below is later still
        row = rows_by_instance(ecs, body.invoke_id)[ids[0]]
        if row.invocation_status in DONE:
            break
        assert status == "Running"
        time.sleep(0.05)
    assert (row.invocation_status, row.error_code, row.exit_code) == ("Failed", "ExitCodeNonzero", 193)
    assert base64.b64decode(row.output).decode() == "bye\n"
    statuses = []
    eventually(lambda: statuses.append(instances(ecs, ids)[ids[0]].status) or statuses[-1],
               lambda status: status == "Stopped", "Stopped")
    assert set(statuses) <= {"Running", "Stopping", "Stopped"}


def test_exit_194_reboots_and_start_time_moves(box, env, ecs):
    ids = running(env, ecs)
    before = instances(ecs, ids)[ids[0]].start_time
    assert before.endswith("Z")
    _control(box.ecs_url, "clock", {"advance_seconds": 120})  # StartTime has minute precision
    body = run(ecs, ids, "exit 194")
    row = finished_rows(ecs, body.invoke_id)[ids[0]]
    assert (row.invocation_status, row.exit_code) == ("Failed", 194)
    after = eventually(lambda: instances(ecs, ids)[ids[0]],
                       lambda inst: inst.status == "Running" and inst.start_time != before, "rebooted")
    assert after.start_time > before


def test_start_time_is_set_on_start(box, env, ecs):
    ids = running(env, ecs)
    first = instances(ecs, ids)[ids[0]].start_time
    ecs.stop_instances(m.StopInstancesRequest(region_id=R, instance_id=ids))
    eventually(lambda: instances(ecs, ids)[ids[0]].status, lambda s: s == "Stopped", "Stopped")
    _control(box.ecs_url, "clock", {"advance_seconds": 120})
    ecs.start_instances(m.StartInstancesRequest(region_id=R, instance_id=ids))
    again = eventually(lambda: instances(ecs, ids)[ids[0]], lambda i: i.status == "Running", "Running")
    assert again.start_time > first


def test_windows_types_are_not_run_but_exit_codes_act(env, ecs):
    ids = running(env, ecs, windows=True)
    assert instances(ecs, ids)[ids[0]].ostype == "windows"
    body = run(ecs, ids, "Write-Host 'bye'\r\nexit 3009", type="RunPowerShellScript")
    row = finished_rows(ecs, body.invoke_id)[ids[0]]
    assert (row.invocation_status, row.exit_code, row.output, row.username) == ("Failed", 3009, "", "System")
    eventually(lambda: instances(ecs, ids)[ids[0]].status, lambda s: s == "Stopped", "Stopped")


def test_bat_success_on_windows(env, ecs):
    ids = running(env, ecs, windows=True)
    row = finished_rows(ecs, run(ecs, ids, "echo hi", type="RunBatScript").invoke_id)[ids[0]]
    assert (row.invocation_status, row.exit_code) == ("Success", 0)


def test_command_type_must_match_the_os(env, ecs):
    linux = running(env, ecs)
    windows = running(env, ecs, windows=True)
    err = error(run, ecs, windows, "echo hi")
    assert (err.code, err.status_code) == ("InvalidInstance.NotMatch", 403)
    err = error(run, ecs, linux, "Write-Host hi", "RunPowerShellScript")
    assert (err.code, err.status_code) == ("InvalidInstance.NotMatch", 403)


def test_validation_errors_with_ecs_codes(box, env, ecs):
    ids = running(env, ecs)
    cases = [
        (lambda: run(ecs, ids, ""), "MissingParameter", 400),
        (lambda: run(ecs, [], "true"), "MissingParameter", 400),
        (lambda: run(ecs, ids, "true", type="Shell"), "InvalidCmdType.NotFound", 403),
        (lambda: run(ecs, ["i-bp1doesnotexist00000"], "true"), "InvalidInstance.NotFound", 404),
        (lambda: run(ecs, [f"i-bp1{n:019d}" for n in range(101)], "true"), "InstanceIds.ExceedLimit", 403),
        (lambda: run(ecs, ids, "true", repeat_mode="Period", frequency="rate(5m)"), "Operation.Forbidden", 403),
        (lambda: run(ecs, ids, "true", repeat_mode="Sometimes"), "InvalidRepeatMode.NotFound", 404),
        (lambda: run(ecs, ids, "echo " + "x" * 20000), "CmdContent.ExceedLimit", 403),
        (lambda: run(ecs, ids, "true", name="n" * 129), "CmdName.ExceedLimit", 403),
        (lambda: run(ecs, ids, "!!notbase64", content_encoding="Base64"), "InvalidParameter", 400),
        (lambda: run(ecs, ids, "true", timeout=0), "InvalidParameter", 400),
    ]
    for call, code, status in cases:
        err = error(call)
        assert (err.code, err.status_code) == (code, status), code
    recorded = calls(box, "RunCommand")
    assert [c["error_code"] for c in recorded] == [code for _, code, _ in cases]
    assert ecs.describe_invocations(m.DescribeInvocationsRequest(region_id=R)).body.total_count == 0


def test_an_instance_that_is_not_running_is_rejected(env, ecs):
    ids = running(env, ecs)
    ecs.stop_instances(m.StopInstancesRequest(region_id=R, instance_id=ids))
    err = error(run, ecs, ids, "true")
    assert (err.code, err.status_code) == ("InvalidInstance.NotMatch", 403)


def test_paging_both_ways(env, ecs):
    ids = running(env, ecs, 3)
    for _ in range(2):
        finished_rows(ecs, run(ecs, ids, "true").invoke_id)
    first = results(ecs, page_size=4, page_number=1)
    second = results(ecs, page_size=4, page_number=2)
    assert (first.total_count, first.page_size, len(first.invocation_results.invocation_result)) == (6, 4, 4)
    assert len(second.invocation_results.invocation_result) == 2
    by_pages = [(r.invoke_id, r.instance_id) for page in (first, second) for r in page.invocation_results.invocation_result]
    seen, token = [], None
    while True:
        page = results(ecs, max_results=4, next_token=token)
        seen += [(r.invoke_id, r.instance_id) for r in page.invocation_results.invocation_result]
        token = page.next_token
        if not token:
            break
    assert seen == by_pages and len(set(seen)) == 6
    err = error(lambda: results(ecs, page_size=51))
    assert err.code == "InvalidParameter"
    invocations = ecs.describe_invocations(m.DescribeInvocationsRequest(region_id=R, max_results=1)).body
    assert len(invocations.invocations.invocation) == 1 and invocations.next_token


def test_filters_instance_and_record_status(env, ecs):
    ids = running(env, ecs, 2)
    body = run(ecs, ids, f'[ "$SANDBOX_INSTANCE_ID" = "{ids[0]}" ]')
    finished_rows(ecs, body.invoke_id)
    failed = results(ecs, body.invoke_id, invoke_record_status="Failed").invocation_results.invocation_result
    assert [r.instance_id for r in failed] == [ids[1]]
    mine = results(ecs, instance_id=ids[0]).invocation_results.invocation_result
    assert [r.instance_id for r in mine] == [ids[0]]


def test_output_keeps_the_last_24_kib_and_reports_dropped(env, ecs):
    ids = running(env, ecs)
    body = run(ecs, ids, "for i in $(seq 1 5000); do echo line-$i; done")
    row = finished_rows(ecs, body.invoke_id, content_encoding="PlainText")[ids[0]]
    total = sum(len(f"line-{i}\n") for i in range(1, 5001))
    assert len(row.output.encode()) == 24 * 1024 and row.output.endswith("line-5000\n")
    assert row.dropped == total - 24 * 1024


def test_stop_invocation_terminates_a_running_script(env, ecs):
    ids = running(env, ecs)
    body = run(ecs, ids, "sleep 30", timeout=60)
    eventually(lambda: rows_by_instance(ecs, body.invoke_id)[ids[0]].invocation_status,
               lambda s: s == "Running", "Running")
    ecs.stop_invocation(m.StopInvocationRequest(region_id=R, invoke_id=body.invoke_id))
    row = finished_rows(ecs, body.invoke_id)[ids[0]]
    assert (row.invocation_status, row.invoke_record_status) == ("Terminated", "Stopped")
    assert row.stop_time and not row.finished_time
    assert invocation(ecs, body.invoke_id).invocation_status == "Stopped"
    err = error(lambda: ecs.stop_invocation(m.StopInvocationRequest(region_id=R, invoke_id="t-bp1nope")))
    assert (err.code, err.status_code) == ("InvalidInvokeId.NotFound", 404)


def test_released_instance_ends_its_script(env, ecs):
    ids = running(env, ecs)
    body = run(ecs, ids, "sleep 30", timeout=60)
    ecs.delete_instances(m.DeleteInstancesRequest(region_id=R, instance_id=ids, force=True))
    row = finished_rows(ecs, body.invoke_id)[ids[0]]
    assert (row.invocation_status, row.error_code) == ("Failed", "InstanceReleased")


def test_reset_kills_running_scripts_and_forgets_invocations(box, env, ecs, tmp_path):
    ids = running(env, ecs)
    marker = tmp_path / "marker"
    body = run(ecs, ids, f"sleep 1; touch {marker}", timeout=60)
    eventually(lambda: rows_by_instance(ecs, body.invoke_id)[ids[0]].invocation_status,
               lambda s: s == "Running", "Running")
    _control(box.ecs_url, "reset", {})
    assert box.ctx.commands.executions(group="ecs") == []
    time.sleep(2)  # longer than the script would have needed to leave its marker
    assert not marker.exists()
    assert ecs.describe_invocations(m.DescribeInvocationsRequest(region_id=R)).body.total_count == 0
    assert results(ecs).total_count == 0


def test_client_token_makes_a_retry_run_the_script_once(box, env, ecs, tmp_path):
    ids = running(env, ecs)
    counter = tmp_path / "runs"
    script = f"echo run >> {counter}"
    first = run(ecs, ids, script, client_token="retry-1")
    again = run(ecs, ids, script, client_token="retry-1")
    assert (again.invoke_id, again.command_id) == (first.invoke_id, first.command_id)
    finished_rows(ecs, first.invoke_id)
    assert counter.read_text() == "run\n"
    err = error(lambda: run(ecs, ids, "echo other", client_token="retry-1"))
    assert (err.code, err.status_code) == ("IdempotentParameterMismatch", 403)
