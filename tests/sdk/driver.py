#!/usr/bin/env python3
"""Drives a running livecut server through the official Alibaba Cloud IMS SDK.

The Rust tests (livecut-testkit's sdk.rs) start this once and talk to it over
stdin/stdout, one JSON object per line each way. Every API call goes through
the unmodified SDK client, so a passing test means a real customer's code would
work against livecut. The only deviations are the opt-in "tamper" hooks, which
patch the SDK's own signing helpers for a single call so that each
authentication failure can be produced through the SDK too.

Command:  {"op": "submit_live_editing_job" | "get_live_editing_job" | "get_media_info"
                 | "get_live_editing_index_file",
           "endpoint": "127.0.0.1:PORT", "access_key_id": ..., "access_key_secret": ...,
           "signature": "v3" | "v1", "params": {<wire name>: <string>}, "tamper": null | {...}}
          {"op": "call_action", "action": "<any action>", ...same fields...}
              (the SDK's generic call_api, exactly as its generated methods use it, for
              actions the SDK has no model for, e.g. to see InvalidAction.NotFound)
          {"op": "ping"}
Reply:    {"ok": true, "status": 200, "body": {...}}
          {"ok": false, "code": ..., "status": ..., "message": ..., "request_id": ..., "data": ...}
"""

from __future__ import annotations

import contextlib
import copy
import datetime
import json
import os
import sys
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

# The driver only ever talks to loopback servers, and the SDK sends requests
# through HTTP(S)_PROXY without honouring NO_PROXY, so a CI proxy setting would
# otherwise divert test traffic.
for _proxy_var in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"):
    os.environ.pop(_proxy_var, None)

from alibabacloud_ice20201109 import models as ice_models  # noqa: E402
from alibabacloud_ice20201109.client import Client  # noqa: E402
from alibabacloud_tea_openapi import utils_models as open_api_util_models  # noqa: E402
from alibabacloud_tea_openapi.models import Config  # noqa: E402
from alibabacloud_tea_openapi.utils import Utils  # noqa: E402
from darabonba.runtime import RuntimeOptions  # noqa: E402
from Tea.exceptions import TeaException  # noqa: E402


class DriverError(Exception):
    """A malformed command; reported with code "DriverError"."""


def _int_param(name: str, value: str) -> int:
    try:
        return int(value)
    except ValueError as e:
        raise DriverError(f"{name} must be an integer, got {value!r}") from e


def _bool_param(name: str, value: str) -> bool:
    if value not in ("true", "false"):
        raise DriverError(f"{name} must be true or false, got {value!r}")
    return value == "true"


def _text(_name: str, value: str) -> str:
    return value


def _fields(**fields: Any) -> Dict[str, Tuple[str, Callable[[str, str], Any]]]:
    """Wire name -> (model field, converter); a bare field name means a string."""
    out = {}
    for wire, spec in fields.items():
        out[wire] = spec if isinstance(spec, tuple) else (spec, _text)
    return out


