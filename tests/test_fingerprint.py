"""Parsing Canonical Form and fingerprints (SPEC.md §I, §J) against the Apache vectors,
the Java-computed fingerprints.json and fastavro."""

from __future__ import annotations

import copy
import hashlib
import json
import struct
from pathlib import Path
from typing import Any

import fastavro.schema
import pytest
from hypothesis import given, settings

import turboavro
from strategies import schemas
from turboavro.errors import SchemaError
from turboavro.schema import (
    Schema,
    canonical_fingerprint,
    crc64_avro,
    normalize_fingerprint_algorithm,
)

DATA = Path(__file__).parent / "data"


def _schema_tests() -> list[tuple[str, str, str | None, int | None]]:
    """Cases of share/test/data/schema-tests.txt: (id, input, canonical, signed fingerprint).

    A tag is ``<<TAG value`` on one line or ``<<TAG`` followed by lines up to a line ``TAG``.
    """
    text = (DATA / "apache-avro/share-test/data/schema-tests.txt").read_text("utf-8")
    cases: list[tuple[str, str, str | None, int | None]] = []
    cur: dict[str, str] = {}
    case_id = ""
    lines = iter(text.splitlines())

    def flush() -> None:
        if cur:
            fp = cur.get("fingerprint")
            cases.append((case_id, cur["INPUT"], cur.get("canonical"), int(fp) if fp else None))
            cur.clear()

    for line in lines:
        if line.startswith("// ") and line[3:].strip().isdigit():
            flush()
            case_id = line[3:].strip()
        elif line.startswith("<<"):
            tag, _, rest = line[2:].partition(" ")
            if rest.strip():
                cur[tag] = rest
            else:
                body = []
                for more in lines:
                    if more == tag:
                        break
                    body.append(more)
                cur[tag] = "\n".join(body)
    flush()
    return cases


SCHEMA_TESTS = _schema_tests()
VECTORS = json.loads((DATA / "fingerprints.json").read_text("utf-8"))["vectors"]


def test_vector_counts() -> None:
    assert len(SCHEMA_TESTS) == 34  # SPEC.md item 90
    assert len(VECTORS) == 67


@pytest.mark.parametrize(
    "source, text, canonical, fp", SCHEMA_TESTS, ids=[f"case{c[0]}" for c in SCHEMA_TESTS]
)
def test_schema_tests_txt(source: str, text: str, canonical: str | None, fp: int | None) -> None:
    s = Schema.parse(text)
    assert canonical is not None
    assert s.canonical_form == canonical
    signed = struct.unpack("<q", s.fingerprint("CRC-64-AVRO"))[0]
    if fp is not None:
        assert signed == fp
    # the canonical form is itself a schema with the same canonical form
    assert Schema.parse(canonical).canonical_form == canonical


@pytest.mark.parametrize("v", VECTORS, ids=[v["source"].rsplit("/", 1)[-1] for v in VECTORS])
def test_fingerprint_vectors(v: dict) -> None:
    s = Schema.parse(v["input"])
    assert s.canonical_form == v["canonical"]
    crc = s.fingerprint("CRC-64-AVRO")
    assert crc.hex() == v["crc64_avro_le_hex"]
    assert struct.unpack("<q", crc)[0] == v["crc64_avro_signed"]
    assert s.fingerprint("MD5").hex() == v["md5_hex"]
    assert s.fingerprint("SHA-256").hex() == v["sha256_hex"]
    # fastavro agrees on every vector's fingerprint of our canonical form
    assert fastavro.schema.fingerprint(s.canonical_form, "CRC-64-AVRO") == v["crc64_avro_le_hex"]


def test_crc64_known_values() -> None:
    # SPEC.md item 91: Java's signed long for "null", little-endian bytes for "int"
    assert (
        struct.unpack("<q", crc64_avro(b'"null"').to_bytes(8, "little"))[0] == 7195948357588979594
    )
    assert crc64_avro('"int"').to_bytes(8, "little").hex() == "8f5c393f1ad57572"
    # the empty input is the initial value EMPTY
    assert crc64_avro(b"") == 0xC15D213AA4D7A795


def test_crc64_buffer_types() -> None:
    data = '{"type":"fixed","name":"ü","size":1}'.encode()
    expected = crc64_avro(data)
    assert crc64_avro(bytearray(data)) == expected
    assert crc64_avro(memoryview(data)) == expected
    assert crc64_avro(data.decode("utf-8")) == expected  # str is hashed as UTF-8
    # non-contiguous views and non-byte formats are copied, not rejected
    doubled = bytes(b for c in data for b in (c, 0))
    assert crc64_avro(memoryview(doubled)[::2]) == expected
    import array

    arr = array.array("I", [1, 2, 3])
    assert crc64_avro(arr) == crc64_avro(arr.tobytes())
    with pytest.raises(TypeError, match="crc64_avro"):
        crc64_avro(12345)  # type: ignore[arg-type]


