# One heartbeat medium (an ha.cf line): unicast to a peer, broadcast, or multicast.
type Heartbeat_rs::Medium = Variant[
  Struct[{
    type      => Enum['ucast'],
    interface => String[1],
    peer      => String[1],
  }],
  Struct[{
    type      => Enum['bcast'],
    interface => String[1],
  }],
  Struct[{
    type           => Enum['mcast'],
    interface      => String[1],
    group          => String[1],
    Optional[port] => Integer[1, 65535],
    Optional[ttl]  => Integer[1, 255],
    Optional[loop] => Integer[0, 1],
  }],
]
