"""Generate `src/dapattach/protocol/types.py` from the official DAP JSON schema.

The DAP model is taken from the spec rather than written by hand, so a schema update is a regeneration and
drift is caught by `--check` in CI. Output is deterministic: schema order, then `ruff format`.

Usage: python tools/gen_dap_types.py [--schema PATH] [--output PATH] [--check]
"""

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SCHEMA = ROOT / "tools" / "dap" / "debugAdapterProtocol.json"
DEFAULT_OUTPUT = ROOT / "src" / "dapattach" / "protocol" / "types.py"
ANY_JSON = {"array", "boolean", "integer", "null", "number", "object", "string"}
PRIMITIVES = {"string": "str", "integer": "int", "number": "float", "boolean": "bool", "null": "None"}
OPEN_MARKER = "Additional attributes are implementation specific"
WIRE_NAME = "dap_name"
"""Metadata key holding a field's protocol name where camelCase of the attribute name would not give it."""
ENVELOPES = {"ProtocolMessage", "Request", "Response", "Event"}


def snake_case(name: str) -> str:
    name = name.lstrip("_")
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return name.lower()


def camel_case(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(part.capitalize() for part in rest)


def pascal(name: str) -> str:
    return name[:1].upper() + name[1:]


def docstring(text: str, indent: str) -> list[str]:
    text = text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"').strip()
    lines = [line.rstrip() for line in text.splitlines()]
    if text.endswith('"'):
        lines[-1] += " "
    if len(lines) == 1:
        return [f'{indent}"""{lines[0]}"""']
    body = [f"{indent}{line}" if line else "" for line in lines[1:]]
    return [f'{indent}"""{lines[0]}', *body, f'{indent}"""']


class Generator:
    """Walks the schema once, collecting class definitions in a stable order."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self.definitions: dict[str, Any] = schema["definitions"]
        self.aliases: list[str] = []
        self.classes: list[str] = []
        self.open_types: list[str] = []
        self.requests: dict[str, tuple[str, str]] = {}
        self.events: dict[str, str] = {}

    def ref_name(self, ref: str) -> str:
        return ref.rsplit("/", 1)[1]

    def type_of(self, node: dict[str, Any], owner: str, prop: str) -> str:
        if "$ref" in node:
            return self.ref_name(node["$ref"])
        if "oneOf" in node:
            return "Any"
        kind = node.get("type")
        if isinstance(kind, list):
            if set(kind) == ANY_JSON:
                return "Any"
            return " | ".join(PRIMITIVES[k] for k in kind)
        match kind:
            case "string" if "enum" in node:
                return "Literal[" + ", ".join(json.dumps(v) for v in node["enum"]) + "]"
            case "array":
                return f"list[{self.type_of(node['items'], owner, prop)}]"
            case "object" if "properties" in node:
                name = owner + pascal(prop)
                self.emit_class(name, node)
                return name
            case "object":
                extra = node.get("additionalProperties")
                if isinstance(extra, dict):
                    return f"dict[str, {self.type_of(extra, owner, prop)}]"
                return "dict[str, Any]"
            case None:
                return "Any"
            case _:
                return PRIMITIVES[kind]

    def merged(self, node: dict[str, Any]) -> dict[str, Any]:
        """Flatten `allOf` (used by StackFrameFormat) into one object node."""
        if "allOf" not in node:
            return node
        properties: dict[str, Any] = {}
        required: list[str] = []
        description = ""
        for part in node["allOf"]:
            part = self.merged(self.definitions[self.ref_name(part["$ref"])]) if "$ref" in part else part
            properties.update(part.get("properties", {}))
            required += part.get("required", [])
            description = part.get("description", description)
        return {"type": "object", "properties": properties, "required": required, "description": description}

    def emit_class(self, name: str, node: dict[str, Any]) -> None:
        node = self.merged(node)
        required = set(node.get("required", []))
        is_open = OPEN_MARKER in node.get("description", "")
        lines = ["", "", "@frozen", f"class {name}:"]
        lines += docstring(node.get("description") or f"The `{name}` object.", "    ")
        fields: list[list[str]] = []
        for prop, sub in node.get("properties", {}).items():
            annotation = self.type_of(sub, name, prop)
            attribute = snake_case(prop)
            wire = f"metadata={{{json.dumps(WIRE_NAME)}: {json.dumps(prop)}}}"
            if camel_case(attribute) == prop:
                wire = ""
            if prop not in required:
                annotation = annotation if annotation == "Any" else f"{annotation} | None"
            match prop in required, wire:
                case True, "":
                    fields.append([f"    {attribute}: {annotation}"])
                case True, _:
                    fields.append([f"    {attribute}: {annotation} = attrs.field({wire})"])
                case False, "":
                    fields.append([f"    {attribute}: {annotation} = None"])
                case False, _:
                    fields.append([f"    {attribute}: {annotation} = attrs.field(default=None, {wire})"])
            if sub.get("description"):
                fields[-1] += docstring(sub["description"], "    ")
        if is_open:
            self.open_types.append(name)
            fields.append(
                [
                    "    extra: dict[str, Any] = attrs.field(factory=dict)",
                    '    """Keys the schema does not name, kept as sent (clients add their own)."""',
                ]
            )
        for field in fields:
            lines += ["", *field]
        self.classes.append("\n".join(lines))

    def run(self) -> str:
        for name, node in self.definitions.items():
            if name in ENVELOPES:
                continue
            if node.get("type") == "string":
                values = node.get("enum")
                target = "Literal[" + ", ".join(json.dumps(v) for v in values) + "]" if values else "str"
                self.aliases.append(f"{name} = {target}")
            elif "allOf" in node and name != "StackFrameFormat":
                self.message(name, node["allOf"][1])
            else:
                self.emit_class(name, node)
        self.emit_class("EmptyArguments", {"description": "Arguments of a request the schema gives none."})
        return self.render()

    def message(self, name: str, part: dict[str, Any]) -> None:
        properties = part.get("properties", {})
        if name.endswith("Request"):
            command = properties["command"]["enum"][0]
            arguments = properties.get("arguments")
            self.requests[command] = (self.ref_name(arguments["$ref"]) if arguments else "EmptyArguments", "")
        elif name.endswith("Response"):
            body = properties.get("body")
            body_type = self.type_of(body, name[: -len("Response")] + "Response", "body") if body else "None"
            command = name[0].lower() + name[1 : -len("Response")]
            if command in self.requests:
                self.requests[command] = (self.requests[command][0], body_type)
        elif name.endswith("Event"):
            event = properties["event"]["enum"][0]
            body = properties.get("body")
            self.events[event] = self.type_of(body, name, "body") if body else "None"

    def render(self) -> str:
        head = [
            '"""DAP types generated from debugAdapterProtocol.json: generated, do not edit.',
            "",
            "Regenerate with `python tools/gen_dap_types.py`. Attribute names are snake_case; the converter",
            "in `dapattach.protocol.converter` maps them to the protocol's camelCase names. Each class",
            "becomes a frozen attrs class when first used (`dapattach.protocol.deferred`).",
            '"""',
            "",
            "from typing import Any, Literal",
            "",
            "import attrs",
            "",
            "from dapattach.protocol.deferred import frozen",
            "",
            *self.aliases,
        ]
        requests = [f"    {json.dumps(c)}: ({a}, {b}),\n" for c, (a, b) in self.requests.items()]
        events = [f"    {json.dumps(e)}: {b},\n" for e, b in self.events.items()]
        tail = [
            "",
            "",
            '"""Command -> (arguments class, response body class or None when the response has no body)."""',
            "REQUESTS: dict[str, tuple[type, type | None]] = {\n" + "".join(requests) + "}",
            '"""Event -> body class, or None when the event has no body."""',
            "EVENTS: dict[str, type | None] = {\n" + "".join(events) + "}",
            '"""Classes that keep keys the schema does not name in their `extra` field."""',
            "OPEN_TYPES: frozenset[type] = frozenset({" + ", ".join(self.open_types) + "})",
        ]
        return "\n".join(head) + "\n".join(self.classes) + "\n".join(tail) + "\n"


def ruff_format(source: str, path: Path) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--stdin-filename", str(path), "-"],
        input=source,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"ruff format failed on the generated code:\n{result.stderr}")
    return result.stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schema", type=Path, default=DEFAULT_SCHEMA, help="debugAdapterProtocol.json")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--check", action="store_true", help="exit 1 if the output file is not up to date")
    args = parser.parse_args(argv)
    try:
        schema = json.loads(args.schema.read_text(encoding="utf-8"))
    except OSError as error:
        print(f"gen_dap_types: cannot read the DAP schema {args.schema}: {error.strerror}", file=sys.stderr)
        return 2
    source = ruff_format(Generator(schema).run(), args.output)
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current != source:
            print(f"gen_dap_types: {args.output} is out of date; run tools/gen_dap_types.py", file=sys.stderr)
            return 1
        return 0
    args.output.write_text(source, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
