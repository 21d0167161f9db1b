"""Drives the three official SDKs (openai, anthropic, google-genai) against EdgeRouter's response cache: the same
request twice, whole then streamed, each answer's `x-edge-cache` header and text printed.

Usage: cache_sdk_check.py BASE_URL KEY MODEL  (the key's answers are cached; each dialect asks its own question,
so that every dialect's first request is a miss).
"""
import sys

import anthropic
import openai
from google import genai
from google.genai import types

base_url, key, model = sys.argv[1], sys.argv[2], sys.argv[3]

client = openai.OpenAI(base_url=base_url + "/v1", api_key=key, max_retries=0)
question = [{"role": "user", "content": "Hello from openai"}]
for attempt in ("first", "second"):
    raw = client.chat.completions.with_raw_response.create(model=model, messages=question)
    print(f"openai {attempt}: {raw.headers.get('x-edge-cache')} {raw.parse().choices[0].message.content}")
with client.chat.completions.with_streaming_response.create(model=model, messages=question, stream=True) as raw:
    text = "".join(chunk.choices[0].delta.content or "" for chunk in raw.parse() if chunk.choices)
    print(f"openai stream: {raw.headers.get('x-edge-cache')} {text}")

claude = anthropic.Anthropic(base_url=base_url, api_key=key, max_retries=0)
question = [{"role": "user", "content": "Hello from anthropic"}]
for attempt in ("first", "second"):
    raw = claude.messages.with_raw_response.create(model=model, max_tokens=256, messages=question)
    message = raw.parse()
    print(f"anthropic {attempt}: {raw.headers.get('x-edge-cache')} {message.content[0].text} [{message.stop_reason}]")
with claude.messages.stream(model=model, max_tokens=256, messages=question) as stream:
    text = "".join(stream.text_stream)
    final = stream.get_final_message()
    print(f"anthropic stream: {text} [{final.stop_reason}]")

gemini = genai.Client(api_key=key, http_options=types.HttpOptions(base_url=base_url, retry_options=None))
for attempt in ("first", "second"):
    response = gemini.models.generate_content(model=model, contents="Hello from gemini")
    headers = response.sdk_http_response.headers if response.sdk_http_response else {}
    status = {name.lower(): value for name, value in (headers or {}).items()}.get("x-edge-cache")
    print(f"gemini {attempt}: {status} {response.text} [{response.candidates[0].finish_reason.name}]")
streamed = "".join(chunk.text or "" for chunk in gemini.models.generate_content_stream(model=model, contents="Hello from gemini"))
print(f"gemini stream: {streamed}")
