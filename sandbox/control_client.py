"""A client for the control API (`/_sandbox/*`), for tests, the demo and benchmarks."""
import json
import urllib.request


def control(url, route, body=None):
    """Call a control route on one endpoint; GET when there is no body, else POST JSON."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        f"{url}/_sandbox/{route}", data=data, method="GET" if data is None else "POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())
