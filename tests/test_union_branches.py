"""``branches=True``: union values as ``(branch name, value)`` tuples, so that a conversion keeps
the branch even where the Python value fits several branches."""
from __future__ import annotations

import io

import fastavro

from turboavro import Decoder, Encoder, Reader, Schema, Writer, json_decode, json_encode

UNION = ["null", "double", "long", {"type": "fixed", "name": "F", "size": 2}, "bytes",
         {"type": "enum", "name": "E", "symbols": ["A"]}, "string"]
RECORD = {"type": "record", "name": "R", "fields": [{"name": "u", "type": UNION}]}


def _fastavro_bytes(values):
    """Each value written by fastavro in the branch named by its tuple: fastavro's own
    encoding, the oracle for which branch index a value has on the wire."""
    parsed = fastavro.parse_schema(UNION)
    out = []
    for v in values:
        buf = io.BytesIO()
        fastavro.schemaless_writer(buf, parsed, v)
        out.append(buf.getvalue())
    return out


def test_decoder_tags_each_branch():
    # an int in the long branch, bytes of 2 in the bytes branch, "A" as the string branch:
    # values the first fitting branch (double, fixed, enum) would also take
    tagged = [("long", 5), ("bytes", b"xy"), ("F", b"xy"), ("string", "A"), ("E", "A"),
              ("double", 5.0), None]
    wire = _fastavro_bytes([v if v is None else (v[0], v[1]) for v in tagged])
    schema = Schema.parse(UNION)
    plain, keep = Decoder(schema), Decoder(schema, branches=True)
    assert [keep.decode(b) for b in wire] == tagged
    assert [plain.decode(b) for b in wire] == [5, b"xy", b"xy", "A", "A", 5.0, None]
    # the encoder writes a tuple as that very branch: the bytes come back the same
    enc = Encoder(schema)
    assert [enc.encode(keep.decode(b)) for b in wire] == wire


def test_reader_and_json_keep_branches():
    buf = io.BytesIO()
    values = [("long", 7), ("string", "A"), ("bytes", b"ab"), None]
    with Writer(buf, RECORD) as w:
        w.write_many({"u": v} for v in values)
    with Reader(buf.getvalue(), branches=True) as r:
        got = list(r)
    assert got == [{"u": v} for v in values]
    texts = [json_encode(rec, RECORD) for rec in got]
    assert texts[:3] == ['{"u":{"long":7}}', '{"u":{"string":"A"}}', '{"u":{"bytes":"ab"}}']
    assert [json_decode(t, RECORD, branches=True) for t in texts] == got
    # without branches, the first branch that takes the value: 7 becomes a double
    assert json_encode(json_decode(texts[0], RECORD), RECORD) == '{"u":{"double":7.0}}'
