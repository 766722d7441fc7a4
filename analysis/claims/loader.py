"""Article specs from YAML, with errors that name the file, the line and the field.

The specs ship as package data (``analysis/articles/*.yaml``); a user can point at their own.
YAML is parsed twice: once into plain data for pydantic and once into nodes, so that a
validation error's location (``claims -> 3 -> check -> window``) maps back to a line.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from analysis.claims.model import ArticleSpec
from store.errors import BadInput

__all__ = ["ARTICLES_DIR", "article_ids", "load_article", "load_articles", "spec_path"]

# package data: installed beside the code (pyproject lists analysis/articles/*.yaml)
ARTICLES_DIR = Path(__file__).resolve().parent.parent / "articles"


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
        f"unknown article {article!r}; known: {', '.join(article_ids())}", field="ARTICLE"
    )


def article_ids() -> list[str]:
    """Ids of the packaged articles."""
    return [load_article(p).id for p in _packaged()]


def load_articles(articles: list[str] | None = None) -> list[ArticleSpec]:
    """The packaged specs, or the ones named (ids or paths)."""
    paths = [spec_path(a) for a in articles] if articles else _packaged()
    return [load_article(p) for p in paths]


def _packaged() -> list[Path]:
    folder = ARTICLES_DIR
    return sorted(folder.glob("*.yaml")) if folder.is_dir() else []


def load_article(path: Path | str) -> ArticleSpec:
    """Parse and validate one spec file."""
    path = Path(path)
    if path.is_dir():
        raise BadInput("is a directory, not a spec file", file=str(path))
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise BadInput(f"cannot read: {exc.strerror}", file=str(path)) from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise BadInput(
            f"bad YAML: {problem}", file=str(path), row=mark.line + 1 if mark else None
        ) from None
    if not isinstance(data, dict):
        raise BadInput("a spec is a YAML mapping (id, source_file, claims, ...)", file=str(path))
    try:
        return ArticleSpec.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = [str(p) for p in err["loc"]]
        where = err["loc"]
        if err["type"] in ("union_tag_invalid", "union_tag_not_found"):
            where = (*where, "predicate")  # point at the predicate line, not its parent
        line = _line_of(root, where)
        message = err["msg"]
        if err["type"] == "extra_forbidden":
            message = f"unknown field {loc[-1]!r}"
        raise BadInput(message, file=str(path), row=line, field=".".join(loc)) from None


def _line_of(node: yaml.Node | None, loc: tuple) -> int | None:
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
