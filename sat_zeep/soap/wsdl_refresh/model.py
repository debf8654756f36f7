"""A WSDL's meaning as flat data: ``path -> description``, independent of layout and prefixes.

Only what the operations reach is described: operations, SOAPActions, body and header parts,
then every element, attribute and type they use (type, optionality, enumerations, facets). The
xmldsig namespace is opaque (sat_zeep ships a trimmed stand-in on purpose), and deployment details
(``soap:address``, WS-Policy, message and binding names, comments) are left out.

Paths read ``operation:Descargar/output/header:respuesta``, ``element:SolicitaDescargaFolio``,
``type:SolicitudDescargaMasivaTerceroRecibidos/RfcReceptor`` (an attribute or an element: the value
says which, so an attribute turned into an element shows as one change) or
``type:TipoDescargaMasivaTerceros/enumeration:CFDI``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from ...signing.namespaces import DSIG
from .errors import WsdlParseError
from .xml import PREFIXES, SOAP, SOAP12, WSDL, XS, qname

QName = tuple[str, str]


@dataclass
class Contract:
    """The normalised description of one WSDL."""

    entries: dict[str, str] = field(default_factory=dict)
    #: For each path, the ``Operation:input|output|`` uses that reach it.
    owners: dict[str, set[str]] = field(default_factory=dict)

    @property
    def operations(self) -> list[str]:
        """Operation names, sorted."""
        return sorted(path[10:] for path in self.entries if _is_operation(path))


def _is_operation(path: str) -> bool:
    return path.startswith("operation:") and "/" not in path


def describe(root: etree._Element, source: str = "the WSDL") -> Contract:
    """The ``Contract`` of a ``wsdl:definitions`` element (imports already inlined)."""
    if root.tag != f"{{{WSDL}}}definitions":
        raise WsdlParseError(f"{source} is not a WSDL 1.1 document (root element {root.tag})")
    return _Walker(root).run()


class _Walker:
    def __init__(self, root: etree._Element) -> None:
        self.root = root
        self.tns = root.get("targetNamespace", "")
        self.contract = Contract()
        self.index: dict[tuple[str, QName], etree._Element] = {}
        for schema in root.iter(f"{{{XS}}}schema"):
            namespace = schema.get("targetNamespace", "")
            for child in schema:
                if isinstance(child.tag, str) and child.get("name"):
                    kind = etree.QName(child).localname
                    self.index[(kind, (namespace, child.get("name", "")))] = child
        self.owner = ""
        self.visited: set[str] = set()

    # -- plumbing --------------------------------------------------------------------------

    def put(self, path: str, value: str) -> None:
        self.contract.entries[path] = value
        self.contract.owners.setdefault(path, set()).add(self.owner)

    def name(self, key: QName) -> str:
        namespace, local = key
        if namespace == self.tns:
            return f"tns:{local}"
        prefix = PREFIXES.get(namespace)
        return f"{prefix}:{local}" if prefix else f"{{{namespace}}}{local}"

    def find(self, kind: str, key: QName, where: str) -> etree._Element:
        found = self.index.get((kind, key))
        if found is None:
            raise WsdlParseError(
                f"{where} refers to {kind} {self.name(key)}, which no schema in the WSDL declares"
            )
        return found

    # -- operations ------------------------------------------------------------------------

    def run(self) -> Contract:
        self.owner = ""
        self.put("definitions/targetNamespace", self.tns)
        messages = {m.get("name", ""): m for m in self.root.findall(f"{{{WSDL}}}message")}
        bindings = {
            op.get("name", ""): op
            for binding in self.root.findall(f"{{{WSDL}}}binding")
            for op in binding.findall(f"{{{WSDL}}}operation")
        }
        for port_type in self.root.findall(f"{{{WSDL}}}portType"):
            for operation in port_type.findall(f"{{{WSDL}}}operation"):
                self.operation(operation, bindings.get(operation.get("name", "")), messages)
        return self.contract

    def operation(
        self,
        operation: etree._Element,
        bound: etree._Element | None,
        messages: dict[str, etree._Element],
    ) -> None:
        name = operation.get("name", "")
        self.owner = f"{name}:"
        self.visited = set()
        path = f"operation:{name}"
        self.put(path, "operation")
        action = None
        if bound is not None:
            for soap in (SOAP, SOAP12):
                found = bound.find(f"{{{soap}}}operation")
                if found is not None:
                    action = found.get("soapAction", "")
        self.put(f"{path}/soapAction", action if action is not None else "(not bound)")
        for direction in ("input", "output", "fault"):
            for use in operation.findall(f"{{{WSDL}}}{direction}"):
                self.owner = f"{name}:{'input' if direction == 'input' else 'output'}"
                self.visited = set()
                section = bound.find(f"{{{WSDL}}}{direction}") if bound is not None else None
                self.message(f"{path}/{direction}", use, section, messages)

    def message(
        self,
        path: str,
        use: etree._Element,
        section: etree._Element | None,
        messages: dict[str, etree._Element],
    ) -> None:
        if path.endswith("/fault"):
            path = f"{path}:{use.get('name', '')}"
        parts = self.parts(use, messages, path)
        header_parts: set[str] = set()
        body_parts: set[str] | None = None
        if section is not None:
            for soap in (SOAP, SOAP12):
                for header in section.findall(f"{{{soap}}}header"):
                    _, message_name = qname(header, header.get("message", ""))
                    part = header.get("part", "")
                    header_parts.add(part)
                    element = self.parts_of(messages, message_name, path).get(part)
                    self.put(f"{path}/header:{part}", self.part_value(element))
                    if element is not None and element[0] == "element":
                        self.global_element(element[1], path)
                body = section.find(f"{{{soap}}}body")
                if body is not None and body.get("parts") is not None:
                    body_parts = set(body.get("parts", "").split())
        in_body = [
            part
            for part in sorted(parts)
            if part not in header_parts and (body_parts is None or part in body_parts)
        ]
        self.put(f"{path}/body", ", ".join(f"{p}={self.part_value(parts[p])}" for p in in_body))
        for part in in_body:
            kind, key = parts[part]
            if kind == "element":
                self.global_element(key, path)
            else:
                self.type_ref(key, path)

    def parts(
        self, use: etree._Element, messages: dict[str, etree._Element], where: str
    ) -> dict[str, tuple[str, QName]]:
        _, message_name = qname(use, use.get("message", ""))
        return self.parts_of(messages, message_name, where)

    def parts_of(
        self, messages: dict[str, etree._Element], message_name: str, where: str
    ) -> dict[str, tuple[str, QName]]:
        message = messages.get(message_name)
        if message is None:
            raise WsdlParseError(f"{where} uses message {message_name!r}, which is not declared")
        found: dict[str, tuple[str, QName]] = {}
        for part in message.findall(f"{{{WSDL}}}part"):
            if part.get("element"):
                found[part.get("name", "")] = ("element", qname(part, part.get("element", "")))
            else:
                found[part.get("name", "")] = ("type", qname(part, part.get("type", "")))
        return found

    def part_value(self, part: tuple[str, QName] | None) -> str:
        if part is None:
            return "(missing part)"
        return f"{part[0]} {self.name(part[1])}"

    # -- schema ----------------------------------------------------------------------------

    def global_element(self, key: QName, where: str) -> None:
        if key[0] == DSIG:
            return
        path = f"element:{key[1]}" if key[0] == self.tns else f"element:{self.name(key)}"
        node = self.find("element", key, where)
        if path in self.visited:
            self.put(path, self.contract.entries.get(path, ""))
            return
        self.visited.add(path)
        self.put(path, self.element_value(node, occurs=False))
        self.element_content(node, path)

    def element_value(self, node: etree._Element, *, occurs: bool = True) -> str:
        words = ["element"]
        if node.get("ref"):
            words.append(f"ref={self.name(qname(node, node.get('ref', '')))}")
        elif node.get("type"):
            words.append(f"type={self.name(qname(node, node.get('type', '')))}")
        else:
            words.append(self.anonymous(node))
        if occurs:
            words.append(f"occurs={node.get('minOccurs', '1')}..{node.get('maxOccurs', '1')}")
        for flag in ("nillable", "default", "fixed", "form"):
            if node.get(flag) is not None:
                words.append(f"{flag}={node.get(flag)}")
        return " ".join(words)

    def anonymous(self, node: etree._Element) -> str:
        if node.find(f"{{{XS}}}complexType") is not None:
            return "anonymous complexType"
        if node.find(f"{{{XS}}}simpleType") is not None:
            return "anonymous simpleType"
        return "type=xs:anyType"

    def element_content(self, node: etree._Element, path: str) -> None:
        if node.get("ref"):
            self.global_element(qname(node, node.get("ref", "")), path)
        elif node.get("type"):
            self.type_ref(qname(node, node.get("type", "")), path)
        else:
            for inline in node:
                if inline.tag == f"{{{XS}}}complexType":
                    self.complex_type(inline, path)
                elif inline.tag == f"{{{XS}}}simpleType":
                    self.simple_type(inline, path)

    def type_ref(self, key: QName, where: str) -> None:
        if key[0] in (XS, DSIG):
            return
        path = f"type:{key[1]}" if key[0] == self.tns else f"type:{self.name(key)}"
        if path in self.visited:
            for known in [
                p for p in self.contract.entries if p == path or p.startswith(path + "/")
            ]:
                self.contract.owners[known].add(self.owner)
            return
        self.visited.add(path)
        node = self.index.get(("complexType", key))
        if node is None:
            node = self.find("simpleType", key, where)
        if node.tag == f"{{{XS}}}complexType":
            self.put(path, "complexType" + (" mixed" if node.get("mixed") == "true" else ""))
            self.complex_type(node, path)
        else:
            self.put(path, "simpleType")
            self.simple_type(node, path)

    def complex_type(self, node: etree._Element, path: str, context: str = "") -> None:
        for child in node:
            if not isinstance(child.tag, str):
                continue
            kind = etree.QName(child).localname
            if kind in ("sequence", "choice", "all"):
                self.particles(child, path, " in choice" if kind == "choice" else context)
            elif kind in ("attribute", "attributeGroup", "anyAttribute"):
                self.attribute(child, path)
            elif kind in ("complexContent", "simpleContent"):
                for derivation in child:
                    if not isinstance(derivation.tag, str):
                        continue
                    base = qname(derivation, derivation.get("base", ""))
                    how = etree.QName(derivation).localname
                    self.put(f"{path}/base", f"{kind} {how} of {self.name(base)}")
                    self.type_ref(base, path)
                    self.complex_type(derivation, path)
            elif kind == "group":
                group = self.find("group", qname(child, child.get("ref", "")), path)
                self.complex_type(group, path, context)

    def particles(self, node: etree._Element, path: str, context: str) -> None:
        for child in node:
            if not isinstance(child.tag, str):
                continue
            kind = etree.QName(child).localname
            if kind == "element":
                ref = child.get("ref")
                if ref:
                    key = qname(child, ref)
                    label = key[1] if key[0] == self.tns else self.name(key)
                else:
                    label = child.get("name", "")
                member = f"{path}/{label}"
                self.put(member, self.element_value(child) + context)
                self.element_content(child, member)
            elif kind in ("sequence", "choice", "all"):
                self.particles(child, path, " in choice" if kind == "choice" else context)
            elif kind == "any":
                occurs = f"occurs={child.get('minOccurs', '1')}..{child.get('maxOccurs', '1')}"
                self.put(
                    f"{path}/any",
                    f"any namespace={child.get('namespace', '##any')} "
                    f"processContents={child.get('processContents', 'strict')} {occurs}{context}",
                )
            elif kind == "group":
                group = self.find("group", qname(child, child.get("ref", "")), path)
                self.complex_type(group, path, context)

    def attribute(self, node: etree._Element, path: str) -> None:
        kind = etree.QName(node).localname
        if kind == "anyAttribute":
            self.put(f"{path}/@any", f"anyAttribute namespace={node.get('namespace', '##any')}")
            return
        if kind == "attributeGroup":
            group = self.find("attributeGroup", qname(node, node.get("ref", "")), path)
            for child in group:
                if isinstance(child.tag, str):
                    self.attribute(child, path)
            return
        if node.get("ref"):
            key = qname(node, node.get("ref", ""))
            label, words = self.name(key), [f"attribute ref={self.name(key)}"]
        else:
            label, words = node.get("name", ""), ["attribute"]
            if node.get("type"):
                words.append(f"type={self.name(qname(node, node.get('type', '')))}")
            elif node.find(f"{{{XS}}}simpleType") is not None:
                words.append("anonymous simpleType")
            else:
                words.append("type=xs:anySimpleType")
        words.append("required" if node.get("use") == "required" else node.get("use", "optional"))
        for flag in ("default", "fixed", "form"):
            if node.get(flag) is not None:
                words.append(f"{flag}={node.get(flag)}")
        member = f"{path}/{label}"
        self.put(member, " ".join(words))
        if node.get("type"):
            self.type_ref(qname(node, node.get("type", "")), member)
        inline = node.find(f"{{{XS}}}simpleType")
        if inline is not None:
            self.simple_type(inline, member)

    def simple_type(self, node: etree._Element, path: str) -> None:
        for child in node:
            if not isinstance(child.tag, str):
                continue
            kind = etree.QName(child).localname
            if kind == "restriction":
                base = qname(child, child.get("base", "")) if child.get("base") else (XS, "?")
                self.put(f"{path}/base", f"restriction of {self.name(base)}")
                self.type_ref(base, path)
                for facet in child:
                    if not isinstance(facet.tag, str):
                        continue
                    facet_kind = etree.QName(facet).localname
                    if facet_kind == "enumeration":
                        self.put(f"{path}/enumeration:{facet.get('value', '')}", "enumeration")
                    elif facet_kind == "simpleType":
                        self.simple_type(facet, path)
                    elif facet_kind != "annotation":
                        self.put(f"{path}/facet:{facet_kind}", facet.get("value", ""))
            elif kind == "list":
                item = child.get("itemType", "")
                self.put(
                    f"{path}/base", f"list of {self.name(qname(child, item)) if item else '?'}"
                )
            elif kind == "union":
                members = " ".join(
                    self.name(qname(child, m)) for m in child.get("memberTypes", "").split()
                )
                self.put(f"{path}/base", f"union of {members}")
