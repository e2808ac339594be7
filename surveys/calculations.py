"""The order `calculate` items are computed in: each after the calculations it reads.

Django-free. A calculation may read one written further down the form (a total before
its parts, a flag before the score it tests), as ODK allows; computing in form order
would read the later one before it has a value. So calculations are sorted by what
they read (their calculation and their `relevant`, and the `relevant` of the page and
groups around them), keeping form order wherever the dependencies leave a choice.
Calculations that read each other in a circle have no order: such a form is refused
(formspec.check_form), as ODK refuses it.
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from graphlib import CycleError, TopologicalSorter

ERROR_CYCLE = (
    "calculations read each other in a circle ({cycle}), so none of them can be computed first"
)


class CalculationCycleError(ValueError):
    """Calculations that depend on each other; `cycle` names them, the first repeated last."""

    def __init__(self, cycle: list[str]) -> None:
        self.cycle = cycle
        super().__init__(ERROR_CYCLE.format(cycle=" -> ".join(f"${{{n}}}" for n in cycle)))


def calculation_order(reads: Mapping[str, Set[str]]) -> list[str]:
    """The calculations (keys of `reads`, in form order) sorted so each comes after every
    calculation it reads; `reads` maps a calculation to the item names its expressions
    read (names that are not calculations are ignored). Raises CalculationCycleError."""
    position = {name: index for index, name in enumerate(reads)}
    sorter: TopologicalSorter[str] = TopologicalSorter()
    for name, names in reads.items():
        sorter.add(name, *(other for other in names if other in position))
    try:
        sorter.prepare()
    except CycleError as exc:
        # graphlib names the circle backwards (each item before the one it reads); turn it
        # round and start it at the item the form has first.
        circle = list(exc.args[1])[:-1][::-1]
        start = min(range(len(circle)), key=lambda i: position[circle[i]])
        circle = circle[start:] + circle[:start]
        raise CalculationCycleError([*circle, circle[0]]) from exc
    order: list[str] = []
    ready: list[str] = []
    while sorter.is_active():
        # One at a time, the earliest in the form first, so form order is kept when free.
        ready = sorted([*ready, *sorter.get_ready()], key=position.__getitem__)
        first = ready.pop(0)
        order.append(first)
        sorter.done(first)
    return order
