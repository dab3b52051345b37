-- Stratus Red Team aws.defense-evasion.cloudtrail-stop: a trail stops recording
-- (cloudtrail:StopLogging). The CIS pack's cis_cloudtrail_config_changes also matches StopLogging,
-- with every other trail change (CreateTrail, UpdateTrail, StartLogging...), as a change control;
-- this is the threat detection for the call that blinds logging, high severity. eventSource is
-- pinned to CloudTrail. Failed attempts (errorCode set, e.g. AccessDenied or a wrong home region)
-- match on purpose: trying to stop logging is the signal; errorCode is in the finding. Not matched:
-- StartLogging (the benign counterpart), UpdateTrail, and CloudTrail Lake's
-- StopEventDataStoreIngestion (a different resource; not part of this technique).
eventSource = 'cloudtrail.amazonaws.com'
AND eventName = 'StopLogging'
