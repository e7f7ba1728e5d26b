"""A third-party gRPC server (grpcio + grpcio-status) answering rich status details.

Run: python echo_server.py GENERATED_DIR. Binds 127.0.0.1 on a free port and prints `PORT <n>`.
The request's `fail` field picks the status; the shapes are the ones the interop test expects.
"""

import signal
import sys
import threading
from concurrent import futures

import grpc
from google.protobuf import any_pb2, duration_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

sys.path.insert(0, sys.argv[1])
import echo_pb2  # noqa: E402  (generated at test time)
import echo_pb2_grpc  # noqa: E402

DOMAIN = "echo.python.test"
GARBAGE = b"\x0a\xff\xff\xff\x0fnot a status"


def packed(message):
    holder = any_pb2.Any()
    holder.Pack(message)
    return holder


def retry_info(seconds, nanos=0):
    return error_details_pb2.RetryInfo(retry_delay=duration_pb2.Duration(seconds=seconds, nanos=nanos))


def rich(code, message, *details):
    return status_pb2.Status(code=code, message=message, details=[packed(d) for d in details])


# fail name -> a google.rpc.Status, as a Python service would build it with grpcio-status.
STATUSES = {
    # A foreign reason and domain, with a retry delay: what Google-style APIs send.
    "quota": lambda: rich(
        code_pb2.RESOURCE_EXHAUSTED,
        "quota exceeded for echo",
        error_details_pb2.ErrorInfo(reason="QUOTA_EXCEEDED", domain=DOMAIN, metadata={"limit": "10"}),
        retry_info(2, 500_000_000),
    ),
    # A reason that names one of Faultline's built-in codes.
    "not_found": lambda: rich(
        code_pb2.NOT_FOUND,
        "no such echo",
        error_details_pb2.ErrorInfo(reason="NOT_FOUND", domain=DOMAIN),
    ),
    # Only a RetryInfo: the code comes from the status.
    "unavailable": lambda: rich(code_pb2.UNAVAILABLE, "echo is draining", retry_info(1)),
    # Faultline's own ErrorInfo metadata convention, written by hand in another language.
    "faultline": lambda: rich(
        code_pb2.ABORTED,
        "version conflict",
        error_details_pb2.ErrorInfo(
            reason="CONFLICT",
            domain="inventory",
            metadata={
                "code": "conflict",
                "category": "conflict",
                "severity": "high",
                "retryable": "true",
                "correlationId": "4bf92f3577b34da6a3ce929d0e0e4736",
                "service": "inventory",
            },
        ),
        retry_info(0, 250_000_000),
    ),
}


class Echo(echo_pb2_grpc.EchoServicer):
    def _fail(self, request, context):
        if request.fail == "plain":
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "text must not be empty")
        if request.fail == "garbage":
            # Not a google.rpc.Status: a length-delimited field whose length runs past the end.
            context.set_trailing_metadata((("grpc-status-details-bin", GARBAGE),))
            context.abort(grpc.StatusCode.INTERNAL, "garbage details")
        make = STATUSES.get(request.fail)
        if make is not None:
            context.abort_with_status(rpc_status.to_status(make()))

    def Say(self, request, context):
        self._fail(request, context)
        return echo_pb2.SayReply(text=request.text)

    def SayMany(self, request, context):
        for i in range(request.before):
            yield echo_pb2.SayReply(text="%s %d" % (request.text, i))
        self._fail(request, context)


def main():
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    echo_pb2_grpc.add_EchoServicer_to_server(Echo(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print("PORT %d" % port, flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    # Also stop when the parent goes away (stdin closes), so a crashed test leaves no server behind.
    threading.Thread(target=lambda: (sys.stdin.read(), done.set()), daemon=True).start()
    done.wait()
    server.stop(grace=0.5).wait()


if __name__ == "__main__":
    main()
