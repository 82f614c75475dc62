# The Puppet cookbook's heartbeat pair (see /work/shared/examples/cookbook-puppet), deployed
# with this module: two nodes talking unicast, one virtual address on an eth0:1 label.
class { 'heartbeat_rs':
  nodes         => ['cookbook', 'cookbook2'],
  media         => [
    { type => 'ucast', interface => 'eth0', peer => '10.0.2.15' },
    { type => 'ucast', interface => 'eth0', peer => '10.0.2.16' },
  ],
  keepalive     => 1,
  deadtime      => 10,
  warntime      => 5,
  auto_failback => 'on',
  use_logd      => true,
  auth_key      => Sensitive('topsecretpassword'),
  groups        => [{ 'node' => 'cookbook', 'resources' => ['IPaddr::10.0.2.100/24/eth0:1'] }],
}
