# A heartbeat timer as ha.cf writes it: seconds (`10`, `0.5`) or milliseconds (`500ms`).
type Heartbeat_rs::Duration = Variant[Integer[1], Pattern[/\A[0-9]+(\.[0-9]+)?(ms)?\z/]]
