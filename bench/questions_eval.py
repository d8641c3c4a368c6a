"""`python -m bench.questions_eval`: precision and recall of the customer questions
`analyze.find_questions` finds, against hand-labelled Dutch conversations.

The labelled sets are `bench/questions_expected.json`: conversations written as Whisper
transcribes spoken Dutch (fillers, topics put first, statements without their subject,
exclamations, indirect questions, question tags without a mark, a sentence carried over into
the same person's next line), each with the customer questions a marketer would count as
asking for information or a decision. Reactions of one or two words ("Echt?") and rhetorical
questions are not labelled. A question found is right when it is one labelled in the same
conversation (the same words, or one holding the other). Prints Markdown.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

from analyze import Utterance, find_questions
from bench.run import cpu_name

EXPECTED = Path(__file__).with_name("questions_expected.json")


def _words(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def _same(found: str, labelled: str) -> bool:
    return found == labelled or (
        min(len(found), len(labelled)) > 8 and (found in labelled or labelled in found)
    )


def score(conversations: list[dict]) -> tuple[int, int, int, int]:
    """(questions found, of them right, labelled, of them found)."""
    found_n = right = labelled_n = hit = 0
    for conversation in conversations:
        said = [
            Utterance(conversation["id"], text, role, float(i), float(i) + 1.0)
            for i, (role, text) in enumerate(conversation["lines"])
        ]
        found = [_words(q.text) for q in find_questions(said) if q.role == "customer"]
        labelled = [_words(q) for q in conversation["questions"]]
        found_n += len(found)
        right += sum(any(_same(f, g) for g in labelled) for f in found)
        labelled_n += len(labelled)
        hit += sum(any(_same(f, g) for f in found) for g in labelled)
    return found_n, right, labelled_n, hit


def main() -> None:
    sets = json.loads(EXPECTED.read_text(encoding="utf-8"))["sets"]
    print(f"Customer questions found, {time.strftime('%Y-%m-%d')}, {cpu_name()}\n")
    print("| set | found | right | labelled | P | R |")
    print("|---|---|---|---|---|---|")
    for labelled_set in sets:
        found, right, labelled, hit = score(labelled_set["conversations"])
        print(
            f"| {labelled_set['name']} | {found} | {right} | {labelled} "
            f"| {right / max(found, 1):.3f} | {hit / max(labelled, 1):.3f} |"
        )


if __name__ == "__main__":
    main()
