#!/usr/bin/python3
"""Independent DKIM check for tests: Debian's python3-dkim (dkimpy) verifies every DKIM-Signature
of a message, asking the test DNS server for the keys over UDP on loopback.

usage: dkim-verify.py MESSAGE-FILE DNS-IP DNS-PORT
prints one JSON line: [{"d": ..., "s": ..., "a": ..., "c": ..., "pass": true|false, "reason": ...}, ...]
"""
import json
import sys

import dkim
import dns.message
import dns.query
import dns.rdatatype


def main():
    path, ip, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    message = open(path, 'rb').read()

    def dnsfunc(name, timeout=5):
        if isinstance(name, bytes):
            name = name.decode('ascii')
        reply = dns.query.udp(dns.message.make_query(name, dns.rdatatype.TXT), ip, port=port, timeout=timeout)
        for rrset in reply.answer:
            if rrset.rdtype == dns.rdatatype.TXT:
                for rdata in rrset:
                    return b''.join(rdata.strings)
        return None

    d = dkim.DKIM(message)
    out = []
    signatures = [value for name, value in d.headers if name.lower() == b'dkim-signature']
    for i, value in enumerate(signatures):
        tags = dkim.util.parse_tag_value(value)
        try:
            ok, reason = bool(d.verify(idx=i, dnsfunc=dnsfunc)), ''
        except dkim.DKIMException as e:  # dkimpy raises for a body hash mismatch
            ok, reason = False, str(e)
        out.append({k: tags.get(k.encode(), b'').decode() for k in ('d', 's', 'a', 'c', 'i')} | {'pass': ok, 'reason': reason})
    print(json.dumps(out))


main()
