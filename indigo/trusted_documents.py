"""The front-ends' operations as they send them, and the manifest of trusted documents.

Each operation of `docs/clients/*.graphql` goes out on its own: the operation and the
fragments it spreads, printed by graphql-core. The manifest lists each of those documents by
its sha256 in Apollo's persisted-query manifest format, so Apollo's tooling reads it too.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from graphql import (
    FragmentDefinitionNode,
    FragmentSpreadNode,
    Node,
    OperationDefinitionNode,
    Visitor,
    parse,
    print_ast,
    visit,
)

MANIFEST_FORMAT = "apollo-persisted-query-manifest"


def sha256_of(document: str) -> str:
    return hashlib.sha256(document.encode("utf-8")).hexdigest()


def client_documents(folder: Path) -> dict[str, str]:
    """Each operation of the `.graphql` files in `folder` by name, as a client sends it: the
    operation and the fragments it spreads, so each stands on its own."""
    documents: dict[str, str] = {}
    for path in sorted(folder.glob("*.graphql")):
        definitions = parse(path.read_text()).definitions
        fragments = {d.name.value: d for d in definitions if isinstance(d, FragmentDefinitionNode)}
        for definition in definitions:
            if isinstance(definition, OperationDefinitionNode) and definition.name:
                used = [fragments[name] for name in sorted(_spreads(definition, fragments))]
                documents[definition.name.value] = "\n\n".join(
                    print_ast(node) for node in [definition, *used]
                )
    return documents


def _spreads(node: Node, fragments: dict[str, FragmentDefinitionNode]) -> set[str]:
    """The names of the fragments a node spreads, directly or through other fragments."""
    names: set[str] = set()

    class Spreads(Visitor):
        def enter_fragment_spread(self, spread: FragmentSpreadNode, *_: object) -> None:
            name = spread.name.value
            if name not in names:
                names.add(name)
                names.update(_spreads(fragments[name], fragments))

    visit(node, Spreads())
    return names


def manifest(folder: Path) -> dict[str, Any]:
    operations = []
    for name, document in client_documents(folder).items():
        operation = parse(document).definitions[0]
        assert isinstance(operation, OperationDefinitionNode)
        operations.append(
            {
                "id": sha256_of(document),
                "name": name,
                "type": operation.operation.value,
                "body": document,
            }
        )
    return {"format": MANIFEST_FORMAT, "version": 1, "operations": operations}


def load_manifest(path: Path) -> dict[str, str]:
    """The trusted documents of a manifest, by sha256. ValueError names what is wrong; a body
    whose hash is not its id is refused, so a hand-edited manifest cannot trust a document
    under another's name."""
    try:
        content = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"cannot read {path}: {error}") from None
    if not isinstance(content, dict) or content.get("format") != MANIFEST_FORMAT:
        raise ValueError(f"{path} is not an {MANIFEST_FORMAT} (see `indigo manifest`)")
    trusted = {}
    for operation in content.get("operations") or []:
        body = operation.get("body") if isinstance(operation, dict) else None
        if not isinstance(body, str) or sha256_of(body) != operation.get("id"):
            raise ValueError(f"{path}: an operation's id is not the sha256 of its body")
        trusted[operation["id"]] = body
    return trusted
