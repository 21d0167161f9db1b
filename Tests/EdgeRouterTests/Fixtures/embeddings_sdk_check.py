"""Drives the official OpenAI and Google Gen AI Python SDKs' embeddings calls against EdgeRouter: base URL and key
are the only changes.

Usage: embeddings_sdk_check.py BASE_URL KEY MODEL...  BASE_URL is the router's root (the OpenAI client gets
BASE_URL/v1). Each model is an embedding model; every line printed names the SDK and the model, and the first
values of the vector for "alpha", so the caller can check that every SDK read the same floats from every provider.
"""
import struct
import sys

import openai
from google import genai
from google.genai import errors, types

base_url, key, models = sys.argv[1], sys.argv[2], sys.argv[3:]
oa = openai.OpenAI(base_url=base_url + "/v1", api_key=key, max_retries=0)
gc = genai.Client(api_key=key, http_options=types.HttpOptions(base_url=base_url, retry_options=None))


def f32(values):
    """The values as float32, which is what the service computed: JSON text and base64 then compare exactly."""
    return [struct.unpack("<f", struct.pack("<f", v))[0] for v in values]


def show(values):
    return ",".join(f"{v:.6f}" for v in f32(values[:4]))


for model in models:
    # The SDK asks for base64 by default and decodes it itself.
    default = oa.embeddings.create(model=model, input=["alpha", "beta"])
    floats = oa.embeddings.create(model=model, input=["alpha", "beta"], encoding_format="float")
    assert [d.index for d in default.data] == [0, 1], default
    assert default.usage.prompt_tokens > 0, default.usage
    assert [d.embedding for d in default.data] == [f32(d.embedding) for d in floats.data], (default, floats)
    print(f"{model} openai base64: {len(default.data)} x {len(default.data[0].embedding)} alpha {show(default.data[0].embedding)}")
    print(f"{model} openai float: alpha {show(floats.data[0].embedding)}")
    sized = oa.embeddings.create(model=model, input="alpha", dimensions=5)
    print(f"{model} openai dimensions: {len(sized.data[0].embedding)}")

    result = gc.models.embed_content(model=model, contents=["alpha", "beta"])
    print(f"{model} genai: {len(result.embeddings)} x {len(result.embeddings[0].values)} alpha {show(result.embeddings[0].values)}")
    sized = gc.models.embed_content(
        model=model, contents="alpha", config=types.EmbedContentConfig(output_dimensionality=5))
    print(f"{model} genai dimensions: {len(sized.embeddings[0].values)}")

try:
    oa.embeddings.create(model="no-such-model", input="alpha")
except openai.NotFoundError as error:
    print("openai error:", type(error).__name__, error.status_code)

try:
    gc.models.embed_content(model="no-such-model", contents="alpha")
except errors.ClientError as error:
    print("genai error:", type(error).__name__, error.code, error.status)
