# -*- coding: utf-8 -*-
# Copyright: cloudfleet.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment(object):
    # The options every module of the collection takes: which cloud, where, and as whom.
    DOCUMENTATION = r"""
options:
  cloud:
    description:
      - Which cloud the instances live in.
      - V(aws) is Amazon EC2 (through C(boto3)), V(alicloud) is Alibaba Cloud ECS (through C(alibabacloud_tea_openapi)).
      - Only the SDK of the chosen cloud is imported.
    type: str
    required: true
    choices: [aws, alicloud]
  region:
    description:
      - The region, for example V(us-east-1) or V(cn-hangzhou).
      - If not set, V(aws) reads E(AWS_REGION), then E(AWS_DEFAULT_REGION), then the profile;
        V(alicloud) reads E(ALIBABA_CLOUD_REGION_ID) and needs a region.
    type: str
  access_key:
    description:
      - The access key id.
      - If not set, V(aws) reads E(AWS_ACCESS_KEY_ID) (then the profile and the usual botocore chain);
        V(alicloud) reads E(ALIBABA_CLOUD_ACCESS_KEY_ID).
    type: str
  secret_key:
    description:
      - The secret access key. Never shown in any output.
      - If not set, V(aws) reads E(AWS_SECRET_ACCESS_KEY); V(alicloud) reads E(ALIBABA_CLOUD_ACCESS_KEY_SECRET).
    type: str
  security_token:
    description:
      - A session (STS) token that goes with temporary credentials. Never shown in any output.
      - If not set, V(aws) reads E(AWS_SESSION_TOKEN); V(alicloud) reads E(ALIBABA_CLOUD_SECURITY_TOKEN).
    type: str
  profile:
    description:
      - The AWS named profile to use when no O(access_key) is given. If not set, E(AWS_PROFILE) is read.
      - AWS only.
    type: str
  endpoint_url:
    description:
      - The API endpoint as a URL, for example V(http://127.0.0.1:5000) for the local sandbox.
      - If not set, V(aws) reads E(AWS_ENDPOINT_URL) and V(alicloud) reads E(ALIBABA_CLOUD_ECS_ENDPOINT);
        otherwise the cloud's public regional endpoint is used (ECS V(https://ecs.REGION.aliyuncs.com)).
    type: str
  # PLUGINS below has the same words (tests/unit/plugins/doc_fragments/test_common.py).
  retry_max_attempts:
    description:
      - How many times one API call is tried in all when the cloud answers with throttling or a server error.
      - V(aws) uses the botocore V(standard) retry mode; V(alicloud) retries C(Throttling*), C(ServiceUnavailable),
        C(InternalError) and any 5xx answer. Both back off exponentially with jitter.
    type: int
    default: 8
  retry_mode:
    description:
      - The botocore retry mode for O(cloud=aws). V(adaptive) also slows the client down on throttling (client-side rate limiting).
      - Ignored for O(cloud=alicloud), which always uses exponential backoff with jitter.
    type: str
    default: standard
    choices: [standard, adaptive]
notes:
  - Environment variables are read per cloud, so one play can address both clouds with the same option names.
  - In check mode the mutating calls are sent with C(DryRun) where the cloud's API has it, so permissions are
    validated and C(changed) is predicted; no mutating call is ever made without C(DryRun).
  - Errors are returned with the cloud's error code, message and request id in C(error), and per instance in C(failures).
requirements:
  - python >= 3.8
  - boto3 >= 1.34 (for O(cloud=aws))
  - alibabacloud_tea_openapi >= 0.3.12 (for O(cloud=alicloud))
"""

    # instance_ids / wait / wait_timeout / force, for the modules that act on a list of instances.
    BATCH = r"""
options:
  instance_ids:
    description:
      - The instances to act on, any number of them. Duplicates are ignored.
      - They are sent at most 100 ids to a call; each wait round describes at most 100 ids a call.
      - EC2 ids look like V(i-0123456789abcdef0) (8 or 17 hex digits), ECS ids like V(i-bp1abcdefghij0123456).
    type: list
    elements: str
    required: true
  wait:
    description:
      - Wait until every instance has reached the state the module brings it to.
    type: bool
    default: true
  wait_timeout:
    description:
      - How many seconds to wait in all, 1 or more. When they run out, the task B(fails) and names each instance
        that did not arrive with the state it is in.
      - V(0) is refused before any call (it would send the call and fail at once); to send the call and not wait,
        set O(wait=false).
    type: int
    default: 600
"""

    # fail_on_not_found, for every module that takes instance_ids.
    NOT_FOUND = r"""
options:
  fail_on_not_found:
    description:
      - What to do with an id the cloud does not know when the module starts, in this region and account.
        Such an id is never reported as released or V(terminated) - its record reads V(not-found) and it is listed in
        C(not_found_ids), and nothing is done to it.
      - V(false) (the default) warns and names the ids; the task goes on and succeeds for them. The default is V(false)
        because a second run after a real release must stay a no-op - ECS forgets a released instance at once and EC2
        about an hour after it terminated, so their ids are no longer known.
      - V(true) fails the task, each such id in C(failures) with the code V(NotFound). Use it when the ids come from a
        fresh source (an inventory just read, a list just returned); an unknown id then means a wrong region, account
        or a typo, which must not look like a finished job.
    type: bool
    default: false
"""

    # For the plugins that are not modules (the inventory source): what they share with the modules, word for word
    # (tests/unit/plugins/doc_fragments/test_common.py). Only that: a plugin's options come from get_option, and the
    # inventory takes its credentials and endpoint per entry of its `sources`, so their docs are its own.
    PLUGINS = r"""
options:
  retry_max_attempts:
    description:
      - How many times one API call is tried in all when the cloud answers with throttling or a server error.
      - V(aws) uses the botocore V(standard) retry mode; V(alicloud) retries C(Throttling*), C(ServiceUnavailable),
        C(InternalError) and any 5xx answer. Both back off exponentially with jitter.
    type: int
    default: 8
requirements:
  - boto3 >= 1.34 (for V(aws))
  - alibabacloud_tea_openapi >= 0.3.12 (for V(alicloud))
"""
