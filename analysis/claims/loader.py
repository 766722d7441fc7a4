"""Article specs from YAML, with errors that name the file, the line, the claim and the field.

The specs ship as package data (``analysis/articles/*.yaml``); a user can point at their own.
YAML is composed into nodes, to find the line of any field and to catch YAML 1.1's traps
before they turn into wrong values (an unquoted ``11:00`` is the number 660, an unquoted key
``on`` is ``True``), and the plain data for pydantic is built from those nodes (from the text
again when the spec uses merge keys, which building rewrites in the tree). A spec larger than
:data:`MAX_SPEC_BYTES` is refused before it is parsed.

A rewrite may take its original's publication (``published: {basis: same_as, same_as: C}``):
:func:`load_articles` fills in the original's date, time, window and candidates.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from yaml.constructor import SafeConstructor

from analysis.claims.model import ArticleSpec
from store.errors import BadInput

__all__ = [
    "ARTICLES_DIR",
    "MAX_SPEC_BYTES",
    "article_ids",
    "check_subjects",
    "load_article",
    "load_articles",
    "spec_path",
]

# package data: installed beside the code (pyproject lists analysis/articles/*.yaml)
ARTICLES_DIR = Path(__file__).resolve().parent.parent / "articles"
# A spec is a page of YAML; anything larger is not a spec (and would cost minutes to parse).
MAX_SPEC_BYTES = 1_000_000
# YAML nesting deeper than this is not a spec either (and would exhaust the parser's stack).
MAX_DEPTH = 40
# how much of an offending value an error line quotes
QUOTE = 200

_SEXAGESIMAL = re.compile(r"^[-+]?\d+(:[0-5]?\d)+$")
_MERGE_TAG = "tag:yaml.org,2002:merge"
_BOOL_WORDS = {"on", "off", "yes", "no", "y", "n", "true", "false"}


def spec_path(article: str) -> Path:
    """The spec of a packaged article by id (``A``) or a path to a YAML file."""
    candidate = Path(article)
    if candidate.suffix in (".yaml", ".yml"):
        if not candidate.is_file():
            raise BadInput("no such spec file", file=str(candidate))
        return candidate
    for path in _packaged():
        if path.stem == article or path.stem.split("_", 1)[0] == article:
            return path
    raise BadInput(
        f"unknown article {article[:QUOTE]!r}; known: {', '.join(article_ids())}",
        field="ARTICLE",
    )


def article_ids() -> list[str]:
    """Ids of the packaged articles."""
    return [path.stem.split("_", 1)[0] for path in _packaged()]


def load_articles(articles: list[str] | None = None) -> list[ArticleSpec]:
    """The packaged specs, or the ones named (ids or paths), with ``same_as`` publications
    filled in from their originals."""
    paths = [spec_path(a) for a in articles] if articles else _packaged()
    specs = [load_article(p) for p in paths]
    return [_with_publication(s, specs, p) for s, p in zip(specs, paths, strict=True)]


def _packaged() -> list[Path]:
    folder = ARTICLES_DIR
    return sorted(folder.glob("*.yaml")) if folder.is_dir() else []


def _with_publication(spec: ArticleSpec, loaded: Iterable[ArticleSpec], path: Path) -> ArticleSpec:
    pub = spec.published
    if pub.basis != "same_as":
        return spec
    original = next((s for s in loaded if s.id == pub.same_as), None)
    if original is None:
        try:
            original = load_article(spec_path(str(pub.same_as)))
        except BadInput:
            raise BadInput(
                f"same_as names {pub.same_as!r}, which is not an article",
                file=str(path),
                field="published.same_as",
            ) from None
    if original.published.basis == "same_as" or original.published.date is None:
        raise BadInput(
            f"same_as {pub.same_as}: the original takes its date from another article",
            file=str(path),
            field="published.same_as",
        )
    filled = pub.model_copy(
        update={
            "date": original.published.date,
            # a rewrite read at another hour says so; otherwise it takes the original's
            "time": pub.time if "time" in pub.model_fields_set else original.published.time,
            "window": original.published.window,
            "candidates": original.published.candidates,
        }
    )
    copied = spec.model_copy(update={"published": filled})
    copied._lines, copied._path = spec._lines, spec._path
    return copied


def load_article(path: Path | str) -> ArticleSpec:
    """Parse and validate one spec file."""
    path = Path(path)
    name = str(path)
    if path.is_dir():
        raise BadInput("is a directory, not a spec file", file=name)
    try:
        if not path.is_file():
            raise BadInput("is not a regular file (a spec is a YAML file)", file=name)
        size = path.stat().st_size
        if size > MAX_SPEC_BYTES:
            raise BadInput(
                f"is {size:,} bytes; a spec is at most {MAX_SPEC_BYTES:,} bytes", file=name
            )
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise BadInput(f"cannot read: {exc.strerror}", file=name) from None
    except UnicodeDecodeError:
        raise BadInput("is not UTF-8 text", file=name) from None
    root = _compose(text, name)
    merges = _check_traps(root, name)
    try:
        # built from the node tree already composed (and checked) above: parsing the text a
        # second time cost as much again. A merge key (<<) is the exception: building merges
        # rewrites the tree in place, which would move the lines errors are reported at
        if merges:
            data = yaml.safe_load(text)
        else:
            data = SafeConstructor().construct_document(root) if root is not None else None
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, name) from None
    except (ValueError, TypeError, OverflowError) as exc:
        # a value YAML recognises but cannot build, e.g. an unquoted date 2025-02-30
        raise BadInput(f"bad value: {_quote(exc)}", file=name) from None
    if not isinstance(data, dict):
        raise BadInput("a spec is a YAML mapping (id, source_file, claims, ...)", file=name)
    try:
        spec = ArticleSpec.model_validate(data)
    except ValidationError as exc:
        raise _validation_error(exc, root, data, name) from None
    spec._lines = _claim_lines(root)
    spec._path = name
    return spec


def _compose(text: str, name: str) -> yaml.Node | None:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, name) from None
    except RecursionError:
        raise BadInput(f"nested too deep (more than {MAX_DEPTH} levels)", file=name) from None
    if root is not None and _depth(root) > MAX_DEPTH:
        raise BadInput(f"nested too deep (more than {MAX_DEPTH} levels)", file=name)
    return root


def _depth(node: yaml.Node) -> int:
    deepest, stack = 0, [(node, 1)]
    while stack:
        current, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth > MAX_DEPTH:
            return depth
        if isinstance(current, yaml.MappingNode):
            stack += [(v, depth + 1) for _, v in current.value]
        elif isinstance(current, yaml.SequenceNode):
            stack += [(v, depth + 1) for v in current.value]
    return deepest


def _check_traps(root: yaml.Node | None, name: str) -> bool:
    """YAML 1.1 reads some unquoted text as something else; refuse it with a hint. Returns
    whether the tree holds a merge key (``<<``)."""
    merges = False
    stack = [root] if root is not None else []
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                merges = merges or key.tag == _MERGE_TAG
                if (
                    isinstance(key, yaml.ScalarNode)
                    and not key.style
                    and key.value.lower() in _BOOL_WORDS
                ):
                    raise BadInput(
                        f"YAML reads the unquoted key {key.value!r} as a true/false value; "
                        f'quote it: "{key.value}"',
                        file=name,
                        row=key.start_mark.line + 1,
                        field=key.value,
                    )
                stack.append(value)
        elif isinstance(node, yaml.SequenceNode):
            stack += node.value
        elif (
            isinstance(node, yaml.ScalarNode) and not node.style and _SEXAGESIMAL.match(node.value)
        ):
            raise BadInput(
                f"YAML 1.1 reads the unquoted {node.value} as a number in base 60; quote it: "
                f'"{node.value}"',
                file=name,
                row=node.start_mark.line + 1,
            )
    return merges


def _yaml_error(exc: yaml.YAMLError, name: str) -> BadInput:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    return BadInput(f"bad YAML: {_quote(problem)}", file=name, row=mark.line + 1 if mark else None)


def _quote(value: object) -> str:
    text = str(value)
    return text if len(text) <= QUOTE else text[:QUOTE] + "..."


def _validation_error(
    exc: ValidationError, root: yaml.Node | None, data: dict[str, Any], name: str
) -> BadInput:
    err = exc.errors()[0]
    loc = tuple(err["loc"])
    where = loc
    if err["type"] in ("union_tag_invalid", "union_tag_not_found"):
        where = (*where, "predicate")  # point at the predicate line, not its parent
    line = _line_of(root, where)
    message = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        message = f"unknown field {str(loc[-1])!r}"
    # a discriminated union adds the predicate's name to the path: drop it for the reader
    shown = [str(p) for p in loc if not (isinstance(p, str) and p in _TAGS)]
    claim = _claim_id(data, loc)
    if claim:
        message = f"claim {claim}: {message}"
    return BadInput(_quote(message), file=name, row=line, field=".".join(shown))


_TAGS = {
    "as_published",
    "forecast",
    "call",
    "not_checkable",
}


def _claim_id(data: dict[str, Any], loc: tuple[Any, ...]) -> str | None:
    if len(loc) >= 2 and loc[0] == "claims" and isinstance(loc[1], int):
        claims = data.get("claims")
        if isinstance(claims, list) and loc[1] < len(claims) and isinstance(claims[loc[1]], dict):
            value = claims[loc[1]].get("id")
            return str(value) if value is not None else f"#{loc[1] + 1}"
    return None


def _claim_lines(root: yaml.Node | None) -> dict[str, int]:
    """The line of each claim's check (or of the claim), by claim id."""
    out: dict[str, int] = {}
    if not isinstance(root, yaml.MappingNode):
        return out
    claims = next((v for k, v in root.value if k.value == "claims"), None)
    if not isinstance(claims, yaml.SequenceNode):
        return out
    for node in claims.value:
        if not isinstance(node, yaml.MappingNode):
            continue
        fields = {k.value: (k, v) for k, v in node.value}
        if "id" in fields:
            at = fields.get("check", fields["id"])[0]
            out[str(fields["id"][1].value)] = at.start_mark.line + 1
    return out


