"""A tiny tokenizer for arithmetic, used as test input for codectx."""
import re
from dataclasses import dataclass
from typing import Iterator, List

TOKEN_RE = re.compile(r"\s*(?:(\d+\.?\d*)|(.))")
PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2}


@dataclass
class Token:
    kind: str
    text: str

    def is_op(self) -> bool:
        return self.kind == "op"


class TokenizeError(ValueError):
    pass


def tokenize(src: str) -> Iterator[Token]:
    for number, other in TOKEN_RE.findall(src):
        if number:
            yield Token("num", number)
        elif other in PRECEDENCE or other in "()":
            yield Token("op", other)
        elif other.strip():
            raise TokenizeError(f"unexpected {other!r}")


def to_rpn(tokens: List[Token]) -> List[Token]:
    out, stack = [], []
    for tok in tokens:
        if tok.kind == "num":
            out.append(tok)
        elif tok.text == "(":
            stack.append(tok)
        elif tok.text == ")":
            while stack and stack[-1].text != "(":
                out.append(stack.pop())
            stack.pop()
        else:
            while stack and PRECEDENCE.get(stack[-1].text, 0) >= PRECEDENCE[tok.text]:
                out.append(stack.pop())
            stack.append(tok)
    while stack:
        out.append(stack.pop())
    return out


if __name__ == "__main__":
    print([t.text for t in to_rpn(list(tokenize("1 + 2 * (3 - 4)")))])
