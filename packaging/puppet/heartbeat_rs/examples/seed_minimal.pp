# The seed's own minimal module, unchanged except for the package name: the package, the three
# files from a files directory (authkeys 0600), the service, and `service heartbeat reload` on
# every change. heartbeat-rs answers to all of it under the same names. $files is the directory
# holding ha.cf, haresources and authkeys.
$files = '/etc/puppet/files/heartbeat'

package { 'heartbeat-rs':
  ensure => installed,
}
file { '/etc/ha.d/ha.cf':
  source  => "${files}/ha.cf",
  require => Package['heartbeat-rs'],
}
file { '/etc/ha.d/haresources':
  source  => "${files}/haresources",
  require => Package['heartbeat-rs'],
}
file { '/etc/ha.d/authkeys':
  source  => "${files}/authkeys",
  mode    => '0600',
  require => Package['heartbeat-rs'],
}
service { 'heartbeat':
  ensure  => running,
  require => Package['heartbeat-rs'],
}
exec { 'heartbeat reload':
  command     => '/usr/sbin/service heartbeat reload',
  refreshonly => true,
  subscribe   => File['/etc/ha.d/ha.cf', '/etc/ha.d/haresources', '/etc/ha.d/authkeys'],
}
