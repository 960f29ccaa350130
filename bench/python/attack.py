"""Replays hostile and careless clients against fresh Prism servers and prints one row per attack.

Each attack group starts its own server from target/prism.jar, called on 127.0.0.1 only (/metrics,
where an attack reads the gauges, bound to 127.0.0.1), with a fixed heap (--heap, as bench/soak.sh
runs it; attack 1 with the JVM's default heap, as the attack was first made) and the default
settings but for the flags an attack needs; BENCH_JAVA_OPTS is added to every server's options.
While an attack runs, probes from a process of their own ask for health, Predict on iris and
Explain on iris with short deadlines; the server's resident memory (VmRSS) is sampled ten times a
second.

Every call ends in one of these columns:
  OK      an answer that passes the attack's check (finite values, the right shape, ...);
  clean   the documented gRPC status with its documented reason (and a RetryInfo where the
          reason is a refusal to retry);
  lost    no answer before the call's deadline (DEADLINE_EXCEEDED at the deadline, a
          connection that broke, a stream that never ended);
  wrong   an OK answer that fails the check, or any other status or reason;
  crash/hang  the server died, a probe failed during or after the attack, the attack did not
          end within its time limit, or the log shows an OutOfMemoryError.
The exit status is 1 when any row has lost, wrong or crash/hang above 0.

After the attacks: the overload figures (a short replay of OverloadLoadTest: ten times the capacity
of a small server in StreamExplain calls, then retries as RetryInfo says) and bench/soak.sh with a
short setting.
"""

import argparse
import collections
import concurrent.futures
import math
import os
import random
import re
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.request
from pathlib import Path

import grpc
import numpy as np
from google.rpc import error_details_pb2, status_pb2

from prism_bench import model_pb, pb, read_csv, stop, tensor
from prism.v1 import explain_service_pb2_grpc as pb_grpc
from prism.v1 import model_service_pb2_grpc as model_grpc
from prism.v1 import tensor_pb2

ROOT = Path(__file__).resolve().parent.parent.parent
MODELS = ROOT / "models"
JAR = ROOT / "target" / "prism.jar"
REFUSALS = ("QUEUE_FULL", "MEMORY_EXHAUSTED", "SLOW_READER")
CHANNEL_OPTIONS = [("grpc.max_receive_message_length", 256 << 20), ("grpc.max_send_message_length", 256 << 20),
                   # Every channel its own connection, as separate clients have.
                   ("grpc.use_local_subchannel_pool", 1)]


