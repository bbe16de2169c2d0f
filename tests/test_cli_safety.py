"""The command line never destroys its input and never leaves a half-written OUT.

Every command that writes a whole file refuses an OUT that is one of its inputs (the same
inode: the path itself, a symbolic link, a hard link) with exit status 2 before writing
anything, and replaces OUT only when it succeeded: bad data, a schema mismatch, a bad codec
level or an interrupt leave OUT as it was (absent if it was absent).
"""
from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import turboavro
from turboavro.cli import main
from turboavro.container import Reader, Writer

HOME = os.path.dirname(os.path.dirname(os.path.abspath(turboavro.__file__)))
SCHEMA = {"type": "record", "name": "R", "fields": [{"name": "a", "type": "long"},
                                                    {"name": "s", "type": "string"}]}


def recs(n: int, start: int = 0) -> list[dict]:
    return [{"a": i, "s": f"r{i}"} for i in range(start, start + n)]


def make(path, n: int = 300, codec: str = "deflate", start: int = 0) -> str:
    with Writer(str(path), SCHEMA, codec=codec, sync_interval=200) as w:
        w.write_many(recs(n, start))
    return str(path)


def listing(folder) -> list[str]:
    return sorted(os.listdir(folder))


@pytest.fixture
def work(tmp_path):
    a = make(tmp_path / "a.avro")
    b = make(tmp_path / "b.avro", start=300)
    avsc = tmp_path / "s.avsc"
    avsc.write_text(json.dumps(SCHEMA))
    lines = tmp_path / "in.jsonl"
    lines.write_text("".join(json.dumps(r) + "\n" for r in recs(20)))
    return {"a": a, "b": b, "avsc": str(avsc), "jsonl": str(lines), "dir": tmp_path}


# (command line with {IN} for the input that OUT aliases, and {OUT})
WRITERS = {
    "recodec": ["recodec", "--codec", "snappy", "{IN}", "{OUT}"],
    "recodec-reframe": ["recodec", "--codec", "null", "--sync-interval", "999", "{IN}", "{OUT}"],
    "concat-first": ["concat", "{IN}", "{b}", "{OUT}"],
    "concat-second": ["concat", "{b}", "{IN}", "{OUT}"],
    "repair": ["repair", "{IN}", "{OUT}"],
    "from-json": ["from-json", "--schema", "{avsc}", "{JSONL}", "{OUT}"],
    "from-json-schema": ["from-json", "--schema", "{SCHEMA_IN}", "{jsonl}", "{OUT}"],
    "fromjson": ["fromjson", "--schema-file", "{avsc}", "{JSONL}", "{OUT}"],
    "random-schema": ["random", "--count", "5", "{SCHEMA_IN}", "{OUT}"],
}


def _argv(template, work, victim, out):
    fill = {"b": work["b"], "avsc": work["avsc"], "jsonl": work["jsonl"], "IN": victim,
            "JSONL": victim, "SCHEMA_IN": victim, "OUT": out}
    return [part.format(**fill) for part in template]


@pytest.mark.parametrize("how", ["same-path", "symlink", "hardlink", "relative-path"])
@pytest.mark.parametrize("command", sorted(WRITERS))
def test_out_that_is_an_input_is_refused(capsys, work, command, how, monkeypatch):
    template = WRITERS[command]
    if "{JSONL}" in template:
        victim = work["jsonl"]
    elif "{SCHEMA_IN}" in template:
        # a container file is a valid SCHEMA argument: its header's schema
        victim = work["a"]
    else:
        victim = work["a"]
    folder = work["dir"]
    if how == "same-path":
        out = victim
    elif how == "symlink":
        out = str(folder / "link.avro")
        os.symlink(victim, out)
    elif how == "hardlink":
        out = str(folder / "hard.avro")
        os.link(victim, out)
    else:
        monkeypatch.chdir(folder)
        out = os.path.join(".", os.path.basename(victim))
    before = Path(victim).read_bytes()
    files = listing(folder)
    code = main(_argv(template, work, victim, out))
    err = capsys.readouterr().err
    assert code == 2, err
    assert "is the same file as the input" in err and victim in err
    assert Path(victim).read_bytes() == before
    assert listing(folder) == files  # no temporary file left behind


@pytest.mark.parametrize("exists", [True, False])
@pytest.mark.parametrize(
    "case",
    ["bad-level", "concat-mismatch", "from-json-bad-line", "from-json-bad-value",
     "recodec-damaged", "random-bad-schema"],
)
def test_failure_leaves_out_as_it_was(capsys, work, case, exists):
    folder = work["dir"]
    out = folder / "out.avro"
    if exists:
        out.write_bytes(b"precious")
    other = folder / "other.avro"
    with Writer(str(other), {"type": "record", "name": "X", "fields": []}) as w:
        w.write({})
    # many lines, so that blocks were written to the temporary file before the failure
    long_lines = folder / "long.jsonl"
    long_lines.write_text(
        "".join(json.dumps(r) + "\n" for r in recs(5000)) + '{"a": 1, "s": 2}\n'
    )
    bad_json = folder / "bad.jsonl"
    bad_json.write_text("".join(json.dumps(r) + "\n" for r in recs(5000)) + "{oops\n")
    damaged = folder / "damaged.avro"
    data = Path(work["a"]).read_bytes()
    damaged.write_bytes(data[: len(data) - 40])
    argv = {
        "bad-level": ["recodec", "--codec", "deflate", "--level", "99", work["a"], str(out)],
        "concat-mismatch": ["concat", work["a"], str(other), str(out)],
        "from-json-bad-line": ["from-json", "--schema", work["avsc"], str(bad_json), str(out)],
        "from-json-bad-value": ["from-json", "--schema", work["avsc"], str(long_lines), str(out)],
        "recodec-damaged": ["recodec", "--codec", "null", str(damaged), str(out)],
        "random-bad-schema": ["random", "--count", "3", '{"type": "nope"}', str(out)],
    }[case]
    files = listing(folder)
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 1, err
    if exists:
        assert out.read_bytes() == b"precious"
    else:
        assert not out.exists()
    assert listing(folder) == files


