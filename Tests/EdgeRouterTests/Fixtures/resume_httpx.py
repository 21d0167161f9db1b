"""The README's resume example: read a few tokens of a stream with plain httpx, drop the connection, then fetch
the rest after the last event id. Prints the whole text, then the request id. Arguments: base URL, key, model."""
import json
import sys

import httpx

base, key, model = sys.argv[1], sys.argv[2], sys.argv[3]
headers = {"Authorization": f"Bearer {key}"}
body = {"model": model, "stream": True, "messages": [{"role": "user", "content": "Hello"}]}


def content(line):
    return json.loads(line[len("data: "):])["choices"][0]["delta"].get("content") or ""


text, last_id = "", None
with httpx.stream("POST", f"{base}/v1/chat/completions", json=body, headers=headers) as response:
    request_id = response.headers["x-edge-request-id"]
    assert response.headers["x-edge-resumable"] == "true", response.headers
    for line in response.iter_lines():
        if line.startswith("id: "):
            last_id = line[len("id: "):]
        elif line.startswith("data: {"):
            text += content(line)
            if len(text.split()) >= 3:
                break  # leaving the block closes the connection: the client "drops" here

# Later, from this process or another one: the rest, each event once.
with httpx.stream(
    "GET", f"{base}/v1/edge/streams/{request_id}", headers={**headers, "Last-Event-ID": last_id}
) as response:
    assert response.status_code == 200, response.status_code
    for line in response.iter_lines():
        if line.startswith("data: {"):
            text += content(line)

print(text)
print(request_id)
