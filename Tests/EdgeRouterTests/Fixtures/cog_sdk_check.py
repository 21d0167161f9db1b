"""The official OpenAI, Anthropic and Google Gen AI SDKs, unmodified but for base URL and key, against models the
router serves from a Cog predictor: one streamed and one whole answer each, printed as `<sdk> <model> <mode>: <text>`.

Usage: cog_sdk_check.py ROUTER_BASE KEY MODEL...
"""

import sys

import anthropic
import openai
from google import genai
from google.genai import types

base, key, models = sys.argv[1], sys.argv[2], sys.argv[3:]
question = [{"role": "user", "content": "say hi to the edge"}]

oa = openai.OpenAI(base_url=base + "/v1", api_key=key, max_retries=0)
an = anthropic.Anthropic(base_url=base, api_key=key, max_retries=0)
ge = genai.Client(api_key=key, http_options=types.HttpOptions(base_url=base))

for model in models:
    answer = oa.chat.completions.create(model=model, messages=question, max_tokens=32)
    print(f"openai {model} create: {answer.choices[0].message.content} [{answer.choices[0].finish_reason}]")
    pieces = []
    for chunk in oa.chat.completions.create(model=model, messages=question, max_tokens=32, stream=True):
        if chunk.choices and chunk.choices[0].delta.content:
            pieces.append(chunk.choices[0].delta.content)
    print(f"openai {model} stream: {''.join(pieces)} ({len(pieces)} pieces)")

    message = an.messages.create(model=model, messages=question, max_tokens=32, system="be brief")
    print(f"anthropic {model} create: {message.content[0].text} [{message.stop_reason}]")
    with an.messages.stream(model=model, messages=question, max_tokens=32) as stream:
        text = "".join(stream.text_stream)
    print(f"anthropic {model} stream: {text}")

    config = types.GenerateContentConfig(max_output_tokens=32)
    reply = ge.models.generate_content(model=model, contents="say hi to the edge", config=config)
    print(f"gemini {model} create: {reply.text}")
    pieces = [c.text for c in ge.models.generate_content_stream(model=model, contents="say hi to the edge", config=config) if c.text]
    print(f"gemini {model} stream: {''.join(pieces)}")
