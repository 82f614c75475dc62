# @summary Installs heartbeat-rs, writes /etc/ha.d and keeps the daemon running.
#
# The three files are first written to a staging directory and checked together with
# `hbctl check-config`; each live file is replaced only if that check passes (validate_cmd), so
# a broken parameter never reaches a running node. A change to a live file reloads the daemon
# (`service heartbeat reload`, SIGHUP), it never restarts it.
#
# @example
#   class { 'heartbeat_rs':
#     nodes    => ['alpha', 'beta'],
#     media    => [{ type => 'ucast', interface => 'eth0', peer => '192.0.2.11' },
#                  { type => 'ucast', interface => 'eth0', peer => '192.0.2.12' }],
#     auth_key => Sensitive('a long random secret'),
#     groups   => [{ 'node' => 'alpha', 'resources' => ['IPaddr::192.0.2.100/24/eth0:1'] }],
#   }
#
# @param nodes Cluster members, as `uname -n` prints them.
# @param media Heartbeat media (ucast, bcast, mcast lines of ha.cf).
# @param auth_key The shared authkeys secret.
# @param auth_method Digest of authkeys' key 1.
# @param groups Resource groups (haresources lines).
# @param keepalive Interval between heartbeats.
# @param deadtime Silence after which a peer is declared dead.
# @param warntime Silence after which a late heartbeat is logged.
# @param initdead deadtime at start-up.
# @param udpport UDP port of the media.
# @param auto_failback Whether groups return to their preferred node.
# @param logfacility Syslog facility (ha.cf `logfacility`).
# @param logfile Log file (ha.cf `logfile`).
# @param use_logd Log through the logging daemon (ha.cf `use_logd yes|no`).
# @param package_name The package to install.
# @param package_ensure Its `ensure`.
# @param package_source A .deb file to install with dpkg instead of from an apt repository.
# @param service_provider Puppet's service provider (default: Puppet's choice, systemd on a
#   systemd host; `debian` uses /etc/init.d/heartbeat where systemd is not PID 1).
# @param service_enable Whether the service starts at boot.
# @param config_dir Where the daemon reads its files.
# @param staging_dir Where the candidate files are checked before they go live.
#
# Health-check monitors and keepalived (VRRP) instances come with those features: add their
# parameters here and their files beside the three below, staged and checked the same way.
class heartbeat_rs (
  Array[String[1], 1] $nodes,
  Array[Heartbeat_rs::Medium, 1] $media,
  Sensitive[String[1]] $auth_key,
  Enum['sha1', 'md5', 'crc'] $auth_method = 'sha1',
  Array[Heartbeat_rs::Group] $groups = [],
  Heartbeat_rs::Duration $keepalive = 1,
  Heartbeat_rs::Duration $deadtime = 10,
  Optional[Heartbeat_rs::Duration] $warntime = undef,
  Optional[Heartbeat_rs::Duration] $initdead = undef,
  Integer[1, 65535] $udpport = 694,
  Enum['on', 'off', 'legacy'] $auto_failback = 'on',
  Optional[String[1]] $logfacility = undef,
  Optional[Pattern[/\A\//]] $logfile = undef,
  Optional[Boolean] $use_logd = undef,
  String[1] $package_name = 'heartbeat-rs',
  String[1] $package_ensure = 'installed',
  Optional[Pattern[/\A\/.*\.deb\z/]] $package_source = undef,
  Optional[String[1]] $service_provider = undef,
  Boolean $service_enable = true,
  Pattern[/\A\//] $config_dir = '/etc/ha.d',
  Pattern[/\A\//] $staging_dir = '/var/lib/heartbeat-rs-puppet',
) {
  if $package_source {
    package { $package_name:
      ensure   => $package_ensure,
      provider => 'dpkg',
      source   => $package_source,
    }
  } else {
    package { $package_name:
      ensure => $package_ensure,
    }
  }

  $hacf = epp('heartbeat_rs/ha.cf.epp', {
    'nodes'         => $nodes,
    'media'         => $media,
    'keepalive'     => $keepalive,
    'deadtime'      => $deadtime,
    'warntime'      => $warntime,
    'initdead'      => $initdead,
    'udpport'       => $udpport,
    'auto_failback' => $auto_failback,
    'logfacility'   => $logfacility,
    'logfile'       => $logfile,
    'use_logd'      => $use_logd,
  })
  $haresources = epp('heartbeat_rs/haresources.epp', { 'groups' => $groups })
  # The key stays Sensitive end to end: Puppet redacts it from logs, reports and diffs.
  $authkeys = Sensitive(epp('heartbeat_rs/authkeys.epp', {
    'method' => $auth_method,
    'key'    => $auth_key.unwrap,
  }))

  file { $staging_dir:
    ensure  => directory,
    owner   => 'root',
    group   => 'root',
    mode    => '0700',
    require => Package[$package_name],
  }
  file { "${staging_dir}/ha.cf":
    ensure  => file,
    mode    => '0644',
    content => $hacf,
  }
  file { "${staging_dir}/haresources":
    ensure  => file,
    mode    => '0644',
    content => $haresources,
  }
  file { "${staging_dir}/authkeys":
    ensure  => file,
    mode    => '0600',
    content => $authkeys,
  }

  # Each live file is checked as part of the staged set (the same content, rendered once):
  # check-config needs all three files together, which a single-file validation cannot see.
  $check = "/usr/sbin/hbctl check-config --dir ${staging_dir} --resource-d ${config_dir}/resource.d"
  $live = {
    'ha.cf'       => ['0644', $hacf],
    'haresources' => ['0644', $haresources],
    'authkeys'    => ['0600', $authkeys],
  }
  $live.each |String $name, Array $spec| {
    file { "${config_dir}/${name}":
      ensure       => file,
      owner        => 'root',
      group        => 'root',
      mode         => $spec[0],
      content      => $spec[1],
      validate_cmd => "${check} # %",
      require      => [
        File["${staging_dir}/ha.cf"],
        File["${staging_dir}/haresources"],
        File["${staging_dir}/authkeys"],
      ],
      notify       => Service['heartbeat'],
    }
  }

  service { 'heartbeat':
    ensure    => running,
    enable    => $service_enable,
    provider  => $service_provider,
    hasstatus => true,
    # A changed file is applied with SIGHUP (the daemon re-reads /etc/ha.d, refusing a broken
    # file), never with a stop and start that would move every group for nothing.
    restart   => '/usr/sbin/service heartbeat reload',
    require   => Package[$package_name],
  }
}
