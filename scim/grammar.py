"""The SCIM filter grammar (RFC 7644 §3.4.2.2), one parser for every place a filter appears:
``filter=`` on lists and ``.search``, and the value filter in a PATCH path
(``emails[type eq "work"].value``). scim2-filter-parser does the parsing; this module bounds
the input and turns every parse failure into ``invalidFilter``.
"""

from __future__ import annotations

from scim2_filter_parser import ast
from scim2_filter_parser.lexer import SCIMLexer
from scim2_filter_parser.parser import SCIMParser

from orgs.text import text_problem
from scim.errors import ScimError

MAX_FILTER_LENGTH = 1000


def invalid_filter(detail: str) -> ScimError:
    return ScimError(400, detail, "invalidFilter")


def parse_filter(text: str) -> ast.Filter:
    if len(text) > MAX_FILTER_LENGTH:
        raise invalid_filter("The filter is too long.")
    if "\x00" in text:
        raise invalid_filter("The filter contains a NUL character.")
    try:
        return SCIMParser().parse(SCIMLexer().tokenize(text))
    except Exception as exc:  # the parser raises bare errors on garbage; all mean "invalid"
        raise invalid_filter(f"The filter {text!r} is not a valid SCIM filter.") from exc


def operand(node: ast.AttrExpr, where: str = "") -> object:
    """A comparison's value, held to ``orgs.text``'s rule like stored values: one that could
    never have been stored cannot match anything and is ``invalidFilter``."""
    value = node.comp_value.value if node.comp_value is not None else None
    problem = text_problem(value) if isinstance(value, str) else None
    if problem is not None:
        place = f"The filter value in {where!r}" if where else "A value in the filter"
        raise invalid_filter(f"{place} {problem}.")
    return value


def equality(text: str, where: str) -> tuple[str, str]:
    """``attribute eq "value"``, the only value filter a PATCH path may carry (on the
    attribute ``where``), as its parts."""
    tree = parse_filter(text)
    node = tree.expr if isinstance(tree, ast.Filter) and not tree.negated else None
    if (
        isinstance(node, ast.AttrExpr) and node.value.lower() == "eq"
        and isinstance(node.attr_path.attr_name, str) and node.attr_path.sub_attr is None
        and not node.attr_path.uri and isinstance(operand(node, where), str)
    ):
        return node.attr_path.attr_name, node.comp_value.value
    raise invalid_filter(
        f"Only 'attribute eq \"value\"' filters are supported in paths, not {text!r}."
    )
