"""Drives the official OpenAI Python SDK's Responses API against EdgeRouter: base URL and key are the only changes.

Arguments: base URL, key, another key (or "-" to skip the isolation checks), then the models."""
import json
import sys

import openai

base_url, key, other_key = sys.argv[1], sys.argv[2], sys.argv[3]
models = sys.argv[4:] or ["m"]
client = openai.OpenAI(base_url=base_url, api_key=key, max_retries=0)
tools = [{
    "type": "function",
    "name": "get_weather",
    "description": "The weather in a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}]

kept = None
for model in models:
    created = client.responses.create(model=model, input="Say hello", instructions="Be brief.")
    assert created.status == "completed", created
    usage = created.usage
    assert usage.total_tokens == usage.input_tokens + usage.output_tokens and usage.output_tokens > 0, usage
    print(f"{model} create: {created.output_text} [{usage.output_tokens} tokens]")

    deltas = []
    with client.responses.stream(model=model, input="Say hello") as stream:
        for event in stream:
            if event.type == "response.output_text.delta":
                deltas.append(event.delta)
        final = stream.get_final_response()
    assert "".join(deltas) == final.output_text, (deltas, final.output_text)
    print(f"{model} stream: {final.output_text} [{final.usage.output_tokens} tokens]")

    numbers = [event.sequence_number for event in client.responses.create(model=model, input="Say hello", stream=True)]
    print(f"{model} sequence: {numbers == list(range(1, len(numbers) + 1))}")

    second = client.responses.create(model=model, input="Say it again", previous_response_id=created.id)
    print(f"{model} second turn: {second.output_text} [previous {second.previous_response_id == created.id}]"
          f" [input {second.usage.input_tokens > created.usage.input_tokens}]")

    called = client.responses.create(model=model, input="What is the weather in Paris?", tools=tools, tool_choice="required")
    call = next(item for item in called.output if item.type == "function_call")
    print(f"{model} tool: {call.name} {isinstance(json.loads(call.arguments), dict)}")
    after = client.responses.create(
        model=model, previous_response_id=called.id, tools=tools,
        input=[{"type": "function_call_output", "call_id": call.call_id, "output": "sunny"}])
    print(f"{model} after tool: {after.output_text}")

    with client.responses.stream(model=model, input="Weather in Paris?", tools=tools, tool_choice="required") as stream:
        streamed = stream.get_final_response()
    streamed_call = next(item for item in streamed.output if item.type == "function_call")
    print(f"{model} streamed tool: {streamed_call.name} {isinstance(json.loads(streamed_call.arguments), dict)}")

    thought = client.responses.create(model=model, input="Think first", reasoning={"effort": "low"})
    reasoning = [item for item in thought.output if item.type == "reasoning"]
    summary = "".join(part.text for item in reasoning for part in item.summary)
    print(f"{model} reasoning: {len(reasoning)} {len(summary) > 0} {thought.output[-1].type}")
    summary_deltas = []
    with client.responses.stream(model=model, input="Think first", reasoning={"effort": "low"}) as stream:
        for event in stream:
            if event.type == "response.reasoning_summary_text.delta":
                summary_deltas.append(event.delta)
        streamed_thought = stream.get_final_response()
    streamed_summary = "".join(part.text for item in streamed_thought.output if item.type == "reasoning" for part in item.summary)
    print(f"{model} streamed reasoning: {len(summary_deltas) > 0 and ''.join(summary_deltas) == streamed_summary}")

    got = client.responses.retrieve(created.id)
    print(f"{model} retrieve: {got.id == created.id and got.output_text == created.output_text}")
    client.responses.delete(created.id)
    try:
        client.responses.retrieve(created.id)
    except openai.NotFoundError as error:
        print(f"{model} deleted: {error.status_code}")
    kept = second

unstored = client.responses.create(model=models[0], input="Say hello", store=False)
try:
    client.responses.retrieve(unstored.id)
except openai.NotFoundError as error:
    print("unstored:", error.status_code)

if other_key != "-":
    other = openai.OpenAI(base_url=base_url, api_key=other_key, max_retries=0)
    try:
        other.responses.create(model=models[0], input="Hi", previous_response_id=kept.id)
    except openai.NotFoundError as error:
        print("other key previous:", error.status_code, error.body.get("param"))
    try:
        other.responses.retrieve(kept.id)
    except openai.NotFoundError as error:
        print("other key retrieve:", error.status_code)
    try:
        other.responses.delete(kept.id)
    except openai.NotFoundError as error:
        print("other key delete:", error.status_code)
    print("still there:", client.responses.retrieve(kept.id).id == kept.id)

try:
    client.responses.create(model=models[0], input="Hi", tools=[{"type": "web_search"}])
except openai.BadRequestError as error:
    print("web_search:", error.status_code, error.code, error.body.get("param"))

try:
    client.responses.create(model="no-such-model", input="Hi")
except openai.NotFoundError as error:
    print("error:", type(error).__name__, error.status_code, error.code)
