"""Drives the official OpenAI Python SDK against EdgeRouter: base URL and key are the only changes."""
import sys

import openai

base_url, key = sys.argv[1], sys.argv[2]
client = openai.OpenAI(base_url=base_url, api_key=key, max_retries=0)
messages = [{"role": "user", "content": "Say hello"}]

models = sys.argv[3:] or ["m"]
for model in models:
    stream = client.chat.completions.create(
        model=model, messages=messages, stream=True, stream_options={"include_usage": True})
    parts, usage = [], None
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            parts.append(chunk.choices[0].delta.content)
        if chunk.usage:
            usage = chunk.usage
    assert usage is not None and usage.completion_tokens > 0, usage
    print(f"{model} stream:", "".join(parts), f"[{usage.completion_tokens} tokens]")

    completion = client.chat.completions.create(model=model, messages=messages)
    usage = completion.usage
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens, usage
    print(f"{model} create:", completion.choices[0].message.content, f"[{usage.completion_tokens} tokens]")

try:
    client.chat.completions.create(model="no-such-model", messages=messages)
except openai.NotFoundError as error:
    print("error:", type(error).__name__, error.status_code, error.code)

try:
    openai.OpenAI(base_url=base_url, api_key="wrong", max_retries=0).models.list()
except openai.AuthenticationError as error:
    print("auth:", type(error).__name__, error.status_code)
