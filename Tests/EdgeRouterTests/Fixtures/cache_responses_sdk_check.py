"""Drives the official OpenAI Python SDK's Responses API against EdgeRouter's response cache: the same
`responses.create` twice, then streamed; each answer's `x-edge-cache` header, status and text printed, and how hits
interact with `store` and `previous_response_id`.

Usage: cache_responses_sdk_check.py BASE_URL KEY MODEL  (the key's answers are cached).
"""
import sys

import openai

base_url, key, model = sys.argv[1], sys.argv[2], sys.argv[3]
client = openai.OpenAI(base_url=base_url, api_key=key, max_retries=0)
question = "Hello from responses"

answers = []
for attempt in ("first", "second"):
    raw = client.responses.with_raw_response.create(model=model, input=question)
    response = raw.parse()
    answers.append(response)
    print(f"{attempt}: {raw.headers.get('x-edge-cache')} [{response.status}] {response.output_text}")
first, second = answers
print(f"new id: {first.id != second.id}")

with client.responses.with_streaming_response.create(model=model, input=question, stream=True) as raw:
    deltas, completed = [], None
    for event in raw.parse():
        if event.type == "response.output_text.delta":
            deltas.append(event.delta)
        elif event.type == "response.completed":
            completed = event.response
    status = completed.status if completed else "none"
    print(f"stream: {raw.headers.get('x-edge-cache')} [{status}] {''.join(deltas)}")

# A hit asked with `store` (the default) is stored under its own new id.
stored = client.responses.retrieve(second.id)
print(f"retrieved: {stored.id == second.id} {stored.output_text}")

# `store: false` does not change the key: a hit, not stored.
raw = client.responses.with_raw_response.create(model=model, input=question, store=False)
unstored = raw.parse()
try:
    client.responses.retrieve(unstored.id)
    print(f"not stored: found ({raw.headers.get('x-edge-cache')})")
except openai.NotFoundError as error:
    print(f"not stored: {error.status_code} ({raw.headers.get('x-edge-cache')})")

# A follow-up on the hit's id is a request of its own (the previous response's id is in the key).
raw = client.responses.with_raw_response.create(model=model, input="And again", previous_response_id=second.id)
continued = raw.parse()
print(f"continued: {continued.previous_response_id == second.id} {raw.headers.get('x-edge-cache')}")

# The same words to chat completions are another endpoint: never the Responses entry.
raw = client.chat.completions.with_raw_response.create(model=model, messages=[{"role": "user", "content": question}])
print(f"chat after responses: {raw.headers.get('x-edge-cache')}")