# op -> (request model, client method, {wire name: (model field, converter)})
_OPS: Dict[str, Tuple[Optional[type], str, Dict[str, Tuple[str, Callable[[str, str], Any]]]]] = {
    "submit_live_editing_job": (
        ice_models.SubmitLiveEditingJobRequest,
        "submit_live_editing_job",
        {
            "Clips": ("clips", lambda _n, v: v),
            "LiveStreamConfig": ("live_stream_config", lambda _n, v: v),
            "MediaProduceConfig": ("media_produce_config", lambda _n, v: v),
            "OutputMediaConfig": ("output_media_config", lambda _n, v: v),
            "OutputMediaTarget": ("output_media_target", lambda _n, v: v),
            "ProjectId": ("project_id", lambda _n, v: v),
            "UserData": ("user_data", lambda _n, v: v),
        },
    ),
    "get_live_editing_job": (
        ice_models.GetLiveEditingJobRequest,
        "get_live_editing_job",
        {"JobId": ("job_id", lambda _n, v: v)},
    ),
    "get_media_info": (
        ice_models.GetMediaInfoRequest,
        "get_media_info",
        {
            "MediaId": ("media_id", lambda _n, v: v),
            "InputURL": ("input_url", lambda _n, v: v),
            "OutputType": ("output_type", lambda _n, v: v),
            "AuthTimeout": ("auth_timeout", _int_param),
            "ReturnDetailedInfo": ("return_detailed_info", lambda _n, v: v),
        },
    ),
    "set_event_callback": (
        ice_models.SetEventCallbackRequest,
        "set_event_callback",
        {
            "AuthKey": ("auth_key", lambda _n, v: v),
            "AuthSwitch": ("auth_switch", lambda _n, v: v),
            "CallbackQueueName": ("callback_queue_name", lambda _n, v: v),
            "CallbackType": ("callback_type", lambda _n, v: v),
            "CallbackURL": ("callback_url", lambda _n, v: v),
            "EventTypeList": ("event_type_list", lambda _n, v: v),
        },
    ),
    # GetEventCallback takes no request: the client method is called without one.
    "get_event_callback": (None, "get_event_callback", {}),
    "get_live_editing_index_file": (
        ice_models.GetLiveEditingIndexFileRequest,
        "get_live_editing_index_file",
        {
            "AppName": ("app_name", lambda _n, v: v),
            "DomainName": ("domain_name", lambda _n, v: v),
            "ProjectId": ("project_id", lambda _n, v: v),
            "StreamName": ("stream_name", lambda _n, v: v),
        },
    ),
}

_OPS.update({
    "create_editing_project": (
        ice_models.CreateEditingProjectRequest,
        "create_editing_project",
        _fields(BusinessConfig="business_config", ClipsParam="clips_param", CoverURL="cover_url",
                Description="description", ProjectType="project_type", TemplateId="template_id",
                TemplateType="template_type", Timeline="timeline", Title="title"),
    ),
    "get_editing_project": (
        ice_models.GetEditingProjectRequest,
        "get_editing_project",
        _fields(ProjectId="project_id", RequestSource="request_source"),
    ),
    "update_editing_project": (
        ice_models.UpdateEditingProjectRequest,
        "update_editing_project",
        _fields(BusinessStatus="business_status", ClipsParam="clips_param", CoverURL="cover_url",
                Description="description", ProjectId="project_id", TemplateId="template_id",
                Timeline="timeline", Title="title"),
    ),
    # The SDK models MaxResults of this request as a string.
    "list_editing_projects": (
        ice_models.ListEditingProjectsRequest,
        "list_editing_projects",
        _fields(CreateSource="create_source", EndTime="end_time", Keyword="keyword",
                MaxResults="max_results", NextToken="next_token", ProjectType="project_type",
                SortBy="sort_by", StartTime="start_time", Status="status",
                TemplateType="template_type"),
    ),
    "delete_editing_projects": (
        ice_models.DeleteEditingProjectsRequest,
        "delete_editing_projects",
        _fields(ProjectIds="project_ids"),
    ),
    "list_media_basic_infos": (
        ice_models.ListMediaBasicInfosRequest,
        "list_media_basic_infos",
        _fields(AuthTimeout=("auth_timeout", _int_param), BusinessType="business_type",
                EndTime="end_time", IncludeFileBasicInfo=("include_file_basic_info", _bool_param),
                MaxResults=("max_results", _int_param), MediaId="media_id",
                MediaType="media_type", NextToken="next_token", SortBy="sort_by",
                Source="source", StartTime="start_time", Status="status"),
    ),
    "delete_media_infos": (
        ice_models.DeleteMediaInfosRequest,
        "delete_media_infos",
        _fields(DeletePhysicalFiles=("delete_physical_files", _bool_param),
                InputURLs="input_urls", MediaIds="media_ids"),
    ),
    "update_media_info": (
        ice_models.UpdateMediaInfoRequest,
        "update_media_info",
        _fields(AppendTags=("append_tags", _bool_param), BusinessType="business_type",
                CateId=("cate_id", _int_param), Category="category", CoverURL="cover_url",
                Description="description", InputURL="input_url", MediaId="media_id",
                MediaTags="media_tags", ReferenceId="reference_id", Title="title",
                UserData="user_data"),
    ),
})

