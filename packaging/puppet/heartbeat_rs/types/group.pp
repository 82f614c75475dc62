# One resource group (a haresources line): its preferred node and its resources, started left
# to right, e.g. { 'node' => 'alpha', 'resources' => ['IPaddr::192.0.2.100/24/eth0', 'apache2'] }.
type Heartbeat_rs::Group = Struct[{
  'node'      => String[1],
  'resources' => Array[Pattern[/\A[^\s#]+\z/], 1],
}]
