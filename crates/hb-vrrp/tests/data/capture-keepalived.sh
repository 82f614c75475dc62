#!/usr/bin/env bash
# One-off capture of real keepalived adverts for tests/golden_keepalived.rs (run as root;
# needs keepalived, tshark, python3). Makes two private network namespaces joined by a
# veth pair in 10.99.70.0/24 (the second only answers ARP for the unicast peer), runs
# keepalived 2.2.7 in the first alone (so every instance becomes master), records ~8 s of VRRP, stops keepalived with SIGTERM (priority-0 adverts) and
# writes one line per distinct advert: `name src dst ttl hex-payload`. Everything it created
# is removed on exit, also on failure.
# Usage: capture-keepalived.sh > keepalived-2.2.7.txt
set -euo pipefail
ns="hbvrrp-cap-$$"
dir=$(mktemp -d)
kpid=""
tpid=""
cleanup() {
    [ -n "$kpid" ] && kill "$kpid" 2>/dev/null || true
    [ -n "$tpid" ] && kill "$tpid" 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
    ip netns del "$ns-peer" 2>/dev/null || true
    rm -rf "$dir"
}
trap cleanup EXIT

ip netns add "$ns"
ip -n "$ns" link set lo up
ip netns add "$ns-peer"
ip -n "$ns" link add d0 type veth peer name d1 netns "$ns-peer"
ip -n "$ns-peer" addr add 10.99.70.2/24 dev d1
ip -n "$ns-peer" link set d1 up
ip -n "$ns" link set d0 multicast on
ip -n "$ns" addr add 10.99.70.1/24 dev d0
ip -n "$ns" addr add fe80::70:1/64 dev d0
ip -n "$ns" link set d0 up

cat > "$dir/keepalived.conf" <<'CONF'
global_defs {
    router_id cap
    script_user root
    vrrp_garp_master_delay 0
}
vrrp_instance V2PASS {
    state MASTER
    interface d0
    virtual_router_id 51
    priority 100
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass 1111
    }
    virtual_ipaddress {
        10.99.70.100/24
    }
}
vrrp_instance V2LONGPASS {
    state MASTER
    interface d0
    virtual_router_id 55
    priority 150
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass secretpassword
    }
    virtual_ipaddress {
        10.99.70.105/24
    }
}
vrrp_instance V2NOAUTH {
    state MASTER
    interface d0
    virtual_router_id 56
    priority 254
    advert_int 2
    virtual_ipaddress {
        10.99.70.106/24
    }
}
vrrp_instance V3 {
    version 3
    state MASTER
    interface d0
    virtual_router_id 52
    priority 150
    advert_int 0.5
    virtual_ipaddress {
        10.99.70.101/24
        10.99.70.102/24
    }
}
vrrp_instance V3UNICAST {
    version 3
    state MASTER
    interface d0
    virtual_router_id 53
    priority 200
    advert_int 1
    unicast_src_ip 10.99.70.1
    unicast_peer {
        10.99.70.2
    }
    virtual_ipaddress {
        10.99.70.103/24
    }
}
vrrp_instance V3IPV6 {
    version 3
    state MASTER
    interface d0
    virtual_router_id 54
    priority 120
    advert_int 1
    virtual_ipaddress {
        fd00:99:70::104/64
    }
}
CONF

ip netns exec "$ns" tshark -q -i d0 -F pcap -f "proto 112" -w "$dir/cap.pcap" 2>/dev/null &
tpid=$!
sleep 2
ip netns exec "$ns" keepalived -n -l -D -G -f "$dir/keepalived.conf" \
    -p "$dir/k.pid" -r "$dir/v.pid" >"$dir/k.log" 2>&1 &
kpid=$!
# Every instance is master after 3 x advert_int + skew (V2NOAUTH: about 6 s).
sleep 8
kill -TERM "$kpid"
wait "$kpid" || true
kpid=""
sleep 1
kill "$tpid"
wait "$tpid" 2>/dev/null || true
tpid=""
cat "$dir/k.log" >&2

python3 - "$dir/cap.pcap" <<'PY'
import ipaddress, struct, sys
data = open(sys.argv[1], "rb").read()
magic = struct.unpack("<I", data[:4])[0]
assert magic in (0xa1b2c3d4, 0xa1b23c4d), "pcap expected (not pcapng)"
off, seen = 24, set()
while off + 16 <= len(data):
    _, _, incl, _ = struct.unpack("<IIII", data[off:off + 16])
    frame = data[off + 16:off + 16 + incl]
    off += 16 + incl
    etype = struct.unpack("!H", frame[12:14])[0]
    ip = frame[14:]
    if etype == 0x0800:
        ihl = (ip[0] & 15) * 4
        total = struct.unpack("!H", ip[2:4])[0]
        ttl, src, dst = ip[8], ipaddress.ip_address(ip[12:16]), ipaddress.ip_address(ip[16:20])
        payload = ip[ihl:total]
    elif etype == 0x86DD:
        plen = struct.unpack("!H", ip[4:6])[0]
        ttl, src, dst = ip[7], ipaddress.ip_address(ip[8:24]), ipaddress.ip_address(ip[24:40])
        payload = ip[40:40 + plen]
    else:
        continue
    ver, vrid, prio = payload[0] >> 4, payload[1], payload[2]
    name = f"v{ver}-vrid{vrid}-prio{prio}-{dst}"
    if name in seen:
        continue
    seen.add(name)
    print(name, src, dst, ttl, payload.hex())
PY