_clients: Dict[Tuple[str, str, str, str], Client] = {}


def _client(cmd: Dict[str, Any]) -> Client:
    signature = cmd.get("signature", "v3")
    if signature not in ("v3", "v1"):
        raise DriverError(f"signature must be v3 or v1, got {signature!r}")
    key = (cmd["endpoint"], cmd["access_key_id"], cmd["access_key_secret"], signature)
    client = _clients.get(key)
    if client is None:
        config = Config(
            access_key_id=cmd["access_key_id"],
            access_key_secret=cmd["access_key_secret"],
            endpoint=cmd["endpoint"],
            protocol="http",
        )
        if signature == "v1":
            # The SDK calls the legacy HMAC-SHA1 RPC signature "v2".
            config.signature_algorithm = "v2"
        client = Client(config)
        _clients[key] = client
    return client


def _skewed_timestamp(offset_s: float) -> str:
    when = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=offset_s)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


@contextlib.contextmanager
def _tampered(tamper: Optional[Dict[str, Any]], signature: str) -> Iterator[None]:
    """Temporarily replaces the SDK's signing helpers (static methods of
    alibabacloud_tea_openapi.utils.Utils, used by both the V3 and the RPC path)."""
    if not tamper:
        yield
        return
    if not isinstance(tamper, dict):
        raise DriverError("tamper must be null or an object")
    known = {"date_offset_s", "timestamp", "fixed_nonce", "authorization", "drop_signed_header"}
    unknown = set(tamper) - known
    if unknown:
        raise DriverError(f"unknown tamper keys {sorted(unknown)}")
    if signature != "v3" and ({"authorization", "drop_signed_header"} & set(tamper)):
        raise DriverError("authorization/drop_signed_header tampering only applies to signature v3")

    saved = {name: Utils.__dict__[name] for name in ("get_timestamp", "get_nonce", "get_authorization")}
    original_authorization = Utils.get_authorization
    try:
        if "date_offset_s" in tamper:
            offset = float(tamper["date_offset_s"])
            Utils.get_timestamp = staticmethod(lambda: _skewed_timestamp(offset))
        if "timestamp" in tamper:
            literal = str(tamper["timestamp"])
            Utils.get_timestamp = staticmethod(lambda: literal)
        if "fixed_nonce" in tamper:
            nonce = str(tamper["fixed_nonce"])
            Utils.get_nonce = staticmethod(lambda: nonce)
        if "authorization" in tamper:
            header = str(tamper["authorization"])
            Utils.get_authorization = staticmethod(lambda *_args: header)
        elif "drop_signed_header" in tamper:
            dropped = str(tamper["drop_signed_header"]).lower()

            # The header is still sent; only the signature (and its SignedHeaders
            # list) leaves it out, which is what a server must refuse.
            def sign_without(request, sign_type, payload, ak, secret):
                reduced = copy.copy(request)
                reduced.headers = {k: v for k, v in request.headers.items() if k.lower() != dropped}
                return original_authorization(reduced, sign_type, payload, ak, secret)

            Utils.get_authorization = staticmethod(sign_without)
        yield
    finally:
        for name, value in saved.items():
            setattr(Utils, name, value)


