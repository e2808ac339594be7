"""Which item an expression means: `${name}` and ODK paths rewritten to `${export name}`.

Django-free. Forms keep their expressions as written (an exact round trip); the respondent
form and the checks evaluate them after `Places.resolve` has rewritten every reference to
the item's unique export name (formspec.assign_export_names):

- `${name}` is the item of that name. A name that repeats across groups means the item
  nearest to the one asking (the longest shared group path), as ODK resolves it; two
  equally near items make the reference ambiguous, which is refused.
- `../x` is the item `x` beside the one asking (`..` is the asker's group), each further
  `..` one group up; `./x` is read the same way; `/data/g/x` counts from the form's root
  (its first step is the root's name, whatever it is); `current()/` starts at the asker.
- A quoted `'${name}'` (jr:choice-name's second argument) is rewritten too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from surveys.expressions import ExpressionError, tokens

ERROR_UNKNOWN = "refers to ${{{name}}}, which is not an item of this form"
ERROR_AMBIGUOUS = "refers to ${{{name}}}, which names {count} items ({where}); use a path"
ERROR_PATH = "path {path!r} does not lead to an item of this form"


class UnresolvedReferenceError(ExpressionError):
    """A reference that leads to no item, or to several."""


@dataclass(frozen=True)
class Place:
    key: str  # the unique export name
    written: str  # the name as written in the form
    groups: tuple[str, ...]  # the group names from the top, outermost first


class Places:
    """Every item of a form (and its metadata fields) by where it sits."""

    def __init__(self, places: Iterable[Place]) -> None:
        # The first item of a path wins; pyxform refuses two of one name among siblings.
        self.places = list(places)
        self.by_written: dict[str, list[Place]] = {}
        self.by_path: dict[tuple[str, ...], Place] = {}
        self.keys = {place.key for place in self.places}
        for place in self.places:
            self.by_written.setdefault(place.written, []).append(place)
            self.by_path.setdefault((*place.groups, place.written), place)

    def key(self, name: str, here: tuple[str, ...]) -> str:
        """The export name `${name}` means when asked from group path `here`."""
        candidates = self.by_written.get(name) or [p for p in self.places if p.key == name]
        if not candidates:
            raise UnresolvedReferenceError(ERROR_UNKNOWN.format(name=name))
        if len(candidates) == 1:
            return candidates[0].key
        nearness = [(_shared(place.groups, here), place) for place in candidates]
        best = max(score for score, _ in nearness)
        nearest = [place for score, place in nearness if score == best]
        if len(nearest) > 1:
            where = ", ".join("/".join((*p.groups, p.written)) for p in nearest)
            raise UnresolvedReferenceError(
                ERROR_AMBIGUOUS.format(name=name, count=len(nearest), where=where)
            )
        return nearest[0].key

    def path_key(self, path: str, here: tuple[str, ...]) -> str:
        target = path_target(path, here)
        if not target:
            raise UnresolvedReferenceError(ERROR_PATH.format(path=path))
        place = self.by_path.get(target)
        if place is not None:
            return place.key
        # Forms copied between projects keep paths whose groups were renamed: the last
        # step still names the item when only one item has that name.
        same_name = self.by_written.get(target[-1], [])
        if len(same_name) == 1:
            return same_name[0].key
        raise UnresolvedReferenceError(ERROR_PATH.format(path=path))

    def resolve(self, expression: str, here: tuple[str, ...]) -> str:
        """`expression` with every reference rewritten to `${export name}`; raises
        ExpressionError naming a reference that leads nowhere or to several items."""
        if not expression.strip():
            return expression
        out: list[str] = []
        last = 0
        for kind, text, start, end in tokens(expression):
            replacement = None
            if kind == "ref":
                replacement = "${" + self.key(text, here) + "}"
            elif kind == "path" and not _is_container(text):
                replacement = "${" + self.path_key(text, here) + "}"
            elif kind == "string":
                inner = text[1:-1].strip()
                if inner.startswith("${") and inner.endswith("}"):
                    key = self.key(inner[2:-1].strip(), here)
                    replacement = text[0] + "${" + key + "}" + text[-1]
            if replacement is not None:
                out.append(expression[last:start])
                out.append(replacement)
                last = end
        out.append(expression[last:])
        return "".join(out)


def path_target(path: str, here: tuple[str, ...]) -> tuple[str, ...]:
    """The group path and name an ODK path asked from group path `here` leads to (see
    the module docstring), or () when it climbs above the form or names no item."""
    steps = path.split("/")
    if steps[0] == "current()":
        steps = steps[1:]
    if steps[0] == "":
        # Absolute: /<root>/group/.../name.
        base: tuple[str, ...] = ()
        steps = steps[2:]
    else:
        base = here
        if (steps and steps[0] == ".") or (steps and steps[0] == ".."):
            steps = steps[1:]
        while steps and steps[0] == "..":
            if not base:
                return ()
            base = base[:-1]
            steps = steps[1:]
    return (*base, *steps) if steps else ()


def _is_container(path: str) -> bool:
    """`..` or `current()/..`: a group (position(..)), not an item."""
    return all(step in ("..", ".", "current()") for step in path.split("/"))


def _shared(left: tuple[str, ...], right: tuple[str, ...]) -> int:
    count = 0
    for a, b in zip(left, right, strict=False):
        if a != b:
            break
        count += 1
    return count
