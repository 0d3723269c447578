"""String, number and network functions of the static evaluator (see ``evaluate_functions``).

``format`` understands the verbs Terraform configurations use (``%s %d %f %v
%q %t %x %%`` with flags, width and precision); a verb it does not know makes
the call unknown rather than a wrong string.  ``replace`` with a ``/regex/`` is
not evaluated (Go and Python regular expressions differ in details).
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote_plus

from auditd.collectors.terraform.evaluate_values import (
    EvalError,
    NotEvaluated,
    is_number,
    jsonencode,
    to_number,
    to_string,
)

__all__ = ["STRING_FUNCTIONS"]

Function = Callable[..., Any]
_VERB = re.compile(r"%([-+ #0]*)(\d+)?(?:\.(\d+))?([a-zA-Z%])")


def _format(spec: Any, *args: Any) -> str:
    text, values = to_string(spec), list(args)
    out: list[str] = []
    position = 0
    for match in _VERB.finditer(text):
        out.append(text[position:match.start()])
        position = match.end()
        flags, width, precision, verb = match.groups()
        if verb == "%":
            out.append("%")
            continue
        if not values:
            raise EvalError(f"format(): too few arguments for {text!r}")
        out.append(_verb(values.pop(0), flags, width, precision, verb))
    out.append(text[position:])
    if values:
        raise EvalError(f"format(): too many arguments for {text!r}")
    return "".join(out)


def _verb(value: Any, flags: str, width: str | None, precision: str | None, verb: str) -> str:
    if verb == "d":
        body = str(int(to_number(value)))
    elif verb in "fFeg":
        python_verb = "f" if verb == "F" else verb
        body = f"{float(to_number(value)):.{precision or 6}{python_verb}}"
    elif verb == "s":
        body = to_string(value)
    elif verb == "v":
        body = to_string(value) if not isinstance(value, list | dict) else jsonencode(value)
    elif verb == "q":
        body = jsonencode(to_string(value))
    elif verb == "t":
        body = to_string(value) if isinstance(value, bool) else _bad(verb, value)
    elif verb in "xX":
        number = int(to_number(value)) if is_number(value) else None
        body = format(number, verb) if number is not None else to_string(value).encode().hex()
    else:
        raise NotEvaluated(f"format verb %{verb}")
    if verb == "s" and precision:
        body = body[:int(precision)]
    return _pad(body, flags, int(width or 0))


def _bad(verb: str, value: Any) -> str:
    raise EvalError(f"format(): %{verb} cannot format {value!r}")


def _pad(body: str, flags: str, width: int) -> str:
    if len(body) >= width:
        return body
    if "-" in flags:
        return body.ljust(width)
    if "0" in flags and body.lstrip("-").replace(".", "").isdigit():
        sign = "-" if body.startswith("-") else ""
        return sign + body.lstrip("-").rjust(width - len(sign), "0")
    return body.rjust(width)


def _formatlist(spec: Any, *args: Any) -> list[str]:
    lengths = {len(a) for a in args if isinstance(a, list)}
    if len(lengths) > 1:
        raise EvalError("formatlist(): list arguments must have the same length")
    count = lengths.pop() if lengths else 1
    return [_format(spec, *[a[i] if isinstance(a, list) else a for a in args])
            for i in range(count)]


def _join(separator: Any, *lists: Any) -> str:
    items = [v for item in lists for v in (item if isinstance(item, list) else [item])]
    return to_string(separator).join(to_string(v) for v in items)


def _replace(text: Any, search: Any, replacement: Any) -> str:
    pattern = to_string(search)
    if len(pattern) > 1 and pattern.startswith("/") and pattern.endswith("/"):
        raise NotEvaluated("regular-expression replace")
    return to_string(text).replace(pattern, to_string(replacement))


def _substr(text: Any, offset: Any, length: Any) -> str:
    value, start, size = to_string(text), int(to_number(offset)), int(to_number(length))
    if start < 0:
        start = max(len(value) + start, 0)
    return value[start:] if size < 0 else value[start:start + size]


def _title(text: Any) -> str:
    return re.sub(r"(^|[^\w'])(\w)", lambda m: m.group(1) + m.group(2).upper(), to_string(text))


def _indent(spaces: Any, text: Any) -> str:
    pad = " " * int(to_number(spaces))
    lines = to_string(text).split("\n")
    return "\n".join([lines[0], *[pad + line if line else line for line in lines[1:]]])


def _network(prefix: Any) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    return ipaddress.ip_network(to_string(prefix), strict=False)


def _cidrsubnet(prefix: Any, newbits: Any, netnum: Any) -> str:
    network, bits, number = _network(prefix), int(to_number(newbits)), int(to_number(netnum))
    length = network.prefixlen + bits
    if bits < 0 or length > network.max_prefixlen or not 0 <= number < 2 ** bits:
        raise EvalError(f"cannot make subnet {number} of {bits} more bits in {network}")
    base = int(network.network_address) + (number << (network.max_prefixlen - length))
    return f"{ipaddress.ip_address(base) if network.version == 4 else _v6(base)}/{length}"


def _v6(value: int) -> ipaddress.IPv6Address:
    return ipaddress.IPv6Address(value)


def _cidrsubnets(prefix: Any, *newbits: Any) -> list[str]:
    network = _network(prefix)
    start, out = int(network.network_address), []
    for bits in (int(to_number(b)) for b in newbits):
        length = network.prefixlen + bits
        size = 2 ** (network.max_prefixlen - length)
        start = -(-start // size) * size  # align up to the subnet size
        number = (start - int(network.network_address)) // size
        out.append(_cidrsubnet(prefix, bits, number))
        start += size
    return out


def _cidrhost(prefix: Any, hostnum: Any) -> str:
    network, number = _network(prefix), int(to_number(hostnum))
    if not -network.num_addresses <= number < network.num_addresses:
        raise EvalError(f"host number {number} is outside {network}")
    base = network.network_address if number >= 0 else network.broadcast_address + 1
    return str(base + number)


def _number(function: Callable[[float], float]) -> Function:
    return lambda value: _whole(function(to_number(value)))


def _whole(value: float) -> int | float:
    return int(value) if isinstance(value, float) and value.is_integer() else value


STRING_FUNCTIONS: dict[str, tuple[Function, bool]] = {
    "format": (_format, False),
    "formatlist": (_formatlist, False),
    "join": (_join, False),
    "split": (lambda sep, text: to_string(text).split(to_string(sep)), False),
    "lower": (lambda text: to_string(text).lower(), False),
    "upper": (lambda text: to_string(text).upper(), False),
    "title": (_title, False),
    "replace": (_replace, False),
    "substr": (_substr, False),
    "trim": (lambda text, chars: to_string(text).strip(to_string(chars)), False),
    "trimprefix": (lambda text, p: to_string(text).removeprefix(to_string(p)), False),
    "trimsuffix": (lambda text, s: to_string(text).removesuffix(to_string(s)), False),
    "trimspace": (lambda text: to_string(text).strip(), False),
    "chomp": (lambda text: to_string(text).rstrip("\r\n"), False),
    "indent": (_indent, False),
    "strrev": (lambda text: to_string(text)[::-1], False),
    "startswith": (lambda text, p: to_string(text).startswith(to_string(p)), False),
    "endswith": (lambda text, s: to_string(text).endswith(to_string(s)), False),
    "strcontains": (lambda text, s: to_string(s) in to_string(text), False),
    "urlencode": (lambda text: quote_plus(to_string(text), safe="~"), False),
    "abs": (_number(abs), False),
    "ceil": (_number(math.ceil), False),
    "floor": (_number(math.floor), False),
    "signum": (_number(lambda v: (v > 0) - (v < 0)), False),
    "max": (lambda *values: max(to_number(v) for v in values), False),
    "min": (lambda *values: min(to_number(v) for v in values), False),
    "pow": (lambda a, b: _whole(float(to_number(a)) ** to_number(b)), False),
    "parseint": (lambda text, base: int(to_string(text), int(to_number(base))), False),
    "cidrsubnet": (_cidrsubnet, False),
    "cidrsubnets": (_cidrsubnets, False),
    "cidrhost": (_cidrhost, False),
    "cidrnetmask": (lambda prefix: str(ipaddress.IPv4Network(to_string(prefix),
                                                             strict=False).netmask), False),
}