def _call(cmd: Dict[str, Any]) -> Dict[str, Any]:
    op = cmd.get("op")
    if op == "ping":
        return {"ok": True}
    if op == "call_action":
        return _call_action(cmd)
    if op not in _OPS:
        raise DriverError(f"unknown op {op!r}")
    for field in ("endpoint", "access_key_id", "access_key_secret"):
        if not isinstance(cmd.get(field), str):
            raise DriverError(f"{field} must be a string")
    model, method, fields = _OPS[op]
    params = cmd.get("params") or {}
    kwargs = {}
    for wire, value in params.items():
        if wire not in fields:
            raise DriverError(f"{op} has no parameter {wire!r}; known: {sorted(fields)}")
        if not isinstance(value, str):
            raise DriverError(f"parameter {wire} must be a string")
        field, convert = fields[wire]
        kwargs[field] = convert(wire, value)
    client = _client(cmd)
    with _tampered(cmd.get("tamper"), cmd.get("signature", "v3")):
        if model is None:
            response = getattr(client, method)()
        else:
            response = getattr(client, method)(model(**kwargs))
    body = response.body.to_map() if response.body is not None else None
    return {"ok": True, "status": response.status_code, "body": body}


def _call_action(cmd: Dict[str, Any]) -> Dict[str, Any]:
    action = cmd.get("action")
    if not isinstance(action, str) or not action:
        raise DriverError("call_action needs an action")
    params = cmd.get("params") or {}
    request = open_api_util_models.OpenApiRequest(query=Utils.query(dict(params)))
    spec = open_api_util_models.Params(
        action=action, version="2020-11-09", protocol="HTTPS", pathname="/", method="POST",
        auth_type="AK", style="RPC", req_body_type="formData", body_type="json")
    client = _client(cmd)
    with _tampered(cmd.get("tamper"), cmd.get("signature", "v3")):
        response = client.call_api(spec, request, RuntimeOptions())
    return {"ok": True, "status": response.get("statusCode"), "body": response.get("body")}


def _cause_chain(e: BaseException) -> List[BaseException]:
    chain = []
    current: Optional[BaseException] = e
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def _sdk_error(e: TeaException) -> Dict[str, Any]:
    status = getattr(e, "status_code", None) or getattr(e, "statusCode", None) or 0
    message = e.message if e.message is not None else str(e)
    inner = getattr(e, "inner_exception", None)
    if e.code or inner is None:
        return {
            "ok": False,
            "code": str(e.code or type(e).__name__),
            "status": status,
            "message": message,
            "request_id": getattr(e, "request_id", None),
            "data": e.data,
        }
    # Transport failures arrive as UnretryableException(RetryError(...)) without
    # a code; the root cause (e.g. ConnectionRefusedError) is what a test asserts on.
    chain = _cause_chain(inner)
    return {
        "ok": False,
        "code": type(chain[-1]).__name__,
        "status": status,
        "message": message,
        "request_id": None,
        "data": {"chain": [type(x).__name__ for x in chain]},
    }


def _other_error(code: str, e: BaseException) -> Dict[str, Any]:
    return {"ok": False, "code": code, "status": 0, "message": str(e), "request_id": None, "data": None}


def handle(line: str) -> Dict[str, Any]:
    try:
        cmd = json.loads(line)
        if not isinstance(cmd, dict):
            raise DriverError("a command must be a JSON object")
        return _call(cmd)
    except DriverError as e:
        return _other_error("DriverError", e)
    except json.JSONDecodeError as e:
        return _other_error("DriverError", e)
    except TeaException as e:
        return _sdk_error(e)
    except Exception as e:  # noqa: BLE001 - every failure must become a reply, never a dead driver
        return _other_error(type(e).__name__, e)


def main() -> int:
    replies = sys.stdout
    # Anything the SDK prints must not corrupt the reply stream.
    sys.stdout = sys.stderr
    for line in sys.stdin:
        if not line.strip():
            continue
        reply = handle(line)
        replies.write(json.dumps(reply, ensure_ascii=False, default=str) + "\n")
        replies.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