def test_interrupt_leaves_out_as_it_was(capsys, work, monkeypatch):
    """Ctrl-C in the middle of writing: exit 130, OUT untouched, no temporary file."""
    folder = work["dir"]
    out = folder / "out.avro"
    out.write_bytes(b"precious")

    def lines():
        for i, r in enumerate(recs(10000)):
            if i == 6000:
                raise KeyboardInterrupt
            yield (json.dumps(r) + "\n").encode()

    class Stdin:
        buffer = lines()

    monkeypatch.setattr(sys, "stdin", Stdin)
    files = listing(folder)
    code = main(["from-json", "--schema", work["avsc"], "-", str(out)])
    assert code == 130
    assert "interrupted" in capsys.readouterr().err
    assert out.read_bytes() == b"precious" and listing(folder) == files


def test_sigint_of_a_real_process(work):
    """The same with a real SIGINT to a running ``turboavro from-json`` reading a pipe."""
    folder = work["dir"]
    out = folder / "out.avro"
    env = dict(os.environ, PYTHONPATH=HOME)
    proc = subprocess.Popen(
        [sys.executable, "-m", "turboavro", "from-json", "--schema", work["avsc"], "-", str(out)],
        stdin=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
    )
    assert proc.stdin is not None
    proc.stdin.write(b"".join((json.dumps(r) + "\n").encode() for r in recs(20000)))
    proc.stdin.flush()
    # wait until the command has created its temporary file, i.e. is writing
    deadline = time.monotonic() + 30
    while not any(n.startswith(".out.avro.") for n in os.listdir(folder)):
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert not out.exists()
    assert not [n for n in os.listdir(folder) if n.startswith(".out.avro.")]


def test_success_replaces_out_and_keeps_its_mode(capsys, work):
    folder = work["dir"]
    out = folder / "out.avro"
    out.write_bytes(b"old")
    os.chmod(out, 0o640)
    assert main(["recodec", "--codec", "zstandard", work["a"], str(out)]) == 0
    with Reader(str(out)) as r:
        assert r.codec == "zstandard" and list(r) == recs(300)
    assert os.stat(out).st_mode & 0o777 == 0o640
    # a symbolic link OUT: its target is replaced, the link stays a link
    target = folder / "target.avro"
    link = folder / "link.avro"
    os.symlink(target, link)
    assert main(["concat", work["a"], work["b"], str(link)]) == 0
    assert os.path.islink(link)
    with Reader(str(target)) as r:
        assert list(r) == recs(600)
    # a new file gets the usual mode (umask applied), not the temporary file's 0600
    umask = os.umask(0o022)
    try:
        new = folder / "new.avro"
        assert main(["random", "--count", "3", work["avsc"], str(new)]) == 0
    finally:
        os.umask(umask)
    assert os.stat(new).st_mode & 0o777 == 0o644
    capsys.readouterr()


def test_repair_status_says_whether_records_were_lost(capsys, work):
    folder = work["dir"]
    out = str(folder / "fixed.avro")
    assert main(["repair", work["a"], out]) == 0  # nothing to repair
    assert "kept 300 records; lost 0 byte range(s)" in capsys.readouterr().err
    with Reader(work["a"]) as r:
        blocks = [(b.offset, b.data_offset + b.size, b.count) for b in r.iter_blocks_raw()]
    data = bytearray(Path(work["a"]).read_bytes())
    data[blocks[1][1] + 3] ^= 0xFF  # the sync marker after block 1
    bad = folder / "bad.avro"
    bad.write_bytes(bytes(data))
    assert main(["repair", str(bad), out]) == 3
    err = capsys.readouterr().err
    assert "lost 1 byte range(s)" in err
    with Reader(out) as r:
        got = list(r)
    lost = blocks[1][2] + blocks[2][2]  # the block before the broken marker, and the next
    assert len(got) == 300 - lost and got == recs(blocks[0][2]) + recs(300)[blocks[0][2] + lost:]


def test_stdout_out_is_written_directly(capsysbinary, work):
    assert main(["recodec", "--codec", "null", work["a"], "-"]) == 0
    with Reader(io.BytesIO(capsysbinary.readouterr().out)) as r:
        assert list(r) == recs(300)


def test_registry_passwd_replaces_the_users_file_whole(work, monkeypatch):
    """``registry passwd`` rewrites its users file through the same atomic write: a new file
    is owner-only, and a failure before the new content is in place (here: the final rename)
    leaves the old file, and its users, intact."""
    import turboavro.registry.auth as auth

    folder = work["dir"]
    users = folder / "users"
    monkeypatch.setattr(sys, "stdin", io.StringIO("secret-one\n"))
    assert main(["registry", "passwd", str(users), "alice", "--role", "admin", "--stdin"]) == 0
    assert os.stat(users).st_mode & 0o777 == 0o600
    before = users.read_bytes()
    assert before.startswith(b"alice:admin:")

    class Boom(Exception):
        pass

    real = os.replace

    def failing_replace(src, dst):
        raise Boom

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(Boom):
        auth.add_user(users, "bob", "pw", "read")
    monkeypatch.setattr(os, "replace", real)
    assert users.read_bytes() == before
    assert not [n for n in os.listdir(folder) if n.startswith(".users.")]
