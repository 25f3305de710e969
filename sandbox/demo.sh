#!/usr/bin/env bash
# `make demo`: start the sandbox, seed a fleet on both clouds, run playbooks/demo.yml with real
# ansible-playbook, and stop the sandbox whatever happens.
set -euo pipefail
cd "$(dirname "$0")/.."
work=.cache/demo
rm -rf "$work" && mkdir -p "$work"
py=$PWD/.venv/bin/python
# the checkout as cloudfleet.lifecycle (the Makefile's `collection` target makes the link)
export ANSIBLE_COLLECTIONS_PATH=${ANSIBLE_COLLECTIONS_PATH:-$PWD/.cache/collections}

"$py" -m sandbox serve --env-file "$work/sandbox.env" --transition-seconds "${TRANSITION_SECONDS:-1}" >"$work/sandbox.log" 2>&1 &
sandbox_pid=$!
trap 'kill "$sandbox_pid" 2>/dev/null; wait "$sandbox_pid" 2>/dev/null || true' EXIT

for _ in $(seq 1 200); do
  [ -f "$work/sandbox.env" ] && break
  kill -0 "$sandbox_pid" 2>/dev/null || { cat "$work/sandbox.log"; exit 1; }
  sleep 0.1
done
[ -f "$work/sandbox.env" ] || { echo "sandbox did not start" >&2; cat "$work/sandbox.log"; exit 1; }
set -a; . "$work/sandbox.env"; set +a
echo "sandbox: EC2 at $AWS_ENDPOINT_URL, ECS at $ALIBABA_CLOUD_ECS_ENDPOINT"

"$py" -m sandbox seed --env-file "$work/sandbox.env" --out "$work/fleet.json"

# localhost must use the venv's python: interpreter discovery picks a broken pyenv shim here.
echo "localhost ansible_connection=local ansible_python_interpreter=$py" >"$work/inventory.ini"
ANSIBLE_CALLBACK_RESULT_FORMAT=yaml ANSIBLE_NOCOLOR=${ANSIBLE_NOCOLOR:-0} .venv/bin/ansible-playbook -i "$work/inventory.ini" playbooks/demo.yml -e "@$work/fleet.json"