def _line_of(node: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """The 1-based line of the deepest node along a pydantic error location."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = next((v for k, v in node.value if k.value == str(part)), None)
            key = next((k for k, _ in node.value if k.value == str(part)), None)
            if match is None:
                continue  # a discriminator tag or a missing field: stay on this node
            line = (key or match).start_mark.line + 1
            node = match
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                break
            node = node.value[part]
            line = node.start_mark.line + 1
    return line


def check_subjects(specs: Iterable[ArticleSpec], known: Iterable[str]) -> None:
    """Refuse a claim about a series neither the catalog nor the store knows, naming the
    file, line, claim and field, and suggesting the names it may have meant (``RUT`` ->
    ``^RUT``)."""
    names = set(known)
    for spec in specs:
        for claim in spec.claims:
            if claim.check is None:
                continue
            for subject in claim.check.subjects():
                if subject in names or _family(subject) in names:
                    continue
                near = difflib.get_close_matches(subject, sorted(names), n=3, cutoff=0.5)
                near += [n for n in (f"^{subject}",) if n in names and n not in near]
                hint = f"; did you mean {', '.join(near)}?" if near else ""
                raise BadInput(
                    f"claim {claim.id}: unknown series {subject[:QUOTE]!r}{hint}",
                    file=spec._path,
                    row=spec._lines.get(claim.id),
                    field=f"{claim.id}.check",
                )


def _family(name: str) -> str:
    return name.split(":", 1)[0] if not name.startswith("FRED:") else name
