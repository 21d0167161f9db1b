"""Test predictors for the `dialect: cog` tests, served by Cog's own HTTP server (PyPI `cog`, no container).

`Predictor` streams its answer word by word (`@cog.streaming`, an iterator output), one word every
`COG_TEST_DELAY_MS` milliseconds (default 50); `WholePredictor` returns the same answer at once, as one string,
after the same total time. The answer repeats the last user turn of the prompt (the last line that starts with
`User: `, as the router's `plain` chat template writes it), so a test can see that the template reached the model:
`echo: <words>`, plus `[system:<words>]` when a system prompt came, cut to `max_tokens` words.

When `COG_TEST_LOG` names a file, each prediction appends `start <user turn>` and then `done` or
`cancel <exception>` to it, so a test can see that a client's cancel reached the predictor.

`openapi_schema.json` beside this file is what `cog build` would generate for `Predictor`: it marks the predictions
endpoint `x-cog-streaming`, which is how Cog's server knows that it may stream. The tests serve a copy of this
directory, with the schema as `.cog/openapi_schema.json` for `Predictor` and without it for `WholePredictor`.
"""

import os
import time
from typing import Iterator

import cog
from cog import BasePredictor, ConcatenateIterator, Input


def _delay() -> float:
    return int(os.environ.get("COG_TEST_DELAY_MS", "50")) / 1000.0


def _note(line: str) -> None:
    path = os.environ.get("COG_TEST_LOG")
    if path:
        with open(path, "a", encoding="utf-8") as log:
            log.write(line + "\n")


def _last_user(prompt: str) -> str:
    lines = [line for line in prompt.splitlines() if line.startswith("User: ")]
    return lines[-1][len("User: "):] if lines else prompt.strip()


def _words(prompt: str, system_prompt: str, max_tokens: int) -> list[str]:
    words = ["echo:"] + _last_user(prompt).split()
    if system_prompt:
        words.append(f"[system:{len(system_prompt.split())}]")
    return words[: max(1, max_tokens)]


class Predictor(BasePredictor):
    @cog.streaming
    def predict(
        self,
        prompt: str = Input(description="The conversation, rendered by the router's chat template"),
        system_prompt: str = Input(description="The system message", default=""),
        max_tokens: int = Input(description="Most words to answer", default=16),
    ) -> ConcatenateIterator[str]:
        _note(f"start {_last_user(prompt)}")
        try:
            for index, word in enumerate(_words(prompt, system_prompt, max_tokens)):
                time.sleep(_delay())
                yield word if index == 0 else " " + word
        except BaseException as error:
            _note(f"cancel {type(error).__name__}")
            raise
        _note("done")


class WholePredictor(BasePredictor):
    def predict(
        self,
        prompt: str = Input(description="The conversation, rendered by the router's chat template"),
        system_prompt: str = Input(description="The system message", default=""),
        max_tokens: int = Input(description="Most words to answer", default=16),
    ) -> str:
        _note(f"start {_last_user(prompt)}")
        words = _words(prompt, system_prompt, max_tokens)
        try:
            # Word by word, as the streaming one, so that a cancel interrupts it between two words.
            for _ in words:
                time.sleep(_delay())
        except BaseException as error:
            _note(f"cancel {type(error).__name__}")
            raise
        _note("done")
        return " ".join(words)
