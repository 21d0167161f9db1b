"""Drives the official Anthropic Python SDK against EdgeRouter: base URL and key are the only changes.

Usage: anthropic_sdk_check.py BASE_URL KEY MODEL...  Each model is served by a provider of one dialect; every
line printed names the model, so the caller checks each client/provider pair.
"""
import json
import sys

import anthropic

base_url, key, models = sys.argv[1], sys.argv[2], sys.argv[3:]
client = anthropic.Anthropic(base_url=base_url, api_key=key, max_retries=0)
hello = [{"role": "user", "content": "Say hello"}]
tools = [{
    "name": "get_weather",
    "description": "The weather in a city",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}]
# A 1x1 PNG.
pixel = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="

for model in models:
    message = client.messages.create(model=model, max_tokens=64, messages=hello)
    text = "".join(block.text for block in message.content if block.type == "text")
    assert message.usage.output_tokens > 0, message.usage
    print(f"{model} create: {text} [{message.stop_reason}]")

    with client.messages.stream(model=model, max_tokens=64, messages=hello) as stream:
        streamed = "".join(stream.text_stream)
        final = stream.get_final_message()
    print(f"{model} stream: {streamed} [{final.stop_reason}]")

    asked = [{"role": "user", "content": "What is the weather in Paris?"}]
    message = client.messages.create(
        model=model, max_tokens=64, messages=asked, tools=tools, tool_choice={"type": "any"})
    call = next(block for block in message.content if block.type == "tool_use")
    assert isinstance(call.input, dict), call.input
    print(f"{model} tool: {call.name} [{message.stop_reason}]")
    answer = client.messages.create(
        model=model, max_tokens=64, tools=tools,
        messages=asked + [
            {"role": "assistant", "content": message.content},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call.id, "content": "sunny"}]},
        ])
    print(f"{model} after tool: {''.join(b.text for b in answer.content if b.type == 'text')}")

    with client.messages.stream(
        model=model, max_tokens=64, messages=asked, tools=tools, tool_choice={"type": "any"}
    ) as stream:
        final = stream.get_final_message()
    streamed_call = next(block for block in final.content if block.type == "tool_use")
    print(f"{model} streamed tool: {streamed_call.name} {json.dumps(streamed_call.input, sort_keys=True) != ''}")

    image = client.messages.create(model=model, max_tokens=64, messages=[{"role": "user", "content": [
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": pixel}},
        {"type": "text", "text": "What is in this image?"},
    ]}])
    print(f"{model} image: {''.join(b.text for b in image.content if b.type == 'text')}")

try:
    client.messages.create(model="no-such-model", max_tokens=16, messages=hello)
except anthropic.NotFoundError as error:
    print("error:", type(error).__name__, error.status_code, error.body["error"]["type"])

try:
    anthropic.Anthropic(base_url=base_url, api_key="wrong", max_retries=0).messages.create(
        model=models[0], max_tokens=16, messages=hello)
except anthropic.AuthenticationError as error:
    print("auth:", type(error).__name__, error.status_code)

try:
    client.messages.create(model=models[0], max_tokens=16, messages=[{"role": "robot", "content": "x"}])
except anthropic.BadRequestError as error:
    print("invalid:", type(error).__name__, error.status_code, error.body["error"]["type"])

print("models:", ",".join(sorted(m.id for m in client.models.list())))
