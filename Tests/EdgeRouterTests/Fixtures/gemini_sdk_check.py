"""Drives the official Google Gen AI Python SDK (google-genai) against EdgeRouter: base URL and key are the only
changes.

Usage: gemini_sdk_check.py BASE_URL KEY MODEL...  Each model is served by a provider of one dialect; every line
printed names the model, so the caller checks each client/provider pair.
"""
import base64
import sys

from google import genai
from google.genai import errors, types

base_url, key, models = sys.argv[1], sys.argv[2], sys.argv[3:]
client = genai.Client(api_key=key, http_options=types.HttpOptions(base_url=base_url, retry_options=None))
weather = types.FunctionDeclaration(
    name="get_weather",
    description="The weather in a city",
    parameters={"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
)
forced = types.GenerateContentConfig(
    tools=[types.Tool(function_declarations=[weather])],
    tool_config=types.ToolConfig(function_calling_config=types.FunctionCallingConfig(mode="ANY")),
)
pixel = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")

for model in models:
    response = client.models.generate_content(model=model, contents="Say hello")
    assert response.usage_metadata.candidates_token_count > 0, response.usage_metadata
    print(f"{model} create: {response.text} [{response.candidates[0].finish_reason.name}]")

    streamed = "".join(chunk.text or "" for chunk in client.models.generate_content_stream(model=model, contents="Say hello"))
    print(f"{model} stream: {streamed}")

    asked = "What is the weather in Paris?"
    response = client.models.generate_content(model=model, contents=asked, config=forced)
    call = response.function_calls[0]
    assert isinstance(call.args, dict), call.args
    print(f"{model} tool: {call.name}")
    history = [
        types.Content(role="user", parts=[types.Part(text=asked)]),
        response.candidates[0].content,
        types.Content(role="user", parts=[types.Part.from_function_response(name=call.name, response={"result": "sunny"})]),
    ]
    answer = client.models.generate_content(
        model=model, contents=history, config=types.GenerateContentConfig(tools=[types.Tool(function_declarations=[weather])]))
    print(f"{model} after tool: {answer.text}")

    image = client.models.generate_content(
        model=model, contents=[types.Part.from_bytes(data=pixel, mime_type="image/png"), "What is in this image?"])
    print(f"{model} image: {image.text}")

try:
    client.models.generate_content(model="no-such-model", contents="Say hello")
except errors.ClientError as error:
    print("error:", type(error).__name__, error.code, error.status)

# Held in a variable: a client that is only a temporary is closed before its request is sent.
stranger = genai.Client(api_key="wrong", http_options=types.HttpOptions(base_url=base_url))
try:
    stranger.models.generate_content(model=models[0], contents="Say hello")
except errors.ClientError as error:
    print("auth:", type(error).__name__, error.code, error.status)

print("models:", ",".join(sorted(m.name for m in client.models.list())))