def test_crc64_matches_reference_algorithm() -> None:
    # bit-by-bit reference of SPEC.md item 91, over lengths exercising every tail size
    empty = 0xC15D213AA4D7A795
    table = []
    for i in range(256):
        fp = i
        for _ in range(8):
            fp = (fp >> 1) ^ (empty & -(fp & 1))
        table.append(fp)

    def ref(data: bytes) -> int:
        fp = empty
        for b in data:
            fp = (fp >> 8) ^ table[(fp ^ b) & 0xFF]
        return fp

    blob = bytes(range(256)) * 3
    for n in list(range(0, 40)) + [255, 500, 767]:
        assert crc64_avro(blob[:n]) == ref(blob[:n]), n


def test_public_reexport() -> None:
    assert turboavro.crc64_avro is crc64_avro
    assert turboavro.Schema is Schema


@pytest.mark.parametrize(
    "alias, canonical",
    [
        ("CRC-64-AVRO", "CRC-64-AVRO"),
        ("crc64", "CRC-64-AVRO"),
        ("crc-64-avro", "CRC-64-AVRO"),
        ("CRC64_AVRO", "CRC-64-AVRO"),
        ("rabin", "CRC-64-AVRO"),
        ("md5", "MD5"),
        ("MD5", "MD5"),
        ("sha256", "SHA-256"),
        ("SHA-256", "SHA-256"),
        ("sha_256", "SHA-256"),
    ],
)
def test_algorithm_aliases(alias: str, canonical: str) -> None:
    assert normalize_fingerprint_algorithm(alias) == canonical
    s = Schema.parse('{"type":"array","items":"long"}')
    assert s.fingerprint(alias) == s.fingerprint(canonical)


def test_unknown_algorithm() -> None:
    with pytest.raises(ValueError, match="unknown fingerprint algorithm 'sha1'"):
        Schema.parse("int").fingerprint("sha1")


def test_fingerprint_lengths_and_hashlib() -> None:
    s = Schema.parse({"type": "map", "values": ["null", "string"]})
    pcf = s.canonical_form.encode()
    assert s.canonical_form == '{"type":"map","values":["null","string"]}'
    assert len(s.fingerprint()) == 8
    assert s.fingerprint("MD5") == hashlib.md5(pcf).digest()
    assert s.fingerprint("SHA-256") == hashlib.sha256(pcf).digest()
    assert canonical_fingerprint(s.canonical_form, "md5") == hashlib.md5(pcf).digest()
    assert canonical_fingerprint(pcf) == crc64_avro(pcf).to_bytes(8, "little")


def test_fingerprints_cached() -> None:
    s = Schema.parse({"type": "record", "name": "R", "fields": [{"name": "a", "type": "int"}]})
    assert s.canonical_form is s.canonical_form
    assert s.fingerprint() is s.fingerprint()
    assert s.fingerprint("md5") is s.fingerprint("MD5")


# -- canonical form details (items 82-89) -----------------------------------------------------


@pytest.mark.parametrize(
    "schema, canonical",
    [
        # [PRIMITIVES] with logical type and props dropped (items 80, 82, 85)
        ({"type": "int", "logicalType": "date", "x": 1}, '"int"'),
        (
            {"type": "bytes", "logicalType": "decimal", "precision": 4, "scale": 2},
            '"bytes"',
        ),
        # [FULLNAMES] + [STRIP] + [ORDER]
        (
            {
                "namespace": "a.b",
                "doc": "d",
                "aliases": ["x"],
                "symbols": ["A", "B"],
                "name": "E",
                "type": "enum",
                "default": "A",
            },
            '{"name":"a.b.E","type":"enum","symbols":["A","B"]}',
        ),
        (
            {"size": 16, "type": "fixed", "name": "md5", "namespace": "n", "logicalType": "uuid"},
            '{"name":"n.md5","type":"fixed","size":16}',
        ),
        # error is written as a record, like Java's SchemaNormalization (and fastavro)
        (
            {"type": "error", "name": "Oops", "fields": []},
            '{"name":"Oops","type":"record","fields":[]}',
        ),
        # item 84: second occurrence of a named type is its fullname, also across namespaces
        (
            {
                "type": "record",
                "name": "x.R",
                "fields": [
                    {"name": "a", "type": {"type": "fixed", "name": "F", "size": 2}},
                    {"name": "b", "type": {"type": "array", "items": "F"}},
                    {"name": "c", "type": ["null", "R"]},
                ],
            },
            '{"name":"x.R","type":"record","fields":[{"name":"a","type":{"name":"x.F","type":"fixed","size":2}},'
            '{"name":"b","type":{"type":"array","items":"x.F"}},{"name":"c","type":["null","x.R"]}]}',
        ),
        # [INTEGERS]: size written without leading zeros even if the JSON has an exponent-free int
        ({"type": "fixed", "name": "F", "size": 0}, '{"name":"F","type":"fixed","size":0}'),
    ],
)
def test_canonical_form_details(schema: object, canonical: str) -> None:
    s = Schema.parse(schema)
    assert s.canonical_form == canonical
    assert fastavro.schema.to_parsing_canonical_form(schema) == canonical


