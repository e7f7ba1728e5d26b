"""A third-party gRPC client (grpcio + grpcio-status) that decodes a Node server's rich status.

Run: python echo_client.py GENERATED_DIR TARGET CASE... ; a CASE is `method:fail` (method Say or
SayMany). Prints one JSON object per case on stdout, as grpcio-status reads the answer.
"""

import json
import sys

import grpc
from google.protobuf.message import DecodeError
from google.rpc import error_details_pb2
from grpc_status import rpc_status

sys.path.insert(0, sys.argv[1])
import echo_pb2  # noqa: E402  (generated at test time)
import echo_pb2_grpc  # noqa: E402


def describe(details):
    out = {}
    for holder in details:
        for name, cls in (
            ("errorInfo", error_details_pb2.ErrorInfo),
            ("retryInfo", error_details_pb2.RetryInfo),
            ("debugInfo", error_details_pb2.DebugInfo),
        ):
            if holder.Is(cls.DESCRIPTOR):
                message = cls()
                holder.Unpack(message)
                if name == "errorInfo":
                    out[name] = {
                        "reason": message.reason,
                        "domain": message.domain,
                        "metadata": dict(message.metadata),
                    }
                elif name == "retryInfo":
                    delay = message.retry_delay
                    out[name] = {"retryDelayMs": delay.seconds * 1000 + delay.nanos // 1_000_000}
                else:
                    out[name] = {"stackEntries": list(message.stack_entries), "detail": message.detail}
    return out


def run(stub, case):
    method, _, fail = case.partition(":")
    request = echo_pb2.SayRequest(text="hi", fail=fail, before=2)
    result = {"case": case}
    try:
        if method == "SayMany":
            replies = result["replies"] = []  # filled as they come: the ones before a failure count
            for reply in stub.SayMany(request, timeout=30):
                replies.append(reply.text)
        else:
            result["reply"] = stub.Say(request, timeout=30).text
        result["code"] = "OK"
    except grpc.RpcError as call:
        result["code"] = call.code().name
        result["details"] = call.details()
        try:
            status = rpc_status.from_call(call)
        except (ValueError, DecodeError) as exc:  # disagrees with the status, or not a Status at all
            result["fromCallError"] = "%s: %s" % (type(exc).__name__, exc)
            status = None
        if status is not None:
            result["status"] = {"code": status.code, "message": status.message, **describe(status.details)}
    return result


def main():
    generated, target, cases = sys.argv[1], sys.argv[2], sys.argv[3:]
    with grpc.insecure_channel(target) as channel:
        stub = echo_pb2_grpc.EchoStub(channel)
        for case in cases:
            print(json.dumps(run(stub, case)), flush=True)


if __name__ == "__main__":
    main()