def parse_args():
    p = argparse.ArgumentParser(prog="bench/attack.sh", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--heap", default="1g", help="each server's fixed Java heap (-Xms = -Xmx); '' for the JVM default")
    p.add_argument("--memory-attack-heap", default="",
                   help="heap of attack 1's server (default '': the JVM's default, a quarter of the machine's memory)")
    p.add_argument("--stall-seconds", type=float, default=10,
                   help="--stream-stall-seconds of the unread-streams server")
    p.add_argument("--only", default="", help="comma-separated attack numbers to run (1-12, overload, soak)")
    p.add_argument("--soak-minutes", type=float, default=2, help="0: no soak")
    p.add_argument("--soak-warmup-seconds", type=float, default=30)
    p.add_argument("--keep-logs", action="store_true", help="keep the servers' logs (their folder is printed)")
    # Internal: the client process of attack 5, killed by the driver.
    p.add_argument("--child-streams", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--child-target", default="", help=argparse.SUPPRESS)
    # Internal: the probes' process.
    p.add_argument("--child-probes", default="", help=argparse.SUPPRESS)
    p.add_argument("--list-models", action="store_true", help=argparse.SUPPRESS)
    return p.parse_args()


# ---------------------------------------------------------------- outcomes and rows

class Outcome:
    """How one call ended: code "OK" with its value, or a status with the details Prism attaches."""

    def __init__(self, code, value=None, reason=None, retry=None, message="", seconds=0.0, deadline=None):
        self.code = code
        self.value = value
        self.reason = reason
        self.retry = retry
        self.message = message
        self.seconds = seconds
        self.deadline = deadline

    @staticmethod
    def of_error(e, seconds, deadline):
        code = e.code().name if e.code() is not None else "UNKNOWN"
        reason = retry = None
        for key, value in e.trailing_metadata() or ():
            if key == "grpc-status-details-bin":
                reason, retry = status_details(value)
        return Outcome(code, reason=reason, retry=retry, message=e.details() or "", seconds=seconds,
                       deadline=deadline)

    def __str__(self):
        if self.code == "OK":
            return "OK"
        text = self.code + (f" {self.reason}" if self.reason else "")
        return f"{text} after {self.seconds:.2f} s: {self.message[:160]}"


def status_details(encoded):
    """(ErrorInfo reason, RetryInfo delay in seconds) of a serialized google.rpc.Status; None where absent."""
    reason = retry = None
    for detail in status_pb2.Status.FromString(encoded).details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            reason = info.reason
        elif detail.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
            info = error_details_pb2.RetryInfo()
            detail.Unpack(info)
            retry = info.retry_delay.seconds + info.retry_delay.nanos / 1e9
    return reason, retry


def call(fn, deadline):
    """fn(deadline) -> value, as an Outcome."""
    t0 = time.monotonic()
    try:
        value = fn(deadline)
        return Outcome("OK", value=value, seconds=time.monotonic() - t0, deadline=deadline)
    except grpc.RpcError as e:
        return Outcome.of_error(e, time.monotonic() - t0, deadline)


def stream_result(events):
    """Reads a StreamExplain call to its end; its result, or None."""
    result = None
    for event in events:
        if event.HasField("result"):
            result = event.result
    return result


class Row:
    """One attack's counts. clean: the (code, reason) pairs documented for it."""

    def __init__(self, name, clean=()):
        self.name = name
        self.clean_statuses = set(clean)
        self.tried = self.ok = self.clean = self.lost = self.wrong = self.crash = 0
        self.peak_kib = 0
        self.notes = []
        self.problems = collections.Counter()
        self.lock = threading.Lock()

    def count(self, outcome, check=None):
        """Counts one call. check(value) returns None when an OK answer is right, else what is wrong."""
        with self.lock:
            self.tried += 1
            if outcome.code == "OK":
                problem = check(outcome.value) if check else None
                if problem:
                    self.wrong += 1
                    self.problems[f"OK but {problem}"] += 1
                else:
                    self.ok += 1
            elif (outcome.code, outcome.reason) in self.clean_statuses and (
                    outcome.reason not in REFUSALS or outcome.retry is not None):
                self.clean += 1
            elif outcome.code == "DEADLINE_EXCEEDED" and outcome.deadline is not None \
                    and outcome.seconds >= outcome.deadline - 0.5:
                self.lost += 1
                self.problems[f"no answer within the {outcome.deadline:g} s deadline"] += 1
            elif outcome.code == "UNAVAILABLE" and outcome.reason is None:
                self.lost += 1
                self.problems[f"connection lost: {outcome.message[:120]}"] += 1
            else:
                self.wrong += 1
                self.problems[re.sub(r"\d+(\.\d+)?", "N", str(outcome))] += 1

    def fault(self, why):
        """Something the attack checks besides the calls' statuses went wrong (a log, a gauge, a figure)."""
        with self.lock:
            self.wrong += 1
            self.problems[why] += 1

    def hang(self, why):
        with self.lock:
            self.crash += 1
            self.problems[why] += 1

    def note(self, text):
        self.notes.append(text)

    def failed(self):
        return self.lost + self.wrong + self.crash > 0


ROWS = []


def row(name, clean=()):
    r = Row(name, clean)
    ROWS.append(r)
    return r


# ---------------------------------------------------------------- the server under attack

def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class Server:
    """A Prism server in a child process, its log in a file, its resident memory sampled."""

    def __init__(self, logs, name, repository=MODELS, args=(), heap="1g", java_opts=None, metrics=False,
                 command=None, env=None):
        self.name = name
        self.log_path = logs / f"{name}.log"
        if java_opts is None:
            java_opts = [f"-Xms{heap}", f"-Xmx{heap}", "-XX:+AlwaysPreTouch"] if heap else []
        java_opts = java_opts + shlex.split(os.environ.get("BENCH_JAVA_OPTS", ""))
        self.java_opts = java_opts
        ports = ["--port", "0", "--metrics-port", "0" if metrics else "-1"]
        if metrics:
            ports += ["--metrics-host", "127.0.0.1"]
        serve = ["serve", *ports, "--model-repository", str(repository), *args]
        # Garbage-collection pauses, to tell a server that stopped for its collector from one that hung.
        self.gc_path = logs / f"{name}.gc.log"
        gc = [f"-Xlog:gc:file={self.gc_path}"]
        self.cmd = command(serve) if command else ["java", *java_opts, *gc, "-jar", str(JAR), *serve]
        self.log_file = open(self.log_path, "w")
        self.process = subprocess.Popen(self.cmd, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=self.log_file,
                                        stderr=subprocess.STDOUT, env=env, start_new_session=True)
        self.pid = self.process.pid
        self.port = self.metrics_port = None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and self.process.poll() is None:
            match = re.search(r"serving .*? on port (\d+)(, metrics on port (\d+))?", self.log())
            if match:
                self.port = int(match.group(1))
                self.metrics_port = int(match.group(3)) if match.group(3) else None
                break
            time.sleep(0.1)
        if self.port is None:
            self.close()
            raise RuntimeError(f"server {name} did not start:\n{self.log()[-3000:]}")
        self.target = f"127.0.0.1:{self.port}"
        self.samples = []  # (monotonic seconds, KiB)
        self.stopped = threading.Event()
        threading.Thread(target=self._sample, daemon=True).start()
        self.channel = self.new_channel()
        try:
            grpc.channel_ready_future(self.channel).result(timeout=60)
        except grpc.FutureTimeoutError:
            self.close()
            raise RuntimeError(f"server {name}: no connection to port {self.port}") from None
        self.explain = pb_grpc.ExplainServiceStub(self.channel)
        self.models = model_grpc.ModelServiceStub(self.channel)

    def new_channel(self):
        return grpc.insecure_channel(self.target, options=CHANNEL_OPTIONS)

    def _sample(self):
        while not self.stopped.is_set():
            kib = rss_kib(self.pid)
            if kib:
                self.samples.append((time.monotonic(), kib))
            self.stopped.wait(0.1)

    def rss(self):
        return rss_kib(self.pid)

    def peak_kib(self, since, until=None):
        until = until or time.monotonic()
        return max([k for t, k in self.samples if since <= t <= until] or [self.rss()])

    def alive(self):
        return self.process.poll() is None

    def log(self, start=0):
        with open(self.log_path, errors="replace") as f:
            f.seek(start)
            return f.read()

    def log_size(self):
        return os.path.getsize(self.log_path)

    def gc_pauses(self):
        """(longest pause in ms, pauses of a second or more, collector) from the GC log, if there is one."""
        try:
            text = self.gc_path.read_text()
        except OSError:
            return None
        pauses = [float(m.group(1)) for m in re.finditer(r"Pause.* (\d+\.\d+)ms$", text, re.M)]
        collector = re.search(r"Using (\S+)", text)
        return max(pauses, default=0.0), sum(1 for p in pauses if p >= 1000), collector.group(1) if collector else "?"

    def scrape(self):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=5) as r:
            return r.read().decode()

    def gauge(self, text, name):
        """The sum of a gauge's series in a scrape."""
        total = 0.0
        for line in text.splitlines():
            if line.startswith(name + " ") or line.startswith(name + "{"):
                total += float(line.rsplit(" ", 1)[1])
        return total

    def close(self):
        if hasattr(self, "stopped"):
            self.stopped.set()
        if hasattr(self, "channel"):
            self.channel.close()
        stop(self.process)
        self.log_file.close()


class Data:
    """Rows of the bundled models' own backgrounds."""

    def __init__(self):
        _, self.iris = read_csv(MODELS / "iris/background.csv")
        _, self.cancer = read_csv(MODELS / "breast_cancer/background.csv")
        _, digits = read_csv(MODELS / "digits/background.csv")
        self.digits = digits.reshape(-1, 1, 8, 8)

    def digit_rows(self, n, seed=0):
        rng = np.random.default_rng(seed)
        return self.digits[rng.integers(0, len(self.digits), n)]


DATA = None


def iris_explain(seed=1):
    r = pb.ExplainRequest(model="iris", inputs=[tensor(DATA.iris[seed % len(DATA.iris)][None])], seed=seed)
    r.exact_shapley.SetInParent()
    return r


def health(channel, deadline):
    """grpc.health.v1.Health/Check for the whole server; True when SERVING."""
    check = channel.unary_unary("/grpc.health.v1.Health/Check", request_serializer=lambda _: b"",
                                response_deserializer=lambda b: b)
    answer = check(None, timeout=deadline)
    # HealthCheckResponse: field 1, a varint; SERVING = 1.
    return answer == b"\x08\x01"


def finite_explanations(expected):
    """A check that the response has `expected` explanations, every attribution finite."""

    def check(response):
        if response is None:
            return "no result"
        if len(response.explanations) != expected:
            return f"{len(response.explanations)} explanations, not {expected}"
        for e in response.explanations:
            if not all(math.isfinite(a) for a in e.attributions):
                return f"attributions not finite (instance {e.instance}, output {e.output})"
        return None

    return check


class Probes:
    """Health, Predict on iris and Explain on iris (and ListModels, when asked), every half second,
    from a process and connection of their own, so that the driver's own load does not delay them.
    Any probe that does not answer OK within its short deadline is a failure."""

    def __init__(self, server, list_models=False):
        cmd = [sys.executable, __file__, "--child-probes", server.target] + (["--list-models"] if list_models else [])
        self.process = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        # The child says "ready" after one untimed round: a fresh JVM loads classes and compiles on
        # its first calls.
        ready = self.process.stdout.readline()
        if ready.strip() != "ready":
            raise RuntimeError(f"the probes did not start: {ready!r}")
        self.lines = []
        self.reader = threading.Thread(target=lambda: self.lines.extend(self.process.stdout), daemon=True)
        self.reader.start()

    def __enter__(self):
        self.rows = []
        return self

    def charge(self, *rows):
        """The rows whose crash/hang column takes the failed probes, and whose notes their summary."""
        self.rows.extend(rows)

    def __exit__(self, *exc):
        # End of input: the child runs one more round, after the attack, then reports.
        self.process.stdin.close()
        done = failed = 0
        worst = 0.0
        failures = collections.Counter()
        self.reader.join()
        for line in self.lines:
            name, code, seconds = line.rstrip("\n").split("\t")
            done += 1
            worst = max(worst, float(seconds))
            if code != "OK":
                failed += 1
                failures[f"{name}: {code}"] += 1
        self.process.wait()
        text = f"probes {done - failed}/{done} OK, slowest {worst:.2f} s"
        if failures:
            text += " (" + ", ".join(f"{k} x{n}" for k, n in failures.items()) + ")"
        for r in self.rows:
            r.note(text)
            if failed:
                with r.lock:
                    r.crash += failed
                    r.problems[f"{failed} probes failed"] += 1


PROBE_DEADLINES = {"health": 2.0, "Predict iris": 2.0, "Explain iris": 5.0, "ListModels": 2.0}


def child_probes(args):
    """The probes' process: one line per probe (name, outcome, seconds) until its input ends."""
    channel = grpc.insecure_channel(args.child_probes, options=CHANNEL_OPTIONS)
    explain = pb_grpc.ExplainServiceStub(channel)
    models = model_grpc.ModelServiceStub(channel)
    kinds = {"health": lambda d: health(channel, d) or "not SERVING",
             "Predict iris": lambda d: models.Predict(model_pb.PredictRequest(model="iris",
                                                                              inputs=[tensor(DATA.iris[:1])]),
                                                      timeout=d),
             "Explain iris": lambda d: explain.Explain(iris_explain(), timeout=d)}
    if args.list_models:
        kinds["ListModels"] = lambda d: models.ListModels(model_pb.ListModelsRequest(), timeout=d)

    def probe_round(report):
        for name, fn in kinds.items():
            o = call(fn, PROBE_DEADLINES[name] * (1 if report else 30))
            if report:
                code = "not SERVING" if o.value == "not SERVING" else o.code + (f" {o.reason}" if o.reason else "")
                print(f"{name}\t{code}\t{o.seconds:.3f}", flush=True)

    probe_round(False)
    print("ready", flush=True)
    stop = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    while not stop.is_set():
        probe_round(True)
        stop.wait(0.5)
    probe_round(True)


class Group:
    """One attack on its own server: time limit, peak RSS, server death and OutOfMemoryError
    checked for its rows when it ends."""

    def __init__(self, logs, rows, limit_s, oom_allowed=False):
        self.logs = logs
        self.rows = rows
        self.limit_s = limit_s
        self.oom_allowed = oom_allowed
        self.servers = []

    def start(self, *args, **kwargs):
        s = Server(self.logs, *args, **kwargs)
        self.servers.append(s)
        return s

    def __enter__(self):
        self.t0 = time.monotonic()
        self.expired = threading.Event()
        self.finished = threading.Event()
        threading.Thread(target=self._watch, daemon=True).start()
        return self

    def _watch(self):
        if not self.finished.wait(self.limit_s):
            # The attack hangs: killing its servers ends every call it waits on.
            self.expired.set()
            for s in self.servers:
                if s.alive():
                    s.process.kill()

    def __exit__(self, kind, error, tb):
        self.finished.set()
        now = time.monotonic()
        for s in self.servers:
            for r in self.rows:
                # Rows that share a server at different times have set their own.
                if not r.peak_kib:
                    r.peak_kib = s.peak_kib(self.t0, now)
        if self.expired.is_set():
            for r in self.rows:
                r.hang(f"the attack did not end within its {self.limit_s:g} s limit")
        else:
            for s in self.servers:
                if not s.alive():
                    for r in self.rows:
                        r.hang(f"server {s.name} died (exit {s.process.returncode})")
        for s in self.servers:
            gc = s.gc_pauses()
            if gc and gc[0] >= 500:
                for r in self.rows:
                    r.note(f"server {s.name}: longest GC pause {gc[0]:.0f} ms ({gc[1]} of a second or more, {gc[2]})")
            ooms = 0 if self.oom_allowed else s.log().count("OutOfMemoryError")
            if ooms:
                for r in self.rows:
                    r.hang(f"{ooms} OutOfMemoryError lines in the log of {s.name}")
            s.close()
        if kind is not None and not self.expired.is_set():
            for r in self.rows:
                r.hang(f"the driver failed: {kind.__name__}: {error}")
            traceback.print_exception(kind, error, tb, file=sys.stderr)
        return True  # the next attack still runs


# ---------------------------------------------------------------- 1. memory

STATUS_NAMES = {c.value[0]: c.name for c in grpc.StatusCode}


class SilentClient:
    """An HTTP/2 connection that sends gRPC calls and never gives flow-control credit back: it takes
    in frames (so that SETTINGS and PINGs are answered) but sends no WINDOW_UPDATE, so the server can
    send no more than the first 64 KiB of data on the whole connection. Statuses (trailers) and
    stream resets still arrive, and are recorded with the time they came.

    gRPC's own clients do not hold back like this: a Python call that is never iterated still has its
    transport take in the whole answer, and the server then rightly considers the answer delivered."""

    def __init__(self, port):
        import h2.config
        import h2.connection
        self.port = port
        self.socket = socket.create_connection(("127.0.0.1", port))
        self.h2 = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
        self.cond = threading.Condition()
        self.ends = {}  # stream id -> Outcome
        self.started = {}
        self.closed = False
        self.goaway = None  # (when, error code, debug data) of the server's GOAWAY
        self.protocol_error = None
        with self.cond:
            self.h2.initiate_connection()
            self.socket.sendall(self.h2.data_to_send())
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        import h2.events
        import h2.exceptions
        trailers = {}
        while True:
            try:
                data = self.socket.recv(1 << 16)
            except OSError:
                data = b""
            with self.cond:
                if not data:
                    self.closed = True
                    self.cond.notify_all()
                    return
                try:
                    events = self.h2.receive_data(data)
                except h2.exceptions.ProtocolError as e:
                    # Frames after the server's GOAWAY: the connection is over.
                    self.closed = True
                    self.protocol_error = str(e)
                    self.cond.notify_all()
                    return
                for event in events:
                    if isinstance(event, h2.events.ConnectionTerminated):
                        self.goaway = (time.monotonic(), event.error_code, event.additional_data)
                    if isinstance(event, h2.events.TrailersReceived) or (
                            isinstance(event, h2.events.ResponseReceived)
                            and any(k == "grpc-status" for k, _ in event.headers)):
                        trailers[event.stream_id] = dict(event.headers)
                    if isinstance(event, h2.events.StreamEnded):
                        self.ends[event.stream_id] = self._outcome(event.stream_id, trailers.get(event.stream_id, {}))
                    elif isinstance(event, h2.events.StreamReset):
                        self.ends[event.stream_id] = Outcome(
                            "CANCELLED", reason="STREAM_RESET", message=f"RST_STREAM {event.error_code!r}",
                            seconds=time.monotonic() - self.started[event.stream_id])
                # Settings and ping acknowledgements only: received data is never acknowledged.
                out = self.h2.data_to_send()
                if out:
                    self.socket.sendall(out)
                self.cond.notify_all()

    def _outcome(self, stream, headers):
        import base64
        import urllib.parse
        code = STATUS_NAMES.get(int(headers.get("grpc-status", "2")), "UNKNOWN")
        o = Outcome(code, message=urllib.parse.unquote(headers.get("grpc-message", "")),
                    seconds=time.monotonic() - self.started[stream])
        details = headers.get("grpc-status-details-bin")
        if details:
            o.reason, o.retry = status_details(base64.b64decode(details + "=" * (-len(details) % 4)))
        return o

    def start(self, path, message, timeout_s):
        """Opens a call and sends its request, as far as the server's windows let it; returns its stream id."""
        body = b"\0" + len(message).to_bytes(4, "big") + message
        with self.cond:
            stream = self.h2.get_next_available_stream_id()
            self.started[stream] = time.monotonic()
            self.h2.send_headers(stream, [(":method", "POST"), (":scheme", "http"), (":path", path),
                                          (":authority", f"127.0.0.1:{self.port}"),
                                          ("content-type", "application/grpc"),
                                          ("te", "trailers"), ("grpc-timeout", f"{int(timeout_s)}S")])
            sent = 0
            while sent < len(body):
                while not self.closed and stream not in self.ends and self.h2.local_flow_control_window(stream) == 0:
                    self.cond.wait(1)
                if self.closed or stream in self.ends:
                    break
                n = min(len(body) - sent, self.h2.local_flow_control_window(stream), self.h2.max_outbound_frame_size)
                self.h2.send_data(stream, body[sent:sent + n], end_stream=sent + n == len(body))
                sent += n
                self.socket.sendall(self.h2.data_to_send())
        return stream

    def wait(self, streams, until):
        """The outcomes of the streams that ended before the monotonic time `until`."""
        with self.cond:
            while not self.closed and time.monotonic() < until and not all(s in self.ends for s in streams):
                self.cond.wait(0.5)
            return {s: self.ends[s] for s in streams if s in self.ends}

    def close(self):
        self.socket.close()


def attack_unread_streams(logs, args):
    unread = row("1 unread StreamExplain, 70 x saliency 10k digits",
                 clean=[("RESOURCE_EXHAUSTED", "MEMORY_EXHAUSTED"), ("RESOURCE_EXHAUSTED", "SLOW_READER"),
                        ("CANCELLED", "STREAM_RESET")])
    readers = row("1 64 clients reading the same request", clean=[("RESOURCE_EXHAUSTED", "MEMORY_EXHAUSTED")])
    calls, deadline = 70, 600
    request = pb.ExplainRequest(model="digits", inputs=[tensor(DATA.digit_rows(10_000))])
    request.saliency.SetInParent()
    check = finite_explanations(10_000 * 10)
    with Group(logs, [unread, readers], limit_s=420) as g:
        s = g.start("unread-streams", args=["--stream-stall-seconds", f"{args.stall_seconds:g}"],
                    heap=args.memory_attack_heap, metrics=True)
        with Probes(s) as probes:
            client = SilentClient(s.port)
            t0 = time.monotonic()
            streams = [client.start("/prism.v1.ExplainService/StreamExplain", request.SerializeToString(), deadline)
                       for _ in range(calls)]
            sent_s = time.monotonic() - t0
            # An answer waits for its reader for the stall limit, then the call ends; a status still
            # behind unread data waits as long again before the stream is reset.
            ends = client.wait(streams, t0 + sent_s + 3 * args.stall_seconds + 30)
            reserved = s.gauge(s.scrape(), "prism_memory_reserved_bytes")
            client.close()
            if client.goaway:
                when, code, data = client.goaway
                unread.note(f"the server sent GOAWAY ({code!r}, {data!r}) {when - t0:.1f} s after the first request")
            waited = time.monotonic() - t0
            for stream in streams:
                if stream in ends:
                    unread.count(ends[stream])
                else:
                    with unread.lock:
                        unread.tried += 1
                        unread.lost += 1
                        unread.problems[f"no status and no reset {waited:.0f} s after the request (the answer "
                                        f"should be dropped after the {args.stall_seconds:g} s stall limit, "
                                        f"the stream reset after twice that)"] += 1
            latest = max((o.seconds for o in ends.values()), default=0)
            unread.note(f"one HTTP/2 connection that never grants flow-control window; heap "
                        f"{args.memory_attack_heap or 'JVM default'}, --stream-stall-seconds {args.stall_seconds:g}; "
                        f"requests sent in {sent_s:.1f} s; ends: "
                        f"{dict(collections.Counter(o.reason or o.code for o in ends.values()))}, "
                        f"the last {latest:.1f} s after its start; prism_memory_reserved_bytes "
                        f"{reserved / 2**20:.0f} MiB at the end of the wait")
            probes.charge(unread)
        unread.peak_kib = s.peak_kib(g.t0)
        with Probes(s) as probes:
            readers_t0 = time.monotonic()
            retries = collections.Counter()

            def client(i):
                """Sends the request, reads the answer, and retries as RetryInfo says for up to 90 s."""
                channel = s.new_channel()
                try:
                    stub = pb_grpc.ExplainServiceStub(channel)
                    give_up = time.monotonic() + 90
                    while True:
                        o = call(lambda d: stream_result(stub.StreamExplain(request, timeout=d)), 180)
                        if o.code != "RESOURCE_EXHAUSTED" or o.retry is None or time.monotonic() + o.retry > give_up:
                            return o
                        retries[i] += 1
                        time.sleep(o.retry)
                finally:
                    channel.close()

            t0 = time.monotonic()
            with concurrent.futures.ThreadPoolExecutor(64) as pool:
                outcomes = list(pool.map(client, range(64)))
            for o in outcomes:
                readers.count(o, check)
            readers.note(f"64 connections, each retrying as RetryInfo says for up to 90 s: "
                         f"{sum(retries.values())} retries; all done in {time.monotonic() - t0:.1f} s")
            probes.charge(readers)
        readers.peak_kib = s.peak_kib(readers_t0)


# ---------------------------------------------------------------- 2. an Error inside a model run

def huge_output_model(folder, columns):
    """x [N, 4] -> y [N, columns]: x tiled, so a batch's output is columns x 4 bytes a row."""
    import onnx
    from onnx import TensorProto, helper
    repeats = helper.make_tensor("repeats", TensorProto.INT64, [2], [1, columns // 4])
    graph = helper.make_graph(
        [helper.make_node("Tile", ["x", "repeats"], ["y"])], "huge_output",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", columns])], [repeats])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 9
    onnx.checker.check_model(model)
    folder.mkdir(parents=True)
    onnx.save(model, folder / "model.onnx")


def tensor_values(t):
    if t.raw_data:
        dtype = {tensor_pb2.DATA_TYPE_FLOAT32: "<f4", tensor_pb2.DATA_TYPE_FLOAT64: "<f8"}[t.dtype]
        return np.frombuffer(t.raw_data, dtype=dtype)
    return np.asarray(t.double_data if len(t.double_data) else t.float_data)


def attack_model_error(logs, args):
    r = row("2 Error (OOM) inside a model run, then the same model",
            clean=[("INTERNAL", "MODEL_EXECUTION_FAILED")])
    columns = 1 << 20  # 4 MiB of float32 a row; a model's output may have up to 4,194,304 elements a row
    repo = Path(tempfile.mkdtemp(prefix="prism-attack-"))
    try:
        huge_output_model(repo / "huge_output", columns)
        shutil.copytree(MODELS / "iris", repo / "iris")
        # 16 rows of output are 128 MiB as doubles: the scheduler's answer array for them fits a
        # 256 MiB heap, but not a second copy made while the run's output is converted, so the run
        # fails with an OutOfMemoryError. The memory budget is set past the heap (a misconfiguration)
        # so that admission lets the request through.
        with Group(logs, [r], limit_s=180, oom_allowed=True) as g:
            s = g.start("model-error", repository=repo, args=["--memory-budget-mib", "65536"],
                        java_opts=["-Xmx256m"])
            rng = np.random.default_rng(2)
            x = DATA.iris[rng.integers(0, len(DATA.iris), 16)]

            def small_ok(response):
                y = tensor_values(response.outputs[0])
                expected = np.tile(x[:1].astype(np.float32), (1, columns // 4)).ravel()
                return None if np.array_equal(y, expected) else "values differ from the tiled input"

            with Probes(s) as probes:
                for _ in range(2):
                    big = call(lambda d: s.models.Predict(model_pb.PredictRequest(model="huge_output",
                                                                                  inputs=[tensor(x)]), timeout=d), 60)
                    r.count(big)
                    r.note(f"16-row Predict: {big}")
                    after = call(lambda d: s.models.Predict(model_pb.PredictRequest(model="huge_output",
                                                                                    inputs=[tensor(x[:1])]),
                                                            timeout=d), 30)
                    if after.code != "OK":
                        r.hang(f"1-row Predict after the failure: {after}")
                    r.count(after, small_ok)
                probes.charge(r)
            failures = s.log().count("a batch failed")
            r.note(f"server log: {failures} 'a batch failed' records, "
                   f"{s.log().count('OutOfMemoryError')} lines naming OutOfMemoryError (expected here)")
    finally:
        shutil.rmtree(repo, ignore_errors=True)


# ---------------------------------------------------------------- 3. l1_reg on non-finite outputs

def attack_l1_nonfinite(logs, args):
    r = row("3 kernel_shap l1_reg aic/bic, digits at 3e38, 2 threads",
            clean=[("FAILED_PRECONDITION", "MODEL_OUTPUT_NOT_FINITE")])
    with Group(logs, [r], limit_s=180) as g:
        s = g.start("l1-nonfinite", args=["--explain-threads", "2"], heap=args.heap)
        x = np.full((2, 1, 8, 8), 3e38)
        with Probes(s) as probes:
            for criterion in (pb.L1Reg.CRITERION_AIC, pb.L1Reg.CRITERION_BIC):
                request = pb.ExplainRequest(model="digits", inputs=[tensor(x)])
                request.kernel_shap.l1_reg.criterion = criterion
                with concurrent.futures.ThreadPoolExecutor(2) as pool:
                    outcomes = list(pool.map(lambda _: call(lambda d: s.explain.Explain(request, timeout=d), 30),
                                             range(2)))
                for o in outcomes:
                    r.count(o, finite_explanations(2 * 10))
                r.note(f"{pb.L1Reg.Criterion.Name(criterion)}: answered in "
                       + ", ".join(f"{o.seconds:.2f} s" for o in outcomes))
            probes.charge(r)


# ---------------------------------------------------------------- 4. background_kmeans

def attack_kmeans(logs, args):
    r = row("4 background_kmeans k=1000 of 10k rows, x4", clean=[])
    with Group(logs, [r], limit_s=300) as g:
        s = g.start("kmeans", heap=args.heap)
        rng = np.random.default_rng(4)
        rows = DATA.iris[rng.integers(0, len(DATA.iris), 10_000)] * (1 + 0.05 * rng.standard_normal((10_000, 4)))
        request = pb.ExplainRequest(model="iris", inputs=[tensor(DATA.iris[:1])], background=tensor(rows),
                                    background_kmeans=1000)
        request.kernel_shap.nsamples = 64
        with Probes(s, list_models=True) as probes:
            with concurrent.futures.ThreadPoolExecutor(4) as pool:
                outcomes = list(pool.map(lambda _: call(lambda d: s.explain.Explain(request, timeout=d), 180),
                                         range(4)))
            probes.charge(r)
        for o in outcomes:
            r.count(o, finite_explanations(3))
        r.note("model iris (k-means on 4 columns; on breast_cancer's 30 one request alone takes a minute); "
               "answered in " + ", ".join(f"{o.seconds:.1f} s" for o in outcomes))


# ---------------------------------------------------------------- 5. a killed client

def child_streams(args):
    """The client of attack 5: opens the streams, reads them, and waits to be killed."""
    request = pb.ExplainRequest(model="breast_cancer", inputs=[tensor(DATA.cancer[:2])])
    request.kernel_shap.nsamples = 4096
    channels = [grpc.insecure_channel(args.child_target, options=CHANNEL_OPTIONS) for _ in range(2)]
    stubs = [pb_grpc.ExplainServiceStub(c) for c in channels]
    ends = collections.Counter()
    lock = threading.Lock()

    def read(i):
        try:
            for _ in stubs[i % 2].StreamExplain(request, timeout=600):
                pass
            code = "OK"
        except grpc.RpcError as e:
            code = Outcome.of_error(e, 0, None).reason or e.code().name
        with lock:
            ends[code] += 1

    for i in range(args.child_streams):
        threading.Thread(target=read, args=(i,), daemon=True).start()
    print(f"opened {args.child_streams}", flush=True)
    while True:
        time.sleep(1)
        with lock:
            print(f"ended {dict(ends)}", flush=True)


def attack_killed_client(logs, args):
    r = row("5 client with 150 streams SIGKILLed", clean=[])
    with Group(logs, [r], limit_s=180) as g:
        s = g.start("killed-client", heap=args.heap, metrics=True)
        with Probes(s) as probes:
            child = subprocess.Popen([sys.executable, __file__, "--child-streams", "150", "--child-target", s.target],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            lines = []
            threading.Thread(target=lambda: lines.extend(child.stdout), daemon=True).start()
            # Until the server runs the streams and has rows queued for the model.
            deadline = time.monotonic() + 60
            running = queue_rows = queued = 0
            while time.monotonic() < deadline:
                text = s.scrape()
                running = s.gauge(text, "prism_explain_running")
                queued = s.gauge(text, "prism_explain_queued")
                queue_rows = s.gauge(text, "prism_scheduler_queue_rows")
                if running >= 32 and queue_rows > 0:
                    break
                time.sleep(0.2)
            time.sleep(2)
            text = s.scrape()
            running = s.gauge(text, "prism_explain_running")
            queued = s.gauge(text, "prism_explain_queued")
            queue_rows = s.gauge(text, "prism_scheduler_queue_rows")
            ended = [line for line in lines if line.startswith("ended")]
            before = ended[-1][len("ended "):].strip() if ended else "{}"
            child.send_signal(signal.SIGKILL)
            killed = time.monotonic()
            child.wait()
            zero_after = None
            while time.monotonic() - killed < 30:
                text = s.scrape()
                if s.gauge(text, "prism_explain_running") == 0 and s.gauge(text, "prism_scheduler_queue_rows") == 0 \
                        and s.gauge(text, "prism_explain_queued") == 0:
                    zero_after = time.monotonic() - killed
                    break
                time.sleep(0.01)
            with r.lock:
                r.tried = 150
                # The streams' work stopped, as it should for a client that is gone.
                r.ok = 150 if zero_after is not None and zero_after <= 1 else 0
            if zero_after is None:
                r.hang("explain_running / scheduler_queue_rows still above 0 30 s after the kill")
            elif zero_after > 1:
                r.hang(f"the killed client's work ran on for {zero_after:.1f} s (more than 1 s)")
            r.note(f"at the kill: prism_explain_running {running:g}, prism_explain_queued {queued:g}, "
                   f"prism_scheduler_queue_rows {queue_rows:,.0f}; streams ended before the kill: {before}")
            r.note("all three gauges 0 after " + (f"{zero_after * 1000:.0f} ms (scraped every 10 ms)"
                                                  if zero_after is not None else "more than 30 s"))
            probes.charge(r)


# ---------------------------------------------------------------- 6. bad input

def nested_groups(depth):
    return bytes([15 << 3 | 3]) * depth + bytes([15 << 3 | 4]) * depth


def attack_bad_input(logs, args):
    invalid_params = [("INVALID_ARGUMENT", "INVALID_PARAMS")]
    invalid_tensor = [("INVALID_ARGUMENT", "INVALID_TENSOR")]
    malformed = [("INVALID_ARGUMENT", "MALFORMED_REQUEST")]
    repeat = 10

    def iris(**kw):
        return pb.ExplainRequest(model="iris", inputs=[tensor(DATA.iris[:1])], seed=3, **kw)

    def digit_patches(height, width):
        r = pb.ExplainRequest(model="digits", inputs=[tensor(DATA.digits[:1])])
        r.baseline.constant = 0
        r.feature_groups.grid.image_height = height
        r.feature_groups.grid.image_width = width
        r.feature_groups.grid.patch_height = 8
        r.feature_groups.grid.patch_width = 8
        return r

    lime_width = iris()
    lime_width.lime.kernel_width = 1e-200
    lime_width.lime.num_samples = 200
    big_double = iris()
    big_double.inputs[0].CopyFrom(tensor_pb2.Tensor(dtype=tensor_pb2.DATA_TYPE_FLOAT64, shape=[1, 4],
                                                    double_data=[1e39, 3.5, 1.4, 0.2]))
    big_baseline = iris()
    big_baseline.baseline.constant = 1e300
    big_baseline.kernel_shap.SetInParent()
    big_background = iris(background=tensor_pb2.Tensor(dtype=tensor_pb2.DATA_TYPE_FLOAT64, shape=[2, 4],
                                                       double_data=[5.1, 3.5, 1.4, 0.2, 1e39, 3.5, 1.4, 0.2]))
    long_name = pb.ExplainRequest(model="m" * 12_288, inputs=[tensor(DATA.iris[:1])])
    unknown_outputs = iris()
    unknown_outputs.outputs.extend(f"unknown output {i} " + "o" * 200 for i in range(5000))
    valid = iris_explain().SerializeToString()

    cases = [
        ("6 lime.kernel_width = 1e-200", invalid_params, "Explain", lime_width),
        ("6 grid patches on a 65536x65536 image", invalid_params, "Explain", digit_patches(65536, 65536)),
        ("6 double_data 1e39 (float32 input)", invalid_tensor, "Explain", big_double),
        ("6 baseline.constant 1e300", invalid_params, "Explain", big_baseline),
        ("6 background with 1e39 (float32 model)", invalid_tensor, "Explain", big_background),
        ("6 a 12 KB model name", [("NOT_FOUND", "MODEL_NOT_FOUND")], "Explain", long_name),
        ("6 5,000 unknown outputs", [("INVALID_ARGUMENT", "UNKNOWN_OUTPUT")], "Explain", unknown_outputs),
        ("6 malformed: truncated", malformed, "raw", valid[:-3]),
        ("6 malformed: bad wire type", malformed, "raw", bytes([1 << 3 | 7, 0])),
        ("6 malformed: invalid UTF-8", malformed, "raw", bytes([1 << 3 | 2, 2, 0xC3, ord("(")])),
        ("6 malformed: nesting 150 deep", malformed, "raw", nested_groups(150)),
    ]
    rows = [row(name, clean) for name, clean, _, _ in cases]
    with Group(logs, rows, limit_s=240) as g:
        s = g.start("bad-input", heap=args.heap)
        methods = {path: s.channel.unary_unary(path, request_serializer=lambda b: b, response_deserializer=lambda b: b)
                   for path in ("/prism.v1.ExplainService/Explain", "/prism.v1.ModelService/Predict")}
        stream = s.channel.unary_stream("/prism.v1.ExplainService/StreamExplain", request_serializer=lambda b: b,
                                        response_deserializer=lambda b: b)
        with Probes(s) as probes:
            for (name, clean, kind, request), r in zip(cases, rows):
                case_t0 = time.monotonic()
                start = s.log_size()
                sent = 0
                for i in range(repeat):
                    if kind == "raw":
                        for path, method in methods.items():
                            r.count(call(lambda d: method(request, timeout=d), 30))
                        r.count(call(lambda d: list(stream(request, timeout=d)), 30))
                        sent += 3
                    else:
                        r.count(call(lambda d: s.explain.Explain(request, timeout=d), 30))
                        r.count(call(lambda d: stream_result(s.explain.StreamExplain(request, timeout=d)), 30))
                        sent += 2
                time.sleep(0.2)  # the log lines of the last calls
                log = s.log(start)
                lines = [line for line in log.splitlines() if line.strip()]
                traces = sum(1 for line in lines if line.startswith("\tat ") or line.startswith("Caused by"))
                if traces:
                    r.fault(f"{traces} stack trace lines in the log")
                if kind == "raw":
                    refused = log.count("refused a malformed")
                    r.note(f"{sent} calls (Explain, Predict, StreamExplain): {refused} log records "
                           f"'refused a malformed ...' ({len(lines)} lines in java.util.logging's two-line "
                           f"format), {traces} stack trace lines")
                    if refused != sent:
                        r.fault(f"{refused} log records for {sent} malformed calls")
                elif lines:
                    r.note(f"{len(lines)} log lines for {sent} calls")
                r.peak_kib = s.peak_kib(case_t0)
            probes.charge(*rows)


# ---------------------------------------------------------------- 7. metrics cardinality

def attack_cardinality(logs, args):
    r = row("7 3,000 PERMISSION_DENIED calls, random model names",
            clean=[("PERMISSION_DENIED", "PERMISSION_DENIED")])
    folder = Path(tempfile.mkdtemp(prefix="prism-attack-"))
    try:
        token = "%032x" % random.Random(7).getrandbits(128)
        (folder / "tokens").write_text(f"{token} iris\n")
        with Group(logs, [r], limit_s=240) as g:
            s = g.start("cardinality", heap=args.heap, metrics=True, args=["--tokens-file", str(folder / "tokens")])
            auth = [("authorization", f"Bearer {token}")]
            rng = random.Random(11)
            names = []

            def denied(i):
                name = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(24))
                names.append(name)
                x = [tensor(DATA.iris[:1])]
                kind = i % 4
                if kind == 0:
                    fn = lambda d: s.explain.Explain(pb.ExplainRequest(model=name, inputs=x), timeout=d, metadata=auth)
                elif kind == 1:
                    fn = lambda d: stream_result(s.explain.StreamExplain(pb.ExplainRequest(model=name, inputs=x),
                                                                         timeout=d, metadata=auth))
                elif kind == 2:
                    fn = lambda d: s.models.Predict(model_pb.PredictRequest(model=name, inputs=x), timeout=d,
                                                    metadata=auth)
                else:
                    fn = lambda d: s.models.GetModel(model_pb.GetModelRequest(name=name), timeout=d, metadata=auth)
                return call(fn, 30)

            # The first denials of each method create their series (by gRPC method and status).
            for i in range(40):
                denied(i)
            ok = s.explain.Explain(iris_explain(), timeout=30, metadata=auth)
            before = s.scrape()
            rss_before = s.rss()
            with concurrent.futures.ThreadPoolExecutor(4) as pool:
                outcomes = list(pool.map(denied, range(3000)))
            for o in outcomes:
                r.count(o)
            after = s.scrape()
            added = len(after.splitlines()) - len(before.splitlines())
            leaked = sum(1 for n in names if n in after)
            r.note(f"/metrics: {len(before.splitlines())} lines ({len(before):,} bytes) before, "
                   f"{len(after.splitlines())} ({len(after):,} bytes) after; random names in /metrics: {leaked}; "
                   f"RSS {rss_before / 1024:.0f} -> {s.rss() / 1024:.0f} MiB; Explain with the token: "
                   f"{len(ok.explanations)} explanations")
            if added > 0 or leaked:
                r.fault(f"{added} /metrics lines added, {leaked} client names in /metrics")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# ---------------------------------------------------------------- 8. fairness

def attack_fairness(logs, args):
    flood = row("8 flood: 200 x kernel_shap 4 digits at once", clean=[("RESOURCE_EXHAUSTED", "QUEUE_FULL"),
                                                                      ("RESOURCE_EXHAUSTED", "MEMORY_EXHAUSTED")])
    iris = row("8 18 iris calls, 5 s deadline, during the flood", clean=[])
    with Group(logs, [flood, iris], limit_s=300) as g:
        s = g.start("fairness", heap=args.heap)
        # 200 requests of 4 instances x 2048 coalitions x 20 background rows: 33 million rows of
        # digits, about half a minute of the whole machine, 200 requests against 64 explain threads.
        request = pb.ExplainRequest(model="digits", inputs=[tensor(DATA.digit_rows(4, seed=8))])
        request.kernel_shap.nsamples = 2048
        channels = [s.new_channel() for _ in range(4)]
        stubs = [pb_grpc.ExplainServiceStub(c) for c in channels]
        flood_outcomes = []
        lock = threading.Lock()

        def ended(future, started):
            seconds = time.monotonic() - started
            try:
                o = Outcome("OK", value=future.result(), seconds=seconds, deadline=120)
            except grpc.RpcError as e:
                o = Outcome.of_error(e, seconds, 120)
            with lock:
                flood_outcomes.append(o)

        with Probes(s) as probes:
            t0 = time.monotonic()
            futures = []
            for i in range(200):
                f = stubs[i % 4].Explain.future(request, timeout=120)
                f.add_done_callback(lambda f, started=time.monotonic(): ended(f, started))
                futures.append(f)
            time.sleep(2)
            iris_outcomes = []
            for i in range(18):
                iris_outcomes.append(call(lambda d: s.explain.Explain(iris_explain(i), timeout=d), 5))
                time.sleep(0.5)
            for f in futures:
                try:
                    f.result()
                except grpc.RpcError:
                    pass
            flood_s = time.monotonic() - t0
            probes.charge(iris)
        time.sleep(0.5)  # the last done callbacks
        for o in iris_outcomes:
            iris.count(o, finite_explanations(3))
        for o in flood_outcomes:
            flood.count(o, finite_explanations(4 * 10))
        for c in channels:
            c.close()
        flood.note(f"the flood took {flood_s:.0f} s (deadline 120 s), default --explain-threads 64; "
                   f"slowest OK {max([o.seconds for o in flood_outcomes if o.code == 'OK'], default=0):.1f} s")
        iris.note("iris latencies: " + " ".join(f"{o.seconds:.2f}" for o in iris_outcomes) + " s")


# ---------------------------------------------------------------- 9. a slow reader

def attack_slow_reader(logs, args):
    r = row("9 slow StreamExplain reader, 1 event/s", clean=[])
    # Progress older than this when read is a backlog, not the latest snapshot.
    stale_limit = 10
    with Group(logs, [r], limit_s=300) as g:
        s = g.start("slow-reader", heap=args.heap)
        instances = DATA.digit_rows(10, seed=9)
        nsamples = 100_000
        request = pb.ExplainRequest(model="digits", inputs=[tensor(instances)])
        request.kernel_shap.nsamples = nsamples
        with Probes(s) as probes:
            # A plain gRPC client takes events into its transport ahead of a slow reader: its
            # flow-control window grows by bandwidth-delay probing (the default), and even without
            # probing 64 KiB hold several events. Prism's Python client reads the stream in the
            # background and hands over the newest state; the row is judged on it.
            for name, options in (("gRPC stub", []), ("gRPC stub without BDP probing", [("grpc.http2.bdp_probe", 0)])):
                channel = grpc.insecure_channel(s.target, options=CHANNEL_OPTIONS + options)
                stub = pb_grpc.ExplainServiceStub(channel)
                stale = []
                t0 = time.monotonic()

                def read(deadline):
                    result = None
                    for event in stub.StreamExplain(request, timeout=deadline):
                        now = time.monotonic() - t0
                        if event.HasField("result"):
                            result = event.result
                        elif now < 20:
                            # One event a second for 20 s, then the rest as fast as they come.
                            stale.append(now - event.progress.elapsed_seconds)
                            time.sleep(1)
                    return result

                o = call(read, 120)
                channel.close()
                r.count(o, finite_explanations(10 * 10))
                if stale:
                    r.note(f"{name}: {len(stale)} progress events read in the first 20 s, client time minus "
                           f"server elapsed: median {statistics.median(stale):.1f} s, max {max(stale):.1f} s "
                           f"(not judged)")
            path = logs / "slow-reader-instances.npy"
            np.save(path, instances)
            t0 = time.monotonic()
            done = subprocess.run([sys.executable, str(Path(__file__).parent / "slow_reader.py"), s.target, str(path),
                                   str(nsamples)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                  timeout=180)
            stale, end = [], None
            for line in done.stdout.splitlines():
                fields = line.split("\t")
                if fields[0] == "progress" and float(fields[1]) < 20:
                    stale.append(float(fields[1]) - float(fields[2]))
                elif fields[0] in ("result", "error"):
                    end = fields
            if end and end[0] == "result":
                r.count(Outcome("OK", value=end, seconds=float(end[1]), deadline=120),
                        lambda e: None if e[2] == "(10, 64, 10)" and e[3] == "True"
                        else f"result of shape {e[2]}, finite {e[3]}")
            elif end:
                r.count(Outcome(end[2], reason=end[3] if end[3] != "None" else None, seconds=float(end[1]),
                                deadline=120))
            else:
                r.fault(f"the Prism client's reader ended without a result: {done.stdout[-300:]!r}")
            if stale:
                r.note(f"Prism Python client: {len(stale)} progress items read in the first 20 s, client time "
                       f"minus server elapsed: median {statistics.median(stale):.1f} s, max {max(stale):.1f} s")
                if max(stale) > stale_limit:
                    r.fault(f"Prism Python client: progress read {max(stale):.1f} s stale (more than {stale_limit} s)")
            probes.charge(r)


# ---------------------------------------------------------------- 10. SIGHUP under nohup

def attack_sighup(logs, args):
    r = row("10 SIGHUP under nohup: ./prism serve", clean=[("SIGHUP", "UNAVAILABLE_SAID")])
    plain = row("10 SIGHUP under nohup: java -jar", clean=[("SIGHUP", "UNAVAILABLE_SAID")])
    opts = " ".join([f"-Xms{args.heap}", f"-Xmx{args.heap}"] if args.heap else [])
    for target, launcher in ((r, True), (plain, False)):
        repo = Path(tempfile.mkdtemp(prefix="prism-attack-"))
        try:
            shutil.copytree(MODELS / "iris", repo / "iris")
            env = dict(os.environ, PRISM_JAVA_OPTS=opts)
            if launcher:
                command = lambda serve: ["nohup", str(ROOT / "prism"), *serve]
            else:
                command = lambda serve: ["nohup", "java", *opts.split(), "-jar", str(JAR), *serve]
            with Group(logs, [target], limit_s=120) as g:
                s = g.start("sighup-launcher" if launcher else "sighup-java", repository=repo, command=command,
                            env=env)
                said = "SIGHUP is ignored" in s.log()
                # A new folder, renamed into place, then SIGHUP.
                shutil.copytree(MODELS / "breast_cancer", repo / ".added")
                os.rename(repo / ".added", repo / "added")
                os.kill(s.pid, signal.SIGHUP)
                served = None
                t0 = time.monotonic()
                while time.monotonic() - t0 < 15 and s.alive():
                    o = call(lambda d: s.models.GetModel(model_pb.GetModelRequest(name="added"), timeout=d), 5)
                    if o.code == "OK":
                        served = time.monotonic() - t0
                        break
                    time.sleep(0.2)
                if served is not None:
                    target.count(Outcome("OK"))
                    target.note(f"the added model served {served:.2f} s after SIGHUP")
                elif said:
                    target.count(Outcome("SIGHUP", reason="UNAVAILABLE_SAID"))
                    target.note("not reloaded; the server said at start: "
                                + next(line for line in s.log().splitlines() if "SIGHUP is ignored" in line)[:200])
                else:
                    target.count(Outcome("SIGHUP", reason="IGNORED",
                                         message="the model was not served 15 s after SIGHUP, and nothing was said"))
                if not s.alive():
                    target.hang(f"the server exited on SIGHUP (exit {s.process.returncode})")
        finally:
            shutil.rmtree(repo, ignore_errors=True)


# ---------------------------------------------------------------- 11. ONNX Runtime's arena

def attack_arena(logs, args):
    r = row("11 RSS after a large run, and 30 s later", clean=[])
    with Group(logs, [r], limit_s=180) as g:
        s = g.start("arena", heap=args.heap)
        # Warm: every model has run once, so what stays after the large run is the run's.
        s.explain.Explain(iris_explain(), timeout=60)
        x = DATA.digit_rows(10_000, seed=11)
        s.models.Predict(model_pb.PredictRequest(model="digits_cnn", inputs=[tensor(x[:100])]), timeout=60)
        time.sleep(2)
        before = s.rss()
        t0 = time.monotonic()
        with Probes(s) as probes:
            o = call(lambda d: s.models.Predict(model_pb.PredictRequest(model="digits_cnn", inputs=[tensor(x)]),
                                                timeout=d), 120)
            r.count(o, lambda p: None if np.isfinite(tensor_values(p.outputs[0])).all() else "outputs not finite")
            request = pb.ExplainRequest(model="digits_cnn", inputs=[tensor(x)], format=pb.FORMAT_COMPACT)
            request.saliency.SetInParent()
            o = call(lambda d: s.explain.Explain(request, timeout=d), 120)
            r.count(o, lambda e: None if np.isfinite(tensor_values(e.summary.attributions)).all()
                    else "attributions not finite")
            peak = s.peak_kib(t0)
            end = time.monotonic()
            time.sleep(30)
            later = s.rss()
            probes.charge(r)
        r.note(f"Predict of 10,000 digits_cnn rows, then saliency of the same: RSS before {before / 1024:.0f} MiB, "
               f"peak {peak / 1024:.0f} MiB, {later / 1024:.0f} MiB 30 s after "
               f"({(later - before) / 1024:+.0f} MiB kept of {(peak - before) / 1024:+.0f} MiB); run took "
               f"{end - t0:.1f} s")
        kept, grown = (later - before) / 1024, (peak - before) / 1024
        if kept > 64 and kept > grown / 2:
            r.fault(f"{kept:.0f} of the {grown:.0f} MiB the run took are still held 30 s later "
                    f"(more than half, and more than 64 MiB)")


# ---------------------------------------------------------------- 12. time_budget with many instances

def attack_time_budget(logs, args):
    r = row("12 time_budget 0.5 s, 10 breast_cancer rows, nsamples 20000", clean=[])
    with Group(logs, [r], limit_s=120) as g:
        s = g.start("time-budget", heap=args.heap)
        request = pb.ExplainRequest(model="breast_cancer", inputs=[tensor(DATA.cancer[:10])])
        request.kernel_shap.nsamples = 20_000
        request.time_budget.FromMilliseconds(500)
        s.explain.Explain(iris_explain(), timeout=60)  # warm

        def check(response):
            problem = finite_explanations(10 * 2)(response)
            if problem:
                return problem
            if not response.partial:
                return "not marked partial"
            return None

        with Probes(s) as probes:
            times = []
            for _ in range(3):
                o = call(lambda d: s.explain.Explain(request, timeout=d), 30)
                times.append(o.seconds)
                r.count(o, check)
                if o.code == "OK" and o.seconds > 1.5:
                    r.fault(f"answered after {o.seconds:.2f} s with a 0.5 s budget")
            probes.charge(r)
        r.note("answered in " + ", ".join(f"{t:.2f} s" for t in times))


# ---------------------------------------------------------------- overload

def without_times(response):
    r = pb.ExplainResponse()
    r.CopyFrom(response)
    r.ClearField("elapsed_seconds")
    for e in r.explanations:
        e.diagnostics.ClearField("elapsed_seconds")
    return r.SerializeToString(deterministic=True)


def overload_requests():
    requests = []
    for seed in range(1, 4):
        r = pb.ExplainRequest(model="breast_cancer", seed=seed, inputs=[tensor(DATA.cancer[seed - 1:seed])])
        r.kernel_shap.nsamples = 200
        requests.append(r)
        r = pb.ExplainRequest(model="iris", seed=seed, inputs=[tensor(DATA.iris[seed - 1:seed])])
        r.lime.num_samples = 500
        requests.append(r)
        r = pb.ExplainRequest(model="breast_cancer", seed=seed, inputs=[tensor(DATA.cancer[seed - 1:seed])])
        r.permutation_shap.npermutations = 4
        requests.append(r)
    return requests


def attack_overload(logs, args):
    threads, queue = 8, 64
    calls = 10 * (threads + queue)
    r = row(f"overload: {calls} StreamExplain at once, 10x capacity",
            clean=[("RESOURCE_EXHAUSTED", "QUEUE_FULL"), ("RESOURCE_EXHAUSTED", "MEMORY_EXHAUSTED")])
    with Group(logs, [r], limit_s=300) as g:
        s = g.start("overload", heap=args.heap, args=["--explain-threads", str(threads), "--explain-queue", str(queue),
                                                      "--explain-queue-wait-seconds", "5"])
        requests = overload_requests()
        expected = [without_times(stream_result(s.explain.StreamExplain(q, timeout=60))) for q in requests]
        channels = [s.new_channel() for _ in range(8)]
        stubs = [pb_grpc.ExplainServiceStub(c) for c in channels]

        def attempt(i):
            q = requests[i % len(requests)]
            o = call(lambda d: stream_result(stubs[i % len(stubs)].StreamExplain(q, timeout=d)), 60)
            return i, o

        def matches(i):
            return lambda response: None if response is not None and without_times(response) == expected[
                i % len(requests)] else "differs from the sequential run"

        threading.stack_size(512 << 10)
        with concurrent.futures.ThreadPoolExecutor(calls) as pool:
            firsts = list(pool.map(attempt, range(calls)))
            accepted = sorted(o.seconds for _, o in firsts if o.code == "OK")
            refused = []
            for i, o in firsts:
                r.count(o, matches(i))
                if o.code == "RESOURCE_EXHAUSTED":
                    refused.append(i)
            pending, retries, rounds = refused, 0, 0
            retry_problems = collections.Counter()
            while pending and rounds < 40:
                rounds += 1
                time.sleep(1)
                wave = list(pool.map(attempt, pending))
                retries += len(wave)
                still = []
                for i, o in wave:
                    if o.code == "OK":
                        problem = matches(i)(o.value)
                        if problem:
                            retry_problems[problem] += 1
                    elif o.code == "RESOURCE_EXHAUSTED" and o.retry is not None:
                        still.append(i)
                    else:
                        retry_problems[str(o)[:120]] += 1
                pending = still
        for c in channels:
            c.close()
        p50 = statistics.median(accepted) if accepted else float("nan")
        p99 = accepted[min(len(accepted) - 1, math.ceil(0.99 * len(accepted)) - 1)] if accepted else float("nan")
        r.note(f"--explain-threads {threads} --explain-queue {queue} --explain-queue-wait-seconds 5: "
               f"accepted {len(accepted)}, refused {len(refused)}; accepted p50 {p50 * 1000:.0f} ms, "
               f"p99 {p99 * 1000:.0f} ms; {retries} retries in {rounds} rounds, {len(pending)} still refused")
        if pending or retry_problems:
            with r.lock:
                r.wrong += len(pending) + sum(retry_problems.values())
                for k, n in retry_problems.items():
                    r.problems[f"retry: {k}"] += n
                if pending:
                    r.problems[f"{len(pending)} calls still refused after {rounds} retry rounds"] += 1


# ---------------------------------------------------------------- soak

def run_soak(args):
    r = row(f"soak: {args.soak_minutes:g} min mixed load with reloads", clean=[])
    cmd = [sys.executable, str(Path(__file__).parent / "soak.py"), "--minutes", f"{args.soak_minutes:g}",
           "--warmup-seconds", f"{args.soak_warmup_seconds:g}"]
    if args.heap:
        cmd += ["--heap", args.heap]
    t0 = time.monotonic()
    try:
        done = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              timeout=args.soak_minutes * 60 + 300)
        output, code = done.stdout, done.returncode
    except subprocess.TimeoutExpired as e:
        output, code = (e.stdout or b"").decode() if isinstance(e.stdout, bytes) else (e.stdout or ""), None
    by_code = {}
    in_codes = False
    for line in output.splitlines():
        if line.startswith("requests served"):
            in_codes = True
            continue
        m = re.match(r"^  (\S[^ ].*?)\s{2,}([\d,]+)$", line)
        if in_codes and m:
            by_code[m.group(1).strip()] = int(m.group(2).replace(",", ""))
        elif not line.startswith("    "):
            in_codes = False
        m = re.search(r"peak (\d+) MiB", line)
        if m:
            r.peak_kib = int(m.group(1)) * 1024
    with r.lock:
        r.tried = sum(n for c, n in by_code.items() if c != "SIGHUP")
        r.ok = by_code.get("OK", 0)
        r.clean = by_code.get("RESOURCE_EXHAUSTED", 0) + by_code.get("CANCELLED (by client)", 0)
        r.wrong = r.tried - r.ok - r.clean
    if code is None:
        r.hang("the soak did not end in time")
    elif code != 0:
        if "exited during the soak" in output:
            r.hang("the server exited during the soak")
        elif "resident memory grew" in output:
            r.note("resident memory grew past the soak's tolerance (see its output)")
        elif r.wrong == 0:
            r.hang(f"soak.py exited {code}")
    r.note(f"{by_code.get('SIGHUP', 0)} reloads under load; took {time.monotonic() - t0:.0f} s")
    return output


# ---------------------------------------------------------------- report

def print_table(total_s):
    width = max([len(r.name) for r in ROWS] + [6])
    header = (f"{'#':>2}  {'attack':{width}} {'tried':>6} {'OK':>6} {'clean':>6} {'lost':>5} {'wrong':>6} {'crash':>6}"
              f" {'peak RSS':>9}")
    print()
    print(header)
    print("-" * len(header))
    for i, r in enumerate(ROWS, 1):
        peak = f"{r.peak_kib / 1024:.0f} MiB" if r.peak_kib else "-"
        print(f"{i:>2}  {r.name:{width}} {r.tried:>6} {r.ok:>6} {r.clean:>6} {r.lost:>5} {r.wrong:>6} {r.crash:>6} "
              f"{peak:>9}{'  FAIL' if r.failed() else ''}")
    print()
    for i, r in enumerate(ROWS, 1):
        for n in r.notes:
            print(f"{i:>2}  {n}")
        for p, n in r.problems.most_common(5):
            print(f"{i:>2}  ! {p}" + (f"  (x{n})" if n > 1 else ""))
    failed = [i for i, r in enumerate(ROWS, 1) if r.failed()]
    print()
    print(f"attack: {len(ROWS)} rows in {total_s / 60:.1f} min; "
          + (f"rows with lost, wrong or crash/hang: {', '.join(map(str, failed))}" if failed
             else "no row lost, wrong, crashed or hung"))
    return not failed


def main():
    global DATA
    args = parse_args()
    DATA = Data()
    if args.child_streams:
        child_streams(args)
        return
    if args.child_probes:
        child_probes(args)
        return
    attacks = [("1", attack_unread_streams), ("2", attack_model_error), ("3", attack_l1_nonfinite),
               ("4", attack_kmeans), ("5", attack_killed_client), ("6", attack_bad_input),
               ("7", attack_cardinality), ("8", attack_fairness), ("9", attack_slow_reader),
               ("10", attack_sighup), ("11", attack_arena), ("12", attack_time_budget),
               ("overload", attack_overload)]
    only = set(filter(None, args.only.split(",")))
    logs = Path(tempfile.mkdtemp(prefix="prism-attack-logs-"))
    t0 = time.monotonic()
    print(f"attack: fresh servers from {JAR.relative_to(ROOT)} on 127.0.0.1, heap {args.heap or 'JVM default'}, "
          f"{os.cpu_count()} CPUs", flush=True)
    for key, attack in attacks:
        if only and key not in only:
            continue
        t = time.monotonic()
        first = len(ROWS)
        attack(logs, args)
        print(f"  attack {key}: {time.monotonic() - t:.0f} s, load average {os.getloadavg()[0]:.1f}  "
              + "; ".join(f"{r.name}: {r.ok} OK, {r.clean} clean, {r.lost} lost, {r.wrong} wrong, {r.crash} crash/hang"
                          for r in ROWS[first:]), flush=True)
    soak_output = None
    if args.soak_minutes > 0 and (not only or "soak" in only):
        soak_output = run_soak(args)
    passed = print_table(time.monotonic() - t0)
    if soak_output is not None:
        print()
        print(f"bench/soak.sh --minutes {args.soak_minutes:g} --warmup-seconds {args.soak_warmup_seconds:g}:")
        print(soak_output.rstrip())
    if args.keep_logs:
        print(f"server logs: {logs}")
    else:
        shutil.rmtree(logs, ignore_errors=True)
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