def test_canonical_strings_unescaped() -> None:
    # [STRINGS] item 87: \\u escapes in the input become plain characters; names are ASCII
    # identifiers, so only escaped ASCII can occur in the canonical form
    s = Schema.parse('{"type":"enum","name":"\\u0045","symbols":["\\u0041"]}')
    assert s.canonical_form == '{"name":"E","type":"enum","symbols":["A"]}'


def test_canonical_whitespace() -> None:
    # [WHITESPACE] item 89
    s = Schema.parse(
        '{ "type" : "record" , "name" : "R" ,\n "fields" : [ { "name" : "a" , "type" : "int" } ] }'
    )
    assert s.canonical_form == '{"name":"R","type":"record","fields":[{"name":"a","type":"int"}]}'


def test_subschema_canonical_form_is_standalone() -> None:
    s = Schema.parse(
        {
            "type": "record",
            "name": "R",
            "fields": [
                {"name": "a", "type": {"type": "enum", "name": "E", "symbols": ["X"]}},
                {
                    "name": "b",
                    "type": {
                        "type": "record",
                        "name": "Inner",
                        "fields": [{"name": "e", "type": "E"}],
                    },
                },
            ],
        }
    )
    inner = s.fields[1].type
    # within the parent E is already defined, but on its own Inner must define it
    assert inner.canonical_form == (
        '{"name":"Inner","type":"record","fields":[{"name":"e","type":'
        '{"name":"E","type":"enum","symbols":["X"]}}]}'
    )


HAND_PICKED = [
    "tests/data/apache-avro/lang-c-tests/schema_tests/pass/interop.avsc",
    "tests/data/apache-avro/lang-c-tests/schema_tests/pass/namespace_recursive",
    "tests/data/apache-avro/lang-c-tests/schema_tests/pass/namespace_enum",
    "tests/data/apache-avro/lang-c-tests/schema_tests/pass/namespace_null_record",
    "tests/data/apache-avro/share-test/schemas/weather.avsc",
]


@pytest.mark.parametrize("path", HAND_PICKED, ids=[p.rsplit("/", 1)[-1] for p in HAND_PICKED])
def test_fastavro_agreement(path: str) -> None:
    text = (Path(__file__).parent.parent / path).read_text("utf-8")
    s = Schema.parse(text)
    pcf = fastavro.schema.to_parsing_canonical_form(json.loads(text))
    assert s.canonical_form == pcf
    for algo in ("CRC-64-AVRO", "MD5", "SHA-256"):
        assert s.fingerprint(algo).hex() == fastavro.schema.fingerprint(pcf, algo)


# -- property: agreement with fastavro on random schemas --------------------------------------


@settings(max_examples=200)
@given(schemas(top_level="any"))
def test_random_schemas_agree_with_fastavro(schema_json: Any) -> None:
    s = Schema.parse(schema_json)
    pcf = fastavro.schema.to_parsing_canonical_form(copy.deepcopy(schema_json))
    assert s.canonical_form == pcf
    for algo in ("CRC-64-AVRO", "MD5", "SHA-256"):
        assert s.fingerprint(algo).hex() == fastavro.schema.fingerprint(pcf, algo)
    # the canonical form parses to itself (no null namespace nested in a namespace here, or
    # the canonical form would move it: see test_canonical_form_loses_null_namespace)
    if '"namespace": ""' not in json.dumps(schema_json):
        assert Schema.parse(pcf).canonical_form == pcf


def test_canonical_form_loses_null_namespace() -> None:
    # A null-namespace type nested in a namespaced record: [FULLNAMES] drops "namespace", so the
    # canonical form, read back, puts Z into namespace x (Java and fastavro behave the same).
    # Fingerprints are still computed from this exact text, as every implementation does.
    text = (DATA / "apache-avro/lang-c-tests/schema_tests/pass/namespace_null_enum").read_text()
    s = Schema.parse(text)
    assert s.canonical_form == fastavro.schema.to_parsing_canonical_form(json.loads(text))
    assert '{"name":"Z","type":"enum"' in s.canonical_form
    with pytest.raises(SchemaError, match="unknown type 'Z'"):
        Schema.parse(s.canonical_form)
